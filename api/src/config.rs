//! Server configuration from flags and environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

/// `onemap serve` settings; each flag also reads an `ONEMAP_*` variable.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "ONEMAP_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Directory for the embedded GeoPackage store and extra layer declarations (`DIR/layers/*.json`).
    #[arg(long, env = "ONEMAP_DATA", default_value = "./var")]
    pub data: PathBuf,
    /// Load the sample data (real districts and township codes, synthetic features) when the store is empty.
    #[arg(long, env = "ONEMAP_SAMPLE_DATA", default_value_t = false)]
    pub sample_data: bool,
    /// The viewer's files.
    #[arg(long, env = "ONEMAP_STATIC", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/static"))]
    pub static_dir: PathBuf,
    /// The URL clients reach this server at, when behind a proxy.
    #[arg(long, env = "ONEMAP_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Tile cache budget in MiB.
    #[arg(long, env = "ONEMAP_TILE_CACHE_MB", default_value_t = 256)]
    pub tile_cache_mb: usize,
    /// Coordinate settings as JSON: `{"sh2000_proj": "<PROJ string>", "correction": …}`;
    /// without it the unofficial Shanghai 2000 profile is used.
    #[arg(long, env = "ONEMAP_COORD_CONFIG")]
    pub coord_config: Option<PathBuf>,
    /// Largest request body accepted, in MiB.
    #[arg(long, env = "ONEMAP_MAX_BODY_MB", default_value_t = 16)]
    pub max_body_mb: usize,
}

impl ServeConfig {
    /// The GeoPackage file inside the data directory.
    pub fn gpkg_path(&self) -> PathBuf {
        self.data.join("onemap.gpkg")
    }

    /// Where an agency drops extra layer declarations.
    pub fn layers_dir(&self) -> PathBuf {
        self.data.join("layers")
    }
}

impl ServeConfig {
    /// The coordinate settings, from `--coord-config` or the defaults.
    pub fn coord(&self) -> anyhow::Result<onemap_coord::CoordConfig> {
        Ok(match &self.coord_config {
            Some(p) => serde_json::from_str(&std::fs::read_to_string(p)?)
                .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
            None => Default::default(),
        })
    }
}
