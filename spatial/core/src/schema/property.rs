//! Typed properties of a layer: what a value may be, and how it is stored.

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::schema::GeometryType;

/// A structural check on a code beyond its pattern, for codes whose digits carry meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeCheck {
    /// GB/T 28181 20-digit device code (see [`crate::validate::gb28181`]).
    Gb28181,
}

/// The type of a property, with its constraints.
///
/// Declared in layer files as `"type": "…"` beside the constraint fields, so
/// an agency can add a layer by writing JSON rather than code.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PropType {
    String {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<usize>,
    },
    Integer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<i64>,
    },
    Number {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
    },
    Boolean,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// An instant, RFC 3339 with an offset; served in China Standard Time (+08:00).
    Datetime,
    Enum {
        values: Vec<String>,
    },
    /// An identifier with a fixed shape (admin codes, device codes, case numbers).
    Code {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        check: Option<CodeCheck>,
        #[serde(skip)]
        regex: Option<Regex>,
    },
    /// A list of short strings (tags); comma-joined in vector tiles.
    StringList,
    /// A second geometry kept with the feature, e.g. the 四至范围 footprint of a building.
    Geometry {
        geometry: GeometryType,
    },
}

/// One property of a layer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PropertyDef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(flatten)]
    pub kind: PropType,
}

impl PropertyDef {
    /// The type name as declared (`"string"`, `"code"`, …), for listings and TileJSON.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            PropType::String { .. } => "string",
            PropType::Integer { .. } => "integer",
            PropType::Number { .. } => "number",
            PropType::Boolean => "boolean",
            PropType::Date => "date",
            PropType::Datetime => "datetime",
            PropType::Enum { .. } => "enum",
            PropType::Code { .. } => "code",
            PropType::StringList => "string_list",
            PropType::Geometry { .. } => "geometry",
        }
    }

    /// True for properties stored as a linked geometry table rather than a column.
    pub fn is_geometry(&self) -> bool {
        matches!(self.kind, PropType::Geometry { .. })
    }

    /// Compiles the code pattern once at load, so a bad pattern fails the layer, not a request.
    pub(crate) fn compile(&mut self) -> Result<(), String> {
        if let PropType::Code {
            pattern: Some(p),
            regex,
            ..
        } = &mut self.kind
        {
            *regex = Some(Regex::new(p).map_err(|e| format!("pattern of `{}`: {e}", self.name))?);
        }
        if let PropType::Enum { values } = &self.kind
            && values.is_empty()
        {
            return Err(format!("enum `{}` has no values", self.name));
        }
        Ok(())
    }
}
