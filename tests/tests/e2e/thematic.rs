//! Thematic maps over HTTP: roll-ups checked against the items API's own filters, Jenks
//! breaks against a brute-force optimum, tiles decoded independently, bad requests.

use onemap_api::DatabaseUrl;
use onemap_e2e::mvt::{decode, tile_of};
use onemap_e2e::{Backend, TestServer, assert_problem, config};
use serde_json::json;

onemap_e2e::both_backends!(district_rollups_classes_legend_and_tiles);

/// A layer with no district code: placed by point-in-polygon against the district outlines.
const POIS: &str = r#"{ "id": "pois", "title": "兴趣点", "geometry": "Point",
  "properties": [ { "name": "name", "type": "string" }, { "name": "visitors", "type": "integer" } ] }"#;

async fn server(b: Backend) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("layers")).unwrap();
    std::fs::write(dir.path().join("layers/pois.json"), POIS).unwrap();
    let mut cfg = config(dir.path().to_path_buf(), true);
    cfg.database_url = b.database_url().map(|u| DatabaseUrl(u.to_string()));
    TestServer::with_config(cfg, dir).await
}

/// The smallest total within-class sum of squared deviations over every way of cutting the
/// sorted values into `k` contiguous classes: the optimum Jenks must reach.
fn best_ssd(sorted: &[f64], k: usize) -> f64 {
    fn ssd(v: &[f64]) -> f64 {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| (x - m).powi(2)).sum()
    }
    fn go(v: &[f64], k: usize) -> f64 {
        if k == 1 {
            return ssd(v);
        }
        (1..=v.len() - (k - 1))
            .map(|i| ssd(&v[..i]) + go(&v[i..], k - 1))
            .fold(f64::INFINITY, f64::min)
    }
    go(sorted, k)
}

/// The within-class SSD of `values` classed by `bounds` (class i: (b[i], b[i+1]], the first closed).
fn ssd_of(values: &[f64], bounds: &[f64]) -> f64 {
    let mut groups = vec![Vec::new(); bounds.len() - 1];
    for &v in values {
        let i = (1..bounds.len() - 1)
            .find(|&i| v <= bounds[i])
            .map_or(bounds.len() - 2, |i| i - 1);
        groups[i].push(v);
    }
    groups
        .iter()
        .filter(|g| !g.is_empty())
        .map(|g: &Vec<f64>| {
            let m = g.iter().sum::<f64>() / g.len() as f64;
            g.iter().map(|x| (x - m).powi(2)).sum::<f64>()
        })
        .sum()
}

async fn district_rollups_classes_legend_and_tiles(b: Backend) {
    let s = server(b).await;
    let t = s
        .get_json(
            "/thematic?layer=illegal_buildings&by=district&value=count&method=jenks&classes=5",
            200,
        )
        .await;
    let units = t["units"].as_array().unwrap();
    assert_eq!(units.len(), 16);
    // Each district's count equals what the items API's filter finds.
    let mut total = 0;
    for u in units {
        let code = u["code"].as_str().unwrap();
        let page = s
            .get_json(
                &format!("/collections/illegal_buildings/items?district_code={code}&limit=0"),
                200,
            )
            .await;
        assert_eq!(u["features"], page["numberMatched"], "{code}");
        assert_eq!(u["value"].as_f64(), page["numberMatched"].as_f64());
        total += u["features"].as_u64().unwrap();
    }
    assert_eq!(
        total + t["unassigned"].as_u64().unwrap(),
        s.count("illegal_buildings").await
    );
    // Breaks: 6 bounds, min to max, optimal within-class variance.
    let mut values: Vec<f64> = units.iter().map(|u| u["value"].as_f64().unwrap()).collect();
    values.sort_by(f64::total_cmp);
    let bounds: Vec<f64> = t["breaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(bounds.len(), 6);
    assert_eq!((bounds[0], bounds[5]), (values[0], values[15]));
    let (got, best) = (ssd_of(&values, &bounds), best_ssd(&values, 5));
    assert!(
        (got - best).abs() <= 1e-9 * best.max(1.0),
        "Jenks SSD {got} vs optimum {best}"
    );
    // Legend: 5 classes with colours from the ramp, counting every unit once.
    let legend = t["legend"].as_array().unwrap();
    assert_eq!(legend.len(), 5);
    assert_eq!(
        legend
            .iter()
            .map(|l| l["units"].as_u64().unwrap())
            .sum::<u64>(),
        16
    );
    assert!(
        legend
            .iter()
            .all(|l| l["color"].as_str().unwrap().starts_with('#'))
    );
    for u in units {
        let (v, class) = (
            u["value"].as_f64().unwrap(),
            u["class"].as_u64().unwrap() as usize,
        );
        let l = &legend[class];
        assert!(v <= l["to"].as_f64().unwrap() && (v > l["from"].as_f64().unwrap() || class == 0));
    }
    assert_eq!(t["style_layer"]["type"], "fill");
    assert_eq!(t["style_layer"]["source-layer"], "thematic");

    // Sums and averages agree with each other; quantile and manual classify the same values.
    let sum = s
        .get_json(
            "/thematic?layer=illegal_buildings&value=sum:area_m2&method=quantile&classes=4",
            200,
        )
        .await;
    let avg = s
        .get_json(
            "/thematic?layer=illegal_buildings&value=avg:area_m2&method=equal&classes=3&ramp=reds",
            200,
        )
        .await;
    for (su, au) in sum["units"]
        .as_array()
        .unwrap()
        .iter()
        .zip(avg["units"].as_array().unwrap())
    {
        assert_eq!(su["code"], au["code"]);
        if let Some(a) = au["value"].as_f64() {
            let n = su["features"].as_f64().unwrap();
            assert!((a * n - su["value"].as_f64().unwrap()).abs() < 1e-6 * a * n + 1e-6);
        }
    }
    let manual = s
        .get_json(
            "/thematic?layer=illegal_buildings&method=manual&breaks=1000,1500&ramp=greens",
            200,
        )
        .await;
    assert_eq!(manual["classes"], 3);
    assert_eq!(manual["breaks"][1], 1000.0);

    // Townships roll up by their code; a layer without one cannot.
    let tw = s
        .get_json(
            "/thematic?layer=illegal_buildings&by=township&classes=3",
            200,
        )
        .await;
    assert_eq!(tw["units"].as_array().unwrap().len(), 234);
    assert_eq!(tw["style_layer"]["type"], "circle");

    // Point-in-polygon for a layer without a district code: People's Square and Xintiandi are in Huangpu.
    for (i, (lon, lat)) in [
        (121.4752, 31.2317),
        (121.4760, 31.2320),
        (121.4800, 31.2100),
    ]
    .iter()
    .enumerate()
    {
        let r = s
            .client
            .post(s.url("/collections/pois/items"))
            .json(
                &json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                          "properties": {"name": format!("点{i}"), "visitors": 100 * (i + 1)}}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let p = s
        .get_json(
            "/thematic?layer=pois&value=sum:visitors&method=equal&classes=3",
            200,
        )
        .await;
    let huangpu = p["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == "310101")
        .unwrap();
    assert_eq!(huangpu["features"], 3, "{p}");
    assert_eq!(huangpu["value"], 600.0);

    // Tiles carry each unit's value and class, as the JSON says.
    let (x, y) = tile_of(121.47, 31.23, 9);
    let q = "layer=illegal_buildings&by=district&value=count&method=jenks&classes=5";
    let r = s
        .client
        .get(s.url(&format!("/thematic/tiles/9/{x}/{y}.mvt?{q}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let layers = decode(r.bytes().await.unwrap().to_vec());
    assert_eq!(layers[0].0, "thematic");
    assert!(layers[0].1.len() >= 5, "central districts in the tile");
    for f in &layers[0].1 {
        let props = f.properties.as_ref().unwrap();
        let code = match &props["code"] {
            mvt_reader::feature::Value::String(c) => c.clone(),
            v => panic!("code {v:?}"),
        };
        let u = units.iter().find(|u| u["code"] == code.as_str()).unwrap();
        let class = format!("{:?}", props["class"]);
        assert!(
            class.contains(&u["class"].to_string()),
            "{class} vs {}",
            u["class"]
        );
    }

    // Bad requests.
    for (q, status) in [
        ("layer=nope", 404),
        ("", 400),
        ("layer=illegal_buildings&by=city", 400),
        ("layer=illegal_buildings&value=sum:kind", 400),
        ("layer=illegal_buildings&value=sum:ghost", 400),
        ("layer=illegal_buildings&value=median", 400),
        ("layer=illegal_buildings&method=manual&classes=3", 400),
        ("layer=illegal_buildings&method=manual&breaks=9,1", 400),
        ("layer=illegal_buildings&classes=12", 400),
        ("layer=illegal_buildings&ramp=rainbow", 400),
        ("layer=illegal_buildings&colour=red", 400),
        ("layer=forest_stands&by=township", 400),
    ] {
        let r = s
            .client
            .get(s.url(&format!("/thematic?{q}")))
            .send()
            .await
            .unwrap();
        assert_problem(r, status).await;
    }
    for bad in ["30/0/0.mvt", "abc/0/0.mvt", "9/-1/0.mvt"] {
        let r = s
            .client
            .get(s.url(&format!("/thematic/tiles/{bad}?{q}")))
            .send()
            .await
            .unwrap();
        assert_problem(r, 400).await;
    }
}
