//! `geocode=true` on writes and imports: a feature that arrives without a geometry gets the
//! point its `address` property geocodes to, and — when the layer declares them — the
//! `geocode_level` and `geocode_confidence` properties record how precise that point is.
//!
//! Why on the server: hotline and grid reports often carry only an address; officers should not
//! have to place each one by hand, and whoever reads the feature later must be able to tell a
//! house-exact point from a district centroid.

use std::sync::Arc;

use onemap_geocode::fill::{Filled, fill};
use onemap_geocode::gazetteer::Gazetteer;
use onemap_spatial::LayerDef;
use serde_json::Value;

use crate::problem::{Problem, ProblemType};
use crate::state::AppState;

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
