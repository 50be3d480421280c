//! Case storage in the GeoPackage file (see [`onemap_spatial::cases`] for the model).
//!
//! Plain attribute tables next to the layers, not registered in `gpkg_contents`: GIS
//! readers need not see them. Times are fixed-width UTC text (`…T08:00:00.000000Z`) so
//! that text order is time order and `next_due_at <= ?` can use its index. SQLite has one
//! writer at a time, so event ids (AUTOINCREMENT: never reused) grow in commit order, and
//! a step's first statement is its versioned UPDATE, so a second writer waits for the
//! first to commit and then finds the version moved on.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use geo::Point;
use serde_json::Value;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Row, Sqlite, SqliteConnection};

use super::GpkgStore;
use super::table::map_err;
use crate::sql::{Arg, Dialect, where_sql};
use onemap_spatial::cases::{
    AttachmentData, AttachmentMeta, Case, CaseDetail, CaseError, CaseEvent, CaseFields, CaseFilter,
    CaseStore, Count, Delivery, Dimension, Entry, FeatureRef, HistoryRecord, NewCase, Step,
};
use onemap_spatial::feature::{Draft, Feature};
use onemap_spatial::schema::LayerDef;
use onemap_spatial::store::StoreError;

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
pub async fn init(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    for sql in DDL {
        sqlx::query(sql)
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
    }
    Ok(())
}

const CASE_COLUMNS: &str = "id, workflow, version, feature_collection, feature_id, state, \
    district_code, township_code, level, overdue, urge_count, lon, lat, next_due_at, \
    engine, created_at, updated_at";

/// The step's columns, in the order [`bind_fields`] binds them.
const FIELD_COLUMNS: [&str; 10] = [
    "state",
    "district_code",
    "township_code",
    "level",
    "overdue",
    "urge_count",
    "lon",
    "lat",
    "next_due_at",
    "engine",
];

type Query<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn parse_ts(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Other(format!("bad time `{s}`: {e}")))
}

fn json(s: &str) -> Result<Value, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Other(format!("bad JSON in the store: {e}")))
}

fn bind_fields<'q>(q: Query<'q>, f: &'q CaseFields) -> Query<'q> {
    q.bind(&f.state)
        .bind(&f.district_code)
        .bind(&f.township_code)
        .bind(&f.level)
        .bind(f.overdue)
        .bind(f.urge_count)
        .bind(f.location.map(|p| p.x()))
        .bind(f.location.map(|p| p.y()))
        .bind(f.next_due_at.map(ts))
        .bind(f.engine.to_string())
}

fn get<'r, T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>>(
    r: &'r SqliteRow,
    col: &str,
) -> Result<T, StoreError> {
    r.try_get(col).map_err(map_err)
}

fn opt_ts(r: &SqliteRow, col: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    get::<Option<String>>(r, col)?
        .as_deref()
        .map(parse_ts)
        .transpose()
}

fn row_to_case(r: &SqliteRow) -> Result<Case, StoreError> {
    let feature = match (get(r, "feature_collection")?, get(r, "feature_id")?) {
        (Some(collection), Some(id)) => Some(FeatureRef { collection, id }),
        _ => None,
    };
    let location = match (get(r, "lon")?, get(r, "lat")?) {
        (Some(x), Some(y)) => Some(Point::new(x, y)),
        _ => None,
    };
    Ok(Case {
        id: get(r, "id")?,
        workflow: get(r, "workflow")?,
        version: get(r, "version")?,
        feature,
        fields: CaseFields {
            state: get(r, "state")?,
            district_code: get(r, "district_code")?,
            township_code: get(r, "township_code")?,
            level: get(r, "level")?,
            overdue: get(r, "overdue")?,
            urge_count: get(r, "urge_count")?,
            location,
            next_due_at: opt_ts(r, "next_due_at")?,
            engine: json(&get::<String>(r, "engine")?)?,
        },
        created_at: parse_ts(&get::<String>(r, "created_at")?)?,
        updated_at: parse_ts(&get::<String>(r, "updated_at")?)?,
    })
}

fn row_to_meta(r: &SqliteRow) -> Result<AttachmentMeta, StoreError> {
    Ok(AttachmentMeta {
        id: get(r, "id")?,
        case_id: get(r, "case_id")?,
        seq: get(r, "seq")?,
        filename: get(r, "filename")?,
        content_type: get(r, "content_type")?,
        size: get(r, "size")?,
        has_thumbnail: get(r, "has_thumbnail")?,
        created_at: parse_ts(&get::<String>(r, "created_at")?)?,
    })
}

const META_COLUMNS: &str = "id, case_id, seq, filename, content_type, size, \
    thumbnail IS NOT NULL AS has_thumbnail, created_at";

/// Inserts a case row and its first step; returns the id.
async fn insert_case(conn: &mut SqliteConnection, new: &NewCase) -> Result<i64, StoreError> {
    new.step.check()?;
    let now = ts(Utc::now());
    let marks = vec!["?"; FIELD_COLUMNS.len()].join(", ");
    let sql = format!(
        "INSERT INTO onemap_cases (workflow, version, feature_collection, feature_id, created_at, \
         updated_at, {}) VALUES (?, ?, ?, ?, ?, ?, {marks}) RETURNING id",
        FIELD_COLUMNS.join(", ")
    );
    let q = sqlx::query(&sql)
        .bind(&new.workflow)
        .bind(new.step.history.len() as i64)
        .bind(new.feature.as_ref().map(|f| &f.collection))
        .bind(new.feature.as_ref().map(|f| f.id))
        .bind(&now)
        .bind(&now);
    let id: i64 = bind_fields(q, &new.step.fields)
        .fetch_one(&mut *conn)
        .await
        .map_err(map_err)?
        .get(0);
    append(conn, id, 0, &new.step, &now).await?;
    Ok(id)
}

/// Appends a step's history entries (from version `base + 1`), attachments and events.
async fn append(
    conn: &mut SqliteConnection,
    case_id: i64,
    base: i64,
    step: &Step,
    now: &str,
) -> Result<(), StoreError> {
    for (i, e) in step.history.iter().enumerate() {
        sqlx::query(
            "INSERT INTO onemap_case_history (case_id, seq, at, username, role, level, action, \
             from_state, to_state, fields, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(case_id)
        .bind(base + 1 + i as i64)
        .bind(ts(e.at))
        .bind(&e.user)
        .bind(&e.role)
        .bind(&e.level)
        .bind(&e.action)
        .bind(&e.from_state)
        .bind(&e.to_state)
        .bind(Value::Object(e.fields.clone()).to_string())
        .bind(&e.comment)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    }
    for a in &step.attachments {
        sqlx::query(
            "INSERT INTO onemap_case_attachments (case_id, seq, filename, content_type, size, \
             created_at, data, thumbnail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(case_id)
        .bind(base + 1 + a.entry as i64)
        .bind(&a.filename)
        .bind(&a.content_type)
        .bind(a.size)
        .bind(now)
        .bind(&a.data)
        .bind(&a.thumbnail)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    }
    for e in &step.events {
        sqlx::query(
            "INSERT INTO onemap_case_events (at, kind, case_id, payload) VALUES (?, ?, ?, ?)",
        )
        .bind(now)
        .bind(&e.kind)
        .bind(case_id)
        .bind(e.payload.to_string())
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    }
    Ok(())
}

fn bind_args<'q>(mut q: Query<'q>, args: &'q [Arg]) -> Query<'q> {
    for a in args {
        q = match a {
            Arg::Text(s) => q.bind(s),
            Arg::Bool(b) => q.bind(*b),
            Arg::Int(i) => q.bind(*i),
            Arg::Float(f) => q.bind(*f),
        };
    }
    q
}

#[async_trait]
impl CaseStore for GpkgStore {
    async fn create_case(&self, new: NewCase) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let id = insert_case(&mut tx, &new).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(id)
    }

    async fn create_case_with_feature(
        &self,
        def: &LayerDef,
        draft: Draft,
        mut new: NewCase,
    ) -> Result<(Feature, i64), StoreError> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let feature = Self::insert_in_tx(&mut tx, def, vec![draft])
            .await?
            .remove(0);
        new.feature = Some(FeatureRef {
            collection: def.id.clone(),
            id: feature.id,
        });
        let id = insert_case(&mut tx, &new).await?;
        tx.commit().await.map_err(map_err)?;
        Ok((feature, id))
    }

    async fn apply(&self, id: i64, expected_version: i64, step: Step) -> Result<i64, CaseError> {
        step.check()?;
        let version = expected_version + step.history.len() as i64;
        let now = ts(Utc::now());
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let sets: Vec<String> = FIELD_COLUMNS.iter().map(|c| format!("{c} = ?")).collect();
        let sql = format!(
            "UPDATE onemap_cases SET {}, version = ?, updated_at = ? WHERE id = ? AND version = ?",
            sets.join(", ")
        );
        let done = bind_fields(sqlx::query(&sql), &step.fields)
            .bind(version)
            .bind(&now)
            .bind(id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            let current: Option<i64> =
                sqlx::query_scalar("SELECT version FROM onemap_cases WHERE id = ?")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err)?;
            return Err(match current {
                None => CaseError::NotFound(id),
                Some(current_version) => CaseError::Conflict {
                    id,
                    expected: expected_version,
                    current_version,
                },
            });
        }
        append(&mut tx, id, expected_version, &step, &now).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(version)
    }

    async fn get_case(&self, id: i64) -> Result<Option<CaseDetail>, StoreError> {
        // One read transaction: the case, its history and files from the same snapshot.
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let sql = format!("SELECT {CASE_COLUMNS} FROM onemap_cases WHERE id = ?");
        let Some(row) = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
        else {
            return Ok(None);
        };
        let case = row_to_case(&row)?;
        let history = sqlx::query(
            "SELECT seq, at, username, role, level, action, from_state, to_state, fields, comment
             FROM onemap_case_history WHERE case_id = ? ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?
        .iter()
        .map(|r| {
            let fields = match json(&get::<String>(r, "fields")?)? {
                Value::Object(m) => m,
                v => {
                    return Err(StoreError::Other(format!(
                        "history fields are not an object: {v}"
                    )));
                }
            };
            Ok(HistoryRecord {
                seq: get(r, "seq")?,
                entry: Entry {
                    at: parse_ts(&get::<String>(r, "at")?)?,
                    user: get(r, "username")?,
                    role: get(r, "role")?,
                    level: get(r, "level")?,
                    action: get(r, "action")?,
                    from_state: get(r, "from_state")?,
                    to_state: get(r, "to_state")?,
                    fields,
                    comment: get(r, "comment")?,
                },
            })
        })
        .collect::<Result<_, StoreError>>()?;
        let sql = format!(
            "SELECT {META_COLUMNS} FROM onemap_case_attachments WHERE case_id = ? ORDER BY id"
        );
        let attachments = sqlx::query(&sql)
            .bind(id)
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?
            .iter()
            .map(row_to_meta)
            .collect::<Result<_, _>>()?;
        Ok(Some(CaseDetail {
            case,
            history,
            attachments,
        }))
    }

    async fn attachment(&self, id: i64) -> Result<Option<AttachmentData>, StoreError> {
        let sql = format!(
            "SELECT {META_COLUMNS}, data, thumbnail FROM onemap_case_attachments WHERE id = ?"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.map(|r| {
            Ok(AttachmentData {
                meta: row_to_meta(&r)?,
                data: get(&r, "data")?,
                thumbnail: get(&r, "thumbnail")?,
            })
        })
        .transpose()
    }

    async fn list_cases(
        &self,
        filter: &CaseFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Case>, StoreError> {
        let w = where_sql(filter, Dialect::Sqlite);
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM onemap_cases{} ORDER BY id DESC LIMIT ? OFFSET ?",
            w.sql()
        );
        bind_args(sqlx::query(&sql), &w.args)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?
            .iter()
            .map(row_to_case)
            .collect()
    }

    async fn count_by(
        &self,
        dim: Dimension,
        filter: &CaseFilter,
    ) -> Result<Vec<Count>, StoreError> {
        let w = where_sql(filter, Dialect::Sqlite);
        let c = dim.column();
        let sql = format!(
            "SELECT {c}, count(*), count(*) FILTER (WHERE overdue) FROM onemap_cases{} \
             GROUP BY {c} ORDER BY {c} NULLS FIRST",
            w.sql()
        );
        bind_args(sqlx::query(&sql), &w.args)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?
            .iter()
            .map(|r| {
                Ok(Count {
                    key: r.try_get(0).map_err(map_err)?,
                    total: r.try_get(1).map_err(map_err)?,
                    overdue: r.try_get(2).map_err(map_err)?,
                })
            })
            .collect()
    }

    async fn due_cases(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<Case>, StoreError> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM onemap_cases WHERE next_due_at <= ? \
             ORDER BY next_due_at, id LIMIT ?"
        );
        sqlx::query(&sql)
            .bind(ts(now))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?
            .iter()
            .map(row_to_case)
            .collect()
    }

    async fn last_event_id(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM onemap_case_events")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn events_after(&self, after: i64, limit: i64) -> Result<Vec<CaseEvent>, StoreError> {
        sqlx::query(
            "SELECT id, at, kind, case_id, payload FROM onemap_case_events
             WHERE id > ? ORDER BY id LIMIT ?",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(|r| {
            Ok(CaseEvent {
                id: get(r, "id")?,
                at: parse_ts(&get::<String>(r, "at")?)?,
                kind: get(r, "kind")?,
                case_id: get(r, "case_id")?,
                payload: json(&get::<String>(r, "payload")?)?,
            })
        })
        .collect()
    }

    async fn record_delivery(&self, d: &Delivery) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO onemap_webhook_deliveries (event_id, url, attempt, status_code, error, at, \
             delivered) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(d.event_id)
        .bind(&d.url)
        .bind(d.attempt)
        .bind(d.status_code)
        .bind(&d.error)
        .bind(ts(d.at))
        .bind(d.delivered)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn deliveries(&self, event_id: i64) -> Result<Vec<Delivery>, StoreError> {
        sqlx::query(
            "SELECT event_id, url, attempt, status_code, error, at, delivered
             FROM onemap_webhook_deliveries WHERE event_id = ? ORDER BY id",
        )
        .bind(event_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(|r| {
            Ok(Delivery {
                event_id: get(r, "event_id")?,
                url: get(r, "url")?,
                attempt: get(r, "attempt")?,
                status_code: get(r, "status_code")?,
                error: get(r, "error")?,
                at: parse_ts(&get::<String>(r, "at")?)?,
                delivered: get(r, "delivered")?,
            })
        })
        .collect()
    }
}
