//! Vector tiles for onemap: tile math, clipping and simplification, MVT encoding and
//! the tile cache.
//!
//! A tile request goes [`TileId::new`] (validation) → [`render`] (index lookup, then per
//! feature: project → clip → simplify → quantise → encode) → [`TileCache`], which keeps
//! the raw and gzip bytes with a strong ETag and drops exactly the tiles an edit touched.

#![warn(missing_docs)]

mod cache;
mod clip;
mod encode;
mod error;
mod geometry;
pub mod mercator;
mod render;
mod scheme;
mod simplify;
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
