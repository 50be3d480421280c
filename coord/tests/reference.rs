//! Every row of the independent reference sample reproduces, in both directions.

use onemap_coord::{CoordConfig, Crs, Transformer};

const SAMPLE: &str = include_str!("data/coord-reference-sample.csv");

/// Columns of the sample, as CRS and column offset.
const COLUMNS: [(Crs, usize); 5] = [
    (Crs::Wgs84, 0),
    (Crs::Gcj02, 2),
    (Crs::Bd09, 4),
    (Crs::Bd09Mc, 6),
    (Crs::Sh2000, 8),
];

fn rows() -> Vec<[f64; 10]> {
    let mut lines = SAMPLE.lines();
    assert_eq!(
        lines.next().unwrap().trim(),
        "wgs84_lon,wgs84_lat,gcj02_lon,gcj02_lat,bd09_lon,bd09_lat,bd09mc_x,bd09mc_y,sh2000_east,sh2000_north"
    );
    let rows: Vec<[f64; 10]> = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|s| s.trim().parse().unwrap()).collect();
            v.try_into().unwrap()
        })
        .collect();
    assert_eq!(rows.len(), 40);
    rows
}

/// Distance in metres between two points of `crs` (angular: local metres on the sphere).
fn error_m(crs: Crs, a: [f64; 2], b: [f64; 2]) -> f64 {
    if crs.is_angular() {
        let dx = (a[0] - b[0]) * 111_320.0 * a[1].to_radians().cos();
        let dy = (a[1] - b[1]) * 110_574.0;
        dx.hypot(dy)
    } else {
        (a[0] - b[0]).hypot(a[1] - b[1])
    }
}

/// Tolerance when the *result* is in `to`: 1e-9° for GCJ-02/BD-09 (and WGS84 from them),
/// 1 cm when BD09MC is involved, 1 mm when Shanghai 2000 is.
fn check(from: Crs, to: Crs, got: [f64; 2], want: [f64; 2], row: usize) {
    let involves = |c: Crs| from == c || to == c;
    if involves(Crs::Sh2000) {
        let e = error_m(to, got, want);
        assert!(
            e < 1e-3,
            "row {row}: {from}→{to} off by {e} m: {got:?} vs {want:?}"
        );
    } else if involves(Crs::Bd09Mc) {
        let e = error_m(to, got, want);
        assert!(
            e < 1e-2,
            "row {row}: {from}→{to} off by {e} m: {got:?} vs {want:?}"
        );
    } else {
        let e = (got[0] - want[0]).abs().max((got[1] - want[1]).abs());
        assert!(
            e < 1e-9,
            "row {row}: {from}→{to} off by {e}°: {got:?} vs {want:?}"
        );
    }
}

#[test]
fn every_row_every_pair_both_directions() {
    let cfg = CoordConfig::default();
    let rows = rows();
    for &(from, fc) in &COLUMNS {
        for &(to, tc) in &COLUMNS {
            if from == to {
                continue;
            }
            let t = Transformer::new(from, to, &cfg).unwrap();
            // One by one ...
            for (i, r) in rows.iter().enumerate() {
                let (x, y) = t.convert(r[fc], r[fc + 1]).unwrap();
                check(from, to, [x, y], [r[tc], r[tc + 1]], i);
            }
            // ... and as a batch.
            let mut pts: Vec<[f64; 2]> = rows.iter().map(|r| [r[fc], r[fc + 1]]).collect();
            t.convert_slice(&mut pts).unwrap();
            for (i, (p, r)) in pts.iter().zip(&rows).enumerate() {
                check(from, to, *p, [r[tc], r[tc + 1]], i);
            }
        }
    }
}

#[test]
fn readme_reference_point() {
    let cfg = CoordConfig::default();
    let wgs = (121.4737, 31.2304);
    let conv = |to: Crs| {
        Transformer::new(Crs::Wgs84, to, &cfg)
            .unwrap()
            .convert(wgs.0, wgs.1)
            .unwrap()
    };
    let (x, y) = conv(Crs::Gcj02);
    assert!((x - 121.478223059).abs() < 1e-9 && (y - 31.228457738).abs() < 1e-9);
    let (x, y) = conv(Crs::Bd09);
    assert!((x - 121.484781469).abs() < 1e-9 && (y - 31.234310594).abs() < 1e-9);
    let (x, y) = conv(Crs::Bd09Mc);
    assert!((x - 13523771.160).abs() < 1e-3 && (y - 3640856.297).abs() < 1e-3);
    let (x, y) = conv(Crs::Sh2000);
    assert!(
        (x - 623.956).abs() < 1e-3 && (y + 559.735).abs() < 1e-3,
        "{x} {y}"
    );
    // And back from each.
    for (crs, p) in [
        (Crs::Gcj02, (121.478223059, 31.228457738)),
        (Crs::Bd09, (121.484781469, 31.234310594)),
    ] {
        let (x, y) = Transformer::new(crs, Crs::Wgs84, &cfg)
            .unwrap()
            .convert(p.0, p.1)
            .unwrap();
        assert!(
            (x - wgs.0).abs() < 1e-9 && (y - wgs.1).abs() < 1e-9,
            "{crs}"
        );
    }
    for (crs, p) in [
        (Crs::Bd09Mc, (13523771.160, 3640856.297)),
        (Crs::Sh2000, (623.956, -559.735)),
    ] {
        let (x, y) = Transformer::new(crs, Crs::Wgs84, &cfg)
            .unwrap()
            .convert(p.0, p.1)
            .unwrap();
        let e = error_m(Crs::Wgs84, [x, y], [wgs.0, wgs.1]);
        assert!(e < 1e-3, "{crs}: {e} m");
    }
}

/// The closed-form Web Mercator agrees with PROJ's EPSG:3857.
#[test]
fn webmercator_matches_proj() {
    let proj = proj::Proj::new_known_crs("EPSG:4326", "EPSG:3857", None).unwrap();
    let t = Transformer::new(Crs::Wgs84, Crs::WebMercator, &CoordConfig::default()).unwrap();
    for r in rows() {
        let (x, y) = t.convert(r[0], r[1]).unwrap();
        let (px, py) = proj.convert((r[0], r[1])).unwrap();
        assert!((x - px).abs() < 1e-6 && (y - py).abs() < 1e-6);
    }
    for &(lon, lat) in &[(-179.9, -85.0), (0.0, 0.0), (45.0, 60.0), (179.99, 85.05)] {
        let (x, y) = t.convert(lon, lat).unwrap();
        let (px, py) = proj.convert((lon, lat)).unwrap();
        assert!((x - px).abs() < 1e-6 && (y - py).abs() < 1e-6);
    }
}

/// EPSG codes go through PROJ; Shanghai lies in CGCS2000 3-degree GK zone CM 120°E (EPSG:4549).
#[test]
fn epsg_codes_through_proj() {
    let cfg = CoordConfig::default();
    let t = Transformer::new(Crs::Wgs84, Crs::Epsg(4549), &cfg).unwrap();
    let proj = proj::Proj::new_known_crs("EPSG:4490", "EPSG:4549", None).unwrap();
    let r = rows()[0];
    let (x, y) = t.convert(r[0], r[1]).unwrap();
    let (px, py) = proj.convert((r[0], r[1])).unwrap();
    assert!(
        (x - px).abs() < 1e-3 && (y - py).abs() < 1e-3,
        "{x} {y} / {px} {py}"
    );
    // GK zone 120°E: false easting 500 km, Shanghai ~ 2 degrees east of the meridian.
    assert!((650_000.0..750_000.0).contains(&x) && (3_390_000.0..3_540_000.0).contains(&y));
    // EPSG → EPSG directly, and the EPSG aliases of the built-ins.
    let t = Transformer::new(Crs::Epsg(4549), Crs::Epsg(32651), &cfg).unwrap();
    let (ux, uy) = t.convert(x, y).unwrap();
    let (wx, wy) = Transformer::new(Crs::Wgs84, Crs::Epsg(32651), &cfg)
        .unwrap()
        .convert(r[0], r[1])
        .unwrap();
    assert!((ux - wx).abs() < 1e-3 && (uy - wy).abs() < 1e-3);
    let t = Transformer::new(Crs::Epsg(4326), Crs::Epsg(3857), &cfg).unwrap();
    assert_eq!((t.from(), t.to()), (Crs::Wgs84, Crs::WebMercator));
    assert!(!Crs::Epsg(4549).is_angular() && Crs::Epsg(4214).is_angular());
}
