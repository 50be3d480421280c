//! illegal_buildings: ≥ 20,000 points in gaussian clusters, ~70 % with a footprint.
//!
//! Clusters are villages and industrial parks, mostly in the suburban districts; a footprint is a
//! rotated rectangle centred on the point.

use geo::Coord;
use serde_json::Value;

use super::{DiscSet, apportion, district_areas_km2, sample_in};
use crate::districts::{districts, land};
use crate::geom::{
    Frame, date_string, days_from_civil, feature, object, point_json, polygon_json, ring_area_m2,
    rotated_rect, round_to, round7,
};
use crate::names::RoadGrid;
use crate::rng::Rng;
use crate::townships::{nearest_township, urban_weight};

pub(crate) const COUNT: usize = 20_000;

/// Relative density per km²: heavy in the suburbs, light in the 7 central districts.
fn density(code: &str) -> f64 {
    match code {
        "310112" | "310113" | "310117" => 1.2,
        "310114" | "310115" | "310118" | "310120" => 1.0,
        "310116" => 0.9,
        "310151" => 0.6,
        _ => 0.12,
    }
}

struct Building {
    at: Coord,
    footprint: Option<Vec<Coord>>,
    area_m2: f64,
    day: i64,
    kind: &'static str,
    status: &'static str,
    source: &'static str,
}

/// Found dates 2015-01-01 ..= 2026-10-31: a peak in the 2015–2017 "五违四必" campaigns, a dip
/// in 2020 and 2022, steady since.
fn found_day(rng: &mut Rng) -> i64 {
    const YEARS: [(i64, f64); 12] = [
        (2015, 1.4),
        (2016, 1.6),
        (2017, 1.3),
        (2018, 1.0),
        (2019, 0.9),
        (2020, 0.7),
        (2021, 0.9),
        (2022, 0.7),
        (2023, 1.0),
        (2024, 1.1),
        (2025, 1.2),
        (2026, 1.0),
    ];
    let y = rng.pick_weighted(&YEARS);
    let first = days_from_civil(y, 1, 1);
    let last = if y == 2026 {
        days_from_civil(2026, 10, 31)
    } else {
        days_from_civil(y, 12, 31)
    };
    first + rng.int(0, last - first)
}

fn attributes(rng: &mut Rng, day: i64) -> (&'static str, &'static str, &'static str) {
    let year = crate::geom::civil_from_days(day).0;
    let p_new = if year <= 2017 {
        0.25
    } else if year <= 2020 {
        0.5
    } else {
        0.7
    };
    let kind = if rng.chance(p_new) {
        "新增"
    } else {
        "存量"
    };
    let age = days_from_civil(2026, 10, 31) - day;
    let status_w: [f64; 5] = if age < 90 {
        [0.55, 0.30, 0.12, 0.03, 0.0]
    } else if age < 365 {
        [0.10, 0.30, 0.35, 0.20, 0.05]
    } else if age < 3 * 365 {
        [0.02, 0.13, 0.25, 0.35, 0.25]
    } else {
        [0.0, 0.05, 0.08, 0.37, 0.50]
    };
    let status = ["待核查", "已核查", "整改中", "已拆除", "已销项"][rng.weighted(&status_w)];
    let census = if year <= 2016 { 0.40 } else { 0.10 };
    let source = ["网格化", "12345", "区拆违系统", "普查", "巡查"]
        [rng.weighted(&[0.35, 0.15, 0.20, census, 0.15])];
    (kind, status, source)
}

pub(crate) fn generate(seed: u64) -> Vec<Value> {
    let mut rng = Rng::new(seed, "illegal_buildings");
    let ds = districts();
    let weights: Vec<f64> = ds
        .iter()
        .zip(district_areas_km2())
        .map(|(d, a)| density(d.code) * a)
        .collect();
    let counts = apportion(COUNT, &weights);
    let mut features = Vec::with_capacity(COUNT);
    for (di, d) in ds.iter().enumerate() {
        let grid = RoadGrid::new(di, seed);
        let mut discs = DiscSet::new(45.0);
        let mut items: Vec<Building> = Vec::with_capacity(counts[di]);
        while items.len() < counts[di] {
            // a cluster: a village (small houses, tight) or an industrial park (big sheds, wide);
            // 8 % are isolated buildings.
            let (size, sigma, side) = if rng.chance(0.08) {
                (1, 0.0, (5.0, 30.0))
            } else if rng.chance(0.7) {
                (
                    rng.log_range(10.0, 80.0) as usize,
                    rng.range(100.0, 300.0),
                    (5.0, 25.0),
                )
            } else {
                (
                    rng.log_range(30.0, 300.0) as usize,
                    rng.range(250.0, 700.0),
                    (15.0, 60.0),
                )
            };
            let centre = sample_in(&mut rng, di, 60.0);
            // fewer clusters in the dense urban fabric (matters for inner 浦东)
            if !rng.chance(1.5 / urban_weight(centre)) {
                continue;
            }
            let frame = Frame::at(centre);
            let orientation = rng.range(0.0, std::f64::consts::PI);
            for _ in 0..size.min(counts[di] - items.len()) {
                let (w, h) = (rng.range(side.0, side.1), rng.range(side.0, side.1));
                let theta = orientation
                    + rng.normal() * 0.08
                    + if rng.chance(0.3) {
                        std::f64::consts::FRAC_PI_2
                    } else {
                        0.0
                    };
                let has_footprint = rng.chance(0.7);
                let radius = if has_footprint { w.hypot(h) / 2.0 } else { 5.0 };
                let placed = (0..30).find_map(|_| {
                    let at = round7(frame.to_deg(rng.normal() * sigma, rng.normal() * sigma));
                    (land().locate(at, radius + 5.0) == Some(di) && discs.is_free(at, radius))
                        .then_some(at)
                });
                let Some(at) = placed else { continue };
                discs.insert(at, radius);
                let (footprint, area_m2) = if has_footprint {
                    let ring = rotated_rect(at, w, h, theta);
                    let area = round_to(ring_area_m2(&ring), 1);
                    (Some(ring), area)
                } else {
                    (None, round_to(w * h, 1))
                };
                let day = found_day(&mut rng);
                let (kind, status, source) = attributes(&mut rng, day);
                items.push(Building {
                    at,
                    footprint,
                    area_m2,
                    day,
                    kind,
                    status,
                    source,
                });
            }
        }
        // serials follow the date found, as a register would
        items.sort_by_key(|b| b.day);
        for (serial, b) in items.into_iter().enumerate() {
            let t = nearest_township(d.code, b.at.x, b.at.y).expect("every district has townships");
            let mut props = object([
                (
                    "code",
                    Value::from(format!("WZ{}{:08}", d.code, serial + 1)),
                ),
                ("kind", Value::from(b.kind)),
                ("status", Value::from(b.status)),
                (
                    "address",
                    Value::from(format!("{}{}{}", d.name, t.name, grid.address(b.at))),
                ),
                ("district_code", Value::from(d.code)),
                ("township_code", Value::from(t.code)),
                ("area_m2", Value::from(b.area_m2)),
                ("source", Value::from(b.source)),
                ("found_on", Value::from(date_string(b.day))),
            ]);
            if let (Some(ring), Value::Object(map)) = (&b.footprint, &mut props) {
                map.insert("footprint".into(), polygon_json(ring));
            }
            features.push(feature(point_json(b.at), props));
        }
    }
    features
}
