//! CSV: UTF-8 with a byte-order mark, which is what makes Excel (set to a Chinese locale)
//! read it as UTF-8 rather than GBK; RFC 4180 quoting by the `csv` crate.

use std::sync::Arc;

use onemap_spatial::Feature;

use super::{Columns, WriteError};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The header row, then one row per feature.
pub fn encode(columns: &Columns, features: &[Arc<Feature>]) -> Result<Vec<u8>, WriteError> {
    let mut w = csv::Writer::from_writer(BOM.to_vec());
    w.write_record(columns.names())?;
    for f in features {
        for c in columns.cells(f) {
            w.write_field(c.text().as_bytes())?;
        }
        // An empty record ends the row the fields above began.
        w.write_record(None::<&[u8]>)?;
    }
    w.into_inner().map_err(|e| WriteError::Io(e.into_error()))
}
