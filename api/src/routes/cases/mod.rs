//! Case workflows over HTTP (issue #7): definitions, cases on features, actions, history,
//! attachments, statistics, the `cases` tile layer and the event stream.
//!
//! The engine (`onemap_spatial::workflow`) decides, the store (`onemap_spatial::cases`)
//! persists; this module is the glue: it turns the caller into an engine [`Actor`], the
//! engine's [`Transition`]s into one store [`Step`] (with the outbox events that feed
//! `GET /events` and webhooks), and stored cases into JSON.

pub mod actions;
pub mod attachments;
pub mod create;
pub mod events;
pub mod read;
pub mod stats;
pub mod tiles;
pub mod workflows;

use std::sync::Arc;

use axum::http::StatusCode;
use geo::Point;
use onemap_spatial::cases::{
    AttachmentMeta, Case, CaseDetail, CaseFields, CaseStore, Entry, NewAttachment, NewEvent, Step,
};
use onemap_spatial::workflow::{
    ActionDef, ActionError, Actor, CaseState, Engine, HistoryEntry, Level, LoadError, Registry,
    Transition,
};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::caller::{self, Caller};
use crate::clock::Clock;
use crate::config::CaseSettings;
use crate::problem::Problem;
use crate::state::AppState;

/// The shipped definitions (`data/workflows/*.yaml`), built into the binary.
const SHIPPED: &[(&str, &str)] = &[
    ("roles.yaml", include_str!("../../../../data/workflows/roles.yaml")),
    ("holidays.yaml", include_str!("../../../../data/workflows/holidays.yaml")),
    ("supervision.yaml", include_str!("../../../../data/workflows/supervision.yaml")),
    ("sampling_check.yaml", include_str!("../../../../data/workflows/sampling_check.yaml")),
    ("hotline_order.yaml", include_str!("../../../../data/workflows/hotline_order.yaml")),
    ("iot_alarm.yaml", include_str!("../../../../data/workflows/iot_alarm.yaml")),
];

/// The shipped definitions, with the `*.yaml` files of `dir` (if it exists) replacing those of
/// the same name or adding workflows. A bad file stops the server, named with its path.
pub fn load_registry(dir: &std::path::Path) -> anyhow::Result<Registry> {
    let mut files: std::collections::BTreeMap<String, String> = SHIPPED
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    let mut overridden = Vec::new();
    if dir.is_dir() {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|x| x == "yaml") {
                let name = path.file_name().expect("a file").to_string_lossy().to_string();
                files.insert(name.clone(), std::fs::read_to_string(&path)?);
                overridden.push(name);
            }
        }
    }
    Registry::from_sources(files.iter().map(|(n, t)| (n.as_str(), t.as_str()))).map_err(|e| {
        let file = match &e {
            LoadError::Parse { file, .. }
            | LoadError::Invalid { file, .. }
            | LoadError::Missing { file } => file.clone(),
            LoadError::Io { file, .. } => file.clone(),
        };
        let place = if overridden.contains(&file) {
            dir.display().to_string()
        } else {
            "the shipped definitions".into()
        };
        anyhow::anyhow!("workflow definitions ({place}): {e}")
    })
}

/// What the case routes, the scheduler and the notifiers share.
pub struct Cases {
    pub registry: Registry,
    pub clock: Arc<dyn Clock>,
    pub settings: CaseSettings,
    /// Bumped after every case write of this server, so event streams and webhooks read the
    /// outbox at once (writes of other instances are found by polling).
    pub written: watch::Sender<u64>,
}

impl Cases {
    pub fn new(registry: Registry, clock: Arc<dyn Clock>, settings: CaseSettings) -> Cases {
        Cases {
            registry,
            clock,
            settings,
            written: watch::channel(0).0,
        }
    }

    /// The engine of a stored case's workflow (a definition removed since is a 422).
    pub fn engine(&self, workflow: &str) -> Result<Engine<'_>, Problem> {
        self.registry.engine(workflow).ok_or_else(|| {
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown-workflow",
                "Unknown workflow",
            )
            .detail(format!("no workflow `{workflow}` is defined"))
        })
    }

    pub fn notify_written(&self) {
        self.written.send_modify(|n| *n += 1);
    }
}

/// The case store of the server.
pub fn store(st: &AppState) -> &dyn CaseStore {
    st.catalog.store().cases()
}

/// The engine's view of the caller.
pub fn actor(c: &Caller) -> Actor {
    Actor {
        user: c.user.clone(),
        role: c.role.clone(),
        level: match c.level {
            caller::Level::City => Level::City,
            caller::Level::District => Level::District,
            caller::Level::Township => Level::Township,
            caller::Level::System => Level::System,
        },
        district_code: c.district.clone(),
        township_code: c.township.clone(),
    }
}

/// The engine state a stored case carries.
pub fn engine_state(c: &Case) -> Result<CaseState, Problem> {
    serde_json::from_value(c.fields.engine.clone()).map_err(|e| {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "case-state",
            "Unreadable case state",
        )
        .detail(format!("case {}: {e}", c.id))
    })
}

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
            timers_done_until: None,
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

/// An engine refusal as a problem: 403 names the allowed roles and levels, 404 an unknown
/// action, 422 the rest. Version conflicts are answered by [`conflict`] with the case.
pub fn action_problem(e: ActionError) -> Problem {
    let detail = e.to_string();
    let p = match e {
        ActionError::ForbiddenRole {
            allowed_roles,
            allowed_levels,
            ..
        } => Problem::new(StatusCode::FORBIDDEN, "forbidden-role", "Forbidden")
            .with("allowed_roles", json!(allowed_roles))
            .with("allowed_levels", json!(allowed_levels)),
        ActionError::ForbiddenJurisdiction { .. } => Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden-jurisdiction",
            "Forbidden",
        ),
        ActionError::NotResponsible { responsible, .. } => {
            Problem::new(StatusCode::FORBIDDEN, "not-responsible", "Forbidden")
                .with("responsible_level", json!(responsible))
        }
        ActionError::UnknownAction { .. } => Problem::new(
            StatusCode::NOT_FOUND,
            "unknown-action",
            "Unknown action",
        ),
        ActionError::NotAllowedInState { allowed, .. } => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "action-not-allowed",
            "Action not allowed now",
        )
        .with("allowed_actions", json!(allowed)),
        ActionError::VersionConflict { current, .. } => {
            Problem::new(StatusCode::CONFLICT, "case-conflict", "Conflict")
                .with("current_version", current)
        }
        _ => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-action",
            "Invalid action",
        ),
    };
    p.detail(detail)
}

/// 409 with the case as it is now, so the client can show it and decide again.
pub fn conflict(detail: &CaseDetail, cases: &Cases, caller: &Caller) -> Problem {
    Problem::new(StatusCode::CONFLICT, "case-conflict", "Conflict")
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
    let title = |s: &str| {
        def.and_then(|d| d.state(s))
            .map(|s| s.title.clone())
            .unwrap_or_default()
    };
    json!({
        "id": c.id,
        "workflow": c.workflow,
        "workflow_title": def.map(|d| d.title.clone()),
        "state": c.fields.state,
        "state_title": title(&c.fields.state),
        "terminal": def.and_then(|d| d.state(&c.fields.state)).is_some_and(|s| s.terminal),
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
    let available: Vec<Value> = match (cases.registry.engine(&d.case.workflow), engine_state(&d.case)) {
        (Some(engine), Ok(state)) => engine
            .available_actions(&state, &actor(caller))
            .into_iter()
            .map(action_json)
            .collect(),
        _ => Vec::new(),
    };
    let files = |seq: i64| -> Vec<i64> {
        d.attachments.iter().filter(|a| a.seq == seq).map(|a| a.id).collect()
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
pub fn action_json(a: &ActionDef) -> Value {
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

/// A case with its history, or 404.
pub async fn load(st: &AppState, id: i64) -> Result<CaseDetail, Problem> {
    store(st)
        .get_case(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no case {id}")))
}
