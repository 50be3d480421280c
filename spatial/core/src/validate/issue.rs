//! One reason an input was refused, pointing at the field that carries it.

use serde::Serialize;

/// A validation problem: the JSON path of the offending field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// e.g. `properties.status`, `geometry`, `geometry.coordinates[0][3]`.
    pub field: String,
    pub message: String,
}

impl Issue {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
