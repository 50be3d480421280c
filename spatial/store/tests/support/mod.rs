//! Backends for the store contract tests: a fresh GeoPackage file, or the PostGIS database
//! named by `DATABASE_URL` (start one with `scripts/pg-cluster.sh start`).
//!
//! Without `DATABASE_URL` the PostGIS tests fail when `CI=true` and are skipped, with a
//! notice, on a developer's machine.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use onemap_spatial::Store;
use onemap_spatial::schema::{LayerDef, LayerRegistry};
use onemap_store::gpkg::GpkgStore;
use onemap_store::postgis::PostgresStore;

/// One store under test.
pub struct Backend {
    pub name: &'static str,
    pub store: Arc<dyn Store>,
    /// The same store as PostGIS, for PostGIS-only checks.
    pub pg: Option<Arc<PostgresStore>>,
    _dir: Option<tempfile::TempDir>,
}

pub async fn gpkg() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let store = GpkgStore::open(&dir.path().join("test.gpkg"))
        .await
        .unwrap();
    Backend {
        name: "geopackage",
        store: Arc::new(store),
        pg: None,
        _dir: Some(dir),
    }
}

/// The PostGIS URL, or None (after a notice) when a developer has no database.
/// Panics in CI: there the tests must run, not pass by skipping.
pub fn database_url() -> Option<String> {
    match std::env::var("DATABASE_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => panic!(
            "DATABASE_URL is unset in CI: the PostGIS contract tests need a database; \
             run them with `export $(scripts/pg-cluster.sh start)`"
        ),
        _ => {
            eprintln!(
                "notice: DATABASE_URL is unset; skipping a PostGIS test (export $(scripts/pg-cluster.sh start))"
            );
            None
        }
    }
}

/// The standby URL for replica tests, if one was started (`scripts/pg-cluster.sh replica-start`).
pub fn replica_url() -> Option<String> {
    std::env::var("DATABASE_REPLICA_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

pub async fn pg_store() -> Option<Arc<PostgresStore>> {
    let url = database_url()?;
    Some(Arc::new(PostgresStore::connect(&url, &[]).await.unwrap()))
}

pub async fn postgis() -> Option<Backend> {
    let pg = pg_store().await?;
    Some(Backend {
        name: "postgis",
        store: pg.clone(),
        pg: Some(pg),
        _dir: None,
    })
}

/// A layer id no other test (or earlier run against the same database) uses.
pub fn unique(base: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{base}_{:x}_{}",
        (nanos as u64 ^ u64::from(std::process::id())) & 0xffff_ffff,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Parses a declaration as a layer file would be.
pub fn layer(json: &str) -> Arc<LayerDef> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let id = v["id"].as_str().unwrap().to_string();
    registry(&[json]).get(&id).unwrap().clone()
}

pub fn registry(jsons: &[&str]) -> LayerRegistry {
    LayerRegistry::from_sources(
        jsons
            .iter()
            .enumerate()
            .map(|(i, j)| (format!("test{i}.json"), *j)),
    )
    .unwrap()
}
