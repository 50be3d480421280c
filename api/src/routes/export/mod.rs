//! Exporting a layer: `GET /collections/{layer}/export?format=geojson|csv|xlsx|gpkg`.
//!
//! The selection is the item list's — `bbox` (in `bbox-crs`) and property equality filters,
//! answered by the catalog wherever the layer is served — plus a CQL2-text `filter`
//! (`filter-lang=cql2-text` may name it), with no paging: the whole selection, in one file.
//! `crs` sets the coordinates of every format except GeoPackage, which is always CGCS2000
//! lon/lat (EPSG:4490, what GIS software expects of it) and refuses any other `crs`.
//!
//! The selection is read first, then filtered, reprojected and encoded on the blocking
//! pool: an export of a large layer is seconds of CPU work that must not hold up other
//! requests.

use std::fmt::Display;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use onemap_coord::Transformer;
use onemap_formats::write::{Columns, WriteError, csv, geojson, gpkg, xlsx};
use onemap_spatial::cql2::Filter;
use onemap_spatial::items::ItemQuery;
use onemap_spatial::{Feature, Layer};
use tokio_util::io::ReaderStream;

use crate::caller::Caller;
use crate::coords::{STORE_CRS, convert_bbox, parse_crs, problem};
use crate::extract::{Path, Query};
use crate::problem::{Problem, ProblemType};
use crate::routes::items::{content_crs, equality_filter, output_crs, parse_bbox, parse_filter};
use crate::state::AppState;

/// The most features one export may select (before `filter`): an Excel sheet holds
/// 1,048,576 rows, and the whole selection is held in memory while it is encoded.
const MAX_FEATURES: usize = 1_000_000;

/// Features per round trip to the store for `serve: database` layers; memory-served
/// layers answer in one query.
const DB_PAGE: usize = 10_000;

/// The file formats an export can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    GeoJson,
    Csv,
    Xlsx,
    Gpkg,
}

impl Format {
    fn parse(v: &str) -> Result<Self, Problem> {
        match v {
            "geojson" => Ok(Self::GeoJson),
            "csv" => Ok(Self::Csv),
            "xlsx" => Ok(Self::Xlsx),
            "gpkg" => Ok(Self::Gpkg),
            _ => Err(Problem::bad_request(format!(
                "format `{v}` is not geojson, csv, xlsx or gpkg"
            ))
            .with("parameter", "format")),
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::GeoJson => "geojson",
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Gpkg => "gpkg",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::GeoJson => "application/geo+json",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Gpkg => "application/geopackage+sqlite3",
        }
    }
}

/// `GET /collections/{layer}/export`.
#[utoipa::path(get, path = "/collections/{layer}/export", tag = "transfer", params(("layer" = String, Path, description = "A layer id", example = "districts"), ("format" = String, Query, description = "geojson, csv, xlsx or gpkg"), ("bbox" = Option<String>, Query, description = "min_x,min_y,max_x,max_y in `bbox-crs`"), ("bbox-crs" = Option<String>, Query, description = "The CRS of `bbox` (default cgcs2000)"), ("crs" = Option<String>, Query, description = "The CRS of the coordinates: wgs84, cgcs2000 (default), gcj02, bd09, bd09mc, sh2000, webmercator or EPSG:<code>"), ("filter" = Option<String>, Query, description = "A CQL2-text filter"), ("filter-lang" = Option<String>, Query, description = "cql2-text (the only one)")), responses((status = 200, description = "The whole selection in one file; any other `{property}={value}` parameter filters by equality", content((crate::openapi::FeatureCollection = "application/geo+json"), (crate::openapi::Text = "text/csv"), (crate::openapi::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (crate::openapi::Binary = "application/geopackage+sqlite3"))), crate::openapi::Problems))]
pub async fn export(
    State(st): State<AppState>,
    _caller: Caller,
    Path(layer): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let l = st.catalog.layer(&layer)?.clone();
    let def = l.def.clone();
    let mut q = ItemQuery::default();
    let (mut crs, mut bbox_crs) = (STORE_CRS, STORE_CRS);
    let (mut format, mut filter) = (None, None);
    for (k, v) in &params {
        match k.as_str() {
            "format" => format = Some(Format::parse(v)?),
            "filter" => filter = Some(parse_filter(v, &def)?),
            "filter-lang" if v != "cql2-text" => {
                return Err(Problem::bad_request(format!(
                    "filter-lang `{v}`: only cql2-text is supported"
                )));
            }
            "filter-lang" => {}
            "bbox" => q.bbox = Some(parse_bbox(v)?),
            "crs" => crs = parse_crs("crs", v)?,
            "bbox-crs" => bbox_crs = parse_crs("bbox-crs", v)?,
            name => q.filters.push(equality_filter(&def, name, v)?),
        }
    }
    let format = format.ok_or_else(|| {
        Problem::bad_request("`format` is required: geojson, csv, xlsx or gpkg")
            .with("parameter", "format")
    })?;
    if format == Format::Gpkg && crs != STORE_CRS {
        return Err(Problem::bad_request(format!(
            "a GeoPackage export is always in {STORE_CRS} (EPSG:4490), not {crs}; \
             convert it in your GIS, or export geojson, csv or xlsx in {crs}"
        ))
        .with("parameter", "crs"));
    }
    if let Some(b) = q.bbox.filter(|_| bbox_crs != STORE_CRS) {
        q.bbox = Some(convert_bbox(
            &st.coords.transformer(bbox_crs, STORE_CRS)?,
            b,
        )?);
    }
    let out = output_crs(&st, crs)?;
    let features = fetch(&st, &l, q).await?;
    let features = blocking(move || select(features, filter.as_ref(), out.as_ref())).await?;
    let body = match format {
        Format::Gpkg => Body::from_stream(ReaderStream::new(gpkg::encode(&def, &features).await?)),
        Format::GeoJson => Body::from(blocking(move || Ok(geojson::encode(&features)?)).await?),
        Format::Csv => Body::from(
            blocking(move || Ok(csv::encode(&Columns::new(&def, crs), &features)?)).await?,
        ),
        Format::Xlsx => Body::from(
            blocking(move || {
                Ok(xlsx::encode(
                    &def.title,
                    &Columns::new(&def, crs),
                    &features,
                )?)
            })
            .await?,
        ),
    };
    let disposition = format!("attachment; filename=\"{layer}.{}\"", format.extension());
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).map_err(failed)?,
            ),
            content_crs(crs),
        ],
        body,
    )
        .into_response())
}

/// Reads the whole selection, in id order. Past [`MAX_FEATURES`] it is refused before
/// more than one page is read. Pages of a database-served layer are read by offset, so a
/// feature deleted between two pages may shift another out of the export.
async fn fetch(st: &AppState, l: &Layer, mut q: ItemQuery) -> Result<Vec<Arc<Feature>>, Problem> {
    q.limit = if l.in_database() {
        DB_PAGE
    } else {
        MAX_FEATURES
    };
    let mut out = Vec::new();
    loop {
        q.offset = out.len();
        let page = st.catalog.query(&l.def.id, &q).await?;
        if page.matched > MAX_FEATURES {
            return Err(Problem::bad_request(format!(
                "the selection holds {} features, more than the {MAX_FEATURES} an export may; \
                 narrow it with bbox or property filters",
                page.matched
            )));
        }
        let last = page.features.is_empty();
        out.extend(page.features);
        if last || out.len() >= page.matched {
            return Ok(out);
        }
    }
}

/// The features `filter` keeps, with every geometry (primary and secondary) in the output
/// CRS; a feature is copied only when its coordinates change.
fn select(
    mut features: Vec<Arc<Feature>>,
    filter: Option<&Filter>,
    out: Option<&Transformer>,
) -> Result<Vec<Arc<Feature>>, Problem> {
    features.retain(|f| filter.is_none_or(|c| c.matches(&f.properties)));
    if let Some(t) = out {
        for f in &mut features {
            let id = f.id;
            let f = Arc::make_mut(f);
            f.geometry
                .iter_mut()
                .chain(f.geometries.values_mut())
                .try_for_each(|g| t.convert_geometry(g))
                .map_err(|e| problem(e).with("feature", id))?;
        }
    }
    Ok(features)
}

/// Runs CPU work on the blocking pool, leaving the async workers to other requests.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(work).await.map_err(failed)?
}

/// A writer's failure: 422 when the data does not fit the format the caller chose, else 500.
impl From<WriteError> for Problem {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::CellTooLong { .. } => {
                Problem::new(ProblemType::CellTooLong).detail(e.to_string())
            }
            e => failed(e),
        }
    }
}

/// 500: writing the file failed on our side.
fn failed(e: impl Display) -> Problem {
    tracing::error!(error = %e, "export failed");
    Problem::new(ProblemType::ExportFailed).detail(e.to_string())
}
