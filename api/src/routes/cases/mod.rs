//! Case workflows over HTTP (issue #7): definitions, cases on features, actions, history,
//! attachments, statistics, the `cases` tile layer and the event stream.
//!
//! The case service (`onemap_cases`) opens cases, acts on them and fires their timers; these
//! routes turn the caller into an engine [`Actor`], requests into service calls, and cases
//! and refusals into JSON and problems.

// `POST /cases/{id}/actions/{action}`: one versioned step.
pub mod actions;
// Files sent with an action, and reading them and their thumbnails back.
pub mod attachments;
// `POST /cases`: a case on an existing feature or on one created with it.
pub mod create;
// `GET /events`: case notifications as server-sent events from the outbox.
pub mod events;
// Reading cases: one, a filtered list, a feature's cases.
pub mod read;
// `GET /cases/stats`: counts for dashboards.
pub mod stats;
// `GET /cases/tiles/{z}/{x}/{y}.mvt`: the `cases` map layer.
pub mod tiles;
// Cases as JSON: the list summary and the full case.
mod view;
// `GET /workflows[/{id}]`: the definitions, for forms and diagrams.
pub mod workflows;

pub use view::{full_view, summary};

use onemap_cases::{CaseFailure, CaseService};
use onemap_workflow::{ActionError, Actor};
use serde_json::json;

use crate::caller::Caller;
use crate::problem::{Problem, ProblemType};

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

/// A service refusal as a problem. A version conflict is a 409 carrying the case as it is
/// now, as `caller` would see it, so the client can show it and decide again.
pub fn problem(e: CaseFailure, cases: &CaseService, caller: &Caller) -> Problem {
    let detail = e.to_string();
    match e {
        CaseFailure::NoSuchWorkflow(_) | CaseFailure::NotFound(_) => Problem::not_found(detail),
        CaseFailure::WorkflowGone(_) => Problem::new(ProblemType::UnknownWorkflow).detail(detail),
        CaseFailure::BadRequest(_) => Problem::bad_request(detail),
        CaseFailure::InvalidFeature(issues) => Problem::invalid(issues),
        CaseFailure::Refused(e) => action_problem(e),
        CaseFailure::Conflict(d) => Problem::new(ProblemType::CaseConflict)
            .detail(detail)
            .with("current_version", d.case.version)
            .with("case", full_view(&d, cases, caller)),
        CaseFailure::BadState { .. } => Problem::new(ProblemType::CaseState).detail(detail),
        CaseFailure::Catalog(e) => e.into(),
        CaseFailure::Store(e) => e.into(),
    }
}

/// An engine refusal as a problem: 403 names the allowed roles and levels, 404 an unknown
/// action, 422 the rest. Version conflicts are answered by [`problem`] with the case.
fn action_problem(e: ActionError) -> Problem {
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
