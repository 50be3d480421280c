//! Input checks: every write passes here before it reaches a store.

pub mod gb28181;
mod geometry;
mod issue;
mod properties;
mod shape;

pub use geometry::parse as parse_geometry;
pub use issue::Issue;
pub use properties::{china_offset, normalize_value, parse_datetime};
pub use shape::check_shape;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::feature::Draft;
use crate::schema::{LayerDef, PropType};

/// Checks a feature given as its GeoJSON parts and returns the draft to store,
/// or every problem found (not just the first), so a client can fix them in one go.
pub fn validate_feature(
    def: &LayerDef,
    geometry: Option<&Value>,
    properties: &Map<String, Value>,
) -> Result<Draft, Vec<Issue>> {
    let mut issues = Vec::new();
    let geometry = match geometry {
        Some(v) if !v.is_null() => {
            parse_geometry(v, def.geometry, def.extent, "geometry", &mut issues)
        }
        _ => {
            if def.geometry_required {
                issues.push(Issue::new("geometry", "required"));
            }
            None
        }
    };
    let props = properties::normalize(def, properties, &mut issues);
    let mut geometries = BTreeMap::new();
    for p in def.geometry_properties() {
        let PropType::Geometry { geometry: gt } = p.kind else {
            continue;
        };
        if let Some(v) = properties.get(&p.name).filter(|v| !v.is_null())
            && let Some(g) = parse_geometry(
                v,
                gt,
                def.extent,
                &format!("properties.{}", p.name),
                &mut issues,
            )
        {
            geometries.insert(p.name.clone(), g);
        }
    }
    if issues.is_empty() {
        Ok(Draft {
            geometry,
            properties: props,
            geometries,
        })
    } else {
        Err(issues)
    }
}
