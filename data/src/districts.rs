//! The 16 districts: parsed once from the embedded GeoJSON, repaired, and indexed for the generator.

use std::sync::OnceLock;

use geo::indexed::IntervalTreeMultiPolygon;
use geo::{BoundingRect, Contains, Coord, LineString, MultiPolygon, Polygon, Rect};
use serde_json::Value;

use crate::geom::metres_per_degree;

const SOURCE: &str = include_str!("../districts.geojson");

/// One district of Shanghai: real outline (ECharts 4.9.0 map data, ~100 m precision, see
/// data/README.md), repaired so that it passes geo's `Validation`, with counter-clockwise exterior
/// rings and no repeated consecutive vertices.
///
/// Exposed because later work (reverse geocoding, thematic maps) needs the outlines as geo types
/// without going through the server's database.
#[derive(Debug, Clone)]
pub struct District {
    /// GB/T 2260 code, e.g. `"310115"`.
    pub code: &'static str,
    /// Chinese name, e.g. `"浦东新区"`.
    pub name: &'static str,
    /// lon/lat (approximately WGS84; the source datum is undocumented).
    pub geometry: MultiPolygon<f64>,
}

/// The 16 districts in code order (310101 … 310151), parsed on first use.
pub fn districts() -> &'static [District] {
    static CELL: OnceLock<Vec<District>> = OnceLock::new();
    CELL.get_or_init(|| parse(SOURCE))
}

/// The district with this code.
pub fn district(code: &str) -> Option<&'static District> {
    districts().iter().find(|d| d.code == code)
}

/// The district containing `(lon, lat)`, if exactly one does.
///
/// Why "exactly one": the source outlines are quantised to ~100 m and neighbours overlap slightly
/// along shared borders; a point in such a sliver has no trustworthy answer, so none is given.
pub fn district_at(lon: f64, lat: f64) -> Option<&'static District> {
    land()
        .locate(Coord { x: lon, y: lat }, 0.0)
        .map(|i| &districts()[i])
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn parse(src: &str) -> Vec<District> {
    let v: Value = serde_json::from_str(src).expect("embedded districts.geojson is valid JSON");
    let mut out: Vec<District> = v["features"]
        .as_array()
        .expect("a FeatureCollection")
        .iter()
        .map(|f| {
            let g = &f["geometry"];
            let polygons: Vec<&Value> = match g["type"].as_str() {
                Some("Polygon") => vec![&g["coordinates"]],
                Some("MultiPolygon") => g["coordinates"]
                    .as_array()
                    .expect("coordinates")
                    .iter()
                    .collect(),
                other => panic!("unexpected district geometry {other:?}"),
            };
            let polygons = polygons
                .into_iter()
                .map(|p| {
                    let mut rings = p.as_array().expect("rings").iter().map(|r| {
                        let coords: Vec<Coord> = r
                            .as_array()
                            .expect("ring")
                            .iter()
                            .map(|c| Coord {
                                x: snap(c[0].as_f64().expect("lon")),
                                y: snap(c[1].as_f64().expect("lat")),
                            })
                            .collect();
                        coords
                    });
                    let exterior = repair_ring(it_next(&mut rings), true);
                    let interiors = rings.map(|r| LineString(repair_ring(r, false))).collect();
                    Polygon::new(LineString(exterior), interiors)
                })
                .collect();
            District {
                code: leak(f["properties"]["code"].as_str().expect("code")),
                name: leak(f["properties"]["name"].as_str().expect("name")),
                geometry: MultiPolygon(polygons),
            }
        })
        .collect();
    out.sort_by_key(|d| d.code);
    out
}

/// The source coordinates are multiples of 1/1024 degree printed with 6 decimals; snapping them back
/// (a move of at most 5e-7 degree) makes the collinearity tests of `repair_ring` exact.
fn snap(v: f64) -> f64 {
    (v * 1024.0).round() / 1024.0
}

fn it_next(it: &mut impl Iterator<Item = Vec<Coord>>) -> Vec<Coord> {
    it.next().expect("a polygon has an exterior ring")
}

fn cross(o: Coord, a: Coord, b: Coord) -> f64 {
    (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
}

/// Minimal repair of a quantised ring (see data/README.md): drops repeated consecutive vertices,
/// "spikes" (the ring walks out along a line and straight back) and tiny loops (the ring returns to
/// a vertex it visited, or touches an edge it walked, at most 8 vertices earlier; such a loop
/// encloses about a hectare), then orients the ring (counter-clockwise exterior, clockwise holes,
/// as RFC 7946 asks). Exact arithmetic: the coordinates are multiples of 1/1024.
pub(crate) fn repair_ring(ring: Vec<Coord>, exterior: bool) -> Vec<Coord> {
    let mut v = ring;
    if v.first() == v.last() {
        v.pop();
    }
    loop {
        let before = v.len();
        // repeated consecutive vertices (cyclically)
        v.dedup();
        while v.len() > 1 && v.first() == v.last() {
            v.pop();
        }
        // spikes: a vertex where the ring reverses along a straight line
        let n = v.len();
        if let Some(i) = (0..n).find(|&i| {
            let (a, b, c) = (v[(i + n - 1) % n], v[i], v[(i + 1) % n]);
            cross(b, a, c) == 0.0 && (a.x - b.x) * (c.x - b.x) + (a.y - b.y) * (c.y - b.y) > 0.0
        }) {
            v.remove(i);
            continue;
        }
        // small loops: the ring comes back to a vertex seen a few steps earlier
        let n = v.len();
        let small_loop = (0..n).find_map(|i| {
            (i + 2..(i + 9).min(n))
                .find(|&j| v[j] == v[i] && n - (j - i) > j - i)
                .map(|j| (i, j))
        });
        if let Some((i, j)) = small_loop {
            v.drain(i + 1..=j);
            continue;
        }
        // a vertex touching a nearby edge: make it a vertex of that edge too, so that the loop
        // it closes becomes a repeated vertex on the next pass
        let n = v.len();
        let touch = (0..n).find_map(|i| {
            let (a, b) = (v[i], v[(i + 1) % n]);
            // up to 8 vertices after the edge, or before it
            let nearby = (2..9.min(n))
                .map(|k| (i + k) % n)
                .chain((1..8.min(n - 1)).map(|k| (i + n - k) % n));
            nearby
                .map(|j| v[j])
                .find(|&p| {
                    p != a
                        && p != b
                        && cross(a, b, p) == 0.0
                        && (p.x - a.x) * (p.x - b.x) <= 0.0
                        && (p.y - a.y) * (p.y - b.y) <= 0.0
                })
                .map(|p| (i, p))
        });
        if let Some((i, p)) = touch {
            v.insert(i + 1, p);
            continue;
        }
        if v.len() == before {
            break;
        }
    }
    v.push(v[0]);
    let area2: f64 = v
        .windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum();
    if (area2 > 0.0) != exterior {
        v.reverse();
    }
    v
}

/// A uniform grid over Shanghai telling, for any point, which district holds it and whether it is
/// at least some distance from every district border.
///
/// Why: the generator tests ~10^5 candidate positions and each must be *strictly* inside one
/// district with a margin (so footprints and stands stay inside too); brute force over ~4,500
/// border edges per query would blow the time budget.
pub(crate) struct Land {
    x0: f64,
    y0: f64,
    nx: usize,
    ny: usize,
    /// district index owning a cell with no border within `MARGIN_M`, else -1
    owner: Vec<i16>,
    /// for cells near a border, the edges within `MARGIN_DEG` of the cell
    cell_edges: Vec<Vec<u32>>,
    edges: Vec<(Coord, Coord)>,
    bboxes: Vec<Rect>,
    /// point-in-polygon in O(log n)
    trees: Vec<IntervalTreeMultiPolygon<f64>>,
}

const CELL_DEG: f64 = 0.01;
const MARGIN_DEG: f64 = 0.005;
/// A lower bound of `MARGIN_DEG` in metres anywhere in Shanghai (lat ≤ 32°).
pub(crate) const MARGIN_M: f64 = 450.0;

pub(crate) fn land() -> &'static Land {
    static CELL: OnceLock<Land> = OnceLock::new();
    CELL.get_or_init(|| Land::new(districts()))
}

impl Land {
    fn new(ds: &[District]) -> Land {
        let bboxes: Vec<Rect> = ds
            .iter()
            .map(|d| d.geometry.bounding_rect().expect("non-empty"))
            .collect();
        let x0 = bboxes.iter().map(|b| b.min().x).fold(f64::MAX, f64::min) - CELL_DEG;
        let y0 = bboxes.iter().map(|b| b.min().y).fold(f64::MAX, f64::min) - CELL_DEG;
        let x1 = bboxes.iter().map(|b| b.max().x).fold(f64::MIN, f64::max) + CELL_DEG;
        let y1 = bboxes.iter().map(|b| b.max().y).fold(f64::MIN, f64::max) + CELL_DEG;
        let nx = ((x1 - x0) / CELL_DEG).ceil() as usize;
        let ny = ((y1 - y0) / CELL_DEG).ceil() as usize;
        let mut edges = Vec::new();
        for d in ds {
            for p in &d.geometry {
                for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                    edges.extend(ring.lines().map(|l| (l.start, l.end)));
                }
            }
        }
        let mut cell_edges = vec![Vec::new(); nx * ny];
        for (k, (a, b)) in edges.iter().enumerate() {
            let cx = |x: f64| ((x - x0) / CELL_DEG).floor().clamp(0.0, (nx - 1) as f64) as usize;
            let cy = |y: f64| ((y - y0) / CELL_DEG).floor().clamp(0.0, (ny - 1) as f64) as usize;
            for j in cy(a.y.min(b.y) - MARGIN_DEG)..=cy(a.y.max(b.y) + MARGIN_DEG) {
                for i in cx(a.x.min(b.x) - MARGIN_DEG)..=cx(a.x.max(b.x) + MARGIN_DEG) {
                    cell_edges[j * nx + i].push(k as u32);
                }
            }
        }
        let trees = ds
            .iter()
            .map(|d| IntervalTreeMultiPolygon::new(&d.geometry))
            .collect();
        let mut land = Land {
            x0,
            y0,
            nx,
            ny,
            owner: vec![-1; nx * ny],
            cell_edges,
            edges,
            bboxes,
            trees,
        };
        for j in 0..ny {
            for i in 0..nx {
                if land.cell_edges[j * nx + i].is_empty() {
                    let c = Coord {
                        x: x0 + (i as f64 + 0.5) * CELL_DEG,
                        y: y0 + (j as f64 + 0.5) * CELL_DEG,
                    };
                    if let Some(d) = land.containing(c) {
                        land.owner[j * nx + i] = d as i16;
                    }
                }
            }
        }
        land
    }

    /// The one district whose polygon contains `c` (None if none or several do).
    fn containing(&self, c: Coord) -> Option<usize> {
        let mut found = None;
        for (k, tree) in self.trees.iter().enumerate() {
            if self.bboxes[k].contains(&c) && tree.contains(&c) {
                if found.is_some() {
                    return None;
                }
                found = Some(k);
            }
        }
        found
    }

    /// The index (into `districts()`) of the one district containing `c` with every district border
    /// at least `clearance_m` metres away (at most `MARGIN_M`).
    pub(crate) fn locate(&self, c: Coord, clearance_m: f64) -> Option<usize> {
        debug_assert!(clearance_m <= MARGIN_M);
        let fi = (c.x - self.x0) / CELL_DEG;
        let fj = (c.y - self.y0) / CELL_DEG;
        if !(fi >= 0.0 && fj >= 0.0 && fi < self.nx as f64 && fj < self.ny as f64) {
            return None;
        }
        let cell = fj as usize * self.nx + fi as usize;
        let near = &self.cell_edges[cell];
        if near.is_empty() {
            return usize::try_from(self.owner[cell]).ok();
        }
        let (mx, my) = metres_per_degree(c.y);
        for &k in near {
            let (a, b) = self.edges[k as usize];
            let (ax, ay) = ((a.x - c.x) * mx, (a.y - c.y) * my);
            let (bx, by) = ((b.x - c.x) * mx, (b.y - c.y) * my);
            let (dx, dy) = (bx - ax, by - ay);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let d2 = (ax + t * dx).powi(2) + (ay + t * dy).powi(2);
            if d2 <= clearance_m * clearance_m {
                return None;
            }
        }
        self.containing(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repair_removes_spikes_loops_and_orients() {
        let c = |x: f64, y: f64| Coord { x, y };
        // clockwise square with a duplicate, a spike and a small loop
        let ring = vec![
            c(0., 0.),
            c(0., 4.),
            c(0., 4.),
            c(2., 4.),
            c(2., 5.),
            c(2., 4.),
            c(4., 4.),
            c(4., 0.),
            c(3., 0.),
            c(3., -1.),
            c(2., -1.),
            c(3., 0.),
            c(0., 0.),
        ];
        let r = repair_ring(ring, true);
        assert_eq!(
            r,
            vec![
                c(0., 0.),
                c(3., 0.),
                c(4., 0.),
                c(4., 4.),
                c(2., 4.),
                c(0., 4.),
                c(0., 0.)
            ]
        );
    }

    #[test]
    fn repair_cuts_a_loop_that_touches_an_edge() {
        let c = |x: f64, y: f64| Coord { x, y };
        // counter-clockwise square whose left edge walks down to (0,1), out to (1,1) and back up to
        // (0,2), which lies on the edge it came along
        let ring = vec![
            c(0., 4.),
            c(0., 1.),
            c(1., 1.),
            c(0., 2.),
            c(0., 0.),
            c(4., 0.),
            c(4., 4.),
            c(0., 4.),
        ];
        let r = repair_ring(ring, true);
        assert_eq!(
            r,
            vec![
                c(0., 4.),
                c(0., 2.),
                c(0., 0.),
                c(4., 0.),
                c(4., 4.),
                c(0., 4.)
            ]
        );
        assert!(geo::Validation::is_valid(&Polygon::new(
            LineString(r),
            vec![]
        )));
    }
}
