//! The in-memory index of one layer: an R-tree over feature envelopes plus the features by id.
//!
//! Reads (bbox queries, tiles) never touch the store; the store stays the source of truth
//! and the index is rebuilt from it at start.

use std::collections::BTreeMap;
use std::sync::Arc;

use geo::{Intersects, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::feature::Feature;

type Entry = GeomWithData<Rectangle<[f64; 2]>, i64>;

/// One layer's features, searchable by envelope.
#[derive(Debug, Default)]
pub struct LayerIndex {
    tree: RTree<Entry>,
    features: BTreeMap<i64, Arc<Feature>>,
}

fn entry(f: &Feature) -> Option<Entry> {
    let b = f.bounds()?;
    Some(GeomWithData::new(
        Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]),
        f.id,
    ))
}

impl LayerIndex {
    /// Builds the index in one bulk load, much faster than inserting one by one.
    pub fn build(features: Vec<Feature>) -> Self {
        let entries = features.iter().filter_map(entry).collect();
        Self {
            tree: RTree::bulk_load(entries),
            features: features.into_iter().map(|f| (f.id, Arc::new(f))).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.features.len()
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    pub fn get(&self, id: i64) -> Option<&Arc<Feature>> {
        self.features.get(&id)
    }

    /// All features in id order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Feature>> {
        self.features.values()
    }

    /// The envelope of the whole layer.
    pub fn bounds(&self) -> Option<Rect<f64>> {
        if self.tree.size() == 0 {
            return None;
        }
        let e = self.tree.root().envelope();
        Some(Rect::new(
            (e.lower()[0], e.lower()[1]),
            (e.upper()[0], e.upper()[1]),
        ))
    }

    /// Features whose envelope meets `rect`, in no particular order; cheap, for tiles.
    pub fn in_envelope(&self, rect: &Rect<f64>) -> impl Iterator<Item = &Arc<Feature>> {
        let aabb = AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
        self.tree
            .locate_in_envelope_intersecting(&aabb)
            .filter_map(|e| self.features.get(&e.data))
    }

    /// Features whose primary geometry really intersects `rect`, in id order.
    pub fn intersecting(&self, rect: &Rect<f64>) -> Vec<&Arc<Feature>> {
        let mut hits: Vec<_> = self
            .in_envelope(rect)
            .filter(|f| f.geometry.as_ref().is_some_and(|g| g.intersects(rect)))
            .collect();
        hits.sort_unstable_by_key(|f| f.id);
        hits
    }

    /// Puts a feature in (replacing any older version of it) unless the index already
    /// holds a newer version, so late-arriving notifications cannot roll an edit back.
    pub fn upsert(&mut self, f: Feature) -> Option<Arc<Feature>> {
        if let Some(old) = self.features.get(&f.id)
            && old.version > f.version
        {
            return None;
        }
        let old = self.remove(f.id);
        if let Some(e) = entry(&f) {
            self.tree.insert(e);
        }
        self.features.insert(f.id, Arc::new(f));
        old
    }

    /// Takes a feature out; returns it if it was there.
    pub fn remove(&mut self, id: i64) -> Option<Arc<Feature>> {
        let old = self.features.remove(&id)?;
        if let Some(e) = entry(&old) {
            self.tree.remove(&e);
        }
        Some(old)
    }
}
