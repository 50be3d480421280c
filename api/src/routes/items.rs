//! Reading features: `GET /collections/{layer}/items[/{id}]`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use geo::Rect;
use onemap_spatial::geojson_out::feature_json;
use onemap_spatial::query::{ItemQuery, filter_value};
use serde_json::{Value, json};

use crate::caller::Caller;
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
        .map_err(|_| Problem::bad_request(format!("bbox `{s}` is not four numbers minx,miny,maxx,maxy")))?;
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

/// The ETag of a feature: its version, which grows with every committed change.
pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits are a valid header")
}

/// `GET /collections/{layer}/items`.
pub async fn list(
    State(st): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    Path(layer): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(params) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    let l = st.catalog.layer(&layer)?;
    let mut q = ItemQuery {
        limit: DEFAULT_LIMIT,
        ..Default::default()
    };
    for (k, v) in &params {
        match k.as_str() {
            "bbox" => q.bbox = Some(parse_bbox(v)?),
            "limit" => q.limit = parse_count("limit", v)?.min(MAX_LIMIT),
            "offset" => q.offset = parse_count("offset", v)?,
            "f" if v == "json" || v == "geojson" => {}
            name => {
                let p = l.def.property(name).ok_or_else(|| {
                    Problem::bad_request(format!("unknown parameter `{name}`: not a property of layer `{layer}`"))
                })?;
                let value = filter_value(p, v).map_err(|m| Problem::bad_request(format!("{name}: {m}")))?;
                q.filters.push((name.to_string(), value));
            }
        }
    }
    let page = l.read(|ix| ix.query(&q));
    let base = format!("{}/collections/{layer}/items", st.base_url(&headers));
    let link = |offset: usize| {
        let mut ps: Vec<(String, String)> = params.iter().filter(|(k, _)| k != "offset").cloned().collect();
        ps.push(("offset".into(), offset.to_string()));
        format!("{base}?{}", serde_urlencoded::to_string(&ps).unwrap_or_default())
    };
    let mut links = vec![json!({"href": link(q.offset), "rel": "self", "type": "application/geo+json"})];
    if q.offset + page.features.len() < page.matched && q.limit > 0 {
        links.push(json!({"href": link(q.offset + page.features.len()), "rel": "next", "type": "application/geo+json"}));
    }
    let body = json!({
        "type": "FeatureCollection",
        "numberMatched": page.matched,
        "numberReturned": page.features.len(),
        "features": page.features.iter().map(|f| feature_json(f)).collect::<Vec<Value>>(),
        "links": links,
    });
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body.to_string()).into_response())
}

/// `GET /collections/{layer}/items/{id}`.
pub async fn one(
    State(st): State<AppState>,
    _caller: Caller,
    Path((layer, id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let id = parse_id(&id)?;
    let f = st.catalog.get(&layer, id)?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/geo+json")),
            (header::ETAG, etag(f.version)),
        ],
        feature_json(&f).to_string(),
    )
        .into_response())
}

/// Feature ids are integers; anything else cannot name a feature.
pub fn parse_id(s: &str) -> Result<i64, Problem> {
    s.parse()
        .map_err(|_| Problem::not_found(format!("`{s}` is not a feature id (ids are integers)")))
}
