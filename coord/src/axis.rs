//! Axis order: surveying documents' (north, east) to the crate's (east, north) and back.
//!
//! Why: this crate's API is always (x = east, y = north), the order of GeoJSON, PROJ's normalised
//! output and web maps. Chinese surveying documents (and Shanghai 2000 control point lists) write
//! X = north, Y = east. Converting at the boundary with these helpers keeps the swap explicit.

/// (north, east) → (east, north).
#[inline]
pub fn from_north_east(north_east: [f64; 2]) -> [f64; 2] {
    [north_east[1], north_east[0]]
}

/// (east, north) → (north, east).
#[inline]
pub fn to_north_east(east_north: [f64; 2]) -> [f64; 2] {
    [east_north[1], east_north[0]]
}

/// Swaps the two axes of every point in place (the swap is its own inverse).
pub fn swap_axes(pts: &mut [[f64; 2]]) {
    for p in pts {
        p.swap(0, 1);
    }
}
