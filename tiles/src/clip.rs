//! Clipping in tile units to the tile grown by its buffer.
//!
//! Polygon rings go through Sutherland–Hodgman against the four sides of the box and
//! lines through Liang–Barsky segment by segment: both are linear in the vertices, need
//! no topology, and skip every side the geometry's bounding box already lies within, so
//! the common case (a feature wholly inside the tile) costs one bounding-box test.
//! Sutherland–Hodgman can leave zero-width slivers along the box edge where a concave
//! ring leaves and re-enters; they lie outside the visible tile, in the buffer.

use geo::{Coord, Rect};

use crate::{BUFFER, EXTENT};

/// The tile plus its buffer, in tile units: the same square on both axes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ClipBox {
    pub min: f64,
    pub max: f64,
}

impl ClipBox {
    /// The box every tile is clipped to.
    pub const TILE: Self = Self {
        min: -(BUFFER as f64),
        max: (EXTENT + BUFFER) as f64,
    };

    pub fn contains(&self, c: Coord<f64>) -> bool {
        (self.min..=self.max).contains(&c.x) && (self.min..=self.max).contains(&c.y)
    }

    /// True when `r` lies inside (touching the edge counts as inside).
    pub fn covers(&self, r: &Rect<f64>) -> bool {
        self.contains(r.min()) && self.contains(r.max())
    }

    /// True when `r` meets the box (touching counts).
    pub fn meets(&self, r: &Rect<f64>) -> bool {
        r.min().x <= self.max
            && r.max().x >= self.min
            && r.min().y <= self.max
            && r.max().y >= self.min
    }

    fn sides(&self) -> [Side; 4] {
        [
            Side::MinX(self.min),
            Side::MaxX(self.max),
            Side::MinY(self.min),
            Side::MaxY(self.max),
        ]
    }
}

/// The bounding box of some coordinates; `None` when there are none.
pub(crate) fn bbox(coords: &[Coord<f64>]) -> Option<Rect<f64>> {
    let first = *coords.first()?;
    let (lo, hi) = coords.iter().fold((first, first), |(lo, hi), c| {
        (
            Coord {
                x: lo.x.min(c.x),
                y: lo.y.min(c.y),
            },
            Coord {
                x: hi.x.max(c.x),
                y: hi.y.max(c.y),
            },
        )
    });
    Some(Rect::new(lo, hi))
}

/// One side of the box as a half-plane that keeps the inside.
#[derive(Debug, Clone, Copy)]
enum Side {
    MinX(f64),
    MaxX(f64),
    MinY(f64),
    MaxY(f64),
}

impl Side {
    fn keeps(self, c: Coord<f64>) -> bool {
        match self {
            Self::MinX(v) => c.x >= v,
            Self::MaxX(v) => c.x <= v,
            Self::MinY(v) => c.y >= v,
            Self::MaxY(v) => c.y <= v,
        }
    }

    fn keeps_all(self, r: &Rect<f64>) -> bool {
        self.keeps(r.min()) && self.keeps(r.max())
    }

    /// Where segment a→b crosses the side's line; only called when it does.
    fn crossing(self, a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
        match self {
            Self::MinX(v) | Self::MaxX(v) => Coord {
                x: v,
                y: a.y + (v - a.x) / (b.x - a.x) * (b.y - a.y),
            },
            Self::MinY(v) | Self::MaxY(v) => Coord {
                x: a.x + (v - a.y) / (b.y - a.y) * (b.x - a.x),
                y: v,
            },
        }
    }
}

/// Clips an open ring (no repeated closing vertex) whose bounding box is `bounds`.
/// The result is open too, and empty when nothing of the ring is inside.
pub(crate) fn clip_ring(
    ring: Vec<Coord<f64>>,
    bounds: &Rect<f64>,
    clip: ClipBox,
) -> Vec<Coord<f64>> {
    let mut ring = ring;
    let mut out = Vec::with_capacity(ring.len() + 4);
    for side in clip.sides() {
        if side.keeps_all(bounds) {
            continue;
        }
        out.clear();
        let Some(&last) = ring.last() else { break };
        let mut prev = last;
        for &cur in &ring {
            match (side.keeps(prev), side.keeps(cur)) {
                (true, true) => out.push(cur),
                (true, false) => out.push(side.crossing(prev, cur)),
                (false, true) => {
                    out.push(side.crossing(prev, cur));
                    out.push(cur);
                }
                (false, false) => {}
            }
            prev = cur;
        }
        std::mem::swap(&mut ring, &mut out);
    }
    ring
}

/// Clips a line, which may leave and re-enter the box: one part per stretch inside.
pub(crate) fn clip_line(line: &[Coord<f64>], clip: ClipBox) -> Vec<Vec<Coord<f64>>> {
    let mut parts = Vec::new();
    let mut part: Vec<Coord<f64>> = Vec::new();
    for w in line.windows(2) {
        let (a, b) = (w[0], w[1]);
        match clip_segment(a, b, clip) {
            Some((p, q)) => {
                if part.is_empty() {
                    part.push(p);
                }
                part.push(q);
                if q != b {
                    // The segment leaves the box: this stretch ends here.
                    parts.push(std::mem::take(&mut part));
                }
            }
            None if !part.is_empty() => parts.push(std::mem::take(&mut part)),
            None => {}
        }
    }
    if !part.is_empty() {
        parts.push(part);
    }
    parts
}

/// Liang–Barsky: the part of a→b inside the box, with the ends returned bit-exact when
/// they were not moved (the line clipper relies on that to see where stretches end).
fn clip_segment(a: Coord<f64>, b: Coord<f64>, clip: ClipBox) -> Option<(Coord<f64>, Coord<f64>)> {
    let d = b - a;
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-d.x, a.x - clip.min),
        (d.x, clip.max - a.x),
        (-d.y, a.y - clip.min),
        (d.y, clip.max - a.y),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
            if t0 > t1 {
                return None;
            }
        }
    }
    let at = |t: f64| {
        if t == 0.0 {
            a
        } else if t == 1.0 {
            b
        } else {
            a + d * t
        }
    };
    Some((at(t0), at(t1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOX: ClipBox = ClipBox {
        min: 0.0,
        max: 10.0,
    };

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    fn ring(coords: &[(f64, f64)]) -> Vec<Coord<f64>> {
        let r: Vec<_> = coords.iter().map(|&(x, y)| c(x, y)).collect();
        let b = bbox(&r).unwrap();
        clip_ring(r, &b, BOX)
    }

    fn area(r: &[Coord<f64>]) -> f64 {
        let n = r.len();
        (0..n)
            .map(|i| r[i].x * r[(i + 1) % n].y - r[(i + 1) % n].x * r[i].y)
            .sum::<f64>()
            / 2.0
    }

    #[test]
    fn ring_covering_the_box_becomes_the_box() {
        let r = ring(&[(-5.0, -5.0), (20.0, -5.0), (20.0, 20.0), (-5.0, 20.0)]);
        assert_eq!(area(&r), 100.0);
        assert!(r.iter().all(|&p| BOX.contains(p)));
    }

    #[test]
    fn ring_crossing_one_side_is_cut_there() {
        let r = ring(&[(5.0, 2.0), (15.0, 2.0), (15.0, 4.0), (5.0, 4.0)]);
        assert_eq!(area(&r), 10.0);
        assert!(r.contains(&c(10.0, 2.0)) && r.contains(&c(10.0, 4.0)));
    }

    #[test]
    fn ring_inside_is_untouched_and_outside_vanishes() {
        let inside = [(1.0, 1.0), (2.0, 1.0), (2.0, 2.0)];
        assert_eq!(
            ring(&inside),
            inside.iter().map(|&(x, y)| c(x, y)).collect::<Vec<_>>()
        );
        assert!(ring(&[(11.0, 1.0), (12.0, 1.0), (12.0, 2.0)]).is_empty());
    }

    #[test]
    fn winding_survives_clipping() {
        let r = ring(&[(-5.0, -5.0), (-5.0, 20.0), (20.0, 20.0), (20.0, -5.0)]);
        assert_eq!(area(&r), -100.0);
    }

    #[test]
    fn line_leaving_and_reentering_splits() {
        let line = [
            c(1.0, 1.0),
            c(15.0, 1.0),
            c(15.0, 5.0),
            c(5.0, 5.0),
            c(5.0, 8.0),
        ];
        let parts = clip_line(&line, BOX);
        assert_eq!(
            parts,
            vec![
                vec![c(1.0, 1.0), c(10.0, 1.0)],
                vec![c(10.0, 5.0), c(5.0, 5.0), c(5.0, 8.0)]
            ]
        );
    }

    #[test]
    fn line_crossing_the_box_keeps_the_middle() {
        let parts = clip_line(&[c(-5.0, 5.0), c(15.0, 5.0)], BOX);
        assert_eq!(parts, vec![vec![c(0.0, 5.0), c(10.0, 5.0)]]);
        assert!(clip_line(&[c(-5.0, -5.0), c(-1.0, 20.0)], BOX).is_empty());
        // A diagonal that misses the corner.
        assert!(clip_line(&[c(-1.0, 9.0), c(9.0, 21.0)], BOX).is_empty());
    }
}
