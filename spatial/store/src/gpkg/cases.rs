//! Case storage in the GeoPackage file: the tables, and what SQLite does differently for the
//! shared case store ([`crate::sql::cases`]).
//!
//! Plain attribute tables next to the layers, not registered in `gpkg_contents`: GIS
//! readers need not see them. Times are fixed-width UTC text (`…T08:00:00.000000Z`) so
//! that text order is time order and `next_due_at <= ?` can use its index. SQLite has one
//! writer at a time, so event ids (AUTOINCREMENT: never reused) grow in commit order.

use chrono::{DateTime, Utc};
use geo::Point;
use onemap_spatial::feature::Draft;
use onemap_spatial::schema::LayerDef;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqliteConnection, SqlitePool};

use super::GpkgStore;
use crate::sql::cases::{CaseBackend, Events, Inserted, Query, Times};
use crate::sql::{Arg, Dialect, Result, SqlError, Where};

const DDL: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS onemap_cases (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        workflow TEXT NOT NULL CHECK (length(workflow) BETWEEN 1 AND 64
            AND workflow GLOB '[a-z]*' AND workflow NOT GLOB '*[^a-z0-9_]*'),
        state TEXT NOT NULL CHECK (state <> ''),
        version INTEGER NOT NULL CHECK (version >= 1),
        district_code TEXT NOT NULL, township_code TEXT, level TEXT NOT NULL,
        overdue BOOLEAN NOT NULL, urge_count INTEGER NOT NULL,
        feature_collection TEXT, feature_id INTEGER,
        lon REAL, lat REAL,
        next_due_at TEXT,
        engine TEXT NOT NULL CHECK (json_valid(engine)),
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        CHECK ((feature_collection IS NULL) = (feature_id IS NULL)),
        CHECK ((lon IS NULL) = (lat IS NULL)))",
    "CREATE INDEX IF NOT EXISTS onemap_cases_due ON onemap_cases (next_due_at) WHERE next_due_at IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS onemap_cases_workflow ON onemap_cases (workflow, state)",
    "CREATE INDEX IF NOT EXISTS onemap_cases_place ON onemap_cases (district_code, township_code)",
    "CREATE INDEX IF NOT EXISTS onemap_cases_feature ON onemap_cases (feature_collection, feature_id)",
    "CREATE INDEX IF NOT EXISTS onemap_cases_lon_lat ON onemap_cases (lon, lat)",
    "CREATE TABLE IF NOT EXISTS onemap_case_history (
        case_id INTEGER NOT NULL REFERENCES onemap_cases(id), seq INTEGER NOT NULL,
        at TEXT NOT NULL, username TEXT NOT NULL, role TEXT NOT NULL, level TEXT NOT NULL,
        action TEXT NOT NULL, from_state TEXT, to_state TEXT NOT NULL,
        fields TEXT NOT NULL CHECK (json_valid(fields)), comment TEXT,
        PRIMARY KEY (case_id, seq))",
    "CREATE TRIGGER IF NOT EXISTS onemap_case_history_no_update BEFORE UPDATE ON onemap_case_history
     BEGIN SELECT RAISE(ABORT, 'onemap_case_history is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS onemap_case_history_no_delete BEFORE DELETE ON onemap_case_history
     BEGIN SELECT RAISE(ABORT, 'onemap_case_history is append-only'); END",
    // The bytes last: reading the metadata columns does not page through them.
    "CREATE TABLE IF NOT EXISTS onemap_case_attachments (
        id INTEGER PRIMARY KEY AUTOINCREMENT, case_id INTEGER NOT NULL, seq INTEGER NOT NULL,
        filename TEXT NOT NULL, content_type TEXT NOT NULL, size INTEGER NOT NULL,
        created_at TEXT NOT NULL, data BLOB NOT NULL, thumbnail BLOB,
        FOREIGN KEY (case_id, seq) REFERENCES onemap_case_history (case_id, seq))",
    "CREATE INDEX IF NOT EXISTS onemap_case_attachments_case ON onemap_case_attachments (case_id, seq)",
    "CREATE TABLE IF NOT EXISTS onemap_case_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, kind TEXT NOT NULL,
        case_id INTEGER NOT NULL REFERENCES onemap_cases(id),
        payload TEXT NOT NULL CHECK (json_valid(payload)))",
    "CREATE TABLE IF NOT EXISTS onemap_webhook_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id INTEGER NOT NULL REFERENCES onemap_case_events(id),
        url TEXT NOT NULL, attempt INTEGER NOT NULL, status_code INTEGER, error TEXT,
        at TEXT NOT NULL, delivered BOOLEAN NOT NULL)",
    "CREATE INDEX IF NOT EXISTS onemap_webhook_deliveries_event ON onemap_webhook_deliveries (event_id)",
];

/// Creates the case tables if missing (at open).
pub async fn init(conn: &mut SqliteConnection) -> Result<()> {
    for sql in DDL {
        sqlx::query(sql).execute(&mut *conn).await?;
    }
    Ok(())
}

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

impl Times for Sqlite {
    fn bind_time<'q>(q: Query<'q, Self>, t: Option<DateTime<Utc>>) -> Query<'q, Self> {
        q.bind(t.map(ts))
    }

    fn time(r: &SqliteRow, col: &str) -> Result<Option<DateTime<Utc>>> {
        let text: Option<String> = r.try_get(col).map_err(SqlError::read(col))?;
        text.map(|value| match DateTime::parse_from_rfc3339(&value) {
            Ok(t) => Ok(t.with_timezone(&Utc)),
            Err(source) => Err(SqlError::Time { value, source }),
        })
        .transpose()
    }
}

/// The file's case tables.
pub struct GpkgCases(pub SqlitePool);

impl CaseBackend for GpkgCases {
    type DB = Sqlite;
    const DIALECT: Dialect = Dialect::Sqlite;
    const LON_LAT: &'static str = "lon, lat";
    const SNAPSHOT: Option<&'static str> = None;

    fn location(w: &mut Where, p: Option<Point>) -> Vec<(&'static str, String)> {
        vec![
            ("lon", w.arg(Arg::OptFloat(p.map(|p| p.x())))),
            ("lat", w.arg(Arg::OptFloat(p.map(|p| p.y())))),
        ]
    }

    fn json_in(mark: String) -> String {
        mark
    }

    fn json_out(col: &str) -> String {
        col.to_string()
    }

    fn now(w: &mut Where, now: DateTime<Utc>) -> String {
        w.arg(Arg::Time(Some(now)))
    }

    fn pool(&self) -> &SqlitePool {
        &self.0
    }

    async fn insert_feature(&self, c: &mut SqliteConnection, l: &LayerDef, d: Draft) -> Inserted {
        Ok(GpkgStore::insert_in_tx(c, l, vec![d]).await?.remove(0))
    }

    async fn append_events(conn: &mut SqliteConnection, e: Events) -> Result<()> {
        for event in e.list {
            sqlx::query(
                "INSERT INTO onemap_case_events (at, kind, case_id, payload) VALUES (?, ?, ?, ?)",
            )
            .bind(ts(e.at))
            .bind(event.kind)
            .bind(e.case_id)
            .bind(event.payload.to_string())
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}
