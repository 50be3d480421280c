//! SQL shared by both backends, so that they store, filter and fail alike.

pub mod cases;
mod notes;
pub use notes::{read as read_note, write as write_note};
mod error;
mod filter;

pub use error::{Result, SqlError};
pub use filter::{Arg, Dialect, Where, where_sql};
