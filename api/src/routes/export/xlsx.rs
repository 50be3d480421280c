//! XLSX: one sheet named by the layer's title, a bold header row that stays in view, an
//! autofilter over every column, and the same columns as the CSV.
//!
//! Numbers and booleans are Excel numbers and booleans. Dates are Excel dates
//! (`yyyy-mm-dd`) and datetimes Excel datetimes (`yyyy-mm-dd hh:mm:ss`) in China Standard
//! Time, the offset they are served in, since an Excel datetime has no time zone: both sort
//! and filter as dates in Excel, unlike ISO text. Codes stay text, keeping leading zeros.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate};
use onemap_spatial::Feature;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::failed;
use super::table::{Cell, Columns};
use crate::problem::{Problem, ProblemType};

/// Excel's limit on a sheet name's length, in characters.
const SHEET_NAME_MAX: usize = 31;

pub fn encode(
    title: &str,
    columns: &Columns,
    features: &[Arc<Feature>],
) -> Result<Vec<u8>, Problem> {
    let mut book = Workbook::new();
    // Rows go to a temporary file as they are written; only the strings stay in memory.
    let sheet = book.add_worksheet_with_low_memory().map_err(failed)?;
    sheet.set_name(sheet_name(title)).map_err(failed)?;
    let bold = Format::new().set_bold();
    for (c, name) in columns.names().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, name, &bold)
            .map_err(failed)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(failed)?;
    sheet
        .autofilter(0, 0, features.len() as u32, columns.len() as u16 - 1)
        .map_err(failed)?;
    let formats = Formats {
        date: Format::new().set_num_format("yyyy-mm-dd"),
        datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
    };
    for (r, f) in features.iter().enumerate() {
        for ((c, cell), name) in columns.cells(f).enumerate().zip(columns.names()) {
            write(sheet, r as u32 + 1, c as u16, cell, &formats).map_err(|e| match e {
                XlsxError::MaxStringLengthExceeded => Problem::new(ProblemType::CellTooLong)
                    .detail(format!(
                        "`{name}` of feature {} is longer than the 32,767 characters an Excel \
                     cell holds; export csv, geojson or gpkg instead",
                        f.id
                    )),
                e => failed(e),
            })?;
        }
    }
    book.save_to_buffer().map_err(failed)
}

struct Formats {
    date: Format,
    datetime: Format,
}

fn write(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    cell: Cell,
    formats: &Formats,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => return Ok(()),
        // Ids and integer properties are far below 2^53, exact as Excel's doubles.
        Cell::Int(i) => sheet.write_number(row, col, i as f64)?,
        Cell::Num(n) => sheet.write_number(row, col, n)?,
        Cell::Bool(b) => sheet.write_boolean(row, col, b)?,
        Cell::Text(s) => sheet.write_string(row, col, s)?,
        Cell::Date(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => sheet.write_datetime_with_format(row, col, d, &formats.date)?,
            Err(_) => sheet.write_string(row, col, s)?,
        },
        Cell::DateTime(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => {
                sheet.write_datetime_with_format(row, col, t.naive_local(), &formats.datetime)?
            }
            Err(_) => sheet.write_string(row, col, s)?,
        },
    };
    Ok(())
}

/// The title as a sheet name: Excel refuses `[]:*?/\`, a leading or trailing `'`, and
/// more than 31 characters.
fn sheet_name(title: &str) -> String {
    let name: String = title
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(SHEET_NAME_MAX)
        .collect();
    match name.trim_matches('\'') {
        "" => "Sheet1".to_string(),
        n => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::sheet_name;

    #[test]
    fn titles_become_names_excel_accepts() {
        assert_eq!(sheet_name("无证建筑"), "无证建筑");
        assert_eq!(sheet_name("a/b:c[d]*?\\"), "a_b_c_d____");
        assert_eq!(sheet_name("'quoted'"), "quoted");
        assert_eq!(sheet_name("''"), "Sheet1");
        let long = "森".repeat(40);
        assert_eq!(sheet_name(&long).chars().count(), 31);
        for t in ["无证建筑", "a/b:c[d]*?\\", "'quoted'", "''", long.as_str()] {
            rust_xlsxwriter::utility::check_sheet_name(&sheet_name(t)).unwrap();
        }
    }
}
