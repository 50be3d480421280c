//! A GeoPackage: one feature table (the only one, the one named like the layer, or `table=`).
//!
//! A file onemap exported (the store's own table layout) is read through the
//! GeoPackage store itself, so secondary geometries such as footprints come back too. Any
//! other GeoPackage (QGIS, ArcGIS, ogr2ogr) is read generically: its columns matched to the
//! layer's properties like a spreadsheet's, the geometry column decoded, the CRS taken from
//! `srs_id` unless the request names one.

use futures_util::TryStreamExt;
use onemap_coord::Crs;
use onemap_spatial::Store;
use onemap_spatial::geojson_out::properties_json;
use onemap_store::gpkg::{GpkgStore, decode_geometry};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteRow};
use sqlx::{ConnectOptions, Row, TypeInfo, ValueRef};

use super::Row as ImportRow;
use super::table::Layout;
use super::{Emit, Input, geometry_json, number};

/// Emits the rows of the chosen feature table, blocking on the runtime (sqlx is async); an
/// onemap export is read through the store.
pub fn read(input: &Input, emit: &Emit) -> Result<(), String> {
    input.runtime.block_on(read_async(input, emit))
}

async fn read_async(input: &Input, emit: &Emit) -> Result<(), String> {
    let mut conn = SqliteConnectOptions::new()
        .filename(&input.path)
        .read_only(true)
        .connect()
        .await
        .map_err(|e| format!("not a GeoPackage: {e}"))?;
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")
            .fetch_all(&mut conn)
            .await
            .map_err(|e| format!("not a GeoPackage (no gpkg_contents): {e}"))?;
    let table = pick(&tables, input.table.as_deref(), &input.def.id)?;
    if exported_by_onemap(&mut conn, &table, &input.def.id).await {
        drop(conn);
        return via_store(input, emit).await;
    }
    let (geom, srs_id): (String, i64) = sqlx::query_as(
        "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?",
    )
    .bind(&table)
    .fetch_one(&mut conn)
    .await
    .map_err(|e| format!("table `{table}` has no geometry column: {e}"))?;
    if !input.crs_given
        && let Some(crs) = srs_crs(&mut conn, srs_id).await?
    {
        emit.declare_crs(crs);
    }
    let columns: Vec<(String, i64)> = sqlx::query_as("SELECT name, pk FROM pragma_table_info(?)")
        .bind(&table)
        .fetch_all(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    let attrs: Vec<String> = columns
        .into_iter()
        .filter(|(n, pk)| *pk == 0 && *n != geom)
        .map(|(n, _)| n)
        .collect();
    let layout = Layout::new(&input.def, &attrs)?;
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", quote(&table)))
        .fetch_one(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    let select: Vec<String> = attrs
        .iter()
        .map(|a| quote(a))
        .chain([quote(&geom)])
        .collect();
    let sql = format!("SELECT {} FROM {}", select.join(", "), quote(&table));
    let mut rows = sqlx::query(&sql).fetch(&mut conn);
    let mut n = 0;
    while let Some(r) = rows.try_next().await.map_err(|e| e.to_string())? {
        n += 1;
        let cells: Vec<String> = (0..attrs.len()).map(|i| text(&r, i)).collect();
        let mut row = layout.row(&input.def, n, &cells);
        match r.try_get_unchecked::<Option<Vec<u8>>, _>(attrs.len()) {
            Ok(Some(blob)) => match decode_geometry(&blob) {
                Ok(g) => row.geometry = Some(geometry_json(&input.def, g)),
                Err(e) => row
                    .issues
                    .push((geom.clone(), format!("unreadable geometry: {e}"))),
            },
            Ok(None) => {}
            Err(e) => row.issues.push((geom.clone(), e.to_string())),
        }
        emit.row(row)?;
        emit.progress(n as f64 / total.max(1) as f64);
    }
    Ok(())
}

/// The feature table to read.
fn pick(tables: &[String], asked: Option<&str>, layer: &str) -> Result<String, String> {
    if let Some(t) = asked {
        return tables
            .iter()
            .find(|n| *n == t)
            .cloned()
            .ok_or_else(|| format!("the GeoPackage has no feature table `{t}`"));
    }
    match tables {
        [] => Err("the GeoPackage has no feature table".into()),
        [one] => Ok(one.clone()),
        _ => tables.iter().find(|n| *n == layer).cloned().ok_or_else(|| {
            format!(
                "the GeoPackage has several feature tables ({}); choose one with table=",
                tables.join(", ")
            )
        }),
    }
}

/// True for a table in the GeoPackage store's own layout (its `_version` column), as onemap
/// exports write it.
async fn exported_by_onemap(conn: &mut SqliteConnection, table: &str, layer: &str) -> bool {
    table == layer
        && sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pragma_table_info(?) WHERE name = '_version'",
        )
        .bind(table)
        .fetch_one(conn)
        .await
        .is_ok_and(|n| n > 0)
}

/// Reads an onemap export through the store (a copy: the store opens files read-write).
async fn via_store(input: &Input, emit: &Emit) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let copy = dir.path().join("import.gpkg");
    std::fs::copy(&input.path, &copy).map_err(|e| e.to_string())?;
    let store = GpkgStore::open(&copy)
        .await
        .map_err(|e| format!("reading the GeoPackage: {e}"))?;
    let features = store
        .load_layer(&input.def)
        .await
        .map_err(|e| format!("reading layer `{}`: {e}", input.def.id))?;
    let total = features.len().max(1);
    for (i, f) in features.iter().enumerate() {
        emit.row(ImportRow {
            row: i + 1,
            geometry: f.geometry.clone().map(|g| geometry_json(&input.def, g)),
            properties: properties_json(f),
            issues: Vec::new(),
        })?;
        emit.progress((i + 1) as f64 / total as f64);
    }
    Ok(())
}

/// The CRS of a GeoPackage `srs_id`; None for the "undefined" systems (0, -1).
async fn srs_crs(conn: &mut SqliteConnection, srs_id: i64) -> Result<Option<Crs>, String> {
    let (org, code, definition): (String, i64, String) = sqlx::query_as(
        "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
    )
    .bind(srs_id)
    .fetch_one(conn)
    .await
    .map_err(|e| format!("srs_id {srs_id} is not in gpkg_spatial_ref_sys: {e}"))?;
    if definition.to_ascii_uppercase().contains("SHANGHAI") {
        return Ok(Some(Crs::Sh2000));
    }
    Ok(match (org.to_ascii_uppercase().as_str(), code) {
        (_, 0 | -1) => None,
        ("EPSG", 4490) => Some(Crs::Cgcs2000),
        ("EPSG", 4326) => Some(Crs::Wgs84),
        ("EPSG", 3857) => Some(Crs::WebMercator),
        ("EPSG", c) => Some(Crs::Epsg(c as u32)),
        (o, c) => {
            return Err(format!(
                "srs_id {srs_id} ({o}:{c}) is not a system onemap can place; pass crs="
            ));
        }
    })
}

/// A column value as the text the table layout types by the property.
fn text(r: &SqliteRow, i: usize) -> String {
    let Ok(raw) = r.try_get_raw(i) else {
        return String::new();
    };
    if raw.is_null() {
        return String::new();
    }
    match raw.type_info().name() {
        "INTEGER" => r.try_get_unchecked::<i64, _>(i).map(|v| v.to_string()),
        "REAL" => r.try_get_unchecked::<f64, _>(i).map(number),
        _ => r.try_get_unchecked::<String, _>(i),
    }
    .unwrap_or_default()
}
