//! Reading an uploaded file into rows, one format per module. Each reader runs on a thread of
//! its own and hands rows over a bounded channel, so reading overlaps checking and a
//! million-row file is never held as rows all at once.

// CSV in UTF-8 or GBK, streamed.
mod csv;
// A GeoJSON FeatureCollection or Feature, parsed whole.
mod geojson;
// A GeoPackage feature table: onemap's own through the store, any other generically.
mod gpkg;
// A zipped Shapefile, with its .prj and .cpg.
mod shp;
// Table columns matched to layer properties, cells typed by them (CSV, XLSX, GeoPackage).
mod table;
// The first sheet of an XLSX workbook.
mod xlsx;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use geo::Geometry;
use onemap_coord::Crs;
use onemap_spatial::LayerDef;
use onemap_spatial::schema::GeometryType;
use parking_lot::Mutex;
use serde_json::{Map, Value};

/// One row of an uploaded file, before validation.
pub struct Row {
    /// 1-based: the feature's index in GeoJSON, GeoPackage and Shapefile, the spreadsheet row
    /// (header = 1) in tables.
    pub row: usize,
    /// The primary geometry as a GeoJSON object, in the file's CRS; None when the row has
    /// none (the layer decides whether that is allowed).
    pub geometry: Option<Value>,
    /// The properties as read, typed by their declaration where the format is untyped text.
    pub properties: Map<String, Value>,
    /// (column, message) found while reading.
    pub issues: Vec<(String, String)>,
}

/// Rows in flight between the reader and the checker.
const CHANNEL_ROWS: usize = 4096;

/// What a reader needs besides the file.
pub struct Input {
    /// The uploaded file, spooled to disk.
    pub path: PathBuf,
    /// `geojson`, `csv`, `xlsx`, `shp` (zipped) or `gpkg`; any other name is read as `gpkg`.
    pub format: String,
    /// The layer the rows are for: its properties name the columns.
    pub def: Arc<LayerDef>,
    /// True when the request names the CRS: what the file declares is then not consulted.
    pub crs_given: bool,
    /// A GeoPackage table to read, when the file holds several.
    pub table: Option<String>,
    /// The runtime, for readers that use async drivers (GeoPackage through sqlx).
    pub runtime: tokio::runtime::Handle,
}

/// The reader's side: rows out, progress noted.
pub(crate) struct Emit {
    tx: SyncSender<Row>,
    fraction_ppm: Arc<AtomicU64>,
    crs: Arc<Mutex<Option<Crs>>>,
}

impl Emit {
    /// Hands one row on; Err when the checker stopped listening (the import was abandoned).
    pub fn row(&self, row: Row) -> Result<(), String> {
        self.tx
            .send(row)
            .map_err(|_| "the import was abandoned".to_string())
    }

    /// Names the CRS the file declares (a Shapefile's .prj, a GeoPackage's srs_id); call it
    /// before the first row.
    pub fn declare_crs(&self, crs: Crs) {
        *self.crs.lock() = Some(crs);
    }

    /// Notes how much of the file has been read (0–1).
    pub fn progress(&self, fraction: f64) {
        let ppm = (fraction.clamp(0.0, 1.0) * 1e6) as u64;
        self.fraction_ppm.store(ppm, Ordering::Relaxed);
    }
}

/// The checker's side: the rows as they come, then the reader's verdict on the file.
pub struct Incoming {
    /// The rows in file order; the channel closes when the reader stops, for good or ill.
    pub rows: Receiver<Row>,
    fraction_ppm: Arc<AtomicU64>,
    crs: Arc<Mutex<Option<Crs>>>,
    reader: JoinHandle<Result<(), String>>,
}

impl Incoming {
    /// Share of the file read so far.
    pub fn fraction(&self) -> f64 {
        self.fraction_ppm.load(Ordering::Relaxed) as f64 / 1e6
    }

    /// The CRS the file declares, if any; known once the first row arrived.
    pub fn declared_crs(&self) -> Option<Crs> {
        *self.crs.lock()
    }

    /// After the rows ran out: Ok, or why the file cannot be read.
    pub fn finish(self) -> Result<(), String> {
        self.reader
            .join()
            .unwrap_or_else(|_| Err("the file reader failed unexpectedly".into()))
    }
}

/// Starts reading `input` on its own thread.
pub fn spawn(input: Input) -> Incoming {
    let (tx, rows) = sync_channel(CHANNEL_ROWS);
    let fraction_ppm = Arc::new(AtomicU64::new(0));
    let crs = Arc::new(Mutex::new(None));
    let emit = Emit {
        tx,
        fraction_ppm: fraction_ppm.clone(),
        crs: crs.clone(),
    };
    let reader = std::thread::spawn(move || {
        let r = match input.format.as_str() {
            "geojson" => geojson::read(&input, &emit),
            "csv" => csv::read(&input, &emit),
            "xlsx" => xlsx::read(&input, &emit),
            "shp" => shp::read(&input, &emit),
            _ => gpkg::read(&input, &emit),
        };
        emit.progress(1.0);
        r
    });
    Incoming {
        rows,
        fraction_ppm,
        crs,
        reader,
    }
}

/// A geometry read from a file as GeoJSON. Shapefiles and many GeoPackages hold every polygon
/// as a MultiPolygon (every line as a MultiLineString); a one-part multi is unwrapped when the
/// layer wants the single type.
pub(crate) fn geometry_json(def: &LayerDef, g: Geometry<f64>) -> Value {
    let g = match (def.geometry, g) {
        (GeometryType::Polygon, Geometry::MultiPolygon(mut m)) if m.0.len() == 1 => {
            Geometry::Polygon(m.0.remove(0))
        }
        (GeometryType::LineString, Geometry::MultiLineString(mut m)) if m.0.len() == 1 => {
            Geometry::LineString(m.0.remove(0))
        }
        (GeometryType::Point, Geometry::MultiPoint(mut m)) if m.0.len() == 1 => {
            Geometry::Point(m.0.remove(0))
        }
        (_, g) => g,
    };
    serde_json::to_value(::geojson::Geometry::from(&g)).unwrap_or(Value::Null)
}

/// A number as a cell's text: whole numbers without a spurious `.0`, so integer and code
/// properties read them.
pub(crate) fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 9e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}
