//! Web Mercator (EPSG:3857), the projection of every XYZ tile scheme.
//!
//! Data stays in CGCS2000 lon/lat, which differs from WGS84 by centimetres, far below a
//! tile unit at any zoom a browser asks for, so it is projected as if it were WGS84.
//! Internally the math works in "world" coordinates: the whole Mercator square mapped to
//! 0..1 on both axes with y pointing down (north at 0), which is what tiles subdivide.

use std::f64::consts::PI;

use geo::Coord;

/// The latitude at which Web Mercator's square ends (atan(sinh(π))).
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;

/// The sphere radius of EPSG:3857, in metres.
pub const EARTH_RADIUS: f64 = 6_378_137.0;

/// Half the width of the EPSG:3857 square, in metres.
pub const HALF_WORLD: f64 = PI * EARTH_RADIUS;

/// Lon/lat in degrees to world coordinates (0..1, y down). Latitudes beyond
/// ±[`MAX_LATITUDE`] are clamped so the poles stay finite.
pub fn lonlat_to_world(c: Coord<f64>) -> Coord<f64> {
    Coord {
        x: lon_to_world_x(c.x),
        y: lat_to_world_y(c.y),
    }
}

/// World coordinates back to lon/lat in degrees; exact inverse of [`lonlat_to_world`]
/// inside the Mercator square.
pub fn world_to_lonlat(w: Coord<f64>) -> Coord<f64> {
    Coord {
        x: w.x * 360.0 - 180.0,
        y: (PI * (1.0 - 2.0 * w.y)).sinh().atan().to_degrees(),
    }
}

/// Lon/lat in degrees to EPSG:3857 metres.
pub fn lonlat_to_meters(c: Coord<f64>) -> Coord<f64> {
    let w = lonlat_to_world(c);
    Coord {
        x: (w.x * 2.0 - 1.0) * HALF_WORLD,
        y: (1.0 - w.y * 2.0) * HALF_WORLD,
    }
}

/// EPSG:3857 metres to lon/lat in degrees.
pub fn meters_to_lonlat(m: Coord<f64>) -> Coord<f64> {
    world_to_lonlat(Coord {
        x: (m.x / HALF_WORLD + 1.0) / 2.0,
        y: (1.0 - m.y / HALF_WORLD) / 2.0,
    })
}

fn lon_to_world_x(lon: f64) -> f64 {
    (lon + 180.0) / 360.0
}

fn lat_to_world_y(lat: f64) -> f64 {
    let phi = lat.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians();
    // ln(tan(π/4 + φ/2)) written as asinh(tan φ): one transcendental call fewer.
    0.5 - phi.tan().asinh() / (2.0 * PI)
}

/// Lon/lat → tile units of one tile (0..EXTENT inside the tile, y down), the first step of
/// rendering every vertex. The tile's scale and offset are computed once per tile; the
/// plane the grid is laid on is Web Mercator unless a [`crate::TileScheme`] says otherwise.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TileTransform {
    /// Tile units per plane unit (2^z · EXTENT for Web Mercator world units).
    scale: f64,
    /// The tile's top-left corner in tile units of the whole plane.
    x0: f64,
    y0: f64,
    /// Lon/lat onto the plane.
    plane: fn(Coord<f64>) -> Coord<f64>,
    /// Plane y grows downwards (Web Mercator world units) rather than north (metres).
    y_down: bool,
}

/// Lon/lat → Web Mercator world units (0..1, y down).
pub(crate) fn world(c: Coord<f64>) -> Coord<f64> {
    Coord {
        x: lon_to_world_x(c.x),
        y: lat_to_world_y(c.y),
    }
}

impl TileTransform {
    pub(crate) fn new(z: u8, x: u32, y: u32) -> Self {
        Self::on_world(z, x, y, world)
    }

    /// An XYZ tile over a plane in Web Mercator world units (e.g. after a GCJ-02 shift).
    pub(crate) fn on_world(z: u8, x: u32, y: u32, plane: fn(Coord<f64>) -> Coord<f64>) -> Self {
        let extent = f64::from(crate::EXTENT);
        Self {
            scale: f64::from(1u32 << z) * extent,
            x0: f64::from(x) * extent,
            y0: f64::from(y) * extent,
            plane,
            y_down: true,
        }
    }

    /// A tile over a plane in metres with y growing north: `scale` tile units per metre,
    /// (`x0`, `y_top`) the tile's top-left corner in tile units of the plane.
    pub(crate) fn north_up(
        scale: f64,
        x0: f64,
        y_top: f64,
        plane: fn(Coord<f64>) -> Coord<f64>,
    ) -> Self {
        Self {
            scale,
            x0,
            y0: y_top,
            plane,
            y_down: false,
        }
    }

    /// A lon/lat position in this tile's units.
    pub(crate) fn apply(&self, c: Coord<f64>) -> Coord<f64> {
        let p = (self.plane)(c);
        Coord {
            x: p.x * self.scale - self.x0,
            y: if self.y_down {
                p.y * self.scale - self.y0
            } else {
                self.y0 - p.y * self.scale
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Coord<f64>, b: Coord<f64>, eps: f64) -> bool {
        (a.x - b.x).abs() < eps && (a.y - b.y).abs() < eps
    }

    #[test]
    fn known_points() {
        // The People's Square, Shanghai: x = R·λ, y = R·ln(tan(π/4 + φ/2)), computed apart.
        let m = lonlat_to_meters(Coord {
            x: 121.4737,
            y: 31.2304,
        });
        assert!(
            close(
                m,
                Coord {
                    x: 13_522_390.43,
                    y: 3_662_707.26
                },
                0.01
            ),
            "{m:?}"
        );
        assert!(close(
            lonlat_to_world(Coord { x: 0.0, y: 0.0 }),
            Coord { x: 0.5, y: 0.5 },
            1e-12
        ));
        let corner = lonlat_to_world(Coord {
            x: -180.0,
            y: MAX_LATITUDE,
        });
        assert!(close(corner, Coord { x: 0.0, y: 0.0 }, 1e-12), "{corner:?}");
    }

    #[test]
    fn round_trips() {
        for (lon, lat) in [(121.47, 31.23), (-75.0, -40.5), (179.9, 85.0), (0.0, 0.0)] {
            let c = Coord { x: lon, y: lat };
            assert!(close(world_to_lonlat(lonlat_to_world(c)), c, 1e-9));
            assert!(close(meters_to_lonlat(lonlat_to_meters(c)), c, 1e-9));
        }
    }

    #[test]
    fn poles_are_clamped() {
        assert_eq!(
            lonlat_to_world(Coord { x: 0.0, y: 90.0 }).y,
            lonlat_to_world(Coord { x: 0.0, y: 89.0 }).y
        );
        assert!(lonlat_to_world(Coord { x: 0.0, y: -90.0 }).y.is_finite());
    }
}
