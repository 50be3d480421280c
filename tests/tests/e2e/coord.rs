//! Coordinate conversion over HTTP, checked against the independent reference sample
//! (computed with the public formulas and PROJ 9; see coord/tests/data).

use onemap_e2e::{Backend, TestServer, assert_problem};
use serde_json::{Value, json};

onemap_e2e::both_backends!(
    every_reference_row_reproduces_both_ways,
    batches_geojson_and_csv_agree_with_single_points,
    helmert_fit_recovers_known_parameters,
    features_read_and_write_in_any_crs,
    bad_coordinates_are_problems_naming_the_point,
);

const REFERENCE: &str = include_str!("../../../coord/tests/data/coord-reference-sample.csv");

struct Row {
    wgs: [f64; 2],
    gcj: [f64; 2],
    bd: [f64; 2],
    bdmc: [f64; 2],
    sh: [f64; 2],
}

fn rows() -> Vec<Row> {
    REFERENCE
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|s| s.trim().parse().unwrap()).collect();
            Row {
                wgs: [v[0], v[1]],
                gcj: [v[2], v[3]],
                bd: [v[4], v[5]],
                bdmc: [v[6], v[7]],
                sh: [v[8], v[9]],
            }
        })
        .collect()
}

async fn convert(s: &TestServer, from: &str, to: &str, p: [f64; 2]) -> [f64; 2] {
    let v = s
        .get_json(
            &format!("/coord/convert?from={from}&to={to}&x={}&y={}", p[0], p[1]),
            200,
        )
        .await;
    assert_eq!(v["crs"], to);
    [v["x"].as_f64().unwrap(), v["y"].as_f64().unwrap()]
}

fn close(a: [f64; 2], b: [f64; 2], tol: f64, what: &str) {
    let d = (a[0] - b[0]).abs().max((a[1] - b[1]).abs());
    assert!(d <= tol, "{what}: {a:?} vs {b:?} differ by {d} > {tol}");
}

async fn every_reference_row_reproduces_both_ways(b: Backend) {
    let s = TestServer::empty(b).await;
    for (i, r) in rows().iter().enumerate() {
        let cases = [
            ("gcj02", r.gcj, 1e-9),
            ("bd09", r.bd, 1e-9),
            ("bd09mc", r.bdmc, 0.01),
            ("sh2000", r.sh, 0.001),
        ];
        for (crs, want, tol) in cases {
            close(
                convert(&s, "wgs84", crs, r.wgs).await,
                want,
                tol,
                &format!("row {i} wgs84→{crs}"),
            );
            close(
                convert(&s, crs, "wgs84", want).await,
                r.wgs,
                1e-8,
                &format!("row {i} {crs}→wgs84"),
            );
        }
        close(
            convert(&s, "sh2000", "gcj02", r.sh).await,
            r.gcj,
            1e-8,
            &format!("row {i} sh2000→gcj02"),
        );
        close(
            convert(&s, "bd09mc", "sh2000", r.bdmc).await,
            r.sh,
            0.001,
            &format!("row {i} bd09mc→sh2000"),
        );
    }
}

async fn batches_geojson_and_csv_agree_with_single_points(b: Backend) {
    let s = TestServer::empty(b).await;
    let rows = rows();
    let pts: Vec<[f64; 2]> = rows.iter().map(|r| r.sh).collect();
    let r = s
        .client
        .post(s.url("/coord/convert"))
        .json(&json!({"from": "sh2000", "to": "gcj02", "points": pts}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let out: Value = r.json().await.unwrap();
    for (i, (p, row)) in out["points"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&rows)
        .enumerate()
    {
        close(
            [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()],
            row.gcj,
            1e-8,
            &format!("batch {i}"),
        );
    }
    // Surveying order: (north, east) in and out.
    let ne: Vec<[f64; 2]> = rows.iter().map(|r| [r.sh[1], r.sh[0]]).collect();
    let out = s
        .post_json(
            "/coord/convert?order=ne",
            &json!({"from": "sh2000", "to": "sh2000", "points": ne}),
        )
        .await;
    assert_eq!(out["points"][0][0].as_f64().unwrap(), rows[0].sh[1]);

    let fc = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "a"}, "geometry": {"type": "Point", "coordinates": rows[0].wgs}},
        {"type": "Feature", "properties": null, "geometry": {"type": "LineString", "coordinates": [rows[1].wgs, rows[2].wgs]}}
    ]});
    let out: Value = s
        .client
        .post(s.url("/coord/convert?from=wgs84&to=bd09"))
        .json(&fc)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let c = &out["features"][1]["geometry"]["coordinates"][1];
    close(
        [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()],
        rows[2].bd,
        1e-9,
        "GeoJSON line vertex",
    );
    assert_eq!(out["features"][0]["properties"]["name"], "a");

    let csv = format!(
        "id,lon,lat\nA,{},{}\nB,{},{}\n",
        rows[3].wgs[0], rows[3].wgs[1], rows[4].wgs[0], rows[4].wgs[1]
    );
    let r = s
        .client
        .post(s.url("/coord/convert?from=wgs84&to=sh2000"))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "id,lon,lat");
    let b: Vec<&str> = lines[2].split(',').collect();
    assert_eq!(b[0], "B");
    close(
        [b[1].parse().unwrap(), b[2].parse().unwrap()],
        rows[4].sh,
        0.001,
        "CSV row B",
    );
}

async fn helmert_fit_recovers_known_parameters(b: Backend) {
    let s = TestServer::empty(b).await;
    let (dx, dy, scale, rot) = (12.5f64, -7.25f64, 1.000_02f64, 0.0003f64);
    let pairs: Vec<Value> = (0..12)
        .map(|i| {
            let (x, y) = (
                f64::from(i % 4) * 5000.0 - 7000.0,
                f64::from(i / 4) * 4000.0 - 3000.0,
            );
            let tx = dx + scale * (rot.cos() * x - rot.sin() * y);
            let ty = dy + scale * (rot.sin() * x + rot.cos() * y);
            json!({"from": [x, y], "to": [tx, ty]})
        })
        .collect();
    let r = s
        .client
        .post(s.url("/coord/fit"))
        .json(&json!({"method": "helmert", "pairs": pairs}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let fit: Value = r.json().await.unwrap();
    assert_eq!(fit["residuals"].as_array().unwrap().len(), 12);
    assert!(fit["rms"].as_f64().unwrap() < 1e-6, "{fit}");
    let text = fit["correction"].to_string();
    assert!(
        text.contains("12.5") || text.contains("12.49999"),
        "translation recovered: {text}"
    );
    let r = s
        .client
        .post(s.url("/coord/fit"))
        .json(&json!({"method": "affine", "pairs": [pairs[0], pairs[1]]}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 400).await;
}

async fn features_read_and_write_in_any_crs(b: Backend) {
    let s = TestServer::empty(b).await;
    let r = &rows()[5];
    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": r.gcj},
        "properties": {"device_code": "31011500001320000009", "name": "高德坐标点", "level": "区级",
                       "district_code": "310115", "status": "online"}});
    let resp = s
        .client
        .post(s.url("/collections/video_points/items?crs=gcj02"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["content-crs"], "gcj02");
    let created: Value = resp.json().await.unwrap();
    let c = &created["geometry"]["coordinates"];
    close(
        [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()],
        r.gcj,
        1e-9,
        "echoed in gcj02",
    );
    let id = created["id"].as_i64().unwrap();
    let stored = s
        .get_json(&format!("/collections/video_points/items/{id}"), 200)
        .await;
    let c = &stored["geometry"]["coordinates"];
    close(
        [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()],
        r.wgs,
        1e-8,
        "stored in CGCS2000",
    );
    let sh = s
        .get_json(
            &format!("/collections/video_points/items/{id}?crs=sh2000"),
            200,
        )
        .await;
    let c = &sh["geometry"]["coordinates"];
    close(
        [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()],
        r.sh,
        0.001,
        "served in sh2000",
    );
    let (e, n) = (r.sh[0], r.sh[1]);
    let page = s
        .get_json(
            &format!(
                "/collections/video_points/items?bbox-crs=sh2000&bbox={},{},{},{}",
                e - 50.0,
                n - 50.0,
                e + 50.0,
                n + 50.0
            ),
            200,
        )
        .await;
    assert_eq!(page["numberMatched"], 1);
    let page = s
        .get_json(
            &format!(
                "/collections/video_points/items?bbox-crs=sh2000&bbox={},{},{},{}",
                e + 50.0,
                n + 50.0,
                e + 90.0,
                n + 90.0
            ),
            200,
        )
        .await;
    assert_eq!(page["numberMatched"], 0);
}

async fn bad_coordinates_are_problems_naming_the_point(b: Backend) {
    let s = TestServer::empty(b).await;
    for (q, status) in [
        ("from=mars&to=wgs84&x=1&y=2", 400),
        ("from=wgs84&to=gcj02&x=1&y=2", 422),
        ("from=wgs84&to=gcj02&x=NaN&y=31", 422),
        ("from=wgs84&to=gcj02&x=121&y=95", 422),
        ("from=wgs84&to=gcj02&x=abc&y=31", 400),
        ("from=wgs84&x=121&y=31", 400),
    ] {
        let r = s
            .client
            .get(s.url(&format!("/coord/convert?{q}")))
            .send()
            .await
            .unwrap();
        assert_problem(r, status).await;
    }
    let r = s
        .client
        .post(s.url("/coord/convert"))
        .json(&json!({"from": "wgs84", "to": "gcj02", "points": [[121.4, 31.2], [121.5, 31.3], [-70.0, 40.0]]}))
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 422).await;
    assert_eq!(p["point_index"], 2);
    let r = s
        .client
        .post(s.url("/coord/convert"))
        .header("content-type", "text/csv")
        .body("a,b\n1,2\n")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400).await;
    let r = s
        .client
        .get(s.url("/collections/video_points/items?crs=bogus"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 400).await;

    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("coord.json");
    std::fs::write(&cfg_path, r#"{"sh2000_proj": "+proj=nonsense +nope"}"#).unwrap();
    let mut cfg = onemap_e2e::config(dir.path().to_path_buf(), false);
    cfg.coord_config = Some(cfg_path);
    let err = onemap_api::start(&cfg)
        .await
        .err()
        .expect("a bad PROJ string stops start-up");
    assert!(err.to_string().contains("PROJ"), "{err}");
}
