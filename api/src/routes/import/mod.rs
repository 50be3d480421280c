//! Importing a file of features into a layer:
//! `POST /collections/{layer}/import?format=geojson|csv|xlsx&mode=validate|commit[&on_error=abort|skip][&crs=…]`
//! with the file as the request body.
//!
//! Every row is converted from `crs`, validated like a feature written through the API,
//! checked for a key repeated within the file, matched against the layer by its key, and
//! run through the layer's duplicate check. `validate` answers the report and writes
//! nothing. `commit` writes every new valid row in one transaction — or, with
//! `on_error=abort` (the default), nothing at all when any row is invalid (422 with the
//! report). Importing is idempotent on the layer's key: a row whose key the layer already
//! holds with the same content is `unchanged`; with other content it is a `conflict`,
//! reported and not written (change such features through PUT/PATCH, which check versions).
//!
//! Not yet: zipped Shapefile and GeoPackage input, background jobs with progress for very
//! large files, streaming beyond the request body limit.

mod readers;
mod table;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use onemap_coord::{Crs, Transformer};
use onemap_spatial::dedup::{Checker, Report, Verdict};
use onemap_spatial::validate::validate_feature;
use onemap_spatial::{Draft, Feature, Layer};
use serde_json::{Map, Value, json};

use crate::caller::Caller;
use crate::coords::{STORE_CRS, convert_geojson, parse_crs};
use crate::problem::Problem;
use crate::routes::dedup::rule;
use crate::state::AppState;

/// One row of an uploaded file, before validation.
pub struct Row {
    /// 1-based: the feature's index in GeoJSON, the spreadsheet row (header = 1) in tables.
    pub row: usize,
    pub geometry: Option<Value>,
    pub properties: Map<String, Value>,
    /// (column, message) found while reading.
    pub issues: Vec<(String, String)>,
}

/// What the request asks.
struct Options {
    format: String,
    commit: bool,
    abort: bool,
    crs: Crs,
}

fn options(params: &[(String, String)]) -> Result<Options, Problem> {
    let mut o = Options {
        format: String::new(),
        commit: false,
        abort: true,
        crs: STORE_CRS,
    };
    for (k, v) in params {
        match (k.as_str(), v.as_str()) {
            ("format", "geojson" | "csv" | "xlsx") => o.format = v.clone(),
            ("format", f) => {
                return Err(Problem::bad_request(format!(
                    "format `{f}`: expected geojson, csv or xlsx (shp and gpkg are not supported yet)"
                )));
            }
            ("mode", "validate") => o.commit = false,
            ("mode", "commit") => o.commit = true,
            ("on_error", "abort") => o.abort = true,
            ("on_error", "skip") => o.abort = false,
            ("crs", c) => o.crs = parse_crs("crs", c)?,
            (k, v) => {
                return Err(Problem::bad_request(format!(
                    "parameter `{k}={v}` is not understood"
                )));
            }
        }
    }
    if o.format.is_empty() {
        return Err(Problem::bad_request(
            "`format` is required: geojson, csv or xlsx",
        ));
    }
    Ok(o)
}

/// (column, message) pairs for a row that cannot be imported.
type RowIssues = Vec<(String, String)>;

/// Converts and validates one row into the draft to store.
fn check_row(
    layer: &Layer,
    to_store: Option<&Transformer>,
    mut row: Row,
) -> Result<Draft, RowIssues> {
    if !row.issues.is_empty() {
        return Err(row.issues);
    }
    if let Some(t) = to_store {
        let targets = row
            .geometry
            .iter_mut()
            .map(|g| ("geometry".to_string(), g))
            .chain(
                row.properties
                    .iter_mut()
                    .filter(|(k, _)| layer.def.property(k).is_some_and(|p| p.is_geometry()))
                    .map(|(k, v)| (k.clone(), v)),
            );
        for (column, g) in targets {
            if convert_geojson(t, g).is_err() {
                return Err(vec![(
                    column,
                    format!("coordinates cannot be converted from {}", t.from()),
                )]);
            }
        }
    }
    validate_feature(&layer.def, row.geometry.as_ref(), &row.properties).map_err(|issues| {
        issues
            .into_iter()
            .map(|i| (column(&i.field), i.message))
            .collect()
    })
}

/// A validation field as the file's column: `properties.area_m2` → `area_m2`,
/// `geometry.coordinates[3]` → `geometry`.
fn column(field: &str) -> String {
    match field.strip_prefix("properties.") {
        Some(p) => p.split(['.', '[']).next().unwrap_or(p).to_owned(),
        None => field.split(['.', '[']).next().unwrap_or(field).to_owned(),
    }
}

fn key_text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// `POST /collections/{layer}/import`.
pub async fn import(
    State(st): State<AppState>,
    caller: Caller,
    Path(layer): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    body: Bytes,
) -> Result<Response, Problem> {
    let Query(params) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    let o = options(&params)?;
    let l = st.catalog.layer(&layer)?.clone();
    if l.in_database() {
        return Err(Problem::bad_request(format!(
            "layer `{layer}` is served from the database; imports need the in-memory index"
        )));
    }
    let rows = match o.format.as_str() {
        "geojson" => readers::geojson(&body),
        "csv" => readers::csv(&l.def, &body),
        _ => readers::xlsx(&l.def, &body),
    }
    .map_err(|m| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unreadable-file",
            "The file cannot be read",
        )
        .detail(m)
    })?;
    let existing: HashMap<String, Arc<Feature>> = match &l.def.key {
        Some(k) => l.read(|ix| {
            ix.iter()
                .filter_map(|f| Some((key_text(f.properties.get(k)?), f.clone())))
                .collect()
        }),
        None => HashMap::new(),
    };
    // Built once for the file, not per row.
    let to_store = (o.crs != STORE_CRS)
        .then(|| st.coords.transformer(o.crs, STORE_CRS))
        .transpose()?;
    let total = rows.len();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let (mut errors, mut new, mut unchanged, mut conflicts) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for row in rows {
        let n = row.row;
        let draft = match check_row(&l, to_store.as_ref(), row) {
            Ok(d) => d,
            Err(issues) => {
                errors.extend(
                    issues
                        .into_iter()
                        .map(|(c, m)| json!({"row": n, "column": c, "message": m})),
                );
                continue;
            }
        };
        let key = l
            .def
            .key
            .as_ref()
            .and_then(|k| draft.properties.get(k))
            .map(key_text);
        if let Some(k) = &key {
            if let Some(first) = seen.get(k) {
                errors.push(json!({"row": n, "column": l.def.key, "message": format!("duplicate key `{k}`: also in row {first}")}));
                continue;
            }
            seen.insert(k.clone(), n);
        }
        match key.and_then(|k| existing.get(&k)) {
            Some(f) if f.to_draft() == draft => unchanged.push(json!({"row": n, "id": f.id})),
            Some(f) => conflicts.push(json!({"row": n, "id": f.id, "message": "the layer holds this key with other values; not overwritten"})),
            None => new.push((n, draft)),
        }
    }
    let invalid_rows = {
        let mut r: Vec<u64> = errors.iter().filter_map(|e| e["row"].as_u64()).collect();
        r.dedup();
        r.len()
    };
    // The duplicate check against what the layer holds, for the rows that would be written.
    let rule = rule(&l);
    let plane = st.coords.transformer(STORE_CRS, Crs::Sh2000)?;
    let checker = Checker::new(&rule, None, &plane);
    let mut dedup = Vec::new();
    l.read(|ix| {
        for (n, d) in &new {
            if let Ok(out) = checker.check(ix, &Report::from_draft(&rule, d))
                && out.verdict != Verdict::New
            {
                dedup.push(json!({"row": n, "verdict": out.verdict, "matches": out.matches}));
            }
        }
    });
    let mut report = json!({
        "layer": layer,
        "format": o.format,
        "mode": if o.commit { "commit" } else { "validate" },
        "rows": total,
        "valid": total - invalid_rows,
        "invalid": invalid_rows,
        "new": new.len(),
        "unchanged": unchanged.len(),
        "conflicts": conflicts,
        "errors": errors,
        "dedup": dedup,
    });
    if !o.commit {
        return Ok(Json(report).into_response());
    }
    if invalid_rows > 0 && o.abort {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "import-aborted",
            "Invalid rows: nothing was imported",
        )
        .detail(format!(
            "{invalid_rows} of {total} rows are invalid; fix them or import with on_error=skip"
        ))
        .with("report", report));
    }
    let drafts: Vec<Draft> = new.into_iter().map(|(_, d)| d).collect();
    let created = st.catalog.create(&layer, drafts).await?;
    tracing::info!(target: "audit", user = %caller.user, role = %caller.role, layer = %layer, created = created.len(), "import");
    report["created"] = json!(created.iter().map(|f| f.id).collect::<Vec<_>>());
    let status = if created.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(report)).into_response())
}
