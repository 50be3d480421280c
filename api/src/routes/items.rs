//! Reading features: `GET /collections/{layer}/items[/{id}]`.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use geo::Rect;
use onemap_spatial::LayerDef;
use onemap_spatial::cql2::{self, Filter};
use onemap_spatial::geojson_out::feature_json;
use onemap_spatial::items::{ItemQuery, filter_value};
use serde_json::{Value, json};

use onemap_coord::{Crs, Transformer};

use crate::caller::Caller;
use crate::coords::{STORE_CRS, convert_bbox, convert_geojson, parse_crs};
use crate::extract::{Path, Query};
use crate::problem::Problem;
use crate::state::AppState;

/// Page size when the client names none, and the most one page may hold.
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 10_000;

/// Parses `minx,miny,maxx,maxy`.
pub fn parse_bbox(s: &str) -> Result<Rect<f64>, Problem> {
    let n: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            Problem::bad_request(format!(
                "bbox `{s}` is not four numbers minx,miny,maxx,maxy"
            ))
        })?;
    match n.as_slice() {
        [x0, y0, x1, y1] if n.iter().all(|v| v.is_finite()) && x0 <= x1 && y0 <= y1 => {
            Ok(Rect::new((*x0, *y0), (*x1, *y1)))
        }
        _ => Err(Problem::bad_request(format!(
            "bbox `{s}` must be four finite numbers with minx <= maxx and miny <= maxy"
        ))),
    }
}

fn parse_count(name: &str, v: &str) -> Result<usize, Problem> {
    v.parse()
        .map_err(|_| Problem::bad_request(format!("{name} `{v}` is not a non-negative integer")))
}

/// A `{property}={value}` query parameter as an equality filter, typed by the schema; a
/// name that is no property is an unknown parameter.
pub fn equality_filter(def: &LayerDef, name: &str, v: &str) -> Result<(String, Value), Problem> {
    let p = def.property(name).ok_or_else(|| {
        Problem::bad_request(format!(
            "unknown parameter `{name}`: not a property of layer `{}`",
            def.id
        ))
    })?;
    let value = filter_value(p, v).map_err(|m| Problem::bad_request(format!("{name}: {m}")))?;
    Ok((name.to_string(), value))
}

/// A CQL2-text `filter`, checked against the layer; the problem names the column.
pub fn parse_filter(text: &str, def: &LayerDef) -> Result<Filter, Problem> {
    cql2::parse(text, def).map_err(|e| {
        Problem::bad_request(format!("filter: {e}"))
            .with("parameter", "filter")
            .with("column", e.column)
    })
}

/// The ETag of a feature: its version, which grows with every committed change.
pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits are a valid header")
}

/// `GET /collections/{layer}/items`.
#[utoipa::path(get, path = "/collections/{layer}/items", tag = "layers", params(("layer" = String, Path, description = "A layer id", example = "districts"), ("bbox" = Option<String>, Query, description = "min_x,min_y,max_x,max_y in `bbox-crs`"), ("bbox-crs" = Option<String>, Query, description = "The CRS of `bbox` (default cgcs2000)"), ("crs" = Option<String>, Query, description = "The CRS of the coordinates: wgs84, cgcs2000 (default), gcj02, bd09, bd09mc, sh2000, webmercator or EPSG:<code>"), ("limit" = Option<u64>, Query, description = "Page size (default 100, at most 10,000)"), ("offset" = Option<u64>, Query, description = "Features to skip"), ("f" = Option<String>, Query, description = "json or geojson"), ("filter" = Option<String>, Query, description = "A CQL2-text filter"), ("filter-lang" = Option<String>, Query, description = "cql2-text (the only one)")), responses((status = 200, description = "A page of features; any other `{property}={value}` parameter filters by equality", body = crate::openapi::FeatureCollection, content_type = "application/geo+json"), crate::openapi::Problems))]
pub async fn list(
    State(st): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    Path(layer): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let l = st.catalog.layer(&layer)?;
    let mut q = ItemQuery {
        limit: DEFAULT_LIMIT,
        ..Default::default()
    };
    let (mut crs, mut bbox_crs) = (STORE_CRS, STORE_CRS);
    for (k, v) in &params {
        match k.as_str() {
            "bbox" => q.bbox = Some(parse_bbox(v)?),
            "crs" => crs = parse_crs("crs", v)?,
            "bbox-crs" => bbox_crs = parse_crs("bbox-crs", v)?,
            "limit" => q.limit = parse_count("limit", v)?.min(MAX_LIMIT),
            "offset" => q.offset = parse_count("offset", v)?,
            "f" if v == "json" || v == "geojson" => {}
            "filter" => {
                if l.in_database() {
                    return Err(Problem::bad_request(format!(
                        "layer `{layer}` is served from the database; `filter` needs the in-memory index"
                    )));
                }
                q.cql = Some(parse_filter(v, &l.def)?);
            }
            "filter-lang" if v == "cql2-text" => {}
            name => q.filters.push(equality_filter(&l.def, name, v)?),
        }
    }
    if let Some(b) = q.bbox.filter(|_| bbox_crs != STORE_CRS) {
        q.bbox = Some(convert_bbox(
            &st.coords.transformer(bbox_crs, STORE_CRS)?,
            b,
        )?);
    }
    let page = st.catalog.query(&layer, &q).await?;
    let mut features: Vec<Value> = page.features.iter().map(|f| feature_json(f)).collect();
    let out = output_crs(&st, crs)?;
    if let Some(t) = &out {
        features
            .iter_mut()
            .try_for_each(|f| convert_geojson(t, f))?;
    }
    let base = format!("{}/collections/{layer}/items", st.base_url(&headers));
    let link = |offset: usize| {
        let mut ps: Vec<(String, String)> = params
            .iter()
            .filter(|(k, _)| k != "offset")
            .cloned()
            .collect();
        ps.push(("offset".into(), offset.to_string()));
        format!(
            "{base}?{}",
            serde_urlencoded::to_string(&ps).unwrap_or_default()
        )
    };
    let mut links =
        vec![json!({"href": link(q.offset), "rel": "self", "type": "application/geo+json"})];
    if q.offset + page.features.len() < page.matched && q.limit > 0 {
        links.push(json!({"href": link(q.offset + page.features.len()), "rel": "next", "type": "application/geo+json"}));
    }
    let body = json!({
        "type": "FeatureCollection",
        "numberMatched": page.matched,
        "numberReturned": page.features.len(),
        "features": features,
        "links": links,
    });
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/geo+json"),
            ),
            content_crs(crs),
        ],
        body.to_string(),
    )
        .into_response())
}

/// The transformer from the store's CRS to `crs`, or None when they are the same.
pub fn output_crs(st: &AppState, crs: Crs) -> Result<Option<Transformer>, Problem> {
    (crs != STORE_CRS)
        .then(|| st.coords.transformer(STORE_CRS, crs))
        .transpose()
        .map_err(Problem::from)
}

/// The `Content-Crs` header (OGC API – Features Part 2) naming the CRS of a response.
pub fn content_crs(crs: Crs) -> (header::HeaderName, HeaderValue) {
    let v = HeaderValue::from_str(&crs.to_string()).unwrap_or(HeaderValue::from_static("unknown"));
    (header::HeaderName::from_static("content-crs"), v)
}

/// Reads the optional `crs` query parameter.
pub fn crs_param(params: &[(String, String)]) -> Result<Crs, Problem> {
    params
        .iter()
        .find(|(k, _)| k == "crs")
        .map(|(_, v)| parse_crs("crs", v))
        .unwrap_or(Ok(STORE_CRS))
}

/// `GET /collections/{layer}/items/{id}`.
#[utoipa::path(get, path = "/collections/{layer}/items/{id}", tag = "layers", params(("layer" = String, Path, description = "A layer id", example = "districts"), ("id" = String, Path, description = "A feature id (an integer)"), ("crs" = Option<String>, Query, description = "The CRS of the coordinates: wgs84, cgcs2000 (default), gcj02, bd09, bd09mc, sh2000, webmercator or EPSG:<code>")), responses((status = 200, description = "The feature", body = crate::openapi::Feature, content_type = "application/geo+json", headers(("ETag" = String, description = "The feature version"))), crate::openapi::Problems))]
pub async fn one(
    State(st): State<AppState>,
    _caller: Caller,
    Path((layer, id)): Path<(String, String)>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let crs = crs_param(&params)?;
    let id = parse_id(&id)?;
    let f = st.catalog.fetch(&layer, id).await?;
    let mut body = feature_json(&f);
    if let Some(t) = output_crs(&st, crs)? {
        convert_geojson(&t, &mut body)?;
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/geo+json"),
            ),
            (header::ETAG, etag(f.version)),
            content_crs(crs),
        ],
        body.to_string(),
    )
        .into_response())
}

/// Feature ids are integers; anything else cannot name a feature.
pub fn parse_id(s: &str) -> Result<i64, Problem> {
    s.parse()
        .map_err(|_| Problem::not_found(format!("`{s}` is not a feature id (ids are integers)")))
}
