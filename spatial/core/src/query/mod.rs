//! Selecting features for `POST /query`: a spatial predicate against any geometry, a CQL2
//! attribute filter, sorting, paging and grouped aggregates, over one layer's index.
//!
//! Candidates come from the R-tree (the operand's bounds, grown by a `dwithin` distance);
//! every candidate is then tested exactly. [`Selection::select_among`] runs the same tests
//! over any features without the index: the brute-force oracle of the tests.

pub mod aggregate;
pub mod predicate;
pub mod sort;

use std::sync::Arc;

use geo::{BoundingRect, Rect};
use onemap_coord::{CoordError, Transformer};

use crate::cql2::Filter;
use crate::feature::Feature;
use crate::index::LayerIndex;

pub use aggregate::{Aggregate, AggregateOp, Group, GroupBy, aggregate};
pub use predicate::{Spatial, SpatialOp};
pub use sort::SortKey;

/// What to select from a layer.
#[derive(Default)]
pub struct Selection {
    pub spatial: Option<Spatial>,
    pub filter: Option<Filter>,
    /// Sort keys in order; ties (and no keys) go by id.
    pub sort: Vec<SortKey>,
}

impl Selection {
    /// The matching features, sorted.
    pub fn select(
        &self,
        index: &LayerIndex,
        plane: &Transformer,
    ) -> Result<Vec<Arc<Feature>>, CoordError> {
        match self.search_area() {
            Some(area) => self.select_among(index.in_envelope(&area), plane),
            None => self.select_among(index.iter(), plane),
        }
    }

    /// The same tests over the given features (a full scan).
    pub fn select_among<'a>(
        &self,
        features: impl IntoIterator<Item = &'a Arc<Feature>>,
        plane: &Transformer,
    ) -> Result<Vec<Arc<Feature>>, CoordError> {
        let mut out = Vec::new();
        for f in features {
            if self
                .filter
                .as_ref()
                .is_some_and(|q| !q.matches(&f.properties))
            {
                continue;
            }
            if let Some(s) = &self.spatial {
                let Some(g) = &f.geometry else { continue };
                if !s.holds(g, plane)? {
                    continue;
                }
            }
            out.push(f.clone());
        }
        sort::sort(&mut out, &self.sort);
        Ok(out)
    }

    /// Where candidates can lie: the operand's bounds plus any distance.
    fn search_area(&self) -> Option<Rect<f64>> {
        let s = self.spatial.as_ref()?;
        let b = s.geometry.bounding_rect()?;
        let (dx, dy) = s.margin_deg(b.max().y.abs().max(b.min().y.abs()));
        Some(Rect::new(
            (b.min().x - dx, b.min().y - dy),
            (b.max().x + dx, b.max().y + dy),
        ))
    }
}
