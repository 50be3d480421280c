//! Buffer dedup over HTTP: verdicts for the cases officers meet, a brute-force oracle with its
//! own distance arithmetic (a local equirectangular plane, not PROJ), and dedup on create.

use geo::{Distance, Euclidean, Geometry, LineString, Point, Polygon};
use onemap_e2e::{Backend, TestServer, assert_problem};
use serde_json::{Value, json};

onemap_e2e::both_backends!(
    verdicts_for_near_far_and_overlapping_reports,
    batch_verdicts_equal_a_brute_force_scan,
    create_can_warn_about_or_refuse_a_duplicate,
    bad_reports_are_problems,
);

/// The test area's middle latitude.
const LAT0: f64 = 31.005;

/// The CGCS2000 ellipsoid's radii of curvature at `LAT0`: along the meridian (M) and the
/// prime vertical (N).
fn radii() -> (f64, f64) {
    let (a, f) = (6_378_137.0, 1.0 / 298.257_222_101);
    let e2 = f * (2.0 - f);
    let w = 1.0 - e2 * LAT0.to_radians().sin().powi(2);
    (a * (1.0 - e2) / w.powf(1.5), a / w.sqrt())
}

/// Metres on the plane tangent to the ellipsoid at `LAT0`: an oracle independent of the
/// server's PROJ path, good to about 1e-5 across the few kilometres the test spans.
fn plane(lon: f64, lat: f64) -> (f64, f64) {
    let (m, n) = radii();
    (
        lon.to_radians() * n * LAT0.to_radians().cos(),
        (lat - LAT0).to_radians() * m,
    )
}

fn east(lon: f64, m: f64) -> f64 {
    lon + (m / (radii().1 * LAT0.to_radians().cos())).to_degrees()
}

fn square(lon: f64, lat: f64, half: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[lon - half, lat - half], [lon + half, lat - half],
        [lon + half, lat + half], [lon - half, lat + half], [lon - half, lat - half]]]})
}

fn building(i: u32, lon: f64, lat: f64, footprint: Option<Value>) -> Value {
    let mut props = json!({"code": format!("WZ310117{i:08}"), "kind": "新增", "status": "待核查",
        "district_code": "310117", "source": "巡查", "address": format!("松江区示例路{i}号")});
    if let Some(fp) = footprint {
        props["footprint"] = fp;
    }
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props})
}

async fn create(s: &TestServer, f: &Value) -> u64 {
    s.create("illegal_buildings", f).await["id"]
        .as_u64()
        .unwrap()
}

async fn dedup(s: &TestServer, query: &str, body: &Value) -> Value {
    let r = s
        .post(
            &format!("/collections/illegal_buildings/dedup{query}"),
            body,
        )
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn report(lon: f64, lat: f64) -> Value {
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": {}})
}

async fn verdicts_for_near_far_and_overlapping_reports(b: Backend) {
    let s = TestServer::empty(b).await;
    let (lon, lat) = (121.22, 31.05);
    let half = 0.0001;
    let a = create(&s, &building(1, lon, lat, Some(square(lon, lat, half)))).await;
    let p = create(&s, &building(2, lon + 0.01, lat, None)).await;

    // A point 5 m from a bare point: duplicate, at 5 m.
    let out = dedup(&s, "", &report(east(lon + 0.01, 5.0), lat)).await;
    let r = &out["results"][0];
    assert_eq!(r["verdict"], "duplicate", "{out}");
    assert_eq!(r["matches"][0]["id"], p);
    let d = r["matches"][0]["distance_m"].as_f64().unwrap();
    assert!((d - 5.0).abs() < 0.05, "{d}");
    assert_eq!(out["summary"]["duplicate"], 1);

    // 200 m from everything: new, no matches.
    let out = dedup(&s, "", &report(east(lon + 0.01, 200.0), lat)).await;
    assert_eq!(out["results"][0]["verdict"], "new");
    assert_eq!(out["results"][0]["matches"], json!([]));

    // A footprint over half of A's, its point 20 m north of A's: matched with IoU 1/3.
    let mut over = report(lon + half, lat + 0.00018);
    over["properties"]["footprint"] = square(lon + half, lat, half);
    let out = dedup(&s, "", &over).await;
    let r = &out["results"][0];
    assert!(
        r["verdict"] == "duplicate" || r["verdict"] == "possible",
        "{out}"
    );
    let m = &r["matches"][0];
    assert_eq!(m["id"], a);
    assert_eq!(m["distance_m"], 0.0);
    let iou = m["iou"].as_f64().unwrap();
    assert!((iou - 1.0 / 3.0).abs() < 0.01, "{iou}");
    assert!(m["reasons"].as_array().unwrap().len() >= 2, "{m}");

    // The same point given in GCJ-02 (AMap) finds the same match; a wider buffer finds more.
    let conv = s
        .get_json(
            &format!(
                "/coord/convert?from=cgcs2000&to=gcj02&x={}&y={lat}",
                east(lon + 0.01, 5.0)
            ),
            200,
        )
        .await;
    let (gx, gy) = (conv["x"].as_f64().unwrap(), conv["y"].as_f64().unwrap());
    let out = dedup(&s, "?crs=gcj02", &report(gx, gy)).await;
    assert_eq!(out["results"][0]["matches"][0]["id"], p, "{out}");
    let out = dedup(&s, "?buffer_m=2000", &report(east(lon + 0.01, 5.0), lat)).await;
    assert_eq!(out["buffer_m"], 2000.0);
    assert_eq!(out["results"][0]["matches"].as_array().unwrap().len(), 2);
}

/// Deterministic pseudo-random numbers in [0, 1).
fn rng(seed: &mut u64) -> f64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*seed >> 11) as f64 / (1u64 << 53) as f64
}

fn to_plane(g: &Value) -> Geometry<f64> {
    let pt = |c: &Value| {
        let (x, y) = plane(c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        geo::Coord { x, y }
    };
    match g["type"].as_str().unwrap() {
        "Point" => Point(pt(&g["coordinates"])).into(),
        "Polygon" => Polygon::new(
            LineString(
                g["coordinates"][0]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(pt)
                    .collect(),
            ),
            vec![],
        )
        .into(),
        t => panic!("unexpected {t}"),
    }
}

async fn batch_verdicts_equal_a_brute_force_scan(b: Backend) {
    let s = TestServer::empty(b).await;
    let mut seed = 7u64;
    for i in 0..150 {
        let (lon, lat) = (
            121.20 + rng(&mut seed) * 0.01,
            31.00 + rng(&mut seed) * 0.01,
        );
        let fp = (i % 2 == 0).then(|| square(lon, lat, 0.00003 + rng(&mut seed) * 0.0001));
        create(&s, &building(i, lon, lat, fp)).await;
    }
    let stored = s
        .get_json("/collections/illegal_buildings/items?limit=1000", 200)
        .await;
    let shapes: Vec<(u64, Vec<Geometry<f64>>)> = stored["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let mut g = vec![to_plane(&f["geometry"])];
            if let Some(fp) = f["properties"].get("footprint") {
                g.push(to_plane(fp));
            }
            (f["id"].as_u64().unwrap(), g)
        })
        .collect();
    let reports: Vec<Value> = (0..300)
        .map(|_| {
            report(
                121.199 + rng(&mut seed) * 0.012,
                30.999 + rng(&mut seed) * 0.012,
            )
        })
        .collect();
    let buffer = 60.0;
    let out = dedup(
        &s,
        &format!("?buffer_m={buffer}"),
        &json!({"type": "FeatureCollection", "features": reports}),
    )
    .await;
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), reports.len());
    let mut compared = 0;
    for (rep, res) in reports.iter().zip(results) {
        let here = to_plane(&rep["geometry"]);
        let mut want: Vec<(u64, f64)> = shapes
            .iter()
            .map(|(id, gs)| {
                let d = gs
                    .iter()
                    .map(|g| Euclidean.distance(&here, g))
                    .fold(f64::INFINITY, f64::min);
                (*id, d)
            })
            .filter(|(_, d)| *d <= buffer + 0.05)
            .collect();
        want.sort_by_key(|w| w.0);
        let mut got: Vec<(u64, f64)> = res["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["id"].as_u64().unwrap(), m["distance_m"].as_f64().unwrap()))
            .collect();
        got.sort_by_key(|g| g.0);
        // Only a match within 5 cm of the buffer's edge may fall either way.
        want.retain(|(id, d)| *d <= buffer - 0.05 || got.iter().any(|g| g.0 == *id));
        assert_eq!(
            got.iter().map(|g| g.0).collect::<Vec<_>>(),
            want.iter().map(|w| w.0).collect::<Vec<_>>(),
            "report {rep}"
        );
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g.1 - w.1).abs() <= 0.01 + w.1 * 1e-4,
                "distance {} vs {}",
                g.1,
                w.1
            );
            compared += 1;
        }
        let verdict = res["verdict"].as_str().unwrap();
        assert_eq!(verdict == "new", got.is_empty());
    }
    assert!(compared > 50, "only {compared} matches compared");
    let n = |v: &str| out["summary"][v].as_u64().unwrap();
    assert_eq!(n("duplicate") + n("possible") + n("new"), 300);
}

async fn create_can_warn_about_or_refuse_a_duplicate(b: Backend) {
    let s = TestServer::empty(b).await;
    let (lon, lat) = (121.3, 31.2);
    let first = create(&s, &building(1, lon, lat, None)).await;
    let near = building(2, east(lon, 3.0), lat, None);
    let r = s
        .post("/collections/illegal_buildings/items?dedup=reject", &near)
        .await;
    let p = assert_problem(r, 409).await;
    assert_eq!(p["dedup"]["verdict"], "duplicate");
    assert_eq!(p["dedup"]["matches"][0]["id"], first);
    assert_eq!(s.count("illegal_buildings").await, 1, "nothing written");
    let r = s
        .post("/collections/illegal_buildings/items?dedup=warn", &near)
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["dedup"]["verdict"], "duplicate");
    assert_eq!(body["type"], "Feature");
    // Far away: created under reject too, with a `new` verdict.
    let far = building(3, east(lon, 500.0), lat, None);
    let r = s
        .post("/collections/illegal_buildings/items?dedup=reject", &far)
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().await.unwrap()["dedup"]["verdict"], "new");
    let r = s
        .post("/collections/illegal_buildings/items?dedup=maybe", &far)
        .await;
    assert_problem(r, 400).await;
    assert_eq!(s.count("illegal_buildings").await, 3);
}

async fn bad_reports_are_problems(b: Backend) {
    let s = TestServer::empty(b).await;
    let path = "/collections/illegal_buildings/dedup";
    let cases: Vec<(String, Value, u16, &str)> = vec![
        (path.into(), json!({"type": "Point"}), 400, "Feature"),
        (
            path.into(),
            json!({"type": "FeatureCollection"}),
            400,
            "features",
        ),
        (
            path.into(),
            json!({"type": "Feature", "properties": {}}),
            422,
            "geometry",
        ),
        (
            path.into(),
            json!({"type": "FeatureCollection", "features": [report(121.3, 31.2), report(2.35, 48.85)]}),
            422,
            "features[1].geometry",
        ),
        (
            path.into(),
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.3, 31.2]},
                   "properties": {"footprint": {"type": "Polygon", "coordinates": [[[121.3, 31.2], [121.31, 31.21], [121.3, 31.21], [121.31, 31.2], [121.3, 31.2]]]}}}),
            422,
            "footprint",
        ),
        (
            format!("{path}?buffer_m=-5"),
            report(121.3, 31.2),
            400,
            "buffer_m",
        ),
        (format!("{path}?crs=mars"), report(121.3, 31.2), 400, "mars"),
        (
            "/collections/nope/dedup".into(),
            report(121.3, 31.2),
            404,
            "nope",
        ),
    ];
    for (p, body, status, says) in cases {
        let r = s.post(&p, &body).await;
        let problem = assert_problem(r, status).await;
        assert!(problem.to_string().contains(says), "{p} {body}: {problem}");
    }
    let r = s
        .client
        .post(s.url(path))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400).await;
}
