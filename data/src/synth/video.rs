//! video_points: 2,000 cameras at road crossings, with GB/T 28181 device codes.
//!
//! Denser in the central districts.

use geo::Coord;
use serde_json::Value;

use super::{FOREST_DISTRICTS, apportion, district_areas_km2, sample_in};
use crate::districts::{districts, land};
use crate::geom::{Frame, feature, object, point_json, round7};
use crate::names::{RoadGrid, is_central};
use crate::rng::Rng;
use crate::townships::{nearest_township, townships, urban_weight};

pub(crate) const COUNT: usize = 2_000;
const MIN_PER_DISTRICT: usize = 20;

const TAGS: [&str; 6] = ["治安", "交通", "消防", "河道", "森林防火", "拆违"];
/// GB/T 28181 industry code (digits 9–10) for a camera's main purpose: 00 public security
/// (road), 04 traffic (road), 08 city management, 40 agriculture & forestry.
const INDUSTRY: [&str; 6] = ["00", "04", "08", "08", "40", "08"];

fn density(code: &str) -> f64 {
    if is_central(code) {
        8.0
    } else {
        match code {
            "310115" => 2.0,
            "310151" => 0.4,
            _ => 1.0,
        }
    }
}

pub(crate) fn generate(seed: u64) -> Vec<Value> {
    let mut rng = Rng::new(seed, "video_points");
    let ds = districts();
    let weights: Vec<f64> = ds
        .iter()
        .zip(district_areas_km2())
        .map(|(d, a)| density(d.code) * a)
        .collect();
    let extra = apportion(COUNT - MIN_PER_DISTRICT * ds.len(), &weights);
    let mut out = Vec::with_capacity(COUNT);
    for (di, d) in ds.iter().enumerate() {
        let grid = RoadGrid::new(di, seed);
        let forest = FOREST_DISTRICTS.iter().any(|(c, _)| *c == d.code);
        let units: Vec<&str> = townships()
            .iter()
            .filter(|t| t.district_code == d.code)
            .map(|t| t.code)
            .collect();
        let mut serial = 0;
        while serial < MIN_PER_DISTRICT + extra[di] {
            // a random spot (denser towards the city centre), moved to a corner of the nearest crossing
            let spot = sample_in(&mut rng, di, 10.0);
            if rng.f64() * 7.0 >= urban_weight(spot) {
                continue;
            }
            let crossing = grid.nearest_crossing(spot);
            let corner = rng.below(4);
            let (sx, sy) = (
                [1.0, 1.0, -1.0, -1.0][corner],
                [1.0, -1.0, 1.0, -1.0][corner],
            );
            let (ox, oy) = (rng.range(8.0, 25.0), rng.range(8.0, 25.0));
            let at = round7(Frame::at(grid.crossing_coord(crossing)).to_deg(sx * ox, sy * oy));
            if land().locate(at, 10.0) != Some(di) {
                continue;
            }
            serial += 1;
            out.push(camera(
                &mut rng, d.code, forest, &units, &grid, crossing, corner, at, serial,
            ));
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn camera(
    rng: &mut Rng,
    code: &str,
    forest: bool,
    units: &[&str],
    grid: &RoadGrid,
    crossing: crate::names::Crossing,
    corner: usize,
    at: Coord,
    serial: usize,
) -> Value {
    let township = nearest_township(code, at.x, at.y).expect("townships");
    let central = is_central(code);
    let main_w: [f64; 6] = if central {
        [0.55, 0.35, 0.05, 0.03, 0.0, 0.02]
    } else {
        [
            0.40,
            0.25,
            0.05,
            0.12,
            if forest { 0.08 } else { 0.0 },
            0.10,
        ]
    };
    let main = rng.weighted(&main_w);
    let tags: Vec<&str> = (0..TAGS.len())
        .filter(|&k| k == main || (main_w[k] > 0.0 && rng.chance(0.2)))
        .map(|k| TAGS[k])
        .collect();
    let unit = units
        .iter()
        .position(|u| *u == township.code)
        .expect("township of this district")
        + 1;
    let device_type = if rng.chance(0.7) { "132" } else { "131" };
    let network = rng.pick_weighted(&[('0', 0.7), ('5', 0.15), ('6', 0.1), ('8', 0.05)]);
    let device_code = format!(
        "{code}{unit:02}{}{device_type}{network}{serial:06}",
        INDUSTRY[main]
    );
    let level = rng.pick_weighted(&[("市级", 0.15), ("区级", 0.45), ("街镇级", 0.40)]);
    let corner_name = ["东北角", "东南角", "西北角", "西南角"][corner];
    feature(
        point_json(at),
        object([
            ("device_code", Value::from(device_code)),
            (
                "name",
                Value::from(format!(
                    "{}与{}交叉口{corner_name}",
                    grid.ns_road(crossing.i),
                    grid.ew_road(crossing.j)
                )),
            ),
            ("tags", Value::from(tags)),
            ("level", Value::from(level)),
            ("district_code", Value::from(code)),
            ("township_code", Value::from(township.code)),
            (
                "status",
                Value::from(if rng.chance(0.9) { "online" } else { "offline" }),
            ),
            ("bearing", Value::from(rng.int(0, 359))),
        ]),
    )
}
