//! The embedded store: an independent GeoPackage reader (GDAL's ogrinfo) sees the
//! layers and counts, and a killed server loses nothing it acknowledged.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use onemap_e2e::{Backend, TestServer};
use serde_json::{Value, json};

/// Layer name → feature count, as ogrinfo reports them.
/// Feature counts per layer, as GDAL reads the file.
fn ogrinfo_counts(gpkg: &Path) -> HashMap<String, u64> {
    onemap_e2e::ogrinfo(gpkg)
        .into_iter()
        .map(|(name, (count, _))| (name, count))
        .collect()
}

#[tokio::test]
async fn ogrinfo_lists_every_layer_with_its_count() {
    let s = TestServer::with_sample_data(Backend::Gpkg).await;
    let layers = s.get_json("/layers", 200).await;
    let counts = ogrinfo_counts(&s.gpkg());
    for l in layers.as_array().unwrap() {
        let id = l["id"].as_str().unwrap();
        assert_eq!(
            counts.get(id).copied(),
            l["count"].as_u64(),
            "ogrinfo count of {id}: {counts:?}"
        );
    }
    assert!(counts["illegal_buildings"] >= 20_000);
    assert!(counts["forest_stands"] >= 5_000);
    assert_eq!(counts["districts"], 16);
    assert_eq!(counts["townships"], 234);
    // Footprints live in their own linked feature table.
    let with_footprint = s
        .get_json("/collections/illegal_buildings/items?limit=10000", 200)
        .await["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"].get("footprint").is_some())
        .count();
    assert!(with_footprint > 0);
    assert!(counts["illegal_buildings_footprint"] >= with_footprint as u64);
    for l in layers
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["id"] != "districts" && l["id"] != "townships")
    {
        assert_eq!(l["synthetic"], true, "{} is labelled synthetic", l["id"]);
    }
}

fn onemap_bin() -> PathBuf {
    let p = std::env::var_os("ONEMAP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../target/debug/onemap"
            ))
        });
    assert!(
        p.exists(),
        "{} missing: run `cargo build --bin onemap` first (scripts/test.sh does)",
        p.display()
    );
    p
}

/// Starts the binary on a data dir (and database) and waits for its URL.
fn spawn(data: &Path, backend: &Backend) -> (Child, String) {
    let log = data.join(format!("server-{}.log", std::process::id()));
    let mut cmd = Command::new(onemap_bin());
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--data"])
        .arg(data)
        .env_remove("DATABASE_URL")
        .env_remove("DATABASE_READ_URLS");
    if let Some(u) = backend.database_url() {
        cmd.args(["--database-url", u]);
    }
    let mut child = cmd
        .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn onemap");
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(url) = text
            .lines()
            .find_map(|l| l.strip_prefix("onemap serving at "))
        {
            return (child, url.trim_end_matches('/').to_string());
        }
        assert!(child.try_wait().unwrap().is_none(), "server exited: {text}");
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn building(i: u32) -> Value {
    let (lon, lat) = (
        121.30 + f64::from(i % 100) * 0.001,
        31.10 + f64::from(i / 100) * 0.001,
    );
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"code": format!("WZ310112{i:08}"), "kind": "新增", "status": "待核查",
            "district_code": "310112", "source": "巡查", "area_m2": 100.0,
            "footprint": {"type": "Polygon", "coordinates": [[[lon - 0.0001, lat - 0.0001], [lon + 0.0001, lat - 0.0001],
                [lon + 0.0001, lat + 0.0001], [lon - 0.0001, lat + 0.0001], [lon - 0.0001, lat - 0.0001]]]}}})
}

onemap_e2e::both_backends!(a_killed_server_keeps_every_acknowledged_write_and_no_half_write);

async fn a_killed_server_keeps_every_acknowledged_write_and_no_half_write(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = spawn(dir.path(), &b);
    let client = reqwest::Client::new();
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for w in 0..4u32 {
        let (client, url, acked) = (client.clone(), url.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..10_000u32 {
                let code = w * 10_000 + i;
                let r = client
                    .post(format!("{url}/collections/illegal_buildings/items"))
                    .json(&building(code))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 201 => {
                        acked.lock().unwrap().push(format!("WZ310112{code:08}"))
                    }
                    _ => return,
                }
            }
        }));
    }
    // Kill it hard in the middle of the stream of writes.
    while acked.lock().unwrap().len() < 200 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();

    let (mut child, url) = spawn(dir.path(), &b);
    let page: Value = client
        .get(format!(
            "{url}/collections/illegal_buildings/items?limit=10000"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let stored: HashMap<String, &Value> = page["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["properties"]["code"].as_str().unwrap().to_string(), f))
        .collect();
    for code in &acked {
        assert!(stored.contains_key(code), "acknowledged {code} lost");
    }
    // At most the writes in flight at the kill may have committed unacknowledged.
    assert!(
        stored.len() <= acked.len() + 4,
        "{} stored, {} acknowledged",
        stored.len(),
        acked.len()
    );
    for (code, f) in &stored {
        assert!(
            f["properties"]["footprint"]["type"] == "Polygon",
            "{code} lost its footprint: half-written"
        );
    }
    if b == Backend::Gpkg {
        let counts = ogrinfo_counts(&dir.path().join("onemap.gpkg"));
        assert_eq!(counts["illegal_buildings"], stored.len() as u64);
        assert_eq!(counts["illegal_buildings_footprint"], stored.len() as u64);
    }
}
