//! GeoPackage: written by onemap's own [`GpkgStore`] — the very tables, GeoPackage metadata
//! and secondary-geometry tables the server keeps — in a temporary directory, then
//! streamed back and gone.
//!
//! Features get new ids (1, 2, … in id order), since the store numbers what it inserts;
//! a keyed layer's key property still names each one. Coordinates are always CGCS2000
//! lon/lat (EPSG:4490), the only CRS the store writes.

use std::sync::Arc;

use onemap_spatial::{Feature, LayerDef, Store};
use onemap_store::gpkg::GpkgStore;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::WriteError;

/// The features as a GeoPackage, returned as an open file that is already unlinked: reading
/// it to the end is all that is left to do.
pub async fn encode(
    def: &LayerDef,
    features: &[Arc<Feature>],
) -> Result<tokio::fs::File, WriteError> {
    let dir = tempfile::tempdir()?;
    let work = dir.path().join("work.gpkg");
    let store = GpkgStore::open(&work).await?;
    store.prepare_layer(def).await?;
    store
        .insert(def, features.iter().map(|f| f.to_draft()).collect())
        .await?;
    // The store keeps a WAL journal. A connection of our own copies the committed data into
    // one self-contained file in rollback-journal mode, whenever the store's pool gets
    // round to closing.
    let file = dir.path().join(format!("{}.gpkg", def.id));
    let mut conn = SqliteConnectOptions::new()
        .filename(&work)
        .read_only(true)
        .connect()
        .await?;
    sqlx::query("VACUUM INTO ?")
        .bind(file.to_string_lossy())
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    drop(store);
    let file = tokio::fs::File::open(&file).await?;
    // Removed while open: the reader streams from the open file and leaves nothing behind.
    drop(dir);
    Ok(file)
}
