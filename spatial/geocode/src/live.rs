//! The gazetteer kept current: a snapshot rebuilt on first use after any of its layers changed.
//!
//! Why lazily: an import of the address base commits thousands of features, each a change; a
//! rebuild per change would be quadratic, while one rebuild at the next query costs one pass.
//! Queries during a rebuild wait for it (one rebuild at a time) rather than each starting their own.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use onemap_coord::Transformer;
use parking_lot::Mutex;

use super::gazetteer::{Gazetteer, LAYERS, Sources};
use onemap_spatial::catalog::{Catalog, Change, ChangeListener};

/// Counts changes to the gazetteer layers and hands out a snapshot that has seen them all.
pub struct LiveGazetteer {
    /// Bumped by every change to a gazetteer layer.
    generation: AtomicU64,
    /// The snapshot and the generation it was built at.
    built: Mutex<Option<(u64, Arc<Gazetteer>)>>,
    to_plane: Transformer,
    from_plane: Transformer,
}

impl LiveGazetteer {
    /// `to_plane`: CGCS2000 → Shanghai 2000; `from_plane` the reverse. Subscribe the result to the
    /// catalog ([`Catalog::subscribe`]) so it hears of changes.
    pub fn new(to_plane: Transformer, from_plane: Transformer) -> Self {
        Self {
            generation: AtomicU64::new(0),
            built: Mutex::new(None),
            to_plane,
            from_plane,
        }
    }

    /// The current snapshot, rebuilt from `catalog` first if a gazetteer layer changed since the
    /// last one. CPU-bound on a rebuild: call it off the async workers.
    pub fn current(&self, catalog: &Catalog) -> Arc<Gazetteer> {
        let mut built = self.built.lock();
        // Read before the layers: a change during the build leaves the snapshot stale, not lost.
        let generation = self.generation.load(Ordering::Acquire);
        if let Some((g, gz)) = built.as_ref()
            && *g == generation
        {
            return gz.clone();
        }
        let gz = Arc::new(Gazetteer::build(
            &Sources::from_catalog(catalog),
            &self.to_plane,
            &self.from_plane,
        ));
        *built = Some((generation, gz.clone()));
        gz
    }
}

impl ChangeListener for LiveGazetteer {
    fn changed(&self, change: &Change) {
        if LAYERS.contains(&change.layer.as_str()) {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
    }
}
