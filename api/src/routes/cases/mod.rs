//! Case workflows over HTTP (issue #7): definitions, cases on features, actions, history,
//! attachments, statistics, the `cases` tile layer and the event stream.
//!
//! The engine (`onemap_workflow`) decides, the store (`onemap_spatial::cases`)
//! persists; this module is the glue: it turns the caller into an engine [`Actor`], the
//! engine's [`Transition`]s into one store [`Step`] (with the outbox events that feed
//! `GET /events` and webhooks), and stored cases into JSON.

pub mod actions;
pub mod attachments;
pub mod create;
pub mod events;
pub mod read;
pub mod stats;
mod step;
pub mod tiles;
mod view;
pub mod workflows;

pub use step::step_of;
pub use view::{conflict, full_view, summary};

use std::sync::Arc;

use onemap_spatial::cases::{Case, CaseDetail, CaseStore};
use onemap_workflow::{ActionError, Actor, CaseState, Engine, LoadError, Registry};
use serde_json::json;
use tokio::sync::watch;

use crate::caller::Caller;
use crate::clock::Clock;
use crate::config::CaseSettings;
use crate::problem::{Problem, ProblemType};
use crate::state::AppState;

/// The shipped definitions (`data/workflows/*.yaml`), built into the binary.
const SHIPPED: &[(&str, &str)] = &[
    (
        "roles.yaml",
        include_str!("../../../../data/workflows/roles.yaml"),
    ),
    (
        "holidays.yaml",
        include_str!("../../../../data/workflows/holidays.yaml"),
    ),
    (
        "supervision.yaml",
        include_str!("../../../../data/workflows/supervision.yaml"),
    ),
    (
        "sampling_check.yaml",
        include_str!("../../../../data/workflows/sampling_check.yaml"),
    ),
    (
        "hotline_order.yaml",
        include_str!("../../../../data/workflows/hotline_order.yaml"),
    ),
    (
        "iot_alarm.yaml",
        include_str!("../../../../data/workflows/iot_alarm.yaml"),
    ),
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
        let io = |e: std::io::Error| anyhow::anyhow!("{}: {e}", dir.display());
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().is_some_and(|x| x == "yaml") {
                let name = path
                    .file_name()
                    .expect("a file")
                    .to_string_lossy()
                    .to_string();
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                files.insert(name.clone(), text);
                overridden.push(name);
            }
        }
    }
    Registry::from_sources(files.iter().map(|(n, t)| (n.as_str(), t.as_str()))).map_err(|e| {
        let (LoadError::Parse { file, .. }
        | LoadError::Invalid { file, .. }
        | LoadError::Missing { file }
        | LoadError::Io { file, .. }) = &e;
        let place = if overridden.contains(file) {
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
            Problem::new(ProblemType::UnknownWorkflow)
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
        level: c.level,
        district_code: c.district.clone(),
        township_code: c.township.clone(),
    }
}

/// The engine state a stored case carries.
pub fn engine_state(c: &Case) -> Result<CaseState, Problem> {
    serde_json::from_value(c.fields.engine.clone())
        .map_err(|e| Problem::new(ProblemType::CaseState).detail(format!("case {}: {e}", c.id)))
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
        } => Problem::new(ProblemType::ForbiddenRole)
            .with("allowed_roles", json!(allowed_roles))
            .with("allowed_levels", json!(allowed_levels)),
        ActionError::ForbiddenJurisdiction { .. } => {
            Problem::new(ProblemType::ForbiddenJurisdiction)
        }
        ActionError::NotResponsible { responsible, .. } => {
            Problem::new(ProblemType::NotResponsible).with("responsible_level", json!(responsible))
        }
        ActionError::UnknownAction { .. } => Problem::new(ProblemType::UnknownAction),
        ActionError::NotAllowedInState { allowed, .. } => {
            Problem::new(ProblemType::ActionNotAllowed).with("allowed_actions", json!(allowed))
        }
        ActionError::VersionConflict { current, .. } => {
            Problem::new(ProblemType::CaseConflict).with("current_version", current)
        }
        _ => Problem::new(ProblemType::InvalidAction),
    };
    p.detail(detail)
}

/// A case with its history, or 404.
pub async fn load(st: &AppState, id: i64) -> Result<CaseDetail, Problem> {
    store(st)
        .get_case(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no case {id}")))
}
