//! Tile arithmetic and an independent MVT decoder (mvt-reader) for checking tiles.

use std::f64::consts::PI;

use geo::Coord;

/// Tile units across a tile.
pub const EXTENT: f64 = 4096.0;
/// One pixel of a 256-pixel tile, in tile units.
pub const PIXEL: f64 = EXTENT / 256.0;

/// Which tile holds a lon/lat at zoom z (the slippy-map formula).
pub fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let lat_r = lat.to_radians();
    let y = ((1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / PI) / 2.0 * n).floor();
    (x as u32, y as u32)
}

/// A lon/lat in the tile's own coordinates (0..4096, y down).
pub fn to_tile(c: Coord<f64>, z: u32, x: u32, y: u32) -> Coord<f64> {
    let n = f64::from(1u32 << z);
    let lat_r = c.y.to_radians();
    let gx = (c.x + 180.0) / 360.0 * n;
    let gy = (1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / PI) / 2.0 * n;
    Coord {
        x: (gx - f64::from(x)) * EXTENT,
        y: (gy - f64::from(y)) * EXTENT,
    }
}

/// The layers of a tile, by name, with their features as mvt-reader decodes them.
pub fn decode(bytes: Vec<u8>) -> Vec<(String, Vec<mvt_reader::feature::Feature<f64>>)> {
    let r = mvt_reader::Reader::new(bytes).expect("decodes");
    r.get_layer_names()
        .expect("names")
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, r.get_features_as::<f64>(i).expect("features")))
        .collect()
}
