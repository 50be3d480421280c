//! Reading an uploaded file into rows: GeoJSON, CSV (UTF-8, or GBK as Chinese Excel saves
//! it) and xlsx (the first sheet, via calamine).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use onemap_spatial::LayerDef;
use serde_json::{Map, Value};

use super::Row;
use super::table::Layout;

/// A GeoJSON FeatureCollection (or one Feature): row n is feature n (1-based).
pub fn geojson(bytes: &[u8]) -> Result<Vec<Row>, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let features = match v.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => v
            .get("features")
            .and_then(Value::as_array)
            .cloned()
            .ok_or("a FeatureCollection needs a `features` array")?,
        Some("Feature") => vec![v],
        _ => return Err("not a GeoJSON Feature or FeatureCollection".into()),
    };
    Ok(features
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let mut issues = Vec::new();
            let properties = match f.get("properties") {
                Some(Value::Object(m)) => m.clone(),
                None | Some(Value::Null) => Map::new(),
                Some(_) => {
                    issues.push(("properties".into(), "must be an object".into()));
                    Map::new()
                }
            };
            if f.get("type").and_then(Value::as_str) != Some("Feature") {
                issues.push(("type".into(), "must be \"Feature\"".into()));
            }
            Row {
                row: i + 1,
                geometry: f.get("geometry").filter(|g| !g.is_null()).cloned(),
                properties,
                issues,
            }
        })
        .collect())
}

/// CSV with a header row; UTF-8 (with or without BOM), else decoded as GBK.
pub fn csv(def: &LayerDef, bytes: &[u8]) -> Result<Vec<Row>, String> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => {
            let (t, _, bad) = encoding_rs::GBK.decode(bytes);
            if bad {
                return Err("the file is neither UTF-8 nor GBK text".into());
            }
            t
        }
    };
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = r
        .headers()
        .map_err(|e| format!("reading the header: {e}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    let layout = Layout::new(def, &header)?;
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        // Row 1 is the header, as a spreadsheet numbers them.
        let rec = rec.map_err(|e| format!("row {}: {e}", i + 2))?;
        let cells: Vec<String> = rec.iter().map(str::to_owned).collect();
        rows.push(layout.row(def, i + 2, &cells));
    }
    Ok(rows)
}

/// The first sheet of an xlsx workbook, header in the first row.
pub fn xlsx(def: &LayerDef, bytes: &[u8]) -> Result<Vec<Row>, String> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| format!("not an xlsx workbook: {e}"))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or("the workbook has no sheet")?
        .map_err(|e| format!("reading the first sheet: {e}"))?;
    let mut it = range.rows();
    let header: Vec<String> = it
        .next()
        .ok_or("the sheet is empty")?
        .iter()
        .map(cell)
        .collect();
    let layout = Layout::new(def, &header)?;
    Ok(it
        .enumerate()
        .map(|(i, cells)| layout.row(def, i + 2, &cells.iter().map(cell).collect::<Vec<_>>()))
        .collect())
}

/// A cell as text: numbers without a spurious `.0`, dates as ISO 8601.
fn cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => format!("{}", *f as i64),
        Data::DateTime(dt) => dt
            .as_datetime()
            .map(|t| {
                if t.time() == chrono::NaiveTime::MIN {
                    t.format("%Y-%m-%d").to_string()
                } else {
                    t.format("%Y-%m-%dT%H:%M:%S+08:00").to_string()
                }
            })
            .unwrap_or_default(),
        other => other.to_string(),
    }
}
