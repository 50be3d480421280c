//! `/coord/*`: conversion between Shanghai 2000, CGCS2000/WGS84, GCJ-02, BD-09/BD09MC and
//! any EPSG CRS, for single points, batches, GeoJSON and CSV; and local-correction fits.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use onemap_coord::{FitMethod, Transformer, axis, fit};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::caller::Caller;
use crate::coords::{convert_geojson, parse_crs, problem};
use crate::extract::{JsonBody, Query, RawBody};
use crate::problem::{Problem, ProblemType};
use crate::state::AppState;

/// Most points one batch may carry.
pub const MAX_POINTS: usize = 1_000_000;

type Params = HashMap<String, String>;

/// `order=ne` means positions come and go as (north, east), the surveying convention.
fn north_east(p: &Params) -> Result<bool, Problem> {
    match p.get("order").map(String::as_str) {
        None | Some("en") => Ok(false),
        Some("ne") => Ok(true),
        Some(o) => Err(Problem::bad_request(format!("order `{o}` is not en or ne"))),
    }
}

fn transformer(
    st: &AppState,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Transformer, Problem> {
    let from = parse_crs(
        "from",
        from.ok_or_else(|| Problem::bad_request("`from` (a CRS) is required"))?,
    )?;
    let to = parse_crs(
        "to",
        to.ok_or_else(|| Problem::bad_request("`to` (a CRS) is required"))?,
    )?;
    Ok(st.coords.transformer(from, to)?)
}

/// `GET /coord/convert?from=&to=&x=&y=[&order=ne]` → `{"x","y","crs"}`.
#[utoipa::path(get, path = "/coord/convert", tag = "coordinates", params(("from" = String, Query, description = "The CRS of x, y"), ("to" = String, Query, description = "The CRS to convert to"), ("x" = f64, Query, description = "East or longitude"), ("y" = f64, Query, description = "North or latitude"), ("order" = Option<String>, Query, description = "en (default) or ne")), responses((status = 200, description = "`x`, `y`, `crs`", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn convert_one(
    State(st): State<AppState>,
    _caller: Caller,
    Query(p): Query<Params>,
) -> Result<Json<Value>, Problem> {
    let t = transformer(
        &st,
        p.get("from").map(String::as_str),
        p.get("to").map(String::as_str),
    )?;
    let num = |n: &str| -> Result<f64, Problem> {
        p.get(n)
            .ok_or_else(|| Problem::bad_request(format!("`{n}` is required")))?
            .parse()
            .map_err(|_| Problem::bad_request(format!("`{n}` is not a number")))
    };
    let mut pt = [[num("x")?, num("y")?]];
    let ne = north_east(&p)?;
    if ne {
        axis::swap_axes(&mut pt);
    }
    t.convert_slice(&mut pt).map_err(problem)?;
    if ne {
        axis::swap_axes(&mut pt);
    }
    Ok(Json(
        json!({"x": pt[0][0], "y": pt[0][1], "crs": t.to().to_string()}),
    ))
}

#[derive(Deserialize)]
struct Batch {
    from: Option<String>,
    to: Option<String>,
    points: Vec<[f64; 2]>,
}

/// `POST /coord/convert`: a JSON batch `{"from","to","points":[[x,y],…]}`, a GeoJSON
/// geometry, Feature or FeatureCollection (`from`/`to` as query parameters), or CSV
/// (`text/csv` with `x` and `y` columns; the other columns pass through).
#[utoipa::path(post, path = "/coord/convert", tag = "coordinates", params(("from" = Option<String>, Query, description = "The CRS of the input"), ("to" = Option<String>, Query, description = "The CRS to convert to"), ("order" = Option<String>, Query, description = "en (default) or ne")), request_body(description = "A batch `{from, to, points: [[x, y], …]}`, GeoJSON (any other Content-Type is read as JSON), or CSV with x and y columns", content((crate::openapi::JsonObject = "application/json"), (crate::openapi::Text = "text/csv"))), responses((status = 200, description = "The converted batch, GeoJSON or CSV", content((crate::openapi::JsonObject = "application/json"), (crate::openapi::GeoJson = "application/geo+json"), (crate::openapi::Text = "text/csv"))), crate::openapi::Problems))]
pub async fn convert_many(
    State(st): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    Query(p): Query<Params>,
    RawBody(body): RawBody,
) -> Result<Response, Problem> {
    let ne = north_east(&p)?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.starts_with("text/csv") {
        let t = transformer(
            &st,
            p.get("from").map(String::as_str),
            p.get("to").map(String::as_str),
        )?;
        return convert_csv(&t, &body, ne);
    }
    let mut v: Value = serde_json::from_slice(&body)
        .map_err(|e| Problem::new(ProblemType::MalformedJson).detail(e.to_string()))?;
    if v.get("points").is_some() {
        let b: Batch = serde_json::from_value(v).map_err(|e| {
            Problem::bad_request(format!("points must be [[x, y], …] of numbers: {e}"))
        })?;
        if b.points.len() > MAX_POINTS {
            return Err(Problem::bad_request(format!(
                "{} points; at most {MAX_POINTS} per request",
                b.points.len()
            )));
        }
        let from = b.from.as_deref().or(p.get("from").map(String::as_str));
        let to = b.to.as_deref().or(p.get("to").map(String::as_str));
        let t = transformer(&st, from, to)?;
        let mut pts = b.points;
        if ne {
            axis::swap_axes(&mut pts);
        }
        // Large batches are CPU work: keep them off the async workers.
        let pts =
            tokio::task::spawn_blocking(move || t.convert_slice(&mut pts).map(|_| (pts, t.to())))
                .await
                .map_err(|e| Problem::bad_request(e.to_string()))?;
        let (mut pts, to) = pts.map_err(problem)?;
        if ne {
            axis::swap_axes(&mut pts);
        }
        return Ok(Json(json!({"crs": to.to_string(), "points": pts})).into_response());
    }
    if !v.get("type").is_some_and(Value::is_string) {
        return Err(Problem::bad_request(
            "the body is neither {\"points\": …} nor GeoJSON",
        ));
    }
    let t = transformer(
        &st,
        p.get("from").map(String::as_str),
        p.get("to").map(String::as_str),
    )?;
    convert_geojson(&t, &mut v)?;
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        v.to_string(),
    )
        .into_response())
}

fn convert_csv(t: &Transformer, body: &[u8], ne: bool) -> Result<Response, Problem> {
    let bad = |m: String| Problem::bad_request(m);
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(body);
    let heads = rdr
        .headers()
        .map_err(|e| bad(format!("CSV header: {e}")))?
        .clone();
    let col = |names: &[&str]| {
        heads
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let (xi, yi) = match (col(&["x", "lon", "east"]), col(&["y", "lat", "north"])) {
        (Some(x), Some(y)) => (x, y),
        _ => {
            return Err(bad(
                "CSV needs an x (or lon/east) and a y (or lat/north) column".into(),
            ));
        }
    };
    let mut rows = Vec::new();
    let mut pts = Vec::new();
    for (i, r) in rdr.records().enumerate() {
        let r = r.map_err(|e| bad(format!("CSV row {}: {e}", i + 1)))?;
        let num = |c: usize| -> Result<f64, Problem> {
            r.get(c).and_then(|s| s.trim().parse().ok()).ok_or_else(|| {
                bad(format!(
                    "CSV row {}: column `{}` is not a number",
                    i + 1,
                    &heads[c]
                ))
                .with("point_index", i)
            })
        };
        let (a, b) = (num(xi)?, num(yi)?);
        pts.push(if ne { [b, a] } else { [a, b] });
        rows.push(r);
        if rows.len() > MAX_POINTS {
            return Err(bad(format!("more than {MAX_POINTS} rows")));
        }
    }
    t.convert_slice(&mut pts).map_err(problem)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let write = |w: &mut csv::Writer<Vec<u8>>, rec: Vec<String>| {
        w.write_record(rec).map_err(|e| bad(e.to_string()))
    };
    write(&mut w, heads.iter().map(str::to_owned).collect())?;
    for (r, p) in rows.iter().zip(&pts) {
        let (x, y) = if ne { (p[1], p[0]) } else { (p[0], p[1]) };
        let rec = r
            .iter()
            .enumerate()
            .map(|(c, s)| match c {
                c if c == xi => x.to_string(),
                c if c == yi => y.to_string(),
                _ => s.to_owned(),
            })
            .collect();
        write(&mut w, rec)?;
    }
    let out = w.into_inner().map_err(|e| bad(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response())
}

#[derive(Deserialize)]
struct Pair {
    from: [f64; 2],
    to: [f64; 2],
}

#[derive(Deserialize)]
struct FitRequest {
    method: FitMethod,
    pairs: Vec<Pair>,
}

/// `POST /coord/fit`: least-squares Helmert or affine correction from control point pairs
/// (e.g. profile Shanghai 2000 → surveyed Shanghai 2000), with residuals and RMS.
#[utoipa::path(post, path = "/coord/fit", tag = "coordinates", request_body(content = crate::openapi::JsonObject, content_type = "application/json", description = "`{method: helmert|affine, pairs: [{from: [x, y], to: [x, y]}, …]}`"), responses((status = 200, description = "The fitted parameters with residuals and RMS", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn fit_correction(
    _caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<onemap_coord::Fit>, Problem> {
    let req: FitRequest = serde_json::from_value(body).map_err(|e| {
        Problem::bad_request(format!(
            "expected {{\"method\": \"helmert\"|\"affine\", \"pairs\": [{{\"from\": [x, y], \"to\": [x, y]}}, …]}}: {e}"
        ))
    })?;
    let pairs: Vec<([f64; 2], [f64; 2])> = req.pairs.iter().map(|p| (p.from, p.to)).collect();
    if let Some(i) = pairs
        .iter()
        .position(|(a, b)| !a.iter().chain(b).all(|v| v.is_finite()))
    {
        return Err(
            Problem::bad_request(format!("pair {i} has a non-finite coordinate"))
                .with("point_index", i),
        );
    }
    fit(req.method, &pairs).map(Json).map_err(problem)
}
