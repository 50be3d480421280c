//! Bringing a file of features into a layer: every row read (`onemap-formats`), converted
//! to the store's CRS, placed from its address when asked (`onemap-geocode`), validated like
//! a feature written through the API, checked for a key repeated in the file, matched
//! against the layer by its key and run through the layer's duplicate check; then, in
//! commit mode, every new valid row written in one transaction.
//!
//! It owns the import's rules and its report. It must not know HTTP, jobs or callers: the
//! caller hands it the spooled file and a [`Progress`] to report to, and renders the
//! [`Imported`] report or the [`ImportFailure`].

#![warn(missing_docs)]

// Each row converted, geocoded, validated, key-matched and dedup-checked, on a blocking thread.
mod check;

use std::path::PathBuf;
use std::sync::Arc;

use onemap_coord::{CoordError, Crs};
use onemap_formats::read;
use onemap_geocode::service::Geocoder;
use onemap_spatial::crs::Coords;
use onemap_spatial::{Catalog, CatalogError, Layer};
use serde_json::{Value, json};

use check::{Checked, check};

/// At most this many errors and dedup matches are listed in a report (all are counted).
pub(crate) const LISTED: usize = 1000;

/// What an import is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// `geojson`, `csv`, `xlsx`, `shp` (zipped) or `gpkg`.
    pub format: String,
    /// Write the new valid rows (else only report).
    pub commit: bool,
    /// Write nothing when any row is invalid (else skip the invalid ones).
    pub abort: bool,
    /// Overrides the CRS the file declares.
    pub crs: Option<Crs>,
    /// The GeoPackage table to read, when the file holds several.
    pub table: Option<String>,
    /// Rows without a geometry get the point their `address` geocodes to.
    pub geocode: bool,
}

/// Where an import reports how far it got.
pub trait Progress: Send + Sync {
    /// Names the phase it is in (`checking`, `duplicate check`, `committing`…).
    fn phase(&self, phase: &'static str);
    /// Rows checked so far, and the share of the file read.
    fn advance(&self, rows: u64, fraction: Option<f64>);
}

/// A finished import: its report, and how many features it created.
#[derive(Debug)]
pub struct Imported {
    /// Rows, valid, invalid, new, unchanged, conflicts, errors, dedup verdicts, created ids.
    pub report: Value,
    /// Features written (0 in validate mode).
    pub created: usize,
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// The file is not of its format, or is damaged.
    #[error("{0}")]
    Unreadable(String),
    /// Commit with `abort`: some rows are invalid, so nothing was written.
    #[error("{invalid} of {total} rows are invalid; fix them or import with on_error=skip")]
    Aborted {
        /// Invalid rows.
        invalid: usize,
        /// All rows.
        total: usize,
        /// The report, listing what is wrong.
        report: Value,
    },
    /// The file's CRS has no conversion to the store's.
    #[error(transparent)]
    Coord(#[from] CoordError),
    /// The catalog refused the write (or the store failed).
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The checking thread failed.
    #[error("the import failed: {0}")]
    Failed(String),
}

/// The services an import uses.
pub struct Importer {
    /// The layers and their store.
    pub catalog: Arc<Catalog>,
    /// Transformers into the store's CRS.
    pub coords: Arc<Coords>,
    /// For `geocode`.
    pub geocoder: Arc<Geocoder>,
}

impl Importer {
    /// Reads `file` (in `o.format`) into layer `l`, checks every row and, in commit mode,
    /// writes the new valid ones in one transaction.
    pub async fn run(
        &self,
        l: Arc<Layer>,
        o: Options,
        file: PathBuf,
        progress: Arc<dyn Progress>,
    ) -> Result<Imported, ImportFailure> {
        let incoming = read::spawn(read::Input {
            path: file,
            format: o.format.clone(),
            def: l.def.clone(),
            crs_given: o.crs.is_some(),
            table: o.table.clone(),
            runtime: tokio::runtime::Handle::current(),
        });
        let checked = {
            let (coords, l, o) = (self.coords.clone(), l.clone(), o.clone());
            let (geocoder, catalog) = (self.geocoder.clone(), self.catalog.clone());
            tokio::task::spawn_blocking(move || {
                let gz = o.geocode.then(|| geocoder.gazetteer(&catalog));
                check(&coords, &l, &o, gz.as_deref(), incoming, progress.as_ref())
            })
            .await
            .map_err(|e| ImportFailure::Failed(e.to_string()))??
        };
        let Checked {
            mut report,
            drafts,
            invalid,
            total,
        } = checked;
        if !o.commit {
            return Ok(Imported { report, created: 0 });
        }
        if invalid > 0 && o.abort {
            return Err(ImportFailure::Aborted {
                invalid,
                total,
                report,
            });
        }
        let created = self.catalog.create(&l.def.id, drafts).await?;
        report["created"] = json!(
            created
                .iter()
                .take(LISTED)
                .map(|f| f.id)
                .collect::<Vec<_>>()
        );
        report["created_total"] = json!(created.len());
        Ok(Imported {
            report,
            created: created.len(),
        })
    }
}
