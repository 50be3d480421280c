//! First-start loading of the sample data, through the same validation as any write.

use onemap_spatial::validate::validate_feature;
use onemap_spatial::{Catalog, LayerNote};
use serde_json::{Map, Value};

/// The generator's seed: fixed, so every fresh install shows the same map.
pub const SAMPLE_SEED: u64 = 20_260_101;

/// Loads the sample layers if the store holds no features at all.
/// Returns how many features were loaded.
pub async fn load_if_empty(catalog: &Catalog) -> anyhow::Result<usize> {
    if catalog.layers().any(|l| l.read(|ix| !ix.is_empty())) {
        return Ok(0);
    }
    let mut total = 0;
    for sample in onemap_data::sample_layers(SAMPLE_SEED) {
        let layer = catalog.layer(sample.layer)?;
        let mut drafts = Vec::with_capacity(sample.features.len());
        for (i, f) in sample.features.iter().enumerate() {
            let props = f
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_else(Map::new);
            let draft =
                validate_feature(&layer.def, f.get("geometry"), &props).map_err(|issues| {
                    anyhow::anyhow!("sample {} feature {i} is invalid: {issues:?}", sample.layer)
                })?;
            drafts.push(draft);
        }
        total += drafts.len();
        catalog.create(sample.layer, drafts).await?;
        catalog
            .set_note(
                sample.layer,
                LayerNote {
                    provenance: Some(sample.provenance.to_string()),
                    synthetic: sample.synthetic,
                },
            )
            .await?;
        tracing::info!(
            layer = sample.layer,
            synthetic = sample.synthetic,
            "sample data loaded"
        );
    }
    Ok(total)
}
