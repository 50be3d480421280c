//! `serve: database` layers: items and tiles answered by PostGIS (SQL and `ST_AsMVT`) must
//! match what the in-memory path serves for the same features, within a tile pixel.
//!
//! The test declares twins of two shipped layers with `"serve": "database"`, writes the same
//! features to each pair through the API and compares every answer. When the test cluster
//! has a hot standby (`DATABASE_REPLICA_URL`), the database reads go to it, right after the
//! writes.

use std::f64::consts::PI;

use geo::{CoordsIter, Distance, Euclidean, Geometry, Point};
use onemap_api::DatabaseUrl;
use onemap_e2e::mvt::{PIXEL, decode, tile_of};
use onemap_e2e::{Backend, TestServer, assert_problem, config};
use serde_json::{Value, json};

/// A shipped declaration as `{id}_db`, served from the database.
fn twin(declaration: &str) -> Value {
    let mut d: Value = serde_json::from_str(declaration).unwrap();
    d["id"] = format!("{}_db", d["id"].as_str().unwrap()).into();
    d["title"] = format!("{}（数据库）", d["title"].as_str().unwrap()).into();
    d["serve"] = "database".into();
    d
}

async fn server(backend: Backend) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("layers")).unwrap();
    for (name, text) in [
        (
            "forest_stands_db.json",
            include_str!("../../../data/layers/forest_stands.json"),
        ),
        (
            "video_points_db.json",
            include_str!("../../../data/layers/video_points.json"),
        ),
    ] {
        std::fs::write(dir.path().join("layers").join(name), twin(text).to_string()).unwrap();
    }
    let mut cfg = config(dir.path().to_path_buf(), false);
    cfg.database_url = backend.database_url().map(|u| DatabaseUrl(u.to_string()));
    // With the test cluster's hot standby, database reads go there (the standby replicates
    // the whole cluster, so it has this test's database too).
    if let (Some(url), Ok(replica)) = (
        backend.database_url(),
        std::env::var("DATABASE_REPLICA_URL"),
    ) {
        let db = url.rsplit_once('/').unwrap().1;
        let base = replica.rsplit_once('/').unwrap().0;
        cfg.database_read_urls = vec![DatabaseUrl(format!("{base}/{db}"))];
    }
    TestServer::with_config(cfg, dir).await
}

/// Stands: wiggly polygons 0.5–2 km across around Sheshan, one of them with a hole.
fn stands() -> Vec<Value> {
    (0..12)
        .map(|i| {
            let (cx, cy) = (
                121.18 + f64::from(i % 4) * 0.025,
                31.08 + f64::from(i / 4) * 0.02,
            );
            let size = 0.003 + f64::from(i % 3) * 0.003;
            let ring = |r0: f64, k: f64| -> Vec<[f64; 2]> {
                (0..=48)
                    .map(|j| {
                        let a = f64::from(j % 48) / 48.0 * 2.0 * PI;
                        let r = r0 * (1.0 + 0.25 * (k * a).sin());
                        [cx + r * a.cos(), cy + r * a.sin()]
                    })
                    .collect()
            };
            let mut rings = vec![ring(size, f64::from(3 + i % 4))];
            if i == 5 {
                let mut hole = ring(size * 0.3, 0.0);
                hole.reverse();
                rings.push(hole);
            }
            json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": rings},
                "properties": {"stand_no": format!("310117-{:03}-{:03}", i / 4 + 1, i + 1),
                    "compartment": format!("{:03}", i / 4 + 1), "dominant_species": (["水杉", "香樟", "女贞"][i as usize % 3]),
                    "area_ha": 10.0 + f64::from(i) * 1.5, "age_class": "中龄林", "district_code": "310117"}})
        })
        .collect()
}

fn cameras() -> Vec<Value> {
    (0..40u32)
        .map(|i| {
            let (lon, lat) = (
                121.17 + f64::from(i % 8) * 0.011,
                31.07 + f64::from(i / 8) * 0.013,
            );
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"device_code": format!("310117000013200{i:05}"), "name": format!("佘山{i}号"),
                    "level": (["区级", "街镇级"][i as usize % 2]), "district_code": "310117", "status": (["online", "offline"][i as usize % 3 % 2]),
                    "tags": if i % 4 == 0 { json!(["治安", "森林防火"]) } else { json!(["交通"]) }, "bearing": f64::from(i) * 7.5}})
        })
        .collect()
}

async fn post_all(s: &TestServer, layer: &str, features: &[Value]) {
    for f in features {
        s.create(layer, f).await;
    }
}

/// The largest distance from a vertex of `a` to geometry `b`.
fn reach(a: &Geometry<f64>, b: &Geometry<f64>) -> f64 {
    a.coords_iter()
        .map(|c| Euclidean.distance(&Point::from(c), b))
        .fold(0.0, f64::max)
}

type Decoded = Vec<(u64, Geometry<f64>, Vec<(String, String)>)>;

/// A tile's features by id, with their tags in a comparable form; None for 204.
async fn tile(s: &TestServer, layer: &str, z: u32, x: u32, y: u32) -> Decoded {
    let r = s.tile(layer, z, x, y).await;
    if r.status() == 204 {
        return Vec::new();
    }
    assert_eq!(r.status(), 200, "{layer} {z}/{x}/{y}");
    let layers = decode(r.bytes().await.unwrap().to_vec());
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0].0, layer, "the MVT layer is named by the layer id");
    let mut out: Decoded = layers[0]
        .1
        .iter()
        .map(|f| {
            let mut tags: Vec<(String, String)> = f
                .properties
                .iter()
                .flatten()
                .map(|(k, v)| (k.clone(), format!("{v:?}")))
                .collect();
            tags.sort();
            (f.id.expect("feature ids"), f.geometry.clone(), tags)
        })
        .collect();
    out.sort_by_key(|f| f.0);
    out
}

#[tokio::test]
async fn database_served_items_and_tiles_match_the_in_memory_path() {
    let Some(b) = Backend::fresh_postgis().await else {
        return;
    };
    let s = server(b).await;
    let (stands, cams) = (stands(), cameras());
    for (mem, db, fs) in [
        ("forest_stands", "forest_stands_db", &stands),
        ("video_points", "video_points_db", &cams),
    ] {
        post_all(&s, mem, fs).await;
        post_all(&s, db, fs).await;
    }
    let layers = s.get_json("/layers", 200).await;
    let listed = |id: &str| {
        layers
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(listed("forest_stands_db")["serve"], "database");
    assert_eq!(listed("forest_stands_db")["count"], 12);
    assert_eq!(listed("video_points_db")["count"], 40);

    // Items: the same pages, bbox hits, filters and totals.
    for query in [
        "limit=100",
        "limit=7&offset=5",
        "bbox=121.2,31.09,121.25,31.13&limit=100",
        "bbox=121.2,31.09,121.25,31.13&limit=2&offset=1",
        "level=区级&limit=100",
        "tags=森林防火&status=online&limit=100",
        "bbox=121.19,31.08,121.23,31.11&tags=交通&limit=100",
        "device_code=31011700001320000017",
        "level=市级",
    ] {
        let mem = s
            .get_json(&format!("/collections/video_points/items?{query}"), 200)
            .await;
        let db = s
            .get_json(&format!("/collections/video_points_db/items?{query}"), 200)
            .await;
        assert_eq!(mem["numberMatched"], db["numberMatched"], "{query}");
        assert_eq!(mem["features"], db["features"], "{query}");
    }
    for query in [
        "limit=100",
        "bbox=121.2,31.09,121.205,31.095",
        "age_class=中龄林&limit=3",
    ] {
        let mem = s
            .get_json(&format!("/collections/forest_stands/items?{query}"), 200)
            .await;
        let db = s
            .get_json(&format!("/collections/forest_stands_db/items?{query}"), 200)
            .await;
        assert_eq!(mem["numberMatched"], db["numberMatched"], "{query}");
        assert_eq!(mem["features"], db["features"], "{query}");
    }
    let one = s
        .get_json("/collections/forest_stands_db/items/6", 200)
        .await;
    assert_eq!(
        one["geometry"]["coordinates"].as_array().unwrap().len(),
        2,
        "the hole"
    );

    // Tiles: the same features with the same tags, geometries within a pixel of each other.
    let mut compared = 0;
    for (mem, db) in [
        ("forest_stands", "forest_stands_db"),
        ("video_points", "video_points_db"),
    ] {
        for z in [10u32, 12, 14, 16] {
            let (x0, y0) = tile_of(121.165, 31.125, z);
            let (x1, y1) = tile_of(121.27, 31.06, z);
            for x in x0..=x1.min(x0 + 6) {
                for y in y0..=y1.min(y0 + 6) {
                    let (a, b) = (tile(&s, mem, z, x, y).await, tile(&s, db, z, x, y).await);
                    let ids = |t: &Decoded| t.iter().map(|f| f.0).collect::<Vec<_>>();
                    assert_eq!(ids(&a), ids(&b), "{mem} vs {db} at {z}/{x}/{y}");
                    for (fa, fb) in a.iter().zip(&b) {
                        assert_eq!(fa.2, fb.2, "tags of {} at {z}/{x}/{y}", fa.0);
                        let (da, db_) = (reach(&fa.1, &fb.1), reach(&fb.1, &fa.1));
                        assert!(
                            da <= PIXEL && db_ <= PIXEL,
                            "{mem} feature {} at {z}/{x}/{y}: {da} / {db_} tile units apart",
                            fa.0
                        );
                        compared += 1;
                    }
                }
            }
        }
    }
    eprintln!("{compared} tile features compared");
    assert!(compared > 100, "only {compared} features compared");

    // Edits of a database layer reach its cached tiles; the database's tiles are Web Mercator only.
    let (z, x, y) = (
        14,
        tile_of(121.18, 31.08, 14).0,
        tile_of(121.18, 31.08, 14).1,
    );
    let before = tile(&s, "forest_stands_db", z, x, y).await;
    assert!(before.iter().any(|f| f.0 == 1));
    let r = s
        .client
        .delete(s.url("/collections/forest_stands_db/items/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let after = tile(&s, "forest_stands_db", z, x, y).await;
    assert!(!after.iter().any(|f| f.0 == 1), "deleted stand still drawn");
    s.get_json("/collections/forest_stands_db/items/1", 404)
        .await;
    let r = s
        .client
        .get(s.url(&format!(
            "/tiles/forest_stands_db/{z}/{x}/{y}.mvt?crs=gcj02"
        )))
        .send()
        .await
        .unwrap();
    assert_problem(r, 400).await;
    // A tile mixing both kinds of layer holds both, in the order asked for.
    let r = s.tile("video_points,forest_stands_db", z, x, y).await;
    let names: Vec<String> = decode(r.bytes().await.unwrap().to_vec())
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["video_points", "forest_stands_db"]);
}

#[tokio::test]
async fn the_geopackage_store_refuses_a_database_served_layer_at_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("layers")).unwrap();
    std::fs::write(
        dir.path().join("layers/video_points_db.json"),
        twin(include_str!("../../../data/layers/video_points.json")).to_string(),
    )
    .unwrap();
    let cfg = config(dir.path().to_path_buf(), false);
    let err = onemap_api::start(&cfg).await.err().expect("start-up fails");
    let msg = err.to_string();
    assert!(
        msg.contains("video_points_db") && msg.contains("serve: database"),
        "{msg}"
    );
}
