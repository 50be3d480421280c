//! House numbers along the roads of one district.
//!
//! Numbers are dense only near each township point (its "centre"), so that the layer stays at a
//! few tens of thousands of points: within the core radius of a township point, each slot of the
//! road measure (see [`super::network`]) holds a house on each side with probability `PRESENCE`.
//! Elsewhere every road part gets a plain number about every `SPARSE_EVERY_M`, so that any road
//! can be geocoded by interpolation. A house is a plain number (12 m off the centre line, on its
//! side), a lane (N弄, houses 1号…k号 going into the block, some with 支弄) or a compound gate
//! with numbered buildings (N号 k号楼) stacked behind it. Every township gets numbers on at least
//! three roads: the four local streets around its point (see [`super::network`]) and the grid
//! lines through its area all carry numbers.

use std::collections::{BTreeSet, HashSet};

use geo::Coord;

use super::network::{Network, Part, Road};
use crate::districts::{districts, land};
use crate::geom::round7;
use crate::names::{RoadGrid, is_central};
use crate::rng::Rng;
use crate::townships::{Township, nearest_township, townships};

/// Distance of a house point from the road centre line.
pub(crate) const FRONTAGE_M: f64 = 12.0;
const PRESENCE: f64 = 0.55;
/// No house within this distance of a part's end or of a crossing (grid lines every half block).
const CLEAR_OF_ENDS_M: f64 = 30.0;
const CLEAR_OF_CROSSINGS_M: f64 = 25.0;
/// Houses keep this far from every district border.
const BORDER_M: f64 = 3.0;
/// Outside the township centres, a road part gets about one number per this many metres.
const SPARSE_EVERY_M: f64 = 3_000.0;

/// One house-number point.
pub(crate) struct House {
    pub(crate) road: usize,
    /// Measure along the road of the slot position (for ordering).
    pub(crate) measure: f64,
    /// Left of the numbering direction (odd numbers).
    pub(crate) left: bool,
    pub(crate) lane: Option<u32>,
    pub(crate) sub_lane: Option<u32>,
    pub(crate) number: u32,
    pub(crate) building: Option<u32>,
    pub(crate) at: Coord,
    pub(crate) township: &'static Township,
}

/// A numbering slot of one side of one road part.
struct Slot<'a> {
    road: usize,
    part: &'a Part,
    k: u32,
    left: bool,
    /// Distance from the part's start of the house position.
    along: f64,
    /// +1 or −1: the direction along the part away from the nearest crossing, where a 支弄 can
    /// run for half a block without reaching the cross street.
    away: f64,
}

impl Slot<'_> {
    fn number(&self) -> u32 {
        Road::number(self.k, self.left)
    }
    fn point(&self, depth: f64) -> Coord {
        let side = if self.left { 1.0 } else { -1.0 };
        round7(self.part.at(self.along, side * depth))
    }
}

struct Builder<'a> {
    grid: &'a RoadGrid,
    net: &'a Network,
    district: usize,
    code: &'static str,
    central: bool,
    rng: Rng,
    /// (road, number) already used.
    taken: HashSet<(usize, u32)>,
    houses: Vec<House>,
}

pub(crate) fn generate(seed: u64, grid: &RoadGrid) -> Vec<House> {
    let d = &districts()[grid.district];
    let mut b = Builder {
        grid,
        net: grid.network(),
        district: grid.district,
        code: d.code,
        central: is_central(d.code),
        rng: Rng::new(seed, &format!("gazetteer-houses/{}", d.code)),
        taken: HashSet::new(),
        houses: Vec::new(),
    };
    let ts: Vec<&'static Township> = townships()
        .iter()
        .filter(|t| t.district_code == d.code)
        .collect();
    b.cores(&ts);
    b.sparse();
    let mut houses = b.houses;
    // along each road in numbering order, as a register would list them
    houses.sort_by(|x, y| {
        x.road
            .cmp(&y.road)
            .then(x.measure.total_cmp(&y.measure))
            .then(
                (!x.left, x.lane, x.sub_lane, x.number, x.building)
                    .cmp(&(!y.left, y.lane, y.sub_lane, y.number, y.building)),
            )
    });
    houses
}

impl Builder<'_> {
    /// The slots of `part` whose centre lies within `radius` of a township point.
    fn slots_near(&self, road: &Road, part: &Part, ts: &[&Township], radius: f64) -> BTreeSet<u32> {
        let mut out = BTreeSet::new();
        for t in ts {
            let (along, left) = part.project(t.synthetic_point.0);
            if left.abs() >= radius {
                continue;
            }
            let h = (radius * radius - left * left).sqrt();
            let lo = (along - h).max(CLEAR_OF_ENDS_M) + part.offset_m;
            let hi = (along + h).min(part.len_m - CLEAR_OF_ENDS_M) + part.offset_m;
            if lo < hi {
                let (k0, k1) = (
                    (lo / road.slot_m - 0.5).ceil().max(0.0) as u32,
                    (hi / road.slot_m - 0.5).floor() as u32,
                );
                out.extend(k0..=k1);
            }
        }
        out
    }

    /// The slot `k` of a part, house at its centre plus `jitter` (fraction of the slot width),
    /// unless it is too close to a crossing.
    fn slot<'p>(
        &self,
        road: usize,
        part: &'p Part,
        k: u32,
        left: bool,
        jitter: f64,
    ) -> Option<Slot<'p>> {
        let w = self.net.roads[road].slot_m;
        let along = (k as f64 + 0.5 + jitter) * w - part.offset_m;
        let (gx, gy) = self.grid.to_grid(part.at(along, 0.0));
        // north–south parts run towards +y, east–west parts towards −x
        let (g, forward) = if (part.a.x - part.b.x).abs() < (part.a.y - part.b.y).abs() {
            (gy, 1.0)
        } else {
            (gx, -1.0)
        };
        // crossings are every half block: at multiples of 0.5 in grid units
        let past = g * 2.0 - (g * 2.0).round();
        let to_crossing = past.abs() / 2.0 * self.grid.spacing;
        (to_crossing >= CLEAR_OF_CROSSINGS_M).then_some(Slot {
            road,
            part,
            k,
            left,
            along,
            away: if past >= 0.0 { forward } else { -forward },
        })
    }

    fn inside(&self, c: Coord) -> bool {
        land().locate(c, BORDER_M) == Some(self.district)
    }

    fn push(
        &mut self,
        s: &Slot,
        at: Coord,
        lane: Option<u32>,
        sub_lane: Option<u32>,
        number: u32,
        building: Option<u32>,
    ) {
        let township = nearest_township(self.code, at.x, at.y).expect("district has townships");
        self.houses.push(House {
            road: s.road,
            measure: s.part.offset_m + s.along,
            left: s.left,
            lane,
            sub_lane,
            number,
            building,
            at,
            township,
        });
    }

    /// Dense numbers (with lanes and compounds) on the streets near the township points.
    fn cores(&mut self, ts: &[&Township]) {
        let radius = if self.central { 200.0 } else { 280.0 };
        let net = self.net;
        for (r, road) in net.roads.iter().enumerate() {
            for part in &road.parts {
                for k in self.slots_near(road, part, ts, radius) {
                    for left in [true, false] {
                        if !self.rng.chance(PRESENCE) {
                            continue;
                        }
                        let jitter = self.rng.range(-0.2, 0.2);
                        if let Some(s) = self.slot(r, part, k, left, jitter) {
                            self.house(&s);
                        }
                    }
                }
            }
        }
    }

    /// A few plain numbers along every part, about one per `SPARSE_EVERY_M` and at least two (on
    /// alternate sides), so that every road can be geocoded by interpolation.
    fn sparse(&mut self) {
        let net = self.net;
        for (r, road) in net.roads.iter().enumerate() {
            for part in &road.parts {
                let usable = part.len_m - 2.0 * CLEAR_OF_ENDS_M;
                let n = (usable / SPARSE_EVERY_M).round().max(2.0) as usize;
                let mut left = self.rng.chance(0.5);
                for i in 0..n {
                    let lo = part.offset_m + CLEAR_OF_ENDS_M + usable * i as f64 / n as f64;
                    let hi = lo + usable / n as f64;
                    let (k0, k1) = (
                        (lo / road.slot_m - 0.5).ceil() as u32,
                        (hi / road.slot_m - 0.5).floor() as u32,
                    );
                    if k0 > k1 {
                        continue;
                    }
                    let k = k0 + self.rng.below((k1 - k0 + 1) as usize) as u32;
                    // the first slot clear of crossings at or after k within the interval
                    if let Some(s) = (k..=k1).find_map(|k| self.slot(r, part, k, left, 0.0)) {
                        self.plain(&s);
                    }
                    left = !left;
                }
            }
        }
    }

    /// A plain number at slot `s`, if free and inside the district.
    fn plain(&mut self, s: &Slot) {
        let at = s.point(FRONTAGE_M);
        if self.inside(at) && self.taken.insert((s.road, s.number())) {
            self.push(s, at, None, None, s.number(), None);
        }
    }

    /// A plain number, a lane or a compound at slot `s`.
    fn house(&mut self, s: &Slot) {
        let gate = s.point(FRONTAGE_M);
        if !self.inside(gate) || !self.taken.insert((s.road, s.number())) {
            return;
        }
        let u = self.rng.f64();
        let lane_share = if self.central { 0.15 } else { 0.08 };
        if u < lane_share {
            self.lane(s);
        } else if u < lane_share + 0.07 {
            self.push(s, gate, None, None, s.number(), None);
            for b in 1..=self.rng.int(2, 5) as u32 {
                let at = s.point(FRONTAGE_M + 14.0 * b as f64);
                if self.inside(at) {
                    self.push(s, at, None, None, s.number(), Some(b));
                }
            }
        } else {
            self.push(s, gate, None, None, s.number(), None);
        }
    }

    /// Lane N弄: houses 1号…k号 on alternate sides of the lane going into the block, and in a
    /// quarter of the lanes 1–2 支弄 branching off parallel to the road, away from the nearest
    /// crossing.
    fn lane(&mut self, s: &Slot) {
        let lane = s.number();
        let houses = self.rng.int(2, if self.central { 6 } else { 5 }) as u32;
        let side = if s.left { 1.0 } else { -1.0 };
        for h in 1..=houses {
            let across = if h % 2 == 1 { -4.0 } else { 4.0 };
            let at = round7(
                s.part
                    .at(s.along + across, side * (FRONTAGE_M + 9.0 * h as f64)),
            );
            if self.inside(at) {
                self.push(s, at, Some(lane), None, h, None);
            }
        }
        if self.rng.chance(0.25) {
            for j in 1..=self.rng.int(1, 2) as u32 {
                let depth = FRONTAGE_M + 16.0 * j as f64 + 3.0;
                for h in 1..=self.rng.int(2, 4) as u32 {
                    let along = s.along + s.away * (5.0 + 7.0 * h as f64);
                    let at = round7(s.part.at(along, side * depth));
                    if self.inside(at) {
                        self.push(s, at, Some(lane), Some(j), h, None);
                    }
                }
            }
        }
    }
}
