//! Rendering one tile from the in-memory index.

use std::sync::Arc;

use onemap_spatial::{Catalog, Feature};

use crate::encode::{LayerEncoder, encode_tile};
use crate::error::TileError;
use crate::geometry::TileGeometry;
use crate::scheme::TileScheme;
use crate::tile_id::TileId;

/// Renders `layers` (in that order, each once) into an MVT tile; `None` when no feature
/// shows in it (the API answers 204).
///
/// Only features whose envelope meets the buffered tile are read, and they are encoded
/// in id order, so equal data gives equal bytes (and equal ETags). The index lock is held
/// just long enough to take the candidates; rendering runs without it.
pub fn render(
    catalog: &Catalog,
    layers: &[&str],
    tile: TileId,
) -> Result<Option<Vec<u8>>, TileError> {
    render_scheme(catalog, layers, tile, TileScheme::WebMercator)
}

/// [`render`] for a basemap in another coordinate system (GCJ-02, Baidu).
pub fn render_scheme(
    catalog: &Catalog,
    layers: &[&str],
    tile: TileId,
    scheme: TileScheme,
) -> Result<Option<Vec<u8>>, TileError> {
    let transform = scheme.transform(tile);
    let query = scheme.query_bounds(tile);
    let mut out = Vec::with_capacity(layers.len());
    for (i, &name) in layers.iter().enumerate() {
        if layers[..i].contains(&name) {
            return Err(TileError::DuplicateLayer(name.to_owned()));
        }
        let layer = catalog
            .layer(name)
            .map_err(|_| TileError::UnknownLayer(name.to_owned()))?;
        let mut features: Vec<Arc<Feature>> =
            layer.read(|ix| ix.in_envelope(&query).cloned().collect());
        features.sort_unstable_by_key(|f| f.id);
        let mut encoder = LayerEncoder::new(&layer.def);
        for f in &features {
            if let Some(g) = f
                .geometry
                .as_ref()
                .and_then(|g| TileGeometry::new(g, &transform))
            {
                encoder.push(f, &g);
            }
        }
        out.extend(encoder.finish());
    }
    Ok(encode_tile(out))
}
