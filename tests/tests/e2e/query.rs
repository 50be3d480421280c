//! `POST /query` and `filter=`: randomised spatial predicates and attribute filters against a
//! brute-force evaluation over every feature, grouped aggregates, sorting, paging, bad input.

use std::collections::BTreeMap;

use geo::{Contains, Coord, LineString, Point, Polygon};
use onemap_e2e::{Backend, TestServer, assert_problem};
use serde_json::{Value, json};

onemap_e2e::both_backends!(
    random_queries_equal_a_brute_force_scan,
    aggregates_sorting_paging_and_the_video_directory,
    bad_queries_are_problems,
);

/// Deterministic pseudo-random numbers in [0, 1).
fn rng(seed: &mut u64) -> f64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*seed >> 11) as f64 / (1u64 << 53) as f64
}

/// Metres between two lon/lat points near Shanghai, on the ellipsoid's tangent plane at
/// their mean latitude: independent of the server's PROJ path (good to ~1e-5 here).
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (a_, f) = (6_378_137.0, 1.0 / 298.257_222_101);
    let e2 = f * (2.0 - f);
    let lat = ((a.1 + b.1) / 2.0).to_radians();
    let w = 1.0 - e2 * lat.sin().powi(2);
    let (m, n) = (a_ * (1.0 - e2) / w.powf(1.5), a_ / w.sqrt());
    let dx = (b.0 - a.0).to_radians() * n * lat.cos();
    let dy = (b.1 - a.1).to_radians() * m;
    (dx * dx + dy * dy).sqrt()
}

async fn all_cameras(s: &TestServer) -> Vec<Value> {
    let page = s
        .get_json("/collections/video_points/items?limit=10000", 200)
        .await;
    page["features"].as_array().unwrap().clone()
}

async fn query(s: &TestServer, body: &Value) -> Value {
    s.post_json("/query", body).await
}

fn ids(v: &Value) -> Vec<u64> {
    let mut ids: Vec<u64> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_u64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

fn lonlat(f: &Value) -> (f64, f64) {
    let c = &f["geometry"]["coordinates"];
    (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
}

/// An attribute test on a feature, written independently of the server's evaluator.
type AttributeTest = Box<dyn Fn(&Value) -> bool>;
/// A spatial test on a point: None when it lies too near an edge to call.
type PlaceTest<'a> = Box<dyn Fn((f64, f64)) -> Option<bool> + 'a>;

/// A random attribute filter as CQL2 text, with the same test as a closure.
fn random_filter(seed: &mut u64) -> (String, AttributeTest) {
    let status = ["online", "offline"][(rng(seed) * 2.0) as usize];
    let bearing = (rng(seed) * 360.0).round();
    let tag = ["治安", "交通", "森林防火", "河道"][(rng(seed) * 4.0) as usize];
    let p = |f: &Value, k: &str| f["properties"][k].clone();
    match (rng(seed) * 5.0) as usize {
        0 => (
            format!("status = '{status}'"),
            Box::new(move |f| p(f, "status") == status),
        ),
        1 => (
            format!("bearing > {bearing} AND status <> '{status}'"),
            Box::new(move |f| {
                p(f, "bearing").as_f64().is_some_and(|b| b > bearing)
                    && p(f, "status").as_str().is_some_and(|s| s != status)
            }),
        ),
        2 => (
            format!("tags = '{tag}' OR bearing BETWEEN 0 AND {bearing}"),
            Box::new(move |f| {
                p(f, "tags")
                    .as_array()
                    .is_some_and(|t| t.iter().any(|x| x == tag))
                    || p(f, "bearing")
                        .as_f64()
                        .is_some_and(|b| (0.0..=bearing).contains(&b))
            }),
        ),
        3 => (
            format!(
                "NOT (level IN ('市级', '区级')) AND name LIKE '%{}%'",
                ["路", "号", "口"][(bearing as usize) % 3]
            ),
            Box::new(move |f| {
                let l = p(f, "level");
                let needle = ["路", "号", "口"][(bearing as usize) % 3];
                l.as_str().is_some_and(|l| l != "市级" && l != "区级")
                    && p(f, "name").as_str().is_some_and(|n| n.contains(needle))
            }),
        ),
        _ => (
            "bearing IS NULL".to_string(),
            Box::new(move |f| p(f, "bearing").is_null()),
        ),
    }
}

async fn random_queries_equal_a_brute_force_scan(b: Backend) {
    let s = TestServer::with_sample_data(b).await;
    let cams = all_cameras(&s).await;
    assert!(cams.len() >= 1000);
    let mut seed = 42u64;
    let mut nonempty = 0;
    for i in 0..60 {
        let (cx, cy) = (121.2 + rng(&mut seed) * 0.6, 30.9 + rng(&mut seed) * 0.5);
        let r = 0.04 + rng(&mut seed) * 0.12;
        // A random convex-ish polygon around (cx, cy).
        let ring: Vec<Coord<f64>> = (0..=7)
            .map(|k| {
                let a = f64::from(k % 7) / 7.0 * std::f64::consts::TAU;
                let rr = r * (0.6 + 0.4 * ((i + k % 7) % 3) as f64 / 2.0);
                Coord {
                    x: cx + rr * a.cos(),
                    y: cy + rr * a.sin(),
                }
            })
            .collect();
        let poly = Polygon::new(LineString(ring.clone()), vec![]);
        let poly_json = json!({"type": "Polygon", "coordinates": [ring.iter().map(|c| [c.x, c.y]).collect::<Vec<_>>()]});
        let (filter, test) = random_filter(&mut seed);
        let d = (200.0 + rng(&mut seed) * 8000.0).round();
        let (spatial, inside): (Value, PlaceTest) = match i % 3 {
            0 => (
                json!({"op": "within", "geometry": poly_json}),
                Box::new(|p| Some(poly.contains(&Point::new(p.0, p.1)))),
            ),
            1 => (
                json!({"op": "intersects", "geometry": poly_json}),
                Box::new(|p| Some(poly.contains(&Point::new(p.0, p.1)))),
            ),
            _ => (
                json!({"op": "dwithin", "distance_m": d, "geometry": {"type": "Point", "coordinates": [cx, cy]}}),
                Box::new(move |p| {
                    let m = metres(p, (cx, cy));
                    // Too close to the edge to call independently of the server's plane.
                    ((m - d).abs() > 0.05).then_some(m <= d)
                }),
            ),
        };
        let got = ids(&query(
            &s,
            &json!({"layer": "video_points", "spatial": spatial, "filter": filter, "limit": 10000}),
        )
        .await);
        let mut want = Vec::new();
        let mut borderline = Vec::new();
        for f in &cams {
            if !test(f) {
                continue;
            }
            match inside(lonlat(f)) {
                Some(true) => want.push(f["id"].as_u64().unwrap()),
                Some(false) => {}
                None => borderline.push(f["id"].as_u64().unwrap()),
            }
        }
        let got: Vec<u64> = got
            .into_iter()
            .filter(|id| !borderline.contains(id))
            .collect();
        want.sort_unstable();
        assert_eq!(got, want, "query {i}: {spatial} / {filter}");
        nonempty += usize::from(!want.is_empty());
        // The items endpoint's filter= gives the same attribute selection.
        let page = s
            .get_json(
                &format!(
                    "/collections/video_points/items?limit=10000&filter={}",
                    urlencode(&filter)
                ),
                200,
            )
            .await;
        let n = cams.iter().filter(|f| test(f)).count();
        assert_eq!(page["numberMatched"], n, "{filter}");
    }
    assert!(nonempty >= 25, "only {nonempty} non-empty queries");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

async fn aggregates_sorting_paging_and_the_video_directory(b: Backend) {
    let s = TestServer::with_sample_data(b).await;
    let cams = all_cameras(&s).await;
    // Grouped by district: count, sum, avg, min, max of bearing against a brute-force tally.
    let g = query(
        &s,
        &json!({"layer": "video_points", "group_by": "district",
        "aggregates": ["count", "sum:bearing", "avg:bearing", "min:bearing", "max:bearing"]}),
    )
    .await;
    let mut want: BTreeMap<String, (u64, f64, f64, f64, usize)> = BTreeMap::new();
    for f in &cams {
        let k = f["properties"]["district_code"]
            .as_str()
            .unwrap()
            .to_string();
        let e = want
            .entry(k)
            .or_insert((0, 0.0, f64::INFINITY, f64::NEG_INFINITY, 0));
        e.0 += 1;
        if let Some(v) = f["properties"]["bearing"].as_f64() {
            e.1 += v;
            e.2 = e.2.min(v);
            e.3 = e.3.max(v);
            e.4 += 1;
        }
    }
    let groups = g["groups"].as_array().unwrap();
    assert_eq!(groups.len(), want.len());
    for grp in groups {
        let w = &want[grp["key"].as_str().unwrap()];
        assert_eq!(grp["count"], w.0);
        assert!((grp["sum_bearing"].as_f64().unwrap() - w.1).abs() < 1e-6);
        assert!((grp["avg_bearing"].as_f64().unwrap() - w.1 / w.4 as f64).abs() < 1e-9);
        assert_eq!(grp["min_bearing"].as_f64().unwrap(), w.2);
        assert_eq!(grp["max_bearing"].as_f64().unwrap(), w.3);
    }
    // Grouped by a string list: a camera counts in each of its tags' groups.
    let t = query(&s, &json!({"layer": "video_points", "group_by": "tags"})).await;
    let tag_total: u64 = t["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["count"].as_u64().unwrap())
        .sum();
    let want_total: usize = cams
        .iter()
        .map(|f| {
            f["properties"]["tags"]
                .as_array()
                .map_or(1, |a| a.len().max(1))
        })
        .sum();
    assert_eq!(tag_total as usize, want_total);

    // Sorting: bearing descending, pages stitched together equal the whole.
    let whole = query(
        &s,
        &json!({"layer": "video_points", "sortby": ["-bearing", "id"], "limit": 10000}),
    )
    .await;
    let bearings: Vec<Option<f64>> = whole["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["bearing"].as_f64())
        .collect();
    let present: Vec<f64> = bearings.iter().flatten().copied().collect();
    assert!(present.windows(2).all(|w| w[0] >= w[1]), "descending");
    assert!(
        bearings
            .iter()
            .skip_while(|b| b.is_some())
            .all(|b| b.is_none()),
        "nulls last"
    );
    let mut stitched = Vec::new();
    for page in 0..4 {
        let p = query(&s, &json!({"layer": "video_points", "sortby": ["-bearing", "id"], "limit": 500, "offset": page * 500})).await;
        stitched.extend(
            p["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].clone()),
        );
    }
    let all: Vec<Value> = whole["features"]
        .as_array()
        .unwrap()
        .iter()
        .take(2000)
        .map(|f| f["id"].clone())
        .collect();
    assert_eq!(stitched, all);

    // The video directory: cameras of Xuhui (its outline) tagged 治安, counted and listed in GCJ-02.
    let xuhui = s
        .get_json("/collections/districts/items?code=310104", 200)
        .await;
    let outline = &xuhui["features"][0]["geometry"];
    assert_eq!(outline["type"], "MultiPolygon");
    let ring = |r: &Value| {
        LineString(
            r.as_array()
                .unwrap()
                .iter()
                .map(|c| Coord {
                    x: c[0].as_f64().unwrap(),
                    y: c[1].as_f64().unwrap(),
                })
                .collect(),
        )
    };
    let mp = geo::MultiPolygon(
        outline["coordinates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let rings = p.as_array().unwrap();
                Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
            })
            .collect(),
    );
    let want: Vec<u64> = cams
        .iter()
        .filter(|f| {
            f["properties"]["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|x| x == "治安"))
        })
        .filter(|f| {
            let (x, y) = lonlat(f);
            mp.contains(&Point::new(x, y))
        })
        .map(|f| f["id"].as_u64().unwrap())
        .collect();
    let body = json!({"layer": "video_points", "spatial": {"op": "within", "district": "310104"},
                      "filter": "tags = '治安'", "limit": 10000, "crs": "gcj02"});
    let got = query(&s, &body).await;
    let mut want = want;
    want.sort_unstable();
    assert_eq!(ids(&got), want);
    let mut count = body.clone();
    count["count"] = json!(true);
    assert_eq!(query(&s, &count).await["numberMatched"], want.len());
    // Cameras within 500 m of another feature, by reference.
    let near = query(&s, &json!({"layer": "video_points", "spatial": {"op": "dwithin", "distance_m": 500,
        "feature": {"collection": "video_points", "id": want.first().copied().unwrap_or(1)}}, "limit": 10000})).await;
    assert!(near["numberMatched"].as_u64().unwrap() >= 1);
}

async fn bad_queries_are_problems(b: Backend) {
    let s = TestServer::empty(b).await;
    let cases = [
        (json!({"layer": "nope"}), 404, "nope"),
        (json!({"layer": "video_points", "colour": 1}), 400, "colour"),
        (
            json!({"layer": "video_points", "filter": "statu = 'x'"}),
            400,
            "column 1",
        ),
        (
            json!({"layer": "video_points", "filter": "bearing > 'big'"}),
            400,
            "column 11",
        ),
        (
            json!({"layer": "video_points", "spatial": {"op": "dwithin", "bbox": [121, 31, 122, 32]}}),
            400,
            "distance_m",
        ),
        (
            json!({"layer": "video_points", "spatial": {"op": "near", "bbox": [121, 31, 122, 32]}}),
            400,
            "near",
        ),
        (
            json!({"layer": "video_points", "spatial": {"op": "within"}}),
            400,
            "exactly one",
        ),
        (
            json!({"layer": "video_points", "spatial": {"op": "within", "district": "999999"}}),
            400,
            "999999",
        ),
        (
            json!({"layer": "video_points", "spatial": {"op": "within", "bbox": [122, 31, 121, 32]}}),
            400,
            "bbox",
        ),
        (
            json!({"layer": "video_points", "spatial": {"op": "within", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}}}),
            422,
            "spatial.geometry",
        ),
        (
            json!({"layer": "video_points", "spatial": {"op": "within", "feature": {"collection": "video_points", "id": 99}}}),
            404,
            "99",
        ),
        (
            json!({"layer": "video_points", "group_by": "colour"}),
            400,
            "colour",
        ),
        (
            json!({"layer": "video_points", "aggregates": ["sum:name"]}),
            400,
            "numeric",
        ),
        (
            json!({"layer": "video_points", "sortby": ["-ghost"]}),
            400,
            "ghost",
        ),
        (json!({"layer": "video_points", "crs": "mars"}), 400, "mars"),
    ];
    for (body, status, says) in cases {
        let r = s
            .client
            .post(s.url("/query"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let p = assert_problem(r, status).await;
        assert!(p.to_string().contains(says), "{body}: {p}");
    }
    let r = s
        .client
        .get(s.url("/collections/video_points/items?filter=status%20%3D"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 400).await;
}
