-- The fixed tables of onemap's PostGIS store. Layer tables are not migrations: they are
-- generated from the layer declarations (schema `onemap`, see spatial/src/store/postgis/ddl.rs).
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE SCHEMA IF NOT EXISTS onemap;

-- What the store knows about a layer besides its features.
CREATE TABLE IF NOT EXISTS onemap_layers (
    layer      text PRIMARY KEY,
    provenance text,
    synthetic  boolean NOT NULL DEFAULT false
);

-- Every committed feature change, in commit order (writers append under one advisory lock),
-- so other server instances can follow: NOTIFY onemap_changes wakes them up, this log is the
-- truth they read from `seq > last seen`, also to catch up after a restart or an outage.
-- Bounds are the feature's envelope (primary and secondary geometries), NULL when absent.
CREATE TABLE IF NOT EXISTS onemap_changes (
    seq      bigserial PRIMARY KEY,
    layer    text NOT NULL,
    fid      bigint NOT NULL,
    origin   text NOT NULL,
    old_xmin double precision, old_ymin double precision, old_xmax double precision, old_ymax double precision,
    new_xmin double precision, new_ymin double precision, new_xmax double precision, new_ymax double precision,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS onemap_changes_at ON onemap_changes (at);
