//! The change log `onemap_changes`: written in every write transaction, read by other instances.
//!
//! Writers append their rows as the last step before commit, holding a transaction-level
//! advisory lock from the append to the commit. So `seq` order is commit order, and a reader
//! that has seen every row up to `seq = n` can never later find a newly committed row below `n`:
//! reading `WHERE seq > last_seen` misses nothing. The lock is held only for the append and the
//! commit, not for the whole write. `pg_notify('onemap_changes', <last seq>)` in the same
//! transaction wakes listeners at commit; the payload is only a hint, the log is the truth.

use geo::Rect;
use sqlx::{PgConnection, PgPool, Row};

use crate::sql::{Result, SqlError};

/// The NOTIFY channel.
pub const CHANNEL: &str = "onemap_changes";

/// Advisory lock key serialising appends to the log ("onemap" + 2).
const LOG_LOCK: i64 = 0x6f6e_656d_6170_0002;

/// A change committed to the database, possibly by another server instance.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteChange {
    /// Position in the log; grows with commit order.
    pub seq: i64,
    pub layer: String,
    pub id: i64,
    /// The instance that made it ([`super::PostgresStore::origin`]).
    pub origin: String,
    /// The feature's envelope before (None for a create).
    pub old: Option<Rect<f64>>,
    /// The feature's envelope after (None for a delete).
    pub new: Option<Rect<f64>>,
}

/// One feature change to log: id, bounds before, bounds after.
pub type Entry = (i64, Option<Rect<f64>>, Option<Rect<f64>>);

type Coords = [Vec<Option<f64>>; 4];

fn push(c: &mut Coords, r: Option<Rect<f64>>) {
    let v = r.map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]);
    for (i, a) in c.iter_mut().enumerate() {
        a.push(v.map(|v| v[i]));
    }
}

/// Appends the changes of one transaction and notifies listeners (on commit). Run last
/// before commit: the log lock is held from here to the end of the transaction.
pub async fn record(
    conn: &mut PgConnection,
    origin: &str,
    layer: &str,
    entries: &[Entry],
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LOG_LOCK)
        .execute(&mut *conn)
        .await?;
    let ids: Vec<i64> = entries.iter().map(|e| e.0).collect();
    let (mut old, mut new): (Coords, Coords) = Default::default();
    for e in entries {
        push(&mut old, e.1);
        push(&mut new, e.2);
    }
    let [ox0, oy0, ox1, oy1] = old;
    let [nx0, ny0, nx1, ny1] = new;
    let last: i64 = sqlx::query_scalar(
        "WITH ins AS (
           INSERT INTO onemap_changes (layer, fid, origin, old_xmin, old_ymin, old_xmax, old_ymax,
                                       new_xmin, new_ymin, new_xmax, new_ymax)
           SELECT $1, u.fid, $2, u.ox0, u.oy0, u.ox1, u.oy1, u.nx0, u.ny0, u.nx1, u.ny1
           FROM UNNEST($3::int8[], $4::float8[], $5::float8[], $6::float8[], $7::float8[],
                       $8::float8[], $9::float8[], $10::float8[], $11::float8[])
                AS u(fid, ox0, oy0, ox1, oy1, nx0, ny0, nx1, ny1)
           RETURNING seq)
         SELECT max(seq) FROM ins",
    )
    .bind(layer)
    .bind(origin)
    .bind(&ids)
    .bind(ox0)
    .bind(oy0)
    .bind(ox1)
    .bind(oy1)
    .bind(nx0)
    .bind(ny0)
    .bind(nx1)
    .bind(ny1)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(last.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn rect(row: &sqlx::postgres::PgRow, first: usize) -> Result<Option<Rect<f64>>> {
    let mut v = [0.0; 4];
    for (i, x) in v.iter_mut().enumerate() {
        match row.try_get::<Option<f64>, _>(first + i)? {
            Some(f) => *x = f,
            None => return Ok(None),
        }
    }
    Ok(Some(Rect::new((v[0], v[1]), (v[2], v[3]))))
}

/// The changes after `seq`, in order, at most `limit`.
pub async fn read_after(pool: &PgPool, seq: i64, limit: i64) -> Result<Vec<RemoteChange>> {
    let rows = sqlx::query(
        "SELECT seq, layer, fid, origin, old_xmin, old_ymin, old_xmax, old_ymax,
                new_xmin, new_ymin, new_xmax, new_ymax
         FROM onemap_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(seq)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RemoteChange {
                seq: r.try_get(0)?,
                layer: r.try_get(1)?,
                id: r.try_get(2)?,
                origin: r.try_get(3)?,
                old: rect(r, 4)?,
                new: rect(r, 8)?,
            })
        })
        .collect()
}

/// The last committed `seq` (0 for an empty log): where a new instance starts following.
pub async fn latest(pool: &PgPool) -> Result<i64> {
    sqlx::query_scalar("SELECT coalesce(max(seq), 0)::int8 FROM onemap_changes")
        .fetch_one(pool)
        .await
        .map_err(SqlError::from)
}

/// The first `seq` still in the log, if any: a follower behind it has missed pruned changes.
pub async fn earliest(pool: &PgPool) -> Result<Option<i64>> {
    sqlx::query_scalar("SELECT min(seq) FROM onemap_changes")
        .fetch_one(pool)
        .await
        .map_err(SqlError::from)
}

/// Deletes log rows older than `age`; returns how many.
pub async fn prune(pool: &PgPool, age: std::time::Duration) -> Result<u64> {
    let r = sqlx::query("DELETE FROM onemap_changes WHERE at < now() - make_interval(secs => $1)")
        .bind(age.as_secs_f64())
        .execute(pool)
        .await?;
    Ok(r.rows_affected())
}
