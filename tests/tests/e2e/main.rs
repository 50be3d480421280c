//! The end-to-end tests: one binary with a module per area, so the whole server is linked
//! once rather than once per area. Each module starts its own servers (see `onemap_e2e`).

mod cases;
mod coord;
mod database_layers;
mod dedup;
mod export;
mod features;
mod geocode;
mod geofill;
mod import;
mod import_files;
mod instances;
mod measure;
mod openapi;
mod query;
mod store;
mod thematic;
mod tile_crs;
mod tiles;
