//! CQL2 text attribute filters (the OGC API – Features `filter-lang=cql2-text` subset):
//! parsed and type-checked against a layer once, then evaluated against each feature.
//!
//! Supported: `=`, `<>`, `<`, `<=`, `>`, `>=`; `[NOT] IN (…)`; `[NOT] LIKE` with `%`, `_`
//! and `\` escapes (case-sensitive); `[NOT] BETWEEN … AND …` (inclusive); `IS [NOT] NULL`;
//! `AND`, `OR`, `NOT` and parentheses. Keywords are case-insensitive; identifiers are bare
//! or `"double-quoted"`; strings are `'single-quoted'` with `''` for a quote; literals are
//! numbers, strings, `TRUE`/`FALSE`, `DATE('…')` and `TIMESTAMP('…')`. The left side of a
//! comparison is always a property and the right side a literal.
//!
//! Semantics follow the equality filter of [`crate::items`] and SQL:
//! - integers and numbers compare as f64; strings, enums and codes by code point; dates by
//!   day; datetimes by instant, whatever offset either side is written in; booleans only
//!   with `=` and `<>`.
//! - a string_list property matches `=`, `IN` and `LIKE` when ANY element does; `<>` is the
//!   negation of `=` (the list lacks the value). It has no order.
//! - a test of a null or missing property is unknown, and logic is three-valued: unknown
//!   AND false is false, unknown OR true is true, NOT unknown is unknown, and a feature
//!   matches only when the whole filter is true.
//!
//! ```
//! use onemap_spatial::{LayerRegistry, cql2};
//!
//! let layer = r#"{"id": "cases", "title": "Cases", "geometry": "Point", "properties": [
//!     {"name": "status", "type": "enum", "values": ["待核查", "已核查"]},
//!     {"name": "district_code", "type": "code"}]}"#;
//! let reg = LayerRegistry::from_sources([("cases.json".to_string(), layer)]).unwrap();
//! let def = reg.get("cases").unwrap();
//! let f = cql2::parse("status = '待核查' AND district_code IN ('310104','310105')", def).unwrap();
//! let props = serde_json::json!({"status": "待核查", "district_code": "310104"});
//! assert!(f.matches(props.as_object().unwrap()));
//!
//! let e = cql2::parse("statu = 'x'", def).unwrap_err();
//! assert_eq!(e.to_string(), "unknown property `statu` in layer `cases` at column 1");
//! ```

mod ast;
mod eval;
mod lexer;
mod like;
mod parser;
mod types;

use serde_json::{Map, Value};

use crate::schema::LayerDef;

pub use parser::{MAX_CHARS, MAX_DEPTH};

/// A parsed, type-checked filter for one layer.
#[derive(Debug, Clone)]
pub struct Filter {
    expr: ast::Expr,
}

/// Why a filter was refused, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} at column {column}")]
pub struct ParseError {
    pub message: String,
    /// 1-based, in characters (not bytes), so it can point into Chinese text.
    pub column: usize,
}

impl ParseError {
    fn new(message: impl Into<String>, column: usize) -> Self {
        Self {
            message: message.into(),
            column,
        }
    }
}

/// Parses `text` and checks it against the layer: unknown properties, literals of the
/// wrong type, operators the property's type lacks (ordering a boolean or a list, LIKE on
/// a non-string) and geometry properties are refused here, so evaluation cannot fail.
/// Inputs over [`MAX_CHARS`] characters or nested deeper than [`MAX_DEPTH`] are refused too.
pub fn parse(text: &str, def: &LayerDef) -> Result<Filter, ParseError> {
    parser::parse(text, def).map(|expr| Filter { expr })
}

impl Filter {
    /// Whether the filter is true for a feature's (normalised) properties; unknown, from
    /// nulls, is no match.
    pub fn matches(&self, properties: &Map<String, Value>) -> bool {
        self.expr.eval(properties) == Some(true)
    }

    /// The properties the filter reads, each once, in order of appearance.
    pub fn properties(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.expr.properties(&mut out);
        out
    }
}

#[cfg(test)]
mod random_tests;

/// A layer with one property of every type, for the tests of all the submodules.
#[cfg(test)]
fn test_layer() -> std::sync::Arc<LayerDef> {
    let json = r#"{"id": "t", "title": "Test", "geometry": "Point", "properties": [
        {"name": "count", "type": "integer", "min": 0},
        {"name": "area_m2", "type": "number"},
        {"name": "name", "type": "string"},
        {"name": "status", "type": "enum", "values": ["待核查", "已核查", "closed"]},
        {"name": "district_code", "type": "code", "pattern": "^\\d{6}$"},
        {"name": "opened", "type": "date"},
        {"name": "updated", "type": "datetime"},
        {"name": "active", "type": "boolean"},
        {"name": "tags", "type": "string_list"},
        {"name": "date", "type": "date"},
        {"name": "footprint", "type": "geometry", "geometry": "Polygon"}
    ]}"#;
    let reg = crate::LayerRegistry::from_sources([("t.json".to_string(), json)]).unwrap();
    reg.get("t").unwrap().clone()
}
