//! CSV: UTF-8 with a byte-order mark, which is what makes Excel (set to a Chinese locale)
//! read it as UTF-8 rather than GBK; RFC 4180 quoting by the `csv` crate.

use std::sync::Arc;

use onemap_spatial::Feature;

use super::failed;
use super::table::Columns;
use crate::problem::Problem;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The header row, then one row per feature.
pub fn encode(columns: &Columns, features: &[Arc<Feature>]) -> Result<Vec<u8>, Problem> {
    let mut w = csv::Writer::from_writer(BOM.to_vec());
    w.write_record(columns.names()).map_err(failed)?;
    for f in features {
        for c in columns.cells(f) {
            w.write_field(c.text().as_bytes()).map_err(failed)?;
        }
        // An empty record ends the row the fields above began.
        w.write_record(None::<&[u8]>).map_err(failed)?;
    }
    w.into_inner().map_err(failed)
}
