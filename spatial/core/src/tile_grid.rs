//! The vector-tile grid every tile path shares: the in-memory encoder (`onemap-tiles`) and
//! the database path (`ST_AsMVT` in the PostGIS store) must cut tiles identically, so the
//! numbers live here, below both.

/// Tile coordinates run 0..EXTENT on each axis (MVT's customary 4096: 16 units per pixel
/// on a 256 px tile, 8 on a 512 px tile).
pub const EXTENT: u32 = 4096;

/// Geometry is kept this many tile units beyond every tile edge, so renderers can draw
/// strokes and labels that straddle the edge without seams (1/64 of the tile, as Martin
/// and pg_tileserv default to).
pub const BUFFER: u32 = 64;
