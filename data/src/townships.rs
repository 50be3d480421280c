//! The 234 township-level units: real NBS 2023 codes and names, synthetic representative points.

use std::sync::OnceLock;

use geo::{Coord, Point};

use crate::districts::{districts, land};
use crate::geom::round_to;
use crate::rng::Rng;

const SOURCE: &str = include_str!("../townships.csv");

/// People's Square, used as "the city centre" for urban density.
pub(crate) const CITY_CENTRE: Coord = Coord {
    x: 121.4737,
    y: 31.2304,
};

/// Latitude whose cosine scales longitude in the township metric (see [`nearest_township`]).
const LAT0_DEG: f64 = 31.23;

/// One township-level unit (街道/镇/乡).
#[derive(Debug, Clone)]
pub struct Township {
    /// 9-digit NBS code, e.g. `"310115005"`.
    pub code: &'static str,
    /// Official name, e.g. `"陆家嘴街道"`.
    pub name: &'static str,
    /// 6-digit code of the district it belongs to, e.g. `"310115"`.
    pub district_code: &'static str,
    /// That district's name, e.g. `"浦东新区"`.
    pub district_name: &'static str,
    /// SYNTHETIC representative point (no real township geometry is available): a fixed,
    /// seed-independent k-means centre inside the district outline, so that "nearest township
    /// point" partitions each district into plausible, compact areas until real polygons are loaded.
    pub synthetic_point: Point<f64>,
}

/// All 234 townships in code order, with their synthetic points (computed on first use, ~10 ms).
pub fn townships() -> &'static [Township] {
    static CELL: OnceLock<Vec<Township>> = OnceLock::new();
    CELL.get_or_init(build)
}

/// The township of `district_code` whose synthetic point is nearest to `(lon, lat)`.
///
/// The metric is planar with longitude scaled by cos(31.23°): d² = (Δlon·cos 31.23°)² + Δlat².
/// Why this rule: it is the only township assignment the sample data can support without real
/// township polygons, and every generated `township_code` is exactly this function's answer.
pub fn nearest_township(district_code: &str, lon: f64, lat: f64) -> Option<&'static Township> {
    let cos = cos_lat0();
    let all = townships();
    // townships are sorted by code and a township code starts with its district code
    let start = all.partition_point(|t| t.district_code < district_code);
    let end = all.partition_point(|t| t.district_code <= district_code);
    all[start..end].iter().min_by(|a, b| {
        let d = |t: &Township| {
            let dx = (t.synthetic_point.x() - lon) * cos;
            let dy = t.synthetic_point.y() - lat;
            dx * dx + dy * dy
        };
        d(a).total_cmp(&d(b))
    })
}

fn cos_lat0() -> f64 {
    LAT0_DEG.to_radians().cos()
}

/// Urban intensity: ~7 at People's Square, falling to 1 far out. Used to make township cells and
/// video points denser towards the centre.
pub(crate) fn urban_weight(c: Coord) -> f64 {
    let dx = (c.x - CITY_CENTRE.x) * cos_lat0() * 111.3;
    let dy = (c.y - CITY_CENTRE.y) * 111.3;
    1.0 + 6.0 * (-(dx.hypot(dy)) / 6.0).exp()
}

fn kind_rank(name: &str) -> u8 {
    if name.ends_with("街道") {
        0
    } else if name.ends_with('乡') {
        2
    } else {
        1
    }
}

fn build() -> Vec<Township> {
    let mut rows: Vec<[&'static str; 4]> = SOURCE
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&'static str> = l.trim_end().split(',').collect();
            assert_eq!(f.len(), 4, "townships.csv: bad line {l}");
            [f[0], f[1], f[2], f[3]]
        })
        .collect();
    rows.sort_by_key(|r| r[0]);
    let mut out = Vec::with_capacity(rows.len());
    let mut rng = Rng::new(0x5348_2023, "township-points");
    for (di, d) in districts().iter().enumerate() {
        let mut members: Vec<&[&'static str; 4]> = rows.iter().filter(|r| r[2] == d.code).collect();
        if members.is_empty() {
            continue;
        }
        let centres = kmeans_points(&mut rng, di, members.len());
        // streets (街道) are urban: give them the cells nearest the centre, then towns, then 乡.
        members.sort_by_key(|r| kind_rank(r[1]));
        for (r, c) in members.into_iter().zip(centres) {
            out.push(Township {
                code: r[0],
                name: r[1],
                district_code: d.code,
                district_name: r[3],
                synthetic_point: Point::new(round_to(c.x, 6), round_to(c.y, 6)),
            });
        }
    }
    assert_eq!(
        out.len(),
        rows.len(),
        "every township's district is among the 16 districts"
    );
    out.sort_by_key(|t| t.code);
    out
}

/// `k` well-spread points inside district `di`, sorted by distance from the city centre: Lloyd's
/// k-means over urban-weighted samples, each centre finally snapped to its nearest sample so it
/// is inside the (possibly non-convex, multi-part) outline.
fn kmeans_points(rng: &mut Rng, di: usize, k: usize) -> Vec<Coord> {
    let land = land();
    let bbox = geo::BoundingRect::bounding_rect(&districts()[di].geometry).expect("non-empty");
    let n = (150 * k).max(1500);
    let mut samples = Vec::with_capacity(n);
    while samples.len() < n {
        let c = Coord {
            x: rng.range(bbox.min().x, bbox.max().x),
            y: rng.range(bbox.min().y, bbox.max().y),
        };
        if land.locate(c, 150.0) == Some(di) && rng.f64() * 7.0 < urban_weight(c) {
            samples.push(Coord {
                x: c.x * cos_lat0(),
                y: c.y,
            });
        }
    }
    let d2 = |a: Coord, b: Coord| (a.x - b.x).powi(2) + (a.y - b.y).powi(2);
    // k-means++ initialisation
    let mut centres = vec![samples[rng.below(n)]];
    let mut best: Vec<f64> = samples.iter().map(|s| d2(*s, centres[0])).collect();
    while centres.len() < k {
        let c = samples[rng.weighted(&best)];
        centres.push(c);
        for (b, s) in best.iter_mut().zip(&samples) {
            *b = b.min(d2(*s, c));
        }
    }
    let mut assign = vec![0usize; n];
    for _ in 0..30 {
        for (a, s) in assign.iter_mut().zip(&samples) {
            let mut best = (f64::MAX, 0);
            for (i, c) in centres.iter().enumerate() {
                let d = d2(*s, *c);
                if d < best.0 {
                    best = (d, i);
                }
            }
            *a = best.1;
        }
        let mut sum = vec![(0.0, 0.0, 0usize); k];
        for (a, s) in assign.iter().zip(&samples) {
            sum[*a].0 += s.x;
            sum[*a].1 += s.y;
            sum[*a].2 += 1;
        }
        for (c, (sx, sy, m)) in centres.iter_mut().zip(sum) {
            if m > 0 {
                *c = Coord {
                    x: sx / m as f64,
                    y: sy / m as f64,
                };
            }
        }
    }
    let mut out: Vec<Coord> = (0..k)
        .map(|i| {
            let s = samples
                .iter()
                .zip(&assign)
                .filter(|(_, a)| **a == i)
                .map(|(s, _)| *s)
                .min_by(|a, b| d2(*a, centres[i]).total_cmp(&d2(*b, centres[i])))
                .unwrap_or_else(|| {
                    // empty cluster (rare): the nearest sample overall is still inside the district
                    *samples
                        .iter()
                        .min_by(|a, b| d2(**a, centres[i]).total_cmp(&d2(**b, centres[i])))
                        .expect("n > 0")
                });
            Coord {
                x: s.x / cos_lat0(),
                y: s.y,
            }
        })
        .collect();
    out.sort_by(|a, b| d2(*a, CITY_CENTRE).total_cmp(&d2(*b, CITY_CENTRE)));
    out
}
