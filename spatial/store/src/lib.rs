//! The store backends behind [`onemap_spatial::Store`] and [`onemap_spatial::cases::CaseStore`]:
//! an embedded GeoPackage file ([`gpkg`], the default) and PostGIS ([`postgis`], production,
//! several instances, read replicas), with the SQL they share ([`sql`]). This crate owns the
//! tables, their DDL and migrations, the encoding of features and cases into rows and back,
//! and the mapping of database failures onto [`onemap_spatial::StoreError`]. It knows the
//! store contracts and SQL only: it must not know HTTP, tile encoding, workflow rules or
//! import formats; callers above it see a `Store` and nothing of sqlx.

pub mod gpkg;
pub mod postgis;
pub mod sql;
