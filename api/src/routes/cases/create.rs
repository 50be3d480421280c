//! `POST /cases`: a case on an existing feature, or on a new one created in the same
//! transaction.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use geo::{Geometry, InteriorPoint, Point};
use onemap_spatial::cases::{FeatureRef, NewCase};
use onemap_spatial::validate::validate_feature;
use onemap_workflow::{ActionRequest, CasePlacement, Level};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::attachments::{Upload, prepare};
use super::{Cases, action_problem, actor, full_view, load, step_of, store};
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
    let cases = &st.cases;
    let engine = cases
        .registry
        .engine(&body.workflow)
        .ok_or_else(|| Problem::not_found(format!("no workflow `{}`", body.workflow)))?;
    let (draft, props, location) = match (&body.feature, &body.new_feature) {
        (Some(r), None) => {
            let f = st.catalog.fetch(&r.collection, r.id).await?;
            (None, f.properties.clone(), point(f.geometry.as_ref()))
        }
        (None, Some(n)) => {
            let def = &st.catalog.layer(&n.collection)?.def;
            let draft = validate_feature(def, Some(&n.geometry), &n.properties)
                .map_err(Problem::invalid)?;
            let (props, at) = (draft.properties.clone(), point(draft.geometry.as_ref()));
            (Some(draft), props, at)
        }
        _ => {
            return Err(Problem::bad_request(
                "give either `feature` {collection, id} or `new_feature` {collection, geometry, properties}",
            ));
        }
    };
    let text = |k: &str| props.get(k).and_then(Value::as_str).map(str::to_string);
    let district_code = body
        .district_code
        .clone()
        .or_else(|| text("district_code"))
        .or_else(|| caller.district.clone())
        .ok_or_else(|| Problem::bad_request("`district_code` is required: the feature has none"))?;
    let township_code = body
        .township_code
        .clone()
        .or_else(|| text("township_code"))
        .or_else(|| caller.township.clone());
    let level = body.level.unwrap_or(if township_code.is_some() {
        Level::Township
    } else {
        Level::District
    });
    let me = actor(&caller);
    let action = body
        .action
        .clone()
        .unwrap_or_else(|| default_action(cases, &body.workflow, &me.role));
    let files = prepare(body.attachments).await?;
    let req = ActionRequest {
        action,
        fields: body.fields,
        attachments: files.len(),
        comment: body.comment,
        expected_version: None,
    };
    let new = CasePlacement {
        district_code,
        township_code,
        level,
    };
    let t = engine
        .create(&me, new, req, cases.clock.now())
        .map_err(action_problem)?;
    let stored = NewCase {
        workflow: body.workflow.clone(),
        feature: body.feature.as_ref().map(|r| FeatureRef {
            collection: r.collection.clone(),
            id: r.id,
        }),
        step: step_of(&[t], location, files),
    };
    let id = match (draft, &body.new_feature) {
        (Some(draft), Some(n)) => {
            st.catalog
                .create_with_case(&n.collection, draft, stored)
                .await?
                .1
        }
        _ => store(&st).create_case(stored).await?,
    };
    cases.notify_written();
    tracing::info!(target: "audit", user = %caller.user, role = %caller.role, case = id, workflow = %body.workflow, "case created");
    let view = full_view(&load(&st, id).await?, cases, &caller);
    let loc = format!("{}/cases/{id}", st.base_url(&headers));
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, loc)],
        axum::Json(view),
    )
        .into_response())
}

/// The first creating action open to `role`, else the first creating action (whose refusal
/// then names the roles it is open to).
fn default_action(cases: &Cases, workflow: &str, role: &str) -> String {
    let def = cases
        .registry
        .workflow(workflow)
        .expect("the engine exists");
    let creating = || def.actions.iter().filter(|a| a.creates());
    creating()
        .find(|a| a.roles.iter().any(|r| r == role))
        .or_else(|| creating().next())
        .map(|a| a.id.clone())
        .unwrap_or_default()
}

/// Where a case on this geometry shows on the map: a point on the feature.
fn point(g: Option<&Geometry<f64>>) -> Option<Point<f64>> {
    g.and_then(InteriorPoint::interior_point)
}
