//! Range-value thematic maps (范围值专题图): a layer's features rolled up to the districts or
//! townships they belong to, one number per admin unit, ready to classify and draw.
//!
//! A feature belongs to the unit its `district_code` / `township_code` property names, when
//! the layer declares one (the attribute the agencies maintain and audit). A layer without a
//! `district_code` is placed by point-in-polygon against the `districts` layer's outlines,
//! using a point on the feature. Townships have only representative points (no outlines), so
//! a township roll-up needs the `township_code` property.

use std::collections::BTreeMap;
use std::sync::Arc;

use geo::{Contains, Geometry, InteriorPoint, Point};
use serde::Serialize;
use serde_json::Value;

use crate::catalog::{Catalog, CatalogError};
use crate::feature::Feature;
use crate::schema::PropType;

/// The admin level to roll up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    District,
    Township,
}

impl By {
    /// The admin layer and the code property a feature names its unit with.
    fn layer_and_property(self) -> (&'static str, &'static str) {
        match self {
            By::District => ("districts", "district_code"),
            By::Township => ("townships", "township_code"),
        }
    }
}

/// What is counted per unit.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    Count,
    Sum(String),
    Avg(String),
}

impl Measure {
    /// Parses `count`, `sum:prop` or `avg:prop`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            None if s == "count" => Ok(Self::Count),
            Some(("sum", p)) if !p.is_empty() => Ok(Self::Sum(p.into())),
            Some(("avg", p)) if !p.is_empty() => Ok(Self::Avg(p.into())),
            _ => Err(format!(
                "value `{s}`: expected count, sum:<property> or avg:<property>"
            )),
        }
    }

    fn property(&self) -> Option<&str> {
        match self {
            Self::Count => None,
            Self::Sum(p) | Self::Avg(p) => Some(p),
        }
    }
}

/// One admin unit's number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitValue {
    pub code: String,
    pub name: String,
    /// Features that fell in the unit.
    pub features: usize,
    /// The measure; None for an average over no values.
    pub value: Option<f64>,
}

/// The roll-up of one layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rollup {
    pub units: Vec<UnitValue>,
    /// Features no unit claimed (no code, an unknown code, or outside every district).
    pub unassigned: usize,
}

/// Why a roll-up cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ThematicError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("{0}")]
    Request(String),
}

/// Rolls `layer` up to the admin units of `by`, measuring each with `measure`.
pub fn rollup(
    catalog: &Catalog,
    layer: &str,
    by: By,
    measure: &Measure,
) -> Result<Rollup, ThematicError> {
    let l = catalog.layer(layer)?;
    if l.in_database() {
        return Err(ThematicError::Request(format!(
            "layer `{layer}` is served from the database; thematic maps need the in-memory index"
        )));
    }
    if let Some(p) = measure.property() {
        match l.def.property(p).map(|d| &d.kind) {
            Some(PropType::Integer { .. } | PropType::Number { .. }) => {}
            Some(_) => {
                return Err(ThematicError::Request(format!(
                    "property `{p}` of layer `{layer}` is not numeric"
                )));
            }
            None => {
                return Err(ThematicError::Request(format!(
                    "layer `{layer}` has no property `{p}`"
                )));
            }
        }
    }
    let (admin_layer, code_prop) = by.layer_and_property();
    let admin = catalog.layer(admin_layer)?;
    let units: Vec<Arc<Feature>> = admin.read(|ix| ix.iter().cloned().collect());
    let by_code = l.def.property(code_prop).is_some();
    if !by_code && by == By::Township {
        return Err(ThematicError::Request(format!(
            "layer `{layer}` has no `township_code`; townships have no outlines to place features by"
        )));
    }
    let code_of = |u: &Feature| {
        u.properties
            .get("code")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    // code → (features, sum, values counted)
    let mut acc: BTreeMap<String, (usize, f64, usize)> = units
        .iter()
        .filter_map(|u| code_of(u))
        .map(|c| (c, (0, 0.0, 0)))
        .collect();
    let mut unassigned = 0;
    let features: Vec<Arc<Feature>> = l.read(|ix| ix.iter().cloned().collect());
    for f in &features {
        let code = if by_code {
            f.properties
                .get(code_prop)
                .and_then(Value::as_str)
                .map(str::to_owned)
        } else {
            locate(&units, f).and_then(|u| code_of(u))
        };
        let Some(slot) = code.and_then(|c| acc.get_mut(&c)) else {
            unassigned += 1;
            continue;
        };
        slot.0 += 1;
        if let Some(v) = measure
            .property()
            .and_then(|p| f.properties.get(p))
            .and_then(Value::as_f64)
        {
            slot.1 += v;
            slot.2 += 1;
        }
    }
    let units = units
        .iter()
        .filter_map(|u| {
            let code = code_of(u)?;
            let (n, sum, counted) = acc[&code];
            let value = match measure {
                Measure::Count => Some(n as f64),
                Measure::Sum(_) => Some(sum),
                Measure::Avg(_) => (counted > 0).then(|| sum / counted as f64),
            };
            Some(UnitValue {
                name: u
                    .properties
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                code,
                features: n,
                value,
            })
        })
        .collect();
    Ok(Rollup { units, unassigned })
}

/// The district whose outline holds a point on the feature.
fn locate<'a>(units: &'a [Arc<Feature>], f: &Feature) -> Option<&'a Arc<Feature>> {
    let p: Point<f64> = f.geometry.as_ref()?.interior_point()?;
    units.iter().find(|u| match &u.geometry {
        Some(Geometry::MultiPolygon(mp)) => mp.contains(&p),
        Some(Geometry::Polygon(pg)) => pg.contains(&p),
        _ => false,
    })
}
