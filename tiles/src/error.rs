//! Why a tile cannot be served.

/// A tile request that cannot be answered. `InvalidTile` and `DuplicateLayer` are the
/// client's mistake (HTTP 400); `UnknownLayer` names something that does not exist (404).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// No such tile: zoom beyond [`MAX_ZOOM`](crate::MAX_ZOOM), or a column or row outside
    /// the zoom's `2^z × 2^z` grid.
    #[error("tile {z}/{x}/{y} does not exist: zoom must be at most {max} and x, y below 2^zoom", max = crate::MAX_ZOOM)]
    InvalidTile {
        /// Zoom, as requested.
        z: u32,
        /// Column, as requested.
        x: u32,
        /// Row, as requested.
        y: u32,
    },
    /// A layer id the catalog does not hold.
    #[error("unknown layer `{0}`")]
    UnknownLayer(String),
    /// A layer listed twice in one request.
    #[error("layer `{0}` is named twice; a tile holds each layer once")]
    DuplicateLayer(String),
    /// A tile scheme name other than those of [`TileScheme`](crate::TileScheme).
    #[error("unknown tile crs `{0}`: expected wgs84 (default), gcj02 or bd09")]
    UnknownScheme(String),
    /// A `serve: database` layer's part failed in the database (HTTP 503: usually an outage).
    #[error("the database could not render the tile: {0}")]
    Database(String),
}
