//! Importing a file of features into a layer:
//! `POST /collections/{layer}/import?format=geojson|csv|xlsx|shp|gpkg&mode=validate|commit[&on_error=abort|skip][&crs=…][&table=…][&geocode=true][&async=true]`
//! with the file as the request body (a zipped Shapefile for `shp`).
//!
//! Every row is converted from `crs` (else the CRS the file declares: a Shapefile's .prj, a
//! GeoPackage's srs_id; else CGCS2000), validated like a feature written through the API,
//! checked for a key repeated within the file, matched against the layer by its key, and run
//! through the layer's duplicate check. `validate` answers the report and writes nothing.
//! `commit` writes every new valid row in one transaction — or, with `on_error=abort` (the
//! default), nothing at all when any row is invalid (422 with the report). Importing is
//! idempotent on the layer's key: a row whose key the layer already holds with the same
//! content is `unchanged`; with other content it is a `conflict`, reported and not written
//! (change such features through PUT/PATCH, which check versions).
//!
//! With `geocode=true`, a row without coordinates gets the point its `address` geocodes to
//! (an address that does not geocode is a row error); the report counts rows by level.
//!
//! The upload streams to a temporary file and the rows stream from it, so a million-row CSV
//! is never held twice. Every import is a job; with `async=true` (or `Prefer: respond-async`)
//! the answer is 202 with the job at once, to watch at `GET /jobs/{id}` or its event stream.

mod readers;
mod spool;
mod table;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onemap_coord::{Crs, Transformer};
use onemap_geocode::gazetteer::Gazetteer;
use onemap_spatial::dedup::{Checker, Report, Verdict};
use onemap_spatial::validate::validate_feature;
use onemap_spatial::{Draft, Feature, Layer};
use serde_json::{Map, Value, json};

use crate::caller::Caller;
use crate::coords::{Coords, STORE_CRS, convert_geojson, parse_crs};
use crate::extract::{Path, Query};
use crate::jobs::Job;
use crate::problem::{Problem, ProblemType};
use crate::routes::dedup::rule;
use crate::routes::geofill;
use crate::state::AppState;

/// At most this many errors and dedup matches are listed in a report (all are counted).
const LISTED: usize = 1000;

/// Rows checked against the index per read lock, so writers are not held up for long.
const DEDUP_CHUNK: usize = 10_000;

/// One row of an uploaded file, before validation.
pub struct Row {
    /// 1-based: the feature's index in GeoJSON, GeoPackage and Shapefile, the spreadsheet row
    /// (header = 1) in tables.
    pub row: usize,
    pub geometry: Option<Value>,
    pub properties: Map<String, Value>,
    /// (column, message) found while reading.
    pub issues: Vec<(String, String)>,
}

/// What the request asks.
#[derive(Clone)]
struct Options {
    format: String,
    commit: bool,
    abort: bool,
    /// Overrides the CRS the file declares.
    crs: Option<Crs>,
    table: Option<String>,
    background: bool,
    /// Rows without a geometry get the point their `address` geocodes to.
    geocode: bool,
}

const FORMATS: &str = "geojson, csv, xlsx, shp (zipped) or gpkg";

fn options(params: &[(String, String)], headers: &HeaderMap) -> Result<Options, Problem> {
    let mut o = Options {
        format: String::new(),
        commit: false,
        abort: true,
        crs: None,
        table: None,
        geocode: false,
        background: headers
            .get("prefer")
            .and_then(|p| p.to_str().ok())
            .is_some_and(|p| p.contains("respond-async")),
    };
    for (k, v) in params {
        match (k.as_str(), v.as_str()) {
            ("format", "geojson" | "csv" | "xlsx" | "shp" | "gpkg") => o.format = v.clone(),
            ("format", f) => {
                return Err(Problem::bad_request(format!(
                    "format `{f}`: expected {FORMATS}"
                )));
            }
            ("mode", "validate") => o.commit = false,
            ("mode", "commit") => o.commit = true,
            ("on_error", "abort") => o.abort = true,
            ("on_error", "skip") => o.abort = false,
            ("crs", c) => o.crs = Some(parse_crs("crs", c)?),
            ("table", t) => o.table = Some(t.to_owned()),
            ("geocode", "true") => o.geocode = true,
            ("geocode", "false") => o.geocode = false,
            ("async", "true") => o.background = true,
            ("async", "false") => o.background = false,
            (k, v) => {
                return Err(Problem::bad_request(format!(
                    "parameter `{k}={v}` is not understood"
                )));
            }
        }
    }
    if o.format.is_empty() {
        return Err(Problem::bad_request(format!(
            "`format` is required: {FORMATS}"
        )));
    }
    Ok(o)
}

/// (column, message) pairs for a row that cannot be imported.
type RowIssues = Vec<(String, String)>;

/// Converts, geocodes (when asked) and validates one row into the draft to store; the
/// geocoding level when the point came from the address.
fn check_row(
    layer: &Layer,
    to_store: Option<&Transformer>,
    gz: Option<&Gazetteer>,
    mut row: Row,
) -> Result<(Draft, Option<String>), RowIssues> {
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
    // After the conversion: a geocoded point is already in the store's CRS.
    let level = match gz {
        Some(gz) => geofill::fill(gz, &layer.def, &mut row.geometry, &mut row.properties)
            .map_err(|m| vec![("address".to_string(), m)])?
            .map(|f| f.level),
        None => None,
    };
    let draft =
        validate_feature(&layer.def, row.geometry.as_ref(), &row.properties).map_err(|issues| {
            issues
                .into_iter()
                .map(|i| (column(&i.field), i.message))
                .collect::<RowIssues>()
        })?;
    Ok((draft, level))
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
#[utoipa::path(post, path = "/collections/{layer}/import", tag = "transfer", params(("layer" = String, Path, description = "A layer id"), ("format" = String, Query, description = "geojson, csv, xlsx, shp (zipped) or gpkg"), ("mode" = Option<String>, Query, description = "validate (default) or commit"), ("on_error" = Option<String>, Query, description = "abort (default) or skip"), ("crs" = Option<String>, Query, description = "The CRS of the coordinates: wgs84, cgcs2000 (default), gcj02, bd09, bd09mc, sh2000, webmercator or EPSG:<code>"), ("table" = Option<String>, Query, description = "The GeoPackage table or the xlsx sheet"), ("geocode" = Option<bool>, Query, description = "Rows without coordinates get the point their address geocodes to"), ("async" = Option<bool>, Query, description = "Answer 202 with the job at once")), request_body(content = crate::openapi::Binary, content_type = "application/octet-stream", description = "The file"), responses((status = 200, description = "The report (validate, or nothing written)", body = crate::openapi::JsonObject), (status = 201, description = "The report, rows written", body = crate::openapi::JsonObject), (status = 202, description = "The job, to follow at /jobs/{id}", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn import(
    State(st): State<AppState>,
    caller: Caller,
    Path(layer): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let o = options(&params, &headers)?;
    let l = st.catalog.layer(&layer)?.clone();
    if l.in_database() {
        return Err(Problem::bad_request(format!(
            "layer `{layer}` is served from the database; imports need the in-memory index"
        )));
    }
    let (file, bytes) = spool::to_temp_file(body, st.max_import_bytes).await?;
    let job = st.jobs.start(
        &caller,
        json!({"kind": "import", "layer": layer, "format": o.format,
               "mode": if o.commit { "commit" } else { "validate" }, "bytes": bytes}),
    );
    let background = o.background;
    let work = {
        let job = job.clone();
        async move {
            let r = run(&st, &caller, l, o, file, job.clone()).await;
            job.finish(r.as_ref().map(|(_, v)| v.clone()).map_err(Clone::clone));
            r
        }
    };
    if background {
        tokio::spawn(work);
        let location = format!("/jobs/{}", job.id);
        return Ok((
            StatusCode::ACCEPTED,
            [(header::LOCATION, location)],
            Json(job.snapshot()),
        )
            .into_response());
    }
    let (status, report) = work.await?;
    Ok((status, Json(report)).into_response())
}

/// Reads, checks and (in commit mode) writes; the report and its status.
async fn run(
    st: &AppState,
    caller: &Caller,
    l: Arc<Layer>,
    o: Options,
    file: tempfile::NamedTempFile,
    job: Arc<Job>,
) -> Result<(StatusCode, Value), Problem> {
    let incoming = readers::spawn(readers::Input {
        path: file.path().to_owned(),
        format: o.format.clone(),
        def: l.def.clone(),
        crs_given: o.crs.is_some(),
        table: o.table.clone(),
        runtime: tokio::runtime::Handle::current(),
    });
    let checked = {
        let (coords, l, o) = (st.coords.clone(), l.clone(), o.clone());
        let (geocoder, catalog) = (st.geocoder.clone(), st.catalog.clone());
        tokio::task::spawn_blocking(move || {
            let gz = o.geocode.then(|| geocoder.gazetteer(&catalog));
            check(&coords, &l, &o, gz.as_deref(), incoming, &job)
        })
        .await
        .map_err(|e| Problem::new(ProblemType::ImportFailed).detail(e.to_string()))??
    };
    drop(file);
    let Checked {
        mut report,
        drafts,
        invalid,
        total,
    } = checked;
    if !o.commit {
        return Ok((StatusCode::OK, report));
    }
    if invalid > 0 && o.abort {
        return Err(Problem::new(ProblemType::ImportAborted)
            .detail(format!(
                "{invalid} of {total} rows are invalid; fix them or import with on_error=skip"
            ))
            .with("report", report));
    }
    let created = st.catalog.create(&l.def.id, drafts).await?;
    tracing::info!(target: "audit", user = %caller.user, role = %caller.role, layer = %l.def.id, created = created.len(), "import");
    report["created"] = json!(
        created
            .iter()
            .take(LISTED)
            .map(|f| f.id)
            .collect::<Vec<_>>()
    );
    report["created_total"] = json!(created.len());
    let status = if created.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, report))
}

/// The outcome of checking every row.
struct Checked {
    report: Value,
    /// The new valid rows, to write in commit mode.
    drafts: Vec<Draft>,
    invalid: usize,
    total: usize,
}

/// Checks the rows as the reader hands them over (on a blocking thread: this is the CPU work).
fn check(
    coords: &Coords,
    l: &Layer,
    o: &Options,
    gz: Option<&Gazetteer>,
    incoming: readers::Incoming,
    job: &Job,
) -> Result<Checked, Problem> {
    let existing: HashMap<String, Arc<Feature>> = match &l.def.key {
        Some(k) => l.read(|ix| {
            ix.iter()
                .filter_map(|f| Some((key_text(f.properties.get(k)?), f.clone())))
                .collect()
        }),
        None => HashMap::new(),
    };
    let mut to_store: Option<Option<Transformer>> = None;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut list = Listed::default();
    let (mut total, mut invalid, mut unchanged) = (0usize, 0usize, Vec::new());
    let mut conflicts = Listed::default();
    let mut new: Vec<(usize, Draft)> = Vec::new();
    let mut geocoded: BTreeMap<String, usize> = BTreeMap::new();
    job.progress.phase("checking");
    for row in incoming.rows.iter() {
        total += 1;
        if total % 1024 == 0 {
            job.progress
                .advance(total as u64, Some(incoming.fraction()));
        }
        // The file's CRS is known by its first row; one transformer serves the whole file.
        let t = match &to_store {
            Some(t) => t.as_ref(),
            None => {
                let from = o.crs.or(incoming.declared_crs()).unwrap_or(STORE_CRS);
                let t = (from != STORE_CRS)
                    .then(|| coords.transformer(from, STORE_CRS))
                    .transpose()?;
                to_store.insert(t).as_ref()
            }
        };
        let n = row.row;
        let draft = match check_row(l, t, gz, row) {
            Ok((d, level)) => {
                if let Some(level) = level {
                    *geocoded.entry(level).or_default() += 1;
                }
                d
            }
            Err(issues) => {
                invalid += 1;
                for (c, m) in issues {
                    list.push(json!({"row": n, "column": c, "message": m}));
                }
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
                invalid += 1;
                list.push(json!({"row": n, "column": l.def.key, "message": format!("duplicate key `{k}`: also in row {first}")}));
                continue;
            }
            seen.insert(k.clone(), n);
        }
        match key.and_then(|k| existing.get(&k)) {
            Some(f) if f.to_draft() == draft => unchanged.push(n),
            Some(f) => conflicts.push(json!({"row": n, "id": f.id, "message": "the layer holds this key with other values; not overwritten"})),
            None => new.push((n, draft)),
        }
    }
    let rows_seen = total;
    let read = incoming.finish();
    read.map_err(|m| Problem::new(ProblemType::UnreadableFile).detail(m))?;
    job.progress.advance(rows_seen as u64, Some(1.0));
    job.progress.phase("duplicate check");
    let dedup = dedup(coords, l, &new)?;
    let mut report = json!({
        "layer": l.def.id,
        "format": o.format,
        "mode": if o.commit { "commit" } else { "validate" },
        "rows": total,
        "valid": total - invalid,
        "invalid": invalid,
        "new": new.len(),
        "unchanged": unchanged.len(),
        "conflicts": conflicts.items,
        "conflicts_total": conflicts.total,
        "errors": list.items,
        "errors_total": list.total,
        "dedup": dedup.items,
        "dedup_total": dedup.total,
    });
    if o.geocode {
        // Rows placed from their address, by geocoding level (house, interpolated, road…).
        report["geocoded"] = json!(geocoded);
    }
    job.progress
        .phase(if o.commit { "committing" } else { "reporting" });
    Ok(Checked {
        report,
        drafts: new.into_iter().map(|(_, d)| d).collect(),
        invalid,
        total,
    })
}

/// The duplicate check against what the layer holds, for the rows that would be written.
fn dedup(coords: &Coords, l: &Layer, new: &[(usize, Draft)]) -> Result<Listed, Problem> {
    let rule = rule(l);
    let plane = coords.transformer(STORE_CRS, Crs::Sh2000)?;
    let checker = Checker::new(&rule, None, &plane);
    let mut found = Listed::default();
    for chunk in new.chunks(DEDUP_CHUNK) {
        l.read(|ix| {
            for (n, d) in chunk {
                if let Ok(out) = checker.check(ix, &Report::from_draft(&rule, d))
                    && out.verdict != Verdict::New
                {
                    found.push(json!({"row": n, "verdict": out.verdict, "matches": out.matches}));
                }
            }
        });
    }
    Ok(found)
}

/// A list that keeps the first [`LISTED`] items and counts them all.
#[derive(Default)]
struct Listed {
    items: Vec<Value>,
    total: usize,
}

impl Listed {
    fn push(&mut self, v: Value) {
        self.total += 1;
        if self.items.len() < LISTED {
            self.items.push(v);
        }
    }
}
