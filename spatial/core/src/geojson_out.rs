//! Features rendered as GeoJSON.

use geo::Geometry;
use serde_json::{Map, Value, json};

use crate::feature::Feature;

/// A GeoJSON geometry object (`null` for none).
pub fn geometry_json(g: Option<&Geometry<f64>>) -> Value {
    match g {
        Some(g) => serde_json::to_value(geojson::Geometry::from(g)).unwrap_or(Value::Null),
        None => Value::Null,
    }
}

/// A GeoJSON Feature: `id` is the integer feature id, secondary geometries are
/// GeoJSON objects among the properties, and the version rides along as a foreign member.
pub fn feature_json(f: &Feature) -> Value {
    json!({
        "type": "Feature",
        "id": f.id,
        "geometry": geometry_json(f.geometry.as_ref()),
        "properties": properties_json(f),
        "version": f.version,
    })
}

/// The properties as a client sees them: scalars, and secondary geometries as GeoJSON objects.
pub fn properties_json(f: &Feature) -> Map<String, Value> {
    let mut props = f.properties.clone();
    for (name, g) in &f.geometries {
        props.insert(name.clone(), geometry_json(Some(g)));
    }
    props
}
