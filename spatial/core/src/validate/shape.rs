//! What GeoJSON's grammar leaves open and every consumer needs: no empty coordinates, lines
//! of two positions or more, closed rings of four or more (RFC 7946 §3.1.6; `geo` would
//! close an open ring silently), and positions inside an extent.

use geojson::{GeometryValue, Position};

use crate::schema::Extent;
use crate::validate::Issue;

/// Issues listed at most: enough to fix a geometry, not megabytes of them for a hostile one
/// (a body of a million bad positions).
const MAX_ISSUES: usize = 100;

/// Adds an issue unless the list is full.
fn push(issues: &mut Vec<Issue>, issue: Issue) {
    if issues.len() < MAX_ISSUES {
        issues.push(issue);
    }
}

/// Checks the raw positions of `g`. `prefix` is the JSON path to the geometry object,
/// ending in `.` unless empty; each issue names the offending array or position.
/// A GeometryCollection's members are checked when `collections` allows them, else the
/// collection is refused.
pub fn check_shape(
    g: &GeometryValue,
    extent: Extent,
    collections: bool,
    prefix: &str,
    issues: &mut Vec<Issue>,
) {
    let c = format!("{prefix}coordinates");
    let empty = |issues: &mut Vec<Issue>, field: &str| {
        push(
            issues,
            Issue::new(field, "empty coordinates: nothing to check"),
        );
    };
    let line = |issues: &mut Vec<Issue>, l: &[Position], field: String, ring: bool| {
        for (i, p) in l.iter().enumerate() {
            check_position(p, extent, || format!("{field}[{i}]"), issues);
        }
        if l.is_empty() {
            empty(issues, &field);
        } else if ring && l.len() < 4 {
            push(
                issues,
                Issue::new(field, "a ring needs at least 4 positions"),
            );
        } else if ring && l.first() != l.last() {
            push(
                issues,
                Issue::new(field, "ring is not closed: first and last positions differ"),
            );
        } else if !ring && l.len() < 2 {
            push(
                issues,
                Issue::new(field, "a line needs at least 2 positions"),
            );
        }
    };
    let polygon = |issues: &mut Vec<Issue>, rings: &[Vec<Position>], field: String| {
        if rings.is_empty() {
            empty(issues, &field);
        }
        for (i, r) in rings.iter().enumerate() {
            line(issues, r, format!("{field}[{i}]"), true);
        }
    };
    match g {
        GeometryValue::Point { coordinates } => check_position(coordinates, extent, || c, issues),
        GeometryValue::MultiPoint { coordinates } => {
            if coordinates.is_empty() {
                empty(issues, &c);
            }
            for (i, p) in coordinates.iter().enumerate() {
                check_position(p, extent, || format!("{c}[{i}]"), issues);
            }
        }
        GeometryValue::LineString { coordinates } => line(issues, coordinates, c, false),
        GeometryValue::MultiLineString { coordinates } => {
            if coordinates.is_empty() {
                empty(issues, &c);
            }
            for (i, l) in coordinates.iter().enumerate() {
                line(issues, l, format!("{c}[{i}]"), false);
            }
        }
        GeometryValue::Polygon { coordinates } => polygon(issues, coordinates, c),
        GeometryValue::MultiPolygon { coordinates } => {
            if coordinates.is_empty() {
                empty(issues, &c);
            }
            for (i, p) in coordinates.iter().enumerate() {
                polygon(issues, p, format!("{c}[{i}]"));
            }
        }
        GeometryValue::GeometryCollection { .. } if !collections => {
            let field = prefix.strip_suffix('.').unwrap_or(prefix);
            push(
                issues,
                Issue::new(field, "GeometryCollection is not supported"),
            );
        }
        GeometryValue::GeometryCollection { geometries } => {
            if geometries.is_empty() {
                empty(issues, &format!("{prefix}geometries"));
            }
            for (i, g) in geometries.iter().enumerate() {
                let member = format!("{prefix}geometries[{i}].");
                check_shape(&g.value, extent, collections, &member, issues);
            }
        }
    }
}

/// A position must be finite and inside the extent (lon/lat). The field path is built only
/// for a refusal.
fn check_position(
    p: &Position,
    extent: Extent,
    field: impl FnOnce() -> String,
    issues: &mut Vec<Issue>,
) {
    let [x, y] = match p.as_slice() {
        [x, y, ..] => [*x, *y],
        _ => return push(issues, Issue::new(field(), "a position needs x and y")),
    };
    if !x.is_finite() || !y.is_finite() {
        return push(
            issues,
            Issue::new(field(), "coordinates must be finite numbers"),
        );
    }
    let [minx, miny, maxx, maxy] = extent.bounds();
    if (minx..=maxx).contains(&x) && (miny..=maxy).contains(&y) {
        return;
    }
    let message = match extent {
        Extent::World => {
            format!("({x}, {y}) is not a longitude within ±180 and a latitude within ±90")
        }
        Extent::Shanghai => format!(
            "({x}, {y}) lies outside the layer's extent [{minx}, {miny}, {maxx}, {maxy}] (lon/lat)"
        ),
    };
    push(issues, Issue::new(field(), message));
}
