//! Test harness: a real onemap server on a free loopback port, and an HTTP client for it,
//! on either store backend.
//!
//! [`both_backends!`] runs each test once on the embedded GeoPackage and once on PostGIS
//! (a fresh database per server in the cluster named by `DATABASE_URL`; `scripts/test.sh`
//! starts one). Without `DATABASE_URL` the PostGIS half fails under `CI=true` and is skipped,
//! with a notice, on a developer's machine.

pub mod mvt;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use onemap_api::{DatabaseUrl, ServeConfig, Server};
use serde_json::Value;
use sqlx::Connection;

/// Which store a test server keeps its data in.
#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    /// A GeoPackage file in the server's data directory.
    Gpkg,
    /// A PostGIS database, by URL.
    Postgis(String),
}

/// Runs each named `async fn(Backend)` as two tests, `gpkg::name` and `postgis::name`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod gpkg {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::Backend::Gpkg).await;
                }
            )*
        }
        mod postgis {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(b) = $crate::Backend::fresh_postgis().await else { return };
                    super::$name(b).await;
                }
            )*
        }
    };
}

impl Backend {
    /// A new, empty database in the test cluster, or None (after a notice) when there is
    /// no cluster on a developer's machine. Panics in CI, where the tests must run.
    pub async fn fresh_postgis() -> Option<Self> {
        let admin = match std::env::var("DATABASE_URL") {
            Ok(u) if !u.is_empty() => u,
            _ if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => panic!(
                "DATABASE_URL is unset in CI: the PostGIS tests need a database; \
                 run them with `export $(scripts/pg-cluster.sh start)`"
            ),
            _ => {
                eprintln!(
                    "notice: DATABASE_URL is unset; skipping a PostGIS test (export $(scripts/pg-cluster.sh start))"
                );
                return None;
            }
        };
        Some(Self::Postgis(create_database(&admin).await))
    }

    /// The `--database-url` value for a server on this backend.
    pub fn database_url(&self) -> Option<&str> {
        match self {
            Self::Gpkg => None,
            Self::Postgis(u) => Some(u),
        }
    }
}

/// Creates `onemap_e2e_<pid>_<n>` next to the database at `admin` and returns its URL.
async fn create_database(admin: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "onemap_e2e_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .expect("connect to the test cluster");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut conn)
        .await
        .expect("drop an old test database");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create a test database");
    let (base, _) = admin
        .rsplit_once('/')
        .expect("DATABASE_URL ends in /<database>");
    format!("{base}/{name}")
}

/// A server started in-process over a fresh data directory, stopped on drop.
pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    pub server: Server,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    /// An empty store.
    pub async fn empty(backend: Backend) -> Self {
        Self::start(backend, false).await
    }

    /// The sample data loaded, as the run command does.
    pub async fn with_sample_data(backend: Backend) -> Self {
        Self::start(backend, true).await
    }

    async fn start(backend: Backend, sample_data: bool) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cfg = config(dir.path().to_path_buf(), sample_data);
        cfg.database_url = backend.database_url().map(|u| DatabaseUrl(u.to_string()));
        Self::with_config(cfg, dir).await
    }

    /// A server with a configuration of the test's own over `dir`.
    pub async fn with_config(cfg: ServeConfig, dir: tempfile::TempDir) -> Self {
        let server = onemap_api::start(&cfg).await.expect("server starts");
        Self {
            base: format!("http://{}", server.addr),
            client: reqwest::Client::builder()
                .no_gzip()
                .build()
                .expect("client"),
            server,
            dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET and parse JSON, asserting the status.
    pub async fn get_json(&self, path: &str, status: u16) -> Value {
        let r = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status().as_u16(), status, "GET {path}");
        r.json().await.expect("JSON body")
    }

    /// How many features a layer holds, as `/layers` says.
    pub async fn count(&self, layer: &str) -> u64 {
        let layers = self.get_json("/layers", 200).await;
        layers
            .as_array()
            .expect("array")
            .iter()
            .find(|l| l["id"] == layer)
            .unwrap_or_else(|| panic!("layer {layer} listed"))["count"]
            .as_u64()
            .expect("count")
    }

    /// POST a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    /// POST a JSON body and parse the JSON answer, asserting 200.
    pub async fn post_json(&self, path: &str, body: &Value) -> Value {
        let r = self.post(path, body).await;
        let status = r.status();
        let v: Value = r.json().await.expect("JSON body");
        assert_eq!(status, 200, "POST {path} {body} → {v}");
        v
    }

    /// Creates a feature, asserting 201; returns it as stored.
    pub async fn create(&self, layer: &str, feature: &Value) -> Value {
        let r = self
            .post(&format!("/collections/{layer}/items"), feature)
            .await;
        let status = r.status();
        let body: Value = r.json().await.expect("JSON body");
        assert_eq!(status, 201, "create in {layer}: {body}");
        body
    }

    /// GET `/tiles/{layers}/{z}/{x}/{y}.mvt`.
    pub async fn tile(&self, layers: &str, z: u32, x: u32, y: u32) -> reqwest::Response {
        self.client
            .get(self.url(&format!("/tiles/{layers}/{z}/{x}/{y}.mvt")))
            .send()
            .await
            .expect("tile")
    }

    /// The GeoPackage file of this server.
    pub fn gpkg(&self) -> PathBuf {
        self.dir.path().join("onemap.gpkg")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.server.handle.abort();
    }
}

/// A server configuration over `data` on a free port.
pub fn config(data: PathBuf, sample_data: bool) -> ServeConfig {
    ServeConfig {
        bind: "127.0.0.1:0".parse().expect("addr"),
        data,
        sample_data,
        static_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../api/viewer/public")),
        public_url: None,
        tile_cache_mb: 64,
        coord_config: None,
        max_body_mb: 2,
        max_import_mb: 8,
        database_url: None,
        database_read_urls: Vec::new(),
    }
}

/// `ogrinfo -ro -so -al` on a GeoPackage (GDAL as an independent reader): layer name →
/// (feature count, the layer's summary text).
pub fn ogrinfo(gpkg: &std::path::Path) -> std::collections::HashMap<String, (u64, String)> {
    let out = std::process::Command::new("ogrinfo")
        .args(["-ro", "-so", "-al"])
        .arg(gpkg)
        .output()
        .expect("ogrinfo runs (Debian gdal-bin; scripts/setup.sh test installs it)");
    assert!(
        out.status.success(),
        "ogrinfo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.split("Layer name: ")
        .skip(1)
        .map(|part| {
            let name = part.lines().next().unwrap_or_default().trim().to_string();
            let count = part
                .lines()
                .find_map(|l| l.strip_prefix("Feature Count: "))
                .expect("a feature count")
                .trim()
                .parse()
                .expect("a number");
            (name, (count, part.to_string()))
        })
        .collect()
}

/// Asserts a response is an RFC 9457 problem with `status`; returns its body.
pub async fn assert_problem(r: reqwest::Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status, "status");
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or_default().to_string())
        .unwrap_or_default();
    assert_eq!(ct, "application/problem+json", "problem content type");
    let body: Value = r.json().await.expect("problem JSON");
    assert!(
        body["type"].is_string() && body["title"].is_string(),
        "problem members: {body}"
    );
    body
}

/// Case workflow helpers: servers on an injected clock, restarts over the same data.
impl TestServer {
    /// A server over `dir` whose case timers run on `clock`.
    pub async fn with_clock(
        cfg: ServeConfig,
        dir: tempfile::TempDir,
        clock: onemap_api::clock::FakeClock,
    ) -> Self {
        let server = onemap_api::start_with_clock(&cfg, std::sync::Arc::new(clock))
            .await
            .expect("server starts");
        Self {
            base: format!("http://{}", server.addr),
            client: reqwest::Client::builder()
                .no_gzip()
                .build()
                .expect("client"),
            server,
            dir,
        }
    }

    /// Replaces this server by a new one on the same data (directory or database), as a
    /// restart does; `cfg` must point at the same data. The new server runs on `clock`: give
    /// it a clock of its own set later than the old one's to model time passing while down
    /// (the old server, frozen on its clock, has nothing more to fire before it stops).
    pub async fn restart(&mut self, cfg: &ServeConfig, clock: onemap_api::clock::FakeClock) {
        self.server.handle.abort();
        let server = onemap_api::start_with_clock(cfg, std::sync::Arc::new(clock))
            .await
            .expect("server restarts");
        self.base = format!("http://{}", server.addr);
        // The old server's background tasks (scheduler, notifiers) stop as it drops here.
        self.server = server;
    }

    /// A request with the development caller headers (`X-Onemap-User`, `-Role`, `-Level`,
    /// `-District`, `-Township`; empty values are left out).
    pub fn as_caller(
        &self,
        method: reqwest::Method,
        path: &str,
        who: [&str; 5],
    ) -> reqwest::RequestBuilder {
        let names = [
            "x-onemap-user",
            "x-onemap-role",
            "x-onemap-level",
            "x-onemap-district",
            "x-onemap-township",
        ];
        names
            .iter()
            .zip(who)
            .filter(|(_, v)| !v.is_empty())
            .fold(self.client.request(method, self.url(path)), |r, (n, v)| {
                r.header(*n, v)
            })
    }
}
