//! The one error type of the crate.
//!
//! Why one enum: the HTTP layer maps every failure of a conversion request to a 4xx answer, and a
//! batch caller needs to know *which* point failed. Every per-point variant therefore carries
//! `index`: the position of the offending point in the slice given to
//! [`Transformer::convert_slice`](crate::Transformer::convert_slice) (0 for
//! [`Transformer::convert`](crate::Transformer::convert), the coordinate's position in traversal
//! order for [`Transformer::convert_geometry`](crate::Transformer::convert_geometry), the pair's
//! position for a fit).

use crate::Crs;

/// Everything that can go wrong in this crate. No function of the crate panics on bad input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CoordError {
    /// A CRS name that [`Crs::from_str`](std::str::FromStr) does not know.
    #[error(
        "unknown CRS {0:?}: expected wgs84, cgcs2000, gcj02, bd09, bd09mc, sh2000, webmercator or EPSG:<code>"
    )]
    UnknownCrs(String),

    /// `EPSG:<code>` that PROJ cannot build a transformation for (unknown code, or no database).
    #[error("EPSG:{code} is not usable through PROJ: {message}")]
    UnknownEpsg {
        /// The number after `EPSG:`.
        code: u32,
        /// PROJ's reason.
        message: String,
    },

    /// A coordinate is NaN or infinite.
    #[error("point {index}: coordinate ({x}, {y}) is not finite")]
    NonFinite {
        /// Position of the point (see the module doc).
        index: usize,
        /// The point's first coordinate (east or lon), as given.
        x: f64,
        /// The point's second coordinate (north or lat), as given.
        y: f64,
    },

    /// A coordinate is finite but outside the domain of `crs` (e.g. |lat| > 90 for an angular CRS).
    #[error("point {index}: ({x}, {y}) is out of range for {crs}: {reason}")]
    OutOfRange {
        /// Position of the point (see the module doc).
        index: usize,
        /// The point's first coordinate (east or lon), as given.
        x: f64,
        /// The point's second coordinate (north or lat), as given.
        y: f64,
        /// The CRS whose domain the point is outside.
        crs: Crs,
        /// The limit it breaks, e.g. "Web Mercator needs |lat| < 90".
        reason: &'static str,
    },

    /// A GCJ-02 step was asked for a point outside the region where GCJ-02 is defined
    /// (see [`gcj02::in_region`](crate::gcj02::in_region)).
    #[error(
        "point {index}: ({lon}, {lat}) is outside the GCJ-02 region (lon 72.004..137.8347, lat 0.8293..55.8271)"
    )]
    OutsideChina {
        /// Position of the point (see the module doc).
        index: usize,
        /// Longitude, degrees (WGS84 or GCJ-02, whichever side the step starts from).
        lon: f64,
        /// Latitude, degrees.
        lat: f64,
    },

    /// A PROJ definition (the Shanghai 2000 profile of a [`CoordConfig`](crate::CoordConfig)) that
    /// PROJ rejects.
    #[error("invalid PROJ definition {definition:?}: {message}")]
    InvalidProj {
        /// The PROJ string as configured.
        definition: String,
        /// PROJ's reason.
        message: String,
    },

    /// PROJ failed on one point (e.g. a coordinate outside the projection's domain).
    #[error("point {index}: PROJ could not transform ({x}, {y}): {message}")]
    ProjFailed {
        /// Position of the point (see the module doc).
        index: usize,
        /// The point's first coordinate, in the CRS PROJ was given.
        x: f64,
        /// The point's second coordinate, in the CRS PROJ was given.
        y: f64,
        /// PROJ's reason.
        message: String,
    },

    /// A local correction whose parameters cannot be applied or inverted (singular matrix,
    /// non-finite or non-positive scale, ...).
    #[error("invalid local correction: {0}")]
    InvalidCorrection(String),

    /// A fit got fewer control points than its parameters need.
    #[error("{method} fit needs at least {needed} control points, got {got}")]
    TooFewPoints {
        /// `"Helmert"` or `"affine"`.
        method: &'static str,
        /// The minimum for the method (2 or 3).
        needed: usize,
        /// How many pairs were given.
        got: usize,
    },

    /// The control points do not determine the parameters (coincident or collinear points).
    #[error("{method} fit: control points are degenerate ({reason})")]
    Degenerate {
        /// `"Helmert"` or `"affine"`.
        method: &'static str,
        /// What is degenerate, e.g. "the source points are collinear".
        reason: &'static str,
    },
}

impl CoordError {
    /// The index of the offending point or control pair, for the per-point variants.
    pub fn index(&self) -> Option<usize> {
        match self {
            CoordError::NonFinite { index, .. }
            | CoordError::OutOfRange { index, .. }
            | CoordError::OutsideChina { index, .. }
            | CoordError::ProjFailed { index, .. } => Some(*index),
            _ => None,
        }
    }

    /// The same error with `index` shifted by `offset` (used when a batch is processed in parts).
    pub(crate) fn offset_index(mut self, offset: usize) -> Self {
        match &mut self {
            CoordError::NonFinite { index, .. }
            | CoordError::OutOfRange { index, .. }
            | CoordError::OutsideChina { index, .. }
            | CoordError::ProjFailed { index, .. } => *index += offset,
            _ => {}
        }
        self
    }
}
