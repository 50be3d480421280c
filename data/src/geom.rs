//! Small geometry helpers in a local metric frame, and GeoJSON/date formatting.
//!
//! Why a local equirectangular frame: every synthetic feature is at most a few kilometres across, so
//! metres per degree taken from the WGS84 ellipsoid at the feature's latitude give areas and
//! distances within about 1e-5 of the geodesic values, at the cost of two multiplications.

use geo::Coord;
use serde_json::Value;

const WGS84_A: f64 = 6_378_137.0;
const WGS84_E2: f64 = 0.006_694_379_990_14;

/// Metres per degree of longitude and of latitude at `lat` (degrees), on the WGS84 ellipsoid.
pub(crate) fn metres_per_degree(lat: f64) -> (f64, f64) {
    let (s, c) = lat.to_radians().sin_cos();
    let w = (1.0 - WGS84_E2 * s * s).sqrt();
    let n = WGS84_A / w;
    let m = WGS84_A * (1.0 - WGS84_E2) / (w * w * w);
    let k = std::f64::consts::PI / 180.0;
    (n * c * k, m * k)
}

/// A local tangent-plane approximation centred on `origin`: x east, y north, in metres.
#[derive(Clone, Copy)]
pub(crate) struct Frame {
    origin: Coord,
    mx: f64,
    my: f64,
}

impl Frame {
    pub(crate) fn at(origin: Coord) -> Self {
        let (mx, my) = metres_per_degree(origin.y);
        Frame { origin, mx, my }
    }
    pub(crate) fn to_m(self, c: Coord) -> (f64, f64) {
        (
            (c.x - self.origin.x) * self.mx,
            (c.y - self.origin.y) * self.my,
        )
    }
    pub(crate) fn to_deg(self, x: f64, y: f64) -> Coord {
        Coord {
            x: self.origin.x + x / self.mx,
            y: self.origin.y + y / self.my,
        }
    }
    /// The point `dist` metres from the origin towards `heading` (radians, counter-clockwise from east).
    pub(crate) fn offset(self, dist: f64, heading: f64) -> Coord {
        self.to_deg(dist * heading.cos(), dist * heading.sin())
    }
}

/// Distance in metres between two nearby coordinates.
pub(crate) fn dist_m(a: Coord, b: Coord) -> f64 {
    let (x, y) = Frame::at(a).to_m(b);
    (x * x + y * y).sqrt()
}

/// Rounds to 1e-7 degree (about 1 cm): keeps the JSON short while every measured value is computed
/// from the rounded coordinates, so what is stored is exactly what was measured.
pub(crate) fn round7(c: Coord) -> Coord {
    Coord {
        x: (c.x * 1e7).round() / 1e7,
        y: (c.y * 1e7).round() / 1e7,
    }
}

pub(crate) fn round_to(x: f64, decimals: i32) -> f64 {
    let k = 10f64.powi(decimals);
    (x * k).round() / k
}

/// Signed area (m², positive when counter-clockwise) of a closed ring of lon/lat coordinates.
pub(crate) fn ring_area_m2(ring: &[Coord]) -> f64 {
    let lat = ring.iter().map(|c| c.y).sum::<f64>() / ring.len() as f64;
    let f = Frame::at(Coord {
        x: ring[0].x,
        y: lat,
    });
    let pts: Vec<(f64, f64)> = ring.iter().map(|c| f.to_m(*c)).collect();
    pts.windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum::<f64>()
        / 2.0
}

/// A closed, counter-clockwise, rounded ring from local (x, y) metres around `centre`.
fn ring_from_local(centre: Coord, pts: &[(f64, f64)]) -> Vec<Coord> {
    let f = Frame::at(centre);
    let mut ring: Vec<Coord> = pts.iter().map(|&(x, y)| round7(f.to_deg(x, y))).collect();
    ring.push(ring[0]);
    ring
}

/// A rectangle `w` × `h` metres rotated by `theta` around `centre` (which it therefore contains).
pub(crate) fn rotated_rect(centre: Coord, w: f64, h: f64, theta: f64) -> Vec<Coord> {
    let (s, c) = theta.sin_cos();
    let corners = [
        (-w / 2.0, -h / 2.0),
        (w / 2.0, -h / 2.0),
        (w / 2.0, h / 2.0),
        (-w / 2.0, h / 2.0),
    ];
    let pts: Vec<(f64, f64)> = corners
        .iter()
        .map(|&(x, y)| (x * c - y * s, x * s + y * c))
        .collect();
    ring_from_local(centre, &pts)
}

/// An irregular star-shaped polygon around `centre`: `n` vertices at strictly increasing angles
/// (each gap < π, so the ring is simple and counter-clockwise) with radii in [0.6, 1] of the
/// largest, scaled to about `target_m2` but never reaching beyond `r_cap` metres.
/// Returns the ring and its largest radius in metres.
pub(crate) fn star(
    rng: &mut crate::rng::Rng,
    centre: Coord,
    target_m2: f64,
    r_cap: f64,
) -> (Vec<Coord>, f64) {
    let n = rng.int(6, 12) as usize;
    let step = std::f64::consts::TAU / n as f64;
    let start = rng.range(0.0, std::f64::consts::TAU);
    let unit: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let a = start + step * (i as f64 + rng.range(-0.3, 0.3));
            let r = rng.range(0.6, 1.0);
            (r * a.cos(), r * a.sin())
        })
        .collect();
    let unit_area = unit
        .iter()
        .zip(unit.iter().cycle().skip(1))
        .map(|(a, b)| a.0 * b.1 - b.0 * a.1)
        .sum::<f64>()
        / 2.0;
    let unit_rmax = unit.iter().map(|p| p.0.hypot(p.1)).fold(0.0, f64::max);
    let scale = (target_m2 / unit_area).sqrt().min(r_cap / unit_rmax);
    let pts: Vec<(f64, f64)> = unit.iter().map(|p| (p.0 * scale, p.1 * scale)).collect();
    (ring_from_local(centre, &pts), unit_rmax * scale)
}

// Why not `json!` with `Value` arguments: the macro serialises them again (a deep copy), which
// doubled the generation time; these helpers move them.

/// A JSON object from (key, value) pairs, in order.
pub(crate) fn object(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

pub(crate) fn coord_json(c: Coord) -> Value {
    Value::Array(vec![c.x.into(), c.y.into()])
}

pub(crate) fn point_json(c: Coord) -> Value {
    object([("type", "Point".into()), ("coordinates", coord_json(c))])
}

pub(crate) fn ring_json(ring: &[Coord]) -> Value {
    Value::Array(ring.iter().map(|c| coord_json(*c)).collect())
}

pub(crate) fn polygon_json(ring: &[Coord]) -> Value {
    object([
        ("type", "Polygon".into()),
        ("coordinates", Value::Array(vec![ring_json(ring)])),
    ])
}

pub(crate) fn linestring_json(line: &[Coord]) -> Value {
    object([
        ("type", "LineString".into()),
        ("coordinates", ring_json(line)),
    ])
}

pub(crate) fn feature(geometry: Value, properties: Value) -> Value {
    object([
        ("type", "Feature".into()),
        ("geometry", geometry),
        ("properties", properties),
    ])
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

pub(crate) fn date_string(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// RFC 3339 local time in China Standard Time from seconds since 1970-01-01T00:00:00+08:00.
pub(crate) fn datetime_string(local_secs: i64) -> String {
    let days = local_secs.div_euclid(86_400);
    let s = local_secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}+08:00",
        date_string(days),
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        for z in days_from_civil(2014, 12, 25)..days_from_civil(2027, 1, 5) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(date_string(days_from_civil(2024, 2, 29)), "2024-02-29");
        assert_eq!(
            datetime_string(days_from_civil(2026, 10, 31) * 86_400 + 3_723),
            "2026-10-31T01:02:03+08:00"
        );
    }

    #[test]
    fn shapes_are_ccw_and_sized() {
        let c = Coord { x: 121.5, y: 31.2 };
        let r = rotated_rect(c, 10.0, 20.0, 0.7);
        assert!((ring_area_m2(&r) - 200.0).abs() < 0.5);
        let mut rng = crate::rng::Rng::new(1, "t");
        let (s, rmax) = star(&mut rng, c, 50_000.0, 1_000.0);
        assert!((ring_area_m2(&s) - 50_000.0).abs() < 50.0);
        assert!(s.iter().all(|p| dist_m(c, *p) <= rmax + 0.1));
    }
}
