//! A feature's geometry as one tile holds it: projected, clipped, simplified and quantised.
//!
//! See [`crate::clip`] and [`crate::simplify`].
//!
//! Work is proportional to the vertices near the tile, and a part smaller than the
//! simplification tolerance on both axes costs O(1) projections: its lon/lat bounding box
//! is projected instead of its vertices and it is drawn as the grid cells that box covers.
//! That is what keeps low-zoom tiles with thousands of small polygons cheap.
//!
//! No feature that reaches the tile vanishes, but a multi-part feature does not keep its
//! collapsed parts beside parts that survived whole (an islet beside its mainland): a
//! stand-in is drawn only when every part collapsed, once per distinct stand-in.

use geo::{Coord, Geometry, Polygon, Rect};

use crate::SIMPLIFY_TOLERANCE;
use crate::clip::{ClipBox, bbox, clip_line, clip_ring};
use crate::mercator::TileTransform;
use crate::simplify;

/// A vertex on the tile's integer grid (0..EXTENT inside the tile, y down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TilePoint {
    pub x: i32,
    pub y: i32,
}

impl TilePoint {
    pub fn round(c: Coord<f64>) -> Self {
        Self {
            x: c.x.round() as i32,
            y: c.y.round() as i32,
        }
    }
}

/// The three MVT geometry types. Rings are open (no repeated closing vertex) and wound
/// as MVT 2.1 requires; each polygon is its exterior followed by its holes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TileGeometry {
    Points(Vec<TilePoint>),
    Lines(Vec<Vec<TilePoint>>),
    Polygons(Vec<Vec<Vec<TilePoint>>>),
}

impl TileGeometry {
    /// The part of `g` (lon/lat) that shows in the tile, or `None` if nothing does.
    pub fn new(g: &Geometry<f64>, t: &TileTransform) -> Option<Self> {
        match g {
            Geometry::Point(p) => points([p.0], t),
            Geometry::MultiPoint(mp) => points(mp.iter().map(|p| p.0), t),
            Geometry::Line(l) => lines([&[l.start, l.end][..]], t),
            Geometry::LineString(ls) => lines([&ls.0[..]], t),
            Geometry::MultiLineString(mls) => lines(mls.iter().map(|l| &l.0[..]), t),
            Geometry::Polygon(p) => polygons([p], t),
            Geometry::MultiPolygon(mp) => polygons(&mp.0, t),
            Geometry::Rect(r) => polygons([&r.to_polygon()], t),
            Geometry::Triangle(tr) => polygons([&tr.to_polygon()], t),
            // Validation refuses collections, so stores never hold one.
            Geometry::GeometryCollection(_) => None,
        }
    }
}

/// One part of a multi-part geometry after simplification.
enum Part<T> {
    Whole(T),
    /// A minimal stand-in for a part that collapsed.
    Collapsed(T),
}

/// The parts that survived whole, or else every distinct stand-in (see the module doc).
fn keep<T: Ord>(parts: impl IntoIterator<Item = Part<T>>) -> Vec<T> {
    let (mut whole, mut collapsed) = (Vec::new(), Vec::new());
    for part in parts {
        match part {
            Part::Whole(p) => whole.push(p),
            Part::Collapsed(p) if whole.is_empty() => collapsed.push(p),
            Part::Collapsed(_) => {}
        }
    }
    if !whole.is_empty() {
        return whole;
    }
    collapsed.sort_unstable();
    collapsed.dedup();
    collapsed
}

fn points(coords: impl IntoIterator<Item = Coord<f64>>, t: &TileTransform) -> Option<TileGeometry> {
    let pts: Vec<_> = coords
        .into_iter()
        .map(|c| t.apply(c))
        .filter(|&c| ClipBox::TILE.contains(c))
        .map(TilePoint::round)
        .collect();
    (!pts.is_empty()).then_some(TileGeometry::Points(pts))
}

fn lines<'a>(
    parts: impl IntoIterator<Item = &'a [Coord<f64>]>,
    t: &TileTransform,
) -> Option<TileGeometry> {
    let kept = keep(parts.into_iter().flat_map(|l| line_parts(l, t)));
    (!kept.is_empty()).then_some(TileGeometry::Lines(kept))
}

fn polygons<'a>(
    parts: impl IntoIterator<Item = &'a Polygon<f64>>,
    t: &TileTransform,
) -> Option<TileGeometry> {
    let kept = keep(parts.into_iter().filter_map(|p| polygon(p, t)));
    (!kept.is_empty()).then_some(TileGeometry::Polygons(kept))
}

/// The tile-unit bounding box of lon/lat coordinates, from two projected corners
/// (Mercator is monotonic on each axis, and y flips: north is up, tile y grows down).
fn projected_bounds(coords: &[Coord<f64>], t: &TileTransform) -> Option<Rect<f64>> {
    let b = bbox(coords)?;
    let top_left = t.apply(Coord {
        x: b.min().x,
        y: b.max().y,
    });
    let bottom_right = t.apply(Coord {
        x: b.max().x,
        y: b.min().y,
    });
    Some(Rect::new(top_left, bottom_right))
}

/// Smaller than the tolerance both ways: simplification would leave nothing of it.
fn is_tiny(b: &Rect<f64>) -> bool {
    b.width() < SIMPLIFY_TOLERANCE && b.height() < SIMPLIFY_TOLERANCE
}

fn line_parts(line: &[Coord<f64>], t: &TileTransform) -> Vec<Part<Vec<TilePoint>>> {
    let Some(bounds) = projected_bounds(line, t).filter(|b| ClipBox::TILE.meets(b)) else {
        return Vec::new();
    };
    if is_tiny(&bounds) {
        let (first, last) = (line[0], line[line.len() - 1]);
        return vec![Part::Collapsed(simplify::stub(
            t.apply(first),
            t.apply(last),
        ))];
    }
    let projected: Vec<_> = line.iter().map(|&c| t.apply(c)).collect();
    let clipped = if ClipBox::TILE.covers(&bounds) {
        vec![projected]
    } else {
        clip_line(&projected, ClipBox::TILE)
    };
    clipped
        .into_iter()
        .map(|part| {
            let (first, last) = (part[0], part[part.len() - 1]);
            match simplify::line(part) {
                Some(l) => Part::Whole(l),
                None => Part::Collapsed(simplify::stub(first, last)),
            }
        })
        .collect()
}

/// One polygon: `None` when it does not reach the tile.
fn polygon(p: &Polygon<f64>, t: &TileTransform) -> Option<Part<Vec<Vec<TilePoint>>>> {
    let bounds = projected_bounds(&p.exterior().0, t).filter(|b| ClipBox::TILE.meets(b))?;
    if is_tiny(&bounds) {
        return Some(Part::Collapsed(vec![simplify::square(&bounds)]));
    }
    let exterior = ring_in_tile(&p.exterior().0, &bounds, t)?;
    let clipped_bounds = bbox(&exterior)?;
    let Some(exterior) = simplify::ring(exterior, true) else {
        return Some(Part::Collapsed(vec![simplify::square(&clipped_bounds)]));
    };
    let mut rings = vec![exterior];
    for hole in p.interiors() {
        // A hole may vanish: the polygon stays visible without it.
        let Some(hb) =
            projected_bounds(&hole.0, t).filter(|b| ClipBox::TILE.meets(b) && !is_tiny(b))
        else {
            continue;
        };
        if let Some(h) = ring_in_tile(&hole.0, &hb, t).and_then(|h| simplify::ring(h, false)) {
            rings.push(h);
        }
    }
    Some(Part::Whole(rings))
}

/// A closed lon/lat ring projected and clipped, as an open ring; `None` when nothing with
/// an area is left (the ring only touched the box).
fn ring_in_tile(
    ring: &[Coord<f64>],
    bounds: &Rect<f64>,
    t: &TileTransform,
) -> Option<Vec<Coord<f64>>> {
    let mut coords: Vec<_> = ring.iter().map(|&c| t.apply(c)).collect();
    if coords.len() > 1 && coords.first() == coords.last() {
        coords.pop();
    }
    if !ClipBox::TILE.covers(bounds) {
        coords = clip_ring(coords, bounds, ClipBox::TILE);
    }
    let n = coords.len();
    let area: f64 = (0..n)
        .map(|i| {
            let (a, b) = (coords[i], coords[(i + 1) % n]);
            a.x * b.y - b.x * a.y
        })
        .sum();
    // Far below any real area (a 0.5 m square at z=8 is 2e-4 units²), above float noise.
    (area.abs() > 1e-9).then_some(coords)
}

#[cfg(test)]
mod tests {
    use geo::{LineString, MultiPolygon, polygon};

    use super::*;
    use crate::TileId;
    use crate::mercator::world_to_lonlat;

    /// A z=10 tile over Shanghai and a helper placing lon/lat by tile units in it.
    fn setup() -> (TileTransform, impl Fn(f64, f64) -> Coord<f64>) {
        let tile = TileId::new(10, 857, 418).unwrap();
        let at = move |x: f64, y: f64| {
            let n = 1024.0 * 4096.0;
            world_to_lonlat(Coord {
                x: (857.0 * 4096.0 + x) / n,
                y: (418.0 * 4096.0 + y) / n,
            })
        };
        (tile.transform(), at)
    }

    #[test]
    fn tiny_polygon_becomes_a_square() {
        let (t, at) = setup();
        let (a, b) = (at(100.2, 100.2), at(100.4, 100.4));
        let g = Geometry::Polygon(Polygon::new(
            LineString::new(vec![a, Coord { x: b.x, y: a.y }, b, a]),
            vec![],
        ));
        let Some(TileGeometry::Polygons(p)) = TileGeometry::new(&g, &t) else {
            panic!()
        };
        assert_eq!(
            p,
            vec![vec![simplify::square(&Rect::new(
                Coord { x: 100.2, y: 100.2 },
                Coord { x: 100.4, y: 100.4 }
            ))]]
        );
    }

    #[test]
    fn islets_give_way_to_a_surviving_part() {
        let (t, at) = setup();
        let sq = |x: f64, s: f64| {
            polygon![
                at(x, 10.0),
                at(x + s, 10.0),
                at(x + s, 10.0 + s),
                at(x, 10.0 + s)
            ]
        };
        let mainland = sq(1000.0, 500.0);
        let islets = MultiPolygon(vec![sq(10.0, 0.2), sq(20.0, 0.2), sq(20.1, 0.2)]);
        let Some(TileGeometry::Polygons(p)) =
            TileGeometry::new(&Geometry::MultiPolygon(islets.clone()), &t)
        else {
            panic!()
        };
        assert_eq!(p.len(), 2, "the two islets in one cell share a stand-in");
        let mut with_main = islets;
        with_main.0.push(mainland);
        let Some(TileGeometry::Polygons(p)) =
            TileGeometry::new(&Geometry::MultiPolygon(with_main), &t)
        else {
            panic!()
        };
        assert_eq!(p.len(), 1);
        assert!(simplify::double_area(&p[0][0]) > 2 * 400 * 400);
    }

    #[test]
    fn outside_the_buffer_is_dropped() {
        let (t, at) = setup();
        assert_eq!(
            TileGeometry::new(&Geometry::Point(at(-65.0, 10.0).into()), &t),
            None
        );
        assert!(TileGeometry::new(&Geometry::Point(at(-63.0, 10.0).into()), &t).is_some());
        let far = polygon![at(-900.0, 0.0), at(-100.0, 0.0), at(-100.0, 800.0)];
        assert_eq!(TileGeometry::new(&Geometry::Polygon(far), &t), None);
    }

    #[test]
    fn collapsed_line_keeps_two_points() {
        let (t, at) = setup();
        let g = Geometry::LineString(LineString::new(vec![at(7.1, 7.1), at(7.2, 7.3)]));
        let Some(TileGeometry::Lines(l)) = TileGeometry::new(&g, &t) else {
            panic!()
        };
        assert_eq!(
            l,
            vec![vec![TilePoint { x: 7, y: 7 }, TilePoint { x: 8, y: 7 }]]
        );
    }
}
