//! The geometry type a layer holds.

use serde::{Deserialize, Serialize};

/// Geometry types as named by GeoJSON and GeoPackage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GeometryType {
    Point,
    LineString,
    Polygon,
    MultiPoint,
    MultiLineString,
    MultiPolygon,
    /// Any geometry type (GeoPackage `GEOMETRY`).
    Geometry,
}

impl GeometryType {
    /// The GeoPackage `geometry_type_name`, also the column's declared type.
    pub fn gpkg_name(self) -> &'static str {
        match self {
            Self::Point => "POINT",
            Self::LineString => "LINESTRING",
            Self::Polygon => "POLYGON",
            Self::MultiPoint => "MULTIPOINT",
            Self::MultiLineString => "MULTILINESTRING",
            Self::MultiPolygon => "MULTIPOLYGON",
            Self::Geometry => "GEOMETRY",
        }
    }

    /// The GeoJSON / OGC name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Point => "Point",
            Self::LineString => "LineString",
            Self::Polygon => "Polygon",
            Self::MultiPoint => "MultiPoint",
            Self::MultiLineString => "MultiLineString",
            Self::MultiPolygon => "MultiPolygon",
            Self::Geometry => "Geometry",
        }
    }

    /// The type of a concrete geometry.
    pub fn of(g: &geo::Geometry<f64>) -> Self {
        use geo::Geometry as G;
        match g {
            G::Point(_) => Self::Point,
            G::Line(_) | G::LineString(_) => Self::LineString,
            G::Polygon(_) | G::Rect(_) | G::Triangle(_) => Self::Polygon,
            G::MultiPoint(_) => Self::MultiPoint,
            G::MultiLineString(_) => Self::MultiLineString,
            G::MultiPolygon(_) => Self::MultiPolygon,
            G::GeometryCollection(_) => Self::Geometry,
        }
    }
}
