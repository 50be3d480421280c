//! Geocoding over the server's own gazetteer (issue #5):
//!
//! - `GET /geocode?address=&crs=&limit=&upstream=auto|always|never` → ranked candidates;
//! - `POST /geocode[?crs=]` with `{"addresses": ["…" | {"id", "address"}, …]}` or CSV (`address`
//!   column, optional `id`), up to 100,000 → the best candidate per row (CSV back when asked with
//!   `Accept: text/csv`); batches never ask the upstream providers (their quotas are small);
//! - `GET /geocode/fused?address=` → Shanghai 2000 east/north, CGCS2000 lon/lat, the standard
//!   address and its district and township codes: what other systems call;
//! - `GET /reverse?x=&y=&crs=&radius_m=` and `POST /reverse` with `{"points": [[x, y], …]}` →
//!   the structured address of a point.
//!
//! Inputs that cannot be an address (empty, punctuation only, a pasted document, another city)
//! answer 200 with no candidates and a `reason`; malformed requests are 4xx problems.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use onemap_coord::{Crs, Transformer};
use onemap_geocode::forward::Candidate;
use onemap_geocode::gazetteer::Gazetteer;
use onemap_geocode::reverse::{Reverse, reverse};
use onemap_geocode::service::{self, AskUpstream, Forward};
use serde_json::{Map, Value, json};

use crate::caller::Caller;
use crate::coords::{STORE_CRS, parse_crs, problem};
use crate::extract::{JsonBody, Query, RawBody};
use crate::problem::{Problem, ProblemType};
use crate::state::AppState;

/// Most addresses or points one batch may carry.
pub const MAX_BATCH: usize = 100_000;
/// Room for a full batch of long addresses.
pub const BODY_LIMIT: usize = 32 << 20;
const DEFAULT_LIMIT: usize = 5;
const MAX_LIMIT: usize = 50;
const DEFAULT_RADIUS_M: f64 = 50.0;
const MAX_RADIUS_M: f64 = 5_000.0;

/// Query parameters by name (the last wins).
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn required(&self, name: &str) -> Result<&str, Problem> {
        self.get(name).ok_or_else(|| {
            Problem::bad_request(format!("`{name}` is required")).with("parameter", name)
        })
    }

    fn crs(&self) -> Result<Crs, Problem> {
        self.get("crs")
            .map_or(Ok(STORE_CRS), |v| parse_crs("crs", v))
    }

    fn limit(&self) -> Result<usize, Problem> {
        match self.get("limit") {
            None => Ok(DEFAULT_LIMIT),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
                _ => Err(Problem::bad_request(format!(
                    "limit `{v}` must be an integer in 1..={MAX_LIMIT}"
                ))),
            },
        }
    }

    fn upstream(&self) -> Result<AskUpstream, Problem> {
        match self.get("upstream") {
            None | Some("auto") => Ok(AskUpstream::Auto),
            Some("always") => Ok(AskUpstream::Always),
            Some("never") => Ok(AskUpstream::Never),
            Some(v) => Err(Problem::bad_request(format!(
                "upstream `{v}`: expected auto, always or never"
            ))),
        }
    }

    fn radius(&self) -> Result<f64, Problem> {
        let Some(v) = self.get("radius_m") else {
            return Ok(DEFAULT_RADIUS_M);
        };
        match v.parse::<f64>() {
            Ok(r) if r > 0.0 && r <= MAX_RADIUS_M => Ok(r),
            _ => Err(Problem::bad_request(format!(
                "radius_m `{v}` must be a number of metres in (0, {MAX_RADIUS_M}]"
            ))),
        }
    }

    fn number(&self, name: &str) -> Result<f64, Problem> {
        self.required(name)?
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| Problem::bad_request(format!("`{name}` is not a finite number")))
    }
}

/// The current gazetteer, off the async workers (it may be rebuilding after an edit).
async fn gazetteer(st: &AppState) -> Result<Arc<Gazetteer>, Problem> {
    let st = st.clone();
    blocking(move || st.geocoder.gazetteer(&st.catalog)).await
}

/// Runs CPU-bound geocoding on the blocking pool; a panic there is a bug, answered as a 500.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        tracing::error!(error = %e, "geocoding task failed");
        Problem::new(ProblemType::InternalError).detail(format!("geocoding failed: {e}"))
    })
}

/// A candidate with its point as `x`, `y` in `t.to()`.
fn candidate_json(c: &Candidate, t: &Transformer) -> Result<Value, Problem> {
    let (x, y) = t.convert(c.lon, c.lat).map_err(problem)?;
    let Value::Object(mut m) = serde_json::to_value(c).unwrap_or_default() else {
        return Ok(Value::Null);
    };
    m.remove("lon");
    m.remove("lat");
    let mut out = Map::new();
    out.insert("level".into(), m.remove("level").unwrap_or_default());
    out.insert("x".into(), x.into());
    out.insert("y".into(), y.into());
    out.insert("crs".into(), t.to().to_string().into());
    out.extend(m);
    Ok(Value::Object(out))
}

fn forward_json(f: &Forward, t: &Transformer) -> Result<Value, Problem> {
    let candidates = f
        .candidates
        .iter()
        .map(|c| candidate_json(c, t))
        .collect::<Result<Vec<_>, _>>()?;
    let mut v = serde_json::to_value(f).unwrap_or_default();
    v["candidates"] = Value::Array(candidates);
    Ok(v)
}

/// `GET /geocode?address=…`: `{"address", "parsed", "candidates": [{"level", "x", "y", "crs",
/// "confidence", "standard_address", "district_code", "district_name", "township_code",
/// "township_name", "feature", "source", "warnings"}], "reason"?, "upstream_errors"?}`.
#[utoipa::path(get, path = "/geocode", tag = "geocoding", params(("address" = String, Query, description = "The address", example = "浦东新区世纪大道100号"), ("limit" = Option<usize>, Query, description = "Most candidates"), ("crs" = Option<String>, Query, description = "The CRS of the coordinates: wgs84, cgcs2000 (default), gcj02, bd09, bd09mc, sh2000, webmercator or EPSG:<code>"), ("upstream" = Option<bool>, Query, description = "Also ask the upstream geocoders")), responses((status = 200, description = "The parsed address and its candidates, or a reason", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn geocode_one(
    State(st): State<AppState>,
    _caller: Caller,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Json<Value>, Problem> {
    let p = Params(q);
    let (address, limit, upstream) = (
        p.required("address")?.to_string(),
        p.limit()?,
        p.upstream()?,
    );
    let t = st.coords.transformer(STORE_CRS, p.crs()?)?;
    let gz = gazetteer(&st).await?;
    let g = gz.clone();
    let mut f = blocking(move || service::geocode(&g, &address, limit)).await?;
    st.geocoder.ask_upstream(&gz, &mut f, upstream).await;
    Ok(Json(forward_json(&f, &t)?))
}

/// `GET /geocode/fused?address=…`, the interface other systems call: `{"address", "matched",
/// "standard_address", "x_sh2000" (east, m), "y_sh2000" (north, m), "lon", "lat" (CGCS2000),
/// "district_code", "district_name", "township_code", "township_name", "level", "confidence",
/// "source", "warnings", "reason"?}` for the best candidate; `matched: false` with a reason when
/// there is none.
#[utoipa::path(get, path = "/geocode/fused", tag = "geocoding", params(("address" = String, Query, description = "The address"), ("upstream" = Option<bool>, Query, description = "Also ask the upstream geocoders")), responses((status = 200, description = "The best candidate in Shanghai 2000 and CGCS2000, or `matched: false` with a reason", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn fused(
    State(st): State<AppState>,
    _caller: Caller,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Json<Value>, Problem> {
    let p = Params(q);
    let (address, upstream) = (p.required("address")?.to_string(), p.upstream()?);
    let sh2000 = st.coords.transformer(STORE_CRS, Crs::Sh2000)?;
    let gz = gazetteer(&st).await?;
    let g = gz.clone();
    let mut f = blocking(move || service::geocode(&g, &address, 1)).await?;
    st.geocoder.ask_upstream(&gz, &mut f, upstream).await;
    let Some(c) = f.candidates.first() else {
        return Ok(Json(json!({
            "address": f.address, "matched": false, "reason": f.reason,
        })));
    };
    let (east, north) = sh2000.convert(c.lon, c.lat).map_err(problem)?;
    Ok(Json(json!({
        "address": f.address,
        "matched": true,
        "standard_address": c.standard_address,
        "x_sh2000": east,
        "y_sh2000": north,
        "lon": c.lon,
        "lat": c.lat,
        "district_code": c.district_code,
        "district_name": c.district_name,
        "township_code": c.township_code,
        "township_name": c.township_name,
        "level": c.level,
        "confidence": c.confidence,
        "source": c.source,
        "warnings": c.warnings,
    })))
}

/// One row of a batch.
struct Row {
    id: Option<String>,
    address: Option<String>,
    /// Why the row could not be read.
    error: Option<String>,
}

fn too_many(n: usize) -> Problem {
    Problem::bad_request(format!("{n} rows in one batch; at most {MAX_BATCH}"))
}

fn is_csv(headers: &HeaderMap, name: header::HeaderName) -> bool {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"))
}

/// CSV rows: an `address` (or `地址`) column, optionally an `id` column.
fn csv_rows(body: &[u8]) -> Result<Vec<Row>, Problem> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(body);
    let heads = rdr
        .headers()
        .map_err(|e| Problem::bad_request(format!("CSV header: {e}")))?
        .clone();
    let col = |names: &[&str]| {
        heads
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let a = col(&["address", "地址"])
        .ok_or_else(|| Problem::bad_request("CSV needs an `address` column"))?;
    let id = col(&["id"]);
    let mut rows = Vec::new();
    for r in rdr.records() {
        if rows.len() == MAX_BATCH {
            return Err(too_many(MAX_BATCH + 1));
        }
        rows.push(match r {
            Ok(r) => Row {
                id: id.and_then(|i| r.get(i)).map(str::to_string),
                address: r.get(a).map(str::to_string),
                error: None,
            },
            Err(e) => Row {
                id: None,
                address: None,
                error: Some(format!("unreadable CSV row: {e}")),
            },
        });
    }
    Ok(rows)
}

/// JSON rows: `{"addresses": ["…" | {"id": …, "address": "…"}, …]}`.
fn json_rows(body: &[u8]) -> Result<Vec<Row>, Problem> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| Problem::new(ProblemType::MalformedJson).detail(e.to_string()))?;
    let items = v["addresses"].as_array().ok_or_else(|| {
        Problem::bad_request("expected {\"addresses\": [\"…\" | {\"id\", \"address\"}, …]} or CSV")
    })?;
    if items.len() > MAX_BATCH {
        return Err(too_many(items.len()));
    }
    Ok(items
        .iter()
        .map(|i| {
            let address = i.as_str().or(i["address"].as_str()).map(str::to_string);
            let id = match &i["id"] {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            };
            let error = address
                .is_none()
                .then(|| "expected a string or an object with an `address` string".to_string());
            Row { id, address, error }
        })
        .collect())
}

/// The best candidate of each row as a flat record.
fn batch_results(gz: &Gazetteer, rows: Vec<Row>, t: &Transformer) -> Vec<Map<String, Value>> {
    rows.into_iter()
        .map(|r| {
            let mut m = Map::new();
            if let Some(id) = r.id {
                m.insert("id".into(), id.into());
            }
            let f = r.address.as_deref().map(|a| service::geocode(gz, a, 1));
            m.insert("address".into(), r.address.unwrap_or_default().into());
            let best = f.as_ref().and_then(|f| f.candidates.first());
            match best.map(|c| candidate_json(c, t)) {
                Some(Ok(Value::Object(c))) => m.extend(c),
                Some(Err(_)) => {
                    let reason = format!("the point cannot be given in {}", t.to());
                    m.insert("reason".into(), reason.into());
                }
                _ => {
                    let reason = r.error.or_else(|| f.and_then(|f| f.reason));
                    m.insert("reason".into(), reason.into());
                }
            }
            m
        })
        .collect()
}

/// Columns of a CSV batch answer.
const CSV_COLUMNS: [&str; 13] = [
    "id",
    "address",
    "level",
    "x",
    "y",
    "crs",
    "confidence",
    "standard_address",
    "district_code",
    "district_name",
    "township_code",
    "township_name",
    "reason",
];

fn csv_answer(results: &[Map<String, Value>]) -> Result<Response, Problem> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Problem::bad_request(e.to_string());
    w.write_record(CSV_COLUMNS).map_err(fail)?;
    for r in results {
        w.write_record(CSV_COLUMNS.map(|c| match r.get(c) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        }))
        .map_err(fail)?;
    }
    let out = w
        .into_inner()
        .map_err(|e| Problem::bad_request(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response())
}

/// `POST /geocode`: a batch, JSON or CSV in; `{"crs", "count", "matched", "results": [{"id"?,
/// "address", "level", "x", "y", … | "reason"}]}` or CSV (with `Accept: text/csv`) out.
#[utoipa::path(post, path = "/geocode", tag = "geocoding", params(("crs" = Option<String>, Query, description = "The CRS of the coordinates: wgs84, cgcs2000 (default), gcj02, bd09, bd09mc, sh2000, webmercator or EPSG:<code>")), request_body(description = "`{addresses: [\"…\" | {id, address}, …]}`, or CSV with an address column", content((crate::openapi::JsonObject = "application/json"), (crate::openapi::Text = "text/csv"))), responses((status = 200, description = "One result per address, JSON or (with Accept: text/csv) CSV", content((crate::openapi::JsonObject = "application/json"), (crate::openapi::Text = "text/csv"))), crate::openapi::Problems))]
pub async fn geocode_many(
    State(st): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
    RawBody(b): RawBody,
) -> Result<Response, Problem> {
    let p = Params(q);
    let t = st.coords.transformer(STORE_CRS, p.crs()?)?;
    let rows = if is_csv(&headers, header::CONTENT_TYPE) {
        csv_rows(&b)?
    } else {
        json_rows(&b)?
    };
    let gz = gazetteer(&st).await?;
    let results = blocking(move || batch_results(&gz, rows, &t)).await?;
    if is_csv(&headers, header::ACCEPT) {
        return csv_answer(&results);
    }
    let matched = results.iter().filter(|r| r.contains_key("level")).count();
    Ok(Json(json!({
        "crs": p.crs()?.to_string(),
        "count": results.len(),
        "matched": matched,
        "results": results,
    }))
    .into_response())
}

/// Reverse-geocodes points given in `from`, each converted on its own so one bad point only
/// fails itself.
fn reverse_all(gz: &Gazetteer, t: &Transformer, pts: &[[f64; 2]], radius: f64) -> Vec<Reverse> {
    pts.iter()
        .map(|&[x, y]| match t.convert(x, y) {
            Ok((lon, lat)) => reverse(gz, geo::Point::new(lon, lat), radius),
            Err(e) => Reverse {
                reason: Some(e.to_string()),
                ..Default::default()
            },
        })
        .collect()
}

/// `GET /reverse?x=&y=&crs=&radius_m=` → `{"level", "address": {"district_code", "district",
/// "township_code", "township", "road", "lane", "sub_lane", "number", "between", "building"},
/// "formatted", "distance_m", "feature": {"collection", "id"}, "reason"?}`.
#[utoipa::path(get, path = "/reverse", tag = "geocoding", params(("x" = f64, Query, description = "East or longitude"), ("y" = f64, Query, description = "North or latitude"), ("crs" = Option<String>, Query, description = "The CRS of the coordinates: wgs84, cgcs2000 (default), gcj02, bd09, bd09mc, sh2000, webmercator or EPSG:<code>"), ("radius_m" = Option<f64>, Query, description = "How far to look, in metres")), responses((status = 200, description = "The nearest address, or a reason", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn reverse_one(
    State(st): State<AppState>,
    _caller: Caller,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Json<Reverse>, Problem> {
    let p = Params(q);
    let (x, y, radius) = (p.number("x")?, p.number("y")?, p.radius()?);
    let (lon, lat) = st
        .coords
        .transformer(p.crs()?, STORE_CRS)?
        .convert(x, y)
        .map_err(problem)?;
    let gz = gazetteer(&st).await?;
    Ok(Json(
        blocking(move || reverse(&gz, geo::Point::new(lon, lat), radius)).await?,
    ))
}

/// `POST /reverse[?crs=&radius_m=]` with `{"points": [[x, y], …]}` (up to 100,000) →
/// `{"results": [reverse answer, …]}` in the same order.
#[utoipa::path(post, path = "/reverse", tag = "geocoding", params(("crs" = Option<String>, Query, description = "The CRS of the coordinates: wgs84, cgcs2000 (default), gcj02, bd09, bd09mc, sh2000, webmercator or EPSG:<code>"), ("radius_m" = Option<f64>, Query, description = "How far to look, in metres")), request_body(content = crate::openapi::JsonObject, content_type = "application/json", description = "`{points: [[x, y], …]}`"), responses((status = 200, description = "`results`, one per point in order", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn reverse_many(
    State(st): State<AppState>,
    _caller: Caller,
    Query(q): Query<Vec<(String, String)>>,
    JsonBody(v): JsonBody,
) -> Result<Json<Value>, Problem> {
    let p = Params(q);
    let t = st.coords.transformer(p.crs()?, STORE_CRS)?;
    let radius = p.radius()?;
    let pts: Vec<[f64; 2]> = serde_json::from_value(v["points"].clone()).map_err(|e| {
        Problem::bad_request(format!(
            "expected {{\"points\": [[x, y], …]}} of numbers: {e}"
        ))
    })?;
    if pts.len() > MAX_BATCH {
        return Err(too_many(pts.len()));
    }
    let gz = gazetteer(&st).await?;
    let results = blocking(move || reverse_all(&gz, &t, &pts, radius)).await?;
    Ok(Json(json!({"results": results})))
}
