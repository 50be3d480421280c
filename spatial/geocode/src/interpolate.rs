//! House numbers along a road centre line, on the Shanghai 2000 plane (metres).
//!
//! A road's numbering runs in the vertex order of its centre line, odd numbers on one side and
//! even on the other. A known house is a [`Station`]: how far along the line it sits and how far
//! to the side. A number the gazetteer lacks is placed between the nearest known numbers of the
//! same parity (same side), which follows the real, uneven spacing of a street better than one
//! straight fit over the whole road.

/// Where a point lies relative to a centre line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Station {
    /// Metres along the line from its first vertex (parts counted in order).
    pub measure: f64,
    /// Metres to the side: positive left of the numbering direction, negative right.
    pub offset: f64,
}

/// A known house number and its station.
pub type Known = (u32, Station);

/// A road centre line (one or more parts) on the plane, with cumulative lengths.
#[derive(Debug, Clone)]
pub struct CentreLine {
    parts: Vec<Vec<[f64; 2]>>,
    /// Measure at each vertex of each part.
    cumulative: Vec<Vec<f64>>,
    length: f64,
}

impl CentreLine {
    /// None when no part has two distinct vertices.
    pub fn new(parts: Vec<Vec<[f64; 2]>>) -> Option<Self> {
        let parts: Vec<Vec<[f64; 2]>> = parts.into_iter().filter(|p| p.len() >= 2).collect();
        let mut cumulative = Vec::with_capacity(parts.len());
        let mut length = 0.0;
        for p in &parts {
            let mut c = Vec::with_capacity(p.len());
            c.push(length);
            for w in p.windows(2) {
                length += dist(w[0], w[1]);
                c.push(length);
            }
            cumulative.push(c);
        }
        (length > 0.0).then_some(Self {
            parts,
            cumulative,
            length,
        })
    }

    /// Total length of all parts, metres.
    pub fn length(&self) -> f64 {
        self.length
    }

    /// Every segment as `(start, end)`, in numbering order.
    pub fn segments(&self) -> impl Iterator<Item = [[f64; 2]; 2]> + '_ {
        self.parts
            .iter()
            .flat_map(|p| p.windows(2).map(|w| [w[0], w[1]]))
    }

    /// The station of the nearest point of the line to `p`, and the distance to it.
    pub fn locate(&self, p: [f64; 2]) -> (Station, f64) {
        let mut best = (
            Station {
                measure: 0.0,
                offset: 0.0,
            },
            f64::INFINITY,
        );
        for (part, cum) in self.parts.iter().zip(&self.cumulative) {
            for (i, w) in part.windows(2).enumerate() {
                let (a, b) = (w[0], w[1]);
                let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
                let len2 = dx * dx + dy * dy;
                if len2 == 0.0 {
                    continue;
                }
                let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0);
                let q = [a[0] + t * dx, a[1] + t * dy];
                let d = dist(p, q);
                if d < best.1 {
                    let cross = dx * (p[1] - a[1]) - dy * (p[0] - a[0]);
                    best = (
                        Station {
                            measure: cum[i] + t * len2.sqrt(),
                            offset: d.copysign(cross),
                        },
                        d,
                    );
                }
            }
        }
        best
    }

    /// The point at a station (the measure clamped to the line).
    pub fn point_at(&self, s: Station) -> [f64; 2] {
        let m = s.measure.clamp(0.0, self.length);
        for (part, cum) in self.parts.iter().zip(&self.cumulative) {
            if m > *cum.last().expect("parts have vertices") {
                continue;
            }
            let i = cum.partition_point(|c| *c <= m).clamp(1, part.len() - 1);
            let (a, b) = (part[i - 1], part[i]);
            let seg = cum[i] - cum[i - 1];
            let t = if seg > 0.0 {
                (m - cum[i - 1]) / seg
            } else {
                0.0
            };
            let (dx, dy) = ((b[0] - a[0]) / seg.max(1e-9), (b[1] - a[1]) / seg.max(1e-9));
            // left normal of the direction (dx, dy) is (-dy, dx)
            return [
                a[0] + t * (b[0] - a[0]) - dy * s.offset,
                a[1] + t * (b[1] - a[1]) + dx * s.offset,
            ];
        }
        let last = self.parts.last().and_then(|p| p.last()).copied();
        last.unwrap_or([0.0, 0.0])
    }
}

fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// The station of house number `number`, from the known houses of the same side (`same`, sorted
/// by number) and, for the slope when one side alone cannot give it, of the whole road (`all`).
///
/// Between two known numbers: linear in the number. Beyond the known range: extrapolated with the
/// slope of the nearest two, clamped to the line by [`CentreLine::point_at`]. None when nothing on
/// the road has a number (the caller falls back to the road level).
pub fn station_for(number: u32, same: &[Known], all: &[Known]) -> Option<Station> {
    let n = f64::from(number);
    let i = same.partition_point(|(k, _)| *k < number);
    if let (Some(lo), Some(hi)) = (i.checked_sub(1).and_then(|j| same.get(j)), same.get(i)) {
        return Some(between(n, lo, hi));
    }
    // On one side of the known range (or no same-side numbers): extrapolate from the two
    // nearest numbers, preferring the same side.
    let pool = if same.len() >= 2 { same } else { all };
    let nearest = nearest_two(number, pool)?;
    let mut s = match nearest {
        (a, Some(b)) => between(n, a, b),
        (a, None) => a.1,
    };
    // The side comes from the same-side houses when there are any; else the middle of the road.
    s.offset = match same.first() {
        Some(_) => same.iter().map(|(_, s)| s.offset).sum::<f64>() / same.len() as f64,
        None => 0.0,
    };
    Some(s)
}

/// Linear in the number through `a` and `b` (which may both lie below or above `n`).
fn between(n: f64, a: &Known, b: &Known) -> Station {
    let (na, nb) = (f64::from(a.0), f64::from(b.0));
    if na == nb {
        return a.1;
    }
    let t = (n - na) / (nb - na);
    Station {
        measure: a.1.measure + t * (b.1.measure - a.1.measure),
        offset: a.1.offset + t.clamp(0.0, 1.0) * (b.1.offset - a.1.offset),
    }
}

/// The two known numbers nearest to `number` (distinct numbers), nearest first.
fn nearest_two(number: u32, pool: &[Known]) -> Option<(&Known, Option<&Known>)> {
    let mut best: Vec<&Known> = pool.iter().collect();
    best.sort_by_key(|(k, _)| k.abs_diff(number));
    let first = *best.first()?;
    let second = best.iter().find(|(k, _)| *k != first.0).copied();
    Some((first, second))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(measure: f64, offset: f64) -> Station {
        Station { measure, offset }
    }

    #[test]
    fn locate_and_point_at_are_inverse_across_parts() {
        let line = CentreLine::new(vec![
            vec![[0.0, 0.0], [100.0, 0.0]],
            vec![[100.0, 0.0], [100.0, 50.0]],
        ])
        .unwrap();
        assert_eq!(line.length(), 150.0);
        let (s, d) = line.locate([40.0, 12.0]);
        assert_eq!((s.measure, s.offset, d), (40.0, 12.0, 12.0));
        let (s, _) = line.locate([88.0, 30.0]);
        assert_eq!((s.measure, s.offset), (130.0, 12.0));
        let p = line.point_at(st(130.0, 12.0));
        assert!(
            (p[0] - 88.0).abs() < 1e-9 && (p[1] - 30.0).abs() < 1e-9,
            "{p:?}"
        );
        let p = line.point_at(st(40.0, -12.0));
        assert!(
            (p[0] - 40.0).abs() < 1e-9 && (p[1] + 12.0).abs() < 1e-9,
            "{p:?}"
        );
        assert_eq!(line.point_at(st(1e6, 0.0)), [100.0, 50.0]);
    }

    #[test]
    fn numbers_between_and_beyond_the_known_ones() {
        let odd = [(1, st(0.0, 12.0)), (5, st(40.0, 12.0)), (9, st(60.0, 10.0))];
        let s = station_for(3, &odd, &odd).unwrap();
        assert_eq!((s.measure, s.offset), (20.0, 12.0));
        let s = station_for(7, &odd, &odd).unwrap();
        assert_eq!((s.measure, s.offset), (50.0, 11.0));
        // beyond: the slope of 5 → 9 (5 m per number)
        let s = station_for(13, &odd, &odd).unwrap();
        assert_eq!(s.measure, 80.0);
        // no same-side numbers: slope of the road, on the centre line
        let even = [(2, st(0.0, -12.0)), (10, st(80.0, -12.0))];
        let s = station_for(5, &[], &even).unwrap();
        assert_eq!((s.measure, s.offset), (30.0, 0.0));
        assert!(station_for(5, &[], &[]).is_none());
    }
}
