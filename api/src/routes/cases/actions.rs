//! `POST /cases/{id}/actions/{action}`: one versioned step.
//!
//! The case version the caller saw comes from the body's `version`. With it,
//! a case that moved on since is a 409 carrying the current case. Without it, losing a race
//! (to a timer or another officer) re-reads the case and decides again, a few times.

use axum::Json;
use axum::extract::State;
use onemap_cases::Acting;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::attachments::{Upload, prepare};
use super::{actor, full_view, problem};
use crate::caller::Caller;
use crate::extract::{Path, RawBody};
use crate::problem::Problem;
use crate::state::AppState;

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
    let acting = Acting {
        fields: body.fields,
        comment: body.comment,
        attachments: prepare(body.attachments).await?,
        version: body.version,
    };
    let cases = &st.cases;
    let case = cases
        .act(&actor(&caller), id, &action, acting)
        .await
        .map_err(|e| problem(e, cases, &caller))?;
    tracing::info!(target: "audit", user = %caller.user, role = %caller.role, case = id, action = %action, "case action");
    Ok(Json(full_view(&case, cases, &caller)))
}
