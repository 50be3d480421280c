//! One layer's tables: the feature table, one linked table per secondary geometry,
//! and an R-tree for each; plus the row reads and writes on them.

use std::collections::HashMap;

use geo::{BoundingRect, Geometry};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Row, SqliteConnection};

use crate::gpkg::codec::{bind_value, column_type, decode_geometry, encode_geometry, read_value};
use crate::gpkg::meta;
use crate::sql::{Result, SqlError};
use onemap_spatial::feature::{Draft, Feature};
use onemap_spatial::schema::LayerDef;

/// Creates the layer's tables, or adds columns declared since they were created.
pub async fn prepare(conn: &mut SqliteConnection, def: &LayerDef) -> Result<()> {
    let t = &def.id;
    let cols: Vec<String> = def
        .columns()
        .map(|p| format!("\"{}\" {}", p.name, column_type(p)))
        .collect();
    let sql = format!(
        "CREATE TABLE IF NOT EXISTS \"{t}\" (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom {}{}{}, _version INTEGER NOT NULL DEFAULT 1)",
        def.geometry.gpkg_name(),
        if cols.is_empty() { "" } else { ", " },
        cols.join(", ")
    );
    sqlx::query(&sql).execute(&mut *conn).await?;
    let existing: Vec<String> = sqlx::query(&format!("PRAGMA table_info(\"{t}\")"))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.get::<String, _>("name"))
        .collect();
    for p in def.columns().filter(|p| !existing.contains(&p.name)) {
        sqlx::query(&format!(
            "ALTER TABLE \"{t}\" ADD COLUMN \"{}\" {}",
            p.name,
            column_type(p)
        ))
        .execute(&mut *conn)
        .await?;
    }
    if let Some(key) = &def.key {
        sqlx::query(&format!(
            "CREATE UNIQUE INDEX IF NOT EXISTS \"{t}_{key}_key\" ON \"{t}\" (\"{key}\")"
        ))
        .execute(&mut *conn)
        .await?;
    }
    meta::register_feature_table(conn, t, &def.title, def.geometry).await?;
    for p in def.geometry_properties() {
        let lt = def.linked_table(&p.name);
        let onemap_spatial::schema::PropType::Geometry { geometry } = p.kind else {
            continue;
        };
        sqlx::query(&format!(
            "CREATE TABLE IF NOT EXISTS \"{lt}\" (fid INTEGER PRIMARY KEY REFERENCES \"{t}\"(fid) ON DELETE CASCADE, geom {} NOT NULL)",
            geometry.gpkg_name()
        ))
        .execute(&mut *conn)
        .await
        ?;
        let title = format!("{} — {}", def.title, p.title.as_deref().unwrap_or(&p.name));
        meta::register_feature_table(conn, &lt, &title, geometry).await?;
    }
    Ok(())
}

fn select_sql(def: &LayerDef) -> String {
    let mut sql = String::from("SELECT fid, _version, geom");
    for p in def.columns() {
        sql.push_str(&format!(", \"{}\"", p.name));
    }
    sql.push_str(&format!(" FROM \"{}\"", def.id));
    sql
}

fn row_to_feature(def: &LayerDef, row: &SqliteRow) -> Result<Feature> {
    let geom: Option<Vec<u8>> = row.try_get(2)?;
    let mut properties = serde_json::Map::new();
    for (i, p) in def.columns().enumerate() {
        if let Some(v) = read_value(row, 3 + i, p)? {
            properties.insert(p.name.clone(), v);
        }
    }
    Ok(Feature {
        id: row.try_get(0)?,
        version: row.try_get(1)?,
        geometry: geom.as_deref().map(decode_geometry).transpose()?,
        properties,
        geometries: Default::default(),
    })
}

/// Reads a whole layer in id order.
pub async fn load_all(conn: &mut SqliteConnection, def: &LayerDef) -> Result<Vec<Feature>> {
    let rows = sqlx::query(&format!("{} ORDER BY fid", select_sql(def)))
        .fetch_all(&mut *conn)
        .await?;
    let mut features = rows
        .iter()
        .map(|r| row_to_feature(def, r))
        .collect::<Result<Vec<_>, _>>()?;
    let pos: HashMap<i64, usize> = features
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id, i))
        .collect();
    for p in def.geometry_properties() {
        let rows = sqlx::query(&format!(
            "SELECT fid, geom FROM \"{}\"",
            def.linked_table(&p.name)
        ))
        .fetch_all(&mut *conn)
        .await?;
        for r in rows {
            let fid: i64 = r.try_get(0)?;
            if let Some(&i) = pos.get(&fid) {
                let g = decode_geometry(&r.try_get::<Vec<u8>, _>(1)?)?;
                features[i].geometries.insert(p.name.clone(), g);
            }
        }
    }
    Ok(features)
}

/// Reads one feature, or None.
pub async fn load_one(
    conn: &mut SqliteConnection,
    def: &LayerDef,
    id: i64,
) -> Result<Option<Feature>> {
    let Some(row) = sqlx::query(&format!("{} WHERE fid = ?", select_sql(def)))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let mut f = row_to_feature(def, &row)?;
    for p in def.geometry_properties() {
        let g: Option<Vec<u8>> = sqlx::query_scalar(&format!(
            "SELECT geom FROM \"{}\" WHERE fid = ?",
            def.linked_table(&p.name)
        ))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(g) = g {
            f.geometries.insert(p.name.clone(), decode_geometry(&g)?);
        }
    }
    Ok(Some(f))
}

/// Writes a feature row: a new one when `id` is None (returns the new id), else in place.
pub async fn write(
    conn: &mut SqliteConnection,
    def: &LayerDef,
    id: Option<i64>,
    version: i64,
    draft: &Draft,
) -> Result<i64> {
    let mut args = SqliteArguments::default();
    let add =
        |r: Result<(), sqlx::error::BoxDynError>| r.map_err(SqlError::bind("a feature column"));
    let geom = draft.geometry.as_ref().map(encode_geometry).transpose()?;
    add(args.add(geom))?;
    for p in def.columns() {
        bind_value(&mut args, p, draft.properties.get(&p.name))?;
    }
    add(args.add(version))?;
    let names: Vec<String> = def.columns().map(|p| format!("\"{}\"", p.name)).collect();
    let t = &def.id;
    let fid = match id {
        None => {
            let marks = vec!["?"; names.len() + 2].join(", ");
            let mut cols = vec!["geom".to_string()];
            cols.extend(names);
            cols.push("_version".into());
            let sql = format!(
                "INSERT INTO \"{t}\" ({}) VALUES ({marks}) RETURNING fid",
                cols.join(", ")
            );
            sqlx::query_scalar_with(&sql, args)
                .fetch_one(&mut *conn)
                .await?
        }
        Some(id) => {
            let mut sets = vec!["geom = ?".to_string()];
            sets.extend(names.iter().map(|n| format!("{n} = ?")));
            sets.push("_version = ?".into());
            add(args.add(id))?;
            let sql = format!("UPDATE \"{t}\" SET {} WHERE fid = ?", sets.join(", "));
            sqlx::query_with(&sql, args).execute(&mut *conn).await?;
            id
        }
    };
    // A new fid (AUTOINCREMENT never reuses one) has no R-tree or linked rows to clear: a bulk
    // import then costs two statements per plain row instead of five.
    let fresh = id.is_none();
    set_rtree(conn, t, fid, draft.geometry.as_ref(), fresh).await?;
    for p in def.geometry_properties() {
        let lt = def.linked_table(&p.name);
        if !fresh {
            sqlx::query(&format!("DELETE FROM \"{lt}\" WHERE fid = ?"))
                .bind(fid)
                .execute(&mut *conn)
                .await?;
        }
        let g = draft.geometries.get(&p.name);
        if let Some(g) = g {
            sqlx::query(&format!("INSERT INTO \"{lt}\" (fid, geom) VALUES (?, ?)"))
                .bind(fid)
                .bind(encode_geometry(g)?)
                .execute(&mut *conn)
                .await?;
        }
        set_rtree(conn, &lt, fid, g, fresh).await?;
    }
    Ok(fid)
}

/// Deletes a feature row with its linked geometries and R-tree entries.
pub async fn remove(conn: &mut SqliteConnection, def: &LayerDef, id: i64) -> Result<()> {
    for p in def.geometry_properties() {
        let lt = def.linked_table(&p.name);
        sqlx::query(&format!("DELETE FROM \"{lt}\" WHERE fid = ?"))
            .bind(id)
            .execute(&mut *conn)
            .await?;
        set_rtree(conn, &lt, id, None, false).await?;
    }
    sqlx::query(&format!("DELETE FROM \"{}\" WHERE fid = ?", def.id))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    set_rtree(conn, &def.id, id, None, false).await
}

async fn set_rtree(
    conn: &mut SqliteConnection,
    table: &str,
    id: i64,
    g: Option<&Geometry<f64>>,
    fresh: bool,
) -> Result<()> {
    if !fresh {
        sqlx::query(&format!("DELETE FROM \"rtree_{table}_geom\" WHERE id = ?"))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    if let Some(r) = g.and_then(|g| g.bounding_rect()) {
        sqlx::query(&format!(
            "INSERT INTO \"rtree_{table}_geom\" VALUES (?, ?, ?, ?, ?)"
        ))
        .bind(id)
        .bind(r.min().x)
        .bind(r.max().x)
        .bind(r.min().y)
        .bind(r.max().y)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
