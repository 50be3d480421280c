//! Values between the feature model and SQLite columns, geometries as GeoPackage binary.

use chrono::{DateTime, SecondsFormat, Utc};
use geo::{BoundingRect, Geometry};
use geozero::wkb::{FromWkb, WkbDialect};
use geozero::{CoordDimensions, ToWkb};
use serde_json::Value;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Row};

use crate::sql::{Result, SqlError};
use onemap_spatial::schema::{PropType, PropertyDef};
use onemap_spatial::validate::parse_datetime;

/// CGCS2000 geographic: the CRS every stored geometry is in.
pub const SRS_ID: i32 = 4490;

/// GeoPackage binary with the envelope in the header, so readers can skip without parsing.
pub fn encode_geometry(g: &Geometry<f64>) -> Result<Vec<u8>> {
    let env = g
        .bounding_rect()
        .map(|r| vec![r.min().x, r.max().x, r.min().y, r.max().y])
        .unwrap_or_default();
    g.to_gpkg_wkb(CoordDimensions::xy(), Some(SRS_ID), env)
        .map_err(SqlError::EncodeGeometry)
}

pub fn decode_geometry(bytes: &[u8]) -> Result<Geometry<f64>> {
    Geometry::from_wkb(&mut std::io::Cursor::new(bytes), WkbDialect::Geopackage)
        .map_err(SqlError::DecodeGeometry)
}

/// The declared SQLite/GeoPackage column type of a property.
pub fn column_type(p: &PropertyDef) -> &'static str {
    match p.kind {
        PropType::Integer { .. } => "INTEGER",
        PropType::Number { .. } => "DOUBLE",
        PropType::Boolean => "BOOLEAN",
        PropType::Date => "DATE",
        PropType::Datetime => "DATETIME",
        _ => "TEXT",
    }
}

/// Binds a normalised property value (or NULL) for its column.
pub fn bind_value(
    args: &mut SqliteArguments<'_>,
    p: &PropertyDef,
    v: Option<&Value>,
) -> Result<()> {
    let r = match (&p.kind, v) {
        (PropType::Integer { .. }, v) => args.add(v.and_then(Value::as_i64)),
        (PropType::Number { .. }, v) => args.add(v.and_then(Value::as_f64)),
        (PropType::Boolean, v) => args.add(v.and_then(Value::as_bool)),
        // GeoPackage DATETIME is ISO 8601 in UTC with a Z.
        (PropType::Datetime, v) => args.add(v.and_then(Value::as_str).and_then(|s| {
            DateTime::parse_from_rfc3339(s).ok().map(|d| {
                d.with_timezone(&Utc)
                    .to_rfc3339_opts(SecondsFormat::Millis, true)
            })
        })),
        (PropType::StringList, v) => args.add(v.map(Value::to_string)),
        (_, v) => args.add(v.and_then(Value::as_str).map(str::to_owned)),
    };
    r.map_err(SqlError::bind(&p.name))
}

/// Reads a column back into the normalised JSON value (None for NULL).
pub fn read_value(row: &SqliteRow, idx: usize, p: &PropertyDef) -> Result<Option<Value>> {
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
        PropType::Datetime => row
            .try_get::<Option<String>, _>(idx)
            .map_err(err)?
            .and_then(|s| parse_datetime(&s).ok())
            .map(Value::from),
        PropType::StringList => row
            .try_get::<Option<String>, _>(idx)
            .map_err(err)?
            .and_then(|s| serde_json::from_str(&s).ok()),
        _ => row
            .try_get::<Option<String>, _>(idx)
            .map_err(err)?
            .map(Value::from),
    })
}
