//! Bad input is reported (with the point's index), never passed through, never a panic.
//! Also: CRS names, geometries, sharing a transformer between threads.

use geo_types::{Geometry, LineString, Point, Polygon, line_string, polygon};
use onemap_coord::{CoordConfig, CoordError, Crs, Transformer, axis};

fn t(from: Crs, to: Crs) -> Transformer {
    Transformer::new(from, to, &CoordConfig::default()).unwrap()
}

const SHANGHAI: [f64; 2] = [121.4737, 31.2304];
const PARIS: [f64; 2] = [2.3522, 48.8566];

#[test]
fn outside_china_is_an_error_with_index() {
    for (from, to) in [
        (Crs::Wgs84, Crs::Gcj02),
        (Crs::Gcj02, Crs::Wgs84),
        (Crs::Wgs84, Crs::Bd09),
        (Crs::Bd09, Crs::Wgs84),
        (Crs::Cgcs2000, Crs::Bd09Mc),
        (Crs::WebMercator, Crs::Gcj02),
        (Crs::Sh2000, Crs::Gcj02),
    ] {
        let tr = t(from, to);
        // Bring the points into `from` first (through WGS84, no GCJ involved for these).
        let mut pts = [SHANGHAI, SHANGHAI, PARIS, SHANGHAI];
        if from == Crs::WebMercator || from == Crs::Sh2000 {
            t(Crs::Wgs84, from).convert_slice(&mut pts).unwrap();
        }
        let err = tr.convert_slice(&mut pts).unwrap_err();
        assert!(
            matches!(err, CoordError::OutsideChina { index: 2, .. }),
            "{from}→{to}: {err:?}"
        );
        assert!(err.to_string().contains("point 2"));
    }
    // Single points too, and a point just outside the box edge.
    let tr = t(Crs::Wgs84, Crs::Gcj02);
    assert!(matches!(
        tr.convert(PARIS[0], PARIS[1]),
        Err(CoordError::OutsideChina { index: 0, .. })
    ));
    assert!(tr.convert(137.8348, 35.0).is_err());
    assert!(tr.convert(137.8346, 35.0).is_ok());
    // Steps that do not touch GCJ-02 have no region rule.
    assert!(
        t(Crs::Wgs84, Crs::WebMercator)
            .convert(PARIS[0], PARIS[1])
            .is_ok()
    );
    assert!(t(Crs::Bd09, Crs::Gcj02).convert(PARIS[0], PARIS[1]).is_ok());
    assert!(
        t(Crs::Gcj02, Crs::Bd09Mc)
            .convert(PARIS[0], PARIS[1])
            .is_ok()
    );
}

#[test]
fn non_finite_is_an_error_with_index_for_every_source() {
    for from in Crs::BUILTIN {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let tr = t(from, Crs::Wgs84);
            let mut pts = [SHANGHAI; 5];
            t(Crs::Wgs84, from).convert_slice(&mut pts).unwrap();
            pts[3][1] = bad;
            let err = tr.convert_slice(&mut pts).unwrap_err();
            assert!(
                matches!(err, CoordError::NonFinite { index: 3, .. }),
                "{from}: {err:?}"
            );
            assert!(matches!(
                tr.convert(bad, 0.0),
                Err(CoordError::NonFinite { index: 0, .. })
            ));
        }
    }
    let tr = t(Crs::Epsg(32651), Crs::Gcj02);
    assert!(matches!(
        tr.convert_slice(&mut [[350_000.0, 3_450_000.0], [f64::NAN, 1.0]]),
        Err(CoordError::NonFinite { index: 1, .. })
    ));
}

#[test]
fn out_of_range_is_an_error_with_index() {
    let cases: [(Crs, [f64; 2]); 7] = [
        (Crs::Wgs84, [121.0, 91.0]),
        (Crs::Wgs84, [181.0, 31.0]),
        (Crs::Gcj02, [121.0, -90.5]),
        (Crs::Bd09, [-180.01, 0.0]),
        (Crs::Bd09Mc, [13_500_000.0, 13_000_000.0]),
        (Crs::Bd09Mc, [21_000_000.0, 3_600_000.0]),
        (Crs::WebMercator, [20_037_600.0, 0.0]),
    ];
    for (from, bad) in cases {
        for to in [Crs::Wgs84, Crs::Sh2000, from] {
            let mut pts = vec![[0.0, 0.0]; 3];
            pts.push(bad);
            let err = t(from, to).convert_slice(&mut pts).unwrap_err();
            assert!(
                matches!(err, CoordError::OutOfRange { index: 3, .. }),
                "{from}→{to} {bad:?}: {err:?}"
            );
        }
    }
    // The poles have no Web Mercator image.
    assert!(matches!(
        t(Crs::Wgs84, Crs::WebMercator).convert(0.0, 90.0),
        Err(CoordError::OutOfRange { .. })
    ));
}

#[test]
fn bad_proj_string_is_an_error() {
    for def in [
        "+proj=nonsense +a=1",
        "",
        "   ",
        "not a proj string",
        "+proj=tmerc +lat_0=0 +lon_0=121.46 +k=banana",
        // A geographic CRS is not a plane.
        "+proj=longlat +datum=WGS84 +no_defs",
    ] {
        let cfg = CoordConfig {
            sh2000_proj: def.to_owned(),
            correction: None,
        };
        for (from, to) in [(Crs::Wgs84, Crs::Sh2000), (Crs::Sh2000, Crs::Gcj02)] {
            let err = Transformer::new(from, to, &cfg).unwrap_err();
            assert!(
                matches!(&err, CoordError::InvalidProj { definition, .. } if definition == def),
                "{def:?}: {err:?}"
            );
        }
        assert!(cfg.validate().is_err());
        // Conversions that do not involve Shanghai 2000 do not care.
        assert!(Transformer::new(Crs::Wgs84, Crs::Gcj02, &cfg).is_ok());
    }
    // A replacement profile is used as given (here: the announced origin, no false offsets).
    let cfg = CoordConfig {
        sh2000_proj: "+proj=tmerc +lat_0=31.2352 +lon_0=121.4644 +k=1 +x_0=0 +y_0=0 +a=6378153.32 +rf=298.257222101 +units=m +no_defs".into(),
        correction: None,
    };
    assert!(!cfg.is_unofficial_profile());
    let (e, n) = Transformer::new(Crs::Wgs84, Crs::Sh2000, &cfg)
        .unwrap()
        .convert(121.4644, 31.2352)
        .unwrap();
    assert!(e.abs() < 1e-6 && n.abs() < 1e-6, "{e} {n}");
}

#[test]
fn unknown_crs_is_an_error() {
    for bad in [
        "",
        "wgs",
        "gcj03",
        "EPSG:",
        "EPSG:abc",
        "EPSG:-4326",
        "EPSG:0",
        "utm51",
    ] {
        assert!(
            matches!(bad.parse::<Crs>(), Err(CoordError::UnknownCrs(s)) if s == bad),
            "{bad:?}"
        );
    }
    // Syntactically fine, unknown to PROJ.
    let c: Crs = "EPSG:999999".parse().unwrap();
    assert!(matches!(
        Transformer::new(Crs::Wgs84, c, &CoordConfig::default()),
        Err(CoordError::UnknownEpsg { code: 999999, .. })
    ));
    assert!(matches!(
        Transformer::new(c, Crs::Epsg(4549), &CoordConfig::default()),
        Err(CoordError::UnknownEpsg { code: 999999, .. })
    ));
    assert!(!c.is_angular());
}

#[test]
fn crs_names() {
    let cases = [
        ("wgs84", Crs::Wgs84),
        ("WGS84", Crs::Wgs84),
        ("EPSG:4326", Crs::Wgs84),
        ("epsg:4326", Crs::Wgs84),
        ("EPSG:4490", Crs::Cgcs2000),
        ("CGCS2000", Crs::Cgcs2000),
        ("GCJ-02", Crs::Gcj02),
        ("gcj02", Crs::Gcj02),
        ("BD-09", Crs::Bd09),
        ("bd09_mc", Crs::Bd09Mc),
        ("BD09MC", Crs::Bd09Mc),
        ("sh2000", Crs::Sh2000),
        ("Shanghai2000", Crs::Sh2000),
        ("EPSG:3857", Crs::WebMercator),
        ("Web Mercator", Crs::WebMercator),
        (" EPSG:4549 ", Crs::Epsg(4549)),
    ];
    for (s, want) in cases {
        assert_eq!(s.parse::<Crs>().unwrap(), want, "{s}");
    }
    for crs in Crs::BUILTIN.into_iter().chain([Crs::Epsg(4549)]) {
        let s = crs.to_string();
        assert_eq!(s.parse::<Crs>().unwrap(), crs);
        let json = serde_json::to_string(&crs).unwrap();
        assert_eq!(json, format!("\"{s}\""));
        assert_eq!(serde_json::from_str::<Crs>(&json).unwrap(), crs);
    }
    assert!(serde_json::from_str::<Crs>("\"mars\"").is_err());
    let angular: Vec<bool> = Crs::BUILTIN.iter().map(|c| c.is_angular()).collect();
    assert_eq!(angular, [true, true, true, true, false, false, false]);
    assert!(onemap_coord::is_angular(Crs::Epsg(4490)));
    assert!(!onemap_coord::is_angular(Crs::Epsg(32651)));
}

#[test]
fn geometries_convert_every_coordinate() {
    let tr = t(Crs::Wgs84, Crs::Gcj02);
    let poly: Polygon<f64> = polygon![
        exterior: [(x: 121.4, y: 31.2), (x: 121.5, y: 31.2), (x: 121.5, y: 31.3), (x: 121.4, y: 31.2)],
        interiors: [[(x: 121.45, y: 31.22), (x: 121.46, y: 31.22), (x: 121.46, y: 31.23), (x: 121.45, y: 31.22)]],
    ];
    let line: LineString<f64> = line_string![(x: 121.0, y: 31.0), (x: 121.1, y: 31.1)];
    let mut g = Geometry::GeometryCollection(geo_types::GeometryCollection(vec![
        Geometry::Polygon(poly.clone()),
        Geometry::LineString(line.clone()),
        Geometry::Point(Point::new(121.4737, 31.2304)),
    ]));
    tr.convert_geometry(&mut g).unwrap();
    let Geometry::GeometryCollection(gc) = &g else {
        unreachable!()
    };
    let Geometry::Polygon(p) = &gc.0[0] else {
        unreachable!()
    };
    for (a, b) in p.exterior().0.iter().zip(&poly.exterior().0) {
        let (x, y) = tr.convert(b.x, b.y).unwrap();
        assert_eq!((a.x, a.y), (x, y));
    }
    assert_eq!(p.interiors().len(), 1);
    let (x, y) = tr.convert(121.45, 31.22).unwrap();
    assert_eq!((p.interiors()[0].0[0].x, p.interiors()[0].0[0].y), (x, y));
    let Geometry::Point(pt) = &gc.0[2] else {
        unreachable!()
    };
    assert!((pt.x() - 121.478223059).abs() < 1e-9);

    // The error index counts coordinates: 4 exterior + 4 interior + 1 → Paris is number 9.
    let mut g = Geometry::GeometryCollection(geo_types::GeometryCollection(vec![
        Geometry::Polygon(poly),
        Geometry::LineString(line_string![(x: 121.0, y: 31.0), (x: PARIS[0], y: PARIS[1])]),
    ]));
    assert!(matches!(
        tr.convert_geometry(&mut g),
        Err(CoordError::OutsideChina { index: 9, .. })
    ));
}

/// One transformer (with PROJ steps) used from several threads gives the same answers.
#[test]
fn shared_between_threads() {
    let tr = t(Crs::Bd09Mc, Crs::Sh2000);
    let mut want = vec![[13523771.160, 3640856.297]; 1000];
    for (i, p) in want.iter_mut().enumerate() {
        p[0] += i as f64 * 10.0;
        p[1] -= i as f64 * 7.0;
    }
    let input = want.clone();
    tr.convert_slice(&mut want).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            let tr = tr.clone();
            let (input, want) = (&input, &want);
            s.spawn(move || {
                for _ in 0..3 {
                    let mut pts = input.clone();
                    tr.convert_slice(&mut pts).unwrap();
                    assert_eq!(&pts, want);
                }
            });
        }
    });
}

#[test]
fn axis_helpers() {
    let en = [623.956, -559.735];
    let ne = axis::to_north_east(en);
    assert_eq!(ne, [-559.735, 623.956]);
    assert_eq!(axis::from_north_east(ne), en);
    let mut pts = [en, [1.0, 2.0]];
    axis::swap_axes(&mut pts);
    assert_eq!(pts, [ne, [2.0, 1.0]]);
}

#[test]
fn proj_failure_carries_index() {
    // Far outside any transverse Mercator's domain: PROJ gives up, we report which point.
    let tr = t(Crs::Sh2000, Crs::Wgs84);
    let mut pts = vec![[0.0, 0.0]; 600];
    pts[517] = [1e30, 1e30];
    match tr.convert_slice(&mut pts) {
        Err(CoordError::ProjFailed { index, .. }) => assert_eq!(index, 517),
        other => panic!("{other:?}"),
    }
}
