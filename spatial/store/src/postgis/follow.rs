//! Keeping a catalog in step with the other instances on the same database.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::postgis::ChangeFeed;
use onemap_spatial::catalog::{Catalog, CatalogError};
use onemap_spatial::store::StoreError;

/// Applies every change from `feed` to `catalog` (index and listeners such as the tile cache)
/// until the feed ends. A change whose re-read fails because the database is unavailable is
/// retried until it succeeds, so the index never skips one; a layer this instance does not
/// serve is ignored.
///
/// Start-up without a gap: take `store.latest_seq()` before `Catalog::open`, then
/// `follow(catalog, store.listen(seq))`. Changes that the load already saw are re-applied
/// harmlessly (the index keeps the newer version).
pub fn follow(catalog: Arc<Catalog>, mut feed: ChangeFeed) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(c) = feed.recv().await {
            let mut backoff = Duration::from_millis(100);
            loop {
                match catalog.apply_remote(&c.layer, c.id, c.old, c.new).await {
                    Ok(_) => break,
                    Err(CatalogError::UnknownLayer(_)) => break,
                    Err(CatalogError::Store(StoreError::Unavailable(e))) => {
                        tracing::warn!(layer = %c.layer, id = c.id, error = %e, "cannot apply a remote change yet; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
                    Err(e) => {
                        tracing::error!(layer = %c.layer, id = c.id, error = %e, "cannot apply a remote change; skipped");
                        break;
                    }
                }
            }
        }
    })
}
