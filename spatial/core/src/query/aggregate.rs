//! Grouped aggregates over selected features: count, sum, avg, min, max by a property
//! (district and township go by their code properties).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::feature::Feature;
use crate::schema::{LayerDef, PropType};

/// What to group by.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupBy {
    /// All selected features in one group.
    All,
    /// The value of a property; a string list puts a feature in the group of each element.
    Property(String),
}

impl GroupBy {
    /// Parses `district` (→ `district_code`), `township` (→ `township_code`) or a property,
    /// checked against the layer.
    pub fn parse(s: &str, def: &LayerDef) -> Result<Self, String> {
        let name = match s {
            "district" => "district_code",
            "township" => "township_code",
            p => p,
        };
        match def.property(name) {
            Some(p) if !p.is_geometry() => Ok(Self::Property(name.to_owned())),
            Some(_) => Err(format!("cannot group by the geometry property `{name}`")),
            None => Err(format!(
                "layer `{}` has no property `{name}` to group by",
                def.id
            )),
        }
    }
}

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateOp {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

/// One aggregate: a function and, except for count, its numeric property.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub op: AggregateOp,
    pub property: Option<String>,
}

impl Aggregate {
    /// Parses `count`, or `sum:p`, `avg:p`, `min:p`, `max:p` over a numeric property.
    pub fn parse(s: &str, def: &LayerDef) -> Result<Self, String> {
        let (op, prop) = match s.split_once(':') {
            None if s == "count" => {
                return Ok(Self {
                    op: AggregateOp::Count,
                    property: None,
                });
            }
            Some(("sum", p)) => (AggregateOp::Sum, p),
            Some(("avg", p)) => (AggregateOp::Avg, p),
            Some(("min", p)) => (AggregateOp::Min, p),
            Some(("max", p)) => (AggregateOp::Max, p),
            _ => {
                return Err(format!(
                    "aggregate `{s}`: expected count, sum:<p>, avg:<p>, min:<p> or max:<p>"
                ));
            }
        };
        match def.property(prop).map(|p| &p.kind) {
            Some(PropType::Integer { .. } | PropType::Number { .. }) => Ok(Self {
                op,
                property: Some(prop.to_owned()),
            }),
            Some(_) => Err(format!("aggregate `{s}`: `{prop}` is not numeric")),
            None => Err(format!(
                "aggregate `{s}`: layer `{}` has no property `{prop}`",
                def.id
            )),
        }
    }

    /// The output member name: `count`, `sum_area_m2`…
    pub fn name(&self) -> String {
        let op = match self.op {
            AggregateOp::Count => return "count".into(),
            AggregateOp::Sum => "sum",
            AggregateOp::Avg => "avg",
            AggregateOp::Min => "min",
            AggregateOp::Max => "max",
        };
        format!("{op}_{}", self.property.as_deref().unwrap_or_default())
    }
}

/// One group's key and aggregate values (null when no feature had a value).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub key: Value,
    #[serde(flatten)]
    pub values: Map<String, Value>,
}

/// Running totals of one aggregate in one group.
#[derive(Clone, Copy)]
struct Acc {
    n: usize,
    sum: f64,
    min: f64,
    max: f64,
}

impl Acc {
    const EMPTY: Self = Self {
        n: 0,
        sum: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
    };

    fn add(&mut self, v: f64) {
        self.n += 1;
        self.sum += v;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    fn value(&self, op: AggregateOp, features: usize) -> Value {
        match op {
            AggregateOp::Count => features.into(),
            _ if self.n == 0 => Value::Null,
            AggregateOp::Sum => self.sum.into(),
            AggregateOp::Avg => (self.sum / self.n as f64).into(),
            AggregateOp::Min => self.min.into(),
            AggregateOp::Max => self.max.into(),
        }
    }
}

/// Groups features and computes the aggregates; groups in key order (null key last).
pub fn aggregate(features: &[Arc<Feature>], by: &GroupBy, aggs: &[Aggregate]) -> Vec<Group> {
    // Keys as JSON text, so numbers and strings order and compare consistently.
    let mut groups: BTreeMap<(bool, String), (Value, usize, Vec<Acc>)> = BTreeMap::new();
    for f in features {
        let keys: Vec<Value> = match by {
            GroupBy::All => vec![Value::Null],
            GroupBy::Property(p) => match f.properties.get(p) {
                Some(Value::Array(items)) if !items.is_empty() => items.clone(),
                Some(v) if !v.is_null() && !v.is_array() => vec![v.clone()],
                _ => vec![Value::Null],
            },
        };
        for key in keys {
            let slot = groups
                .entry((key.is_null(), sort_text(&key)))
                .or_insert_with(|| (key, 0, vec![Acc::EMPTY; aggs.len()]));
            slot.1 += 1;
            for (acc, a) in slot.2.iter_mut().zip(aggs) {
                if let Some(v) = a
                    .property
                    .as_ref()
                    .and_then(|p| f.properties.get(p))
                    .and_then(Value::as_f64)
                {
                    acc.add(v);
                }
            }
        }
    }
    groups
        .into_values()
        .map(|(key, n, accs)| Group {
            key,
            values: aggs
                .iter()
                .zip(&accs)
                .map(|(a, acc)| (a.name(), acc.value(a.op, n)))
                .collect(),
        })
        .collect()
}

/// Text that orders numbers numerically (zero-padded) and strings as themselves.
fn sort_text(v: &Value) -> String {
    match v.as_f64() {
        Some(x) => format!("{:030.6}", x + 1e15),
        None => v.as_str().map_or_else(|| v.to_string(), str::to_owned),
    }
}
