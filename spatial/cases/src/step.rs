//! Engine transitions as one store write, with their outbox events.

use geo::Point;
use onemap_spatial::cases::{CaseFields, Entry, NewAttachment, NewEvent, Step};
use onemap_workflow::{HistoryEntry, Transition};
use serde_json::json;

/// One store write from consecutive engine steps: the columns of the last state, one history
/// entry and one outbox event per step, and the files (attached to the first entry).
pub fn step_of(
    steps: &[Transition],
    location: Option<Point<f64>>,
    attachments: Vec<NewAttachment>,
) -> Step {
    let last = &steps.last().expect("at least one step").case;
    Step {
        fields: CaseFields {
            state: last.state.clone(),
            district_code: last.district_code.clone(),
            township_code: last.township_code.clone(),
            level: last.level.as_str().into(),
            overdue: last.overdue,
            urge_count: last.counter("urge_count") as i64,
            location,
            next_due_at: last.next_timer_at(),
            engine: serde_json::to_value(last).expect("a case state is JSON"),
        },
        history: steps.iter().map(|t| entry(&t.entry)).collect(),
        attachments,
        events: steps.iter().map(event).collect(),
    }
}

fn entry(e: &HistoryEntry) -> Entry {
    Entry {
        at: e.at,
        user: e.user.clone(),
        role: e.role.clone(),
        level: e.level.as_str().into(),
        action: e.action.clone(),
        from_state: e.from.clone(),
        to_state: e.to.clone(),
        fields: e.fields.clone(),
        comment: e.comment.clone(),
    }
}

/// The outbox event of a step: `case.created`, `case.action`, `case.deadline` (with the
/// `effects` it had: remind, mark_overdue, escalate) or `case.reminder`.
fn event(t: &Transition) -> NewEvent {
    let e = &t.entry;
    let kind = serde_json::to_value(e.kind).expect("an entry kind is JSON");
    let kind = match kind.as_str() {
        Some("create") => "case.created".to_string(),
        Some(k) => format!("case.{k}"),
        None => "case.action".to_string(),
    };
    NewEvent {
        kind,
        payload: json!({
            "workflow": t.case.workflow,
            "version": e.version,
            "action": e.action,
            "from": e.from,
            "to": e.to,
            "at": e.at,
            "user": e.user,
            "role": e.role,
            "state": t.case.state,
            "level": t.case.level,
            "overdue": t.case.overdue,
            "urge_count": t.case.counter("urge_count"),
            "district_code": t.case.district_code,
            "township_code": t.case.township_code,
            "effects": e.fields.get("effects"),
            "comment": e.comment,
        }),
    }
}
