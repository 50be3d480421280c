//! Ordering selected features by property values.

use std::cmp::Ordering;
use std::sync::Arc;

use serde_json::Value;

use crate::feature::Feature;

/// One sort key: a property (or `id`), ascending unless `descending`.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub property: String,
    pub descending: bool,
}

impl SortKey {
    /// Parses `name`, `+name` or `-name` (descending), as OGC API `sortby` writes them.
    pub fn parse(s: &str) -> Self {
        let s = s.trim();
        match s.strip_prefix('-') {
            Some(p) => Self {
                property: p.to_owned(),
                descending: true,
            },
            None => Self {
                property: s.trim_start_matches('+').to_owned(),
                descending: false,
            },
        }
    }
}

/// Orders two present property values: numbers numerically, text by code point, booleans
/// false first; anything else (lists) by its JSON text.
fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or(f64::NAN)
            .total_cmp(&y.as_f64().unwrap_or(f64::NAN)),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (x, y) => x.to_string().cmp(&y.to_string()),
    }
}

/// One key's order; a missing (or null) value sorts last in either direction.
fn key_order(a: &Feature, b: &Feature, k: &SortKey) -> Ordering {
    let flip = |o: Ordering| if k.descending { o.reverse() } else { o };
    if k.property == "id" {
        return flip(a.id.cmp(&b.id));
    }
    match (present(a, &k.property), present(b, &k.property)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => flip(compare(x, y)),
    }
}

fn present<'a>(f: &'a Feature, property: &str) -> Option<&'a Value> {
    f.properties.get(property).filter(|v| !v.is_null())
}

/// Sorts by the keys, then by id, so pages are stable.
pub fn sort(features: &mut [Arc<Feature>], keys: &[SortKey]) {
    features.sort_by(|a, b| {
        keys.iter()
            .map(|k| key_order(a, b, k))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| a.id.cmp(&b.id))
    });
}
