//! `geocode=true` over HTTP: a report with an address and no geometry is placed at the
//! gazetteer's point for that address (on create, on a PATCH that changes the address, and in
//! imports), with the level and confidence recorded on the feature.

use onemap_e2e::{Backend, TestServer, assert_problem};
use serde_json::{Value, json};

onemap_e2e::both_backends!(
    create_and_patch_place_the_point,
    import_rows_without_coordinates
);

const ITEMS: &str = "/collections/illegal_buildings/items";

/// Two gazetteer houses: (standard address, [lon, lat]).
async fn houses(s: &TestServer) -> Vec<(String, [f64; 2])> {
    let v = s
        .get_json("/collections/gazetteer_addresses/items?limit=500", 200)
        .await;
    let all = v["features"].as_array().unwrap();
    assert!(all.len() >= 100, "the sample gazetteer is loaded");
    // Spread over the page, and plain house numbers only (no building), for variety.
    [all[7].clone(), all[all.len() - 3].clone()]
        .iter()
        .map(|f| {
            let c = &f["geometry"]["coordinates"];
            (
                f["properties"]["standard_address"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()],
            )
        })
        .collect()
}

fn report(code: &str, address: &str) -> Value {
    json!({"type": "Feature", "geometry": null, "properties": {
        "code": code, "kind": "新增", "status": "待核查", "address": address,
        "district_code": "310104", "source": "12345"}})
}

fn assert_at(f: &Value, p: [f64; 2]) {
    let c = &f["geometry"]["coordinates"];
    for i in 0..2 {
        let got = c[i].as_f64().unwrap();
        assert!((got - p[i]).abs() < 1e-7, "{got} vs {} in {f}", p[i]);
    }
}

async fn create_and_patch_place_the_point(b: Backend) {
    let s = TestServer::with_sample_data(b).await;
    let h = houses(&s).await;
    let before = s.count("illegal_buildings").await;
    // Without the flag a report with no geometry is refused as before.
    let r = s.post(ITEMS, &report("WZ31010499990001", &h[0].0)).await;
    assert_problem(r, 422).await;
    let r = s
        .post(
            &format!("{ITEMS}?geocode=true"),
            &report("WZ31010499990001", &h[0].0),
        )
        .await;
    assert_eq!(r.status(), 201);
    let f: Value = r.json().await.unwrap();
    assert_at(&f, h[0].1);
    assert_eq!(f["properties"]["geocode_level"], "house", "{f}");
    assert_eq!(f["properties"]["geocode_confidence"], 1.0);
    assert_eq!(f["geocoded"]["standard_address"], h[0].0.as_str());
    // A PATCH that changes the address moves the point when asked to.
    let id = f["id"].as_i64().unwrap();
    let r = s
        .client
        .patch(s.url(&format!("{ITEMS}/{id}?geocode=true")))
        .json(&json!({"properties": {"address": h[1].0}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let f: Value = r.json().await.unwrap();
    assert_at(&f, h[1].1);
    assert_eq!(f["properties"]["address"], h[1].0.as_str());
    // An address nothing matches, and no address at all: 422 naming it, nothing written.
    for body in [
        report("WZ31010499990002", "火星市宇宙路1号"),
        json!({"type": "Feature", "geometry": null, "properties": {
            "code": "WZ31010499990003", "kind": "新增", "status": "待核查",
            "district_code": "310104", "source": "12345"}}),
    ] {
        let p = assert_problem(s.post(&format!("{ITEMS}?geocode=true"), &body).await, 422).await;
        assert!(p.to_string().contains("address"), "{p}");
    }
    assert_problem(
        s.post(&format!("{ITEMS}?geocode=maybe"), &report("X", "Y"))
            .await,
        400,
    )
    .await;
    assert_eq!(s.count("illegal_buildings").await, before + 1);
}

async fn import_rows_without_coordinates(b: Backend) {
    let s = TestServer::with_sample_data(b).await;
    let h = houses(&s).await;
    let csv = format!(
        "code,kind,status,address,district_code,source\n\
         WZ31010499990011,新增,待核查,{},310104,网格化\n\
         WZ31010499990012,新增,待核查,{},310104,网格化\n\
         WZ31010499990013,新增,待核查,火星市宇宙路1号,310104,网格化\n",
        h[0].0, h[1].0
    );
    let r = s
        .client
        .post(s.url(
            "/collections/illegal_buildings/import?format=csv&mode=commit&geocode=true&on_error=skip",
        ))
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["geocoded"], json!({"house": 2}), "{v}");
    assert_eq!(v["errors"][0]["row"], 4, "{v}");
    assert_eq!(v["errors"][0]["column"], "address", "{v}");
    for (code, (_, p)) in ["WZ31010499990011", "WZ31010499990012"].iter().zip(&h) {
        let got = s.get_json(&format!("{ITEMS}?code={code}"), 200).await;
        assert_at(&got["features"][0], *p);
        assert_eq!(got["features"][0]["properties"]["geocode_level"], "house");
    }
}
