//! `GET /workflows` and `GET /workflows/{id}`: the definitions, for forms and diagrams.

use axum::Json;
use axum::extract::State;
use onemap_workflow::mermaid;
use serde_json::{Value, json};

use crate::caller::Caller;
use crate::extract::Path;
use crate::problem::Problem;
use crate::state::AppState;

/// `GET /workflows`: id, title, states and the roles each action is open to, in id order.
#[utoipa::path(get, path = "/workflows", tag = "cases", responses((status = 200, description = "`workflows` and `roles`", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn list(State(st): State<AppState>, _caller: Caller) -> Json<Value> {
    let all = st.cases.registry.workflows().map(|w| {
        json!({
            "id": w.id, "title": w.title, "initial": w.initial,
            "states": w.states.iter().map(|s| json!({"id": s.id, "title": s.title})).collect::<Vec<_>>(),
            "href": format!("/workflows/{}", w.id),
        })
    });
    Json(json!({ "workflows": all.collect::<Vec<_>>(), "roles": st.cases.registry.roles() }))
}

/// `GET /workflows/{id}`: the whole definition (as in its file), plus a Mermaid
/// `stateDiagram-v2` under `diagram`.
#[utoipa::path(get, path = "/workflows/{id}", tag = "cases", params(("id" = String, Path, description = "A workflow id")), responses((status = 200, description = "The definition, with a Mermaid diagram", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn one(
    State(st): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let def = st
        .cases
        .registry
        .workflow(&id)
        .ok_or_else(|| Problem::not_found(format!("no workflow `{id}`")))?;
    let mut v = serde_json::to_value(def).expect("a definition is JSON");
    v["diagram"] = json!({"format": "mermaid", "text": mermaid(def)});
    Ok(Json(v))
}
