//! Test harness: a real onemap server on a free loopback port, and an HTTP client for it.

use std::path::PathBuf;

use onemap_api::{ServeConfig, Server};
use serde_json::Value;

/// A server started in-process over a fresh data directory, stopped on drop.
pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    pub server: Server,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    /// An empty store.
    pub async fn empty() -> Self {
        Self::start(false).await
    }

    /// The sample data loaded, as the run command does.
    pub async fn with_sample_data() -> Self {
        Self::start(true).await
    }

    async fn start(sample_data: bool) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let cfg = config(dir.path().to_path_buf(), sample_data);
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
        static_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../api/static")),
        public_url: None,
        tile_cache_mb: 64,
        coord_config: None,
        max_body_mb: 2,
    }
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
