//! `geocode=true` on writes and imports: a feature that arrives without a geometry gets the
//! point its `address` property geocodes to, and — when the layer declares them — the
//! `geocode_level` and `geocode_confidence` properties record how precise that point is.
//!
//! Why on the server: hotline and grid reports often carry only an address; officers should not
//! have to place each one by hand, and whoever reads the feature later must be able to tell a
//! house-exact point from a district centroid.

use std::sync::Arc;

use onemap_geocode::gazetteer::Gazetteer;
use onemap_geocode::service::geocode;
use onemap_spatial::LayerDef;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::problem::{Problem, ProblemType};
use crate::state::AppState;

/// The property read for the address.
const ADDRESS: &str = "address";
/// Properties written when the layer declares them.
const LEVEL: &str = "geocode_level";
const CONFIDENCE: &str = "geocode_confidence";

/// How a point was found, reported with the write.
#[derive(Debug, Clone, Serialize)]
pub struct Filled {
    pub level: String,
    pub confidence: f64,
    pub standard_address: String,
}

/// Reads `geocode=true|false` (default false).
pub fn wanted(params: &[(String, String)]) -> Result<bool, Problem> {
    match params
        .iter()
        .find(|(k, _)| k == "geocode")
        .map(|(_, v)| v.as_str())
    {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(v) => Err(Problem::bad_request(format!(
            "geocode `{v}`: expected true or false"
        ))),
    }
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

/// The current gazetteer, off the async workers (the first call after a change rebuilds it).
pub async fn gazetteer(st: &AppState) -> Result<Arc<Gazetteer>, Problem> {
    let (geocoder, catalog) = (st.geocoder.clone(), st.catalog.clone());
    tokio::task::spawn_blocking(move || geocoder.gazetteer(&catalog))
        .await
        .map_err(|e| Problem::new(ProblemType::GazetteerUnavailable).detail(e.to_string()))
}

/// [`fill`] on a GeoJSON Feature body; a failure is a 422 naming the address.
pub fn fill_feature(
    gz: &Gazetteer,
    def: &LayerDef,
    body: &mut Value,
) -> Result<Option<Filled>, Problem> {
    let Some(obj) = body.as_object_mut() else {
        return Ok(None);
    };
    let mut geometry = obj.remove("geometry");
    let mut props = match obj.remove("properties") {
        Some(Value::Object(m)) => m,
        other => {
            // Not an object: leave it for validation to name.
            if let Some(o) = other {
                obj.insert("properties".into(), o);
            }
            if let Some(g) = geometry {
                obj.insert("geometry".into(), g);
            }
            return Ok(None);
        }
    };
    let filled = fill(gz, def, &mut geometry, &mut props);
    obj.insert("properties".into(), Value::Object(props));
    if let Some(g) = geometry {
        obj.insert("geometry".into(), g);
    }
    filled.map_err(failed)
}

/// 422 for an address that does not geocode (or is missing), naming why.
pub fn failed(reason: String) -> Problem {
    Problem::new(ProblemType::GeocodeFailed).detail(reason)
}
