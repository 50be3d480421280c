//! Item queries run in the database, for layers declared `serve: database` (not in memory).
//!
//! The same semantics as [`LayerIndex::query`](onemap_spatial::index::LayerIndex::query): features
//! whose primary geometry intersects the bbox (`&&` on the GiST index, then
//! `ST_Intersects`), properties equal to the filters (a string list matches when it
//! contains the value), in id order, with the total matched.

use std::sync::Arc;

use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgPool};

use crate::postgis::codec::bind_value;
use crate::postgis::ddl::{feature_table, quote};
use crate::postgis::table::{row_to_feature, select_sql};
use crate::sql::{Result, SqlError};
use onemap_spatial::items::{ItemPage, ItemQuery};
use onemap_spatial::schema::{LayerDef, PropType};

/// The `WHERE` clause of `q` over alias `t`, its arguments, and how many parameters it uses.
fn condition(def: &LayerDef, q: &ItemQuery) -> Result<(String, PgArguments, usize)> {
    if q.cql.is_some() {
        return Err(SqlError::Invalid(format!(
            "layer `{}` is served from the database, which cannot evaluate CQL2 filters yet",
            def.id
        )));
    }
    let mut args = PgArguments::default();
    let mut parts = Vec::new();
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if let Some(b) = &q.bbox {
        let (p1, p2, p3, p4) = (next(), next(), next(), next());
        parts.push(format!(
            "t.geom && ST_MakeEnvelope({p1}, {p2}, {p3}, {p4}, 4490) \
             AND ST_Intersects(t.geom, ST_MakeEnvelope({p1}, {p2}, {p3}, {p4}, 4490))"
        ));
        for v in [b.min().x, b.min().y, b.max().x, b.max().y] {
            args.add(v)
                .map_err(|e| SqlError::Invalid(format!("binding the bbox: {e}")))?;
        }
    }
    for (name, value) in &q.filters {
        let p = def.property(name).ok_or_else(|| {
            SqlError::Invalid(format!("layer `{}` has no property `{name}`", def.id))
        })?;
        let col = format!("t.{}", quote(name));
        let param = next();
        match p.kind {
            PropType::StringList => {
                parts.push(format!("{param} = ANY({col})"));
                args.add(value.as_str().unwrap_or_default())
                    .map_err(|e| SqlError::Invalid(format!("binding `{name}`: {e}")))?;
            }
            _ => {
                parts.push(format!("{col} = {param}"));
                bind_value(&mut args, p, Some(value))?;
            }
        }
    }
    let sql = if parts.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", parts.join(" AND "))
    };
    Ok((sql, args, n))
}

/// One page of `q` over `def`'s table, read from `pool`.
pub async fn page(pool: &PgPool, def: &LayerDef, q: &ItemQuery) -> Result<ItemPage> {
    let (cond, args, _) = condition(def, q)?;
    let count_sql = format!("SELECT count(*) FROM {} t{cond}", feature_table(def));
    let matched: i64 = sqlx::query_scalar_with(&count_sql, args)
        .fetch_one(pool)
        .await?;
    let (cond, mut args, n) = condition(def, q)?;
    let (limit, offset) = (q.limit as i64, q.offset as i64);
    args.add(limit).map_err(SqlError::bind("limit"))?;
    args.add(offset).map_err(SqlError::bind("offset"))?;
    let sql = format!(
        "{}{cond} ORDER BY t.fid LIMIT ${} OFFSET ${}",
        select_sql(def),
        n + 1,
        n + 2
    );
    let rows = sqlx::query_with(&sql, args).fetch_all(pool).await?;
    let features = rows
        .iter()
        .map(|r| row_to_feature(def, r).map(Arc::new))
        .collect::<Result<_, _>>()?;
    Ok(ItemPage {
        matched: matched as usize,
        features,
    })
}
