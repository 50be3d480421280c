//! What a property's declared type allows: which operators apply, and which literals it
//! may be compared with, converted to the form evaluation compares.

use chrono::{DateTime, NaiveDate};

use super::ast::Datum;
use crate::schema::{PropType, PropertyDef};

/// How a property's values compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// integer and number, both compared as f64.
    Number,
    /// string, enum and code, ordered by code point.
    Text,
    Bool,
    Date,
    Datetime,
    /// string_list: tested element by element.
    List,
}

/// A literal as written, before the property's type gives it a meaning.
#[derive(Debug)]
pub(super) enum Lit {
    Str(String),
    Num(String),
    Bool(bool),
    Date(String),
    Timestamp(String),
}

impl Kind {
    pub fn of(p: &PropertyDef) -> Result<Self, String> {
        Ok(match p.kind {
            PropType::Integer { .. } | PropType::Number { .. } => Self::Number,
            PropType::String { .. } | PropType::Enum { .. } | PropType::Code { .. } => Self::Text,
            PropType::Boolean => Self::Bool,
            PropType::Date => Self::Date,
            PropType::Datetime => Self::Datetime,
            PropType::StringList => Self::List,
            PropType::Geometry { .. } => {
                return Err(format!("geometry property `{}` cannot be filtered", p.name));
            }
        })
    }

    /// Whether `<`, `<=`, `>`, `>=` and BETWEEN apply. A list has no single value to
    /// order, and ordering booleans means nothing to a user.
    pub fn ordered(self) -> bool {
        !matches!(self, Self::Bool | Self::List)
    }

    /// Whether LIKE applies.
    pub fn textual(self) -> bool {
        matches!(self, Self::Text | Self::List)
    }

    fn expected(self) -> &'static str {
        match self {
            Self::Number => "a number",
            Self::Text | Self::List => "a string",
            Self::Bool => "TRUE or FALSE",
            Self::Date => "a date, DATE('YYYY-MM-DD')",
            Self::Datetime => "a timestamp, TIMESTAMP('YYYY-MM-DDThh:mm:ssZ')",
        }
    }
}

impl Lit {
    fn describe(&self) -> &'static str {
        match self {
            Self::Str(_) => "a string",
            Self::Num(_) => "a number",
            Self::Bool(_) => "a boolean",
            Self::Date(_) => "a date",
            Self::Timestamp(_) => "a timestamp",
        }
    }
}

/// Converts a literal to the property's type, or says why it does not fit.
///
/// A date or datetime property also takes a plain string in its stored form, as the
/// `?property=value` query filters do; a datetime is never compared with a DATE, whose
/// instant would depend on a time zone the filter does not state.
pub(super) fn typed(p: &PropertyDef, kind: Kind, lit: Lit) -> Result<Datum, String> {
    match (kind, lit) {
        (Kind::Number, Lit::Num(n)) => match n.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Datum::Number(x)),
            _ => Err(format!("number {n} is out of range")),
        },
        (Kind::Text | Kind::List, Lit::Str(s)) => {
            // Enum literals must be members: a misspelt value would otherwise match nothing
            // silently.
            if let PropType::Enum { values } = &p.kind
                && !values.contains(&s)
            {
                return Err(format!(
                    "'{s}' is not a value of enum `{}` ({})",
                    p.name,
                    values.join(", ")
                ));
            }
            Ok(Datum::Text(s))
        }
        (Kind::Bool, Lit::Bool(b)) => Ok(Datum::Bool(b)),
        (Kind::Date, Lit::Date(s) | Lit::Str(s)) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map(Datum::Date)
            .map_err(|_| format!("'{s}' is not a date YYYY-MM-DD")),
        (Kind::Datetime, Lit::Timestamp(s) | Lit::Str(s)) => DateTime::parse_from_rfc3339(&s)
            .map(Datum::Instant)
            .map_err(|_| format!("'{s}' is not an RFC 3339 timestamp with an offset")),
        (_, lit) => Err(format!(
            "expected {} for {} property `{}`, found {}",
            kind.expected(),
            p.type_name(),
            p.name,
            lit.describe()
        )),
    }
}
