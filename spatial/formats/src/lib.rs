//! The file formats layers travel in: reading uploads (GeoJSON, CSV in UTF-8 or GBK, XLSX,
//! zipped Shapefile, GeoPackage) into rows, and writing features out (GeoJSON, CSV, XLSX,
//! GeoPackage), so the HTTP import and export and a command-line tool share one
//! implementation.
//!
//! It owns parsing and encoding only: rows come out as GeoJSON geometry and property
//! values in the file's own CRS, unvalidated, and validation, coordinate conversion,
//! dedup and writing to a store are the caller's. It knows layer declarations (to match
//! columns to properties) and the GeoPackage store (which writes and reads onemap's own
//! GeoPackages); it must not know HTTP, jobs or callers.

#![warn(missing_docs)]

// Uploaded files into rows, each format read on a thread of its own.
pub mod read;
// A layer's features as a file: GeoJSON, CSV, XLSX, GeoPackage.
pub mod write;
