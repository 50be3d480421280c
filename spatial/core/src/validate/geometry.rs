//! Geometry checks: well-formed GeoJSON, the declared type, validity, and extent.

use geo::{Geometry, MultiPolygon, Validation};
use serde_json::Value;

use crate::schema::{Extent, GeometryType};
use crate::validate::Issue;
use crate::validate::shape::check_shape;

/// Parses a GeoJSON geometry object and checks it for a layer.
///
/// Rings are checked for closure on the raw positions, because converting to
/// `geo` closes them silently. A Polygon is promoted when the layer holds MultiPolygons.
pub fn parse(
    value: &Value,
    expected: GeometryType,
    extent: Extent,
    field: &str,
    issues: &mut Vec<Issue>,
) -> Option<Geometry<f64>> {
    let gj: geojson::Geometry = match serde_json::from_value(value.clone()) {
        Ok(g) => g,
        Err(e) => {
            issues.push(Issue::new(field, format!("not a GeoJSON geometry: {e}")));
            return None;
        }
    };
    let before = issues.len();
    check_shape(&gj.value, extent, false, &format!("{field}."), issues);
    if issues.len() > before {
        return None;
    }
    let geom = match Geometry::<f64>::try_from(&gj.value) {
        Ok(g) => g,
        Err(e) => {
            issues.push(Issue::new(field, format!("not a usable geometry: {e}")));
            return None;
        }
    };
    let geom = match (expected, geom) {
        (GeometryType::MultiPolygon, Geometry::Polygon(p)) => {
            Geometry::MultiPolygon(MultiPolygon(vec![p]))
        }
        (_, g) => g,
    };
    let actual = GeometryType::of(&geom);
    if expected != GeometryType::Geometry && actual != expected {
        issues.push(Issue::new(
            field,
            format!("expected a {}, got a {}", expected.name(), actual.name()),
        ));
        return None;
    }
    if let Err(e) = geom.check_validation() {
        issues.push(Issue::new(field, format!("invalid geometry: {e}")));
        return None;
    }
    Some(geom)
}
