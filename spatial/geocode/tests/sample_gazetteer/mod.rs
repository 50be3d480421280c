//! The sample gazetteer of `onemap-data`, built the way the server builds it: every feature
//! validated against its shipped layer declaration, then indexed. Shared by the geocoding tests
//! and the geocoding benchmark.

use std::sync::Arc;

use onemap_coord::{CoordConfig, Crs, Transformer};
use onemap_geocode::gazetteer::{Gazetteer, Sources};
use onemap_spatial::Feature;
use onemap_spatial::schema::LayerRegistry;
use onemap_spatial::validate::validate_feature;
use serde_json::{Map, Value};

/// The seed the server loads its sample data with (`onemap_api::seed::SAMPLE_SEED`).
pub const SEED: u64 = 20_260_101;

const DECLARATIONS: [(&str, &str); 5] = [
    (
        "districts.json",
        include_str!("../../../../data/layers/districts.json"),
    ),
    (
        "townships.json",
        include_str!("../../../../data/layers/townships.json"),
    ),
    (
        "gazetteer_roads.json",
        include_str!("../../../../data/layers/gazetteer_roads.json"),
    ),
    (
        "gazetteer_addresses.json",
        include_str!("../../../../data/layers/gazetteer_addresses.json"),
    ),
    (
        "gazetteer_pois.json",
        include_str!("../../../../data/layers/gazetteer_pois.json"),
    ),
];

/// CGCS2000 → Shanghai 2000 and back, with the default profile.
pub fn planes() -> (Transformer, Transformer) {
    let cfg = CoordConfig::default();
    (
        Transformer::new(Crs::Cgcs2000, Crs::Sh2000, &cfg).expect("profile"),
        Transformer::new(Crs::Sh2000, Crs::Cgcs2000, &cfg).expect("profile"),
    )
}

/// The gazetteer layers of the sample data, as stored features.
pub fn sources() -> Sources {
    let registry =
        LayerRegistry::from_sources(DECLARATIONS.iter().map(|(n, t)| (n.to_string(), *t)))
            .expect("shipped declarations");
    let mut src = Sources::default();
    for layer in onemap_data::sample_layers(SEED) {
        let Some(def) = registry.get(layer.layer) else {
            continue;
        };
        let features = layer
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let props = f
                    .get("properties")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_else(Map::new);
                let draft = validate_feature(def, f.get("geometry"), &props)
                    .unwrap_or_else(|e| panic!("{} feature {i}: {e:?}", layer.layer));
                Arc::new(Feature::from_draft(i as i64 + 1, 1, draft))
            })
            .collect();
        match layer.layer {
            "districts" => src.districts = features,
            "townships" => src.townships = features,
            "gazetteer_roads" => src.roads = features,
            "gazetteer_addresses" => src.addresses = features,
            _ => src.pois = features,
        }
    }
    src
}

pub fn gazetteer() -> Gazetteer {
    let (to, from) = planes();
    Gazetteer::build(&sources(), &to, &from)
}
