//! The features API: create, read, merge-patch, delete, concurrency and bad input.

use onemap_e2e::{Backend, TestServer, assert_problem};
use serde_json::{Value, json};

onemap_e2e::both_backends!(
    posted_feature_reads_back_equal_and_patch_changes_only_what_it_names,
    stale_if_match_gets_412_and_leaves_the_feature_alone,
    delete_removes_the_feature,
    footprint_is_kept_as_a_second_geometry,
    bad_input_gets_a_problem_naming_it_and_writes_nothing,
    items_page_filter_and_bbox_agree_with_a_brute_force_scan,
    layers_and_collections_list_every_layer,
);

fn camera(code: &str, lon: f64, lat: f64) -> Value {
    json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "device_code": code,
            "name": "测试路与示例路交叉口",
            "tags": ["治安", "交通"],
            "level": "区级",
            "district_code": "310104",
            "township_code": "310104003",
            "status": "online",
            "bearing": 90.5
        }
    })
}

async fn post(s: &TestServer, layer: &str, body: &Value) -> reqwest::Response {
    s.post(&format!("/collections/{layer}/items"), body).await
}

async fn posted_feature_reads_back_equal_and_patch_changes_only_what_it_names(b: Backend) {
    let s = TestServer::empty(b).await;
    let body = camera("31010400001320000001", 121.437, 31.188);
    let r = post(&s, "video_points", &body).await;
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(r.headers()["etag"], "\"1\"");
    let created: Value = r.json().await.unwrap();
    assert!(location.ends_with(&format!(
        "/collections/video_points/items/{}",
        created["id"]
    )));

    let got: Value = s
        .client
        .get(&location)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["geometry"], body["geometry"]);
    assert_eq!(got["properties"], body["properties"]);

    let r = s
        .client
        .patch(&location)
        .json(&json!({"properties": {"status": "offline", "bearing": null}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let patched: Value = r.json().await.unwrap();
    assert_eq!(patched["version"], 2);
    let mut expected = body["properties"].clone();
    expected["status"] = json!("offline");
    expected.as_object_mut().unwrap().remove("bearing");
    assert_eq!(patched["properties"], expected);
    assert_eq!(
        patched["geometry"], body["geometry"],
        "PATCH without geometry keeps it"
    );

    let r = s
        .client
        .patch(&location)
        .json(&json!({"geometry": {"type": "Point", "coordinates": [121.5, 31.2]}}))
        .send()
        .await
        .unwrap();
    let moved: Value = r.json().await.unwrap();
    assert_eq!(moved["geometry"]["coordinates"], json!([121.5, 31.2]));
    assert_eq!(
        moved["properties"], expected,
        "PATCH of geometry keeps properties"
    );
}

async fn stale_if_match_gets_412_and_leaves_the_feature_alone(b: Backend) {
    let s = TestServer::empty(b).await;
    let r = post(
        &s,
        "video_points",
        &camera("31010400001320000002", 121.44, 31.19),
    )
    .await;
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let ok = s
        .client
        .put(&loc)
        .header("if-match", "\"1\"")
        .json(&camera("31010400001320000002", 121.45, 31.19))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["etag"], "\"2\"");
    for req in [
        s.client
            .put(&loc)
            .json(&camera("31010400001320000002", 121.46, 31.19)),
        s.client
            .patch(&loc)
            .json(&json!({"properties": {"status": "offline"}})),
        s.client.delete(&loc),
    ] {
        let r = req.header("if-match", "\"1\"").send().await.unwrap();
        let p = assert_problem(r, 412).await;
        assert_eq!(p["current_version"], 2);
    }
    let got: Value = s
        .client
        .get(&loc)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["version"], 2);
    assert_eq!(got["geometry"]["coordinates"], json!([121.45, 31.19]));
}

async fn delete_removes_the_feature(b: Backend) {
    let s = TestServer::empty(b).await;
    let r = post(
        &s,
        "video_points",
        &camera("31010400001320000003", 121.44, 31.19),
    )
    .await;
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(s.count("video_points").await, 1);
    let r = s
        .client
        .delete(&loc)
        .header("if-match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_problem(s.client.get(&loc).send().await.unwrap(), 404).await;
    assert_problem(s.client.delete(&loc).send().await.unwrap(), 404).await;
    assert_eq!(s.count("video_points").await, 0);
}

async fn footprint_is_kept_as_a_second_geometry(b: Backend) {
    let s = TestServer::empty(b).await;
    let footprint = json!({"type": "Polygon", "coordinates": [[
        [121.3000, 31.1000], [121.3003, 31.1000], [121.3003, 31.1002], [121.3000, 31.1002], [121.3000, 31.1000]
    ]]});
    let body = json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [121.30015, 31.1001]},
        "properties": {
            "code": "WZ31011200000001", "kind": "新增", "status": "待核查", "district_code": "310112",
            "source": "12345", "found_on": "2026-11-01", "area_m2": 540.0, "footprint": footprint
        }
    });
    let r = post(&s, "illegal_buildings", &body).await;
    assert_eq!(r.status(), 201);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let got: Value = s
        .client
        .get(&loc)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["properties"]["footprint"], footprint);
    let r = s
        .client
        .patch(&loc)
        .json(&json!({"properties": {"footprint": null}}))
        .send()
        .await
        .unwrap();
    let got: Value = r.json().await.unwrap();
    assert!(got["properties"].get("footprint").is_none(), "{got}");
    assert_eq!(got["properties"]["code"], "WZ31011200000001");
}

async fn bad_input_gets_a_problem_naming_it_and_writes_nothing(b: Backend) {
    let s = TestServer::empty(b).await;
    let good = camera("31010400001320000004", 121.44, 31.19);
    let with = |path: &[&str], v: Value| {
        let mut b = good.clone();
        let mut cur = &mut b;
        for p in &path[..path.len() - 1] {
            cur = &mut cur[*p];
        }
        cur[path[path.len() - 1]] = v;
        b
    };
    let mut unknown = good.clone();
    unknown["properties"]["colour"] = json!("red");
    let mut missing = good.clone();
    missing["properties"]
        .as_object_mut()
        .unwrap()
        .remove("status");
    let cases: Vec<(Value, &str)> = vec![
        (json!([1, 2]), ""),
        (json!({"type": "FeatureCollection", "features": []}), "type"),
        (unknown, "properties.colour"),
        (missing, "properties.status"),
        (
            with(&["properties", "status"], json!("broken")),
            "properties.status",
        ),
        (
            with(&["properties", "bearing"], json!(400)),
            "properties.bearing",
        ),
        (
            with(&["properties", "bearing"], json!("east")),
            "properties.bearing",
        ),
        (
            with(
                &["properties", "device_code"],
                json!("31010400002000000004"),
            ),
            "properties.device_code",
        ),
        (
            with(&["properties", "device_code"], json!("123")),
            "properties.device_code",
        ),
        (
            with(&["properties", "district_code"], json!("440104")),
            "properties.district_code",
        ),
        (
            with(
                &["geometry"],
                json!({"type": "Point", "coordinates": [31.19, 121.44]}),
            ),
            "geometry.coordinates",
        ),
        (
            with(
                &["geometry"],
                json!({"type": "Point", "coordinates": [0, 0]}),
            ),
            "geometry.coordinates",
        ),
        (
            with(
                &["geometry"],
                json!({"type": "LineString", "coordinates": [[121.4, 31.1], [121.5, 31.2]]}),
            ),
            "geometry",
        ),
        (with(&["geometry"], json!({"type": "Point"})), "geometry"),
        (with(&["geometry"], Value::Null), "geometry"),
    ];
    for (body, field) in cases {
        let r = post(&s, "video_points", &body).await;
        let p = assert_problem(r, 422).await;
        let fields: Vec<&str> = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.iter().any(|f| f.starts_with(field)),
            "body {body} should name {field}, got {fields:?}"
        );
    }
    let stand = |ring: Value| {
        json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
               "properties": {"stand_no": "310151-001-001", "compartment": "001"}})
    };
    let bowtie = json!([
        [121.5, 31.6],
        [121.51, 31.61],
        [121.51, 31.6],
        [121.5, 31.61],
        [121.5, 31.6]
    ]);
    let unclosed = json!([
        [121.5, 31.6],
        [121.51, 31.6],
        [121.51, 31.61],
        [121.5, 31.61]
    ]);
    for (ring, what) in [(bowtie, "invalid geometry"), (unclosed, "not closed")] {
        let p = assert_problem(post(&s, "forest_stands", &stand(ring)).await, 422).await;
        assert!(p["detail"].as_str().unwrap().contains(what), "{p}");
    }
    let r = s
        .client
        .post(s.url("/collections/video_points/items"))
        .header("content-type", "application/json")
        .body("{\"type\": \"Feature\", ")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400).await;
    let huge = "x".repeat(3 << 20);
    let r = s
        .client
        .post(s.url("/collections/video_points/items"))
        .header("content-type", "application/json")
        .body(format!("{{\"pad\": \"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 413).await;
    assert_problem(post(&s, "no_such_layer", &good).await, 404).await;
    assert_eq!(s.count("video_points").await, 0, "nothing written");
    assert_eq!(s.count("forest_stands").await, 0, "nothing written");

    assert_eq!(post(&s, "video_points", &good).await.status(), 201);
    let p = assert_problem(post(&s, "video_points", &good).await, 409).await;
    assert!(p["detail"].as_str().unwrap().contains("duplicate"), "{p}");
    assert_eq!(s.count("video_points").await, 1);
}

async fn items_page_filter_and_bbox_agree_with_a_brute_force_scan(b: Backend) {
    let s = TestServer::empty(b).await;
    let mut all = Vec::new();
    for i in 0..60u32 {
        let lon = 121.30 + f64::from(i % 10) * 0.02;
        let lat = 31.10 + f64::from(i / 10) * 0.02;
        let mut f = camera(&format!("310104000013200{:05}", i), lon, lat);
        f["properties"]["status"] = json!(if i % 3 == 0 { "offline" } else { "online" });
        assert_eq!(post(&s, "video_points", &f).await.status(), 201);
        all.push((lon, lat, i % 3 == 0));
    }
    let (x0, y0, x1, y1) = (121.33, 31.13, 121.47, 31.19);
    let expected = all
        .iter()
        .filter(|(x, y, off)| *off && *x >= x0 && *x <= x1 && *y >= y0 && *y <= y1)
        .count();
    let mut seen = 0;
    let mut next = Some(format!(
        "/collections/video_points/items?bbox={x0},{y0},{x1},{y1}&status=offline&limit=2"
    ));
    while let Some(path) = next.take() {
        let page = if path.starts_with("http") {
            s.client
                .get(&path)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        } else {
            s.get_json(&path, 200).await
        };
        assert_eq!(page["numberMatched"], expected as u64);
        for f in page["features"].as_array().unwrap() {
            let c = &f["geometry"]["coordinates"];
            let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            assert!(x >= x0 && x <= x1 && y >= y0 && y <= y1);
            assert_eq!(f["properties"]["status"], "offline");
            seen += 1;
        }
        next = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .map(|l| l["href"].as_str().unwrap().to_string());
    }
    assert_eq!(seen, expected);
    assert!(expected > 2, "the query spans several pages");

    let tagged = s
        .get_json("/collections/video_points/items?tags=交通&limit=100", 200)
        .await;
    assert_eq!(tagged["numberMatched"], 60);
    for bad in [
        "bbox=1,2,3",
        "limit=-1",
        "colour=red",
        "bearing=east",
        "bbox=2,0,1,1",
    ] {
        let r = s
            .client
            .get(s.url(&format!("/collections/video_points/items?{bad}")))
            .send()
            .await
            .unwrap();
        assert_problem(r, 400).await;
    }
}

async fn layers_and_collections_list_every_layer(b: Backend) {
    let s = TestServer::empty(b).await;
    let layers = s.get_json("/layers", 200).await;
    let ids: Vec<&str> = layers
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    for id in [
        "districts",
        "townships",
        "illegal_buildings",
        "forest_stands",
        "forest_patches",
        "patrol_tracks",
        "video_points",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    let c = s.get_json("/collections", 200).await;
    assert_eq!(c["collections"].as_array().unwrap().len(), ids.len());
    let one = s.get_json("/collections/forest_stands", 200).await;
    assert_eq!(one["itemType"], "feature");
    assert_problem(
        s.client
            .get(s.url("/collections/nope"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_problem(
        s.client
            .get(s.url("/collections/video_points/items/abc"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let health = s.get_json("/health", 200).await;
    assert_eq!(health["status"], "ok");
}
