//! `GET /cases/stats?by=district|township|state|workflow`: counts for dashboards.

use axum::Json;
use axum::extract::State;
use onemap_spatial::cases::Dimension;
use serde_json::{Value, json};

use super::read::FilterQuery;
use crate::caller::Caller;
use crate::extract::Query;
use crate::problem::Problem;
use crate::state::AppState;

/// Cases matching the `GET /cases` filters, grouped: `{"by", "groups": [{"key", "total",
/// "overdue"}], "total", "overdue"}`; groups in key order, `key` null for cases without a
/// township.
#[utoipa::path(get, path = "/cases/stats", tag = "cases", params(FilterQuery), responses((status = 200, description = "`by`, `groups`, `total`, `overdue`", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn stats(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<FilterQuery>,
) -> Result<Json<Value>, Problem> {
    let by = q.by.as_deref().unwrap_or("state");
    let dim = match by {
        "district" => Dimension::District,
        "township" => Dimension::Township,
        "state" => Dimension::State,
        "workflow" => Dimension::Workflow,
        _ => {
            return Err(Problem::bad_request(format!(
                "by `{by}`: expected district, township, state or workflow"
            )));
        }
    };
    let groups = st
        .cases
        .store()
        .count_by(dim, &q.filter_for(&caller)?)
        .await?;
    let (total, overdue) = groups
        .iter()
        .fold((0, 0), |(t, o), g| (t + g.total, o + g.overdue));
    let groups: Vec<Value> = groups
        .iter()
        .map(|g| json!({"key": g.key, "total": g.total, "overdue": g.overdue}))
        .collect();
    Ok(Json(
        json!({"by": by, "groups": groups, "total": total, "overdue": overdue}),
    ))
}
