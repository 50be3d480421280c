//! Imports of GIS files and large imports over HTTP: zipped Shapefiles (GBK attributes with and
//! without a .cpg, the CRS from the .prj) and GeoPackages, both written by GDAL's ogr2ogr as an
//! independent producer; bad archives; a 20,000-row CSV as a background job watched through
//! `GET /jobs/{id}` and its event stream; an oversized upload.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use onemap_e2e::{Backend, TestServer, assert_problem};
use serde_json::{Value, json};

onemap_e2e::both_backends!(
    shapefiles_gbk_prj_and_bad_archives,
    geopackages_from_gdal,
    large_import_as_a_job_with_progress_events,
);

const LAYER: &str = "/collections/illegal_buildings";

/// Three buildings in Xuhui with Chinese text, a date and a number, as GeoJSON (CGCS2000).
fn buildings(first: u32) -> Value {
    let features: Vec<Value> = (0..3)
        .map(|i| {
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [121.43 + 0.004 * f64::from(i), 31.18 + 0.003 * f64::from(i)]},
                "properties": {
                    "code": format!("WZ310104{:08}", first + i),
                    "kind": "新增",
                    "status": "待核查",
                    "address": format!("徐汇区漕溪北路{}号", 100 + i),
                    "district_code": "310104",
                    "township_code": "310104003",
                    "area_m2": 12.5 * f64::from(i + 1),
                    "source": "普查",
                    "found_on": "2026-03-01",
                }
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

/// Runs ogr2ogr with `args`, writing `input` (GeoJSON) to a file first.
fn ogr2ogr(dir: &Path, input: &Value, args: &[&str]) {
    let src = dir.join("in.geojson");
    std::fs::write(&src, input.to_string()).unwrap();
    let out = Command::new("ogr2ogr")
        .args(args)
        .arg(&src)
        .output()
        .expect("ogr2ogr runs (Debian gdal-bin; scripts/setup.sh test installs it)");
    assert!(
        out.status.success(),
        "ogr2ogr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The files `dir/{stem}.*` in a zip archive, minus any extension in `leave_out`.
fn zip_shapefile(dir: &Path, stem: &str, leave_out: &[&str]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut buf);
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let ext = p
            .extension()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if p.file_stem().unwrap() != stem || leave_out.contains(&ext.as_str()) {
            continue;
        }
        z.start_file(
            format!("{stem}/{stem}.{ext}"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        z.write_all(&std::fs::read(&p).unwrap()).unwrap();
    }
    z.finish().unwrap();
    buf.into_inner()
}

async fn import(s: &TestServer, query: &str, body: Vec<u8>) -> reqwest::Response {
    s.client
        .post(s.url(&format!("{LAYER}/import?{query}")))
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The stored features with these codes equal the GeoJSON ones (coordinates to 1e-7°).
async fn assert_stored(s: &TestServer, want: &Value) {
    for f in want["features"].as_array().unwrap() {
        let code = f["properties"]["code"].as_str().unwrap();
        let got = s.get_json(&format!("{LAYER}/items?code={code}"), 200).await;
        let g = &got["features"][0];
        assert_eq!(got["numberMatched"], 1, "{code}: {got}");
        for k in [
            "address",
            "district_code",
            "township_code",
            "kind",
            "found_on",
        ] {
            assert_eq!(g["properties"][k], f["properties"][k], "{code} {k}");
        }
        assert_eq!(g["properties"]["area_m2"], f["properties"]["area_m2"]);
        for i in 0..2 {
            let (a, b) = (
                g["geometry"]["coordinates"][i].as_f64().unwrap(),
                f["geometry"]["coordinates"][i].as_f64().unwrap(),
            );
            assert!((a - b).abs() < 1e-7, "{code}: {a} vs {b}");
        }
    }
}

async fn shapefiles_gbk_prj_and_bad_archives(b: Backend) {
    let s = TestServer::empty(b).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // GBK attributes with a .cpg, projected to Web Mercator: the .prj carries the CRS, and
    // dBase truncates district_code/township_code to 10 characters.
    let a = buildings(101);
    let shp = d.join("a.shp");
    ogr2ogr(
        d,
        &a,
        &[
            "-f",
            "ESRI Shapefile",
            "-lco",
            "ENCODING=GBK",
            "-s_srs",
            "EPSG:4490",
            "-t_srs",
            "EPSG:3857",
            shp.to_str().unwrap(),
        ],
    );
    let r = import(&s, "format=shp&mode=commit", zip_shapefile(d, "a", &[])).await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["created_total"], 3, "{v}");
    assert_stored(&s, &a).await;
    // GBK attributes without a .cpg, CGCS2000 degrees.
    let bb = buildings(201);
    let shp = d.join("b.shp");
    ogr2ogr(
        d,
        &bb,
        &[
            "-f",
            "ESRI Shapefile",
            "-lco",
            "ENCODING=GBK",
            "-a_srs",
            "EPSG:4490",
            shp.to_str().unwrap(),
        ],
    );
    let dbf = std::fs::read(d.join("b.dbf")).unwrap();
    assert!(std::str::from_utf8(&dbf).is_err(), "the .dbf really is GBK");
    let zipped = zip_shapefile(d, "b", &["cpg"]);
    let v: Value = import(&s, "format=shp&mode=validate", zipped.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (v["rows"].as_u64(), v["new"].as_u64()),
        (Some(3), Some(3)),
        "{v}"
    );
    assert_eq!(
        import(&s, "format=shp&mode=commit", zipped.clone())
            .await
            .status(),
        201
    );
    assert_stored(&s, &bb).await;
    // Committing the same archive again changes nothing.
    let v: Value = import(&s, "format=shp&mode=commit", zipped.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["unchanged"], 3, "{v}");
    assert_eq!(s.count("illegal_buildings").await, 6);
    // Bad archives are named 422s and write nothing.
    // The same files with a .prj of a local grid that names no known system.
    let prj = r#"PROJCS["Local grid",GEOGCS["Unknown",DATUM["D",SPHEROID["S",6378137,298.257]],PRIMEM["G",0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],UNIT["Meter",1]]"#;
    std::fs::write(d.join("c.prj"), prj).unwrap();
    for ext in ["shp", "shx", "dbf"] {
        std::fs::copy(d.join(format!("b.{ext}")), d.join(format!("c.{ext}"))).unwrap();
    }
    let local = zip_shapefile(d, "c", &[]);
    for (body, says) in [
        (zipped[..zipped.len() / 2].to_vec(), "zip"),
        (b"PK\x03\x04 not really".to_vec(), "zip"),
        (zip_shapefile(d, "b", &["shp", "shx"]), "no .shp"),
        (local.clone(), "crs="),
    ] {
        let p = assert_problem(import(&s, "format=shp&mode=commit", body).await, 422).await;
        assert!(p.to_string().contains(says), "{says}: {p}");
    }
    // Naming the CRS overrides a .prj we cannot place.
    let v: Value = import(&s, "format=shp&mode=validate&crs=cgcs2000", local)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["unchanged"], 3, "{v}");
    assert_eq!(s.count("illegal_buildings").await, 6);
}

async fn geopackages_from_gdal(b: Backend) {
    let s = TestServer::empty(b).await;
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("two.gpkg");
    let a = buildings(301);
    // Two feature tables, WGS 84.
    ogr2ogr(
        dir.path(),
        &a,
        &[
            "-f",
            "GPKG",
            "-nln",
            "reports",
            "-a_srs",
            "EPSG:4326",
            gpkg.to_str().unwrap(),
        ],
    );
    ogr2ogr(
        dir.path(),
        &buildings(401),
        &[
            "-f",
            "GPKG",
            "-update",
            "-nln",
            "other",
            "-a_srs",
            "EPSG:4326",
            gpkg.to_str().unwrap(),
        ],
    );
    let bytes = std::fs::read(&gpkg).unwrap();
    let p = assert_problem(
        import(&s, "format=gpkg&mode=commit", bytes.clone()).await,
        422,
    )
    .await;
    assert!(p.to_string().contains("table="), "{p}");
    let r = import(&s, "format=gpkg&mode=commit&table=reports", bytes.clone()).await;
    assert_eq!(r.status(), 201);
    assert_stored(&s, &a).await;
    let p = assert_problem(
        import(&s, "format=gpkg&mode=commit&table=nope", bytes.clone()).await,
        422,
    )
    .await;
    assert!(p.to_string().contains("nope"), "{p}");
    for body in [
        bytes[..bytes.len() / 3].to_vec(),
        b"SQLite format 3\0garbage".to_vec(),
    ] {
        assert_problem(import(&s, "format=gpkg&mode=commit", body).await, 422).await;
    }
    assert_eq!(s.count("illegal_buildings").await, 3);
}

async fn large_import_as_a_job_with_progress_events(b: Backend) {
    let s = TestServer::empty(b).await;
    const N: usize = 20_000;
    let mut csv = String::from("code,kind,status,district_code,source,lon,lat,area_m2\n");
    for i in 0..N {
        let (x, y) = (
            121.40 + (i % 200) as f64 * 0.0004,
            31.15 + (i / 200) as f64 * 0.0004,
        );
        csv.push_str(&format!(
            "WZ310104{i:08},存量,已核查,310104,普查,{x:.6},{y:.6},{}\n",
            i % 500
        ));
    }
    let r = import(&s, "format=csv&mode=commit&async=true", csv.into_bytes()).await;
    assert_eq!(r.status(), 202);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let started: Value = r.json().await.unwrap();
    assert_eq!(
        format!("/jobs/{}", started["id"].as_str().unwrap()),
        location
    );
    // The event stream: progress events, then one `done` with the finished job.
    let text = s
        .client
        .get(s.url(&format!("{location}/events")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events: Vec<(String, Value)> = text
        .split("\n\n")
        .filter_map(|block| {
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name).map(str::trim).map(str::to_owned))
            };
            Some((
                field("event:")?,
                serde_json::from_str(&field("data:")?).ok()?,
            ))
        })
        .collect();
    let (last, done) = events.last().expect("events");
    assert_eq!(last, "done", "{text}");
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["result"]["created_total"], N, "{done}");
    let rows: Vec<u64> = events
        .iter()
        .filter(|(e, _)| e == "progress")
        .map(|(_, v)| v["rows_done"].as_u64().unwrap())
        .collect();
    assert!(rows.windows(2).all(|w| w[0] <= w[1]), "{rows:?}");
    let job = s.get_json(&location, 200).await;
    assert_eq!(job["status"], "succeeded");
    assert_eq!(job["progress"]["rows_done"], N);
    assert_eq!(job["progress"]["phase"], "done");
    assert!(
        job["progress"]["rate_rows_per_s"].as_f64().unwrap() > 0.0,
        "{job}"
    );
    assert_eq!(s.count("illegal_buildings").await, N as u64);
    // Only the owner (or the city level) sees a job; unknown jobs are 404.
    let other = s
        .client
        .get(s.url(&location))
        .header("x-onemap-user", "someone-else")
        .header("x-onemap-level", "district")
        .header("x-onemap-district", "310104")
        .send()
        .await
        .unwrap();
    assert_problem(other, 403).await;
    assert_problem(
        s.client.get(s.url("/jobs/0-nope")).send().await.unwrap(),
        404,
    )
    .await;
    // Bigger than the import limit (8 MiB in tests): 413, nothing written.
    let big = vec![b'x'; 9 << 20];
    assert_problem(import(&s, "format=csv&mode=commit", big).await, 413).await;
    assert_eq!(s.count("illegal_buildings").await, N as u64);
}
