//! BD09MC: Baidu's "Mercator" plane (metres) from BD-09, by Baidu's published band polynomials.
//!
//! Baidu's JavaScript API (`convertLL2MC` / `convertMC2LL`) defines BD09MC by six latitude bands,
//! each with a polynomial (`LL2MC`) for the forward direction and a separate, only approximately
//! inverse polynomial (`MC2LL`) for the way back. The forward wraps longitude into [-180, 180]
//! and clamps latitude to [-74, 74], exactly as Baidu's `getLoop` / `getRange` do; the band is the
//! first with `|lat| >= LLBAND[i]` (`|y| >= MCBAND[i]` backwards).
//!
//! Why the inverse is refined: `MC2LL` alone misses the forward polynomial by up to decimetres.
//! In every band `x` depends on longitude only (linearly) and `y` on latitude only, so the exact
//! inverse is one division for longitude and a 1-D root for latitude: Newton on the forward `y`
//! polynomial, seeded by `MC2LL`, [`REFINE_STEPS`] fixed iterations (quadratic convergence: the
//! residual ends far below a millimetre). Latitudes beyond Baidu's ±74° clamp are not reachable
//! by the forward map, so such inputs get Baidu's plain `MC2LL` answer.

const MCBAND: [f64; 6] = [
    12890594.86,
    8362377.87,
    5591021.0,
    3481989.83,
    1678043.12,
    0.0,
];
const LLBAND: [f64; 6] = [75.0, 60.0, 45.0, 30.0, 15.0, 0.0];

/// Latitude limit of Baidu's forward clamp.
pub const LAT_LIMIT: f64 = 74.0;
/// Largest |x| the forward map produces (longitude ±180°), plus 1 cm of slack.
pub const X_MAX: f64 = 20037726.38;
/// Top of Baidu's highest band; |y| above this is not BD09MC.
pub const Y_MAX: f64 = MCBAND[0];
/// Fixed number of Newton steps of [`bd09mc_to_bd09`].
pub const REFINE_STEPS: usize = 3;

#[allow(clippy::excessive_precision)]
const MC2LL: [[f64; 10]; 6] = [
    [
        1.410526172116255e-8,
        0.00000898305509648872,
        -1.9939833816331,
        200.9824383106796,
        -187.2403703815547,
        91.6087516669843,
        -23.38765649603339,
        2.57121317296198,
        -0.03801003308653,
        17337981.2,
    ],
    [
        -7.435856389565537e-9,
        0.000008983055097726239,
        -0.78625201886289,
        96.32687599759846,
        -1.85204757529826,
        -59.36935905485877,
        47.40033549296737,
        -16.50741931063887,
        2.28786674699375,
        10260144.86,
    ],
    [
        -3.030883460898826e-8,
        0.00000898305509983578,
        0.30071316287616,
        59.74293618442277,
        7.357984074871,
        -25.38371002664745,
        13.45380521110908,
        -3.29883767235584,
        0.32710905363475,
        6856817.37,
    ],
    [
        -1.981981304930552e-8,
        0.000008983055099779535,
        0.03278182852591,
        40.31678527705744,
        0.65659298677277,
        -4.44255534477492,
        0.85341911805263,
        0.12923347998204,
        -0.04625736007561,
        4482777.06,
    ],
    [
        3.09191371068437e-9,
        0.000008983055096812155,
        0.00006995724062,
        23.10934304144901,
        -0.00023663490511,
        -0.6321817810242,
        -0.00663494467273,
        0.03430082397953,
        -0.00466043876332,
        2555164.4,
    ],
    [
        2.890871144776878e-9,
        0.000008983055095805407,
        -3.068298e-8,
        7.47137025468032,
        -0.00000353937994,
        -0.02145144861037,
        -0.00001234426596,
        0.00010322952773,
        -0.00000323890364,
        826088.5,
    ],
];

#[allow(clippy::excessive_precision)]
const LL2MC: [[f64; 10]; 6] = [
    [
        -0.0015702102444,
        111320.7020616939,
        1704480524535203.0,
        -10338987376042340.0,
        26112667856603880.0,
        -35149669176653700.0,
        26595700718403920.0,
        -10725012454188240.0,
        1800819912950474.0,
        82.5,
    ],
    [
        0.0008277824516172526,
        111320.7020463578,
        647795574.6671607,
        -4082003173.641316,
        10774905663.51142,
        -15171875531.51559,
        12053065338.62167,
        -5124939663.577472,
        913311935.9512032,
        67.5,
    ],
    [
        0.00337398766765,
        111320.7020202162,
        4481351.045890365,
        -23393751.19931662,
        79682215.47186455,
        -115964993.2797253,
        97236711.15602145,
        -43661946.33752821,
        8477230.501135234,
        52.5,
    ],
    [
        0.00220636496208,
        111320.7020209128,
        51751.86112841131,
        3796837.749470245,
        992013.7397791013,
        -1221952.21711287,
        1340652.697009075,
        -620943.6990984312,
        144416.9293806241,
        37.5,
    ],
    [
        -0.0003441963504368392,
        111320.7020576856,
        278.2353980772752,
        2485758.690035394,
        6070.750963243378,
        54821.18345352118,
        9540.606633304236,
        -2710.55326746645,
        1405.483844121726,
        22.5,
    ],
    [
        -0.0003218135878613132,
        111320.7020701615,
        0.00369383431289,
        823725.6402795718,
        0.46104986909093,
        2351.343141331292,
        1.58060784298199,
        8.77738589078284,
        0.37238884252424,
        7.45,
    ],
];

/// Baidu's `getLoop(lng, -180, 180)` without the loop.
#[inline]
fn wrap_lon(lon: f64) -> f64 {
    if lon > 180.0 {
        lon - 360.0 * ((lon - 180.0) / 360.0).ceil()
    } else if lon < -180.0 {
        lon + 360.0 * ((-180.0 - lon) / 360.0).ceil()
    } else {
        lon
    }
}

#[inline]
fn ll_band_index(abs_lat: f64) -> usize {
    let mut i = 0;
    while i < 5 && !(abs_lat >= LLBAND[i]) {
        i += 1;
    }
    i
}

#[inline]
fn ll_band(abs_lat: f64) -> &'static [f64; 10] {
    &LL2MC[ll_band_index(abs_lat)]
}

/// Latitudes `[lo, hi)` of forward band `k`.
#[inline]
fn band_range(k: usize) -> (f64, f64) {
    (
        LLBAND[k],
        if k == 0 { f64::INFINITY } else { LLBAND[k - 1] },
    )
}

/// Newton on the forward `y` polynomial of band `k` for `|y| = ay`, from `abs_lat`.
#[inline]
fn newton(k: usize, ay: f64, mut abs_lat: f64) -> f64 {
    let c = &LL2MC[k];
    for _ in 0..REFINE_STEPS {
        let t = abs_lat / c[9];
        let f = c[2] + t * (c[3] + t * (c[4] + t * (c[5] + t * (c[6] + t * (c[7] + t * c[8])))));
        let df = (c[3]
            + t * (2.0 * c[4]
                + t * (3.0 * c[5] + t * (4.0 * c[6] + t * (5.0 * c[7] + t * 6.0 * c[8])))))
            / c[9];
        abs_lat -= (f - ay) / df;
    }
    abs_lat
}

#[inline]
fn mc_band(abs_y: f64) -> &'static [f64; 10] {
    let mut i = 0;
    while i < 5 && !(abs_y >= MCBAND[i]) {
        i += 1;
    }
    &MC2LL[i]
}

/// Baidu's `convertor`: `x' = c0 + c1·|x|`, `y' = Σ c(2+k)·(|y|/c9)^k`, signs restored.
#[inline]
fn convertor(x: f64, y: f64, c: &[f64; 10]) -> (f64, f64) {
    let t = y.abs() / c[9];
    let xt = c[0] + c[1] * x.abs();
    let yt = c[2] + t * (c[3] + t * (c[4] + t * (c[5] + t * (c[6] + t * (c[7] + t * c[8])))));
    (
        if x < 0.0 { -xt } else { xt },
        if y < 0.0 { -yt } else { yt },
    )
}

/// BD-09 → BD09MC (metres), Baidu's forward, with its longitude wrap and latitude clamp.
#[inline]
pub fn bd09_to_bd09mc(lon: f64, lat: f64) -> (f64, f64) {
    let lon = wrap_lon(lon);
    let lat = lat.clamp(-LAT_LIMIT, LAT_LIMIT);
    convertor(lon, lat, ll_band(lat.abs()))
}

/// BD09MC → BD-09 (degrees), exact inverse of [`bd09_to_bd09mc`] for |lat| ≤ 74°.
#[inline]
pub fn bd09mc_to_bd09(x: f64, y: f64) -> (f64, f64) {
    let (lon0, lat0) = convertor(x, y, mc_band(y.abs()));
    if !(lat0.abs() <= LAT_LIMIT) {
        return (lon0, lat0);
    }
    // Newton within one band: the forward is discontinuous at band edges (by up to 0.4 m at
    // 45°), so the band is fixed while iterating, moved once if the seed was on the wrong side
    // of an edge, and the answer is kept inside it.
    let ay = y.abs();
    let mut k = ll_band_index(lat0.abs());
    let mut alat = newton(k, ay, lat0.abs());
    let (lo, hi) = band_range(k);
    if alat < lo - 1e-9 && k < 5 {
        k += 1;
        alat = newton(k, ay, alat);
    } else if alat >= hi + 1e-9 && k > 0 {
        k -= 1;
        alat = newton(k, ay, alat);
    }
    let (lo, hi) = band_range(k);
    let alat = alat.min(hi - 1e-12).max(lo).min(LAT_LIMIT);
    let c = &LL2MC[k];
    let alon = (x.abs() - c[0]) / c[1];
    (
        if x < 0.0 { -alon } else { alon },
        if y < 0.0 { -alat } else { alat },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// forward(inverse(forward(p))) == forward(p) over all latitudes Baidu maps, including the
    /// band edges, within 10 µm (the band 60–74° polynomial itself is only that precise).
    #[test]
    fn inverse_is_exact_for_all_latitudes() {
        let mut lats: Vec<f64> = (0..=7400).map(|i| i as f64 * 0.01).collect();
        lats.extend(LLBAND.iter().flat_map(|&b| [b - 1e-9, b, b + 1e-9]));
        for lat in lats.into_iter().filter(|l| *l <= LAT_LIMIT) {
            for lon in [-179.99, -73.5, -0.3, 0.7, 121.47, 180.0] {
                for (lon, lat) in [(lon, lat), (lon, -lat)] {
                    let (x, y) = bd09_to_bd09mc(lon, lat);
                    let (a, b) = bd09mc_to_bd09(x, y);
                    let (x2, y2) = bd09_to_bd09mc(a, b);
                    assert!(
                        (x2 - x).abs() < 1e-5 && (y2 - y).abs() < 1e-5,
                        "({lon}, {lat}): {} {}",
                        x2 - x,
                        y2 - y
                    );
                    if lat.abs() < 60.0 {
                        assert!((a - lon).abs() < 1e-10 && (b - lat).abs() < 1e-10);
                    }
                }
            }
        }
    }

    #[test]
    fn baidu_wrap_and_clamp() {
        assert_eq!(wrap_lon(180.0), 180.0);
        assert_eq!(wrap_lon(-180.0), -180.0);
        assert_eq!(wrap_lon(541.0), -179.0);
        assert_eq!(wrap_lon(-541.0), 179.0);
        assert_eq!(wrap_lon(190.0), -170.0);
        assert_eq!(bd09_to_bd09mc(121.0, 80.0), bd09_to_bd09mc(121.0, 74.0));
        assert_eq!(bd09_to_bd09mc(481.0, 31.0), bd09_to_bd09mc(121.0, 31.0));
        assert!(bd09_to_bd09mc(f64::NAN, 0.0).0.is_nan());
    }
}
