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

mod spool;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onemap_intake::{ImportFailure, Importer, Options};
use serde_json::json;

use crate::caller::Caller;
use crate::coords::parse_crs;
use crate::extract::{Path, Query};
use crate::problem::{Problem, ProblemType};
use crate::state::AppState;

const FORMATS: &str = "geojson, csv, xlsx, shp (zipped) or gpkg";

/// The import's options, and whether to answer at once with the job (`async=true` or
/// `Prefer: respond-async`).
fn options(params: &[(String, String)], headers: &HeaderMap) -> Result<(Options, bool), Problem> {
    let mut background = headers
        .get("prefer")
        .and_then(|p| p.to_str().ok())
        .is_some_and(|p| p.contains("respond-async"));
    let mut o = Options {
        format: String::new(),
        commit: false,
        abort: true,
        crs: None,
        table: None,
        geocode: false,
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
            ("async", "true") => background = true,
            ("async", "false") => background = false,
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
    Ok((o, background))
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
    let (o, background) = options(&params, &headers)?;
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
    let work = {
        let job = job.clone();
        async move {
            let commit = o.commit;
            let importer = Importer {
                catalog: st.catalog.clone(),
                coords: st.coords.clone(),
                geocoder: st.geocoder.clone(),
            };
            let r = importer
                .run(l, o, file.path().to_owned(), job.clone())
                .await
                .map_err(problem);
            drop(file);
            if let Some(done) = r.as_ref().ok().filter(|_| commit) {
                tracing::info!(target: "audit", user = %caller.user, role = %caller.role, layer = %layer, created = done.created, "import");
            }
            let r = r.map(|done| {
                let status = if done.created > 0 {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                };
                (status, done.report)
            });
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

/// An import that wrote nothing, as a problem.
fn problem(e: ImportFailure) -> Problem {
    let detail = e.to_string();
    match e {
        ImportFailure::Unreadable(_) => Problem::new(ProblemType::UnreadableFile).detail(detail),
        ImportFailure::Aborted { report, .. } => Problem::new(ProblemType::ImportAborted)
            .detail(detail)
            .with("report", report),
        ImportFailure::Coord(e) => e.into(),
        ImportFailure::Catalog(e) => e.into(),
        ImportFailure::Failed(_) => Problem::new(ProblemType::ImportFailed).detail(detail),
    }
}
