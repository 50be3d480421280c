//! The one tabular layout CSV and XLSX share, so a spreadsheet and a CSV of the same
//! export hold the same columns and values.
//!
//! Columns: `id`; for a Point layer `x`, `y` (`lon`, `lat` in a geographic CRS), for any
//! other layer `geometry_wkt`; then each property in declaration order, a secondary
//! geometry as WKT in `{name}_wkt`. A string list is joined with `;`.

use std::borrow::Cow;

use geo::Geometry;
use onemap_coord::Crs;
use onemap_spatial::schema::{GeometryType, PropType, PropertyDef};
use onemap_spatial::{Feature, LayerDef};
use serde_json::Value;
use wkt::ToWkt;

/// What a column holds.
enum Column<'a> {
    Id,
    X,
    Y,
    Geometry,
    Property(&'a PropertyDef),
}

/// The columns of one layer's export.
pub struct Columns<'a> {
    columns: Vec<(String, Column<'a>)>,
}

/// One value, typed so XLSX can write numbers, booleans and dates as such; CSV writes
/// [`Cell::text`].
pub enum Cell<'a> {
    /// No value (a missing or null property, or no point): an empty cell.
    Empty,
    /// An id or integer property.
    Int(i64),
    /// A number property or a coordinate.
    Num(f64),
    /// A boolean property.
    Bool(bool),
    /// Text: strings, codes (kept as text for their leading zeros), WKT, joined lists.
    Text(Cow<'a, str>),
    /// `YYYY-MM-DD`, as stored.
    Date(&'a str),
    /// RFC 3339, as stored (China Standard Time).
    DateTime(&'a str),
}

impl Cell<'_> {
    /// The value as CSV text: numbers in the shortest form that reads back exactly.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Self::Empty => "".into(),
            Self::Int(i) => i.to_string().into(),
            Self::Num(n) => n.to_string().into(),
            Self::Bool(b) => b.to_string().into(),
            Self::Text(s) => s.as_ref().into(),
            Self::Date(s) | Self::DateTime(s) => (*s).into(),
        }
    }
}

impl<'a> Columns<'a> {
    /// The columns of `def` with coordinates in `crs`.
    pub fn new(def: &'a LayerDef, crs: Crs) -> Self {
        let mut columns = vec![("id".to_string(), Column::Id)];
        if def.geometry == GeometryType::Point {
            let (x, y) = if crs.is_angular() {
                ("lon", "lat")
            } else {
                ("x", "y")
            };
            columns.push((x.into(), Column::X));
            columns.push((y.into(), Column::Y));
        } else {
            columns.push(("geometry_wkt".into(), Column::Geometry));
        }
        for p in &def.properties {
            let name = if p.is_geometry() {
                format!("{}_wkt", p.name)
            } else {
                p.name.clone()
            };
            columns.push((name, Column::Property(p)));
        }
        Self { columns }
    }

    /// How many columns (at least `id` and the geometry).
    pub(crate) fn len(&self) -> usize {
        self.columns.len()
    }

    /// The header row.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|(n, _)| n.as_str())
    }

    /// One feature's row, column by column.
    pub fn cells<'f>(&'f self, f: &'f Feature) -> impl Iterator<Item = Cell<'f>> {
        self.columns.iter().map(move |(_, c)| match c {
            Column::Id => Cell::Int(f.id),
            Column::X => point(f).map_or(Cell::Empty, |p| Cell::Num(p.x())),
            Column::Y => point(f).map_or(Cell::Empty, |p| Cell::Num(p.y())),
            Column::Geometry => wkt(f.geometry.as_ref()),
            Column::Property(p) if p.is_geometry() => wkt(f.geometries.get(&p.name)),
            Column::Property(p) => property(p, f.properties.get(&p.name)),
        })
    }
}

fn point(f: &Feature) -> Option<geo::Point<f64>> {
    match f.geometry {
        Some(Geometry::Point(p)) => Some(p),
        _ => None,
    }
}

fn wkt(g: Option<&Geometry<f64>>) -> Cell<'static> {
    g.map_or(Cell::Empty, |g| Cell::Text(g.wkt_string().into()))
}

fn property<'f>(p: &PropertyDef, v: Option<&'f Value>) -> Cell<'f> {
    match (&p.kind, v) {
        (_, None | Some(Value::Null)) => Cell::Empty,
        (PropType::Date, Some(Value::String(s))) => Cell::Date(s),
        (PropType::Datetime, Some(Value::String(s))) => Cell::DateTime(s),
        (_, Some(Value::String(s))) => Cell::Text(s.as_str().into()),
        (_, Some(Value::Number(n))) => n
            .as_i64()
            .map_or_else(|| Cell::Num(n.as_f64().unwrap_or(f64::NAN)), Cell::Int),
        (_, Some(Value::Bool(b))) => Cell::Bool(*b),
        (_, Some(Value::Array(items))) => Cell::Text(
            items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map_or_else(|| i.to_string().into(), Cow::Borrowed)
                })
                .collect::<Vec<_>>()
                .join(";")
                .into(),
        ),
        // Normalised properties are never objects; keep whatever it is readable.
        (_, Some(v @ Value::Object(_))) => Cell::Text(v.to_string().into()),
    }
}
