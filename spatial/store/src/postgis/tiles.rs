//! Vector tiles rendered by the database with `ST_AsMVT`, for layers too large to hold in
//! memory or for a tile server that keeps no index of its own.
//!
//! The tiles follow onemap-tiles' conventions so a client cannot tell them apart: one MVT
//! layer per source layer named by its id, extent 4096 with a 64-unit buffer, the feature id
//! as the MVT id, every scalar property as a tag (nulls omitted), dates as `YYYY-MM-DD`,
//! datetimes in China Standard Time as RFC 3339 (as validation normalises them), string
//! lists comma-joined, secondary geometries left out. Geometries are projected from
//! EPSG:4490 to Web Mercator by PostGIS (CGCS2000 is taken as WGS 84, as everywhere in
//! onemap) after being clipped to Mercator's latitude range.

use sqlx::{PgPool, Row};

use crate::postgis::ddl::{feature_table, quote};
use crate::sql::{Result, SqlError};
use onemap_spatial::schema::{LayerDef, PropType, PropertyDef};
use onemap_spatial::tile_grid::{BUFFER, EXTENT};

/// The tag expression for a property column `t."name"`, typed as onemap-tiles tags it.
fn tag_expr(p: &PropertyDef) -> Option<String> {
    let c = format!("t.{}", quote(&p.name));
    Some(match p.kind {
        PropType::Geometry { .. } => return None,
        PropType::Date => format!("to_char({c}, 'YYYY-MM-DD')"),
        // RFC 3339 in +08:00 with 0, 3 or 6 fraction digits, like chrono's SecondsFormat::AutoSi.
        PropType::Datetime => format!(
            "to_char({c} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS') || \
             CASE WHEN extract(microseconds FROM {c})::int % 1000000 = 0 THEN '' \
                  WHEN extract(microseconds FROM {c})::int % 1000 = 0 \
                  THEN '.' || lpad((extract(microseconds FROM {c})::int % 1000000 / 1000)::text, 3, '0') \
                  ELSE '.' || lpad((extract(microseconds FROM {c})::int % 1000000)::text, 6, '0') END || '+08:00'"
        ),
        PropType::StringList => format!("array_to_string({c}, ',')"),
        _ => c,
    })
}

/// The statement rendering one layer's part of tile `$1/$2/$3`.
fn layer_sql(def: &LayerDef) -> String {
    let tags: String = def
        .properties
        .iter()
        .filter_map(|p| tag_expr(p).map(|e| format!(", {e} AS {}", quote(&p.name))))
        .collect();
    format!(
        "WITH b AS (SELECT ST_TileEnvelope($1, $2, $3) AS env,
                           ST_Transform(ST_TileEnvelope($1, $2, $3, margin => {BUFFER}.0 / {EXTENT}), 4490) AS q)
         SELECT ST_AsMVT(m, $4, {EXTENT}, 'geom', 'fid') FROM (
           SELECT t.fid,
                  ST_AsMVTGeom(
                    ST_Transform(ST_ClipByBox2D(t.geom, ST_MakeEnvelope(-180, -85.0511287798, 180, 85.0511287798)::box2d), 3857),
                    b.env, {EXTENT}, {BUFFER}, true) AS geom{tags}
           FROM {} t, b
           WHERE t.geom && b.q
         ) m
         WHERE m.geom IS NOT NULL",
        feature_table(def)
    )
}

/// Renders tile `z/x/y` of `layers` (in that order) in the database; `None` when no
/// feature reaches it.
pub async fn render(
    pool: &PgPool,
    layers: &[&LayerDef],
    z: u32,
    x: u32,
    y: u32,
) -> Result<Option<Vec<u8>>> {
    if z > 30 || x >= 1 << z || y >= 1 << z {
        return Err(SqlError::Invalid(format!("no tile {z}/{x}/{y}")));
    }
    let mut out = Vec::new();
    for def in layers {
        let row = sqlx::query(&layer_sql(def))
            .bind(z as i32)
            .bind(x as i32)
            .bind(y as i32)
            .bind(&def.id)
            .fetch_one(pool)
            .await?;
        let bytes: Option<Vec<u8>> = row.try_get(0)?;
        // An MVT tile is a repeated `layers` field: concatenated tiles are one tile.
        out.extend(bytes.unwrap_or_default());
    }
    Ok((!out.is_empty()).then_some(out))
}
