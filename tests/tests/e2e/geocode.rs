//! Geocoding over HTTP on the sample gazetteer (issue #5): noisy addresses resolve near their
//! house (hit rate printed per kind of noise), the fused answer equals /coord/convert, reverse
//! geocoding finds the nearest house or falls back with the right level, batches in JSON and CSV,
//! edits reach the gazetteer at once, malformed input never makes a 500, and the upstream
//! providers merge in from a mock on loopback.

use std::sync::{Arc, Mutex};

use onemap_e2e::{Backend, TestServer, assert_problem};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

onemap_e2e::both_backends!(
    noisy_addresses_resolve_near_their_house,
    fused_answer_equals_coord_convert_and_batches_agree,
    reverse_finds_the_nearest_house_or_falls_back,
    malformed_input_is_a_4xx_or_a_reason,
    upstream_providers_merge_from_a_loopback_mock,
);

/// Metres between two lon/lat points on a local equirectangular plane: independent of the
/// server's Shanghai 2000 arithmetic and ample at the 50 m scale of the checks.
fn metres(a: [f64; 2], b: [f64; 2]) -> f64 {
    let k = 111_320.0;
    let dx = (a[0] - b[0]) * k * ((a[1] + b[1]) / 2.0).to_radians().cos();
    let dy = (a[1] - b[1]) * k;
    dx.hypot(dy)
}

/// Deterministic pseudo-random numbers in [0, 1).
fn rng(seed: &mut u64) -> f64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*seed >> 11) as f64 / (1u64 << 53) as f64
}

/// GET with query parameters (encoded by the client); the status and the JSON body.
async fn get(s: &TestServer, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let r = s
        .client
        .get(s.url(path))
        .query(params)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// One house of the gazetteer as the API serves it.
struct House {
    id: i64,
    address: String,
    road: String,
    district: String,
    point: [f64; 2],
}

/// Every feature of a layer, page by page.
async fn all(s: &TestServer, layer: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let page = s
            .get_json(
                &format!(
                    "/collections/{layer}/items?limit=10000&offset={}",
                    out.len()
                ),
                200,
            )
            .await;
        let fs = page["features"].as_array().expect("features").clone();
        if fs.is_empty() {
            return out;
        }
        out.extend(fs);
    }
}

async fn houses(s: &TestServer) -> Vec<House> {
    let names: Vec<(String, String)> = all(s, "districts")
        .await
        .iter()
        .map(|d| {
            let p = &d["properties"];
            (
                p["code"].as_str().unwrap().into(),
                p["name"].as_str().unwrap().into(),
            )
        })
        .collect();
    let hs: Vec<House> = all(s, "gazetteer_addresses")
        .await
        .iter()
        .map(|f| {
            let p = &f["properties"];
            let code = p["district_code"].as_str().unwrap();
            let c = &f["geometry"]["coordinates"];
            House {
                id: f["id"].as_i64().unwrap(),
                address: p["standard_address"].as_str().unwrap().into(),
                road: p["road"].as_str().unwrap().into(),
                district: names.iter().find(|(k, _)| k == code).unwrap().1.clone(),
                point: [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()],
            }
        })
        .collect();
    assert!(
        hs.len() > 1000,
        "the sample gazetteer has houses: {}",
        hs.len()
    );
    hs
}

/// The kinds of noise officers and other systems add to an address.
const NOISE: [&str; 7] = [
    "none",
    "missing_district",
    "district_alias",
    "fullwidth_digits",
    "chinese_numerals",
    "road_typo",
    "extra_spaces",
];

/// `683` → `六百八十三`, as people write numbers out.
fn chinese(n: u32) -> String {
    const D: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    const U: [&str; 5] = ["", "十", "百", "千", "万"];
    let digits: Vec<u32> = n
        .to_string()
        .chars()
        .map(|c| c.to_digit(10).unwrap())
        .collect();
    let mut s = String::new();
    let mut zero = false;
    for (i, &d) in digits.iter().enumerate() {
        let unit = U[digits.len() - 1 - i];
        if d == 0 {
            zero = true;
            continue;
        }
        if zero {
            s.push('零');
            zero = false;
        }
        if !(d == 1 && unit == "十" && s.is_empty()) {
            s.push(D[d as usize]);
        }
        s.push_str(unit);
    }
    if s.is_empty() { "零".into() } else { s }
}

/// Replaces every run of ASCII digits with `f(number)`.
fn map_numbers(s: &str, f: impl Fn(u32) -> String) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in s.chars().chain(std::iter::once('\u{0}')) {
        if c.is_ascii_digit() {
            run.push(c);
            continue;
        }
        if !run.is_empty() {
            out.push_str(&f(run.parse().unwrap()));
            run.clear();
        }
        if c != '\u{0}' {
            out.push(c);
        }
    }
    out
}

fn noisy(h: &House, kind: &str, seed: &mut u64) -> String {
    let a = &h.address;
    let full = format!("上海市{}", h.district);
    match kind {
        "none" => a.clone(),
        "missing_district" => a.replacen(&full, "", 1),
        "district_alias" => {
            let short = h
                .district
                .strip_suffix("新区")
                .or(h.district.strip_suffix('区'))
                .unwrap_or(&h.district);
            a.replacen(&h.district, short, 1)
        }
        "fullwidth_digits" => a
            .chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
                c => c,
            })
            .collect(),
        "chinese_numerals" => map_numbers(a, chinese),
        "road_typo" => {
            // one character of the name before its last (the 路/街 suffix), replaced
            let chars: Vec<char> = h.road.chars().collect();
            let i = (rng(seed) * (chars.len() - 1) as f64) as usize;
            let typo: String = chars
                .iter()
                .enumerate()
                .map(|(j, &c)| {
                    if j == i {
                        if c == '甲' { '乙' } else { '甲' }
                    } else {
                        c
                    }
                })
                .collect();
            a.replacen(&h.road, &typo, 1)
        }
        "extra_spaces" => {
            let spaced = a
                .replacen(&full, &format!(" 上海市  {} ", h.district), 1)
                .replacen(&h.road, &format!("{}  ", h.road), 1);
            format!("  {spaced} ")
        }
        _ => unreachable!(),
    }
}

async fn noisy_addresses_resolve_near_their_house(b: Backend) {
    let s = TestServer::with_sample_data(b).await;
    let hs = houses(&s).await;
    // A deterministic sample of about 3,000 houses, all kinds of noise each, in batches.
    let step = (hs.len() / 3000).max(1);
    let sample: Vec<&House> = hs.iter().step_by(step).collect();
    let mut seed = 5;
    let mut report = Vec::new();
    for kind in NOISE {
        let addresses: Vec<String> = sample.iter().map(|h| noisy(h, kind, &mut seed)).collect();
        let out = s
            .post_json("/geocode", &json!({ "addresses": addresses }))
            .await;
        let results = out["results"].as_array().unwrap();
        assert_eq!(results.len(), sample.len());
        let mut misses = Vec::new();
        let hits = results
            .iter()
            .zip(&sample)
            .filter(|(r, h)| {
                let ok = r["x"]
                    .as_f64()
                    .is_some_and(|x| metres([x, r["y"].as_f64().unwrap()], h.point) <= 50.0);
                if !ok {
                    misses.push(format!("{} → {r}", r["address"]));
                }
                ok
            })
            .count();
        let rate = hits as f64 / sample.len() as f64;
        println!(
            "noise {kind:>16}: {hits}/{} within 50 m ({:.2} %)",
            sample.len(),
            rate * 100.0
        );
        report.push((kind, rate, misses));
    }
    for (kind, rate, misses) in &report {
        let floor = if *kind == "none" { 1.0 } else { 0.95 };
        assert!(
            *rate >= floor,
            "{kind}: {:.2} % < {floor}; e.g. {:?}",
            rate * 100.0,
            &misses[..misses.len().min(5)]
        );
    }

    // The exact address: house level, confidence 1, the house's own feature, in any CRS.
    let h = sample[0];
    let (status, v) = get(&s, "/geocode", &[("address", &h.address)]).await;
    assert_eq!(status, 200, "{v}");
    let c = &v["candidates"][0];
    assert_eq!(c["level"], "house", "{v}");
    assert_eq!(c["confidence"], 1.0);
    assert_eq!(c["standard_address"], h.address.as_str());
    assert_eq!(c["crs"], "cgcs2000");
    assert_eq!(
        c["feature"],
        json!({"collection": "gazetteer_addresses", "id": h.id})
    );
    assert_eq!(
        [c["x"].as_f64().unwrap(), c["y"].as_f64().unwrap()],
        h.point
    );
    assert!(
        c["district_code"].is_string() && c["township_code"].is_string(),
        "{c}"
    );
    assert_eq!(v["parsed"]["road"], h.road.as_str());
    let (_, g) = get(&s, "/geocode", &[("address", &h.address), ("crs", "gcj02")]).await;
    assert_eq!(g["candidates"][0]["crs"], "gcj02");
    assert!(
        metres(
            [
                g["candidates"][0]["x"].as_f64().unwrap(),
                g["candidates"][0]["y"].as_f64().unwrap()
            ],
            h.point
        ) > 100.0
    );

    // A contradicting district is flagged, the road's district wins, the confidence drops.
    let other = if h.district == "崇明区" {
        "徐汇区"
    } else {
        "崇明区"
    };
    let wrong = h.address.replacen(&h.district, other, 1);
    let (_, v) = get(&s, "/geocode", &[("address", &wrong)]).await;
    let c = &v["candidates"][0];
    assert_eq!(c["level"], "house", "{v}");
    assert_eq!(c["district_name"], h.district.as_str());
    assert!(c["confidence"].as_f64().unwrap() < 1.0);
    assert!(
        c["warnings"][0].as_str().unwrap().contains("contradicts"),
        "{c}"
    );

    // A house added to the layer geocodes at once: the gazetteer follows its layers.
    let stored = s
        .get_json(
            &format!("/collections/gazetteer_addresses/items/{}", h.id),
            200,
        )
        .await;
    let p = &stored["properties"];
    let district_code = p["district_code"].as_str().unwrap();
    let added = format!("上海市{}{}99999号", h.district, h.road);
    let created = s
        .create(
            "gazetteer_addresses",
            &json!({"type": "Feature",
                "geometry": {"type": "Point", "coordinates": [h.point[0] + 0.001, h.point[1]]},
                "properties": {"address_code": format!("{district_code}A9999999"), "road": h.road,
                    "number": 99_999, "district_code": district_code,
                    "township_code": p["township_code"], "standard_address": added}}),
        )
        .await;
    let (_, v) = get(&s, "/geocode", &[("address", &added)]).await;
    assert_eq!(v["candidates"][0]["level"], "house", "{v}");
    assert_eq!(v["candidates"][0]["feature"]["id"], created["id"]);

    // So does an agency's address base imported as CSV; its invalid row is reported, not stored.
    let imported = format!("上海市{}{}99998号", h.district, h.road);
    let (tc, [x, y]) = (p["township_code"].as_str().unwrap(), h.point);
    let csv = format!(
        "address_code,road,number,district_code,township_code,standard_address,lon,lat\n\
         {district_code}A9999998,{},99998,{district_code},{tc},{imported},{},{y}\n\
         {district_code}A9999997,{},,{district_code},{tc},no number,{x},{y}\n",
        h.road,
        x + 0.002,
        h.road
    );
    let r = s
        .client
        .post(s.url("/collections/gazetteer_addresses/import?format=csv&mode=commit&on_error=skip"))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let report: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{report}");
    assert_eq!(report["created_total"], 1, "{report}");
    assert_eq!(report["errors"][0]["column"], "number", "{report}");
    let (_, v) = get(&s, "/geocode", &[("address", &imported)]).await;
    assert_eq!(v["candidates"][0]["level"], "house", "{v}");
    let (_, r) = get(
        &s,
        "/reverse",
        &[("x", &(x + 0.002).to_string()), ("y", &y.to_string())],
    )
    .await;
    assert_eq!(r["formatted"], imported.as_str(), "{r}");
}

async fn fused_answer_equals_coord_convert_and_batches_agree(b: Backend) {
    let s = TestServer::with_sample_data(b).await;
    let hs = houses(&s).await;
    let picked: Vec<&House> = hs.iter().step_by(hs.len() / 20).collect();
    for h in &picked {
        let (status, f) = get(&s, "/geocode/fused", &[("address", &h.address)]).await;
        assert_eq!(status, 200, "{f}");
        assert_eq!(f["matched"], true, "{f}");
        assert_eq!(f["level"], "house");
        assert_eq!(f["standard_address"], h.address.as_str());
        assert_eq!(
            [f["lon"].as_f64().unwrap(), f["lat"].as_f64().unwrap()],
            h.point
        );
        assert!(f["district_code"].as_str().unwrap().len() == 6, "{f}");
        assert!(
            f["township_code"]
                .as_str()
                .unwrap()
                .starts_with(f["district_code"].as_str().unwrap())
        );
        assert_eq!(f["district_name"], h.district.as_str());
        let conv = s
            .get_json(
                &format!(
                    "/coord/convert?from=cgcs2000&to=sh2000&x={}&y={}",
                    h.point[0], h.point[1]
                ),
                200,
            )
            .await;
        assert_eq!(f["x_sh2000"], conv["x"], "east");
        assert_eq!(f["y_sh2000"], conv["y"], "north");
        // and the plain geocode in sh2000 says the same
        let (_, g) = get(
            &s,
            "/geocode",
            &[("address", &h.address), ("crs", "sh2000")],
        )
        .await;
        assert_eq!(g["candidates"][0]["x"], conv["x"]);
        assert_eq!(g["candidates"][0]["y"], conv["y"]);
    }
    let (_, f) = get(&s, "/geocode/fused", &[("address", "火星大道1号")]).await;
    assert_eq!(f["matched"], false, "{f}");
    assert!(f["reason"].is_string());

    // Batches: JSON with ids, CSV in and out, one failing row each, same answers as GET.
    let addrs: Vec<Value> = picked
        .iter()
        .enumerate()
        .map(|(i, h)| json!({"id": format!("r{i}"), "address": h.address}))
        .chain([json!({"id": "bad", "address": "，，，"}), json!(42)])
        .collect();
    let out = s
        .post_json("/geocode?crs=sh2000", &json!({ "addresses": addrs }))
        .await;
    assert_eq!(out["count"], picked.len() + 2);
    assert_eq!(out["matched"], picked.len());
    let rs = out["results"].as_array().unwrap();
    assert_eq!(rs[0]["id"], "r0");
    assert_eq!(rs[0]["level"], "house");
    assert_eq!(rs[0]["crs"], "sh2000");
    assert_eq!(rs[picked.len()]["id"], "bad");
    assert!(
        rs[picked.len()]["reason"].is_string(),
        "{}",
        rs[picked.len()]
    );
    assert!(
        rs[picked.len() + 1]["reason"]
            .as_str()
            .unwrap()
            .contains("address")
    );
    let mut csv = String::from("id,address\n");
    for (i, h) in picked.iter().enumerate() {
        csv += &format!("{i},{}\n", h.address);
    }
    csv += "x,火星大道1号\n";
    let r = s
        .client
        .post(s.url("/geocode"))
        .header("content-type", "text/csv")
        .header("accept", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = r.text().await.unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let heads = rdr.headers().unwrap().clone();
    assert_eq!(&heads[0], "id");
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), picked.len() + 1);
    let col = |name: &str| heads.iter().position(|h| h == name).unwrap();
    for (row, h) in rows.iter().zip(&picked) {
        assert_eq!(&row[col("level")], "house");
        assert_eq!(&row[col("standard_address")], h.address.as_str());
        assert_eq!(row[col("x")].parse::<f64>().unwrap(), h.point[0]);
    }
    let last = rows.last().unwrap();
    assert_eq!(&last[col("id")], "x");
    assert!(last[col("level")].is_empty() && !last[col("reason")].is_empty());
}

async fn reverse_finds_the_nearest_house_or_falls_back(b: Backend) {
    let s = TestServer::with_sample_data(b).await;
    let hs = houses(&s).await;
    // A house point reads back as that house (the crate tests check every house).
    for h in hs.iter().step_by(hs.len() / 50) {
        let (status, r) = get(
            &s,
            "/reverse",
            &[
                ("x", &h.point[0].to_string()),
                ("y", &h.point[1].to_string()),
            ],
        )
        .await;
        assert_eq!(status, 200, "{r}");
        assert_eq!(r["level"], "house");
        assert_eq!(r["formatted"], h.address.as_str());
        assert_eq!(r["feature"]["id"], h.id);
        assert_eq!(r["address"]["road"], h.road.as_str());
        assert_eq!(r["address"]["district"], h.district.as_str());
    }
    // Points up to 150 m from a house: the nearest house (brute force) within 50 m, else a road
    // within 50 m, else the township.
    let mut seed = 11;
    let mut points = Vec::new();
    for _ in 0..200 {
        let h = &hs[(rng(&mut seed) * hs.len() as f64) as usize];
        let (dx, dy) = (
            (rng(&mut seed) - 0.5) * 0.003,
            (rng(&mut seed) - 0.5) * 0.003,
        );
        points.push([h.point[0] + dx, h.point[1] + dy]);
    }
    let out = s.post_json("/reverse", &json!({ "points": points })).await;
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), points.len());
    let mut levels = std::collections::BTreeMap::new();
    for (p, r) in points.iter().zip(results) {
        let (d, nearest) = hs
            .iter()
            .map(|h| (metres(*p, h.point), h))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap();
        let level = r["level"].as_str().unwrap_or("none").to_string();
        *levels.entry(level.clone()).or_insert(0) += 1;
        if d < 49.5 {
            assert_eq!(level, "house", "{p:?}: nearest house at {d} m; {r}");
            let got = r["distance_m"].as_f64().unwrap();
            assert!((got - d).abs() < 0.5, "{got} vs {d}");
            if r["feature"]["id"] != nearest.id {
                // a tie within the metrics' difference
                let other = hs.iter().find(|h| r["feature"]["id"] == h.id).unwrap();
                assert!((metres(*p, other.point) - d).abs() < 0.5, "{r}");
            }
        } else if d > 50.5 {
            assert_ne!(level, "house", "{p:?}: nearest house at {d} m; {r}");
            match level.as_str() {
                "road" => {
                    assert!(r["distance_m"].as_f64().unwrap() <= 50.0, "{r}");
                    assert_eq!(r["feature"]["collection"], "gazetteer_roads");
                    assert!(r["address"]["road"].is_string());
                }
                "township" => {
                    let t = r["address"]["township_code"].as_str().unwrap();
                    assert!(t.starts_with(r["address"]["district_code"].as_str().unwrap()));
                }
                "district" => assert!(r["address"]["district_code"].is_string(), "{r}"),
                _ => assert!(r["reason"].is_string(), "{r}"),
            }
        }
    }
    println!("reverse levels of 200 points near houses: {levels:?}");
    assert!(levels.len() >= 2, "{levels:?}");
    // In another CRS, and with a radius; the sea is outside Shanghai.
    let h = &hs[0];
    let conv = s
        .get_json(
            &format!(
                "/coord/convert?from=cgcs2000&to=sh2000&x={}&y={}",
                h.point[0], h.point[1]
            ),
            200,
        )
        .await;
    let (_, r) = get(
        &s,
        "/reverse",
        &[
            ("x", &conv["x"].to_string()),
            ("y", &conv["y"].to_string()),
            ("crs", "sh2000"),
            ("radius_m", "5"),
        ],
    )
    .await;
    assert_eq!(r["formatted"], h.address.as_str(), "{r}");
    let (_, r) = get(&s, "/reverse", &[("x", "123.0"), ("y", "31.0")]).await;
    assert!(r["level"].is_null(), "{r}");
    assert!(r["reason"].as_str().unwrap().contains("outside Shanghai"));
}

async fn malformed_input_is_a_4xx_or_a_reason(b: Backend) {
    let s = TestServer::with_sample_data(b).await;
    let long = "上海市徐汇区小木桥路683号".repeat(600);
    for address in [
        "",
        "   ",
        "，。、！？……——",
        "\u{1}\u{2}\u{7f}\u{fffd}",
        long.as_str(),
        "😀😀😀",
        "北京市朝阳区建国路1号",
    ] {
        let (status, v) = get(&s, "/geocode", &[("address", address)]).await;
        assert_eq!(status, 200, "{address}: {v}");
        assert_eq!(v["candidates"], json!([]), "{address}: {v}");
        assert!(v["reason"].is_string(), "{address}: {v}");
        let (status, v) = get(&s, "/geocode/fused", &[("address", address)]).await;
        assert_eq!((status, &v["matched"]), (200, &json!(false)), "{v}");
    }
    // Bytes that are no UTF-8 in the query: a problem, or a reason.
    let r = s
        .client
        .get(s.url("/geocode?address=%FF%FE%00%C3"))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    assert!(
        status == 400 || (status == 200 && v["reason"].is_string()),
        "{status} {v}"
    );
    // Problems, never a 500.
    let bad = [
        "/geocode",
        "/geocode?address=x&limit=0",
        "/geocode?address=x&limit=abc",
        "/geocode?address=x&crs=mars",
        "/geocode?address=x&upstream=sometimes",
        "/geocode/fused",
        "/reverse",
        "/reverse?x=abc&y=31",
        "/reverse?x=NaN&y=31",
        "/reverse?x=121.4&y=31.2&radius_m=-1",
        "/reverse?x=121.4&y=31.2&radius_m=1e9",
        "/reverse?x=121.4&y=31.2&crs=nowhere",
        "/reverse?x=500&y=31.2",
    ];
    for path in bad {
        let r = s.client.get(s.url(path)).send().await.unwrap();
        let status = r.status().as_u16();
        assert!((400..500).contains(&status), "{path}: {status}");
        assert_problem(r, status).await;
    }
    let posts: [(&str, &str, Vec<u8>); 6] = [
        (
            "/geocode",
            "application/json",
            b"\xff\xfe\x00binary".to_vec(),
        ),
        (
            "/geocode",
            "application/json",
            br#"{"addresses": "one"}"#.to_vec(),
        ),
        ("/geocode", "text/csv", b"name\nx\n".to_vec()),
        (
            "/reverse",
            "application/json",
            br#"{"points": [[1, "a"]]}"#.to_vec(),
        ),
        ("/reverse", "application/json", b"\x00\x01".to_vec()),
        (
            "/geocode",
            "application/json",
            serde_json::to_vec(&json!({"addresses": vec!["a"; 100_001]})).unwrap(),
        ),
    ];
    for (path, ct, body) in posts {
        let r = s
            .client
            .post(s.url(path))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_problem(r, 400).await;
    }
    // Binary inside CSV rows and JSON strings: per-row reasons.
    let r = s
        .client
        .post(s.url("/geocode"))
        .header("content-type", "text/csv")
        .body(b"address\n\xff\xfe\n\"unterminated\n".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["reason"].is_string()),
        "{v}"
    );
}

/// A stand-in for the AMap and Baidu web services on loopback: answers each request from
/// `answer(path_and_query)` and records the requests.
async fn mock(
    answer: impl Fn(&str) -> (u16, String) + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (answer, log) = (Arc::new(answer), seen.clone());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (answer, log) = (answer.clone(), log.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_string();
                let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                log.lock().unwrap().push(target.clone());
                let (status, body) = answer(&target);
                let resp = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    (base, seen)
}

async fn upstream_providers_merge_from_a_loopback_mock(b: Backend) {
    // Where the providers will place things: set once the server can convert for us.
    let answers: Arc<Mutex<(String, String)>> = Arc::default();
    let a = answers.clone();
    let (base, seen) = mock(move |target| {
        let (amap, baidu) = a.lock().unwrap().clone();
        if target.contains("%E6%95%85%E9%9A%9C") {
            // 故障: the provider is down
            return (500, "{}".into());
        }
        if target.starts_with("/v3/geocode/geo") {
            (200, amap)
        } else {
            (200, baidu)
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("geocode-providers.json"),
        json!({"amap": {"key": "amap-test-key", "base_url": base},
               "baidu": {"key": "baidu-test-ak", "base_url": base},
               "timeout_ms": 2000})
        .to_string(),
    )
    .unwrap();
    let mut cfg = onemap_e2e::config(dir.path().to_path_buf(), true);
    cfg.database_url = b
        .database_url()
        .map(|u| onemap_api::DatabaseUrl(u.to_string()));
    let s = TestServer::with_config(cfg, dir).await;
    let hs = houses(&s).await;
    let h = &hs[hs.len() / 2];

    // AMap places the road 500 m east of the house (GCJ-02); Baidu 10 m from the local answer
    // (BD-09), so Baidu's duplicates the local one and is dropped.
    let road_level = h.address.split(&h.road).next().unwrap().to_string() + &h.road;
    let (_, local) = get(
        &s,
        "/geocode",
        &[("address", &road_level), ("upstream", "never")],
    )
    .await;
    let lc = &local["candidates"][0];
    assert_eq!(lc["level"], "road", "{local}");
    let (lx, ly) = (lc["x"].as_f64().unwrap(), lc["y"].as_f64().unwrap());
    let far = [h.point[0] + 500.0 / 95_300.0, h.point[1]];
    let gcj = s
        .get_json(
            &format!(
                "/coord/convert?from=cgcs2000&to=gcj02&x={}&y={}",
                far[0], far[1]
            ),
            200,
        )
        .await;
    let bd = s
        .get_json(
            &format!(
                "/coord/convert?from=cgcs2000&to=bd09&x={}&y={}",
                lx + 10.0 / 95_300.0,
                ly
            ),
            200,
        )
        .await;
    *answers.lock().unwrap() = (
        json!({"status": "1", "info": "OK", "count": "1", "geocodes": [{
            "formatted_address": "上海市某区某路", "location": format!("{},{}", gcj["x"], gcj["y"]),
            "level": "道路"}]})
        .to_string(),
        json!({"status": 0, "result": {"location": {"lng": bd["x"], "lat": bd["y"]},
            "precise": 0, "confidence": 50, "comprehension": 80, "level": "道路"}})
        .to_string(),
    );
    let (status, v) = get(&s, "/geocode", &[("address", &road_level)]).await;
    assert_eq!(status, 200, "{v}");
    let cs = v["candidates"].as_array().unwrap();
    assert_eq!(cs[0]["source"], "local", "{v}");
    let amap: Vec<&Value> = cs.iter().filter(|c| c["source"] == "amap").collect();
    assert_eq!(amap.len(), 1, "{v}");
    let got = [
        amap[0]["x"].as_f64().unwrap(),
        amap[0]["y"].as_f64().unwrap(),
    ];
    assert!(
        metres(got, far) < 1.0,
        "GCJ-02 back to CGCS2000: {got:?} vs {far:?}"
    );
    assert_eq!(amap[0]["standard_address"], "上海市某区某路");
    assert!(amap[0]["district_code"].is_string(), "{v}");
    assert!(
        cs.iter().all(|c| c["source"] != "baidu"),
        "within 30 m of the local answer: {v}"
    );
    {
        let seen = seen.lock().unwrap();
        assert!(
            seen.iter()
                .any(|t| t.starts_with("/v3/geocode/geo?") && t.contains("key=amap-test-key")),
            "{seen:?}"
        );
        assert!(
            seen.iter()
                .any(|t| t.starts_with("/geocoding/v3/?") && t.contains("ak=baidu-test-ak")),
            "{seen:?}"
        );
    }

    // An exact house answer does not ask (auto); `never` never does; a failing provider is
    // reported and the local answer stands.
    let before = seen.lock().unwrap().len();
    let (_, v) = get(&s, "/geocode", &[("address", &h.address)]).await;
    assert_eq!(v["candidates"][0]["level"], "house", "{v}");
    assert!(
        v["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["source"] == "local")
    );
    let (_, v) = get(
        &s,
        "/geocode",
        &[("address", &road_level), ("upstream", "never")],
    )
    .await;
    assert!(
        v["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["source"] == "local")
    );
    assert_eq!(seen.lock().unwrap().len(), before);
    let down = format!("{road_level}故障");
    let (status, v) = get(
        &s,
        "/geocode",
        &[("address", &down), ("upstream", "always")],
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["upstream_errors"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["candidates"][0]["source"], "local");
}
