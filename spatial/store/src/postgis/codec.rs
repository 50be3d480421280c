//! Values between the feature model and PostgreSQL columns; geometries as EWKB (SRID 4490).
//!
//! Geometries travel in the binary protocol through geozero's `wkb::Encode` / `wkb::Decode`,
//! never as WKT text, so coordinates round-trip bit for bit.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use geo::Geometry;
use geozero::error::Result as GzResult;
use geozero::{GeomProcessor, GeozeroGeometry, wkb};
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{Arguments, Row};

use crate::sql::{Result, SqlError};
use onemap_spatial::schema::{PropType, PropertyDef};
use onemap_spatial::validate::china_offset;

/// CGCS2000 geographic: the SRID of every geometry column.
pub const SRID: i32 = 4490;

/// A geometry tagged with SRID 4490, so its EWKB matches `geometry(<Type>, 4490)` columns.
pub struct Cgcs2000<'a>(pub &'a Geometry<f64>);

impl GeozeroGeometry for Cgcs2000<'_> {
    fn process_geom<P: GeomProcessor>(&self, processor: &mut P) -> GzResult<()> {
        self.0.process_geom(processor)
    }

    fn srid(&self) -> Option<i32> {
        Some(SRID)
    }
}

/// A geometry parameter (EWKB).
pub type GeomParam<'a> = wkb::Encode<Cgcs2000<'a>>;

pub fn geom_param(g: &Geometry<f64>) -> GeomParam<'_> {
    wkb::Encode(Cgcs2000(g))
}

/// Reads a nullable geometry column.
pub fn read_geometry(row: &PgRow, idx: usize) -> Result<Option<Geometry<f64>>> {
    Ok(row.try_get::<wkb::Decode<Geometry<f64>>, _>(idx)?.geometry)
}

/// The column type of a property, as PostgreSQL names it in DDL.
pub fn column_type(p: &PropertyDef) -> &'static str {
    match p.kind {
        PropType::Integer { .. } => "bigint",
        PropType::Number { .. } => "double precision",
        PropType::Boolean => "boolean",
        PropType::Date => "date",
        PropType::Datetime => "timestamptz",
        PropType::StringList => "text[]",
        _ => "text",
    }
}

/// The same type as `information_schema.columns.udt_name` shows it, to check existing tables.
pub fn udt_name(p: &PropertyDef) -> &'static str {
    match p.kind {
        PropType::Integer { .. } => "int8",
        PropType::Number { .. } => "float8",
        PropType::Boolean => "bool",
        PropType::Date => "date",
        PropType::Datetime => "timestamptz",
        PropType::StringList => "_text",
        _ => "text",
    }
}

fn date(v: Option<&Value>) -> Option<NaiveDate> {
    v.and_then(Value::as_str)
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
}

fn datetime(v: Option<&Value>) -> Option<DateTime<Utc>> {
    v.and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v.and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    })
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_owned)
}

/// Binds a normalised property value (or NULL) for its column.
pub fn bind_value(args: &mut PgArguments, p: &PropertyDef, v: Option<&Value>) -> Result<()> {
    let r = match p.kind {
        PropType::Integer { .. } => args.add(v.and_then(Value::as_i64)),
        PropType::Number { .. } => args.add(v.and_then(Value::as_f64)),
        PropType::Boolean => args.add(v.and_then(Value::as_bool)),
        PropType::Date => args.add(date(v)),
        PropType::Datetime => args.add(datetime(v)),
        PropType::StringList => args.add(strings(v)),
        _ => args.add(text(v)),
    };
    r.map_err(SqlError::bind(&p.name))
}

/// Reads a column back into the normalised JSON value (None for NULL).
pub fn read_value(row: &PgRow, idx: usize, p: &PropertyDef) -> Result<Option<Value>> {
    let err = |e| SqlError::read(&p.name)(e);
    Ok(match p.kind {
        PropType::Integer { .. } => row
            .try_get::<Option<i64>, _>(idx)
            .map_err(err)?
            .map(Value::from),
        PropType::Number { .. } => row
            .try_get::<Option<f64>, _>(idx)
            .map_err(err)?
            .map(Value::from),
        PropType::Boolean => row
            .try_get::<Option<bool>, _>(idx)
            .map_err(err)?
            .map(Value::from),
        PropType::Date => row
            .try_get::<Option<NaiveDate>, _>(idx)
            .map_err(err)?
            .map(|d| Value::from(d.format("%Y-%m-%d").to_string())),
        // Served in China Standard Time, as validation normalises them.
        PropType::Datetime => row
            .try_get::<Option<DateTime<Utc>>, _>(idx)
            .map_err(err)?
            .map(|d| {
                Value::from(
                    d.with_timezone(&china_offset())
                        .to_rfc3339_opts(SecondsFormat::AutoSi, false),
                )
            }),
        PropType::StringList => row
            .try_get::<Option<Vec<String>>, _>(idx)
            .map_err(err)?
            .map(|l| Value::from(l.into_iter().map(Value::from).collect::<Vec<_>>())),
        _ => row
            .try_get::<Option<String>, _>(idx)
            .map_err(err)?
            .map(Value::from),
    })
}

/// One column of a batch insert, bound as one array parameter and spread by `UNNEST`.
pub enum ColumnArray {
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Date(Vec<Option<NaiveDate>>),
    Timestamp(Vec<Option<DateTime<Utc>>>),
    Text(Vec<Option<String>>),
    /// A string list as JSON text: PostgreSQL arrays of arrays must be rectangular.
    List(Vec<Option<String>>),
}

impl ColumnArray {
    pub fn new(p: &PropertyDef, capacity: usize) -> Self {
        match p.kind {
            PropType::Integer { .. } => Self::Int(Vec::with_capacity(capacity)),
            PropType::Number { .. } => Self::Float(Vec::with_capacity(capacity)),
            PropType::Boolean => Self::Bool(Vec::with_capacity(capacity)),
            PropType::Date => Self::Date(Vec::with_capacity(capacity)),
            PropType::Datetime => Self::Timestamp(Vec::with_capacity(capacity)),
            PropType::StringList => Self::List(Vec::with_capacity(capacity)),
            _ => Self::Text(Vec::with_capacity(capacity)),
        }
    }

    pub fn push(&mut self, v: Option<&Value>) {
        match self {
            Self::Int(a) => a.push(v.and_then(Value::as_i64)),
            Self::Float(a) => a.push(v.and_then(Value::as_f64)),
            Self::Bool(a) => a.push(v.and_then(Value::as_bool)),
            Self::Date(a) => a.push(date(v)),
            Self::Timestamp(a) => a.push(datetime(v)),
            Self::Text(a) => a.push(text(v)),
            Self::List(a) => a.push(v.filter(|v| v.is_array()).map(Value::to_string)),
        }
    }

    /// The array type to cast the parameter to in `UNNEST($n::type)`.
    pub fn sql_type(&self) -> &'static str {
        match self {
            Self::Int(_) => "int8[]",
            Self::Float(_) => "float8[]",
            Self::Bool(_) => "bool[]",
            Self::Date(_) => "date[]",
            Self::Timestamp(_) => "timestamptz[]",
            Self::Text(_) | Self::List(_) => "text[]",
        }
    }

    /// The select expression turning the unnested value `u.{col}` into the column's value.
    pub fn select_expr(&self, col: &str) -> String {
        match self {
            Self::List(_) => format!(
                "CASE WHEN u.{col} IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(u.{col}::jsonb)) END"
            ),
            _ => format!("u.{col}"),
        }
    }

    pub fn bind(self, args: &mut PgArguments) -> Result<()> {
        let r = match self {
            Self::Int(a) => args.add(a),
            Self::Float(a) => args.add(a),
            Self::Bool(a) => args.add(a),
            Self::Date(a) => args.add(a),
            Self::Timestamp(a) => args.add(a),
            Self::Text(a) | Self::List(a) => args.add(a),
        };
        r.map_err(SqlError::bind("a column array"))
    }
}
