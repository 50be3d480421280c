//! Coordinate conversion for the Shanghai map server: pure, fast, exact. The crate owns the
//! catalogue of coordinate reference systems, every conversion between them and the local
//! correction of the Shanghai 2000 plane. It must not know layers, features, stores or HTTP:
//! it takes coordinates and geometries and gives them back converted, so every other crate can
//! depend on it and it depends on none of them.
//!
//! # Coordinate reference systems ([`Crs`])
//!
//! | name | what | unit |
//! |---|---|---|
//! | `wgs84` | WGS 84 lon/lat (EPSG:4326 in lon/lat order): GPS, OpenStreetMap. The hub of every conversion. | degree |
//! | `cgcs2000` | China Geodetic Coordinate System 2000 (EPSG:4490), the national datum. | degree |
//! | `gcj02` | GCJ-02, the obfuscated datum of maps published in China (AMap/Gaode, Tencent). | degree |
//! | `bd09` | BD-09, Baidu's further offset of GCJ-02. | degree |
//! | `bd09mc` | BD09MC, Baidu's Mercator-like plane (band polynomials). | metre |
//! | `sh2000` | Shanghai 2000 city plane (transverse Mercator through PROJ, configurable). | metre |
//! | `webmercator` | Web Mercator, EPSG:3857 (closed form). | metre |
//! | `EPSG:<code>` | anything PROJ knows, e.g. `EPSG:4549` (CGCS2000 3-degree GK, CM 120°E). | per CRS |
//!
//! Coordinates are always `(x, y)` = (east, north): (lon, lat) for angular CRSs. Surveying
//! documents write (north, east); see [`axis`].
//!
//! **CGCS2000 = WGS84 here.** The two realisations differ by a few centimetres (plate motion
//! since epoch 2000.0, frame differences), below the resolution of this project's data and far
//! below the GCJ-02 obfuscation's own noise. The crate converts between them as the identity,
//! as PROJ itself does without a time-dependent transformation.
//!
//! **GCJ-02 and BD-09** use the public formulas (`a = 6378245.0`,
//! `ee = 0.00669342162296594323`, `x_pi = π·3000/180`). Their inverses are exact, not the usual
//! one-step approximations: the one-step inverse seeds a fixed, small number of fixed-point
//! iterations (no unbounded loop), which brings the round trip to ~10⁻¹³° (10⁻¹¹° next to the
//! 105°E meridian, where the formula has a cusp). See [`gcj02`], [`bd09`].
//!
//! **The GCJ-02 region rule.** GCJ-02 exists only in China. A conversion step into or out of
//! GCJ-02 (so also wgs84 ↔ bd09/bd09mc) accepts only points inside the usual bounding box
//! lon 72.004..137.8347, lat 0.8293..55.8271 ([`gcj02::in_region`]) and reports any other point
//! as [`CoordError::OutsideChina`] with its index. Why an error and not the common "pass the
//! point through unchanged": a silently unshifted point is 300–700 m off with nothing to tell it
//! apart; the caller can decide. Why the box: it is what every other converter uses, so results
//! agree with theirs near borders, and it is cheap and explainable. It includes some
//! neighbouring territory, where the formula is applied like everywhere else. gcj02 ↔ bd09 ↔
//! bd09mc never pass through WGS84 and have no region test.
//!
//! **BD09MC** uses Baidu's band polynomials with Baidu's longitude wrap and ±74° latitude clamp;
//! its inverse refines Baidu's approximate `MC2LL` by Newton steps on the forward polynomial
//! (fixed count), so a round trip is exact to far below a millimetre. See [`bd09mc`].
//!
//! **Shanghai 2000** goes through PROJ (the `proj` crate, PROJ built from source). The default
//! profile [`SH2000_UNOFFICIAL_PROJ`] is **unofficial**: community-derived from the published
//! facts, possibly metres off the real system. A deployment sets its own PROJ string in
//! [`CoordConfig`] and may add a [`LocalCorrection`] (4-parameter Helmert or 6-parameter affine,
//! fitted by [`fit_helmert`] / [`fit_affine`] from control points) applied after the PROJ step.
//! See [`sh2000`] and [`correction`].
//!
//! # Using it
//!
//! ```
//! use onemap_coord::{CoordConfig, Crs, Transformer};
//!
//! let t = Transformer::new("wgs84".parse()?, Crs::Gcj02, &CoordConfig::default())?;
//! let (lon, lat) = t.convert(121.4737, 31.2304)?;
//! assert!((lon - 121.478223059).abs() < 1e-9 && (lat - 31.228457738).abs() < 1e-9);
//!
//! let mut pts = [[121.4737, 31.2304], [200.0, 31.0]];
//! let err = t.convert_slice(&mut pts).unwrap_err();
//! assert_eq!(err.index(), Some(1)); // |lon| > 180
//! # Ok::<(), onemap_coord::CoordError>(())
//! ```
//!
//! A [`Transformer`] is `Send + Sync` and cheap to clone. PROJ objects are not thread-safe, so
//! each thread lazily builds its own copy of the PROJ operations it uses (a per-thread table,
//! see `proj_cache.rs`); the closed-form conversions involve no PROJ and no allocation.
//!
//! PROJ needs its database (`proj.db`) for `EPSG:` codes; the bundled build (PROJ 9.6, built by
//! `proj-sys` with `EMBED_RESOURCE_FILES=ON`) embeds it in the binary, so a deployed server needs
//! no `PROJ_DATA`. PROJ strings such as the Shanghai 2000 profile do not use the database.
//!
//! Errors: every failure is a [`CoordError`]; per-point errors carry the point's index. No
//! function of this crate panics on bad input (NaN, infinities, out-of-range values, bad PROJ
//! strings, unknown CRS names).

#![warn(missing_docs)]
// Range tests are written `!(v <= max)` on purpose: they are also true for NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

// Axis order: surveying documents' (north, east) to the crate's (east, north) and back.
pub mod axis;
// BD-09: Baidu's offset on top of GCJ-02 (public forward formula) and an exact inverse.
pub mod bd09;
// BD09MC: Baidu's "Mercator" plane (metres) from BD-09, by Baidu's published band polynomials.
pub mod bd09mc;
// Local correction of the Shanghai 2000 plane, fitted from control points.
pub mod correction;
// The catalogue of coordinate reference systems.
pub mod crs;
// The one error type of the crate.
mod error;
// GCJ-02: the public forward formula and an exact inverse.
pub mod gcj02;
// Sharing PROJ transformations between threads: one PROJ object per thread and definition.
mod proj_cache;
// Shanghai 2000: the city's local plane, through PROJ, plus the optional local correction.
pub mod sh2000;
// The any-to-any pipeline: every conversion as steps through WGS84, with shortcuts.
mod transform;
// Web Mercator (EPSG:3857) in closed form.
pub mod webmercator;

pub use correction::{Fit, FitMethod, LocalCorrection, fit, fit_affine, fit_helmert};
pub use crs::{Crs, is_angular};
pub use error::CoordError;
pub use sh2000::{CoordConfig, SH2000_UNOFFICIAL_PROJ};
pub use transform::Transformer;

/// Compile-time proof that a transformer can be shared across threads and tokio tasks.
const _: () = {
    const fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Transformer>();
    assert_send_sync::<CoordConfig>();
};
