//! The checked filter tree: literals already converted to their property's type, so
//! evaluation never meets a type question.

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::like::Like;

#[derive(Debug, Clone)]
pub(super) enum Expr {
    /// Flat rather than binary, so a long `a AND b AND …` chain costs no recursion depth.
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// Missing and JSON `null` are both null; never unknown.
    IsNull(String),
    Test(Test),
}

impl Expr {
    /// Adds the properties the expression reads to `out`, each once, in order of appearance.
    pub fn properties<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Self::And(items) | Self::Or(items) => items.iter().for_each(|e| e.properties(out)),
            Self::Not(e) => e.properties(out),
            Self::IsNull(name) | Self::Test(Test { property: name, .. }) => {
                if !out.contains(&name.as_str()) {
                    out.push(name);
                }
            }
        }
    }
}

/// A test of one property's value; unknown (SQL NULL) when the value is null.
#[derive(Debug, Clone)]
pub(super) struct Test {
    pub property: String,
    /// A string_list property: the test holds when it holds for any element.
    pub any_element: bool,
    pub op: Op,
}

#[derive(Debug, Clone)]
pub(super) enum Op {
    Compare(CmpOp, Datum),
    In(Vec<Datum>),
    Like(Like),
    /// Inclusive at both ends.
    Between(Datum, Datum),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// Whether `stored.cmp(literal) == o` satisfies the operator.
    pub fn accepts(self, o: Ordering) -> bool {
        match self {
            Self::Eq => o.is_eq(),
            Self::Ne => o.is_ne(),
            Self::Lt => o.is_lt(),
            Self::Le => o.is_le(),
            Self::Gt => o.is_gt(),
            Self::Ge => o.is_ge(),
        }
    }

    /// Equality operators apply to every type; the others need an ordered one.
    pub fn is_ordering(self) -> bool {
        !matches!(self, Self::Eq | Self::Ne)
    }
}

impl std::fmt::Display for CmpOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Eq => "=",
            Self::Ne => "<>",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
        })
    }
}

/// A literal in its property's type.
#[derive(Debug, Clone)]
pub(super) enum Datum {
    /// Integers and numbers alike, as the equality filter compares them.
    Number(f64),
    /// string, enum and code values, and string_list elements.
    Text(String),
    Bool(bool),
    Date(NaiveDate),
    /// Compared as an instant, whatever its offset.
    Instant(DateTime<FixedOffset>),
}
