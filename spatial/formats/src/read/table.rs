//! Tabular rows (CSV, xlsx) into GeoJSON-shaped rows: which column is which, and each cell
//! typed as its property declares.
//!
//! Columns are matched to properties by name or by title (agencies' spreadsheets often carry
//! the Chinese titles: `编号`, `地址`…), case-insensitively. The geometry comes from `x`/`y`
//! or `lon`/`lat` (a point, in the import's CRS), or from `geometry_wkt` (WKT); a second
//! geometry property from `{prop}_wkt`. An `id` column is ignored (the store assigns ids), so
//! an export imports back. Any other column is an error naming it.

use geo::Geometry;
use onemap_spatial::LayerDef;
use onemap_spatial::schema::PropType;
use serde_json::{Map, Value};

use super::Row;

/// What one column holds.
#[derive(Debug, Clone, PartialEq)]
enum Column {
    /// `id`: ids are the store's to assign (an export's ids do not carry over).
    Id,
    X,
    Y,
    Wkt,
    /// A property by name; for geometry properties, its WKT.
    Property(String),
}

/// The column layout of a table.
pub struct Layout {
    columns: Vec<Column>,
}

impl Layout {
    /// Reads the header; unknown or repeated columns are errors naming them.
    pub fn new(def: &LayerDef, header: &[String]) -> Result<Self, String> {
        let mut columns = Vec::with_capacity(header.len());
        for h in header {
            let h = h.trim().trim_start_matches('\u{feff}');
            let lower = h.to_lowercase();
            let c = match lower.as_str() {
                "x" | "lon" | "lng" | "longitude" | "经度" => Column::X,
                "y" | "lat" | "latitude" | "纬度" => Column::Y,
                "geometry_wkt" | "wkt" => Column::Wkt,
                "id" | "fid" => Column::Id,
                _ => {
                    let (base, wkt) = match lower.strip_suffix("_wkt") {
                        Some(b) => (b, true),
                        None => (lower.as_str(), false),
                    };
                    let p = def
                        .properties
                        .iter()
                        .find(|p| p.name.to_lowercase() == base || p.title.as_deref() == Some(h))
                        .filter(|p| p.is_geometry() == wkt)
                        .ok_or_else(|| {
                            format!("column `{h}` is not a property of layer `{}`", def.id)
                        })?;
                    Column::Property(p.name.clone())
                }
            };
            if columns.contains(&c) {
                return Err(format!("column `{h}` appears twice"));
            }
            columns.push(c);
        }
        let has = |c: &Column| columns.contains(c);
        if has(&Column::X) != has(&Column::Y) {
            return Err("coordinates need both an x (lon) and a y (lat) column".into());
        }
        Ok(Self { columns })
    }

    /// One row of cells (as text) into a GeoJSON-shaped row; `row` is its 1-based number in
    /// the file, for the report.
    pub fn row(&self, def: &LayerDef, row: usize, cells: &[String]) -> Row {
        let mut properties = Map::new();
        let mut issues = Vec::new();
        let (mut x, mut y, mut geometry) = (None, None, None);
        for (c, cell) in self.columns.iter().zip(cells) {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            match c {
                Column::Id => {}
                Column::X => x = Some(cell),
                Column::Y => y = Some(cell),
                Column::Wkt => match wkt_json(cell) {
                    Ok(g) => geometry = Some(g),
                    Err(e) => issues.push(("geometry_wkt".to_string(), e)),
                },
                Column::Property(name) => {
                    let Some(p) = def.property(name) else {
                        continue;
                    };
                    match &p.kind {
                        PropType::Geometry { .. } => match wkt_json(cell) {
                            Ok(g) => {
                                properties.insert(name.clone(), g);
                            }
                            Err(e) => issues.push((format!("{name}_wkt"), e)),
                        },
                        kind => {
                            properties.insert(name.clone(), typed(kind, cell));
                        }
                    }
                }
            }
        }
        if let (Some(x), Some(y)) = (x, y) {
            match (x.parse::<f64>(), y.parse::<f64>()) {
                (Ok(x), Ok(y)) => {
                    geometry = Some(serde_json::json!({"type": "Point", "coordinates": [x, y]}))
                }
                _ => issues.push(("x,y".into(), format!("`{x}`, `{y}` are not coordinates"))),
            }
        }
        Row {
            row,
            geometry,
            properties,
            issues,
        }
    }
}

/// A cell's text as the JSON value its property type expects; text that does not parse
/// stays text, so validation names the problem.
fn typed(kind: &PropType, s: &str) -> Value {
    match kind {
        PropType::Integer { .. } => s.parse::<i64>().map(Value::from).unwrap_or_else(|_| {
            // Spreadsheets store whole numbers as floats: 12.0 is 12.
            match s.parse::<f64>() {
                Ok(f) if f.fract() == 0.0 && f.abs() < 9e15 => Value::from(f as i64),
                _ => Value::from(s),
            }
        }),
        PropType::Number { .. } => s
            .parse::<f64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(s)),
        PropType::Boolean => match s.to_lowercase().as_str() {
            "true" | "1" | "是" | "yes" => Value::Bool(true),
            "false" | "0" | "否" | "no" => Value::Bool(false),
            _ => Value::from(s),
        },
        PropType::StringList => Value::Array(
            s.split(';')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(Value::from)
                .collect(),
        ),
        _ => Value::from(s),
    }
}

/// WKT text as a GeoJSON geometry object.
fn wkt_json(s: &str) -> Result<Value, String> {
    let w: wkt::Wkt<f64> = s.parse().map_err(|e| format!("not WKT: {e}"))?;
    let g: Geometry<f64> = w.try_into().map_err(|e| format!("unusable WKT: {e:?}"))?;
    serde_json::to_value(geojson::Geometry::from(&g)).map_err(|e| e.to_string())
}
