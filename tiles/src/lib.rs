//! Vector tiles for onemap: tile math, clipping and simplification, MVT encoding and
//! the tile cache.
//!
//! A tile request goes [`TileId::new`] (validation) → [`render`] (index lookup, then per
//! feature: project → clip → simplify → quantise → encode) → [`TileCache`], which keeps
//! the raw and gzip bytes with a strong ETag and drops exactly the tiles an edit touched.

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

/// Tile coordinates run 0..EXTENT on each axis (MVT's customary 4096: 16 units per pixel
/// on a 256 px tile, 8 on a 512 px tile).
pub const EXTENT: u32 = 4096;

/// Geometry is kept this many tile units beyond every tile edge, so renderers can draw
/// strokes and labels that straddle the edge without seams (1/64 of the tile, as Martin
/// and pg_tileserv default to).
pub const BUFFER: u32 = 64;

/// Douglas–Peucker tolerance in tile units: one unit is 1/16 of a pixel on a 256 px tile,
/// so simplification is invisible, yet it removes the bulk of vertices at low zooms.
pub const SIMPLIFY_TOLERANCE: f64 = 1.0;
