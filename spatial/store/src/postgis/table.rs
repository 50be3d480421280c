//! Row reads and writes on one layer's tables.
//!
//! A feature is read in one query: the feature row LEFT JOINed with each linked table.
//! Inserts are batched: ids are drawn from the table's identity sequence first, then every
//! column goes as one array parameter through `INSERT … SELECT … FROM UNNEST(…)`, a few
//! thousand rows per statement, so 20 000 features take a handful of round trips.

use geo::Geometry;
use sqlx::postgres::{PgArguments, PgPool, PgRow};
use sqlx::{Arguments, PgConnection, Row};

use crate::postgis::codec::{
    ColumnArray, GeomParam, bind_value, geom_param, read_geometry, read_value,
};
use crate::postgis::ddl::{feature_table, linked_table, quote};
use crate::sql::{Result, SqlError};
use onemap_spatial::feature::{Draft, Feature};
use onemap_spatial::schema::LayerDef;

/// Rows per batch-insert statement: keeps each statement's parameters at a few MB.
const BATCH: usize = 2000;

/// `SELECT` of whole features; append a `WHERE` and/or `ORDER BY`.
pub fn select_sql(def: &LayerDef) -> String {
    let mut sql = String::from("SELECT t.fid, t._version, t.geom");
    for p in def.columns() {
        sql.push_str(&format!(", t.{}", quote(&p.name)));
    }
    for (i, _) in def.geometry_properties().enumerate() {
        sql.push_str(&format!(", l{i}.geom"));
    }
    sql.push_str(&format!(" FROM {} t", feature_table(def)));
    for (i, p) in def.geometry_properties().enumerate() {
        sql.push_str(&format!(
            " LEFT JOIN {} l{i} ON l{i}.fid = t.fid",
            linked_table(def, &p.name)
        ));
    }
    sql
}

pub fn row_to_feature(def: &LayerDef, row: &PgRow) -> Result<Feature> {
    let mut properties = serde_json::Map::new();
    let mut idx = 3;
    for p in def.columns() {
        if let Some(v) = read_value(row, idx, p)? {
            properties.insert(p.name.clone(), v);
        }
        idx += 1;
    }
    let mut geometries = std::collections::BTreeMap::new();
    for p in def.geometry_properties() {
        if let Some(g) = read_geometry(row, idx)? {
            geometries.insert(p.name.clone(), g);
        }
        idx += 1;
    }
    Ok(Feature {
        id: row.try_get(0)?,
        version: row.try_get(1)?,
        geometry: read_geometry(row, 2)?,
        properties,
        geometries,
    })
}

/// Reads a whole layer in id order.
pub async fn load_all(pool: &PgPool, def: &LayerDef) -> Result<Vec<Feature>> {
    let rows = sqlx::query(&format!("{} ORDER BY t.fid", select_sql(def)))
        .fetch_all(pool)
        .await?;
    rows.iter().map(|r| row_to_feature(def, r)).collect()
}

/// Reads one feature, or None; with `lock`, also locks its row until the transaction ends.
pub async fn load_one(
    conn: &mut PgConnection,
    def: &LayerDef,
    id: i64,
    lock: bool,
) -> Result<Option<Feature>> {
    let sql = format!(
        "{} WHERE t.fid = $1{}",
        select_sql(def),
        if lock { " FOR UPDATE OF t" } else { "" }
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| row_to_feature(def, &r)).transpose()
}

/// Inserts drafts at version 1 and returns their new ids, in order.
pub async fn insert(conn: &mut PgConnection, def: &LayerDef, drafts: &[Draft]) -> Result<Vec<i64>> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let t = feature_table(def);
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT nextval(pg_get_serial_sequence($1, 'fid')) FROM generate_series(1, $2)",
    )
    .bind(&t)
    .bind(drafts.len() as i64)
    .fetch_all(&mut *conn)
    .await?;
    for (chunk, ids) in drafts.chunks(BATCH).zip(ids.chunks(BATCH)) {
        insert_chunk(conn, def, chunk, ids).await?;
    }
    Ok(ids)
}

async fn insert_chunk(
    conn: &mut PgConnection,
    def: &LayerDef,
    drafts: &[Draft],
    ids: &[i64],
) -> Result<()> {
    let add =
        |r: Result<(), sqlx::error::BoxDynError>| r.map_err(SqlError::bind("a feature column"));
    let mut args = PgArguments::default();
    add(args.add(ids))?;
    let geoms: Vec<Option<GeomParam<'_>>> = drafts
        .iter()
        .map(|d| d.geometry.as_ref().map(geom_param))
        .collect();
    add(args.add(geoms))?;
    let (mut unnest, mut aliases, mut names, mut exprs) = (
        vec!["$1::int8[]".to_string(), "$2::geometry[]".to_string()],
        vec!["fid", "geom"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>(),
        Vec::new(),
        Vec::new(),
    );
    for (i, p) in def.columns().enumerate() {
        let mut col = ColumnArray::new(p, drafts.len());
        for d in drafts {
            col.push(d.properties.get(&p.name));
        }
        let alias = format!("c{i}");
        unnest.push(format!("${}::{}", i + 3, col.sql_type()));
        names.push(quote(&p.name));
        exprs.push(col.select_expr(&alias));
        aliases.push(alias);
        col.bind(&mut args)?;
    }
    let sql = format!(
        "INSERT INTO {} (fid, geom, _version{}) SELECT u.fid, u.geom, 1{} FROM UNNEST({}) AS u({})",
        feature_table(def),
        names.iter().map(|n| format!(", {n}")).collect::<String>(),
        exprs.iter().map(|e| format!(", {e}")).collect::<String>(),
        unnest.join(", "),
        aliases.join(", "),
    );
    sqlx::query_with(&sql, args).execute(&mut *conn).await?;

    for p in def.geometry_properties() {
        let (fids, geoms): (Vec<i64>, Vec<GeomParam<'_>>) = drafts
            .iter()
            .zip(ids)
            .filter_map(|(d, id)| d.geometries.get(&p.name).map(|g| (*id, geom_param(g))))
            .unzip();
        if fids.is_empty() {
            continue;
        }
        sqlx::query(&format!(
            "INSERT INTO {} (fid, geom) SELECT * FROM UNNEST($1::int8[], $2::geometry[])",
            linked_table(def, &p.name)
        ))
        .bind(fids)
        .bind(geoms)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Rewrites an existing feature in place at `version`.
pub async fn update(
    conn: &mut PgConnection,
    def: &LayerDef,
    id: i64,
    version: i64,
    draft: &Draft,
) -> Result<()> {
    let add =
        |r: Result<(), sqlx::error::BoxDynError>| r.map_err(SqlError::bind("a feature column"));
    let mut args = PgArguments::default();
    add(args.add(id))?;
    add(args.add(version))?;
    add(args.add(draft.geometry.as_ref().map(geom_param)))?;
    let mut sets = vec!["_version = $2".to_string(), "geom = $3".to_string()];
    for (i, p) in def.columns().enumerate() {
        bind_value(&mut args, p, draft.properties.get(&p.name))?;
        sets.push(format!("{} = ${}", quote(&p.name), i + 4));
    }
    let sql = format!(
        "UPDATE {} SET {} WHERE fid = $1",
        feature_table(def),
        sets.join(", ")
    );
    sqlx::query_with(&sql, args).execute(&mut *conn).await?;
    for p in def.geometry_properties() {
        set_linked(conn, def, &p.name, id, draft.geometries.get(&p.name)).await?;
    }
    Ok(())
}

async fn set_linked(
    conn: &mut PgConnection,
    def: &LayerDef,
    property: &str,
    id: i64,
    g: Option<&Geometry<f64>>,
) -> Result<()> {
    let lt = linked_table(def, property);
    let r = match g {
        Some(g) => {
            let sql = format!(
                "INSERT INTO {lt} (fid, geom) VALUES ($1, $2) ON CONFLICT (fid) DO UPDATE SET geom = excluded.geom"
            );
            sqlx::query(&sql)
                .bind(id)
                .bind(geom_param(g))
                .execute(&mut *conn)
                .await
        }
        None => {
            let sql = format!("DELETE FROM {lt} WHERE fid = $1");
            sqlx::query(&sql).bind(id).execute(&mut *conn).await
        }
    };
    r?;
    Ok(())
}

/// Deletes a feature; its linked geometries go with it (ON DELETE CASCADE).
pub async fn remove(conn: &mut PgConnection, def: &LayerDef, id: i64) -> Result<()> {
    sqlx::query(&format!(
        "DELETE FROM {} WHERE fid = $1",
        feature_table(def)
    ))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
