//! A GeoJSON FeatureCollection (or one Feature): row n is feature n (1-based).
//!
//! The document is parsed whole (GeoJSON has no row boundaries to stream on); for very large
//! files CSV, GeoPackage or Shapefile stream row by row.

use std::io::BufReader;

use serde_json::{Map, Value};

use super::Row;
use super::{Emit, Input};

/// Parses the document and emits each feature as a row.
pub fn read(input: &Input, emit: &Emit) -> Result<(), String> {
    let file = std::fs::File::open(&input.path).map_err(|e| e.to_string())?;
    let mut v: Value =
        serde_json::from_reader(BufReader::new(file)).map_err(|e| format!("not JSON: {e}"))?;
    let features = match v.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => match v.get_mut("features").map(Value::take) {
            Some(Value::Array(a)) => a,
            _ => return Err("a FeatureCollection needs a `features` array".into()),
        },
        Some("Feature") => vec![v],
        _ => return Err("not a GeoJSON Feature or FeatureCollection".into()),
    };
    let n = features.len();
    for (i, f) in features.into_iter().enumerate() {
        emit.row(row(i + 1, f))?;
        emit.progress((i + 1) as f64 / n as f64);
    }
    Ok(())
}

fn row(n: usize, mut f: Value) -> Row {
    let mut issues = Vec::new();
    let properties = match f.get_mut("properties").map(Value::take) {
        Some(Value::Object(m)) => m,
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
        row: n,
        geometry: f
            .get_mut("geometry")
            .map(Value::take)
            .filter(|g| !g.is_null()),
        properties,
        issues,
    }
}
