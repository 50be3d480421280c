//! Tiles for basemaps in other coordinate systems: GCJ-02 Web Mercator (AMap, Tencent)
//! and Baidu's BD09MC tile scheme, checked against the conversion endpoint and Baidu's
//! published tile numbering (level z: 2^(18−z) metres per pixel, 256-pixel tiles counted
//! from the BD09MC origin, y growing north).

use std::f64::consts::PI;

use onemap_e2e::{Backend, TestServer, assert_problem};
use serde_json::{Value, json};

onemap_e2e::both_backends!(
    gcj02_tiles_sit_on_an_amap_basemap,
    baidu_tiles_follow_the_bd09mc_scheme,
);

const PIXEL: f64 = 4096.0 / 256.0;

async fn convert(s: &TestServer, to: &str, p: [f64; 2]) -> [f64; 2] {
    let v = s
        .get_json(
            &format!("/coord/convert?from=wgs84&to={to}&x={}&y={}", p[0], p[1]),
            200,
        )
        .await;
    [v["x"].as_f64().unwrap(), v["y"].as_f64().unwrap()]
}

/// The only point of a decoded single-feature tile, in tile units.
async fn point_in(s: &TestServer, path: &str) -> Option<[f64; 2]> {
    let r = s.client.get(s.url(path)).send().await.unwrap();
    if r.status() == 204 {
        return None;
    }
    assert_eq!(r.status(), 200, "{path}");
    let reader = mvt_reader::Reader::new(r.bytes().await.unwrap().to_vec()).unwrap();
    let fs = reader.get_features_as::<f64>(0).unwrap();
    assert_eq!(fs.len(), 1);
    match &fs[0].geometry {
        geo::Geometry::Point(p) => Some([p.x(), p.y()]),
        geo::Geometry::MultiPoint(mp) if mp.0.len() == 1 => Some([mp.0[0].x(), mp.0[0].y()]),
        g => panic!("expected a point, got {g:?}"),
    }
}

async fn camera(s: &TestServer, p: [f64; 2]) {
    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": p},
        "properties": {"device_code": "31010600001320000001", "name": "静安寺", "level": "市级",
                       "district_code": "310106", "status": "online"}});
    let r = s
        .client
        .post(s.url("/collections/video_points/items"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

fn close(a: [f64; 2], b: [f64; 2], what: &str) {
    let d = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    assert!(d <= PIXEL, "{what}: {a:?} vs {b:?}: {d} tile units");
}

async fn gcj02_tiles_sit_on_an_amap_basemap(b: Backend) {
    let s = TestServer::empty(b).await;
    let wgs = [121.4453, 31.2231];
    camera(&s, wgs).await;
    let gcj = convert(&s, "gcj02", wgs).await;
    let z = 17u32;
    let n = f64::from(1u32 << z);
    let world = |p: [f64; 2]| {
        let lat = p[1].to_radians();
        [
            (p[0] + 180.0) / 360.0 * n,
            (1.0 - lat.tan().asinh() / PI) / 2.0 * n,
        ]
    };
    let g = world(gcj);
    let (x, y) = (g[0].floor(), g[1].floor());
    let got = point_in(
        &s,
        &format!("/tiles/video_points/{z}/{x}/{y}.mvt?crs=gcj02"),
    )
    .await
    .expect("shifted point");
    close(
        got,
        [(g[0] - x) * 4096.0, (g[1] - y) * 4096.0],
        "GCJ-02 tile",
    );
    // The unshifted tile is a different one at this zoom (the shift is hundreds of metres).
    let w = world(wgs);
    assert_ne!((w[0].floor(), w[1].floor()), (x, y));
    let unshifted = point_in(
        &s,
        &format!(
            "/tiles/video_points/{z}/{}/{}.mvt?crs=gcj02",
            w[0].floor(),
            w[1].floor()
        ),
    )
    .await;
    assert!(unshifted.is_none());
}

async fn baidu_tiles_follow_the_bd09mc_scheme(b: Backend) {
    let s = TestServer::empty(b).await;
    let wgs = [121.4453, 31.2231];
    camera(&s, wgs).await;
    let mc = convert(&s, "bd09mc", wgs).await;
    for z in [12u32, 15, 18] {
        let size = 256.0 * 2f64.powi(18 - z as i32);
        let (x, y) = ((mc[0] / size).floor(), (mc[1] / size).floor());
        let path = format!("/tiles/video_points/{z}/{x}/{y}.mvt?crs=bd09");
        let got = point_in(&s, &path).await.expect("point in its Baidu tile");
        let want = [
            (mc[0] - x * size) / size * 4096.0,
            ((y + 1.0) * size - mc[1]) / size * 4096.0,
        ];
        close(got, want, &format!("Baidu z{z}"));
    }
    let tj: Value = s.get_json("/tiles/video_points.json?crs=bd09", 200).await;
    assert!(
        tj["tiles"][0]
            .as_str()
            .unwrap()
            .ends_with("{z}/{x}/{y}.mvt?crs=bd09"),
        "{tj}"
    );
    assert_problem(
        s.client
            .get(s.url("/tiles/video_points/3/1/1.mvt?crs=mars"))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
}
