//! Simplification and quantisation: clipped tile-unit floats to MVT's integer vertices.
//!
//! A feature never vanishes on the way.
//!
//! Douglas–Peucker runs at [`SIMPLIFY_TOLERANCE`] tile units on each clipped part, then
//! vertices are rounded to the integer grid and repeats dropped. The Douglas–Peucker is
//! written here rather than taken from geo: geo's allocates per recursion and measures
//! with `hypot`, which made it 30% of the time of a polygon-heavy tile; this one marks
//! kept vertices in one pass over an explicit stack with squared distances. What collapses is
//! reported to the caller, which substitutes the smallest shape that still shows the
//! feature: [`square`] for a polygon, [`stub`] for a line. Winding follows MVT 2.1:
//! exterior rings have positive area by the spec's surveyor's formula (clockwise on
//! screen, y down), holes negative; it is fixed after rounding because rounding can
//! change which way a small ring turns.

use geo::{Coord, Rect};

use crate::SIMPLIFY_TOLERANCE;
use crate::geometry::TilePoint;

/// Rounds to the grid, dropping each vertex equal to the one before it.
fn quantise(coords: impl IntoIterator<Item = Coord<f64>>) -> Vec<TilePoint> {
    let mut out: Vec<TilePoint> = Vec::new();
    for c in coords {
        let p = TilePoint::round(c);
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    out
}

/// Squared distance from `p` to the segment a–b (to `a` when the segment is a point).
fn segment_distance2(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (d, ap) = (b - a, p - a);
    let len2 = d.x * d.x + d.y * d.y;
    let t = if len2 > 0.0 {
        ((ap.x * d.x + ap.y * d.y) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let off = ap - d * t;
    off.x * off.x + off.y * off.y
}

/// Douglas–Peucker between the marked anchors `spans`: marks in `keep` every vertex
/// farther than the tolerance from the simplified line.
fn mark(pts: &[Coord<f64>], keep: &mut [bool], mut spans: Vec<(usize, usize)>) {
    let tol2 = SIMPLIFY_TOLERANCE * SIMPLIFY_TOLERANCE;
    while let Some((a, b)) = spans.pop() {
        let (mut far, mut far_d2) = (0, tol2);
        for (k, &p) in pts.iter().enumerate().take(b).skip(a + 1) {
            let d2 = segment_distance2(p, pts[a], pts[b]);
            if d2 > far_d2 {
                (far, far_d2) = (k, d2);
            }
        }
        if far != 0 {
            keep[far] = true;
            spans.extend([(a, far), (far, b)]);
        }
    }
}

/// A clipped line part, simplified and quantised; `None` when fewer than two distinct
/// vertices are left.
pub(crate) fn line(part: Vec<Coord<f64>>) -> Option<Vec<TilePoint>> {
    let last = part.len() - 1;
    let mut keep = vec![false; part.len()];
    (keep[0], keep[last]) = (true, true);
    mark(&part, &mut keep, vec![(0, last)]);
    let q = quantise(
        part.into_iter()
            .zip(keep)
            .filter_map(|(c, k)| k.then_some(c)),
    );
    (q.len() >= 2).then_some(q)
}

/// A clipped open ring, simplified, quantised and wound as an exterior (`true`) or a hole;
/// `None` when it no longer encloses any area.
pub(crate) fn ring(mut part: Vec<Coord<f64>>, exterior: bool) -> Option<Vec<TilePoint>> {
    // Anchored at the first vertex and the one farthest from it, the two halves of the
    // ring (closed again for the second) simplify as lines.
    let first = part[0];
    let dist2 = |c: Coord<f64>| (c.x - first.x).powi(2) + (c.y - first.y).powi(2);
    let far = (1..part.len()).fold(0, |best, k| {
        if dist2(part[k]) > dist2(part[best]) {
            k
        } else {
            best
        }
    });
    part.push(first);
    let last = part.len() - 1;
    let mut keep = vec![false; part.len()];
    (keep[0], keep[far]) = (true, true);
    mark(&part, &mut keep, vec![(0, far), (far, last)]);
    part.pop();
    let mut q = quantise(
        part.into_iter()
            .zip(keep)
            .filter_map(|(c, k)| k.then_some(c)),
    );
    while q.len() > 1 && q.first() == q.last() {
        q.pop();
    }
    let area = double_area(&q);
    if area == 0 {
        return None;
    }
    if (area > 0) != exterior {
        q.reverse();
    }
    Some(q)
}

/// Twice the ring's area by the MVT spec's surveyor's formula in tile units (y down):
/// positive for an exterior ring. Exact in integers.
pub(crate) fn double_area(ring: &[TilePoint]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            i64::from(a.x) * i64::from(b.y) - i64::from(b.x) * i64::from(a.y)
        })
        .sum()
}

/// The smallest exterior ring standing for a polygon that collapsed: the grid cells its
/// bounding box covers, at least one unit each way, wound as an exterior.
pub(crate) fn square(bounds: &Rect<f64>) -> Vec<TilePoint> {
    let x0 = bounds.min().x.floor() as i32;
    let y0 = bounds.min().y.floor() as i32;
    let x1 = (bounds.max().x.ceil() as i32).max(x0 + 1);
    let y1 = (bounds.max().y.ceil() as i32).max(y0 + 1);
    vec![
        TilePoint { x: x0, y: y0 },
        TilePoint { x: x1, y: y0 },
        TilePoint { x: x1, y: y1 },
        TilePoint { x: x0, y: y1 },
    ]
}

/// The shortest line standing for one that collapsed: its rounded ends, moved one unit
/// apart if they coincide.
pub(crate) fn stub(first: Coord<f64>, last: Coord<f64>) -> Vec<TilePoint> {
    let a = TilePoint::round(first);
    let mut b = TilePoint::round(last);
    if a == b {
        b.x += 1;
    }
    vec![a, b]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    #[test]
    fn rings_are_wound_by_role() {
        // Counter-clockwise on screen (negative by the spec's formula) in, either role out.
        let ccw = vec![c(0.0, 0.0), c(0.0, 10.0), c(10.0, 10.0), c(10.0, 0.0)];
        assert!(double_area(&ring(ccw.clone(), true).unwrap()) > 0);
        assert!(double_area(&ring(ccw, false).unwrap()) < 0);
        assert_eq!(
            double_area(&square(&Rect::new(c(0.2, 0.2), c(0.4, 0.3)))),
            2
        );
    }

    #[test]
    fn simplification_drops_near_collinear_vertices_only() {
        let wiggly: Vec<_> = (0..=100)
            .map(|i| c(f64::from(i), if i % 2 == 0 { 0.0 } else { 0.4 }))
            .collect();
        assert_eq!(
            line(wiggly).unwrap(),
            vec![TilePoint { x: 0, y: 0 }, TilePoint { x: 100, y: 0 }]
        );
        let corner = vec![c(0.0, 0.0), c(50.0, 0.0), c(50.0, 50.0)];
        assert_eq!(line(corner).unwrap().len(), 3);
    }

    #[test]
    fn agrees_with_geos_douglas_peucker() {
        use geo::{LineString, Simplify};
        let mut state = 7u64;
        let mut rnd = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let mut p = c(0.0, 0.0);
        let walk: Vec<_> = (0..2000)
            .map(|_| {
                p = c(p.x + 1.0 + rnd(), p.y + 3.0 * rnd());
                p
            })
            .collect();
        let theirs = LineString::new(walk.clone()).simplify(SIMPLIFY_TOLERANCE);
        assert!(theirs.0.len() < 1500);
        assert_eq!(line(walk), Some(quantise(theirs.0)));
    }

    #[test]
    fn collapses_are_reported() {
        assert_eq!(line(vec![c(1.1, 1.1), c(1.2, 1.3), c(0.9, 1.0)]), None);
        assert_eq!(
            ring(
                vec![c(1.1, 1.1), c(1.3, 1.1), c(1.3, 1.3), c(1.1, 1.3)],
                true
            ),
            None
        );
        // A sliver: distinct vertices, zero area after rounding.
        assert_eq!(
            ring(
                vec![c(0.0, 0.0), c(10.0, 0.1), c(20.0, 0.0), c(10.0, -0.1)],
                true
            ),
            None
        );
    }

    #[test]
    fn substitutes_are_minimal_but_not_degenerate() {
        let s = square(&Rect::new(c(5.1, 7.6), c(5.2, 7.7)));
        assert_eq!(s[0], TilePoint { x: 5, y: 7 });
        assert_eq!(s[2], TilePoint { x: 6, y: 8 });
        assert_eq!(
            stub(c(3.2, 3.2), c(3.3, 3.1)),
            vec![TilePoint { x: 3, y: 3 }, TilePoint { x: 4, y: 3 }]
        );
        assert_eq!(
            stub(c(3.2, 3.2), c(4.9, 3.1)),
            vec![TilePoint { x: 3, y: 3 }, TilePoint { x: 5, y: 3 }]
        );
    }
}
