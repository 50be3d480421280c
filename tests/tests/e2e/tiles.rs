//! Vector tiles over HTTP, decoded with an independent decoder (mvt-reader).

use std::f64::consts::PI;
use std::io::Read;

use geo::{Coord, Distance, Euclidean, Geometry, LineString, MapCoords, Point, Polygon};
use onemap_e2e::mvt::{PIXEL, decode, tile_of, to_tile};
use onemap_e2e::{Backend, TestServer, assert_problem};
use serde_json::{Value, json};

onemap_e2e::both_backends!(
    decoded_features_lie_within_a_pixel_of_their_source,
    an_edit_shows_in_the_very_next_tile_request_and_a_delete_removes_it,
    tiles_are_gzipped_and_revalidate_with_etags,
    tilejson_and_bad_tile_requests,
);

fn coords(g: &Geometry<f64>) -> Vec<Coord<f64>> {
    use geo::CoordsIter;
    g.coords_iter().collect()
}

async fn post(s: &TestServer, layer: &str, body: Value) -> Value {
    let r = s
        .client
        .post(s.url(&format!("/collections/{layer}/items")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

fn stand(ring: Vec<[f64; 2]>, no: &str) -> Value {
    json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
           "properties": {"stand_no": no, "compartment": "001", "area_ha": 12.5, "dominant_species": "水杉", "age_class": "中龄林"}})
}

fn track(points: Vec<[f64; 2]>) -> Value {
    json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": points},
           "properties": {"patroller": "张三", "started_at": "2026-11-01T08:00:00+08:00", "length_m": 1234.5}})
}

async fn decoded_features_lie_within_a_pixel_of_their_source(b: Backend) {
    let s = TestServer::empty(b).await;
    // A wiggly polygon about 2 km across on Chongming, a track crossing it, a camera.
    let ring: Vec<[f64; 2]> = (0..=40)
        .map(|i| {
            let a = f64::from(i % 40) / 40.0 * 2.0 * PI;
            let r = 0.01 * (1.0 + 0.3 * (5.0 * a).sin());
            [121.50 + r * a.cos(), 31.62 + r * a.sin()]
        })
        .collect();
    let line: Vec<[f64; 2]> = (0..30)
        .map(|i| {
            [
                121.48 + f64::from(i) * 0.0015,
                31.62 + (f64::from(i) * 0.7).sin() * 0.004,
            ]
        })
        .collect();
    let poly_src = Polygon::new(
        LineString::from(ring.iter().map(|c| (c[0], c[1])).collect::<Vec<_>>()),
        vec![],
    );
    let line_src = LineString::from(line.iter().map(|c| (c[0], c[1])).collect::<Vec<_>>());
    let p = post(&s, "forest_stands", stand(ring, "310151-001-001")).await;
    let t = post(&s, "patrol_tracks", track(line)).await;

    for z in [8u32, 11, 13, 15, 16] {
        let (x, y) = tile_of(121.50, 31.62, z);
        let r = s.tile("forest_stands,patrol_tracks", z, x, y).await;
        assert_eq!(r.status(), 200, "z{z}");
        assert_eq!(
            r.headers()["content-type"],
            "application/vnd.mapbox-vector-tile"
        );
        let layers = decode(r.bytes().await.unwrap().to_vec());
        let names: Vec<&str> = layers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["forest_stands", "patrol_tracks"], "z{z}");
        for (name, features) in &layers {
            assert_eq!(features.len(), 1, "{name} z{z}");
            let f = &features[0];
            let (src, id): (Geometry<f64>, &Value) = if name == "forest_stands" {
                (poly_src.clone().into(), &p["id"])
            } else {
                (line_src.clone().into(), &t["id"])
            };
            assert_eq!(f.id, id.as_u64(), "stable feature id");
            let projected = src.map_coords(|c| to_tile(c, z, x, y));
            for c in coords(&f.geometry) {
                let d = Euclidean.distance(&Point::from(c), &projected);
                assert!(
                    d <= PIXEL,
                    "{name} z{z}: vertex {c:?} is {d} units from the source"
                );
            }
            let props = f.properties.as_ref().unwrap();
            if name == "forest_stands" {
                assert_eq!(
                    props["stand_no"],
                    mvt_reader::feature::Value::String("310151-001-001".into())
                );
                assert_eq!(props["area_ha"], mvt_reader::feature::Value::Double(12.5));
            } else {
                assert_eq!(
                    props["patroller"],
                    mvt_reader::feature::Value::String("张三".into())
                );
            }
        }
    }
}

async fn an_edit_shows_in_the_very_next_tile_request_and_a_delete_removes_it(b: Backend) {
    let s = TestServer::empty(b).await;
    let (lon, lat) = (121.9, 30.9);
    let tiles: Vec<(u32, u32, u32)> = [6u32, 10, 14, 18]
        .iter()
        .map(|&z| {
            let (x, y) = tile_of(lon, lat, z);
            (z, x, y)
        })
        .collect();
    for &(z, x, y) in &tiles {
        assert_eq!(
            s.tile("video_points", z, x, y).await.status(),
            204,
            "empty at z{z}"
        );
    }
    let cam = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"device_code": "31011500001320000001", "name": "测试点", "level": "区级",
                       "district_code": "310115", "status": "online", "tags": ["治安", "河道"]}});
    let f = post(&s, "video_points", cam).await;
    let loc = s.url(&format!("/collections/video_points/items/{}", f["id"]));
    for &(z, x, y) in &tiles {
        let r = s.tile("video_points", z, x, y).await;
        assert_eq!(r.status(), 200, "visible at z{z} right after the write");
        let layers = decode(r.bytes().await.unwrap().to_vec());
        let feat = &layers[0].1[0];
        assert_eq!(feat.id, f["id"].as_u64());
        assert_eq!(
            feat.properties.as_ref().unwrap()["tags"],
            mvt_reader::feature::Value::String("治安,河道".into())
        );
    }
    // Move it far away: gone from the old tiles, present in the new ones.
    let r = s
        .client
        .patch(&loc)
        .json(&json!({"geometry": {"type": "Point", "coordinates": [121.2, 31.4]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for &(z, x, y) in &tiles {
        let still_covers = tile_of(121.2, 31.4, z) == (x, y);
        let want = if still_covers { 200 } else { 204 };
        assert_eq!(
            s.tile("video_points", z, x, y).await.status(),
            want,
            "after the move at z{z}"
        );
    }
    let (x, y) = tile_of(121.2, 31.4, 14);
    assert_eq!(s.tile("video_points", 14, x, y).await.status(), 200);
    assert_eq!(s.client.delete(&loc).send().await.unwrap().status(), 204);
    assert_eq!(
        s.tile("video_points", 14, x, y).await.status(),
        204,
        "deleted"
    );
}

async fn tiles_are_gzipped_and_revalidate_with_etags(b: Backend) {
    let s = TestServer::empty(b).await;
    post(
        &s,
        "forest_stands",
        stand(
            vec![
                [121.5, 31.6],
                [121.52, 31.6],
                [121.52, 31.62],
                [121.5, 31.62],
                [121.5, 31.6],
            ],
            "310151-001-002",
        ),
    )
    .await;
    let (x, y) = tile_of(121.51, 31.61, 12);
    let path = s.url(&format!("/tiles/forest_stands/12/{x}/{y}.mvt"));
    let plain = s.client.get(&path).send().await.unwrap();
    assert_eq!(plain.status(), 200);
    let etag = plain.headers()["etag"].to_str().unwrap().to_string();
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "strong ETag: {etag}"
    );
    assert!(plain.headers().contains_key("cache-control"));
    let raw = plain.bytes().await.unwrap();
    let gz = s
        .client
        .get(&path)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz.bytes().await.unwrap()[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, raw.to_vec());
    let r = s
        .client
        .get(&path)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = s
        .client
        .get(&path)
        .header("if-none-match", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn tilejson_and_bad_tile_requests(b: Backend) {
    let s = TestServer::empty(b).await;
    let tj = s.get_json("/tiles/districts,video_points.json", 200).await;
    assert_eq!(tj["tilejson"], "3.0.0");
    let tiles = tj["tiles"][0].as_str().unwrap();
    assert!(
        tiles.starts_with(&s.base)
            && tiles.ends_with("/tiles/districts,video_points/{z}/{x}/{y}.mvt"),
        "{tiles}"
    );
    let vl = tj["vector_layers"].as_array().unwrap();
    assert_eq!(vl.len(), 2);
    assert_eq!(vl[1]["id"], "video_points");
    assert!(vl[1]["fields"]["device_code"].is_string());
    assert!(vl[1]["fields"].get("footprint").is_none());
    for (path, status) in [
        ("/tiles/districts/30/0/0.mvt", 400),
        ("/tiles/districts/2/4/0.mvt", 400),
        ("/tiles/districts/2/0/x.mvt", 400),
        ("/tiles/nope/2/0/0.mvt", 404),
        ("/tiles/nope.json", 404),
        ("/tiles/districts/2/0/0.png", 404),
    ] {
        assert_problem(s.client.get(s.url(path)).send().await.unwrap(), status).await;
    }
}
