//! Case workflows over HTTP (issue #7): definitions, cases on features, actions, history,
//! attachments, statistics, the `cases` tile layer and the event stream.
//!
//! The case service (`onemap_cases`) opens cases, acts on them and fires their timers; these
//! routes turn the caller into an engine [`Actor`], requests into service calls, and cases
//! and refusals into JSON and problems.

pub mod actions;
pub mod attachments;
pub mod create;
pub mod events;
mod extract;
pub mod read;
pub mod stats;
pub mod tiles;
mod view;
pub mod workflows;

pub use extract::{PathOf, QueryOf};
pub use view::{full_view, summary};

use axum::http::StatusCode;
use onemap_cases::{CaseFailure, CaseService};
use onemap_workflow::{ActionError, Actor};
use serde_json::json;

use crate::caller::Caller;
use crate::problem::Problem;

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
        CaseFailure::WorkflowGone(_) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown-workflow",
            "Unknown workflow",
        )
        .detail(detail),
        CaseFailure::BadRequest(_) => Problem::bad_request(detail),
        CaseFailure::InvalidFeature(issues) => Problem::invalid(issues),
        CaseFailure::Refused(e) => action_problem(e),
        CaseFailure::Conflict(d) => Problem::new(StatusCode::CONFLICT, "case-conflict", "Conflict")
            .detail(detail)
            .with("current_version", d.case.version)
            .with("case", full_view(&d, cases, caller)),
        CaseFailure::BadState { .. } => Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "case-state",
            "Unreadable case state",
        )
        .detail(detail),
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
        } => Problem::new(StatusCode::FORBIDDEN, "forbidden-role", "Forbidden")
            .with("allowed_roles", json!(allowed_roles))
            .with("allowed_levels", json!(allowed_levels)),
        ActionError::ForbiddenJurisdiction { .. } => {
            Problem::new(StatusCode::FORBIDDEN, "forbidden-jurisdiction", "Forbidden")
        }
        ActionError::NotResponsible { responsible, .. } => {
            Problem::new(StatusCode::FORBIDDEN, "not-responsible", "Forbidden")
                .with("responsible_level", json!(responsible))
        }
        ActionError::UnknownAction { .. } => {
            Problem::new(StatusCode::NOT_FOUND, "unknown-action", "Unknown action")
        }
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
