//! The onemap domain: layers and their schemas, features and their validation,
//! the durable stores, and the in-memory index that serves reads.
//!
//! Coordinates are CGCS2000 longitude/latitude (EPSG:4490) throughout; other
//! coordinate systems are converted at the edges by `onemap-coord`.

pub mod cases;
pub mod catalog;
pub mod classify;
pub mod cql2;
pub mod crs;
pub mod dedup;
pub mod feature;
pub mod geojson_out;
pub mod index;
pub mod items;
pub mod query;
pub mod schema;
pub mod store;
pub mod thematic;
pub mod tile_grid;
pub mod validate;

pub use catalog::{Catalog, CatalogError, Change, ChangeListener, Layer};
pub use feature::{Draft, Feature};
pub use schema::{LayerDef, LayerRegistry};
pub use store::{BackendError, LayerNote, Store, StoreError};
