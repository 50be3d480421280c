//! The embedded store: one OGC GeoPackage 1.3 file, readable by GDAL and QGIS.
//!
//! WAL journal with `synchronous = FULL`: a committed write survives a crash or
//! power cut, and a write interrupted mid-way is rolled back on the next open.

mod cases;
mod codec;
mod meta;
mod table;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::Connection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use onemap_spatial::cases::CaseStore;
use onemap_spatial::feature::{Draft, Feature, rect_union};
use onemap_spatial::schema::LayerDef;
use onemap_spatial::store::{LayerNote, Store, StoreError};

use crate::sql::cases::SqlCases;
use crate::sql::{self, Dialect, SqlError};

pub use codec::{SRS_ID, decode_geometry, encode_geometry};

/// A GeoPackage file opened for reading and writing.
pub struct GpkgStore {
    pool: SqlitePool,
    path: PathBuf,
    cases: SqlCases<cases::GpkgCases>,
}

impl GpkgStore {
    /// Opens (creating if needed) a GeoPackage file and its core tables.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| SqlError::Dir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(SqlError::from)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .map_err(SqlError::from)?;
        let mut conn = pool.acquire().await.map_err(SqlError::from)?;
        meta::init(&mut conn).await.map_err(SqlError::from)?;
        cases::init(&mut conn).await?;
        drop(conn);
        Ok(Self {
            cases: SqlCases(cases::GpkgCases(pool.clone())),
            pool,
            path: path.to_path_buf(),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn check_version(
        conn: &mut sqlx::SqliteConnection,
        def: &LayerDef,
        id: i64,
        expected: Option<i64>,
    ) -> Result<Feature, StoreError> {
        let old = table::load_one(conn, def, id)
            .await?
            .ok_or(StoreError::NotFound(id))?;
        match expected {
            Some(v) if v != old.version => Err(StoreError::VersionMismatch {
                id,
                expected: v,
                current: old.version,
            }),
            _ => Ok(old),
        }
    }

    /// [`Store::insert`] inside the caller's transaction, which also writes a case with them.
    async fn insert_in_tx(
        conn: &mut sqlx::SqliteConnection,
        def: &LayerDef,
        drafts: Vec<Draft>,
    ) -> Result<Vec<Feature>, StoreError> {
        let mut out = Vec::with_capacity(drafts.len());
        let mut bounds = None;
        for d in drafts {
            let id = table::write(conn, def, None, 1, &d).await?;
            let f = Feature::from_draft(id, 1, d);
            bounds = match (bounds, f.bounds()) {
                (Some(a), Some(b)) => Some(rect_union(a, b)),
                (a, b) => a.or(b),
            };
            out.push(f);
        }
        meta::touch(conn, &def.id, bounds)
            .await
            .map_err(SqlError::from)?;
        Ok(out)
    }
}

#[async_trait]
impl Store for GpkgStore {
    fn cases(&self) -> &dyn CaseStore {
        &self.cases
    }

    fn describe(&self) -> String {
        format!("geopackage {}", self.path.display())
    }

    async fn prepare_layer(&self, def: &LayerDef) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(SqlError::from)?;
        let mut tx = conn.begin().await.map_err(SqlError::from)?;
        table::prepare(&mut tx, def).await?;
        Ok(tx.commit().await.map_err(SqlError::from)?)
    }

    async fn load_layer(&self, def: &LayerDef) -> Result<Vec<Feature>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(SqlError::from)?;
        Ok(table::load_all(&mut conn, def).await?)
    }

    async fn get(&self, def: &LayerDef, id: i64) -> Result<Option<Feature>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(SqlError::from)?;
        Ok(table::load_one(&mut conn, def, id).await?)
    }

    async fn insert(&self, def: &LayerDef, drafts: Vec<Draft>) -> Result<Vec<Feature>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(SqlError::from)?;
        let mut tx = conn.begin().await.map_err(SqlError::from)?;
        let out = Self::insert_in_tx(&mut tx, def, drafts).await?;
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
        let mut conn = self.pool.acquire().await.map_err(SqlError::from)?;
        let mut tx = conn.begin().await.map_err(SqlError::from)?;
        let old = Self::check_version(&mut tx, def, id, expected).await?;
        let version = old.version + 1;
        table::write(&mut tx, def, Some(id), version, &draft).await?;
        let new = Feature::from_draft(id, version, draft);
        meta::touch(&mut tx, &def.id, new.bounds())
            .await
            .map_err(SqlError::from)?;
        tx.commit().await.map_err(SqlError::from)?;
        Ok((old, new))
    }

    async fn delete(
        &self,
        def: &LayerDef,
        id: i64,
        expected: Option<i64>,
    ) -> Result<Feature, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(SqlError::from)?;
        let mut tx = conn.begin().await.map_err(SqlError::from)?;
        let old = Self::check_version(&mut tx, def, id, expected).await?;
        table::remove(&mut tx, def, id).await?;
        meta::touch(&mut tx, &def.id, None)
            .await
            .map_err(SqlError::from)?;
        tx.commit().await.map_err(SqlError::from)?;
        Ok(old)
    }

    async fn set_note(&self, layer: &str, note: &LayerNote) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(SqlError::from)?;
        let mut tx = conn.begin().await.map_err(SqlError::from)?;
        sql::write_note::<sqlx::Sqlite>(&mut tx, Dialect::Sqlite, layer, note).await?;
        // Also where GeoPackage readers look: the table description.
        sqlx::query("UPDATE gpkg_contents SET description = ? WHERE table_name = ?")
            .bind(note.provenance.as_deref().unwrap_or(""))
            .bind(layer)
            .execute(&mut *tx)
            .await
            .map_err(SqlError::from)?;
        Ok(tx.commit().await.map_err(SqlError::from)?)
    }

    async fn note(&self, layer: &str) -> Result<Option<LayerNote>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(SqlError::from)?;
        Ok(sql::read_note::<sqlx::Sqlite>(&mut conn, Dialect::Sqlite, layer).await?)
    }
}
