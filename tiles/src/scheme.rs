//! Tile schemes for basemaps in other coordinate systems.
//!
//! Chinese web maps do not sit on WGS84 Web Mercator: AMap and Tencent draw in GCJ-02
//! (same XYZ grid, shifted coordinates) and Baidu in BD09MC with its own tile numbering.
//! A layer drawn over such a basemap must be shifted the same way, or it lands hundreds of
//! metres off.

use geo::{Coord, Rect};
use onemap_coord::{bd09, bd09mc, gcj02};

use crate::error::TileError;
use crate::mercator::{TileTransform, world};
use crate::tile_id::TileId;
use crate::{BUFFER, EXTENT};

/// GCJ-02 moves points by less than 0.01° anywhere in China: enough margin for the index query.
const GCJ_MARGIN: f64 = 0.01;

/// How tiles are laid over the Earth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TileScheme {
    /// XYZ Web Mercator over WGS84/CGCS2000 coordinates (MapLibre, OpenStreetMap, Tianditu).
    #[default]
    WebMercator,
    /// XYZ Web Mercator over GCJ-02 coordinates (AMap/Gaode, Tencent).
    Gcj02,
    /// Baidu: BD09MC metres, level z at 2^(18−z) m per pixel, 256-pixel tiles numbered
    /// from the BD09MC origin with y growing north.
    Baidu,
}

impl TileScheme {
    /// Reads a `crs` parameter: `wgs84`/`cgcs2000` (default), `gcj02`, or `bd09` (Baidu tiles).
    pub fn parse(s: &str) -> Result<Self, TileError> {
        match s.to_ascii_lowercase().as_str() {
            "wgs84" | "cgcs2000" | "webmercator" | "epsg:3857" => Ok(Self::WebMercator),
            "gcj02" => Ok(Self::Gcj02),
            "bd09" | "bd09mc" | "baidu" => Ok(Self::Baidu),
            other => Err(TileError::UnknownScheme(other.to_owned())),
        }
    }

    /// The name carried in cache keys and URLs ("" for the default).
    pub fn variant(self) -> &'static str {
        match self {
            Self::WebMercator => "",
            Self::Gcj02 => "gcj02",
            Self::Baidu => "bd09",
        }
    }

    /// Baidu tile size in BD09MC metres at level z.
    fn baidu_size(z: u8) -> f64 {
        256.0 * 2f64.powi(18 - i32::from(z))
    }

    /// Lon/lat → this tile's units, for every vertex.
    pub(crate) fn transform(self, tile: TileId) -> TileTransform {
        match self {
            Self::WebMercator => tile.transform(),
            Self::Gcj02 => {
                TileTransform::on_world(tile.z(), tile.x(), tile.y(), |c| world(to_gcj02(c)))
            }
            Self::Baidu => {
                let size = Self::baidu_size(tile.z());
                TileTransform::north_up(
                    f64::from(EXTENT) / size,
                    f64::from(tile.x()) * f64::from(EXTENT),
                    (f64::from(tile.y()) + 1.0) * f64::from(EXTENT),
                    to_bd09mc,
                )
            }
        }
    }

    /// The lon/lat envelope whose features can show in the buffered tile.
    pub(crate) fn query_bounds(self, tile: TileId) -> Rect<f64> {
        match self {
            Self::WebMercator => tile.buffered_bounds_lonlat(),
            Self::Gcj02 => {
                let b = tile.buffered_bounds_lonlat();
                Rect::new(
                    (b.min().x - GCJ_MARGIN, b.min().y - GCJ_MARGIN),
                    (b.max().x + GCJ_MARGIN, b.max().y + GCJ_MARGIN),
                )
            }
            Self::Baidu => {
                let size = Self::baidu_size(tile.z());
                let pad = f64::from(BUFFER) / f64::from(EXTENT) * size;
                let (x0, y0) = (
                    f64::from(tile.x()) * size - pad,
                    f64::from(tile.y()) * size - pad,
                );
                let (x1, y1) = (x0 + size + 2.0 * pad, y0 + size + 2.0 * pad);
                let corners = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)].map(|(x, y)| {
                    let (lon, lat) = bd09mc::bd09mc_to_bd09(x, y);
                    let (lon, lat) = bd09::bd09_to_gcj02(lon, lat);
                    gcj02::gcj02_to_wgs84(lon, lat)
                });
                let (mut lo, mut hi) = (corners[0], corners[0]);
                for (x, y) in corners {
                    lo = (lo.0.min(x), lo.1.min(y));
                    hi = (hi.0.max(x), hi.1.max(y));
                }
                // The band polynomials are not exactly invertible at the edges: keep a margin.
                Rect::new((lo.0 - 1e-3, lo.1 - 1e-3), (hi.0 + 1e-3, hi.1 + 1e-3))
            }
        }
    }
}

/// WGS84 → GCJ-02; outside China (where GCJ-02 is undefined) the point stays put.
fn to_gcj02(c: Coord<f64>) -> Coord<f64> {
    if gcj02::in_region(c.x, c.y) {
        let (x, y) = gcj02::wgs84_to_gcj02(c.x, c.y);
        Coord { x, y }
    } else {
        c
    }
}

fn to_bd09mc(c: Coord<f64>) -> Coord<f64> {
    let g = to_gcj02(c);
    let (lon, lat) = bd09::gcj02_to_bd09(g.x, g.y);
    let (x, y) = bd09mc::bd09_to_bd09mc(lon, lat);
    Coord { x, y }
}
