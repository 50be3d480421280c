//! Cases as JSON: the list summary, the full case for its caller, the 409 problem.

use onemap_spatial::cases::{AttachmentMeta, Case, CaseDetail};
use onemap_workflow::ActionDef;
use serde_json::{Value, json};

use super::{Cases, actor, engine_state};
use crate::caller::Caller;
use crate::problem::{Problem, ProblemType};

/// 409 with the case as it is now, so the client can show it and decide again.
pub fn conflict(detail: &CaseDetail, cases: &Cases, caller: &Caller) -> Problem {
    Problem::new(ProblemType::CaseConflict)
        .detail(format!(
            "case {} was changed by someone else; it is now at version {}",
            detail.case.id, detail.case.version
        ))
        .with("current_version", detail.case.version)
        .with("case", full_view(detail, cases, caller))
}

/// A case in lists: its columns and deadlines, without history.
pub fn summary(c: &Case, cases: &Cases) -> Value {
    let state = engine_state(c).ok();
    let def = cases.registry.workflow(&c.workflow);
    let state_def = def.and_then(|d| d.state(&c.fields.state));
    json!({
        "id": c.id,
        "workflow": c.workflow,
        "workflow_title": def.map(|d| d.title.clone()),
        "state": c.fields.state,
        "state_title": state_def.map(|s| s.title.clone()),
        "terminal": state_def.is_some_and(|s| s.terminal),
        // The register a case is filed in on closing (e.g. 销项库 `closed_out`).
        "register": state_def.and_then(|s| s.register.clone()),
        "version": c.version,
        "feature": c.feature.as_ref().map(|f| json!({"collection": f.collection, "id": f.id})),
        "location": c.fields.location.map(|p| [p.x(), p.y()]),
        "district_code": c.fields.district_code,
        "township_code": c.fields.township_code,
        "level": c.fields.level,
        "overdue": c.fields.overdue,
        "urge_count": c.fields.urge_count,
        "counters": state.as_ref().map(|s| json!(s.counters)),
        "escalations": state.as_ref().map(|s| s.escalations),
        "deadline": state.as_ref().and_then(|s| s.due.as_ref()).map(|d| json!({
            "at": d.at, "state": d.state, "fired": d.fired,
        })),
        "reminders": state.as_ref().map(|s| json!(s.reminders)),
        "next_timer_at": c.fields.next_due_at,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    })
}

/// A case with its history, attachments and the actions `caller` may take now.
pub fn full_view(d: &CaseDetail, cases: &Cases, caller: &Caller) -> Value {
    let mut v = summary(&d.case, cases);
    let available: Vec<Value> = match (
        cases.registry.engine(&d.case.workflow),
        engine_state(&d.case),
    ) {
        (Some(engine), Ok(state)) => engine
            .available_actions(&state, &actor(caller))
            .into_iter()
            .map(action_json)
            .collect(),
        _ => Vec::new(),
    };
    let files = |seq: i64| -> Vec<i64> {
        d.attachments
            .iter()
            .filter(|a| a.seq == seq)
            .map(|a| a.id)
            .collect()
    };
    v["history"] = d
        .history
        .iter()
        .map(|h| {
            let e = &h.entry;
            json!({
                "version": h.seq, "at": e.at, "user": e.user, "role": e.role, "level": e.level,
                "action": e.action, "from": e.from_state, "to": e.to_state, "fields": e.fields,
                "comment": e.comment, "attachments": files(h.seq),
            })
        })
        .collect();
    v["attachments"] = d.attachments.iter().map(attachment_json).collect();
    v["available_actions"] = available.into();
    v
}

/// An action as a client needs it to build the form.
fn action_json(a: &ActionDef) -> Value {
    json!({
        "id": a.id, "title": a.title, "to": a.to, "fields": a.fields,
        "attachments": a.attachments, "when": a.when,
    })
}

fn attachment_json(a: &AttachmentMeta) -> Value {
    let href = format!("/cases/{}/attachments/{}", a.case_id, a.id);
    json!({
        "id": a.id, "version": a.seq, "filename": a.filename, "content_type": a.content_type,
        "size": a.size, "created_at": a.created_at, "href": href,
        "thumbnail": a.has_thumbnail.then(|| format!("{href}/thumbnail")),
    })
}
