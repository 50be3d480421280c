//! Any CRS → any CRS → back, over 100,000 deterministic pseudo-random points in Shanghai:
//! within 1 mm (1e-8° for angular CRSs).
//!
//! One test per source CRS, so the harness spreads them over the cores.

use onemap_coord::{CoordConfig, Crs, LocalCorrection, Transformer};

const N: usize = 100_000;

/// The CRSs exercised: the built-ins and two EPSG codes used around Shanghai
/// (CGCS2000 3-degree GK CM 120°E, UTM 51N).
const ALL: [Crs; 9] = [
    Crs::Wgs84,
    Crs::Cgcs2000,
    Crs::Gcj02,
    Crs::Bd09,
    Crs::Bd09Mc,
    Crs::Sh2000,
    Crs::WebMercator,
    Crs::Epsg(4549),
    Crs::Epsg(32651),
];

#[path = "../support/shanghai_points.rs"]
mod support;

fn round_trips_from(from: Crs, cfg: &CoordConfig) {
    let wgs = support::shanghai_points(0x005E_ED0F_5AA6_4A12, N);
    let mut start = wgs.clone();
    Transformer::new(Crs::Wgs84, from, cfg)
        .unwrap()
        .convert_slice(&mut start)
        .unwrap();
    let tol = if from.is_angular() { 1e-8 } else { 1e-3 };
    for to in ALL {
        let there = Transformer::new(from, to, cfg).unwrap();
        let back = Transformer::new(to, from, cfg).unwrap();
        let mut pts = start.clone();
        there.convert_slice(&mut pts).unwrap();
        back.convert_slice(&mut pts).unwrap();
        let (worst, at) = pts
            .iter()
            .zip(&start)
            .map(|(p, q)| (p[0] - q[0]).abs().max((p[1] - q[1]).abs()))
            .enumerate()
            .fold(
                (0.0_f64, 0),
                |(w, a), (i, e)| if e > w { (e, i) } else { (w, a) },
            );
        assert!(
            worst <= tol,
            "{from} → {to} → {from}: error {worst} at point {at} ({:?})",
            start[at]
        );
    }
}

#[test]
fn from_wgs84() {
    round_trips_from(Crs::Wgs84, &CoordConfig::default());
}
#[test]
fn from_cgcs2000() {
    round_trips_from(Crs::Cgcs2000, &CoordConfig::default());
}
#[test]
fn from_gcj02() {
    round_trips_from(Crs::Gcj02, &CoordConfig::default());
}
#[test]
fn from_bd09() {
    round_trips_from(Crs::Bd09, &CoordConfig::default());
}
#[test]
fn from_bd09mc() {
    round_trips_from(Crs::Bd09Mc, &CoordConfig::default());
}
#[test]
fn from_sh2000() {
    round_trips_from(Crs::Sh2000, &CoordConfig::default());
}
#[test]
fn from_webmercator() {
    round_trips_from(Crs::WebMercator, &CoordConfig::default());
}
#[test]
fn from_epsg_4549() {
    round_trips_from(Crs::Epsg(4549), &CoordConfig::default());
}
#[test]
fn from_epsg_32651() {
    round_trips_from(Crs::Epsg(32651), &CoordConfig::default());
}

/// With a local correction (affine, 1e-4 shear/scale, 5 m shift), Shanghai 2000 still round-trips.
#[test]
fn from_sh2000_with_correction() {
    let cfg = CoordConfig {
        correction: Some(LocalCorrection::Affine {
            a: [5.0, 1.0001, 0.0002],
            b: [-3.0, -0.0001, 0.9998],
        }),
        ..CoordConfig::default()
    };
    round_trips_from(Crs::Sh2000, &cfg);
}
