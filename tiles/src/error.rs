//! Why a tile cannot be served.

/// A tile request that cannot be answered. `InvalidTile` and `DuplicateLayer` are the
/// client's mistake (HTTP 400); `UnknownLayer` names something that does not exist (404).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    #[error("tile {z}/{x}/{y} does not exist: zoom must be at most {max} and x, y below 2^zoom", max = crate::MAX_ZOOM)]
    InvalidTile { z: u32, x: u32, y: u32 },
    #[error("unknown layer `{0}`")]
    UnknownLayer(String),
    #[error("layer `{0}` is named twice; a tile holds each layer once")]
    DuplicateLayer(String),
    #[error("unknown tile crs `{0}`: expected wgs84 (default), gcj02 or bd09")]
    UnknownScheme(String),
    /// A `serve: database` layer's part failed in the database (HTTP 503: usually an outage).
    #[error("the database could not render the tile: {0}")]
    Database(String),
}
