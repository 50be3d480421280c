//! The first sheet of an xlsx workbook, header in the first row (calamine). A sheet holds at
//! most 1,048,576 rows, and calamine reads it whole.

use calamine::{Data, Reader, Xlsx};

use super::table::Layout;
use super::{Emit, Input, number};

/// Reads the first sheet and emits its rows (row 2 on: row 1 is the header).
pub fn read(input: &Input, emit: &Emit) -> Result<(), String> {
    let mut book: Xlsx<_> =
        calamine::open_workbook(&input.path).map_err(|e| format!("not an xlsx workbook: {e}"))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or("the workbook has no sheet")?
        .map_err(|e| format!("reading the first sheet: {e}"))?;
    let total = range.height().max(1);
    let mut it = range.rows();
    let header: Vec<String> = it
        .next()
        .ok_or("the sheet is empty")?
        .iter()
        .map(cell)
        .collect();
    let layout = Layout::new(&input.def, &header)?;
    for (i, cells) in it.enumerate() {
        let cells: Vec<String> = cells.iter().map(cell).collect();
        emit.row(layout.row(&input.def, i + 2, &cells))?;
        emit.progress((i + 2) as f64 / total as f64);
    }
    Ok(())
}

/// A cell as text: whole numbers without a spurious `.0`, dates as ISO 8601.
fn cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::Float(f) => number(*f),
        Data::DateTime(dt) => dt
            .as_datetime()
            .map(|t| {
                if t.time() == chrono::NaiveTime::MIN {
                    t.format("%Y-%m-%d").to_string()
                } else {
                    t.format("%Y-%m-%dT%H:%M:%S+08:00").to_string()
                }
            })
            .unwrap_or_default(),
        other => other.to_string(),
    }
}
