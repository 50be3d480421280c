//! The durable state of a case and what one step produces.
//!
//! Everything the engine needs to decide the next step lives in [`CaseState`],
//! including the pending timers: a timer that has fired is marked or removed in
//! the same versioned write as its history entry, so after a restart anything
//! still pending fires once and anything already written never fires again.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::definition::Level;

/// Who takes an action. The HTTP layer converts its authenticated caller to this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user: String,
    pub role: String,
    pub level: Level,
    pub district_code: Option<String>,
    pub township_code: Option<String>,
}

impl Actor {
    /// The actor that timers act as.
    pub fn system() -> Actor {
        Actor {
            user: "system".into(),
            role: "system".into(),
            level: Level::System,
            district_code: None,
            township_code: None,
        }
    }
}

/// Where a new case belongs and who is responsible for it first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CasePlacement {
    pub district_code: String,
    pub township_code: Option<String>,
    pub level: Level,
}

/// The durable part of a case: the store persists it whole, keyed by case id, and
/// replaces it only if `version` is still the one it read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseState {
    pub workflow: String,
    pub state: String,
    /// 1 after creation, +1 on every step (action or timer).
    pub version: u64,
    pub district_code: String,
    pub township_code: Option<String>,
    /// The level currently responsible for the case; escalation raises it.
    pub level: Level,
    /// How many times the case has been escalated.
    pub escalations: u32,
    /// Every counter the workflow declares, starting at 0.
    pub counters: BTreeMap<String, u64>,
    pub overdue: bool,
    /// The running deadline, if any.
    pub due: Option<Due>,
    /// Absolute reminders not yet fired, in time order.
    pub reminders: Vec<Reminder>,
    pub created_at: DateTime<Utc>,
    /// When the case entered its current state.
    pub entered_at: DateTime<Utc>,
}

/// A deadline: when it falls due and which state's rule (`on_due`) applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    pub at: DateTime<Utc>,
    pub state: String,
    /// Set when its effects have been applied; the time stays for display.
    pub fired: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub at: DateTime<Utc>,
    pub note: Option<String>,
    pub set_by: String,
}

/// What a timer does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    Deadline,
    Reminder,
}

/// A pending timer, for the scheduler's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    pub at: DateTime<Utc>,
    pub kind: TimerKind,
}

impl CaseState {
    /// The pending timers, earliest first.
    pub fn timers(&self) -> Vec<Timer> {
        let mut out: Vec<Timer> = self
            .due
            .iter()
            .filter(|d| !d.fired)
            .map(|d| Timer {
                at: d.at,
                kind: TimerKind::Deadline,
            })
            .chain(self.reminders.iter().map(|r| Timer {
                at: r.at,
                kind: TimerKind::Reminder,
            }))
            .collect();
        out.sort_by_key(|t| t.at);
        out
    }

    /// When the scheduler next needs to look at this case.
    pub fn next_timer_at(&self) -> Option<DateTime<Utc>> {
        self.timers().first().map(|t| t.at)
    }

    pub fn counter(&self, name: &str) -> u64 {
        self.counters.get(name).copied().unwrap_or(0)
    }
}

/// The kind of a history entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// The action that created the case.
    Create,
    Action,
    /// A deadline fell due; `fields.effects` lists what it did.
    Deadline,
    /// An absolute reminder fired.
    Reminder,
}

/// One append-only history record; `version` is the case version it produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub version: u64,
    pub at: DateTime<Utc>,
    pub user: String,
    pub role: String,
    pub level: Level,
    pub kind: EntryKind,
    /// The action id, or `deadline` / `reminder` for timers.
    pub action: String,
    pub from: Option<String>,
    pub to: String,
    pub fields: Map<String, Value>,
    pub comment: Option<String>,
}

/// The result of one step: the store writes `case` (if the version it read is still
/// current) and appends `entry` in one transaction, then replaces the case's
/// scheduled timers with `timers`.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub case: CaseState,
    pub entry: HistoryEntry,
    pub timers: Vec<Timer>,
}

impl Transition {
    pub(super) fn new(case: CaseState, entry: HistoryEntry) -> Transition {
        let timers = case.timers();
        Transition {
            case,
            entry,
            timers,
        }
    }
}
