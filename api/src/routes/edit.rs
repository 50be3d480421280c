//! Writing features: POST, PUT, PATCH (JSON merge patch) and DELETE with optimistic concurrency.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onemap_coord::Crs;
use onemap_spatial::geojson_out::{feature_json, geometry_json, properties_json};
use onemap_spatial::validate::{Issue, validate_feature};
use onemap_spatial::{CatalogError, Draft, Feature, LayerDef, StoreError};
use serde_json::{Map, Value};

use crate::caller::Caller;
use crate::coords::{STORE_CRS, convert_geojson, parse_crs};
use crate::extract::{JsonBody, Path, Query};
use crate::problem::{Problem, ProblemType};
use crate::routes::items::{content_crs, crs_param, etag, output_crs, parse_id};
use crate::routes::{dedup, geofill};
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
    let obj = body.as_object().ok_or_else(|| {
        Problem::invalid(vec![Issue::new(
            "",
            "the body must be a GeoJSON Feature object",
        )])
    })?;
    if obj.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(Problem::invalid(vec![Issue::new(
            "type",
            "must be \"Feature\"",
        )]));
    }
    let props = match obj.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err(Problem::invalid(vec![Issue::new(
                "properties",
                "must be an object or null",
            )]));
        }
    };
    Ok((obj.get("geometry"), props))
}

fn validate(
    def: &LayerDef,
    geometry: Option<&Value>,
    props: &Map<String, Value>,
) -> Result<Draft, Problem> {
    validate_feature(def, geometry, props).map_err(Problem::invalid)
}

/// The CRS a write's coordinates are in (the `crs` parameter, or a `"crs"` member of the
/// body); converts the body's geometries to the store's CRS in place.
pub(crate) fn input_crs(
    st: &AppState,
    params: &[(String, String)],
    body: &mut Value,
) -> Result<Crs, Problem> {
    let mut crs = crs_param(params)?;
    if let Some(c) = body.as_object_mut().and_then(|o| o.remove("crs")) {
        crs = parse_crs(
            "crs",
            c.as_str()
                .ok_or_else(|| Problem::bad_request("`crs` must be a string"))?,
        )?;
    }
    if crs != STORE_CRS {
        convert_geojson(&st.coords.transformer(crs, STORE_CRS)?, body)?;
    }
    Ok(crs)
}

/// The response to a write, in the CRS the client wrote in, with foreign members (such as the
/// duplicate check's outcome or how the point was geocoded).
fn written(
    st: &AppState,
    status: StatusCode,
    f: &Feature,
    location: Option<String>,
    crs: Crs,
    extra: Vec<(&str, Value)>,
) -> Result<Response, Problem> {
    let mut body = feature_json(f);
    if let Some(t) = output_crs(st, crs)? {
        convert_geojson(&t, &mut body)?;
    }
    if let Some(o) = body.as_object_mut() {
        for (k, v) in extra {
            o.insert(k.to_string(), v);
        }
    }
    let mut r = (status, body.to_string()).into_response();
    let h = r.headers_mut();
    let (name, value) = content_crs(crs);
    h.insert(name, value);
    h.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/geo+json"),
    );
    h.insert(header::ETAG, etag(f.version));
    if let Some(l) = location.and_then(|l| header::HeaderValue::from_str(&l).ok()) {
        h.insert(header::LOCATION, l);
    }
    Ok(r)
}

/// `POST /collections/{layer}/items`: 201 with the stored feature and its Location.
#[utoipa::path(post, path = "/collections/{layer}/items", tag = "layers", params(("layer" = String, Path, description = "A layer id"), ("crs" = Option<String>, Query, description = "The CRS of the coordinates: wgs84, cgcs2000 (default), gcj02, bd09, bd09mc, sh2000, webmercator or EPSG:<code>"), ("geocode" = Option<String>, Query, description = "true: a feature without geometry gets the point its address geocodes to")), request_body(content = crate::openapi::Feature, content_type = "application/json", description = "A GeoJSON Feature (any Content-Type is read as JSON); a `crs` member overrides the parameter"), responses((status = 201, description = "The stored feature", body = crate::openapi::Feature, content_type = "application/geo+json", headers(("ETag" = String, description = "The feature version"), ("Location" = String, description = "The feature's URL"))), crate::openapi::Problems))]
pub async fn create(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(layer): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
    JsonBody(mut body): JsonBody,
) -> Result<Response, Problem> {
    let l = st.catalog.layer(&layer)?;
    let crs = input_crs(&st, &params, &mut body)?;
    let geocoded = geocode_missing_point(&st, &l.def, &params, &mut body).await?;
    let (geometry, props) = feature_parts(&body)?;
    let draft = validate(&l.def, geometry, &props)?;
    let dedup = dedup::on_create(&st, l, &params, &draft)?;
    let f = st.catalog.create(&layer, vec![draft]).await?.remove(0);
    tracing::info!(target: "audit", user = %caller.user, role = %caller.role, layer = %layer, id = f.id, "create");
    let loc = format!(
        "{}/collections/{layer}/items/{}",
        st.base_url(&headers),
        f.id
    );
    let extra = dedup
        .map(|o| ("dedup", serde_json::to_value(o).unwrap_or_default()))
        .into_iter()
        .chain(geocoded)
        .collect();
    written(&st, StatusCode::CREATED, &f, Some(loc), crs, extra)
}

/// `PUT /collections/{layer}/items/{id}`: replaces geometry and all properties.
#[utoipa::path(put, path = "/collections/{layer}/items/{id}", tag = "layers", params(("layer" = String, Path, description = "A layer id"), ("id" = String, Path, description = "A feature id (an integer)"), ("crs" = Option<String>, Query, description = "The CRS of the coordinates: wgs84, cgcs2000 (default), gcj02, bd09, bd09mc, sh2000, webmercator or EPSG:<code>"), ("If-Match" = Option<String>, Header, description = "The version the change is based on")), request_body(content = crate::openapi::Feature, content_type = "application/json", description = "The whole new feature"), responses((status = 200, description = "The stored feature", body = crate::openapi::Feature, content_type = "application/geo+json", headers(("ETag" = String, description = "The feature version"))), crate::openapi::Problems))]
pub async fn replace(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((layer, id)): Path<(String, String)>,
    Query(params): Query<Vec<(String, String)>>,
    JsonBody(mut body): JsonBody,
) -> Result<Response, Problem> {
    let id = parse_id(&id)?;
    let expected = if_match(&headers)?;
    let l = st.catalog.layer(&layer)?;
    st.catalog.fetch(&layer, id).await?;
    let crs = input_crs(&st, &params, &mut body)?;
    let geocoded = geocode_missing_point(&st, &l.def, &params, &mut body).await?;
    let (geometry, props) = feature_parts(&body)?;
    let draft = validate(&l.def, geometry, &props)?;
    let f = st.catalog.replace(&layer, id, expected, draft).await?;
    tracing::info!(target: "audit", user = %caller.user, role = %caller.role, layer = %layer, id, version = f.version, "replace");
    written(
        &st,
        StatusCode::OK,
        &f,
        None,
        crs,
        geocoded.into_iter().collect(),
    )
}

/// With `geocode=true`, fills a missing geometry from the `address` property (see
/// [`geofill`]); the `geocoded` member to answer with.
async fn geocode_missing_point(
    st: &AppState,
    def: &LayerDef,
    params: &[(String, String)],
    body: &mut Value,
) -> Result<Option<(&'static str, Value)>, Problem> {
    if !geofill::wanted(params)? {
        return Ok(None);
    }
    let gz = geofill::gazetteer(st).await?;
    Ok(geofill::fill_feature(&gz, def, body)?
        .map(|f| ("geocoded", serde_json::to_value(f).unwrap_or_default())))
}

/// RFC 7396 on the properties: `null` removes a member, any other value replaces it
/// (a geometry property is replaced whole, never merged member by member).
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
#[utoipa::path(patch, path = "/collections/{layer}/items/{id}", tag = "layers", params(("layer" = String, Path, description = "A layer id"), ("id" = String, Path, description = "A feature id (an integer)"), ("crs" = Option<String>, Query, description = "The CRS of the coordinates: wgs84, cgcs2000 (default), gcj02, bd09, bd09mc, sh2000, webmercator or EPSG:<code>"), ("If-Match" = Option<String>, Header, description = "The version the change is based on")), request_body(content = crate::openapi::Feature, content_type = "application/json", description = "A JSON merge patch of the feature: only the named properties change, and `geometry` only if given"), responses((status = 200, description = "The stored feature", body = crate::openapi::Feature, content_type = "application/geo+json", headers(("ETag" = String, description = "The feature version"))), crate::openapi::Problems))]
pub async fn patch(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((layer, id)): Path<(String, String)>,
    Query(params): Query<Vec<(String, String)>>,
    JsonBody(mut body): JsonBody,
) -> Result<Response, Problem> {
    let id = parse_id(&id)?;
    let expected = if_match(&headers)?;
    let l = st.catalog.layer(&layer)?;
    let crs = input_crs(&st, &params, &mut body)?;
    // With geocode=true, a new address without a new geometry moves the point to it.
    let gz = match geofill::wanted(&params)? {
        true => Some(geofill::gazetteer(&st).await?),
        false => None,
    };
    let obj = body.as_object().ok_or_else(|| {
        Problem::invalid(vec![Issue::new("", "a merge patch must be a JSON object")])
    })?;
    let patch_props = match obj.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err(Problem::invalid(vec![Issue::new(
                "properties",
                "must be an object",
            )]));
        }
    };
    for _ in 0..PATCH_RETRIES {
        let cur = st.catalog.fetch(&layer, id).await?;
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
        let mut props = properties_json(&cur);
        merge_patch(&mut props, &patch_props);
        let mut geometry = obj
            .get("geometry")
            .cloned()
            .unwrap_or_else(|| geometry_json(cur.geometry.as_ref()));
        let mut geocoded = Vec::new();
        if let Some(gz) = &gz
            && patch_props.contains_key("address")
            && !obj.contains_key("geometry")
        {
            let mut moved = Some(Value::Null);
            let f = onemap_geocode::fill::fill(gz, &l.def, &mut moved, &mut props)
                .map_err(geofill::failed)?;
            geometry = moved.unwrap_or(geometry);
            geocoded.extend(f.map(|f| ("geocoded", serde_json::to_value(f).unwrap_or_default())));
        }
        let draft = validate(&l.def, Some(&geometry), &props)?;
        match st
            .catalog
            .replace(&layer, id, Some(cur.version), draft)
            .await
        {
            Ok(f) => {
                tracing::info!(target: "audit", user = %caller.user, role = %caller.role, layer = %layer, id, version = f.version, "patch");
                return written(&st, StatusCode::OK, &f, None, crs, geocoded);
            }
            // Someone else wrote in between: merge again onto their version,
            // unless the client pinned a version.
            Err(CatalogError::Store(StoreError::VersionMismatch { .. })) if expected.is_none() => {
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Problem::new(ProblemType::BusyFeature).detail(format!(
        "feature {id} kept changing while the patch was applied; retry"
    )))
}

/// `DELETE /collections/{layer}/items/{id}`: 204.
#[utoipa::path(delete, path = "/collections/{layer}/items/{id}", tag = "layers", params(("layer" = String, Path, description = "A layer id"), ("id" = String, Path, description = "A feature id (an integer)"), ("If-Match" = Option<String>, Header, description = "The version the deletion is based on")), responses((status = 204, description = "Deleted"), crate::openapi::Problems))]
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
