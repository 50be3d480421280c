//! Several instances on one PostGIS database, and PostGIS going away under a running server.
//!
//! PostGIS only: these are what the embedded GeoPackage cannot do.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use onemap_api::DatabaseUrl;
use onemap_e2e::mvt::{decode, tile_of};
use onemap_e2e::{Backend, TestServer, assert_problem, config};
use serde_json::{Value, json};

fn camera(code: &str, lon: f64, lat: f64) -> Value {
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"device_code": code, "name": "多实例测试点", "level": "区级",
                       "district_code": "310115", "status": "online"}})
}

async fn post(s: &TestServer, body: &Value) -> reqwest::Response {
    s.post("/collections/video_points/items", body).await
}

/// The ids in `s`'s tile z/x/y of the video points.
async fn tile_ids(s: &TestServer, z: u32, x: u32, y: u32) -> Vec<u64> {
    let r = s.tile("video_points", z, x, y).await;
    match r.status().as_u16() {
        204 => Vec::new(),
        200 => decode(r.bytes().await.unwrap().to_vec())
            .into_iter()
            .flat_map(|(_, fs)| fs.into_iter().filter_map(|f| f.id))
            .collect(),
        s => panic!("tile status {s}"),
    }
}

/// Polls `check` until it holds; returns how long that took, or panics after `limit`.
async fn within<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let t0 = Instant::now();
    loop {
        if check().await {
            return t0.elapsed();
        }
        assert!(t0.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn server_on(url: &str) -> TestServer {
    TestServer::empty(Backend::Postgis(url.to_string())).await
}

#[tokio::test]
async fn a_write_through_one_instance_shows_in_the_others_tiles_and_items_within_a_second() {
    let Some(Backend::Postgis(url)) = Backend::fresh_postgis().await else {
        return;
    };
    let a = server_on(&url).await;
    let b = server_on(&url).await;
    let (lon, lat) = (121.5, 31.1);
    let zs = [10u32, 14, 17];
    // B renders (and caches) the empty tiles first: the write must invalidate them.
    for z in zs {
        let (x, y) = tile_of(lon, lat, z);
        assert!(tile_ids(&b, z, x, y).await.is_empty());
    }
    let r = post(&a, &camera("31011500001320000077", lon, lat)).await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_u64().unwrap();
    let item_path = format!("/collections/video_points/items/{id}");
    let item = b.url(&item_path);
    let took = within(Duration::from_secs(1), "B reads A's create", || async {
        let item_ok = b.client.get(&item).send().await.unwrap().status() == 200;
        let mut tiles_ok = true;
        for z in zs {
            let (x, y) = tile_of(lon, lat, z);
            tiles_ok &= tile_ids(&b, z, x, y).await == [id];
        }
        item_ok && tiles_ok
    })
    .await;
    eprintln!("create visible on B after {took:?}");

    // A move through A: B's old tiles lose it, its new tiles and items show the new place.
    let r = a
        .client
        .patch(a.url(&format!("/collections/video_points/items/{id}")))
        .json(&json!({"geometry": {"type": "Point", "coordinates": [121.3, 31.3]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (nx, ny) = tile_of(121.3, 31.3, 14);
    let (ox, oy) = tile_of(lon, lat, 14);
    let took = within(Duration::from_secs(1), "B reads A's move", || async {
        let f = b.get_json(&item_path, 200).await;
        f["geometry"]["coordinates"] == json!([121.3, 31.3])
            && tile_ids(&b, 14, ox, oy).await.is_empty()
            && tile_ids(&b, 14, nx, ny).await == [id]
    })
    .await;
    eprintln!("move visible on B after {took:?}");

    // A delete through B reaches A.
    let r = b.client.delete(&item).send().await.unwrap();
    assert_eq!(r.status(), 204);
    within(Duration::from_secs(1), "A sees B's delete", || async {
        a.client
            .get(a.url(&format!("/collections/video_points/items/{id}")))
            .send()
            .await
            .unwrap()
            .status()
            == 404
            && tile_ids(&a, 14, nx, ny).await.is_empty()
    })
    .await;

    // An instance that was down catches up: it starts with what it missed.
    drop(b);
    let r = post(&a, &camera("31011500001320000078", 121.6, 31.2)).await;
    assert_eq!(r.status(), 201);
    let b = server_on(&url).await;
    assert_eq!(b.count("video_points").await, 1);
    assert_eq!(a.count("video_points").await, 1);
}

/// `scripts/pg-cluster.sh` on a cluster of this test's own, so stopping it disturbs no other test.
struct OwnCluster {
    state: PathBuf,
    _dir: tempfile::TempDir,
}

impl OwnCluster {
    fn script() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg-cluster.sh")
    }

    fn run(&self, cmd: &str) -> String {
        let out = Command::new("bash")
            .arg(Self::script())
            .arg(cmd)
            .env("PG_CLUSTER_STATE", &self.state)
            .output()
            .expect("run pg-cluster.sh");
        assert!(
            out.status.success(),
            "pg-cluster.sh {cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let c = Self {
            state: dir.path().join("cluster.env"),
            _dir: dir,
        };
        c.run("start");
        c
    }

    fn url(&self) -> String {
        self.run("url")
            .lines()
            .find_map(|l| l.strip_prefix("DATABASE_URL="))
            .expect("DATABASE_URL printed")
            .to_string()
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(Self::script())
            .arg("stop")
            .env("PG_CLUSTER_STATE", &self.state)
            .output();
    }
}

#[tokio::test]
async fn reads_survive_a_postgis_restart_and_writes_get_503_until_it_is_back() {
    // This test restarts a database: it needs PostGIS installed, as the shared cluster does.
    if Backend::fresh_postgis().await.is_none() {
        return;
    }
    let cluster = OwnCluster::start();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path().to_path_buf(), false);
    cfg.database_url = Some(DatabaseUrl(cluster.url()));
    let s = TestServer::with_config(cfg, dir).await;
    let r = post(&s, &camera("31011500001320000001", 121.5, 31.1)).await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_u64().unwrap();
    let (x, y) = tile_of(121.5, 31.1, 14);

    cluster.run("down");
    // Reads come from memory.
    let f = s
        .get_json(&format!("/collections/video_points/items/{id}"), 200)
        .await;
    assert_eq!(f["properties"]["device_code"], "31011500001320000001");
    let page = s
        .get_json("/collections/video_points/items?bbox=121,31,122,32", 200)
        .await;
    assert_eq!(page["numberMatched"], 1);
    assert_eq!(tile_ids(&s, 14, x, y).await, [id]);
    // Writes fail cleanly, whole.
    let r = post(&s, &camera("31011500001320000002", 121.5005, 31.1)).await;
    let p = assert_problem(r, 503).await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("unavailable")
            || p["title"]
                .as_str()
                .unwrap_or_default()
                .contains("navailable"),
        "{p}"
    );
    let r = s
        .client
        .delete(s.url(&format!("/collections/video_points/items/{id}")))
        .send()
        .await
        .unwrap();
    assert_problem(r, 503).await;
    assert_eq!(s.count("video_points").await, 1);

    cluster.run("up");
    // The pool reconnects by itself: the same write now succeeds.
    let took = within(Duration::from_secs(30), "writes work again", || async {
        post(&s, &camera("31011500001320000002", 121.5005, 31.1))
            .await
            .status()
            == 201
    })
    .await;
    eprintln!("first successful write {took:?} after the restart");
    assert_eq!(s.count("video_points").await, 2);
    // Nothing the outage refused was half-written: a fresh instance loads exactly two.
    let again = server_on(&cluster.url()).await;
    assert_eq!(again.count("video_points").await, 2);
    assert_eq!(tile_ids(&again, 14, x, y).await.len(), 2);
}
