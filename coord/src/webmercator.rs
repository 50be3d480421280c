//! Web Mercator (EPSG:3857) in closed form.
//!
//! Why not PROJ: it is the spherical Mercator on R = 6378137 m applied to WGS84 degrees, two
//! lines each way, and it sits on hot paths (tiles). The formulas are PROJ's (`asinh(tan φ)` and
//! `atan(sinh(y/R))`), and the tests compare against PROJ's EPSG:3857.

/// Sphere radius of EPSG:3857.
pub const R: f64 = 6378137.0;
/// |x| at longitude ±180°.
pub const X_MAX: f64 = R * std::f64::consts::PI;

/// WGS84 (degrees) → Web Mercator (metres). |lat| must be < 90.
#[inline]
pub fn from_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    (R * lon.to_radians(), R * lat.to_radians().tan().asinh())
}

/// Web Mercator (metres) → WGS84 (degrees).
#[inline]
pub fn to_wgs84(x: f64, y: f64) -> (f64, f64) {
    ((x / R).to_degrees(), (y / R).sinh().atan().to_degrees())
}
