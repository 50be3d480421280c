//! Durable storage: the source of truth behind the in-memory index.
//!
//! Two backends implement [`Store`], in the `onemap-store` crate: an embedded GeoPackage
//! file (the default) and PostGIS (production). Every write is one transaction: all of it
//! or none.

use async_trait::async_trait;

use crate::cases::CaseStore;
use crate::feature::{Draft, Feature};
use crate::items::{ItemPage, ItemQuery};
use crate::schema::LayerDef;

/// Why a store refused or failed a call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("feature {0} not found")]
    NotFound(i64),
    /// Optimistic concurrency: the caller's version is stale.
    #[error("feature {id} is at version {current}, not {expected}")]
    VersionMismatch {
        id: i64,
        expected: i64,
        current: i64,
    },
    /// A unique key (the layer's `key` property) is already taken.
    #[error("{0}")]
    Duplicate(String),
    /// The database cannot be reached; the caller may retry later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The call asks for what this store cannot do or hold (a `serve: database` layer in a
    /// GeoPackage file, a case step without a history entry): a caller's or a deployment's
    /// mistake, not the database's.
    #[error("store error: {0}")]
    Refused(String),
    /// The backend failed; the error keeps its cause chain down to the database's own.
    #[error("store error: {0}")]
    Backend(#[from] BackendError),
}

/// A backend's own error, boxed so that the domain need not know the backend's types; its
/// [`source`](std::error::Error::source) chain leads to the driver's error.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct BackendError(Box<dyn std::error::Error + Send + Sync>);

impl BackendError {
    /// Wraps a backend's error.
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(e))
    }
}

/// What the store knows about a layer besides its features.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayerNote {
    /// Where the layer's data came from.
    pub provenance: Option<String>,
    /// True when the data is generated sample data, not real records.
    pub synthetic: bool,
}

/// A store backend. Geometries are CGCS2000 lon/lat (EPSG:4490).
#[async_trait]
pub trait Store: Send + Sync {
    /// A short name for logs ("geopackage", "postgis") and where it lives.
    fn describe(&self) -> String;

    /// The case tables (issue #7) in the same database, so a case and a feature can be
    /// written in one transaction.
    fn cases(&self) -> &dyn CaseStore;

    /// Creates the layer's tables and indexes, or brings existing ones up to the declaration.
    async fn prepare_layer(&self, def: &LayerDef) -> Result<(), StoreError>;

    /// Reads every feature of a layer, for building the index at start.
    async fn load_layer(&self, def: &LayerDef) -> Result<Vec<Feature>, StoreError>;

    /// Reads one feature as committed now, or None if there is no such feature.
    /// Used to apply another instance's change to this one's index.
    async fn get(&self, def: &LayerDef, id: i64) -> Result<Option<Feature>, StoreError>;

    /// Inserts drafts in one transaction and returns them with ids and version 1.
    async fn insert(&self, def: &LayerDef, drafts: Vec<Draft>) -> Result<Vec<Feature>, StoreError>;

    /// Replaces a feature; with `expected` set, only if it is still at that version.
    /// Returns the old and the new feature.
    async fn replace(
        &self,
        def: &LayerDef,
        id: i64,
        expected: Option<i64>,
        draft: Draft,
    ) -> Result<(Feature, Feature), StoreError>;

    /// Deletes a feature; with `expected` set, only if it is still at that version.
    async fn delete(
        &self,
        def: &LayerDef,
        id: i64,
        expected: Option<i64>,
    ) -> Result<Feature, StoreError>;

    /// Records where a layer's data came from.
    async fn set_note(&self, layer: &str, note: &LayerNote) -> Result<(), StoreError>;

    /// The note recorded for a layer, if any.
    async fn note(&self, layer: &str) -> Result<Option<LayerNote>, StoreError>;

    /// Whether this store can serve `serve: database` layers itself: answer item queries
    /// and render tiles without an in-memory copy (PostGIS can; a GeoPackage file cannot).
    fn serves_from_database(&self) -> bool {
        false
    }

    /// One page of an item query, run in the store (`serve: database` layers).
    async fn query(&self, def: &LayerDef, _q: &ItemQuery) -> Result<ItemPage, StoreError> {
        Err(StoreError::Refused(format!(
            "{} cannot query layer `{}` in the database",
            self.describe(),
            def.id
        )))
    }

    /// Tile `z/x/y` of `layers` as MVT, rendered in the store; None when nothing shows
    /// (`serve: database` layers).
    async fn tile(
        &self,
        layers: &[&LayerDef],
        _z: u32,
        _x: u32,
        _y: u32,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let ids: Vec<&str> = layers.iter().map(|d| d.id.as_str()).collect();
        Err(StoreError::Refused(format!(
            "{} cannot render tiles of {}",
            self.describe(),
            ids.join(",")
        )))
    }
}
