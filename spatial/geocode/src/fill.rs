//! A feature that arrives without a geometry gets the point its `address` property geocodes
//! to; when the layer declares them, `geocode_level` and `geocode_confidence` record how
//! precise that point is, so whoever reads the feature later can tell a house-exact point
//! from a district centroid.

use serde::Serialize;
use serde_json::{Map, Value, json};

use onemap_spatial::LayerDef;

use crate::gazetteer::Gazetteer;
use crate::service::geocode;

/// The property read for the address.
const ADDRESS: &str = "address";
/// Properties written when the layer declares them.
const LEVEL: &str = "geocode_level";
const CONFIDENCE: &str = "geocode_confidence";

/// How a point was found, reported with the write.
#[derive(Debug, Clone, Serialize)]
pub struct Filled {
    /// The candidate's level (`house`, `interpolated`, `road`…).
    pub level: String,
    /// Its confidence in [0, 1], to three decimals.
    pub confidence: f64,
    /// The standard address it matched.
    pub standard_address: String,
}

/// Fills a missing geometry (GeoJSON, store CRS) from the address. Ok(None) when the geometry
/// was given; Err(reason) when there is no address or it does not geocode.
pub fn fill(
    gz: &Gazetteer,
    def: &LayerDef,
    geometry: &mut Option<Value>,
    props: &mut Map<String, Value>,
) -> Result<Option<Filled>, String> {
    if geometry.as_ref().is_some_and(|g| !g.is_null()) {
        return Ok(None);
    }
    let Some(address) = props.get(ADDRESS).and_then(Value::as_str) else {
        return Err(format!("no geometry and no `{ADDRESS}` to geocode"));
    };
    let answer = geocode(gz, address, 1);
    let Some(best) = answer.candidates.first() else {
        return Err(format!(
            "`{address}` does not geocode: {}",
            answer.reason.as_deref().unwrap_or("no match")
        ));
    };
    let level = serde_json::to_value(best.level)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let confidence = (best.confidence * 1000.0).round() / 1000.0;
    *geometry = Some(json!({"type": "Point", "coordinates": [best.lon, best.lat]}));
    if def.property(LEVEL).is_some() {
        props.insert(LEVEL.into(), Value::from(level.clone()));
    }
    if def.property(CONFIDENCE).is_some() {
        props.insert(CONFIDENCE.into(), Value::from(confidence));
    }
    Ok(Some(Filled {
        level,
        confidence,
        standard_address: best.standard_address.clone(),
    }))
}
