//! Spatial predicates of a selection: how a feature's geometry relates to the operand.

use geo::{Distance, Euclidean, Geometry, Intersects, Relate};
use onemap_coord::{CoordError, Transformer};

/// The relation asked for between a feature (left) and the operand geometry (right).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SpatialOp {
    /// They share at least one point.
    Intersects,
    /// The feature lies inside the operand (its interior meets the operand's interior and
    /// no part lies outside): points in a district, roads inside a township.
    Within,
    /// The feature holds the operand: the stand that contains a clicked point.
    Contains,
    /// Within this many metres, measured on the Shanghai 2000 plane.
    DWithin(f64),
}

impl SpatialOp {
    /// Parses `intersects`, `within`, `contains` or `dwithin` (which needs `distance_m`).
    pub fn parse(op: &str, distance_m: Option<f64>) -> Result<Self, String> {
        match (op, distance_m) {
            ("intersects", _) => Ok(Self::Intersects),
            ("within", _) => Ok(Self::Within),
            ("contains", _) => Ok(Self::Contains),
            ("dwithin", Some(d)) if (0.0..=100_000.0).contains(&d) => Ok(Self::DWithin(d)),
            ("dwithin", _) => Err("dwithin needs distance_m in [0, 100000] metres".into()),
            (op, _) => Err(format!(
                "spatial op `{op}`: expected intersects, within, contains or dwithin"
            )),
        }
    }
}

/// A predicate with its operand in CGCS2000 lon/lat, and the operand on the plane for
/// distances.
pub struct Spatial {
    pub op: SpatialOp,
    pub geometry: Geometry<f64>,
    planar: Option<Geometry<f64>>,
}

impl Spatial {
    /// `plane` converts CGCS2000 lon/lat to Shanghai 2000 metres (used by `DWithin`).
    pub fn new(
        op: SpatialOp,
        geometry: Geometry<f64>,
        plane: &Transformer,
    ) -> Result<Self, CoordError> {
        let planar = match op {
            SpatialOp::DWithin(_) => {
                let mut g = geometry.clone();
                plane.convert_geometry(&mut g)?;
                Some(g)
            }
            _ => None,
        };
        Ok(Self {
            op,
            geometry,
            planar,
        })
    }

    /// Whether a feature geometry satisfies the predicate.
    pub fn holds(&self, g: &Geometry<f64>, plane: &Transformer) -> Result<bool, CoordError> {
        Ok(match self.op {
            SpatialOp::Intersects => g.intersects(&self.geometry),
            SpatialOp::Within => g.relate(&self.geometry).is_within(),
            SpatialOp::Contains => g.relate(&self.geometry).is_contains(),
            SpatialOp::DWithin(m) => {
                let mut p = g.clone();
                plane.convert_geometry(&mut p)?;
                let operand = self.planar.as_ref().unwrap_or(&self.geometry);
                Euclidean.distance(&p, operand) <= m
            }
        })
    }

    /// How far (degrees) beyond the operand's bounds candidates may lie.
    pub fn margin_deg(&self, lat: f64) -> (f64, f64) {
        match self.op {
            SpatialOp::DWithin(m) => {
                let m = m * 1.1 + 1.0;
                (
                    m / (111_320.0 * lat.to_radians().cos().max(0.01)),
                    m / 110_574.0,
                )
            }
            _ => (0.0, 0.0),
        }
    }
}
