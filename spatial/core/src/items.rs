//! Item queries over a layer's index: bbox, property equality, paging.

use std::sync::Arc;

use geo::Rect;
use serde_json::Value;

use crate::cql2::Filter;
use crate::feature::Feature;
use crate::index::LayerIndex;
use crate::schema::{PropType, PropertyDef};
use crate::validate::normalize_value;

/// A page request: features intersecting `bbox` whose properties equal the filters.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    pub bbox: Option<Rect<f64>>,
    /// (property, normalised value) pairs, all of which must match.
    pub filters: Vec<(String, Value)>,
    /// A CQL2 filter (`filter=`), evaluated in memory only: database-served layers refuse it.
    pub cql: Option<Filter>,
    pub limit: usize,
    pub offset: usize,
}

/// One page of results and how many features matched in all.
#[derive(Debug, Clone)]
pub struct ItemPage {
    pub matched: usize,
    pub features: Vec<Arc<Feature>>,
}

/// Reads a filter value given as text (a query string) in the property's type.
pub fn filter_value(p: &PropertyDef, text: &str) -> Result<Value, String> {
    let raw = match p.kind {
        PropType::Integer { .. } => Value::from(
            text.parse::<i64>()
                .map_err(|_| format!("`{text}` is not an integer"))?,
        ),
        PropType::Number { .. } => Value::from(
            text.parse::<f64>()
                .map_err(|_| format!("`{text}` is not a number"))?,
        ),
        PropType::Boolean => Value::from(
            text.parse::<bool>()
                .map_err(|_| format!("`{text}` is not true or false"))?,
        ),
        PropType::Geometry { .. } => {
            return Err("geometry properties cannot be filtered by value".into());
        }
        // A list matches when it contains the value.
        PropType::StringList => return Ok(Value::from(text)),
        _ => Value::from(text),
    };
    // Only the type matters for a filter; range and pattern need not hold.
    match normalize_value(p, &raw) {
        Ok(v) => Ok(v),
        Err(_) if matches!(p.kind, PropType::Integer { .. } | PropType::Number { .. }) => Ok(raw),
        Err(e) => Err(e),
    }
}

fn matches(f: &Feature, filters: &[(String, Value)]) -> bool {
    filters
        .iter()
        .all(|(name, want)| match f.properties.get(name) {
            Some(Value::Array(items)) => items.contains(want),
            Some(Value::Number(n)) => want.as_f64() == n.as_f64(),
            Some(v) => v == want,
            None => false,
        })
}

impl LayerIndex {
    /// Runs a query; results are in id order so paging is stable.
    pub fn query(&self, q: &ItemQuery) -> ItemPage {
        let mut matched = 0;
        let mut features = Vec::new();
        let mut take = |f: &Arc<Feature>| {
            if matches(f, &q.filters) && q.cql.as_ref().is_none_or(|c| c.matches(&f.properties)) {
                if matched >= q.offset && features.len() < q.limit {
                    features.push(f.clone());
                }
                matched += 1;
            }
        };
        match &q.bbox {
            Some(b) => self.intersecting(b).into_iter().for_each(&mut take),
            None => self.iter().for_each(&mut take),
        }
        ItemPage { matched, features }
    }
}
