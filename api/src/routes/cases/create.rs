//! `POST /cases`: a case on an existing feature, or on a new one created in the same
//! transaction.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onemap_cases::Opening;
use onemap_spatial::cases::FeatureRef;
use onemap_workflow::Level;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::attachments::{Upload, prepare};
use super::{actor, full_view, problem};
use crate::caller::Caller;
use crate::extract::JsonBody;
use crate::problem::Problem;
use crate::state::AppState;

/// The body of `POST /cases`. Exactly one of `feature` and `new_feature`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    workflow: String,
    /// The creating action (`from: []`); by default the first one the caller's role may take.
    action: Option<String>,
    feature: Option<Ref>,
    new_feature: Option<NewFeature>,
    /// Default: the feature's `district_code` property, else the caller's district.
    district_code: Option<String>,
    /// Default: the feature's `township_code` property, else the caller's township.
    township_code: Option<String>,
    /// The level first responsible; default township when the case has a township, else
    /// district.
    level: Option<Level>,
    #[serde(default)]
    fields: Map<String, Value>,
    comment: Option<String>,
    #[serde(default)]
    attachments: Vec<Upload>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ref {
    collection: String,
    id: i64,
}

/// A feature to create with the case, in CGCS2000 lon/lat.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewFeature {
    collection: String,
    geometry: Value,
    #[serde(default)]
    properties: Map<String, Value>,
}

/// `POST /cases`: 201 with the case (as `GET /cases/{id}` shows it) and its Location.
#[utoipa::path(post, path = "/cases", tag = "cases", request_body(content = crate::openapi::JsonObject, content_type = "application/json", description = "`{workflow, action?, feature | new_feature, district_code?, township_code?, level?, fields?, comment?, attachments?}`"), responses((status = 201, description = "The case", body = crate::openapi::JsonObject, content_type = "application/json", headers(("Location" = String, description = "The case's URL"))), crate::openapi::Problems))]
pub async fn create(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let body: CreateBody =
        serde_json::from_value(body).map_err(|e| Problem::bad_request(format!("case: {e}")))?;
    let workflow = body.workflow.clone();
    let opening = Opening {
        workflow: body.workflow,
        action: body.action,
        feature: body.feature.map(|r| FeatureRef {
            collection: r.collection,
            id: r.id,
        }),
        new_feature: body.new_feature.map(|n| onemap_cases::NewFeature {
            collection: n.collection,
            geometry: n.geometry,
            properties: n.properties,
        }),
        district_code: body.district_code,
        township_code: body.township_code,
        level: body.level,
        fields: body.fields,
        comment: body.comment,
        attachments: prepare(body.attachments).await?,
    };
    let cases = &st.cases;
    let fail = |e| problem(e, cases, &caller);
    let id = cases.open(&actor(&caller), opening).await.map_err(fail)?;
    tracing::info!(target: "audit", user = %caller.user, role = %caller.role, case = id, workflow = %workflow, "case created");
    let view = full_view(&cases.get(id).await.map_err(fail)?, cases, &caller);
    let loc = format!("{}/cases/{id}", st.base_url(&headers));
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, loc)],
        axum::Json(view),
    )
        .into_response())
}
