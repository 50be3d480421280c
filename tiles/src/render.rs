//! Rendering one tile from the in-memory index.

use std::sync::Arc;

use geo::Intersects;
use geozero::mvt::tile;
use onemap_spatial::{Catalog, Feature, LayerDef};

use crate::encode::{LayerEncoder, encode_tile};
use crate::error::TileError;
use crate::geometry::TileGeometry;
use crate::mercator::TileTransform;
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
        out.extend(encode_layer(&layer.def, &features, &transform));
    }
    Ok(encode_tile(out))
}

/// Renders features that are not a catalog layer — computed ones, such as admin units
/// carrying a thematic value — as one MVT layer named and typed by `def`, in Web Mercator.
/// Features are drawn in the order given; `None` when none shows in the tile.
pub fn render_features(def: &LayerDef, features: &[Arc<Feature>], tile: TileId) -> Option<Vec<u8>> {
    let scheme = TileScheme::WebMercator;
    let query = scheme.query_bounds(tile);
    let near: Vec<Arc<Feature>> = features
        .iter()
        .filter(|f| f.bounds().is_some_and(|b| b.intersects(&query)))
        .cloned()
        .collect();
    encode_tile(
        encode_layer(def, &near, &scheme.transform(tile))
            .into_iter()
            .collect(),
    )
}

/// One layer's features clipped, simplified and encoded; None when none shows.
fn encode_layer(
    def: &LayerDef,
    features: &[Arc<Feature>],
    transform: &TileTransform,
) -> Option<tile::Layer> {
    let mut encoder = LayerEncoder::new(def);
    for f in features {
        if let Some(g) = f
            .geometry
            .as_ref()
            .and_then(|g| TileGeometry::new(g, transform))
        {
            encoder.push(f, &g);
        }
    }
    encoder.finish()
}
