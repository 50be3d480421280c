//! A layer declaration: id, geometry type and typed properties.

use serde::{Deserialize, Serialize};

use crate::dedup::DedupRule;

use crate::schema::{GeometryType, PropertyDef};

/// Where a layer's geometries may lie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Extent {
    /// A generous box around Shanghai: catches swapped axes and wrong CRSs early.
    #[default]
    Shanghai,
    /// Anywhere on Earth (lon ±180, lat ±90).
    World,
}

impl Extent {
    /// `[min_lon, min_lat, max_lon, max_lat]` accepted for this extent.
    pub fn bounds(self) -> [f64; 4] {
        match self {
            // Shanghai spans about 120.85–122.2 E, 30.67–31.88 N; keep a wide margin
            // for the outer islands and for neighbours' data at the border.
            Self::Shanghai => [120.5, 30.3, 122.6, 32.1],
            Self::World => [-180.0, -90.0, 180.0, 90.0],
        }
    }
}

/// One layer as declared in a `layers/*.json` file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LayerDef {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub geometry: GeometryType,
    /// False for layers whose features may exist before their geometry does.
    #[serde(default = "yes")]
    pub geometry_required: bool,
    /// A property unique within the layer (the external id), used by imports to stay idempotent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default)]
    pub extent: Extent,
    /// Where reads come from; `database` for layers too big to hold in memory.
    #[serde(default)]
    pub serve: Serve,
    /// The duplicate check for reports against this layer; None: the layer is not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup: Option<DedupRule>,
    pub properties: Vec<PropertyDef>,
}

/// Where a layer's reads (items, tiles) are answered from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Serve {
    /// The in-memory index, loaded at start and kept in step with every write: the fast path.
    #[default]
    Memory,
    /// The store itself (PostGIS: item queries in SQL, tiles by `ST_AsMVT`); nothing is held
    /// in memory, so the layer may be larger than RAM.
    Database,
}

fn yes() -> bool {
    true
}

impl LayerDef {
    /// The layer's declared dedup rule, or the default (distance only, 50 m) for layers
    /// without one.
    pub fn dedup_rule(&self) -> DedupRule {
        self.dedup.clone().unwrap_or_default()
    }

    /// Looks a property up by name.
    pub fn property(&self, name: &str) -> Option<&PropertyDef> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// Properties stored as columns (everything but secondary geometries).
    pub fn columns(&self) -> impl Iterator<Item = &PropertyDef> {
        self.properties.iter().filter(|p| !p.is_geometry())
    }

    /// Secondary geometry properties, each kept in a linked table.
    pub fn geometry_properties(&self) -> impl Iterator<Item = &PropertyDef> {
        self.properties.iter().filter(|p| p.is_geometry())
    }

    /// Name of the linked table holding a secondary geometry property.
    pub fn linked_table(&self, property: &str) -> String {
        format!("{}_{}", self.id, property)
    }

    /// Checks the declaration itself and compiles its patterns.
    pub(crate) fn prepare(&mut self) -> Result<(), String> {
        if !is_identifier(&self.id) {
            return Err(format!(
                "layer id `{}` must be lower-case letters, digits and _ (at most 48)",
                self.id
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for p in &mut self.properties {
            if !is_identifier(&p.name) || p.name.starts_with('_') {
                return Err(format!(
                    "property name `{}` is not a plain identifier",
                    p.name
                ));
            }
            if matches!(p.name.as_str(), "fid" | "geom" | "id") {
                return Err(format!("property name `{}` is reserved", p.name));
            }
            if !seen.insert(p.name.clone()) {
                return Err(format!("property `{}` declared twice", p.name));
            }
            p.compile()?;
        }
        if let Some(key) = &self.key {
            match self.property(key) {
                Some(p) if p.required && !p.is_geometry() => {}
                _ => {
                    return Err(format!(
                        "key `{key}` must name a required, non-geometry property"
                    ));
                }
            }
        }
        if let Some(rule) = &self.dedup {
            rule.check(self)?;
        }
        Ok(())
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && s.len() <= 48
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
