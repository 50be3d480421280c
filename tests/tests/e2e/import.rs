//! Imports over HTTP: a report naming each bad row, abort writes nothing, commit twice is
//! idempotent, GBK text, CRS conversion, unreadable files, and export → import round trips
//! in every tabular format.

use onemap_e2e::{Backend, TestServer, assert_problem};
use serde_json::{Value, json};

onemap_e2e::both_backends!(
    csv_report_abort_skip_and_idempotent_commit,
    gbk_csv_geojson_in_gcj02_and_unreadable_files,
    export_then_import_round_trips,
);

async fn import(s: &TestServer, query: &str, body: Vec<u8>) -> reqwest::Response {
    s.client
        .post(s.url(&format!("/collections/illegal_buildings/import?{query}")))
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn report(s: &TestServer, query: &str, body: Vec<u8>, status: u16) -> Value {
    let r = import(s, query, body).await;
    let code = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    assert_eq!(code, status, "{v}");
    v
}

/// A CSV with Chinese title headers for some columns, as agencies' spreadsheets have.
fn buildings_csv() -> String {
    let rows = [
        "WZ31010400000001,新增,待核查,徐汇区小木桥路683号,310104,121.437,31.188,120.5",
        "WZ31010400000002,存量,已核查,\"徐汇区斜土路1号, 东侧\",310104,121.44,31.19,80",
        "WZ31010400000003,新增,待核查,徐汇区示例路3号,310104,121.45,31.195,big",
        "WZ31010400000004,新增,待核查,巴黎,310104,2.35,48.85,10",
        "WZ31010400000001,新增,待核查,重复,310104,121.46,31.2,10",
        "WZ31010400000005,新增,整改中,徐汇区示例路5号,310104,121.47,31.2,55",
    ];
    format!(
        "编号,类型,状态,地址,district_code,lon,lat,area_m2\n{}\n",
        rows.join("\n")
    )
}

async fn csv_report_abort_skip_and_idempotent_commit(b: Backend) {
    let s = TestServer::empty(b).await;
    // The layer requires `source`; add it as a column.
    let csv = buildings_csv()
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{l},{}", if i == 0 { "source" } else { "巡查" }))
        .collect::<Vec<_>>()
        .join("\n");
    let v = report(
        &s,
        "format=csv&mode=validate",
        csv.clone().into_bytes(),
        200,
    )
    .await;
    assert_eq!(
        (
            v["rows"].as_u64(),
            v["valid"].as_u64(),
            v["invalid"].as_u64()
        ),
        (Some(6), Some(3), Some(3)),
        "{v}"
    );
    let errors = v["errors"].as_array().unwrap();
    let at = |row: u64| {
        errors
            .iter()
            .filter(|e| e["row"] == row)
            .collect::<Vec<_>>()
    };
    assert_eq!(at(4)[0]["column"], "area_m2", "row 4 has area `big`: {v}");
    assert!(
        at(5)[0]["message"].as_str().unwrap().contains("Shanghai")
            || at(5)[0]["column"] == "geometry",
        "{v}"
    );
    assert!(
        at(6)[0]["message"].as_str().unwrap().contains("row 2"),
        "duplicate key names the first row: {v}"
    );
    assert_eq!(
        s.count("illegal_buildings").await,
        0,
        "validate writes nothing"
    );

    // Abort (the default): nothing written, the report in the problem.
    let r = import(&s, "format=csv&mode=commit", csv.clone().into_bytes()).await;
    let p = assert_problem(r, 422).await;
    assert_eq!(p["report"]["invalid"], 3);
    assert_eq!(s.count("illegal_buildings").await, 0);

    // Skip: the valid rows, in one go; the quoted comma survives.
    let v = report(
        &s,
        "format=csv&mode=commit&on_error=skip",
        csv.clone().into_bytes(),
        201,
    )
    .await;
    assert_eq!(v["created"].as_array().unwrap().len(), 3);
    assert_eq!(s.count("illegal_buildings").await, 3);
    let page = s
        .get_json(
            "/collections/illegal_buildings/items?code=WZ31010400000002",
            200,
        )
        .await;
    assert_eq!(
        page["features"][0]["properties"]["address"],
        "徐汇区斜土路1号, 东侧"
    );
    assert_eq!(page["features"][0]["properties"]["area_m2"], 80.0);

    // Again: idempotent on the key.
    let v = report(
        &s,
        "format=csv&mode=commit&on_error=skip",
        csv.clone().into_bytes(),
        200,
    )
    .await;
    assert_eq!(
        (v["new"].as_u64(), v["unchanged"].as_u64()),
        (Some(0), Some(3)),
        "{v}"
    );
    assert_eq!(s.count("illegal_buildings").await, 3);

    // A changed row is a conflict, reported and not written.
    let changed = csv.replace(
        "徐汇区示例路5号,310104,121.47,31.2,55",
        "徐汇区示例路5号,310104,121.47,31.2,99",
    );
    let v = report(
        &s,
        "format=csv&mode=commit&on_error=skip",
        changed.into_bytes(),
        200,
    )
    .await;
    assert_eq!(v["conflicts"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["conflicts"][0]["row"], 7);
    let page = s
        .get_json(
            "/collections/illegal_buildings/items?code=WZ31010400000005",
            200,
        )
        .await;
    assert_eq!(page["features"][0]["properties"]["area_m2"], 55.0);

    // A report near what the layer holds is flagged by the duplicate check.
    let near = "编号,类型,状态,district_code,lon,lat,source\nWZ31010400000009,新增,待核查,310104,121.43701,31.18801,巡查\n";
    let v = report(
        &s,
        "format=csv&mode=validate",
        near.as_bytes().to_vec(),
        200,
    )
    .await;
    assert_eq!(v["dedup"][0]["row"], 2);
    assert_eq!(v["dedup"][0]["verdict"], "duplicate", "{v}");
}

async fn gbk_csv_geojson_in_gcj02_and_unreadable_files(b: Backend) {
    let s = TestServer::empty(b).await;
    let text = "编号,类型,状态,地址,district_code,lon,lat,source\nWZ31010500000001,新增,待核查,长宁区愚园路1号,310105,121.42,31.22,巡查\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    assert!(std::str::from_utf8(&gbk).is_err(), "really GBK");
    let v = report(&s, "format=csv&mode=commit", gbk.into_owned(), 201).await;
    assert_eq!(v["created"].as_array().unwrap().len(), 1);
    let page = s
        .get_json(
            "/collections/illegal_buildings/items?code=WZ31010500000001",
            200,
        )
        .await;
    assert_eq!(
        page["features"][0]["properties"]["address"],
        "长宁区愚园路1号"
    );

    // GeoJSON in GCJ-02 (AMap) lands at the CGCS2000 point it came from.
    let (lon, lat) = (121.48, 31.23);
    let conv = s
        .get_json(
            &format!("/coord/convert?from=cgcs2000&to=gcj02&x={lon}&y={lat}"),
            200,
        )
        .await;
    let fc = json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "geometry": {"type": "Point", "coordinates": [conv["x"], conv["y"]]},
        "properties": {"code": "WZ31010100000001", "kind": "新增", "status": "待核查", "district_code": "310101", "source": "12345"}}]});
    report(
        &s,
        "format=geojson&mode=commit&crs=gcj02",
        fc.to_string().into_bytes(),
        201,
    )
    .await;
    let page = s
        .get_json(
            "/collections/illegal_buildings/items?code=WZ31010100000001",
            200,
        )
        .await;
    let c = &page["features"][0]["geometry"]["coordinates"];
    assert!(
        (c[0].as_f64().unwrap() - lon).abs() < 1e-8 && (c[1].as_f64().unwrap() - lat).abs() < 1e-8,
        "{c}"
    );

    // Unreadable files and wrong columns: problems naming them, nothing written.
    let before = s.count("illegal_buildings").await;
    for (q, body, says) in [
        (
            "format=geojson&mode=commit",
            b"{\"type\": \"Featu".to_vec(),
            "JSON",
        ),
        (
            "format=xlsx&mode=commit",
            b"PK\x03\x04 truncated zip".to_vec(),
            "xlsx",
        ),
        (
            "format=csv&mode=commit",
            "编号,颜色\nWZ1,红\n".as_bytes().to_vec(),
            "颜色",
        ),
        (
            "format=csv&mode=commit",
            "lon,编号\n121,WZ1\n".as_bytes().to_vec(),
            "y (lat)",
        ),
        (
            "format=csv&mode=commit",
            vec![0xff, 0xfe, 0x00, 0x81, 0x30],
            "UTF-8",
        ),
    ] {
        let p = assert_problem(import(&s, q, body).await, 422).await;
        assert!(p.to_string().contains(says), "{q}: {p}");
    }
    for q in [
        "mode=commit",
        "format=kml",
        "format=csv&mode=later",
        "format=csv&crs=mars",
        "format=csv&colour=1",
    ] {
        assert_problem(import(&s, q, Vec::new()).await, 400).await;
    }
    // A self-intersecting footprint is named on its row.
    let bow = "编号,类型,状态,district_code,lon,lat,source,footprint_wkt\nWZ31010400000077,新增,待核查,310104,121.44,31.19,巡查,\"POLYGON((121.44 31.19,121.441 31.191,121.441 31.19,121.44 31.191,121.44 31.19))\"\n";
    let p = assert_problem(
        import(&s, "format=csv&mode=commit", bow.as_bytes().to_vec()).await,
        422,
    )
    .await;
    assert_eq!(p["report"]["errors"][0]["row"], 2, "{p}");
    assert_eq!(p["report"]["errors"][0]["column"], "footprint", "{p}");
    assert_eq!(s.count("illegal_buildings").await, before);
}

async fn export_then_import_round_trips(b: Backend) {
    let a = TestServer::with_sample_data(b.clone()).await;
    let b = TestServer::empty(match b {
        Backend::Gpkg => Backend::Gpkg,
        Backend::Postgis(_) => Backend::fresh_postgis().await.expect("a second database"),
    })
    .await;
    let sel = "district_code=310104";
    let want = a
        .get_json(
            &format!("/collections/illegal_buildings/items?{sel}&limit=10000"),
            200,
        )
        .await;
    let n = want["numberMatched"].as_u64().unwrap();
    assert!(n >= 10, "{n} buildings in Xuhui");
    let key = |f: &Value| f["properties"]["code"].as_str().unwrap().to_string();
    let mut want: Vec<Value> = want["features"].as_array().unwrap().clone();
    want.sort_by_key(key);
    for format in ["csv", "xlsx", "geojson", "gpkg"] {
        let file = a
            .client
            .get(a.url(&format!(
                "/collections/illegal_buildings/export?format={format}&{sel}"
            )))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec();
        let v = report(
            &b,
            &format!("format={format}&mode=commit"),
            file,
            if format == "csv" { 201 } else { 200 },
        )
        .await;
        if format == "csv" {
            assert_eq!(v["created"].as_array().unwrap().len() as u64, n, "{format}");
        } else {
            // Re-importing the same features in another format changes nothing.
            assert_eq!(
                (v["new"].as_u64(), v["unchanged"].as_u64()),
                (Some(0), Some(n)),
                "{format}: {}",
                v["conflicts"]
            );
        }
    }
    let got = b
        .get_json("/collections/illegal_buildings/items?limit=10000", 200)
        .await;
    let mut got: Vec<Value> = got["features"].as_array().unwrap().clone();
    got.sort_by_key(key);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g["properties"], w["properties"]);
        assert_eq!(g["geometry"], w["geometry"]);
    }
}
