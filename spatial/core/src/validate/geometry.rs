//! Geometry checks: well-formed GeoJSON, the declared type, validity, and extent.

use geo::{Geometry, MultiPolygon, Validation};
use geojson::{GeometryValue, Position};
use serde_json::Value;

use crate::schema::{Extent, GeometryType};
use crate::validate::Issue;

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
    check_positions(&gj.value, extent, field, issues);
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

fn check_positions(v: &GeometryValue, extent: Extent, field: &str, issues: &mut Vec<Issue>) {
    let check_line = |line: &[Position], path: String, ring: bool, issues: &mut Vec<Issue>| {
        for (i, p) in line.iter().enumerate() {
            check_position(p, extent, &format!("{path}[{i}]"), issues);
        }
        if ring {
            if line.len() < 4 {
                issues.push(Issue::new(
                    path.clone(),
                    "a ring needs at least 4 positions",
                ));
            } else if line.first() != line.last() {
                issues.push(Issue::new(
                    path.clone(),
                    "ring is not closed: first and last positions differ",
                ));
            }
        } else if line.len() < 2 {
            issues.push(Issue::new(path, "a line needs at least 2 positions"));
        }
    };
    let c = format!("{field}.coordinates");
    match v {
        GeometryValue::Point { coordinates } => check_position(coordinates, extent, &c, issues),
        GeometryValue::MultiPoint { coordinates } => {
            for (i, p) in coordinates.iter().enumerate() {
                check_position(p, extent, &format!("{c}[{i}]"), issues);
            }
        }
        GeometryValue::LineString { coordinates } => check_line(coordinates, c, false, issues),
        GeometryValue::MultiLineString { coordinates } => {
            for (i, l) in coordinates.iter().enumerate() {
                check_line(l, format!("{c}[{i}]"), false, issues);
            }
        }
        GeometryValue::Polygon { coordinates } => {
            for (i, r) in coordinates.iter().enumerate() {
                check_line(r, format!("{c}[{i}]"), true, issues);
            }
        }
        GeometryValue::MultiPolygon { coordinates } => {
            for (j, poly) in coordinates.iter().enumerate() {
                for (i, r) in poly.iter().enumerate() {
                    check_line(r, format!("{c}[{j}][{i}]"), true, issues);
                }
            }
        }
        GeometryValue::GeometryCollection { .. } => {
            issues.push(Issue::new(field, "GeometryCollection is not supported"));
        }
    }
}

fn check_position(p: &Position, extent: Extent, path: &str, issues: &mut Vec<Issue>) {
    let s = p.as_slice();
    if s.len() < 2 {
        issues.push(Issue::new(path, "a position needs x and y"));
        return;
    }
    let (x, y) = (s[0], s[1]);
    if !x.is_finite() || !y.is_finite() {
        issues.push(Issue::new(path, "coordinates must be finite numbers"));
        return;
    }
    let [minx, miny, maxx, maxy] = extent.bounds();
    if !(minx..=maxx).contains(&x) || !(miny..=maxy).contains(&y) {
        issues.push(Issue::new(
            path,
            format!("({x}, {y}) lies outside the layer's extent [{minx}, {miny}, {maxx}, {maxy}] (lon/lat)"),
        ));
    }
}
