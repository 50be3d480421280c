//! The onemap HTTP server: routes, configuration, first-start sample data.
//!
//! [`start`] is what the `onemap serve` binary runs; tests call it too, on a free port.

#![warn(missing_docs)]

// Case attachments: type and size checked, images re-encoded with a thumbnail.
pub mod attachment;
// Who is asking: the caller every handler receives (development headers until authentication).
pub mod caller;
// Server configuration from flags and environment variables.
pub mod config;
// CRS parameters at the API's edges, and conversion failures as problems.
pub mod coords;
// Path, query and JSON extractors whose rejections are problem responses.
pub mod extract;
// The server's geocoder built from the configuration: live gazetteer plus keyed providers.
mod geocoder;
// Background jobs (large imports): started with a 202, watched through `/jobs/{id}`.
pub mod jobs;
// The OpenAPI 3.1 description served at `/openapi.json`, from the handlers' annotations.
pub mod openapi;
// RFC 9457 problem responses and every problem type the server answers with.
pub mod problem;
// The HTTP surface, one module per resource: parse, call one domain function, render.
mod routes;
// The case timer loop: deadlines and reminders fired from the store's `next_due_at`.
mod scheduler;
// First-start loading of the sample data.
pub mod seed;
// What every handler shares.
pub mod state;
// Case events POSTed to configured URLs, retried, each attempt logged.
mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use onemap_cases::CaseService;
use onemap_spatial::{Catalog, LayerRegistry};
use onemap_store::gpkg::GpkgStore;
use onemap_store::postgis::{PostgresStore, follow};
use onemap_tiles::TileCache;

pub use config::{DatabaseUrl, ServeConfig};
/// Case timers' clocks; tests start a server on a [`clock::FakeClock`].
pub use onemap_cases::clock;
pub use state::AppState;

/// The layer declarations shipped in the binary (`data/layers/*.json`).
const LAYER_DECLARATIONS: &[(&str, &str)] = &[
    (
        "districts.json",
        include_str!("../../data/layers/districts.json"),
    ),
    (
        "townships.json",
        include_str!("../../data/layers/townships.json"),
    ),
    (
        "illegal_buildings.json",
        include_str!("../../data/layers/illegal_buildings.json"),
    ),
    (
        "forest_stands.json",
        include_str!("../../data/layers/forest_stands.json"),
    ),
    (
        "forest_patches.json",
        include_str!("../../data/layers/forest_patches.json"),
    ),
    (
        "patrol_tracks.json",
        include_str!("../../data/layers/patrol_tracks.json"),
    ),
    (
        "video_points.json",
        include_str!("../../data/layers/video_points.json"),
    ),
    (
        "gazetteer_roads.json",
        include_str!("../../data/layers/gazetteer_roads.json"),
    ),
    (
        "gazetteer_addresses.json",
        include_str!("../../data/layers/gazetteer_addresses.json"),
    ),
    (
        "gazetteer_pois.json",
        include_str!("../../data/layers/gazetteer_pois.json"),
    ),
];

/// The shipped layer declarations.
pub fn builtin_layers() -> LayerRegistry {
    LayerRegistry::from_sources(LAYER_DECLARATIONS.iter().map(|(n, t)| (n.to_string(), *t)))
        .expect("shipped layer declarations are valid")
}

/// The shipped layers plus any declarations in the data directory.
pub fn layers(cfg: &ServeConfig) -> anyhow::Result<LayerRegistry> {
    let mut reg = builtin_layers();
    let dir = cfg.layers_dir();
    if dir.is_dir() {
        reg.extend_from_dir(&dir)?;
    }
    Ok(reg)
}

/// A running server.
pub struct Server {
    /// The address it listens on (the actual port when the configuration asked for port 0).
    pub addr: SocketAddr,
    /// What its handlers share, for callers in the same process (tests, tools).
    pub state: AppState,
    /// The serving task; aborting it stops the server.
    pub handle: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Tasks that live as long as the server (following other instances, pruning the log).
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        for t in &self.background {
            t.abort();
        }
    }
}

/// How long the PostGIS change log keeps a change: an instance that was down for longer
/// than this still starts correctly (it loads every layer), it just cannot replay.
const CHANGE_LOG_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Opens the store, loads the index (and the sample data if asked), binds and serves.
///
/// On PostGIS the server also follows the changes other instances commit to the same
/// database, from the log position taken before loading, so nothing falls in between.
pub async fn start(cfg: &ServeConfig) -> anyhow::Result<Server> {
    start_with_clock(cfg, Arc::new(clock::SystemClock)).await
}

/// [`start`] with case timers measured against `clock` (tests pass a
/// [`clock::FakeClock`] and move it instead of waiting).
pub async fn start_with_clock(
    cfg: &ServeConfig,
    clock: Arc<dyn clock::Clock>,
) -> anyhow::Result<Server> {
    // Definitions and settings first: a bad workflow file stops the server before it opens anything.
    let workflows = onemap_cases::definitions::load(&cfg.workflows_dir())?;
    let case_settings = Arc::new(cfg.case_settings()?);
    let registry = layers(cfg)?;
    let mut background = Vec::new();
    let catalog = match &cfg.database_url {
        None => Arc::new(
            Catalog::open(
                &registry,
                Arc::new(GpkgStore::open(&cfg.gpkg_path()).await?),
            )
            .await?,
        ),
        Some(url) => {
            let read: Vec<String> = cfg.database_read_urls.iter().map(|u| u.0.clone()).collect();
            let pg = Arc::new(PostgresStore::connect(&url.0, &read).await?);
            let since = pg.latest_seq().await?;
            let catalog = Arc::new(Catalog::open(&registry, pg.clone()).await?);
            background.push(follow(catalog.clone(), pg.listen(since)));
            background.push(tokio::spawn(prune_change_log(pg)));
            catalog
        }
    };
    tracing::info!(store = %catalog.store().describe(), "store open");
    if cfg.sample_data {
        let n = seed::load_if_empty(&catalog).await?;
        if n > 0 {
            tracing::info!(features = n, "sample data loaded on first start");
        }
    }
    let tiles = Arc::new(TileCache::new(cfg.tile_cache_mb << 20));
    catalog.subscribe(tiles.clone());
    let coords = Arc::new(coords::Coords::new(cfg.coord()?)?);
    let geocoder = Arc::new(geocoder::build(cfg, &catalog, &coords)?);
    let cases = Arc::new(CaseService::new(workflows, clock, catalog.clone()));
    let state = AppState {
        catalog,
        tiles,
        coords,
        geocoder,
        jobs: Default::default(),
        cases,
        case_settings,
        max_import_bytes: (cfg.max_import_mb as u64) << 20,
        static_dir: cfg.static_dir.clone(),
        public_url: cfg.public_url.clone(),
    };
    background.push(scheduler::spawn(state.clone()));
    background.extend(webhooks::spawn(state.clone()));
    let app = routes::router(state.clone(), cfg.max_body_mb << 20);
    let listener = tokio::net::TcpListener::bind(cfg.bind).await?;
    let addr = listener.local_addr()?;
    let handle = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Server {
        addr,
        state,
        handle,
        background,
    })
}

/// Deletes change-log rows past [`CHANGE_LOG_RETENTION`], hourly (every instance does it;
/// the deletes are idempotent).
async fn prune_change_log(pg: Arc<PostgresStore>) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        match pg.prune_changes(CHANGE_LOG_RETENTION).await {
            Ok(n) if n > 0 => tracing::info!(rows = n, "pruned the change log"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot prune the change log"),
        }
    }
}
