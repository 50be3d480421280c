//! `POST /cases/{id}/actions/{action}`: one versioned step.
//!
//! The case version the caller saw comes from the body's `version`. With it,
//! a case that moved on since is a 409 carrying the current case. Without it, losing a race
//! (to a timer or another officer) re-reads the case and decides again, a few times.

use axum::Json;
use axum::extract::State;
use onemap_spatial::cases::CaseError;
use onemap_workflow::{ActionError, ActionRequest};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::attachments::{Upload, prepare};
use super::{action_problem, actor, conflict, engine_state, full_view, load, step_of, store};
use crate::caller::Caller;
use crate::extract::{Path, RawBody};
use crate::problem::Problem;
use crate::state::AppState;

/// How often an action without a version re-reads and re-decides after losing a race.
const RETRIES: usize = 3;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    #[serde(default)]
    fields: Map<String, Value>,
    comment: Option<String>,
    #[serde(default)]
    attachments: Vec<Upload>,
    /// The case version the caller acted on.
    version: Option<u64>,
}

/// `POST /cases/{id}/actions/{action}`: 200 with the case after the step, its history and
/// the actions now open to the caller.
#[utoipa::path(post, path = "/cases/{id}/actions/{action}", tag = "cases", params(("id" = i64, Path, description = "A case id"), ("action" = String, Path, description = "An action of the case's workflow")), request_body(content = crate::openapi::JsonObject, content_type = "application/json", description = "`{fields?, comment?, attachments?, version?}`; may be empty"), responses((status = 200, description = "The case after the step", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn act(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, action)): Path<(i64, String)>,
    RawBody(body): RawBody,
) -> Result<Json<Value>, Problem> {
    let body: ActionBody = if body.iter().all(u8::is_ascii_whitespace) {
        ActionBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| Problem::bad_request(format!("action: {e}")))?
    };
    let expected = body.version;
    let files = prepare(body.attachments).await?;
    let cases = &st.cases;
    let me = actor(&caller);
    for _ in 0..RETRIES {
        let detail = load(&st, id).await?;
        let case = &detail.case;
        let engine = cases.engine(&case.workflow)?;
        let req = ActionRequest {
            action: action.clone(),
            fields: body.fields.clone(),
            attachments: files.len(),
            comment: body.comment.clone(),
            expected_version: expected,
        };
        let t = match engine.apply(&engine_state(case)?, &me, req, cases.clock.now()) {
            Ok(t) => t,
            Err(ActionError::VersionConflict { .. }) => {
                return Err(conflict(&detail, cases, &caller));
            }
            Err(e) => return Err(action_problem(e)),
        };
        let step = step_of(&[t], case.fields.location, files.clone());
        match store(&st).apply(id, case.version, step).await {
            Ok(_) => {
                cases.notify_written();
                tracing::info!(target: "audit", user = %caller.user, role = %caller.role, case = id, action = %action, "case action");
                return Ok(Json(full_view(&load(&st, id).await?, cases, &caller)));
            }
            Err(CaseError::Conflict { .. }) if expected.is_none() => continue,
            Err(CaseError::Conflict { .. }) => {
                return Err(conflict(&load(&st, id).await?, cases, &caller));
            }
            Err(CaseError::NotFound(_)) => return Err(Problem::not_found(format!("no case {id}"))),
            Err(CaseError::Store(e)) => return Err(e.into()),
        }
    }
    Err(conflict(&load(&st, id).await?, cases, &caller))
}
