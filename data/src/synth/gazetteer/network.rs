//! The gazetteer's road network of one district: cut to the district, named and numbered.
//!
//! The lines of the [`RoadGrid`], and short local streets between them near each township
//! point.
//!
//! Numbering: a road's parts are ordered along its direction (north–south roads run south to
//! north, east–west roads east to west, as Shanghai numbers them) and measured end to end. The
//! measure is cut into slots of `slot_m` metres; slot `k` holds number `2k + 1` on the left of the
//! direction and `2k + 2` on the right (左单右双). A house exists in only some slots, so numbers
//! increase along the road with gaps, and any position has a well-defined number.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use geo::{BoundingRect, Coord};

use crate::districts::{districts, land};
use crate::geom::{Frame, round7};
use crate::names::{RoadGrid, is_central};
use crate::rng::Rng;
use crate::townships::townships;

/// Samples along a grid line are `STEP_M` apart and each must be `CLEARANCE_M` from every district
/// border. Why not `BooleanOps::clip`: a clipped line ends exactly on the (quantised, slightly
/// overlapping) border, while a sample's clearance exceeding the step keeps the whole piece
/// strictly inside one district and out of the overlap slivers.
const STEP_M: f64 = 40.0;
const CLEARANCE_M: f64 = 45.0;
/// Shorter pieces (a grid line grazing a corner of the district) are dropped.
const MIN_PIECE_M: f64 = 200.0;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Axis {
    NorthSouth,
    EastWest,
}

/// A grid line: main road `i`/`j` (integer `at`) or a local street (half-integer `at`), with its
/// pieces inside the district as (from, to) grid coordinates along the line.
struct Line {
    axis: Axis,
    main: Option<i64>,
    at: f64,
    pieces: Vec<(f64, f64)>,
}

/// The seed-independent line geometry of every district, computed once.
fn lines(district: usize) -> &'static [Line] {
    static CELL: OnceLock<Vec<Vec<Line>>> = OnceLock::new();
    &CELL.get_or_init(|| {
        (0..districts().len())
            .map(|di| district_lines(&RoadGrid::new(di, 0)))
            .collect()
    })[district]
}

fn grid_point(grid: &RoadGrid, axis: Axis, at: f64, t: f64) -> Coord {
    match axis {
        Axis::NorthSouth => grid.grid_coord(at, t),
        Axis::EastWest => grid.grid_coord(t, at),
    }
}

/// The runs of line `at` between `from` and `to` (grid units) that are inside the district.
fn pieces(grid: &RoadGrid, axis: Axis, at: f64, from: f64, to: f64) -> Vec<(f64, f64)> {
    let step = STEP_M / grid.spacing;
    let n = ((to - from) / step).floor().max(0.0) as usize;
    let mut out = Vec::new();
    let mut run: Option<(f64, f64)> = None;
    let mut close = |run: Option<(f64, f64)>| {
        if let Some((a, b)) = run
            && (b - a) * grid.spacing >= MIN_PIECE_M
        {
            out.push((a, b));
        }
    };
    for k in 0..=n {
        let t = from + k as f64 * step;
        if land().locate(grid_point(grid, axis, at, t), CLEARANCE_M) == Some(grid.district) {
            run = Some((run.map_or(t, |r| r.0), t));
        } else {
            close(run.take());
        }
    }
    close(run);
    out
}

fn district_lines(grid: &RoadGrid) -> Vec<Line> {
    let d = &districts()[grid.district];
    let bbox = d.geometry.bounding_rect().expect("non-empty");
    let (w, h) = grid.to_grid(bbox.max());
    let mut out = Vec::new();
    for (axis, extent, across) in [(Axis::NorthSouth, w, h), (Axis::EastWest, h, w)] {
        for i in 0..=extent.ceil() as i64 {
            let pieces = pieces(grid, axis, i as f64, 0.0, across);
            if !pieces.is_empty() {
                out.push(Line {
                    axis,
                    main: Some(i),
                    at: i as f64,
                    pieces,
                });
            }
        }
    }
    // Local streets: two north–south and two east–west streets through the blocks around each
    // township point, two blocks long, so that every township has streets of its own.
    let mut taken: HashSet<(Axis, i64, i64)> = HashSet::new();
    for t in townships().iter().filter(|t| t.district_code == d.code) {
        let (gx, gy) = grid.to_grid(t.synthetic_point.0);
        let streets = [
            (Axis::NorthSouth, gx.floor() + 0.5, gy),
            (Axis::EastWest, gy.floor() + 0.5, gx),
            (Axis::NorthSouth, gx.floor() - 0.5, gy),
            (Axis::EastWest, gy.floor() - 0.5, gx),
        ];
        for (axis, at, along) in streets {
            // the two blocks either side of the point, less those another township took
            let r = along.round() as i64;
            let free: Vec<i64> = [r - 1, r]
                .into_iter()
                .filter(|u| taken.insert((axis, (at * 2.0) as i64, *u)))
                .collect();
            let (Some(first), Some(last)) = (free.first(), free.last()) else {
                continue;
            };
            let longest = pieces(grid, axis, at, *first as f64, (*last + 1) as f64)
                .into_iter()
                .max_by(|a, b| (a.1 - a.0).total_cmp(&(b.1 - b.0)));
            if let Some(piece) = longest {
                out.push(Line {
                    axis,
                    main: None,
                    at,
                    pieces: vec![piece],
                });
            }
        }
    }
    out
}

/// A straight part of a road, from `a` to `b` in the numbering direction.
pub(crate) struct Part {
    pub(crate) a: Coord,
    pub(crate) b: Coord,
    pub(crate) len_m: f64,
    /// The road's measure at `a`: the lengths of the parts before this one.
    pub(crate) offset_m: f64,
    frame: Frame,
    /// Unit direction in the local metric frame at `a`.
    u: (f64, f64),
}

impl Part {
    fn new(a: Coord, b: Coord) -> Self {
        let frame = Frame::at(a);
        let (x, y) = frame.to_m(b);
        let len_m = x.hypot(y);
        Part {
            a,
            b,
            len_m,
            offset_m: 0.0,
            frame,
            u: (x / len_m, y / len_m),
        }
    }

    /// (distance along from `a`, signed distance to the left) of `c`.
    pub(crate) fn project(&self, c: Coord) -> (f64, f64) {
        let (x, y) = self.frame.to_m(c);
        (x * self.u.0 + y * self.u.1, y * self.u.0 - x * self.u.1)
    }

    /// The position `along` metres from `a` and `left` metres to the left (negative: right).
    pub(crate) fn at(&self, along: f64, left: f64) -> Coord {
        let (ux, uy) = self.u;
        self.frame
            .to_deg(along * ux - left * uy, along * uy + left * ux)
    }

    /// Squared distance in metres² from `c` to the part.
    pub(crate) fn distance_sq(&self, c: Coord) -> f64 {
        let (along, left) = self.project(c);
        let beyond = if along < 0.0 {
            along
        } else {
            (along - self.len_m).max(0.0)
        };
        beyond * beyond + left * left
    }
}

/// One named road of the district: all grid lines of that name.
pub(crate) struct Road {
    pub(crate) name: String,
    pub(crate) aliases: Vec<String>,
    pub(crate) parts: Vec<Part>,
    /// Width of a numbering slot (one odd and one even number), metres.
    pub(crate) slot_m: f64,
}

impl Road {
    /// House number of slot `k` on the left (odd) or right (even) side.
    pub(crate) fn number(k: u32, left: bool) -> u32 {
        2 * k + if left { 1 } else { 2 }
    }
}

pub(crate) struct Network {
    pub(crate) roads: Vec<Road>,
}

/// A couple of plausible aliases: the short form of a 公路 (沪太公路 → 沪太路) and the sector
/// form of a directional road (南京东路 → 南京路东段), each for half of the candidates.
fn aliases(rng: &mut Rng, name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let alias = if let Some(stem) = name.strip_suffix("公路") {
        Some(format!("{stem}路"))
    } else if chars.len() == 4 && chars[3] == '路' && "东西南北中".contains(chars[2]) {
        Some(format!("{}{}路{}段", chars[0], chars[1], chars[2]))
    } else {
        None
    };
    alias.filter(|_| rng.chance(0.5)).into_iter().collect()
}

impl Network {
    pub(crate) fn build(grid: &RoadGrid) -> Self {
        let di = grid.district;
        let central = is_central(districts()[di].code);
        let mut roads: Vec<Road> = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut next_local = 0;
        for line in lines(di) {
            let name = match (line.main, line.axis) {
                (Some(i), Axis::NorthSouth) => grid.ns_road(i),
                (Some(j), Axis::EastWest) => grid.ew_road(j),
                (None, _) => loop {
                    let name = grid.local_road(next_local);
                    next_local += 1;
                    if !by_name.contains_key(&name) {
                        break name;
                    }
                },
            };
            let r = *by_name.entry(name.clone()).or_insert_with(|| {
                let mut rng = Rng::new(grid.seed, &format!("gazetteer-road/{di}/{name}"));
                roads.push(Road {
                    aliases: aliases(&mut rng, &name),
                    slot_m: if central {
                        rng.range(14.0, 20.0)
                    } else {
                        rng.range(16.0, 26.0)
                    },
                    name,
                    parts: Vec::new(),
                });
                roads.len() - 1
            });
            for &(from, to) in &line.pieces {
                let (s, e) = (
                    round7(grid_point(grid, line.axis, line.at, from)),
                    round7(grid_point(grid, line.axis, line.at, to)),
                );
                // north–south roads are numbered northwards, east–west roads westwards
                roads[r].parts.push(match line.axis {
                    Axis::NorthSouth => Part::new(s, e),
                    Axis::EastWest => Part::new(e, s),
                });
            }
        }
        for road in &mut roads {
            let mut offset = 0.0;
            for p in &mut road.parts {
                p.offset_m = offset;
                offset += p.len_m;
            }
        }
        Network { roads }
    }

    /// The nearest road to `c` and the house number its numbering gives there.
    pub(crate) fn address(&self, c: Coord) -> (&str, u32) {
        let (road, part) = self
            .roads
            .iter()
            .flat_map(|r| r.parts.iter().map(move |p| (p.distance_sq(c), r, p)))
            .min_by(|x, y| x.0.total_cmp(&y.0))
            .map(|(_, r, p)| (r, p))
            .expect("every district has roads");
        let (along, left) = part.project(c);
        let measure = part.offset_m + along.clamp(0.0, part.len_m);
        let k = (measure / road.slot_m).floor() as u32;
        (&road.name, Road::number(k, left >= 0.0))
    }
}
