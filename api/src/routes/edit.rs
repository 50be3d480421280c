//! Writing features: POST, PUT, PATCH (JSON merge patch) and DELETE with optimistic concurrency.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onemap_spatial::geojson_out::{feature_json, geometry_json};
use onemap_spatial::validate::{Issue, validate_feature};
use onemap_spatial::{CatalogError, Draft, Feature, LayerDef, StoreError};
use serde_json::{Map, Value};

use crate::body::JsonBody;
use crate::caller::Caller;
use crate::problem::Problem;
use crate::routes::items::{etag, parse_id};
use crate::state::AppState;

/// How often a PATCH without `If-Match` re-reads and re-merges after losing a race.
const PATCH_RETRIES: usize = 3;

/// Reads `If-Match`: a quoted version, or `*` (any version).
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, Problem> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let s = v.to_str().unwrap_or_default().trim();
    if s == "*" {
        return Ok(None);
    }
    s.trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map(Some)
        .map_err(|_| Problem::bad_request(format!("If-Match `{s}` is not an ETag of this server")))
}

/// Splits a GeoJSON Feature body into its geometry and properties.
fn feature_parts(body: &Value) -> Result<(Option<&Value>, Map<String, Value>), Problem> {
    let obj = body
        .as_object()
        .ok_or_else(|| Problem::invalid(vec![Issue::new("", "the body must be a GeoJSON Feature object")]))?;
    if obj.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(Problem::invalid(vec![Issue::new("type", "must be \"Feature\"")]));
    }
    let props = match obj.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(Problem::invalid(vec![Issue::new("properties", "must be an object or null")])),
    };
    Ok((obj.get("geometry"), props))
}

fn validate(def: &LayerDef, geometry: Option<&Value>, props: &Map<String, Value>) -> Result<Draft, Problem> {
    validate_feature(def, geometry, props).map_err(Problem::invalid)
}

fn written(status: StatusCode, f: &Feature, location: Option<String>) -> Response {
    let mut r = (status, feature_json(f).to_string()).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/geo+json"));
    h.insert(header::ETAG, etag(f.version));
    if let Some(l) = location.and_then(|l| header::HeaderValue::from_str(&l).ok()) {
        h.insert(header::LOCATION, l);
    }
    r
}

/// `POST /collections/{layer}/items`: 201 with the stored feature and its Location.
pub async fn create(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(layer): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let l = st.catalog.layer(&layer)?;
    let (geometry, props) = feature_parts(&body)?;
    let draft = validate(&l.def, geometry, &props)?;
    let f = st.catalog.create(&layer, vec![draft]).await?.remove(0);
    tracing::info!(target: "audit", user = %caller.user, role = %caller.role, layer = %layer, id = f.id, "create");
    let loc = format!("{}/collections/{layer}/items/{}", st.base_url(&headers), f.id);
    Ok(written(StatusCode::CREATED, &f, Some(loc)))
}

/// `PUT /collections/{layer}/items/{id}`: replaces geometry and all properties.
pub async fn replace(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((layer, id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let id = parse_id(&id)?;
    let expected = if_match(&headers)?;
    let l = st.catalog.layer(&layer)?;
    st.catalog.get(&layer, id)?;
    let (geometry, props) = feature_parts(&body)?;
    let draft = validate(&l.def, geometry, &props)?;
    let f = st.catalog.replace(&layer, id, expected, draft).await?;
    tracing::info!(target: "audit", user = %caller.user, role = %caller.role, layer = %layer, id, version = f.version, "replace");
    Ok(written(StatusCode::OK, &f, None))
}

/// The feature's properties as a client sees them, secondary geometries included.
fn current_properties(f: &Feature) -> Map<String, Value> {
    let mut m = f.properties.clone();
    for (k, g) in &f.geometries {
        m.insert(k.clone(), geometry_json(Some(g)));
    }
    m
}

/// RFC 7396: `null` removes a member, objects merge, anything else replaces.
fn merge_patch(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (k, v) in patch {
        if v.is_null() {
            target.remove(k);
        } else {
            target.insert(k.clone(), v.clone());
        }
    }
}

/// `PATCH /collections/{layer}/items/{id}`: a JSON merge patch of a Feature; only
/// the named properties change, and `geometry` only if given.
pub async fn patch(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((layer, id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    let id = parse_id(&id)?;
    let expected = if_match(&headers)?;
    let l = st.catalog.layer(&layer)?;
    let obj = body
        .as_object()
        .ok_or_else(|| Problem::invalid(vec![Issue::new("", "a merge patch must be a JSON object")]))?;
    let patch_props = match obj.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(Problem::invalid(vec![Issue::new("properties", "must be an object")])),
    };
    for _ in 0..PATCH_RETRIES {
        let cur = st.catalog.get(&layer, id)?;
        if let Some(v) = expected
            && v != cur.version
        {
            return Err(StoreError::VersionMismatch {
                id,
                expected: v,
                current: cur.version,
            }
            .into());
        }
        let mut props = current_properties(&cur);
        merge_patch(&mut props, &patch_props);
        let cur_geom = geometry_json(cur.geometry.as_ref());
        let geometry = obj.get("geometry").unwrap_or(&cur_geom);
        let draft = validate(&l.def, Some(geometry), &props)?;
        match st.catalog.replace(&layer, id, Some(cur.version), draft).await {
            Ok(f) => {
                tracing::info!(target: "audit", user = %caller.user, role = %caller.role, layer = %layer, id, version = f.version, "patch");
                return Ok(written(StatusCode::OK, &f, None));
            }
            // Someone else wrote in between: merge again onto their version,
            // unless the client pinned a version.
            Err(CatalogError::Store(StoreError::VersionMismatch { .. })) if expected.is_none() => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Problem::new(StatusCode::CONFLICT, "busy-feature", "Conflict")
        .detail(format!("feature {id} kept changing while the patch was applied; retry")))
}

/// `DELETE /collections/{layer}/items/{id}`: 204.
pub async fn delete(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((layer, id)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    let id = parse_id(&id)?;
    let expected = if_match(&headers)?;
    st.catalog.delete(&layer, id, expected).await?;
    tracing::info!(target: "audit", user = %caller.user, role = %caller.role, layer = %layer, id, "delete");
    Ok(StatusCode::NO_CONTENT)
}
