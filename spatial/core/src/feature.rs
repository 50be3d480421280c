//! Features: a geometry, typed properties, and a version for optimistic concurrency.

use std::collections::BTreeMap;

use geo::{BoundingRect, Geometry, Rect};
use serde_json::{Map, Value};

/// A stored feature. Coordinates are CGCS2000 lon/lat (EPSG:4490).
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub id: i64,
    /// Starts at 1 and grows by one with every committed change; the ETag of the feature.
    pub version: i64,
    pub geometry: Option<Geometry<f64>>,
    /// Scalar properties, normalised to their schema types.
    pub properties: Map<String, Value>,
    /// Secondary geometries by property name (e.g. `footprint`).
    pub geometries: BTreeMap<String, Geometry<f64>>,
}

/// What a client asks to store: a feature without id and version, already validated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Draft {
    pub geometry: Option<Geometry<f64>>,
    pub properties: Map<String, Value>,
    pub geometries: BTreeMap<String, Geometry<f64>>,
}

impl Draft {
    /// The envelope of every geometry the draft carries.
    pub fn bounds(&self) -> Option<Rect<f64>> {
        union_bounds(self.geometry.iter().chain(self.geometries.values()))
    }
}

impl Feature {
    /// Builds the stored feature from a draft.
    pub fn from_draft(id: i64, version: i64, draft: Draft) -> Self {
        Self {
            id,
            version,
            geometry: draft.geometry,
            properties: draft.properties,
            geometries: draft.geometries,
        }
    }

    /// The envelope of the primary and all secondary geometries: what an edit can touch on a map.
    pub fn bounds(&self) -> Option<Rect<f64>> {
        union_bounds(self.geometry.iter().chain(self.geometries.values()))
    }

    /// The feature as a draft, for merging a patch into it.
    pub fn to_draft(&self) -> Draft {
        Draft {
            geometry: self.geometry.clone(),
            properties: self.properties.clone(),
            geometries: self.geometries.clone(),
        }
    }
}

fn union_bounds<'a>(geoms: impl Iterator<Item = &'a Geometry<f64>>) -> Option<Rect<f64>> {
    geoms.filter_map(|g| g.bounding_rect()).reduce(rect_union)
}

/// The smallest rectangle covering both.
pub fn rect_union(a: Rect<f64>, b: Rect<f64>) -> Rect<f64> {
    Rect::new(
        (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
        (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
    )
}
