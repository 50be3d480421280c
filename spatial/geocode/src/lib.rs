//! Offline geocoding over the gazetteer the server owns: address → point, point → address, and
//! the fused Shanghai 2000 + standard address answer other systems call.
//!
//! The gazetteer lives in ordinary layers (`districts`, `townships`, `gazetteer_roads`,
//! `gazetteer_addresses`, `gazetteer_pois`), so both store backends hold it and an agency's
//! standard address base (标准地址库) comes in through the normal validated import.

#![warn(missing_docs)]

pub mod address;
pub mod admin;
pub mod forward;
pub mod gazetteer;
pub mod interpolate;
pub mod live;
pub mod normalize;
pub mod parse;
pub mod provider;
pub mod reverse;
pub mod service;
