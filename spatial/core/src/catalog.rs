//! The catalog: every layer with its declaration, in-memory index and store.
//!
//! A write commits to the store first, then updates the index, then tells the
//! listeners (the tile cache, later other instances) exactly what changed where.
//!
//! Layers declared `serve: database` have no index: their reads ([`Catalog::fetch`],
//! [`Catalog::query`], and tiles through [`Store::tile`]) go to the store, which must
//! [serve from the database](Store::serves_from_database); their writes still publish
//! changes, so cached tiles of them are invalidated the same way.

use std::collections::BTreeMap;
use std::sync::Arc;

use geo::Rect;
use parking_lot::RwLock;

use crate::cases::NewCase;
use crate::feature::{Draft, Feature, rect_union};
use crate::index::LayerIndex;
use crate::items::{ItemPage, ItemQuery};
use crate::schema::{LayerDef, LayerRegistry, Serve};
use crate::store::{LayerNote, Store, StoreError};
use crate::validate::Issue;

/// One committed change to a feature, with the areas it touched.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub layer: String,
    pub id: i64,
    /// Bounds before the change (None for a create).
    pub old: Option<Rect<f64>>,
    /// Bounds after the change (None for a delete).
    pub new: Option<Rect<f64>>,
}

/// Something that must hear of every committed change, such as a tile cache.
pub trait ChangeListener: Send + Sync {
    fn changed(&self, change: &Change);
}

/// Why a catalog call failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("unknown layer `{0}`")]
    UnknownLayer(String),
    #[error("layer `{layer}` has no feature {id}")]
    NotFound { layer: String, id: i64 },
    #[error("invalid feature")]
    Invalid(Vec<Issue>),
    #[error(transparent)]
    Store(StoreError),
}

/// A layer as served: its declaration, its index and what the store notes about it.
pub struct Layer {
    pub def: Arc<LayerDef>,
    index: RwLock<LayerIndex>,
    note: RwLock<LayerNote>,
    /// Serialises writes to one layer so the index applies them in commit order.
    write: tokio::sync::Mutex<()>,
}

impl Layer {
    /// True when reads of this layer go to the store instead of the (empty) index.
    pub fn in_database(&self) -> bool {
        self.def.serve == Serve::Database
    }

    /// Runs `f` on a consistent view of the index.
    pub fn read<R>(&self, f: impl FnOnce(&LayerIndex) -> R) -> R {
        f(&self.index.read())
    }

    pub fn note(&self) -> LayerNote {
        self.note.read().clone()
    }
}

/// All layers of a server, over one store.
pub struct Catalog {
    store: Arc<dyn Store>,
    layers: BTreeMap<String, Arc<Layer>>,
    listeners: RwLock<Vec<Arc<dyn ChangeListener>>>,
}

impl Catalog {
    /// Prepares every declared layer in the store and loads it into memory.
    pub async fn open(registry: &LayerRegistry, store: Arc<dyn Store>) -> Result<Self, StoreError> {
        let mut layers = BTreeMap::new();
        if !store.serves_from_database()
            && let Some(def) = registry.iter().find(|d| d.serve == Serve::Database)
        {
            return Err(StoreError::Refused(format!(
                "layer `{}` is declared `serve: database`, which {} cannot do; \
                 use PostGIS (--database-url) or serve it from memory",
                def.id,
                store.describe()
            )));
        }
        for def in registry.iter() {
            store.prepare_layer(def).await?;
            let features = match def.serve {
                Serve::Memory => store.load_layer(def).await?,
                Serve::Database => Vec::new(),
            };
            let note = store.note(&def.id).await?.unwrap_or_default();
            tracing::info!(layer = %def.id, count = features.len(), serve = ?def.serve, "layer loaded");
            layers.insert(
                def.id.clone(),
                Arc::new(Layer {
                    def: def.clone(),
                    index: RwLock::new(LayerIndex::build(features)),
                    note: RwLock::new(note),
                    write: tokio::sync::Mutex::new(()),
                }),
            );
        }
        Ok(Self {
            store,
            layers,
            listeners: RwLock::new(Vec::new()),
        })
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Adds a listener that hears every change from now on.
    pub fn subscribe(&self, l: Arc<dyn ChangeListener>) {
        self.listeners.write().push(l);
    }

    pub fn layers(&self) -> impl Iterator<Item = &Arc<Layer>> {
        self.layers.values()
    }

    pub fn layer(&self, id: &str) -> Result<&Arc<Layer>, CatalogError> {
        self.layers
            .get(id)
            .ok_or_else(|| CatalogError::UnknownLayer(id.to_string()))
    }

    /// One feature from memory (a `serve: database` layer holds none: use [`Self::fetch`]).
    pub fn get(&self, layer: &str, id: i64) -> Result<Arc<Feature>, CatalogError> {
        self.layer(layer)?
            .read(|ix| ix.get(id).cloned())
            .ok_or_else(|| CatalogError::NotFound {
                layer: layer.into(),
                id,
            })
    }

    /// One feature from wherever its layer is served.
    pub async fn fetch(&self, layer: &str, id: i64) -> Result<Arc<Feature>, CatalogError> {
        let l = self.layer(layer)?;
        if !l.in_database() {
            return self.get(layer, id);
        }
        self.store
            .get(&l.def, id)
            .await
            .map_err(CatalogError::Store)?
            .map(Arc::new)
            .ok_or_else(|| CatalogError::NotFound {
                layer: layer.into(),
                id,
            })
    }

    /// One page of an item query, from wherever the layer is served.
    pub async fn query(&self, layer: &str, q: &ItemQuery) -> Result<ItemPage, CatalogError> {
        let l = self.layer(layer)?;
        if l.in_database() {
            self.store
                .query(&l.def, q)
                .await
                .map_err(CatalogError::Store)
        } else {
            Ok(l.read(|ix| ix.query(q)))
        }
    }

    fn publish(&self, change: Change) {
        for l in self.listeners.read().iter() {
            l.changed(&change);
        }
    }

    fn map_store(&self, layer: &str, e: StoreError) -> CatalogError {
        match e {
            StoreError::NotFound(id) => CatalogError::NotFound {
                layer: layer.into(),
                id,
            },
            e => CatalogError::Store(e),
        }
    }

    /// Stores new features in one transaction; all or none.
    pub async fn create(
        &self,
        layer: &str,
        drafts: Vec<Draft>,
    ) -> Result<Vec<Feature>, CatalogError> {
        let l = self.layer(layer)?;
        let _w = l.write.lock().await;
        let created = self
            .store
            .insert(&l.def, drafts)
            .await
            .map_err(|e| self.map_store(layer, e))?;
        self.created(l, &created);
        Ok(created)
    }

    /// Stores a new feature and a case hanging off it in one transaction (both or neither),
    /// then indexes the feature like [`Self::create`]. Returns the feature and the case id.
    pub async fn create_with_case(
        &self,
        layer: &str,
        draft: Draft,
        case: NewCase,
    ) -> Result<(Feature, i64), CatalogError> {
        let l = self.layer(layer)?;
        let _w = l.write.lock().await;
        let (feature, case_id) = self
            .store
            .cases()
            .create_case_with_feature(&l.def, draft, case)
            .await
            .map_err(|e| self.map_store(layer, e))?;
        self.created(l, std::slice::from_ref(&feature));
        Ok((feature, case_id))
    }

    /// After the commit of new features: index them and tell the listeners.
    fn created(&self, l: &Layer, created: &[Feature]) {
        if !l.in_database() {
            let mut ix = l.index.write();
            for f in created {
                ix.upsert(f.clone());
            }
        }
        for f in created {
            self.publish(Change {
                layer: l.def.id.clone(),
                id: f.id,
                old: None,
                new: f.bounds(),
            });
        }
    }

    /// Replaces a feature, optionally only if it is still at `expected`.
    pub async fn replace(
        &self,
        layer: &str,
        id: i64,
        expected: Option<i64>,
        draft: Draft,
    ) -> Result<Feature, CatalogError> {
        let l = self.layer(layer)?;
        let _w = l.write.lock().await;
        let (old, new) = self
            .store
            .replace(&l.def, id, expected, draft)
            .await
            .map_err(|e| self.map_store(layer, e))?;
        if !l.in_database() {
            l.index.write().upsert(new.clone());
        }
        self.publish(Change {
            layer: layer.into(),
            id,
            old: old.bounds(),
            new: new.bounds(),
        });
        Ok(new)
    }

    /// Deletes a feature, optionally only if it is still at `expected`.
    pub async fn delete(
        &self,
        layer: &str,
        id: i64,
        expected: Option<i64>,
    ) -> Result<Feature, CatalogError> {
        let l = self.layer(layer)?;
        let _w = l.write.lock().await;
        let old = self
            .store
            .delete(&l.def, id, expected)
            .await
            .map_err(|e| self.map_store(layer, e))?;
        if !l.in_database() {
            l.index.write().remove(id);
        }
        self.publish(Change {
            layer: layer.into(),
            id,
            old: old.bounds(),
            new: None,
        });
        Ok(old)
    }

    /// Applies a change that another server instance committed to the shared store: re-reads
    /// the feature from the store, puts it in the index (which keeps a newer version it may
    /// already hold) or takes it out if it is gone, and tells the listeners, so this
    /// instance's tile cache drops the tiles it touched. `old` and `new` are the bounds the
    /// other instance logged; they widen the invalidated area beyond what this index held.
    ///
    /// Returns whether the index changed: re-applying a change already seen (such as this
    /// instance's own) changes nothing and publishes nothing.
    pub async fn apply_remote(
        &self,
        layer: &str,
        id: i64,
        old: Option<Rect<f64>>,
        new: Option<Rect<f64>>,
    ) -> Result<bool, CatalogError> {
        let l = self.layer(layer)?;
        if l.in_database() {
            // Nothing held here: only the cached tiles of both places go stale.
            self.publish(Change {
                layer: layer.into(),
                id,
                old,
                new,
            });
            return Ok(true);
        }
        // Serialised with local writes, so a stale re-read cannot overtake a local delete.
        let _w = l.write.lock().await;
        let current = self
            .store
            .get(&l.def, id)
            .await
            .map_err(CatalogError::Store)?;
        let prev = l.read(|ix| ix.get(id).cloned());
        let (before, after) = match current {
            Some(f) => {
                if prev.as_ref().is_some_and(|p| p.version >= f.version) {
                    return Ok(false);
                }
                let after = f.bounds();
                l.index.write().upsert(f);
                (
                    prev.and_then(|p| p.bounds()),
                    after.map(|a| new.map_or(a, |n| rect_union(a, n))),
                )
            }
            None => {
                let Some(p) = l.index.write().remove(id) else {
                    return Ok(false);
                };
                (p.bounds(), None)
            }
        };
        let before = match (before, old) {
            (Some(a), Some(b)) => Some(rect_union(a, b)),
            (a, b) => a.or(b),
        };
        self.publish(Change {
            layer: layer.into(),
            id,
            old: before,
            new: after,
        });
        Ok(true)
    }

    /// Records the provenance of a layer's data.
    pub async fn set_note(&self, layer: &str, note: LayerNote) -> Result<(), CatalogError> {
        let l = self.layer(layer)?;
        self.store
            .set_note(layer, &note)
            .await
            .map_err(CatalogError::Store)?;
        *l.note.write() = note;
        Ok(())
    }
}
