//! Buffer dedup of incoming reports: `POST /collections/{layer}/dedup`.

use axum::Json;
use axum::extract::State;
use onemap_coord::Crs;
use onemap_spatial::dedup::{Checker, DedupRule, Outcome, Report, Verdict};
use onemap_spatial::validate::Issue;
use onemap_spatial::{Draft, Layer};
use serde_json::{Map, Value, json};

use crate::caller::Caller;
use crate::coords::STORE_CRS;
use crate::extract::{JsonBody, Path, Query};
use crate::problem::{Problem, ProblemType};
use crate::routes::edit::input_crs;
use crate::state::AppState;

/// The most reports one request may check.
const MAX_REPORTS: usize = 100_000;

/// Checks reports against a layer held in memory.
pub fn check(
    st: &AppState,
    layer: &Layer,
    rule: &DedupRule,
    buffer_m: Option<f64>,
    reports: &[Report],
) -> Result<Vec<Outcome>, Problem> {
    if layer.in_database() {
        return Err(Problem::bad_request(format!(
            "layer `{}` is served from the database; its duplicate check needs the in-memory index",
            layer.def.id
        )));
    }
    let plane = st.coords.transformer(STORE_CRS, Crs::Sh2000)?;
    let checker = Checker::new(rule, buffer_m, &plane);
    layer
        .read(|ix| {
            reports
                .iter()
                .map(|r| checker.check(ix, r))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| Problem::bad_request(e.to_string()))
}

/// The duplicate check a create asks for with `?dedup=warn|reject`: None without one; with
/// `reject`, a duplicate is refused (409 naming the matches) before anything is written.
pub fn on_create(
    st: &AppState,
    layer: &Layer,
    params: &[(String, String)],
    draft: &Draft,
) -> Result<Option<Outcome>, Problem> {
    let reject = match params
        .iter()
        .find(|(k, _)| k == "dedup")
        .map(|(_, v)| v.as_str())
    {
        None => return Ok(None),
        Some("warn") => false,
        Some("reject") => true,
        Some(v) => {
            return Err(Problem::bad_request(format!(
                "dedup `{v}`: expected `warn` or `reject`"
            )));
        }
    };
    let rule = layer.def.dedup_rule();
    let report = Report::from_draft(&rule, draft);
    let outcome = check(st, layer, &rule, buffer_param(params)?, &[report])?.remove(0);
    if reject && outcome.verdict == Verdict::Duplicate {
        let ids: Vec<String> = outcome
            .matches
            .iter()
            .filter(|m| m.score >= rule.duplicate_score)
            .map(|m| m.id.to_string())
            .collect();
        return Err(Problem::new(ProblemType::DuplicateReport)
            .detail(format!(
                "layer `{}` already holds this report as feature {}",
                layer.def.id,
                ids.join(", ")
            ))
            .with("dedup", serde_json::to_value(&outcome).unwrap_or_default()));
    }
    Ok(Some(outcome))
}

/// Reads `buffer_m`: metres, positive, at most 10 km.
pub fn buffer_param(params: &[(String, String)]) -> Result<Option<f64>, Problem> {
    let Some((_, v)) = params.iter().find(|(k, _)| k == "buffer_m") else {
        return Ok(None);
    };
    match v.parse::<f64>() {
        Ok(b) if b > 0.0 && b <= 10_000.0 => Ok(Some(b)),
        _ => Err(Problem::bad_request(format!(
            "buffer_m `{v}` must be a number of metres in (0, 10000]"
        ))),
    }
}

/// The features of a Feature or FeatureCollection body.
fn features(body: &Value) -> Result<Vec<&Value>, Problem> {
    match body.get("type").and_then(Value::as_str) {
        Some("Feature") => Ok(vec![body]),
        Some("FeatureCollection") => Ok(body
            .get("features")
            .and_then(Value::as_array)
            .ok_or_else(|| Problem::bad_request("a FeatureCollection needs a `features` array"))?
            .iter()
            .collect()),
        _ => Err(Problem::bad_request(
            "the body must be a GeoJSON Feature or FeatureCollection of reports",
        )),
    }
}

/// `POST /collections/{layer}/dedup[?buffer_m=&crs=]` with a Feature or FeatureCollection:
/// one verdict per report, with the matches best first.
#[utoipa::path(post, path = "/collections/{layer}/dedup", tag = "analysis", params(("layer" = String, Path, description = "A layer id"), ("crs" = Option<String>, Query, description = "The CRS of the coordinates: wgs84, cgcs2000 (default), gcj02, bd09, bd09mc, sh2000, webmercator or EPSG:<code>"), ("buffer_m" = Option<f64>, Query, description = "How far apart two reports of one thing may be, in metres")), request_body(content = crate::openapi::GeoJson, content_type = "application/json", description = "A Feature or FeatureCollection of reports"), responses((status = 200, description = "One verdict per report, with the matches best first", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn dedup(
    State(st): State<AppState>,
    _caller: Caller,
    Path(layer): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
    JsonBody(mut body): JsonBody,
) -> Result<Json<Value>, Problem> {
    let l = st.catalog.layer(&layer)?;
    input_crs(&st, &params, &mut body)?;
    let buffer_m = buffer_param(&params)?;
    let items = features(&body)?;
    if items.len() > MAX_REPORTS {
        return Err(Problem::bad_request(format!(
            "{} reports in one request; at most {MAX_REPORTS}",
            items.len()
        )));
    }
    let rule = l.def.dedup_rule();
    let mut reports = Vec::with_capacity(items.len());
    let mut issues = Vec::new();
    for (i, f) in items.iter().enumerate() {
        let props = match f.get("properties") {
            Some(Value::Object(m)) => m.clone(),
            None | Some(Value::Null) => Map::new(),
            Some(_) => {
                issues.push(Issue::new(
                    format!("features[{i}].properties"),
                    "must be an object",
                ));
                continue;
            }
        };
        match Report::from_geojson(&l.def, &rule, f.get("geometry"), props) {
            Ok(r) => reports.push(r),
            Err(es) => issues.extend(es.into_iter().map(|e| {
                let field = if items.len() == 1 {
                    e.field
                } else {
                    format!("features[{i}].{}", e.field)
                };
                Issue::new(field, e.message)
            })),
        }
    }
    if !issues.is_empty() {
        return Err(Problem::invalid(issues));
    }
    let outcomes = check(&st, l, &rule, buffer_m, &reports)?;
    let tally = |v: Verdict| outcomes.iter().filter(|o| o.verdict == v).count();
    Ok(Json(json!({
        "layer": layer,
        "buffer_m": buffer_m.unwrap_or(rule.buffer_m),
        "duplicate_score": rule.duplicate_score,
        "summary": {
            "duplicate": tally(Verdict::Duplicate),
            "possible": tally(Verdict::Possible),
            "new": tally(Verdict::New),
        },
        "results": outcomes,
    })))
}
