//! GeoJSON: a FeatureCollection of the same feature objects the item list serves, written
//! one feature at a time rather than built as one JSON tree.

use std::io::Write;
use std::sync::Arc;

use onemap_spatial::Feature;
use onemap_spatial::geojson_out::feature_json;

use super::WriteError;

/// The features as one FeatureCollection with its counts.
pub fn encode(features: &[Arc<Feature>]) -> Result<Vec<u8>, WriteError> {
    let n = features.len();
    let mut out = Vec::new();
    write!(
        out,
        r#"{{"type":"FeatureCollection","numberMatched":{n},"numberReturned":{n},"features":["#
    )?;
    for (i, f) in features.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, &feature_json(f))?;
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}
