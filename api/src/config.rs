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
    #[arg(long, env = "ONEMAP_STATIC", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/viewer/public"))]
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
    /// Largest file accepted by an import, in MiB; imports stream to a temporary file, so this
    /// bounds disk, not memory.
    #[arg(long, env = "ONEMAP_MAX_IMPORT_MB", default_value_t = 2048)]
    pub max_import_mb: usize,
    /// A PostGIS database (`postgres://user:password@host:port/db`) to keep the data in
    /// instead of the embedded GeoPackage; several instances may share one.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<DatabaseUrl>,
    /// Hot standbys of that database, comma-separated, for the reads that go to the database.
    #[arg(long, env = "DATABASE_READ_URLS", value_delimiter = ',')]
    pub database_read_urls: Vec<DatabaseUrl>,
}

/// A database URL, which may hold a password: `Debug` shows it without one, so the
/// configuration printed at start-up and logs never leak it.
#[derive(Clone)]
pub struct DatabaseUrl(pub String);

impl std::str::FromStr for DatabaseUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(Self(s.to_string()))
        } else {
            Err(format!("`{}` is not a postgres:// URL", redact(s)))
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

/// `scheme://user:secret@host/…` → `scheme://user:***@host/…`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_string(),
    }
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

/// The upstream geocoders (AMap, Baidu web services), read from `DATA/geocode-providers.json`:
/// `{"amap": {"key": "…"}, "baidu": {"key": "…"}, "timeout_ms": 3000}`, each with an optional
/// `base_url`. Off unless the file names a provider with a key. A file rather than flags because
/// it holds keys, like the coordinate settings, and sits with the data it serves.
#[derive(Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeocodeProviders {
    /// AMap (Gaode) web service, GCJ-02 coordinates.
    pub amap: Option<ProviderKey>,
    /// Baidu Maps web service, BD-09 coordinates.
    pub baidu: Option<ProviderKey>,
    /// Per request to a provider, in milliseconds (default 3000).
    pub timeout_ms: Option<u64>,
}

/// One provider's key and where to reach it.
#[derive(Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderKey {
    /// The web-service key; never logged (the `Debug` form masks it).
    pub key: String,
    /// Scheme and host; the provider's public endpoint when absent.
    pub base_url: Option<String>,
}

impl std::fmt::Debug for ProviderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderKey")
            .field("key", &"***")
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl ServeConfig {
    /// Where the upstream geocoders are configured.
    pub fn geocode_providers_path(&self) -> PathBuf {
        self.data.join("geocode-providers.json")
    }

    /// The upstream geocoders; none when the file is absent.
    pub fn geocode_providers(&self) -> anyhow::Result<GeocodeProviders> {
        let p = self.geocode_providers_path();
        if !p.exists() {
            return Ok(GeocodeProviders::default());
        }
        serde_json::from_str(&std::fs::read_to_string(&p)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_print_without_their_password() {
        let u: DatabaseUrl = "postgres://onemap:s3cret@10.0.0.5:5432/onemap"
            .parse()
            .unwrap();
        let shown = format!("{u:?}");
        assert_eq!(shown, "postgres://onemap:***@10.0.0.5:5432/onemap");
        assert!(!shown.contains("s3cret"));
        let no_pw: DatabaseUrl = "postgresql://db/onemap".parse().unwrap();
        assert_eq!(format!("{no_pw:?}"), "postgresql://db/onemap");
        let bad = "mysql://u:pw@h/db".parse::<DatabaseUrl>().unwrap_err();
        assert!(bad.contains("mysql://u:***@h/db"), "{bad}");
    }
}

/// Case workflow settings (issue #7), read from `DATA/cases.json`; every member is optional:
/// `{"webhooks": ["http://…"], "webhook_attempts": 5, "webhook_backoff_ms": 1000,
/// "scheduler_tick_ms": 1000}`. A file rather than flags, like the geocoders: webhook URLs
/// often carry a token.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaseSettings {
    /// Every case event is POSTed as JSON to each of these (`http://` only); none by default.
    pub webhooks: Vec<String>,
    /// Attempts per event and URL before giving up.
    pub webhook_attempts: u32,
    /// Delay before the first retry; it doubles with each further one.
    pub webhook_backoff_ms: u64,
    /// How often the timer scheduler looks for due deadlines and reminders.
    pub scheduler_tick_ms: u64,
}

impl Default for CaseSettings {
    fn default() -> Self {
        Self {
            webhooks: Vec::new(),
            webhook_attempts: 5,
            webhook_backoff_ms: 1000,
            scheduler_tick_ms: 1000,
        }
    }
}

impl ServeConfig {
    /// Workflow definitions that replace (same file name) or add to the shipped ones.
    pub fn workflows_dir(&self) -> PathBuf {
        self.data.join("workflows")
    }

    /// The case settings; the defaults when `DATA/cases.json` is absent.
    pub fn case_settings(&self) -> anyhow::Result<CaseSettings> {
        let p = self.data.join("cases.json");
        if !p.exists() {
            return Ok(CaseSettings::default());
        }
        let s: CaseSettings = serde_json::from_str(&std::fs::read_to_string(&p)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
        if let Some(bad) = s.webhooks.iter().find(|u| !u.starts_with("http://")) {
            anyhow::bail!("{}: webhook `{bad}` is not an http:// URL", p.display());
        }
        Ok(s)
    }
}
