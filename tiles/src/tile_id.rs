//! Tile addresses, their bounds, and the tiles a lon/lat rectangle touches.
//!
//! XYZ scheme: y grows southwards from the top of the Mercator square.

use std::fmt;
use std::ops::RangeInclusive;

use geo::{Coord, Rect};

use crate::error::TileError;
use crate::mercator::{TileTransform, lonlat_to_meters, lonlat_to_world, world_to_lonlat};
use crate::{BUFFER, EXTENT};

/// The deepest zoom served. At z = 24 a tile unit is under a millimetre at Shanghai's
/// latitude, and 2^24 · 4096 = 2^36 still leaves f64 ample precision.
pub const MAX_ZOOM: u8 = 24;

/// A tile that exists: `z ≤ MAX_ZOOM` and `x, y < 2^z`.
///
/// The field order is the sort order (zoom, column, row): the cache relies on it to scan
/// the tiles of one zoom, column range by column range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    z: u8,
    x: u32,
    y: u32,
}

impl TileId {
    /// Checks the address; the error is the client's (HTTP 400).
    pub fn new(z: u32, x: u32, y: u32) -> Result<Self, TileError> {
        match u8::try_from(z) {
            Ok(zoom) if zoom <= MAX_ZOOM && x < 1 << z && y < 1 << z => Ok(Self { z: zoom, x, y }),
            _ => Err(TileError::InvalidTile { z, x, y }),
        }
    }

    /// Zoom, `0..=MAX_ZOOM`.
    pub fn z(self) -> u8 {
        self.z
    }

    /// Column, counted eastwards from the antimeridian, `< 2^z`.
    pub fn x(self) -> u32 {
        self.x
    }

    /// Row, counted southwards from the top of the Mercator square, `< 2^z`.
    pub fn y(self) -> u32 {
        self.y
    }

    /// The tile's bounds in lon/lat degrees.
    pub fn bounds_lonlat(self) -> Rect<f64> {
        self.lonlat_bounds_with(0.0)
    }

    /// The bounds plus [`BUFFER`] tile units on every side, in lon/lat: every feature whose
    /// envelope meets this rectangle may show in the tile.
    pub fn buffered_bounds_lonlat(self) -> Rect<f64> {
        self.lonlat_bounds_with(f64::from(BUFFER))
    }

    /// The tile's bounds in EPSG:3857 metres.
    pub fn bounds_mercator(self) -> Rect<f64> {
        let b = self.bounds_lonlat();
        Rect::new(lonlat_to_meters(b.min()), lonlat_to_meters(b.max()))
    }

    pub(crate) fn transform(self) -> TileTransform {
        TileTransform::new(self.z, self.x, self.y)
    }

    fn lonlat_bounds_with(self, buffer: f64) -> Rect<f64> {
        let n = f64::from(1u32 << self.z);
        let b = buffer / f64::from(EXTENT);
        let world = |x: f64, y: f64| world_to_lonlat(Coord { x: x / n, y: y / n });
        let (x, y) = (f64::from(self.x), f64::from(self.y));
        Rect::new(world(x - b, y + 1.0 + b), world(x + 1.0 + b, y - b))
    }
}

impl fmt::Display for TileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

/// A rectangle of tiles at one zoom, inclusive on both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileRange {
    z: u8,
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
}

/// Slack, in tiles, so float rounding can only add a tile, never miss one that touches.
const SLACK: f64 = 1e-6;

impl TileRange {
    /// Every tile at zoom `z` whose bounds grown by `buffer` tile units meet `bounds`
    /// (lon/lat; touching counts). Bounds beyond the Mercator square are clamped to it.
    pub fn covering(bounds: &Rect<f64>, z: u8, buffer: f64) -> Self {
        debug_assert!(z <= MAX_ZOOM);
        let n = f64::from(1u32 << z);
        let last = (1u32 << z) - 1;
        let b = buffer / f64::from(EXTENT);
        let top_left = lonlat_to_world(Coord {
            x: bounds.min().x,
            y: bounds.max().y,
        });
        let bottom_right = lonlat_to_world(Coord {
            x: bounds.max().x,
            y: bounds.min().y,
        });
        // Tile i spans [i − b, i + 1 + b]; it meets [lo, hi] when lo − b − 1 ≤ i ≤ hi + b.
        let first = |lo: f64| ((lo * n - b - 1.0 - SLACK).ceil().max(0.0) as u32).min(last);
        let final_ = |hi: f64| ((hi * n + b + SLACK).floor().max(0.0) as u32).min(last);
        Self {
            z,
            x0: first(top_left.x),
            y0: first(top_left.y),
            x1: final_(bottom_right.x),
            y1: final_(bottom_right.y),
        }
    }

    /// The zoom all tiles of the range share.
    pub fn z(&self) -> u8 {
        self.z
    }

    /// The columns, west to east.
    pub fn xs(&self) -> RangeInclusive<u32> {
        self.x0..=self.x1
    }

    /// The rows, north to south.
    pub fn ys(&self) -> RangeInclusive<u32> {
        self.y0..=self.y1
    }

    /// How many tiles the range holds (up to 2^48 at z = 24, hence u64).
    pub fn tile_count(&self) -> u64 {
        u64::from(self.x1 - self.x0 + 1) * u64::from(self.y1 - self.y0 + 1)
    }

    /// Whether `t` is one of the range's tiles (same zoom, column and row inside).
    pub fn contains(&self, t: TileId) -> bool {
        t.z == self.z && self.xs().contains(&t.x) && self.ys().contains(&t.y)
    }

    /// From the range's first tile to its last in [`TileId`] order: every tile of the
    /// range, plus the other rows of its columns, for scanning a sorted map of tiles.
    pub(crate) fn columns(&self) -> RangeInclusive<TileId> {
        let z = self.z;
        TileId {
            z,
            x: self.x0,
            y: 0,
        }..=TileId {
            z,
            x: self.x1,
            y: u32::MAX,
        }
    }

    /// The tiles, column by column (the order [`TileId`] sorts in).
    pub fn iter(&self) -> impl Iterator<Item = TileId> + use<> {
        let (z, ys) = (self.z, self.ys());
        self.xs()
            .flat_map(move |x| ys.clone().map(move |y| TileId { z, x, y }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(TileId::new(0, 0, 0).is_ok());
        assert!(TileId::new(24, (1 << 24) - 1, 0).is_ok());
        assert!(TileId::new(0, 1, 0).is_err());
        assert!(TileId::new(3, 0, 8).is_err());
        assert!(TileId::new(25, 0, 0).is_err());
        assert!(TileId::new(300, 0, 0).is_err());
        assert!(TileId::new(u32::MAX, 0, 0).is_err());
    }

    #[test]
    fn bounds_of_known_tiles() {
        let world = TileId::new(0, 0, 0).unwrap().bounds_mercator();
        assert!((world.max().x - crate::mercator::HALF_WORLD).abs() < 1e-6);
        assert!((world.min().y + crate::mercator::HALF_WORLD).abs() < 1e-6);
        // z=1 x=1 y=0 is the north-east quarter.
        let ne = TileId::new(1, 1, 0).unwrap().bounds_lonlat();
        assert!(ne.min().x.abs() < 1e-12 && (ne.max().x - 180.0).abs() < 1e-12);
        assert!(
            ne.min().y.abs() < 1e-12 && (ne.max().y - crate::mercator::MAX_LATITUDE).abs() < 1e-9
        );
    }

    #[test]
    fn covering_a_point_finds_its_tile_and_buffer_neighbours() {
        // The People's Square lies in z=14 tile 13720/6694 (x = 13720.40, y = 6694.56).
        let p = Coord {
            x: 121.4737,
            y: 31.2304,
        };
        let r = TileRange::covering(&Rect::new(p, p), 14, 0.0);
        assert_eq!((r.xs(), r.ys()), (13720..=13720, 6694..=6694));
        // A rectangle that ends exactly on a tile edge touches the neighbour too, and
        // the buffer reaches into the next tile.
        let t = TileId::new(14, 13720, 6694).unwrap();
        let b = t.bounds_lonlat();
        let r = TileRange::covering(&b, 14, 0.0);
        assert!(r.contains(t) && r.tile_count() <= 9);
        let inner = Rect::new(
            (b.min().x + (b.width() * 0.5), b.min().y + b.height() * 0.5),
            (
                b.max().x - b.width() * 0.001,
                b.max().y - b.height() * 0.001,
            ),
        );
        assert_eq!(TileRange::covering(&inner, 14, 0.0).tile_count(), 1);
        let r = TileRange::covering(&inner, 14, f64::from(BUFFER));
        assert_eq!((r.xs(), r.ys()), (13720..=13721, 6693..=6694));
    }

    #[test]
    fn covering_agrees_with_buffered_bounds() {
        // A tile is in the range of a rectangle exactly when its buffered bounds meet it.
        let rect = Rect::new((121.40, 31.20), (121.45, 31.26));
        for z in [10u8, 13, 16] {
            let r = TileRange::covering(&rect, z, f64::from(BUFFER));
            let grown = TileRange::covering(&rect, z, f64::from(BUFFER) + 64.0);
            for t in grown.iter() {
                let b = t.buffered_bounds_lonlat();
                let meets = b.min().x <= rect.max().x
                    && b.max().x >= rect.min().x
                    && b.min().y <= rect.max().y
                    && b.max().y >= rect.min().y;
                assert_eq!(meets, r.contains(t), "{t}");
            }
        }
    }

    #[test]
    fn iter_and_count_agree() {
        let r = TileRange::covering(&Rect::new((121.0, 31.0), (121.3, 31.2)), 12, 0.0);
        assert_eq!(r.iter().count() as u64, r.tile_count());
        assert!(r.iter().all(|t| r.contains(t)));
    }
}
