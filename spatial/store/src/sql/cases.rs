//! The case store (see [`onemap_spatial::cases`] for the model), written once for both
//! backends: the statements, their order in a transaction, and the mapping of rows back to
//! cases. A backend supplies only what differs, as a [`CaseBackend`]: placeholders, how a
//! time, a point and a JSON value are written and read, the snapshot a multi-table read
//! needs, and how events are appended so that their ids grow in commit order.
//!
//! A step is one versioned `UPDATE … WHERE id = ? AND version = ?` first: a second writer
//! waits for the first to commit and then finds the version moved on (SQLite has one writer
//! at a time; PostgreSQL's row lock and READ COMMITTED's re-check do the same).

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use geo::Point;
use onemap_spatial::cases::{
    AttachmentData, AttachmentMeta, Case, CaseDetail, CaseError, CaseEvent, CaseFields, CaseFilter,
    CaseStore, Count, Delivery, Dimension, Entry, FeatureRef, HistoryRecord, NewAttachment,
    NewCase, NewEvent, Step,
};
use onemap_spatial::feature::{Draft, Feature};
use onemap_spatial::schema::LayerDef;
use onemap_spatial::store::StoreError;
use serde_json::Value;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Row, Type};

use super::{Arg, Dialect, Result, SqlError, Where, where_sql};

/// A future that may cross threads, as the store traits need.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A statement of a backend's database, arguments bound.
pub type Query<'q, DB> = sqlx::query::Query<'q, DB, <DB as Database>::Arguments<'q>>;

/// How a database stores times: the one value type the two backends encode differently.
pub trait Times: Database {
    /// Binds a time (or NULL).
    fn bind_time<'q>(q: Query<'q, Self>, t: Option<DateTime<Utc>>) -> Query<'q, Self>;
    /// Reads a time column (None for NULL).
    fn time(r: &Self::Row, col: &str) -> Result<Option<DateTime<Utc>>>;
}

/// The statements and typed column reads the shared code needs, for any sqlx database that
/// encodes and decodes the plain value types (implemented for every such database, so the
/// shared code states these bounds once, here).
pub trait Sql: Times {
    /// Runs a statement and returns its rows.
    fn rows<'e>(
        conn: &'e mut Self::Connection,
        sql: String,
        args: Vec<Arg>,
    ) -> BoxFuture<'e, Result<Vec<Self::Row>>>;
    fn text(r: &Self::Row, col: &str) -> Result<String>;
    fn opt_text(r: &Self::Row, col: &str) -> Result<Option<String>>;
    fn int(r: &Self::Row, col: &str) -> Result<i64>;
    fn opt_int(r: &Self::Row, col: &str) -> Result<Option<i64>>;
    fn int32(r: &Self::Row, col: &str) -> Result<i32>;
    fn opt_int32(r: &Self::Row, col: &str) -> Result<Option<i32>>;
    fn opt_float(r: &Self::Row, col: &str) -> Result<Option<f64>>;
    fn flag(r: &Self::Row, col: &str) -> Result<bool>;
    fn bytes(r: &Self::Row, col: &str) -> Result<Vec<u8>>;
    fn opt_bytes(r: &Self::Row, col: &str) -> Result<Option<Vec<u8>>>;
}

impl<DB> Sql for DB
where
    DB: Times,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'a> &'a str: ColumnIndex<DB::Row>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB>,
    for<'q> i32: Decode<'q, DB> + Type<DB>,
    for<'q> Option<i32>: Encode<'q, DB> + Decode<'q, DB>,
    for<'q> f64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<f64>: Encode<'q, DB> + Decode<'q, DB>,
    for<'q> Vec<u8>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<Vec<u8>>: Encode<'q, DB> + Decode<'q, DB>,
{
    fn rows<'e>(
        conn: &'e mut Self::Connection,
        sql: String,
        args: Vec<Arg>,
    ) -> BoxFuture<'e, Result<Vec<Self::Row>>> {
        Box::pin(async move {
            let mut q = sqlx::query::<DB>(&sql);
            for a in args {
                q = match a {
                    Arg::Text(v) => q.bind(v),
                    Arg::Bool(v) => q.bind(v),
                    Arg::Int(v) => q.bind(v),
                    Arg::Float(v) => q.bind(v),
                    Arg::OptText(v) => q.bind(v),
                    Arg::OptInt(v) => q.bind(v),
                    Arg::OptInt32(v) => q.bind(v),
                    Arg::OptFloat(v) => q.bind(v),
                    Arg::Bytes(v) => q.bind(v),
                    Arg::OptBytes(v) => q.bind(v),
                    Arg::Time(t) => DB::bind_time(q, t),
                };
            }
            Ok(conn.fetch_all(q).await?)
        })
    }
    fn text(r: &Self::Row, col: &str) -> Result<String> {
        r.try_get(col).map_err(SqlError::read(col))
    }
    fn opt_text(r: &Self::Row, col: &str) -> Result<Option<String>> {
        r.try_get(col).map_err(SqlError::read(col))
    }
    fn int(r: &Self::Row, col: &str) -> Result<i64> {
        r.try_get(col).map_err(SqlError::read(col))
    }
    fn opt_int(r: &Self::Row, col: &str) -> Result<Option<i64>> {
        r.try_get(col).map_err(SqlError::read(col))
    }
    fn int32(r: &Self::Row, col: &str) -> Result<i32> {
        r.try_get(col).map_err(SqlError::read(col))
    }
    fn opt_int32(r: &Self::Row, col: &str) -> Result<Option<i32>> {
        r.try_get(col).map_err(SqlError::read(col))
    }
    fn opt_float(r: &Self::Row, col: &str) -> Result<Option<f64>> {
        r.try_get(col).map_err(SqlError::read(col))
    }
    fn flag(r: &Self::Row, col: &str) -> Result<bool> {
        r.try_get(col).map_err(SqlError::read(col))
    }
    fn bytes(r: &Self::Row, col: &str) -> Result<Vec<u8>> {
        r.try_get(col).map_err(SqlError::read(col))
    }
    fn opt_bytes(r: &Self::Row, col: &str) -> Result<Option<Vec<u8>>> {
        r.try_get(col).map_err(SqlError::read(col))
    }
}

/// A connection of a backend's database.
pub type Conn<B> = <<B as CaseBackend>::DB as Database>::Connection;

/// What a backend's case tables do differently.
pub trait CaseBackend: Send + Sync + 'static {
    type DB: Sql;
    /// Placeholders and the bbox filter.
    const DIALECT: Dialect;
    /// A point, as the `onemap_cases` columns it is stored in and their values.
    fn location(w: &mut Where, p: Option<Point>) -> Vec<(&'static str, String)>;
    /// How the location is selected, as columns `lon` and `lat`.
    const LON_LAT: &'static str;
    /// A JSON value bound at `mark`, as its column takes it.
    fn json_in(mark: String) -> String;
    /// A JSON column selected as text, named as itself.
    fn json_out(col: &str) -> String;
    /// The write time of a statement in the transaction that began at `now`.
    fn now(w: &mut Where, now: DateTime<Utc>) -> String;
    /// A statement making the reads of one transaction see one snapshot, if they need one.
    const SNAPSHOT: Option<&'static str>;
    /// The primary.
    fn pool(&self) -> &Pool<Self::DB>;
    /// Where lists and counts read (a fenced standby where there is one).
    fn read_pool(&self) -> BoxFuture<'_, &Pool<Self::DB>> {
        Box::pin(async { self.pool() })
    }
    /// Inserts a feature in the caller's transaction, as [`onemap_spatial::Store::insert`] does.
    fn insert_feature(
        &self,
        conn: &mut Conn<Self>,
        def: &LayerDef,
        draft: Draft,
    ) -> impl Future<Output = Inserted> + Send;
    /// Appends a step's events to `onemap_case_events`, the last statements before commit,
    /// so that event ids grow in commit order.
    fn append_events(conn: &mut Conn<Self>, e: Events) -> impl Future<Output = Result<()>> + Send;
}

/// A feature inserted for a case, or why not.
pub type Inserted = std::result::Result<Feature, StoreError>;

/// A step's events, for [`CaseBackend::append_events`].
pub struct Events {
    pub case_id: i64,
    pub list: Vec<NewEvent>,
    /// The step's time.
    pub at: DateTime<Utc>,
}

/// The shared [`CaseStore`] over a backend.
pub struct SqlCases<B>(pub B);

/// The step's columns and their values, arguments added to `w`.
fn field_values<B: CaseBackend>(w: &mut Where, f: CaseFields) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("state", w.arg(Arg::Text(f.state))),
        ("district_code", w.arg(Arg::Text(f.district_code))),
        ("township_code", w.arg(Arg::OptText(f.township_code))),
        ("level", w.arg(Arg::Text(f.level))),
        ("overdue", w.arg(Arg::Bool(f.overdue))),
        ("urge_count", w.arg(Arg::Int(f.urge_count))),
    ];
    v.extend(B::location(w, f.location));
    v.push(("next_due_at", w.arg(Arg::Time(f.next_due_at))));
    v.push(("engine", B::json_in(w.arg(Arg::Text(f.engine.to_string())))));
    v
}

fn case_columns<B: CaseBackend>() -> String {
    format!(
        "id, workflow, version, feature_collection, feature_id, state, district_code, \
         township_code, level, overdue, urge_count, {}, next_due_at, {}, created_at, updated_at",
        B::LON_LAT,
        B::json_out("engine")
    )
}

const META_COLUMNS: &str = "id, case_id, seq, filename, content_type, size, \
    thumbnail IS NOT NULL AS has_thumbnail, created_at";

fn time<DB: Sql>(r: &DB::Row, col: &str) -> Result<DateTime<Utc>> {
    DB::time(r, col)?.ok_or_else(|| SqlError::Invalid(format!("`{col}` is NULL")))
}

fn json<DB: Sql>(r: &DB::Row, col: &str) -> Result<Value> {
    Ok(serde_json::from_str(&DB::text(r, col)?)?)
}

fn row_to_case<DB: Sql>(r: &DB::Row) -> Result<Case> {
    let feature = match (
        DB::opt_text(r, "feature_collection")?,
        DB::opt_int(r, "feature_id")?,
    ) {
        (Some(collection), Some(id)) => Some(FeatureRef { collection, id }),
        _ => None,
    };
    let location = match (DB::opt_float(r, "lon")?, DB::opt_float(r, "lat")?) {
        (Some(x), Some(y)) => Some(Point::new(x, y)),
        _ => None,
    };
    Ok(Case {
        id: DB::int(r, "id")?,
        workflow: DB::text(r, "workflow")?,
        version: DB::int(r, "version")?,
        feature,
        fields: CaseFields {
            state: DB::text(r, "state")?,
            district_code: DB::text(r, "district_code")?,
            township_code: DB::opt_text(r, "township_code")?,
            level: DB::text(r, "level")?,
            overdue: DB::flag(r, "overdue")?,
            urge_count: DB::int(r, "urge_count")?,
            location,
            next_due_at: DB::time(r, "next_due_at")?,
            engine: json::<DB>(r, "engine")?,
        },
        created_at: time::<DB>(r, "created_at")?,
        updated_at: time::<DB>(r, "updated_at")?,
    })
}

fn row_to_meta<DB: Sql>(r: &DB::Row) -> Result<AttachmentMeta> {
    Ok(AttachmentMeta {
        id: DB::int(r, "id")?,
        case_id: DB::int(r, "case_id")?,
        seq: DB::int(r, "seq")?,
        filename: DB::text(r, "filename")?,
        content_type: DB::text(r, "content_type")?,
        size: DB::int(r, "size")?,
        has_thumbnail: DB::flag(r, "has_thumbnail")?,
        created_at: time::<DB>(r, "created_at")?,
    })
}

fn row_to_history<DB: Sql>(r: &DB::Row) -> Result<HistoryRecord> {
    let fields = match json::<DB>(r, "fields")? {
        Value::Object(m) => m,
        v => {
            return Err(SqlError::Invalid(format!(
                "history fields are not an object: {v}"
            )));
        }
    };
    Ok(HistoryRecord {
        seq: DB::int(r, "seq")?,
        entry: Entry {
            at: time::<DB>(r, "at")?,
            user: DB::text(r, "username")?,
            role: DB::text(r, "role")?,
            level: DB::text(r, "level")?,
            action: DB::text(r, "action")?,
            from_state: DB::opt_text(r, "from_state")?,
            to_state: DB::text(r, "to_state")?,
            fields,
            comment: DB::opt_text(r, "comment")?,
        },
    })
}

fn row_to_event<DB: Sql>(r: &DB::Row) -> Result<CaseEvent> {
    Ok(CaseEvent {
        id: DB::int(r, "id")?,
        at: time::<DB>(r, "at")?,
        kind: DB::text(r, "kind")?,
        case_id: DB::int(r, "case_id")?,
        payload: json::<DB>(r, "payload")?,
    })
}

fn row_to_delivery<DB: Sql>(r: &DB::Row) -> Result<Delivery> {
    Ok(Delivery {
        event_id: DB::int(r, "event_id")?,
        url: DB::text(r, "url")?,
        attempt: DB::int32(r, "attempt")?,
        status_code: DB::opt_int32(r, "status_code")?,
        error: DB::opt_text(r, "error")?,
        at: time::<DB>(r, "at")?,
        delivered: DB::flag(r, "delivered")?,
    })
}

/// A database's or the shared code's error, for [`CaseError`]'s callers.
fn store(e: impl Into<SqlError>) -> StoreError {
    e.into().into()
}

fn rows_to<DB: Sql, T>(rows: Vec<DB::Row>, f: fn(&DB::Row) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}

/// `INSERT INTO table (columns) VALUES (values)`.
fn insert_sql(table: &str, cols: &[(&str, String)]) -> String {
    let (names, values): (Vec<&str>, Vec<&str>) =
        cols.iter().map(|(c, v)| (*c, v.as_str())).unzip();
    format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        names.join(", "),
        values.join(", ")
    )
}

impl<B: CaseBackend> SqlCases<B> {
    async fn pooled(&self) -> Result<sqlx::pool::PoolConnection<B::DB>> {
        Ok(self.0.pool().acquire().await?)
    }

    /// Inserts a case row and its first step; returns the id.
    async fn insert_case(conn: &mut Conn<B>, new: NewCase) -> Result<i64, StoreError> {
        new.step.check()?;
        let now = Utc::now();
        let mut w = Where::new(B::DIALECT);
        let mut cols = vec![
            ("workflow", w.arg(Arg::Text(new.workflow))),
            ("version", w.arg(Arg::Int(new.step.history.len() as i64))),
        ];
        let (collection, id) = new.feature.map(|f| (f.collection, f.id)).unzip();
        cols.push(("feature_collection", w.arg(Arg::OptText(collection))));
        cols.push(("feature_id", w.arg(Arg::OptInt(id))));
        cols.push(("created_at", B::now(&mut w, now)));
        cols.push(("updated_at", B::now(&mut w, now)));
        let Step {
            fields,
            history,
            attachments,
            events,
        } = new.step;
        cols.extend(field_values::<B>(&mut w, fields));
        let sql = format!("{} RETURNING id", insert_sql("onemap_cases", &cols));
        let rows = B::DB::rows(conn, sql, w.args).await?;
        let id = rows
            .first()
            .map(|r| B::DB::int(r, "id"))
            .transpose()?
            .ok_or_else(|| SqlError::Invalid("INSERT … RETURNING returned no row".into()))?;
        Self::append(conn, id, 0, (history, attachments, events), now).await?;
        Ok(id)
    }

    /// Appends a step's history entries (from version `base + 1`), attachments and events.
    async fn append(
        conn: &mut Conn<B>,
        case_id: i64,
        base: i64,
        (history, attachments, events): (Vec<Entry>, Vec<NewAttachment>, Vec<NewEvent>),
        now: DateTime<Utc>,
    ) -> Result<()> {
        for (i, e) in history.into_iter().enumerate() {
            let mut w = Where::new(B::DIALECT);
            let cols = [
                ("case_id", w.arg(Arg::Int(case_id))),
                ("seq", w.arg(Arg::Int(base + 1 + i as i64))),
                ("at", w.arg(Arg::Time(Some(e.at)))),
                ("username", w.arg(Arg::Text(e.user))),
                ("role", w.arg(Arg::Text(e.role))),
                ("level", w.arg(Arg::Text(e.level))),
                ("action", w.arg(Arg::Text(e.action))),
                ("from_state", w.arg(Arg::OptText(e.from_state))),
                ("to_state", w.arg(Arg::Text(e.to_state))),
                (
                    "fields",
                    B::json_in(w.arg(Arg::Text(Value::Object(e.fields).to_string()))),
                ),
                ("comment", w.arg(Arg::OptText(e.comment))),
            ];
            B::DB::rows(conn, insert_sql("onemap_case_history", &cols), w.args).await?;
        }
        for a in attachments {
            let mut w = Where::new(B::DIALECT);
            let cols = [
                ("case_id", w.arg(Arg::Int(case_id))),
                ("seq", w.arg(Arg::Int(base + 1 + a.entry as i64))),
                ("filename", w.arg(Arg::Text(a.filename))),
                ("content_type", w.arg(Arg::Text(a.content_type))),
                ("size", w.arg(Arg::Int(a.size))),
                ("created_at", B::now(&mut w, now)),
                ("data", w.arg(Arg::Bytes(a.data))),
                ("thumbnail", w.arg(Arg::OptBytes(a.thumbnail))),
            ];
            B::DB::rows(conn, insert_sql("onemap_case_attachments", &cols), w.args).await?;
        }
        if !events.is_empty() {
            let e = Events {
                case_id,
                list: events,
                at: now,
            };
            B::append_events(conn, e).await?;
        }
        Ok(())
    }

    /// Cases matching `sql` (a statement selecting `case_columns`).
    async fn cases(conn: &mut Conn<B>, sql: String, args: Vec<Arg>) -> Result<Vec<Case>> {
        rows_to::<B::DB, _>(B::DB::rows(conn, sql, args).await?, row_to_case::<B::DB>)
    }

    async fn read(&self) -> Result<sqlx::pool::PoolConnection<B::DB>> {
        Ok(self.0.read_pool().await.acquire().await?)
    }
}

#[async_trait]
impl<B: CaseBackend> CaseStore for SqlCases<B> {
    async fn create_case(&self, new: NewCase) -> Result<i64, StoreError> {
        let mut tx = self.0.pool().begin().await.map_err(SqlError::from)?;
        let id = Self::insert_case(&mut *tx, new).await?;
        tx.commit().await.map_err(SqlError::from)?;
        Ok(id)
    }

    async fn create_case_with_feature(
        &self,
        def: &LayerDef,
        draft: Draft,
        mut new: NewCase,
    ) -> Result<(Feature, i64), StoreError> {
        let mut tx = self.0.pool().begin().await.map_err(SqlError::from)?;
        let feature = self.0.insert_feature(&mut *tx, def, draft).await?;
        new.feature = Some(FeatureRef {
            collection: def.id.clone(),
            id: feature.id,
        });
        let id = Self::insert_case(&mut *tx, new).await?;
        tx.commit().await.map_err(SqlError::from)?;
        Ok((feature, id))
    }

    async fn apply(&self, id: i64, expected_version: i64, step: Step) -> Result<i64, CaseError> {
        step.check()?;
        let version = expected_version + step.history.len() as i64;
        let now = Utc::now();
        let mut tx = self.0.pool().begin().await.map_err(store)?;
        let mut w = Where::new(B::DIALECT);
        let mut sets = vec![
            ("version", w.arg(Arg::Int(version))),
            ("updated_at", B::now(&mut w, now)),
        ];
        let Step {
            fields,
            history,
            attachments,
            events,
        } = step;
        sets.extend(field_values::<B>(&mut w, fields));
        let sets: Vec<String> = sets.iter().map(|(c, v)| format!("{c} = {v}")).collect();
        let (i, v) = (w.arg(Arg::Int(id)), w.arg(Arg::Int(expected_version)));
        let sql = format!(
            "UPDATE onemap_cases SET {} WHERE id = {i} AND version = {v} RETURNING id",
            sets.join(", ")
        );
        let done = B::DB::rows(&mut *tx, sql, w.args).await.map_err(store)?;
        if done.is_empty() {
            let mut w = Where::new(B::DIALECT);
            let sql = format!(
                "SELECT version FROM onemap_cases WHERE id = {}",
                w.arg(Arg::Int(id))
            );
            let rows = B::DB::rows(&mut *tx, sql, w.args).await.map_err(store)?;
            return Err(match rows.first() {
                None => CaseError::NotFound(id),
                Some(r) => CaseError::Conflict {
                    id,
                    expected: expected_version,
                    current_version: B::DB::int(r, "version").map_err(store)?,
                },
            });
        }
        Self::append(
            &mut *tx,
            id,
            expected_version,
            (history, attachments, events),
            now,
        )
        .await
        .map_err(store)?;
        tx.commit().await.map_err(store)?;
        Ok(version)
    }

    async fn get_case(&self, id: i64) -> Result<Option<CaseDetail>, StoreError> {
        // One read transaction: the case, its history and files from the same snapshot.
        let mut tx = self.0.pool().begin().await.map_err(SqlError::from)?;
        if let Some(sql) = B::SNAPSHOT {
            B::DB::rows(&mut *tx, sql.into(), Vec::new()).await?;
        }
        let mut w = Where::new(B::DIALECT);
        let sql = format!(
            "SELECT {} FROM onemap_cases WHERE id = {}",
            case_columns::<B>(),
            w.arg(Arg::Int(id))
        );
        let Some(case) = Self::cases(&mut *tx, sql, w.args).await?.pop() else {
            return Ok(None);
        };
        let mut w = Where::new(B::DIALECT);
        let sql = format!(
            "SELECT seq, at, username, role, level, action, from_state, to_state, {}, comment
             FROM onemap_case_history WHERE case_id = {} ORDER BY seq",
            B::json_out("fields"),
            w.arg(Arg::Int(id))
        );
        let rows = B::DB::rows(&mut *tx, sql, w.args).await?;
        let history = rows_to::<B::DB, _>(rows, row_to_history::<B::DB>)?;
        let mut w = Where::new(B::DIALECT);
        let sql = format!(
            "SELECT {META_COLUMNS} FROM onemap_case_attachments WHERE case_id = {} ORDER BY id",
            w.arg(Arg::Int(id))
        );
        let rows = B::DB::rows(&mut *tx, sql, w.args).await?;
        let attachments = rows_to::<B::DB, _>(rows, row_to_meta::<B::DB>)?;
        Ok(Some(CaseDetail {
            case,
            history,
            attachments,
        }))
    }

    async fn attachment(&self, id: i64) -> Result<Option<AttachmentData>, StoreError> {
        let mut w = Where::new(B::DIALECT);
        let sql = format!(
            "SELECT {META_COLUMNS}, data, thumbnail FROM onemap_case_attachments WHERE id = {}",
            w.arg(Arg::Int(id))
        );
        let rows = B::DB::rows(&mut *self.pooled().await?, sql, w.args).await?;
        let data = |r: &<B::DB as Database>::Row| -> Result<AttachmentData> {
            Ok(AttachmentData {
                meta: row_to_meta::<B::DB>(r)?,
                data: B::DB::bytes(r, "data")?,
                thumbnail: B::DB::opt_bytes(r, "thumbnail")?,
            })
        };
        Ok(rows.first().map(data).transpose()?)
    }

    async fn list_cases(
        &self,
        filter: &CaseFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Case>, StoreError> {
        let mut w = where_sql(filter, B::DIALECT);
        let (l, o) = (w.arg(Arg::Int(limit)), w.arg(Arg::Int(offset)));
        let sql = format!(
            "SELECT {} FROM onemap_cases{} ORDER BY id DESC LIMIT {l} OFFSET {o}",
            case_columns::<B>(),
            w.sql()
        );
        Ok(Self::cases(&mut *self.read().await?, sql, w.args).await?)
    }

    async fn count_by(
        &self,
        dim: Dimension,
        filter: &CaseFilter,
    ) -> Result<Vec<Count>, StoreError> {
        let w = where_sql(filter, B::DIALECT);
        let c = dim.column();
        let sql = format!(
            "SELECT {c} AS key, count(*) AS total, count(*) FILTER (WHERE overdue) AS overdue \
             FROM onemap_cases{} GROUP BY {c} ORDER BY {c} NULLS FIRST",
            w.sql()
        );
        let rows = B::DB::rows(&mut *self.read().await?, sql, w.args).await?;
        let count = |r: &<B::DB as Database>::Row| -> Result<Count> {
            Ok(Count {
                key: B::DB::opt_text(r, "key")?,
                total: B::DB::int(r, "total")?,
                overdue: B::DB::int(r, "overdue")?,
            })
        };
        Ok(rows.iter().map(count).collect::<Result<_>>()?)
    }

    async fn due_cases(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<Case>, StoreError> {
        let mut w = Where::new(B::DIALECT);
        let (n, l) = (w.arg(Arg::Time(Some(now))), w.arg(Arg::Int(limit)));
        let sql = format!(
            "SELECT {} FROM onemap_cases WHERE next_due_at <= {n} \
             ORDER BY next_due_at, id LIMIT {l}",
            case_columns::<B>()
        );
        Ok(Self::cases(&mut *self.pooled().await?, sql, w.args).await?)
    }

    async fn last_event_id(&self) -> Result<i64, StoreError> {
        let sql = "SELECT coalesce(max(id), 0) AS id FROM onemap_case_events".to_string();
        let rows = B::DB::rows(&mut *self.pooled().await?, sql, Vec::new()).await?;
        let first = rows
            .first()
            .ok_or_else(|| SqlError::Invalid("no max(id)".into()))?;
        Ok(B::DB::int(first, "id")?)
    }

    async fn events_after(&self, after: i64, limit: i64) -> Result<Vec<CaseEvent>, StoreError> {
        let mut w = Where::new(B::DIALECT);
        let (a, l) = (w.arg(Arg::Int(after)), w.arg(Arg::Int(limit)));
        let sql = format!(
            "SELECT id, at, kind, case_id, {} FROM onemap_case_events
             WHERE id > {a} ORDER BY id LIMIT {l}",
            B::json_out("payload")
        );
        let rows = B::DB::rows(&mut *self.pooled().await?, sql, w.args).await?;
        Ok(rows_to::<B::DB, _>(rows, row_to_event::<B::DB>)?)
    }

    async fn record_delivery(&self, d: &Delivery) -> Result<(), StoreError> {
        let mut w = Where::new(B::DIALECT);
        let cols = [
            ("event_id", w.arg(Arg::Int(d.event_id))),
            ("url", w.arg(Arg::Text(d.url.clone()))),
            ("attempt", w.arg(Arg::OptInt32(Some(d.attempt)))),
            ("status_code", w.arg(Arg::OptInt32(d.status_code))),
            ("error", w.arg(Arg::OptText(d.error.clone()))),
            ("at", w.arg(Arg::Time(Some(d.at)))),
            ("delivered", w.arg(Arg::Bool(d.delivered))),
        ];
        let sql = insert_sql("onemap_webhook_deliveries", &cols);
        B::DB::rows(&mut *self.pooled().await?, sql, w.args).await?;
        Ok(())
    }

    async fn deliveries(&self, event_id: i64) -> Result<Vec<Delivery>, StoreError> {
        let mut w = Where::new(B::DIALECT);
        let sql = format!(
            "SELECT event_id, url, attempt, status_code, error, at, delivered
             FROM onemap_webhook_deliveries WHERE event_id = {} ORDER BY id",
            w.arg(Arg::Int(event_id))
        );
        let rows = B::DB::rows(&mut *self.pooled().await?, sql, w.args).await?;
        Ok(rows_to::<B::DB, _>(rows, row_to_delivery::<B::DB>)?)
    }
}
