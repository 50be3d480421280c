//! Writing a layer's features as a file, one format per module; the CSV and XLSX writers
//! share one tabular layout ([`Columns`]).

// CSV in UTF-8 with a byte-order mark, so Excel reads it as UTF-8.
pub mod csv;
// A GeoJSON FeatureCollection, written feature by feature.
pub mod geojson;
// A GeoPackage written by onemap's own GeoPackage store.
pub mod gpkg;
// The column layout CSV and XLSX share.
mod table;
// An XLSX workbook of one sheet, with typed cells.
pub mod xlsx;

pub use table::{Cell, Columns};

use onemap_spatial::StoreError;

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A text longer than an Excel cell holds: the caller chose a format that cannot carry
    /// the data, so this one is the client's to fix (another format).
    #[error(
        "`{column}` of feature {feature} is longer than the 32,767 characters an Excel cell \
         holds; export csv, geojson or gpkg instead"
    )]
    CellTooLong {
        /// The column's name.
        column: String,
        /// The feature's id.
        feature: i64,
    },
    /// Writing the temporary file or buffer failed.
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
    /// The CSV writer failed.
    #[error("writing CSV: {0}")]
    Csv(#[from] ::csv::Error),
    /// The XLSX writer failed.
    #[error("writing XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// Serialising a feature failed.
    #[error("writing GeoJSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The GeoPackage store refused the features.
    #[error("writing the GeoPackage: {0}")]
    Store(#[from] StoreError),
    /// SQLite failed while compacting the GeoPackage.
    #[error("writing the GeoPackage: {0}")]
    Sqlite(#[from] sqlx::Error),
}
