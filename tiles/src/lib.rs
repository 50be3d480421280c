//! Vector tiles for onemap: tile math, clipping and simplification, MVT encoding and
//! the tile cache. The crate renders from the in-memory index of `onemap-spatial` and owns
//! everything between a tile address and the tile's bytes. It must not know HTTP, the stores or
//! SQL: the server decides what a request means, and a `serve: database` layer's part is the
//! store's to render, on the same grid ([`EXTENT`], [`BUFFER`]).
//!
//! A tile request goes [`TileId::new`] (validation) → [`render`] (index lookup, then per
//! feature: project → clip → simplify → quantise → encode) → [`TileCache`], which keeps
//! the raw and gzip bytes with a strong ETag and drops exactly the tiles an edit touched.

#![warn(missing_docs)]

// The tile cache: rendered tiles with their gzip bytes and ETag, bounded in bytes.
mod cache;
// Clipping in tile units to the tile grown by its buffer.
mod clip;
// MVT 2.1 encoding: one layer per source layer, features with ids, typed tags and commands.
mod encode;
// Why a tile cannot be served.
mod error;
// A feature's geometry as one tile holds it: projected, clipped, simplified and quantised.
mod geometry;
// Web Mercator (EPSG:3857), the projection of every XYZ tile scheme.
pub mod mercator;
// Rendering one tile from the in-memory index.
mod render;
// Tile schemes for basemaps in other coordinate systems.
mod scheme;
// Simplification and quantisation: clipped tile-unit floats to MVT's integer vertices.
mod simplify;
// Tile addresses, their bounds, and the tiles a lon/lat rectangle touches.
mod tile_id;

pub use cache::{CacheStats, TileCache, TileEntry};
pub use error::TileError;
pub use render::{render, render_features, render_scheme};
pub use scheme::TileScheme;
pub use tile_id::{MAX_ZOOM, TileId, TileRange};

pub use onemap_spatial::tile_grid::{BUFFER, EXTENT};

/// Douglas–Peucker tolerance in tile units: one unit is 1/16 of a pixel on a 256 px tile,
/// so simplification is invisible, yet it removes the bulk of vertices at low zooms.
pub const SIMPLIFY_TOLERANCE: f64 = 1.0;
