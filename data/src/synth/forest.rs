//! forest_stands, forest_patches and patrol_tracks, all in the six forest districts.
//!
//! Stands are laid out by compartment (林班): a rotated grid of 4–9 × 4–9 cells, one star-shaped
//! stand per cell (some cells left empty), none overlapping. Patches sit next to (or over)
//! stands; patrol tracks walk between the stands of one compartment.

use geo::{Coord, Geodesic, Length, LineString};
use serde_json::Value;

use super::{DiscSet, FOREST_DISTRICTS, apportion, district_index, sample_in};
use crate::districts::{districts, land};
use crate::geom::{
    Frame, date_string, datetime_string, days_from_civil, dist_m, feature, linestring_json, object,
    polygon_json, ring_area_m2, round_to, round7, star,
};
use crate::names::person;
use crate::rng::Rng;
use crate::townships::urban_weight;

pub(crate) const STANDS: usize = 5_000;
pub(crate) const PATCHES: usize = 1_000;
pub(crate) const TRACKS: usize = 200;

/// Common Shanghai plantation species, with rough shares.
const SPECIES: [(&str, f64); 17] = [
    ("香樟", 0.24),
    ("水杉", 0.12),
    ("女贞", 0.08),
    ("杨树", 0.08),
    ("银杏", 0.06),
    ("池杉", 0.06),
    ("落羽杉", 0.06),
    ("竹林", 0.05),
    ("广玉兰", 0.04),
    ("无患子", 0.03),
    ("栾树", 0.03),
    ("榉树", 0.03),
    ("柳树", 0.03),
    ("朴树", 0.02),
    ("乌桕", 0.02),
    ("枫香", 0.02),
    ("桂花", 0.03),
];
const AGE_CLASSES: [(&str, f64); 5] = [
    ("幼龄林", 0.28),
    ("中龄林", 0.38),
    ("近熟林", 0.18),
    ("成熟林", 0.13),
    ("过熟林", 0.03),
];
const LEVELS: [(&str, f64); 4] = [
    ("村级", 0.55),
    ("镇级", 0.30),
    ("区级", 0.12),
    ("市级", 0.03),
];
const CHANGE_TYPES: [(&str, f64); 5] = [
    ("采伐", 0.15),
    ("造林", 0.40),
    ("灾害", 0.10),
    ("占用林地", 0.20),
    ("其他", 0.15),
];

/// A placed stand, kept for the patch and track generators.
pub(crate) struct Stand {
    pub(crate) district: usize,
    pub(crate) centre: Coord,
    pub(crate) radius: f64,
}

pub(crate) struct Forest {
    pub(crate) stands: Vec<Stand>,
    pub(crate) stand_features: Vec<Value>,
    /// (district index, first stand, end stand) per compartment
    pub(crate) compartments: Vec<(usize, usize, usize)>,
}

pub(crate) fn stands(seed: u64) -> Forest {
    let mut rng = Rng::new(seed, "forest_stands");
    let counts = apportion(STANDS, &FOREST_DISTRICTS.map(|(_, w)| w));
    let mut forest = Forest {
        stands: Vec::new(),
        stand_features: Vec::new(),
        compartments: Vec::new(),
    };
    let mut discs = DiscSet::new(260.0);
    for ((code, _), count) in FOREST_DISTRICTS.iter().zip(counts) {
        let di = district_index(code);
        let mut placed = 0;
        let mut compartment_no = 0;
        while placed < count {
            let centre = sample_in(&mut rng, di, 300.0);
            // no forest compartments in the urban core (within ~11 km of People's Square)
            if urban_weight(centre) > 2.0 {
                continue;
            }
            let frame = Frame::at(centre);
            let cell = rng.range(320.0, 600.0);
            let (rows, cols) = (rng.int(4, 9), rng.int(4, 9));
            let theta = rng.range(0.0, std::f64::consts::PI);
            let (sin, cos) = theta.sin_cos();
            let dominant = rng.pick_weighted(&SPECIES);
            let base_age = rng.pick_weighted(&AGE_CLASSES);
            let level = rng.pick_weighted(&LEVELS);
            let chief = person(&mut rng);
            let first = forest.stands.len();
            let mut stand_no = 0;
            for r in 0..rows {
                for q in 0..cols {
                    if placed == count || rng.chance(0.12) {
                        continue;
                    }
                    let x =
                        (q as f64 - (cols - 1) as f64 / 2.0) * cell + rng.range(-0.05, 0.05) * cell;
                    let y =
                        (r as f64 - (rows - 1) as f64 / 2.0) * cell + rng.range(-0.05, 0.05) * cell;
                    let at = round7(frame.to_deg(x * cos - y * sin, x * sin + y * cos));
                    let target = rng.log_range(1.2e4, 14.5e4);
                    let (ring, radius) = star(&mut rng, at, target, 0.42 * cell);
                    let area = ring_area_m2(&ring);
                    if !(1.0e4..=15.0e4).contains(&area)
                        || land().locate(at, radius + 15.0) != Some(di)
                        || !discs.is_free(at, radius + 3.0)
                    {
                        continue;
                    }
                    discs.insert(at, radius);
                    if stand_no == 0 {
                        compartment_no += 1;
                    }
                    stand_no += 1;
                    placed += 1;
                    let species = if rng.chance(0.65) {
                        dominant
                    } else {
                        rng.pick_weighted(&SPECIES)
                    };
                    let age = if rng.chance(0.6) {
                        base_age
                    } else {
                        rng.pick_weighted(&AGE_CLASSES)
                    };
                    let origin = if rng.chance(0.07) { "天然" } else { "人工" };
                    forest.stand_features.push(feature(
                        polygon_json(&ring),
                        object([
                            (
                                "stand_no",
                                Value::from(format!("{code}-{compartment_no:03}-{stand_no:03}")),
                            ),
                            ("compartment", Value::from(format!("{compartment_no:03}"))),
                            ("dominant_species", Value::from(species)),
                            ("area_ha", Value::from(round_to(area / 1e4, 4))),
                            ("origin", Value::from(origin)),
                            ("age_class", Value::from(age)),
                            ("responsible_person", Value::from(chief.as_str())),
                            ("responsible_level", Value::from(level)),
                            ("district_code", Value::from(*code)),
                        ]),
                    ));
                    forest.stands.push(Stand {
                        district: di,
                        centre: at,
                        radius,
                    });
                }
            }
            if forest.stands.len() > first {
                forest.compartments.push((di, first, forest.stands.len()));
            }
        }
    }
    forest
}

pub(crate) fn patches(seed: u64, forest: &Forest) -> Vec<Value> {
    let mut rng = Rng::new(seed, "forest_patches");
    let ds = districts();
    let mut discs = DiscSet::new(125.0);
    let mut made: Vec<(usize, i64, Vec<Coord>, f64, &'static str)> = Vec::with_capacity(PATCHES);
    while made.len() < PATCHES {
        let s = &forest.stands[rng.below(forest.stands.len())];
        let at = round7(Frame::at(s.centre).offset(
            rng.range(0.0, 1.3 * s.radius),
            rng.range(0.0, std::f64::consts::TAU),
        ));
        let target = rng.log_range(0.12e4, 2.9e4);
        let (ring, radius) = star(&mut rng, at, target, 120.0);
        let area = ring_area_m2(&ring);
        if !(0.1e4..=3.0e4).contains(&area)
            || land().locate(at, radius + 10.0) != Some(s.district)
            || !discs.is_free(at, radius + 2.0)
        {
            continue;
        }
        discs.insert(at, radius);
        let day = days_from_civil(2019, 1, 1)
            + rng.int(
                0,
                days_from_civil(2026, 10, 31) - days_from_civil(2019, 1, 1),
            );
        made.push((
            s.district,
            day,
            ring,
            area,
            rng.pick_weighted(&CHANGE_TYPES),
        ));
    }
    // numbered per district in survey order
    made.sort_by_key(|m| (m.0, m.1));
    let mut out = Vec::with_capacity(PATCHES);
    let mut serial = 0;
    for (k, (di, day, ring, area, change)) in made.iter().enumerate() {
        serial = if k > 0 && made[k - 1].0 == *di {
            serial + 1
        } else {
            1
        };
        out.push(feature(
            polygon_json(ring),
            object([
                (
                    "patch_no",
                    Value::from(format!("TB{}-{serial:05}", ds[*di].code)),
                ),
                ("change_type", Value::from(*change)),
                ("area_ha", Value::from(round_to(area / 1e4, 4))),
                ("surveyed_on", Value::from(date_string(*day))),
                ("district_code", Value::from(ds[*di].code)),
            ]),
        ));
    }
    out
}

pub(crate) fn tracks(seed: u64, forest: &Forest) -> Vec<Value> {
    let mut rng = Rng::new(seed, "patrol_tracks");
    let ds = districts();
    let counts = apportion(TRACKS, &FOREST_DISTRICTS.map(|(_, w)| w));
    let mut out = Vec::with_capacity(TRACKS);
    for ((code, _), count) in FOREST_DISTRICTS.iter().zip(counts) {
        let di = district_index(code);
        let patrollers: Vec<String> = (0..rng.int(6, 12)).map(|_| person(&mut rng)).collect();
        let compartments: Vec<&(usize, usize, usize)> =
            forest.compartments.iter().filter(|c| c.0 == di).collect();
        let mut made: Vec<(i64, Value)> = Vec::with_capacity(count);
        while made.len() < count {
            let &&(_, first, end) = rng.pick(&compartments);
            let Some(line) = walk(&mut rng, di, &forest.stands[first..end]) else {
                continue;
            };
            let length = Geodesic.length(&LineString(line.clone()));
            let day = days_from_civil(2024, 1, 1)
                + rng.int(
                    0,
                    days_from_civil(2026, 10, 31) - days_from_civil(2024, 1, 1),
                );
            let start = day * 86_400 + rng.int(7 * 3600, 15 * 3600);
            let speed = rng.range(3.0, 4.5) / 3.6; // m/s
            let end = start + (length / speed) as i64 + rng.int(0, 20 * 60);
            made.push((
                start,
                feature(
                    linestring_json(&line),
                    object([
                        ("patroller", Value::from(rng.pick(&patrollers).as_str())),
                        ("started_at", Value::from(datetime_string(start))),
                        ("ended_at", Value::from(datetime_string(end))),
                        ("length_m", Value::from(round_to(length, 1))),
                        ("district_code", Value::from(ds[di].code)),
                    ]),
                ),
            ));
        }
        made.sort_by_key(|m| m.0);
        out.extend(made.into_iter().map(|m| m.1));
    }
    out
}

/// A walk of 20–200 vertices from stand to stand of one compartment, 40–150 m steps, with some
/// wandering. Each new vertex is at least (step + 5 m) from every district border, so the whole
/// segment, not just its ends, is inside the district.
fn walk(rng: &mut Rng, di: usize, stands: &[Stand]) -> Option<Vec<Coord>> {
    let n = rng.int(20, 200) as usize;
    let mut line = vec![stands[rng.below(stands.len())].centre];
    let mut target = stands[rng.below(stands.len())].centre;
    let mut heading = rng.range(0.0, std::f64::consts::TAU);
    while line.len() < n {
        let cur = *line.last().expect("non-empty");
        if dist_m(cur, target) < 80.0 {
            target = stands[rng.below(stands.len())].centre;
        }
        let f = Frame::at(cur);
        let (tx, ty) = f.to_m(target);
        if tx.hypot(ty) > 1.0 {
            heading = ty.atan2(tx);
        }
        let next = (0..10).find_map(|attempt| {
            let h = if attempt == 0 {
                heading + rng.normal() * 0.4
            } else {
                rng.range(0.0, std::f64::consts::TAU)
            };
            let step = if attempt == 0 {
                rng.range(40.0, 150.0)
            } else {
                40.0
            };
            let c = round7(f.offset(step, h));
            (c != cur && land().locate(c, dist_m(cur, c) + 5.0) == Some(di)).then_some(c)
        });
        match next {
            Some(c) => line.push(c),
            // turning back is always possible: that vertex was placed with enough clearance
            None if line.len() >= 2 => line.push(line[line.len() - 2]),
            None => return None,
        }
    }
    Some(line)
}
