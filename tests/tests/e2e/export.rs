//! Layer export (`GET /collections/{layer}/export`) in GeoJSON, CSV, XLSX and GeoPackage,
//! each read back by an independent decoder (serde_json, the `csv` crate, calamine, GDAL)
//! and compared with the item list, `/coord/convert` and a hand-written CQL2 evaluation.

use std::collections::{BTreeSet, HashMap};
use std::io::Cursor;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use calamine::{Data, DataType, Reader, Xlsx, open_workbook_from_rs};
use onemap_e2e::{Backend, TestServer, assert_problem};
use serde_json::{Map, Value, json};
use sqlx::Connection;
use wkt::TryFromWkt;

onemap_e2e::both_backends!(
    geojson_equals_the_item_list_and_follows_crs,
    csv_round_trips_ids_lists_footprints_and_awkward_text,
    xlsx_holds_the_same_rows_as_the_csv,
    gpkg_opens_in_gdal_with_the_same_features,
    cql2_filter_selects_what_a_brute_force_scan_does,
    a_large_export_leaves_other_requests_free,
    bad_requests_are_problems,
);

type Params<'a> = [(&'a str, &'a str)];

async fn get(s: &TestServer, layer: &str, params: &Params<'_>) -> reqwest::Response {
    s.client
        .get(s.url(&format!("/collections/{layer}/export")))
        .query(params)
        .send()
        .await
        .expect("export request")
}

/// An export that must succeed, after checking its download headers: the body and the
/// `Content-Crs`.
async fn export(s: &TestServer, layer: &str, params: &Params<'_>) -> (Vec<u8>, String) {
    let r = get(s, layer, params).await;
    assert_eq!(r.status(), 200, "export {layer} {params:?}");
    let format = params.iter().find(|(k, _)| *k == "format").unwrap().1;
    let h = |n: &str| r.headers()[n].to_str().unwrap().to_string();
    let content_type = match format {
        "geojson" => "application/geo+json",
        "csv" => "text/csv; charset=utf-8",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/geopackage+sqlite3",
    };
    assert_eq!(h("content-type"), content_type);
    assert_eq!(
        h("content-disposition"),
        format!("attachment; filename=\"{layer}.{format}\"")
    );
    let crs = h("content-crs");
    (r.bytes().await.unwrap().to_vec(), crs)
}

async fn export_json(s: &TestServer, layer: &str, params: &Params<'_>) -> Vec<Value> {
    let (body, _) = export(s, layer, params).await;
    let fc: Value = serde_json::from_slice(&body).expect("GeoJSON");
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().unwrap().clone();
    assert_eq!(fc["numberMatched"], features.len());
    features
}

/// Every feature the item list selects with `params` (all on one page).
async fn items(s: &TestServer, layer: &str, params: &Params<'_>) -> Vec<Value> {
    let page: Value = s
        .client
        .get(s.url(&format!("/collections/{layer}/items")))
        .query(params)
        .query(&[("limit", "10000")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let features = page["features"].as_array().unwrap().clone();
    assert_eq!(page["numberMatched"], features.len(), "one page holds them");
    features
}

async fn create(s: &TestServer, layer: &str, f: &Value) -> i64 {
    s.create(layer, f).await["id"].as_i64().unwrap()
}

fn building(serial: u32, lon: f64, lat: f64, props: Value) -> Value {
    let mut p = json!({"code": format!("WZ31011799{serial:06}"), "kind": "新增", "status": "待核查",
        "district_code": "310117", "source": "巡查"});
    p.as_object_mut()
        .unwrap()
        .extend(props.as_object().unwrap().clone());
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": p})
}

/// Every `[x, y]` of a GeoJSON geometry, in document order.
fn positions(g: &Value, out: &mut Vec<[f64; 2]>) {
    match g {
        Value::Object(o) => positions(&o["coordinates"], out),
        Value::Array(a) if a.first().is_some_and(Value::is_number) => {
            out.push([a[0].as_f64().unwrap(), a[1].as_f64().unwrap()])
        }
        Value::Array(a) => a.iter().for_each(|c| positions(c, out)),
        _ => {}
    }
}

/// The positions of a feature's geometry and its footprint.
fn feature_positions(f: &Value) -> Vec<[f64; 2]> {
    let mut out = Vec::new();
    positions(&f["geometry"], &mut out);
    if let Some(fp) = f["properties"].get("footprint") {
        positions(fp, &mut out);
    }
    out
}

fn ids(features: &[Value]) -> Vec<i64> {
    features.iter().map(|f| f["id"].as_i64().unwrap()).collect()
}

async fn geojson_equals_the_item_list_and_follows_crs(b: Backend) {
    let s = TestServer::with_sample_data(b).await;
    let selections: [&Params; 2] = [
        &[("bbox", "121.3,31.0,121.6,31.3"), ("status", "待核查")],
        &[
            ("bbox", "121.4,31.15,121.55,31.3"),
            ("bbox-crs", "gcj02"),
            ("kind", "存量"),
        ],
    ];
    for sel in selections {
        let listed = items(&s, "illegal_buildings", sel).await;
        let exported = export_json(
            &s,
            "illegal_buildings",
            &[sel, &[("format", "geojson")]].concat(),
        )
        .await;
        assert!(listed.len() > 20, "{sel:?} selects some: {}", listed.len());
        assert_eq!(exported, listed, "{sel:?}");
    }

    // In Shanghai 2000 metres: the positions /coord/convert gives for the originals.
    let sel = selections[0];
    let listed = items(&s, "illegal_buildings", sel).await;
    let params = [sel, &[("format", "geojson"), ("crs", "sh2000")]].concat();
    let (body, crs) = export(&s, "illegal_buildings", &params).await;
    assert_eq!(crs, "sh2000");
    let fc: Value = serde_json::from_slice(&body).unwrap();
    let exported = fc["features"].as_array().unwrap();
    assert_eq!(ids(exported), ids(&listed));
    let originals: Vec<[f64; 2]> = listed.iter().flat_map(feature_positions).collect();
    let converted: Vec<[f64; 2]> = exported.iter().flat_map(feature_positions).collect();
    assert!(
        listed
            .iter()
            .any(|f| f["properties"].get("footprint").is_some()),
        "footprints are converted too"
    );
    let want = s
        .post_json(
            "/coord/convert",
            &json!({"from": "cgcs2000", "to": "sh2000", "points": originals}),
        )
        .await;
    let want = want["points"].as_array().unwrap();
    assert_eq!(converted.len(), want.len());
    for ((got, w), o) in converted.iter().zip(want).zip(&originals) {
        assert!(
            (got[0] - o[0]).abs() > 1.0,
            "plane metres, not degrees: {got:?}"
        );
        let w = [w[0].as_f64().unwrap(), w[1].as_f64().unwrap()];
        assert!(
            (got[0] - w[0]).abs() < 1e-6 && (got[1] - w[1]).abs() < 1e-6,
            "{got:?} vs {w:?}"
        );
    }
    for (e, l) in exported.iter().zip(&listed) {
        let strip = |f: &Value| {
            let mut p = f["properties"].as_object().unwrap().clone();
            p.remove("footprint");
            p
        };
        assert_eq!(strip(e), strip(l), "properties are untouched");
    }
}

/// A CSV export: its header and rows, after checking the byte-order mark.
fn parse_csv(body: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let text = body
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("UTF-8 byte-order mark first");
    let mut r = csv::Reader::from_reader(text);
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// A property as the CSV should hold it.
fn csv_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect::<Vec<_>>()
            .join(";"),
        Some(v) => v.to_string(),
    }
}

async fn csv_round_trips_ids_lists_footprints_and_awkward_text(b: Backend) {
    let s = TestServer::with_sample_data(b).await;
    let awkward = "松江区示例路1号, \"北门\"\n二层";
    let footprint = json!({"type": "Polygon", "coordinates": [[[121.2001, 31.0301], [121.2003, 31.0301],
        [121.2003, 31.0303], [121.2001, 31.0303], [121.2001, 31.0301]]]});
    let id = create(
        &s,
        "illegal_buildings",
        &building(
            1,
            121.2002,
            31.0302,
            json!({"address": awkward, "footprint": footprint, "area_m2": 380.5}),
        ),
    )
    .await;

    let sel: &Params = &[("status", "待核查")];
    let listed = items(&s, "illegal_buildings", sel).await;
    assert!(listed.len() > 200, "{}", listed.len());
    let (body, crs) = export(
        &s,
        "illegal_buildings",
        &[sel, &[("format", "csv")]].concat(),
    )
    .await;
    assert_eq!(crs, "cgcs2000");
    let (header, rows) = parse_csv(&body);
    assert_eq!(
        header,
        [
            "id",
            "lon",
            "lat",
            "code",
            "kind",
            "status",
            "address",
            "district_code",
            "township_code",
            "area_m2",
            "source",
            "found_on",
            "geocode_level",
            "geocode_confidence",
            "footprint_wkt"
        ]
    );
    assert_eq!(rows.len(), listed.len(), "a row per matched feature");
    let mut footprints = 0;
    for (row, f) in rows.iter().zip(&listed) {
        assert_eq!(row[0], f["id"].to_string());
        let c = &f["geometry"]["coordinates"];
        assert_eq!(row[1].parse::<f64>().unwrap(), c[0].as_f64().unwrap());
        assert_eq!(row[2].parse::<f64>().unwrap(), c[1].as_f64().unwrap());
        let props = f["properties"].as_object().unwrap();
        let fp_col = header.len() - 1;
        for (name, cell) in header[3..fp_col].iter().zip(&row[3..fp_col]) {
            match props.get(name) {
                Some(Value::Number(n)) => {
                    assert_eq!(cell.parse::<f64>().unwrap(), n.as_f64().unwrap())
                }
                v => assert_eq!(*cell, csv_text(v), "{name} of {}", f["id"]),
            }
        }
        match props.get("footprint") {
            None => assert_eq!(row[fp_col], ""),
            Some(fp) => {
                footprints += 1;
                let parsed =
                    geo::Polygon::<f64>::try_from_wkt_str(&row[fp_col]).expect("WKT polygon");
                let mut want = Vec::new();
                positions(fp, &mut want);
                let got: Vec<[f64; 2]> = parsed.exterior().coords().map(|c| [c.x, c.y]).collect();
                assert_eq!(got.len(), want.len());
                for (g, w) in got.iter().zip(&want) {
                    assert!((g[0] - w[0]).abs() < 1e-9 && (g[1] - w[1]).abs() < 1e-9);
                }
            }
        }
    }
    assert!(footprints > 20, "footprints checked: {footprints}");
    let mine = rows.iter().find(|r| r[0] == id.to_string()).unwrap();
    assert_eq!(mine[6], awkward, "comma, quote and newline survive");

    let listed = items(&s, "video_points", &[]).await;
    let (body, _) = export(&s, "video_points", &[("format", "csv")]).await;
    let (header, rows) = parse_csv(&body);
    let tags = header.iter().position(|h| h == "tags").unwrap();
    assert_eq!(rows.len(), listed.len());
    assert!(
        rows.iter().any(|r| r[tags].contains(';')),
        "some lists have several tags"
    );
    for (row, f) in rows.iter().zip(&listed) {
        assert_eq!(row[0], f["id"].to_string());
        assert_eq!(row[tags], csv_text(f["properties"].get("tags")));
    }
}

/// A cell as calamine reads it, written the way the CSV writes the same value.
fn xlsx_text(d: &Data, csv: &str) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        // A date column holds YYYY-MM-DD; a datetime RFC 3339 in +08:00.
        Data::DateTime(_) if csv.len() == 10 => d.as_date().unwrap().to_string(),
        Data::DateTime(_) => d
            .as_datetime()
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%S+08:00")
            .to_string(),
        other => panic!("unexpected cell {other:?}"),
    }
}

/// A layer exported both ways, with the columns that must be Excel numbers and dates.
struct Sheet {
    layer: &'static str,
    title: &'static str,
    selection: &'static Params<'static>,
    numbers: &'static [&'static str],
    dates: &'static [&'static str],
}

async fn xlsx_holds_the_same_rows_as_the_csv(b: Backend) {
    let s = TestServer::with_sample_data(b).await;
    let cases = [
        Sheet {
            layer: "illegal_buildings",
            title: "无证建筑",
            selection: &[("bbox", "121.3,31.1,121.5,31.3")],
            numbers: &["id", "lon", "lat", "area_m2"],
            dates: &["found_on"],
        },
        Sheet {
            layer: "patrol_tracks",
            title: "巡护轨迹",
            selection: &[],
            numbers: &["id", "length_m"],
            dates: &["started_at", "ended_at"],
        },
        Sheet {
            layer: "video_points",
            title: "视频点位",
            selection: &[("crs", "sh2000")],
            numbers: &["id", "x", "y", "bearing"],
            dates: &[],
        },
    ];
    for Sheet {
        layer,
        title,
        selection: sel,
        numbers,
        dates,
    } in cases
    {
        let (csv, _) = export(&s, layer, &[sel, &[("format", "csv")]].concat()).await;
        let (header, rows) = parse_csv(&csv);
        let (xlsx, _) = export(&s, layer, &[sel, &[("format", "xlsx")]].concat()).await;
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).expect("an xlsx file");
        assert_eq!(book.sheet_names(), [title], "one sheet named by the title");
        let range = book.worksheet_range(title).unwrap();
        let mut sheet = range.rows();
        let head: Vec<String> = sheet
            .next()
            .unwrap()
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert_eq!(head, header, "{layer}: same columns");
        let mut n = 0;
        for (cells, row) in sheet.zip(&rows) {
            for ((d, c), name) in cells.iter().zip(row).zip(&header) {
                assert_eq!(xlsx_text(d, c), *c, "{layer} {name} of {}", row[0]);
                let name = name.as_str();
                if !d.is_empty() && numbers.contains(&name) {
                    assert!(d.is_float() || d.is_int(), "{name} is a number: {d:?}");
                }
                if !d.is_empty() && dates.contains(&name) {
                    assert!(d.is_datetime(), "{name} is a date: {d:?}");
                }
            }
            n += 1;
        }
        assert_eq!(n, rows.len(), "{layer}: same row count");
        assert!(n > 50, "{layer}: {n} rows");
    }
}

/// The features of an SQL query over a GeoPackage, as GDAL's GeoJSON writer renders them.
fn ogr_features(gpkg: &Path, sql: &str) -> Vec<Value> {
    let out = Command::new("ogr2ogr")
        .args(["-f", "GeoJSON", "/vsistdout/"])
        .arg(gpkg)
        .args(["-sql", sql])
        .output()
        .expect("ogr2ogr runs");
    assert!(
        out.status.success(),
        "ogr2ogr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fc: Value = serde_json::from_slice(&out.stdout).expect("GeoJSON from ogr2ogr");
    fc["features"].as_array().unwrap().clone()
}

async fn gpkg_opens_in_gdal_with_the_same_features(b: Backend) {
    let s = TestServer::with_sample_data(b).await;
    let sel: &Params = &[("bbox", "121.2,31.0,121.5,31.3"), ("kind", "新增")];
    let listed = items(&s, "illegal_buildings", sel).await;
    let r = get(
        &s,
        "illegal_buildings",
        &[sel, &[("format", "gpkg")]].concat(),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/geopackage+sqlite3"
    );
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"illegal_buildings.gpkg\""
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.gpkg");
    std::fs::write(&file, r.bytes().await.unwrap()).unwrap();

    let layers = onemap_e2e::ogrinfo(&file);
    let (count, summary) = &layers["illegal_buildings"];
    assert_eq!(*count as usize, listed.len());
    assert!(listed.len() > 20);
    assert!(summary.contains("4490"), "CGCS2000: {summary}");
    let with_footprint: Vec<&Value> = listed
        .iter()
        .filter(|f| f["properties"].get("footprint").is_some())
        .collect();
    assert_eq!(
        layers["illegal_buildings_footprint"].0 as usize,
        with_footprint.len()
    );

    let by_code = |fs: &[Value]| -> HashMap<String, Value> {
        fs.iter()
            .map(|f| {
                (
                    f["properties"]["code"].as_str().unwrap().to_string(),
                    f.clone(),
                )
            })
            .collect()
    };
    let read = by_code(&ogr_features(&file, "SELECT * FROM illegal_buildings"));
    assert_eq!(read.len(), listed.len());
    for f in &listed {
        let code = f["properties"]["code"].as_str().unwrap();
        let g = &read[code];
        let mut want: Map<String, Value> = f["properties"].as_object().unwrap().clone();
        want.remove("footprint");
        let got: Map<String, Value> = g["properties"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, v)| !k.starts_with('_') && (want.contains_key(*k) || !v.is_null()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(got, want, "properties of {code}");
        same_geometry(&g["geometry"], &f["geometry"], code);
    }
    let footprints = by_code(&ogr_features(
        &file,
        "SELECT b.code, f.geom FROM illegal_buildings b \
         JOIN illegal_buildings_footprint f ON f.fid = b.fid",
    ));
    for f in with_footprint {
        let code = f["properties"]["code"].as_str().unwrap();
        same_geometry(
            &footprints[code]["geometry"],
            &f["properties"]["footprint"],
            code,
        );
    }
}

/// Same type and positions within 1e-9° (GDAL writes 15 significant digits).
fn same_geometry(got: &Value, want: &Value, what: &str) {
    assert_eq!(got["type"], want["type"], "{what}");
    let (mut g, mut w) = (Vec::new(), Vec::new());
    positions(got, &mut g);
    positions(want, &mut w);
    assert_eq!(g.len(), w.len(), "{what}");
    for (a, b) in g.iter().zip(&w) {
        assert!(
            (a[0] - b[0]).abs() < 1e-9 && (a[1] - b[1]).abs() < 1e-9,
            "{what}: {a:?} vs {b:?}"
        );
    }
}

/// The ids of the features `keep` holds for.
fn brute_force(features: &[Value], keep: impl Fn(&Map<String, Value>) -> bool) -> BTreeSet<i64> {
    features
        .iter()
        .filter(|f| keep(f["properties"].as_object().unwrap()))
        .map(|f| f["id"].as_i64().unwrap())
        .collect()
}

async fn cql2_filter_selects_what_a_brute_force_scan_does(b: Backend) {
    let s = TestServer::with_sample_data(b).await;
    // Nulls, for the three-valued logic: no area, no date found, no address.
    create(
        &s,
        "illegal_buildings",
        &building(2, 121.3, 31.1, json!({"found_on": "2023-03-01"})),
    )
    .await;
    create(
        &s,
        "illegal_buildings",
        &building(3, 121.31, 31.1, json!({"kind": "存量", "area_m2": 150.0})),
    )
    .await;
    create(
        &s,
        "illegal_buildings",
        &building(4, 121.32, 31.1, json!({"kind": "存量", "address": "某路"})),
    )
    .await;

    let all = export_json(&s, "illegal_buildings", &[("format", "geojson")]).await;
    assert!(all.len() > 20_000);
    let s_ = |p: &Map<String, Value>, k: &str| p.get(k).and_then(Value::as_str).map(String::from);
    let n = |p: &Map<String, Value>, k: &str| p.get(k).and_then(Value::as_f64);
    let cases: Vec<(&str, BTreeSet<i64>)> = vec![
        (
            "status = '待核查' AND area_m2 > 100",
            brute_force(&all, |p| {
                s_(p, "status").as_deref() == Some("待核查")
                    && n(p, "area_m2").is_some_and(|a| a > 100.0)
            }),
        ),
        (
            "kind <> '新增' AND (address LIKE '%路%' OR district_code IN ('310104', '310115'))",
            brute_force(&all, |p| {
                s_(p, "kind").as_deref() != Some("新增")
                    && (s_(p, "address").is_some_and(|a| a.contains('路'))
                        || matches!(s_(p, "district_code").as_deref(), Some("310104" | "310115")))
            }),
        ),
        (
            "found_on BETWEEN DATE('2023-01-01') AND DATE('2023-06-30') OR NOT (source IN ('网格化', '12345'))",
            brute_force(&all, |p| {
                s_(p, "found_on")
                    .is_some_and(|d| ("2023-01-01".."2023-07-01").contains(&d.as_str()))
                    || !matches!(s_(p, "source").as_deref(), Some("网格化" | "12345"))
            }),
        ),
        (
            "area_m2 IS NULL OR found_on IS NULL",
            brute_force(&all, |p| {
                n(p, "area_m2").is_none() || s_(p, "found_on").is_none()
            }),
        ),
    ];
    for (filter, want) in &cases {
        let got = export_json(
            &s,
            "illegal_buildings",
            &[("format", "geojson"), ("filter", *filter)],
        )
        .await;
        assert!(
            !want.is_empty() && want.len() < all.len(),
            "{filter}: {}",
            want.len()
        );
        assert_eq!(
            ids(&got).into_iter().collect::<BTreeSet<_>>(),
            *want,
            "{filter}"
        );
    }

    // With bbox and property equality too, and in CSV.
    let (x0, y0, x1, y1) = (121.2, 31.0, 121.6, 31.3);
    let bbox = format!("{x0},{y0},{x1},{y1}");
    let filter = cases[0].0;
    let want: BTreeSet<i64> = all
        .iter()
        .filter(|f| {
            let c = &f["geometry"]["coordinates"];
            let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            x >= x0 && x <= x1 && y >= y0 && y <= y1 && f["properties"]["source"] == "巡查"
        })
        .map(|f| f["id"].as_i64().unwrap())
        .filter(|id| cases[0].1.contains(id))
        .collect();
    assert!(!want.is_empty());
    let (body, _) = export(
        &s,
        "illegal_buildings",
        &[
            ("format", "csv"),
            ("filter", filter),
            ("bbox", &bbox),
            ("source", "巡查"),
        ],
    )
    .await;
    let (_, rows) = parse_csv(&body);
    let got: BTreeSet<i64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(got, want);

    let videos = export_json(&s, "video_points", &[("format", "geojson")]).await;
    let filter = "tags = '森林防火' AND bearing >= 180";
    let want = brute_force(&videos, |p| {
        p["tags"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("森林防火")))
            && n(p, "bearing").is_some_and(|b| b >= 180.0)
    });
    let got = export_json(
        &s,
        "video_points",
        &[("format", "geojson"), ("filter", filter)],
    )
    .await;
    assert!(!want.is_empty());
    assert_eq!(
        ids(&got).into_iter().collect::<BTreeSet<_>>(),
        want,
        "{filter}"
    );
}

/// Encoding 20,000 features takes a while; the server answers other requests meanwhile.
async fn a_large_export_leaves_other_requests_free(b: Backend) {
    let s = TestServer::with_sample_data(b).await;
    let started = Instant::now();
    let big = tokio::spawn(
        s.client
            .get(s.url("/collections/illegal_buildings/export?format=xlsx"))
            .send(),
    );
    let (mut worst, mut n) = (Duration::ZERO, 0);
    while !big.is_finished() {
        let t = Instant::now();
        let r = s.client.get(s.url("/health")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        worst = worst.max(t.elapsed());
        n += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let took = started.elapsed();
    let r = big.await.unwrap().unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().len() > 100_000);
    assert!(n >= 3, "{n} health checks during a {took:?} export");
    assert!(
        worst < took / 3,
        "a health check waited {worst:?} during a {took:?} export"
    );
}

async fn bad_requests_are_problems(b: Backend) {
    let s = TestServer::empty(b).await;
    let bad: [(&str, &Params, u16, &str); 9] = [
        ("illegal_buildings", &[("format", "shp")], 400, "format"),
        ("illegal_buildings", &[], 400, "format"),
        (
            "illegal_buildings",
            &[("format", "csv"), ("filter", "statu = 'x'")],
            400,
            "column 1",
        ),
        (
            "illegal_buildings",
            &[
                ("format", "csv"),
                ("filter", "status = '待核查' AND area_m2 > 'big'"),
            ],
            400,
            "column",
        ),
        (
            "illegal_buildings",
            &[("format", "gpkg"), ("crs", "gcj02")],
            400,
            "4490",
        ),
        ("no_such_layer", &[("format", "csv")], 404, "no_such_layer"),
        (
            "illegal_buildings",
            &[("format", "csv"), ("colour", "red")],
            400,
            "colour",
        ),
        (
            "illegal_buildings",
            &[("format", "csv"), ("bbox", "1,2,3")],
            400,
            "bbox",
        ),
        (
            "illegal_buildings",
            &[("format", "csv"), ("crs", "mars")],
            400,
            "crs",
        ),
    ];
    for (layer, params, status, names) in bad {
        let p = assert_problem(get(&s, layer, params).await, status).await;
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains(names), "{params:?}: {detail}");
    }
    let p = assert_problem(
        get(
            &s,
            "illegal_buildings",
            &[
                ("format", "geojson"),
                ("filter", "status = '待核查' AND colour = 1"),
            ],
        )
        .await,
        400,
    )
    .await;
    assert_eq!(p["column"], 20, "{p}");
}

/// A `serve: database` layer is read from PostGIS in pages: an export larger than one page
/// holds every feature once, in id order (PostGIS only: GeoPackage cannot serve such layers).
#[tokio::test]
async fn a_database_layer_exports_across_pages() {
    let Some(b) = Backend::fresh_postgis().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("layers")).unwrap();
    let layer = json!({"id": "points_db", "title": "点", "geometry": "Point", "serve": "database",
        "properties": [{"name": "n", "type": "integer"}, {"name": "tags", "type": "string_list"}]});
    std::fs::write(dir.path().join("layers/points_db.json"), layer.to_string()).unwrap();
    let mut cfg = onemap_e2e::config(dir.path().to_path_buf(), false);
    cfg.database_url = b
        .database_url()
        .map(|u| onemap_api::DatabaseUrl(u.to_string()));
    let s = TestServer::with_config(cfg, dir).await;
    // More than a page (10,000), written straight into the table the server reads.
    const N: i64 = 12_345;
    let mut db = sqlx::PgConnection::connect(b.database_url().unwrap())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO onemap.points_db (geom, n, tags) \
         SELECT ST_SetSRID(ST_MakePoint(121.0 + (i % 100) * 0.01, 31.0 + (i / 100) * 0.005), 4490), \
                i, ARRAY['t' || (i % 3)::text, 'all'] \
         FROM generate_series(1, $1) AS i",
    )
    .bind(N)
    .execute(&mut db)
    .await
    .unwrap();

    let (body, _) = export(&s, "points_db", &[("format", "csv")]).await;
    let (header, rows) = parse_csv(&body);
    assert_eq!(header, ["id", "lon", "lat", "n", "tags"]);
    let ns: Vec<i64> = rows.iter().map(|r| r[3].parse().unwrap()).collect();
    assert_eq!(
        ns,
        (1..=N).collect::<Vec<_>>(),
        "every feature once, in id order"
    );
    assert_eq!(rows[0][4], "t1;all");

    let (body, _) = export(
        &s,
        "points_db",
        &[("format", "csv"), ("tags", "t0"), ("filter", "n > 5000")],
    )
    .await;
    let (_, rows) = parse_csv(&body);
    let ns: BTreeSet<i64> = rows.iter().map(|r| r[3].parse().unwrap()).collect();
    assert_eq!(ns, (5001..=N).filter(|i| i % 3 == 0).collect());
}
