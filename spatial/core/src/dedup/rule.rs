//! A layer's duplicate-check settings, declared in its JSON (`"dedup": {…}`).

use serde::{Deserialize, Serialize};

use crate::schema::{GeometryType, LayerDef, PropType};

/// How reports are matched against a layer's features. Every field has a default, so
/// `"dedup": {}` turns the check on with the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DedupRule {
    /// Features farther than this (metres, Shanghai 2000 plane) are never matches.
    #[serde(default = "default_buffer")]
    pub buffer_m: f64,
    /// A match scoring at least this is a `duplicate`; anything else within the buffer is
    /// `possible`.
    #[serde(default = "default_duplicate")]
    pub duplicate_score: f64,
    /// The polygon property holding the footprint (四至范围), compared by distance and IoU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footprint: Option<String>,
    /// The string property holding the address, compared by edit distance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Properties that agree on a true duplicate (kind, status…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub same: Vec<String>,
}

fn default_buffer() -> f64 {
    50.0
}

fn default_duplicate() -> f64 {
    0.75
}

impl Default for DedupRule {
    fn default() -> Self {
        Self {
            buffer_m: default_buffer(),
            duplicate_score: default_duplicate(),
            footprint: None,
            address: None,
            same: Vec::new(),
        }
    }
}

impl DedupRule {
    /// Checks the rule against its layer: the named properties exist with fitting types.
    pub(crate) fn check(&self, def: &LayerDef) -> Result<(), String> {
        if !(self.buffer_m > 0.0 && self.buffer_m <= 10_000.0) {
            return Err(format!(
                "dedup.buffer_m must be in (0, 10000] metres, not {}",
                self.buffer_m
            ));
        }
        if !(0.0..=1.0).contains(&self.duplicate_score) {
            return Err("dedup.duplicate_score must be within [0, 1]".into());
        }
        let prop = |name: &str, what: &str| {
            def.property(name)
                .ok_or_else(|| format!("dedup.{what}: layer `{}` has no property `{name}`", def.id))
        };
        if let Some(f) = &self.footprint {
            let p = prop(f, "footprint")?;
            let polygonal = matches!(
                p.kind,
                PropType::Geometry {
                    geometry: GeometryType::Polygon | GeometryType::MultiPolygon
                }
            );
            if !polygonal {
                return Err(format!("dedup.footprint: `{f}` is not a polygon property"));
            }
        }
        if let Some(a) = &self.address
            && !matches!(prop(a, "address")?.kind, PropType::String { .. })
        {
            return Err(format!("dedup.address: `{a}` is not a string property"));
        }
        for s in &self.same {
            prop(s, "same")?;
        }
        Ok(())
    }
}
