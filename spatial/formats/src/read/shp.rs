//! A zipped ESRI Shapefile (.shp, .shx, .dbf, optional .prj and .cpg).
//!
//! Attribute text is decoded as the .cpg names; without one, as UTF-8 when the .dbf is valid
//! UTF-8 and as GBK otherwise (what Chinese desktop GIS writes). The .prj gives the CRS unless
//! the request names one. dBase truncates field names to 10 characters, so a field matches
//! the property whose name starts with it.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use onemap_coord::Crs;
use shapefile::dbase::{self, FieldValue};

use super::table::Layout;
use super::{Emit, Input, geometry_json, number};

/// Unzips to a temporary directory and emits each shape with its record.
pub fn read(input: &Input, emit: &Emit) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let shp = unzip(&input.path, dir.path(), input.table.as_deref())?;
    if !input.crs_given
        && let Some(crs) = prj_crs(&shp.with_extension("prj"))?
    {
        emit.declare_crs(crs);
    }
    ensure_cpg(&shp)?;
    let fields: Vec<String> = dbase::Reader::from_path(shp.with_extension("dbf"))
        .map_err(|e| format!("reading the .dbf: {e}"))?
        .fields()
        .iter()
        .map(|f| f.name().to_owned())
        .filter(|n| n != "DeletionFlag")
        .collect();
    let header: Vec<String> = fields.iter().map(|f| property_name(input, f)).collect();
    let layout = Layout::new(&input.def, &header)?;
    let mut reader =
        shapefile::Reader::from_path(&shp).map_err(|e| format!("reading the shapefile: {e}"))?;
    let total = reader.shape_count().unwrap_or(0).max(1);
    for (i, item) in reader.iter_shapes_and_records().enumerate() {
        let (shape, mut record) = item.map_err(|e| format!("feature {}: {e}", i + 1))?;
        let cells: Vec<String> = fields
            .iter()
            .map(|f| record.remove(f).map(cell).unwrap_or_default())
            .collect();
        let mut row = layout.row(&input.def, i + 1, &cells);
        match geo::Geometry::<f64>::try_from(shape) {
            Ok(g) => row.geometry = Some(geometry_json(&input.def, g)),
            // A null shape: the layer decides whether a geometry is required.
            Err(shapefile::Error::UnsupportedConversion) => {}
            Err(e) => row.issues.push(("geometry".into(), e.to_string())),
        }
        emit.row(row)?;
        emit.progress((i + 1) as f64 / total as f64);
    }
    Ok(())
}

/// Extracts the archive and returns the .shp to read: the only one, or the one named `table`.
fn unzip(zip: &Path, dir: &Path, table: Option<&str>) -> Result<PathBuf, String> {
    let file = File::open(zip).map_err(|e| e.to_string())?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| format!("not a zip archive: {e}"))?;
    let mut shps = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| format!("reading the zip archive: {e}"))?;
        // Flattened, and only names that stay inside the directory (no `../` tricks).
        let Some(name) = entry
            .enclosed_name()
            .and_then(|p| p.file_name().map(|n| n.to_owned()))
        else {
            continue;
        };
        if entry.is_dir() {
            continue;
        }
        let path = dir.join(&name);
        let mut out = File::create(&path).map_err(|e| e.to_string())?;
        std::io::copy(&mut entry, &mut out).map_err(|e| format!("reading the zip archive: {e}"))?;
        let stem_ext = |p: &Path| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("shp"))
        };
        if stem_ext(&path) {
            shps.push(path);
        }
    }
    let stem = |p: &PathBuf| {
        p.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    match (shps.len(), table) {
        (0, _) => Err("the archive holds no .shp file".into()),
        (_, Some(t)) => shps
            .iter()
            .find(|p| stem(p) == t)
            .cloned()
            .ok_or_else(|| format!("the archive holds no `{t}.shp`")),
        (1, None) => Ok(shps.remove(0)),
        _ => Err(format!(
            "the archive holds several shapefiles ({}); choose one with table=",
            shps.iter().map(stem).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// The CRS a .prj names: geographic CGCS2000 or WGS 84, Web Mercator, a Shanghai local plane,
/// or any WKT carrying an EPSG authority. None without a .prj; an error for a .prj we cannot
/// place (better than importing in the wrong place: pass crs= to decide).
fn prj_crs(prj: &Path) -> Result<Option<Crs>, String> {
    let Ok(text) = std::fs::read_to_string(prj) else {
        return Ok(None);
    };
    let wkt = text.to_ascii_uppercase().replace([' ', '_'], "");
    let projected = wkt.starts_with("PROJCS") || wkt.starts_with("PROJCRS");
    let crs = if wkt.contains("SHANGHAI") {
        Some(Crs::Sh2000)
    } else if wkt.contains("MERCATORAUXILIARYSPHERE") || wkt.contains("PSEUDOMERCATOR") {
        Some(Crs::WebMercator)
    } else if !projected && (wkt.contains("CGCS2000") || wkt.contains("CHINAGEODETIC")) {
        Some(Crs::Cgcs2000)
    } else if !projected && (wkt.contains("WGS1984") || wkt.contains("WGS84")) {
        Some(Crs::Wgs84)
    } else {
        // The outermost AUTHORITY is the last one in WKT1.
        wkt.rfind("AUTHORITY[\"EPSG\",\"")
            .and_then(|at| {
                let rest = &wkt[at + 18..];
                rest[..rest.find('"')?].parse::<u32>().ok()
            })
            .map(Crs::Epsg)
    };
    crs.map(Some).ok_or_else(|| {
        format!(
            "the .prj names a coordinate system onemap cannot place ({}); pass crs= to say which it is",
            text.chars().take(80).collect::<String>()
        )
    })
}

/// Writes a .cpg when the archive has none: UTF-8 if the .dbf decodes as UTF-8, else GBK.
fn ensure_cpg(shp: &Path) -> Result<(), String> {
    let cpg = shp.with_extension("cpg");
    if cpg.exists() {
        return Ok(());
    }
    let mut dbf = Vec::new();
    File::open(shp.with_extension("dbf"))
        .and_then(|mut f| f.read_to_end(&mut dbf))
        .map_err(|_| "the archive has a .shp without its .dbf".to_string())?;
    let encoding = if std::str::from_utf8(&dbf).is_ok() {
        "UTF-8"
    } else {
        "GBK"
    };
    std::fs::write(cpg, encoding).map_err(|e| e.to_string())
}

/// The layer property a (possibly truncated, upper-cased) dBase field name stands for.
fn property_name(input: &Input, field: &str) -> String {
    let lower = field.to_lowercase();
    let matches: Vec<&str> = input
        .def
        .properties
        .iter()
        .map(|p| p.name.as_str())
        .filter(|n| {
            n.eq_ignore_ascii_case(&lower) || (lower.chars().count() == 10 && n.starts_with(&lower))
        })
        .collect();
    match matches.as_slice() {
        [one] => (*one).to_owned(),
        _ => field.to_owned(),
    }
}

/// A dBase value as the text the table layout types by the property.
fn cell(v: FieldValue) -> String {
    match v {
        FieldValue::Character(s) => s.unwrap_or_default(),
        FieldValue::Memo(s) => s,
        FieldValue::Numeric(n) => n.map(number).unwrap_or_default(),
        FieldValue::Float(n) => n.map(|f| number(f64::from(f))).unwrap_or_default(),
        FieldValue::Double(n) | FieldValue::Currency(n) => number(n),
        FieldValue::Integer(n) => n.to_string(),
        FieldValue::Logical(b) => b.map(|b| b.to_string()).unwrap_or_default(),
        FieldValue::Date(d) => d
            .map(|d| format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
            .unwrap_or_default(),
        FieldValue::DateTime(t) => {
            let d = t.date();
            let (h, m, s) = (t.time().hours(), t.time().minutes(), t.time().seconds());
            format!(
                "{:04}-{:02}-{:02}T{h:02}:{m:02}:{s:02}Z",
                d.year(),
                d.month(),
                d.day()
            )
        }
    }
}
