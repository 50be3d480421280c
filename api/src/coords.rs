//! Coordinate conversion at the API's edges: CRS parameters, and conversion failures as
//! problems. The conversions themselves are `onemap_spatial::crs`.

use onemap_coord::{CoordError, Crs};
pub use onemap_spatial::crs::{Coords, STORE_CRS, convert_bbox, convert_geojson};

use crate::problem::{Problem, ProblemType};

/// Reads a CRS parameter.
pub fn parse_crs(name: &str, value: &str) -> Result<Crs, Problem> {
    value.parse().map_err(|e: CoordError| {
        Problem::bad_request(format!("{name}: {e}")).with("parameter", name)
    })
}

/// A conversion failure as a problem naming the point: a point that cannot be converted is
/// `coordinate-error` (422), a wrong CRS or correction is `bad-request` (400).
pub fn problem(e: CoordError) -> Problem {
    let kind = match e {
        CoordError::NonFinite { .. }
        | CoordError::OutOfRange { .. }
        | CoordError::OutsideChina { .. }
        | CoordError::ProjFailed { .. } => ProblemType::CoordinateError,
        _ => ProblemType::BadRequest,
    };
    let mut p = Problem::new(kind).detail(e.to_string());
    if let Some(i) = e.index() {
        p = p.with("point_index", i);
    }
    p
}

impl From<CoordError> for Problem {
    fn from(e: CoordError) -> Self {
        problem(e)
    }
}
