//! SQL shared by both backends, so that they store and filter alike.

mod filter;

pub use filter::{Arg, Dialect, Where, where_sql};
