//! The GeoPackage 1.3 core tables, so GDAL, QGIS and other readers open the file as a GeoPackage.

use sqlx::SqliteConnection;

use crate::gpkg::codec::SRS_ID;
use onemap_spatial::schema::GeometryType;

const CGCS2000_WKT: &str = r#"GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]]"#;
const WGS84_WKT: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]"#;

/// Creates the required GeoPackage tables and onemap's own bookkeeping, if missing.
pub async fn init(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    // 'GPKG' and version 1.3.0, as the spec requires in the SQLite header.
    sqlx::query("PRAGMA application_id = 1196444487")
        .execute(&mut *conn)
        .await?;
    sqlx::query("PRAGMA user_version = 10300")
        .execute(&mut *conn)
        .await?;
    let ddl = [
        "CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
            srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
            organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
            definition TEXT NOT NULL, description TEXT)",
        "CREATE TABLE IF NOT EXISTS gpkg_contents (
            table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
            identifier TEXT UNIQUE, description TEXT DEFAULT '',
            last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
            CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))",
        "CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
            table_name TEXT NOT NULL, column_name TEXT NOT NULL,
            geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL,
            z TINYINT NOT NULL, m TINYINT NOT NULL,
            CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
            CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
            CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))",
        "CREATE TABLE IF NOT EXISTS gpkg_extensions (
            table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
            definition TEXT NOT NULL, scope TEXT NOT NULL,
            CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))",
        "CREATE TABLE IF NOT EXISTS onemap_layers (
            layer TEXT NOT NULL PRIMARY KEY, provenance TEXT, synthetic BOOLEAN NOT NULL DEFAULT 0)",
    ];
    for sql in ddl {
        sqlx::query(sql).execute(&mut *conn).await?;
    }
    let srs: [(&str, i32, &str, i32, &str, &str); 4] = [
        (
            "Undefined cartesian SRS",
            -1,
            "NONE",
            -1,
            "undefined",
            "undefined cartesian coordinate reference system",
        ),
        (
            "Undefined geographic SRS",
            0,
            "NONE",
            0,
            "undefined",
            "undefined geographic coordinate reference system",
        ),
        (
            "WGS 84 geodetic",
            4326,
            "EPSG",
            4326,
            WGS84_WKT,
            "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid",
        ),
        (
            "China Geodetic Coordinate System 2000",
            SRS_ID,
            "EPSG",
            SRS_ID,
            CGCS2000_WKT,
            "CGCS2000 longitude/latitude; equal to WGS 84 at onemap's precision",
        ),
    ];
    for (name, id, org, org_id, def, desc) in srs {
        sqlx::query(
            "INSERT OR IGNORE INTO gpkg_spatial_ref_sys
             (srs_name, srs_id, organization, organization_coordsys_id, definition, description)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(name)
        .bind(id)
        .bind(org)
        .bind(org_id)
        .bind(def)
        .bind(desc)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Registers a feature table with its geometry column and R-tree index.
///
/// The layer title is the GeoPackage identifier, which must be unique: a second layer with
/// the same title is identified as `title (table)`.
///
/// The R-tree is kept up to date by onemap itself inside each write transaction
/// rather than by the spec's triggers, which call `ST_*` functions that only
/// GDAL registers; see the README.
pub async fn register_feature_table(
    conn: &mut SqliteConnection,
    table: &str,
    title: &str,
    geometry: GeometryType,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
         VALUES (?1, 'features',
                 CASE WHEN EXISTS (SELECT 1 FROM gpkg_contents WHERE identifier = ?2 AND table_name <> ?1)
                      THEN ?2 || ' (' || ?1 || ')' ELSE ?2 END,
                 '', ?3)
         ON CONFLICT(table_name) DO UPDATE SET identifier = excluded.identifier",
    )
    .bind(table)
    .bind(title)
    .bind(SRS_ID)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT OR IGNORE INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
         VALUES (?, 'geom', ?, ?, 0, 0)",
    )
    .bind(table)
    .bind(geometry.gpkg_name())
    .bind(SRS_ID)
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "CREATE VIRTUAL TABLE IF NOT EXISTS \"rtree_{table}_geom\" USING rtree(id, minx, maxx, miny, maxy)"
    ))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT OR IGNORE INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
         VALUES (?, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
    )
    .bind(table)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks a table as changed now and grows its recorded extent to cover `bounds`.
///
/// The extent only grows: gpkg_contents bounds are informative, and shrinking them
/// exactly would cost a scan of the table on every delete.
pub async fn touch(
    conn: &mut SqliteConnection,
    table: &str,
    bounds: Option<geo::Rect<f64>>,
) -> Result<(), sqlx::Error> {
    let (x0, y0, x1, y1) = bounds
        .map(|b| {
            (
                Some(b.min().x),
                Some(b.min().y),
                Some(b.max().x),
                Some(b.max().y),
            )
        })
        .unwrap_or_default();
    sqlx::query(
        "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
           min_x = min(coalesce(min_x, ?1), coalesce(?1, min_x)), min_y = min(coalesce(min_y, ?2), coalesce(?2, min_y)),
           max_x = max(coalesce(max_x, ?3), coalesce(?3, max_x)), max_y = max(coalesce(max_y, ?4), coalesce(?4, max_y))
         WHERE table_name = ?5",
    )
    .bind(x0)
    .bind(y0)
    .bind(x1)
    .bind(y1)
    .bind(table)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
