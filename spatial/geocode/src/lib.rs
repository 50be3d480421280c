//! Offline geocoding over the gazetteer the server owns: address → point, point → address, and
//! the fused Shanghai 2000 + standard address answer other systems call. The crate owns the
//! address parser, the in-memory gazetteer and its indexes, forward and reverse geocoding, and
//! the clients of the upstream AMap and Baidu services. It must not know the stores or the
//! server's routes: it reads the gazetteer layers from the `onemap-spatial` catalog, and the
//! server turns its answers into HTTP.
//!
//! The gazetteer lives in ordinary layers (`districts`, `townships`, `gazetteer_roads`,
//! `gazetteer_addresses`, `gazetteer_pois`), so both store backends hold it and an agency's
//! standard address base (标准地址库) comes in through the normal validated import.

#![warn(missing_docs)]

// The parts of a Chinese street address, as the parser splits them.
pub mod address;
// District and township names the parser recognises, with lookups by name and by code.
pub mod admin;
// A missing point filled from the feature's address, with how precise it is.
pub mod fill;
// Forward geocoding: a parsed address → ranked candidate points.
pub mod forward;
// The gazetteer in memory: admin units, streets with house numbers and centre lines, places.
pub mod gazetteer;
// House numbers along a road centre line, on the Shanghai 2000 plane (metres).
pub mod interpolate;
// The gazetteer kept current: a snapshot rebuilt on first use after any of its layers changed.
pub mod live;
// Address text normalisation, so that the parser and the gazetteer compare like with like.
pub mod normalize;
// The address parser: normalised text → `ParsedAddress`.
pub mod parse;
// Upstream geocoders (AMap, Baidu web services) some agencies also use.
pub mod provider;
// Reverse geocoding: a point → the structured address an officer would write for it.
pub mod reverse;
// The geocoder as the server runs it: live gazetteer, parser, local engine, upstream providers.
pub mod service;
