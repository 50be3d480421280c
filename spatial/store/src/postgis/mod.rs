//! The PostGIS store: the same contract as the GeoPackage file, for production and for
//! several server instances sharing one database.
//!
//! # Schema
//!
//! Fixed tables come from the embedded migrations (`spatial/store/migrations/`, run at connect,
//! serialised across instances by sqlx's migration lock): the `postgis` extension, schema
//! `onemap`, `public.onemap_layers` (layer notes) and `public.onemap_changes` (the change log).
//! Layer tables are generated from the declarations by [`Store::prepare_layer`] (see
//! [`ddl`]): `onemap."{layer}"` with `fid` (identity), `geom geometry(<Type>, 4490)`,
//! `_version` and one typed column per property — text, bigint, double precision, boolean,
//! date, timestamptz, text[] for string lists — with a GiST index on `geom`, a unique index on
//! the key and btree indexes on code and enum columns; each secondary geometry property in
//! `onemap."{layer}_{prop}"` (`fid` → feature, cascade on delete) with its own GiST index.
//! Names longer than PostgreSQL's 63 bytes are shortened with a stable hash.
//!
//! # Writes
//!
//! Each call is one transaction on the primary. `replace` and `delete` lock the row
//! (`SELECT … FOR UPDATE`) and compare `_version`, so optimistic concurrency holds across
//! instances. Inserts are batched through `UNNEST` (see [`table`]). Geometries are bound and
//! read as EWKB with SRID 4490 through geozero, never as text.
//!
//! # Several instances
//!
//! Every write transaction appends one row per feature to `onemap_changes` (layer, id,
//! origin, bounds before and after) and `pg_notify`s `onemap_changes` (see [`changes`]).
//! [`PostgresStore::listen`] follows that log ([`feed`]), replaying from a `seq` on every
//! (re)connect; [`follow`] applies it to a [`onemap_spatial::Catalog`] with
//! [`onemap_spatial::Catalog::apply_remote`], which re-reads the feature from the primary, updates the
//! index and tells the tile cache. Each store has a random `origin`; its own changes are
//! skipped by its feed (re-applying them would be harmless anyway).
//!
//! # Read replicas
//!
//! `read_urls` name hot standbys. [`Store::load_layer`], and the item queries and tiles of
//! `serve: database` layers, read from them round-robin, after waiting for the standby to
//! replay up to the primary's WAL position at the start of the read ([`replica`]), so a
//! replica read is as fresh as a primary one. Single-feature reads
//! ([`Store::get`], used to apply remote changes right after their commit), writes, notes and
//! LISTEN use the primary.
//!
//! # Errors
//!
//! Unique violations are [`StoreError::Duplicate`]; connection, pool and shutdown errors are
//! [`StoreError::Unavailable`] (HTTP 503; the pool reconnects by itself when the database is
//! back, and acquiring a connection gives up after 5 s rather than hanging a request).

pub mod cases;
pub mod changes;
pub mod codec;
pub mod ddl;
pub mod feed;
pub mod follow;
pub mod query;
pub mod replica;
pub mod table;
pub mod tiles;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::Connection;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use onemap_spatial::cases::CaseStore;
use onemap_spatial::feature::{Draft, Feature};
use onemap_spatial::items::{ItemPage, ItemQuery};
use onemap_spatial::schema::LayerDef;
use onemap_spatial::store::{LayerNote, Store, StoreError};

use crate::sql::cases::SqlCases;
use crate::sql::{self, Dialect, SqlError};

pub use changes::RemoteChange;
pub use feed::ChangeFeed;
pub use follow::follow;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a request waits for a pooled connection before the store reports Unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// A PostgreSQL + PostGIS database, optionally with read replicas.
pub struct PostgresStore {
    pool: PgPool,
    options: PgConnectOptions,
    replicas: Arc<replica::Replicas>,
    origin: String,
    cases: SqlCases<cases::PgCases>,
}

/// 128 random bits as hex, from the OS-seeded keys of std's hasher (no extra dependency).
fn new_origin() -> String {
    use std::hash::{BuildHasher, Hasher};
    let word = || {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        h.write_u32(std::process::id());
        h.finish()
    };
    format!("{:016x}{:016x}", word(), word())
}

fn parse_url(url: &str) -> Result<PgConnectOptions, SqlError> {
    PgConnectOptions::from_str(url).map_err(SqlError::Url)
}

/// [`Store::insert`] inside the caller's transaction, which also writes a case with them.
/// Logs the changes, so the change-log lock is held from here to the commit.
async fn insert_in_tx(
    conn: &mut sqlx::PgConnection,
    origin: &str,
    def: &LayerDef,
    drafts: Vec<Draft>,
) -> Result<Vec<Feature>, StoreError> {
    let ids = table::insert(conn, def, &drafts).await?;
    let out: Vec<Feature> = ids
        .into_iter()
        .zip(drafts)
        .map(|(id, d)| Feature::from_draft(id, 1, d))
        .collect();
    let entries: Vec<changes::Entry> = out.iter().map(|f| (f.id, None, f.bounds())).collect();
    changes::record(conn, origin, &def.id, &entries).await?;
    Ok(out)
}

impl PostgresStore {
    /// Connects to the primary at `url`, runs the migrations, and prepares lazy pools for the
    /// read replicas at `read_urls` (a replica that is down only sends loads to the primary).
    pub async fn connect(url: &str, read_urls: &[String]) -> Result<Self, StoreError> {
        let origin = new_origin();
        let options = parse_url(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(
                options
                    .clone()
                    .application_name(&format!("onemap-{origin}")),
            )
            .await
            .map_err(SqlError::from)?;
        MIGRATOR.run(&pool).await.map_err(SqlError::from)?;
        cases::init(&pool).await?;
        let mut replicas = Vec::new();
        for u in read_urls {
            replicas.push(
                PgPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_lazy_with(
                        parse_url(u)?.application_name(&format!("onemap-read-{origin}")),
                    ),
            );
        }
        let replicas = Arc::new(replica::Replicas::new(replicas));
        Ok(Self {
            cases: SqlCases(cases::PgCases {
                pool: pool.clone(),
                replicas: replicas.clone(),
                origin: origin.clone(),
            }),
            pool,
            options,
            replicas,
            origin,
        })
    }

    /// The primary's pool, for queries beyond the store contract (e.g. database-side tiles).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// This store's id in the change log, random per connect; its connections show in
    /// `pg_stat_activity` as `onemap-{origin}`, `onemap-listen-{origin}` and `onemap-read-{origin}`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The last committed change's `seq` (0 when none): where to start following.
    pub async fn latest_seq(&self) -> Result<i64, StoreError> {
        Ok(changes::latest(&self.pool).await?)
    }

    /// Follows the changes committed after `since` by other instances (this store's own are
    /// skipped), catching up from the log first and again after every reconnect.
    pub fn listen(&self, since: i64) -> ChangeFeed {
        self.listen_with(since, Some(self.origin.clone()))
    }

    /// Like [`listen`](Self::listen) but including this store's own changes.
    pub fn listen_all(&self, since: i64) -> ChangeFeed {
        self.listen_with(since, None)
    }

    fn listen_with(&self, since: i64, skip_origin: Option<String>) -> ChangeFeed {
        let name = format!("onemap-listen-{}", self.origin);
        feed::spawn(feed::FeedConfig {
            pool: self.pool.clone(),
            options: self.options.clone().application_name(&name),
            skip_origin,
            since,
        })
    }

    /// Deletes change-log rows older than `age`; returns how many. Instances further behind
    /// than that must reload their layers.
    pub async fn prune_changes(&self, age: Duration) -> Result<u64, StoreError> {
        Ok(changes::prune(&self.pool, age).await?)
    }

    fn check_version(old: &Feature, expected: Option<i64>) -> Result<(), StoreError> {
        match expected {
            Some(v) if v != old.version => Err(StoreError::VersionMismatch {
                id: old.id,
                expected: v,
                current: old.version,
            }),
            _ => Ok(()),
        }
    }
}

#[async_trait]
impl Store for PostgresStore {
    fn cases(&self) -> &dyn CaseStore {
        &self.cases
    }

    fn describe(&self) -> String {
        let o = &self.options;
        let mut s = format!(
            "postgis postgres://{}@{}:{}/{}",
            o.get_username(),
            o.get_host(),
            o.get_port(),
            o.get_database().unwrap_or_default()
        );
        if !self.replicas.is_empty() {
            s.push_str(&format!(" (+{} read replicas)", self.replicas.len()));
        }
        s
    }

    async fn prepare_layer(&self, def: &LayerDef) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(SqlError::from)?;
        ddl::prepare(&mut tx, def).await?;
        Ok(tx.commit().await.map_err(SqlError::from)?)
    }

    async fn load_layer(&self, def: &LayerDef) -> Result<Vec<Feature>, StoreError> {
        let pool = self.replicas.fenced(&self.pool).await;
        Ok(table::load_all(pool, def).await?)
    }

    async fn get(&self, def: &LayerDef, id: i64) -> Result<Option<Feature>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(SqlError::from)?;
        Ok(table::load_one(&mut conn, def, id, false).await?)
    }

    async fn insert(&self, def: &LayerDef, drafts: Vec<Draft>) -> Result<Vec<Feature>, StoreError> {
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.pool.begin().await.map_err(SqlError::from)?;
        let out = insert_in_tx(&mut tx, &self.origin, def, drafts).await?;
        tx.commit().await.map_err(SqlError::from)?;
        Ok(out)
    }

    async fn replace(
        &self,
        def: &LayerDef,
        id: i64,
        expected: Option<i64>,
        draft: Draft,
    ) -> Result<(Feature, Feature), StoreError> {
        let mut tx = self.pool.begin().await.map_err(SqlError::from)?;
        let old = table::load_one(&mut tx, def, id, true)
            .await?
            .ok_or(StoreError::NotFound(id))?;
        Self::check_version(&old, expected)?;
        let version = old.version + 1;
        table::update(&mut tx, def, id, version, &draft).await?;
        let new = Feature::from_draft(id, version, draft);
        changes::record(
            &mut tx,
            &self.origin,
            &def.id,
            &[(id, old.bounds(), new.bounds())],
        )
        .await?;
        tx.commit().await.map_err(SqlError::from)?;
        Ok((old, new))
    }

    async fn delete(
        &self,
        def: &LayerDef,
        id: i64,
        expected: Option<i64>,
    ) -> Result<Feature, StoreError> {
        let mut tx = self.pool.begin().await.map_err(SqlError::from)?;
        let old = table::load_one(&mut tx, def, id, true)
            .await?
            .ok_or(StoreError::NotFound(id))?;
        Self::check_version(&old, expected)?;
        table::remove(&mut tx, def, id).await?;
        changes::record(&mut tx, &self.origin, &def.id, &[(id, old.bounds(), None)]).await?;
        tx.commit().await.map_err(SqlError::from)?;
        Ok(old)
    }

    async fn set_note(&self, layer: &str, note: &LayerNote) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(SqlError::from)?;
        let mut tx = conn.begin().await.map_err(SqlError::from)?;
        sql::write_note::<sqlx::Postgres>(&mut tx, Dialect::Postgres, layer, note).await?;
        // Also where other PostgreSQL tools look: the table comment.
        if let Some(p) = &note.provenance {
            let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
                .bind(format!("{}.{}", ddl::SCHEMA, ddl::quote(layer)))
                .fetch_one(&mut *tx)
                .await
                .map_err(SqlError::from)?;
            if exists {
                let lit: String = sqlx::query_scalar("SELECT quote_literal($1)")
                    .bind(p)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(SqlError::from)?;
                sqlx::query(&format!(
                    "COMMENT ON TABLE {}.{} IS {lit}",
                    ddl::SCHEMA,
                    ddl::quote(layer)
                ))
                .execute(&mut *tx)
                .await
                .map_err(SqlError::from)?;
            }
        }
        Ok(tx.commit().await.map_err(SqlError::from)?)
    }

    async fn note(&self, layer: &str) -> Result<Option<LayerNote>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(SqlError::from)?;
        Ok(sql::read_note::<sqlx::Postgres>(&mut conn, Dialect::Postgres, layer).await?)
    }

    fn serves_from_database(&self) -> bool {
        true
    }

    /// Reads a replica when there is one, fenced like [`Store::load_layer`].
    async fn query(&self, def: &LayerDef, q: &ItemQuery) -> Result<ItemPage, StoreError> {
        Ok(query::page(self.replicas.fenced(&self.pool).await, def, q).await?)
    }

    /// Reads a replica when there is one, fenced, so a tile re-rendered after a write's
    /// invalidation shows the write.
    async fn tile(
        &self,
        layers: &[&LayerDef],
        z: u32,
        x: u32,
        y: u32,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(tiles::render(self.replicas.fenced(&self.pool).await, layers, z, x, y).await?)
    }
}
