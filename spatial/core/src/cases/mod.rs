//! Durable storage of enforcement cases (issue #7), the same on both store backends.
//!
//! The workflow engine (`onemap-workflow`) is pure; this module only persists what it
//! decides. A case's engine state travels as opaque JSON ([`CaseFields::engine`]) next to
//! the few columns that are filtered, counted, mapped or scheduled on, so the engine can
//! change its state layout without a schema migration here.
//!
//! # Tables (both backends, prefixed `onemap_` like the other fixed tables)
//!
//! * `onemap_cases`: one row per case, `version` for optimistic locking. Every write is
//!   `UPDATE … WHERE id = ? AND version = ?` in SQL, so of two writers (two tasks, or two
//!   server instances sharing PostGIS) exactly one wins and the other gets
//!   [`CaseError::Conflict`]. `next_due_at` is indexed for the scheduler's
//!   [`CaseStore::due_cases`]. The pending timers live in the engine state, so firing one is
//!   a versioned write like any action: exactly once, across restarts and instances.
//! * `onemap_case_history`: append-only, keyed `(case_id, seq)`, where `seq` is the case
//!   version the entry produced. A database trigger refuses UPDATE and DELETE, so the
//!   record stands even against hand-written SQL.
//! * `onemap_case_attachments`: files with their entry; the bytes are a separate column
//!   read only by [`CaseStore::attachment`].
//! * `onemap_case_events`: the outbox that server-sent events and webhooks are fed from.
//!   Ids grow in commit order (see the backends), so `events_after(last_seen)` is a cursor
//!   that misses nothing; `onemap_webhook_deliveries` logs each delivery attempt.
//!
//! Times are stored to the microsecond, in UTC.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use geo::{Point, Rect};
use serde_json::{Map, Value};

use crate::feature::{Draft, Feature};
use crate::schema::LayerDef;
use crate::store::StoreError;

/// A feature a case hangs off: layer (collection) id and feature id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FeatureRef {
    pub collection: String,
    pub id: i64,
}

/// The columns of a case that a step may change, and the engine state they derive from.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFields {
    pub state: String,
    pub district_code: String,
    pub township_code: Option<String>,
    /// The level responsible now (`township`, `district`, `city`).
    pub level: String,
    pub overdue: bool,
    /// How often the case was urged (催办), for statistics.
    pub urge_count: i64,
    /// Where the case shows on the `cases` map layer (CGCS2000 lon/lat), if anywhere.
    pub location: Option<Point<f64>>,
    /// The earliest pending timer: when the scheduler must next look at the case.
    pub next_due_at: Option<DateTime<Utc>>,
    /// The full engine state.
    pub engine: Value,
}

/// One history entry: an action or a system event (deadline, reminder).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub user: String,
    pub role: String,
    pub level: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub fields: Map<String, Value>,
    pub comment: Option<String>,
}

/// A stored history entry; `seq` is the case version it produced (1 for the creation).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRecord {
    pub seq: i64,
    pub entry: Entry,
}

/// A file to store with a step. Image processing (compression, thumbnail) is the caller's.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAttachment {
    /// Index into [`Step::history`] of the entry the file belongs to.
    pub entry: usize,
    pub filename: String,
    pub content_type: String,
    /// Size of the original upload, in bytes.
    pub size: i64,
    /// The stored (compressed) copy.
    pub data: Vec<u8>,
    pub thumbnail: Option<Vec<u8>>,
}

/// An attachment without its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentMeta {
    pub id: i64,
    pub case_id: i64,
    /// The history entry it belongs to.
    pub seq: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub has_thumbnail: bool,
    pub created_at: DateTime<Utc>,
}

/// An attachment with its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentData {
    pub meta: AttachmentMeta,
    pub data: Vec<u8>,
    pub thumbnail: Option<Vec<u8>>,
}

/// A notification to queue in the outbox with a step.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub kind: String,
    pub payload: Value,
}

/// A queued notification; `id` is the cursor for [`CaseStore::events_after`].
#[derive(Debug, Clone, PartialEq)]
pub struct CaseEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub case_id: i64,
    pub payload: Value,
}

/// One webhook delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub event_id: i64,
    pub url: String,
    pub attempt: i32,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub at: DateTime<Utc>,
    pub delivered: bool,
}

/// What one write of a case stores: the new columns, the history entries it appends
/// (one per engine step, at least one: firing several overdue timers at once is several
/// steps), their attachments and the notifications to send. The case's version grows by
/// one per entry, like the engine's.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub fields: CaseFields,
    pub history: Vec<Entry>,
    pub attachments: Vec<NewAttachment>,
    pub events: Vec<NewEvent>,
}

impl Step {
    /// Refuses a step the tables could not represent: no entry, or a file for no entry.
    pub fn check(&self) -> Result<(), StoreError> {
        if self.history.is_empty() {
            return Err(StoreError::Refused(
                "a case step needs at least one history entry".into(),
            ));
        }
        if let Some(a) = self
            .attachments
            .iter()
            .find(|a| a.entry >= self.history.len())
        {
            return Err(StoreError::Refused(format!(
                "attachment `{}` refers to entry {} of {}",
                a.filename,
                a.entry,
                self.history.len()
            )));
        }
        Ok(())
    }
}

/// A case to create: its workflow, the feature it hangs off, and its first step.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    pub workflow: String,
    /// Set by [`CaseStore::create_case_with_feature`] to the feature it creates.
    pub feature: Option<FeatureRef>,
    pub step: Step,
}

/// A stored case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub id: i64,
    pub workflow: String,
    pub version: i64,
    pub feature: Option<FeatureRef>,
    pub fields: CaseFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A case with its whole history and its attachments' metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseDetail {
    pub case: Case,
    /// In `seq` order.
    pub history: Vec<HistoryRecord>,
    /// In id order.
    pub attachments: Vec<AttachmentMeta>,
}

/// Which cases to list or count; every set field must match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseFilter {
    pub workflow: Option<String>,
    pub state: Option<String>,
    pub overdue: Option<bool>,
    pub district_code: Option<String>,
    pub township_code: Option<String>,
    /// Cases whose location lies in the rectangle (edges included).
    pub bbox: Option<Rect<f64>>,
    pub feature: Option<FeatureRef>,
}

/// What [`CaseStore::count_by`] groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    District,
    Township,
    State,
    Workflow,
}

impl Dimension {
    /// The `onemap_cases` column counted by.
    pub fn column(self) -> &'static str {
        match self {
            Dimension::District => "district_code",
            Dimension::Township => "township_code",
            Dimension::State => "state",
            Dimension::Workflow => "workflow",
        }
    }
}

/// One group of [`CaseStore::count_by`]; `key` is None for cases without a township.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub key: Option<String>,
    pub total: i64,
    pub overdue: i64,
}

/// Why [`CaseStore::apply`] refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("case {0} not found")]
    NotFound(i64),
    /// Someone else wrote the case since the caller read it (HTTP 409).
    #[error("case {id} is at version {current_version}, not {expected}")]
    Conflict {
        id: i64,
        expected: i64,
        current_version: i64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Case storage, implemented by both store backends; every write is one transaction.
#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Stores a case at version `step.history.len()` with its entries, files and events.
    async fn create_case(&self, new: NewCase) -> Result<i64, StoreError>;

    /// Inserts the feature (as [`crate::Store::insert`] does) and a case hanging off it in
    /// one transaction: both or neither. Returns the feature and the case id.
    async fn create_case_with_feature(
        &self,
        def: &LayerDef,
        draft: Draft,
        new: NewCase,
    ) -> Result<(Feature, i64), StoreError>;

    /// Writes a step if the case is still at `expected_version`; returns the new version.
    async fn apply(&self, id: i64, expected_version: i64, step: Step) -> Result<i64, CaseError>;

    /// A case with its history and attachment metadata, or None.
    async fn get_case(&self, id: i64) -> Result<Option<CaseDetail>, StoreError>;

    /// An attachment's bytes, or None.
    async fn attachment(&self, id: i64) -> Result<Option<AttachmentData>, StoreError>;

    /// Matching cases, newest first.
    async fn list_cases(
        &self,
        filter: &CaseFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Case>, StoreError>;

    /// Matching cases counted by `dim`, with how many are overdue, in key order (None first).
    async fn count_by(&self, dim: Dimension, filter: &CaseFilter)
    -> Result<Vec<Count>, StoreError>;

    /// Cases with a timer due at or before `now`, earliest first.
    async fn due_cases(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<Case>, StoreError>;

    /// The newest event's id (0 when none): where a new subscriber starts.
    async fn last_event_id(&self) -> Result<i64, StoreError>;

    /// Events with an id above `after`, in id order (= commit order), at most `limit`.
    async fn events_after(&self, after: i64, limit: i64) -> Result<Vec<CaseEvent>, StoreError>;

    /// Logs a webhook delivery attempt.
    async fn record_delivery(&self, d: &Delivery) -> Result<(), StoreError>;

    /// The delivery attempts of an event, in the order they were logged.
    async fn deliveries(&self, event_id: i64) -> Result<Vec<Delivery>, StoreError>;
}
