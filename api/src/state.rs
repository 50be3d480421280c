//! What every handler shares.

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::{HeaderMap, header};
use onemap_geocode::service::Geocoder;
use onemap_spatial::Catalog;
use onemap_tiles::TileCache;

use onemap_cases::CaseService;

use crate::config::CaseSettings;
use crate::coords::Coords;
use crate::jobs::Jobs;

/// Shared server state: the catalog (store + index), the tile cache, and settings.
#[derive(Clone)]
pub struct AppState {
    /// The layers, their store (the source of truth) and the in-memory index that serves reads.
    pub catalog: Arc<Catalog>,
    /// Encoded vector tiles; the catalog invalidates what each write touches.
    pub tiles: Arc<TileCache>,
    /// Transformers between the store's CRS and those clients ask for.
    pub coords: Arc<Coords>,
    /// The gazetteer (rebuilt when its layers change) and the upstream geocoders.
    pub geocoder: Arc<Geocoder>,
    /// Background work (large imports) and its progress.
    pub jobs: Arc<Jobs>,
    /// Case workflows: definitions, the clock their timers run on, the case store.
    pub cases: Arc<CaseService>,
    /// Webhooks and the timer scheduler's tick.
    pub case_settings: Arc<CaseSettings>,
    /// Largest import file, in bytes.
    pub max_import_bytes: u64,
    /// Where the viewer's files are (index.html, app.js, vendor/).
    pub static_dir: PathBuf,
    /// The URL clients reach us at, when a proxy hides it; else taken from `Host`.
    pub public_url: Option<String>,
}

impl AppState {
    /// The absolute base URL for links in TileJSON, styles and `next` links.
    pub fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(u) = &self.public_url {
            return u.trim_end_matches('/').to_string();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        let proto = headers
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("http");
        format!("{proto}://{host}")
    }
}
