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
    /// User id, as recorded in the history.
    pub user: String,
    /// Role id from `roles.yaml` (`system` for timers).
    pub role: String,
    /// The level the actor acts at.
    pub level: Level,
    /// 6-digit district code of a district or township actor; `None` city-wide.
    pub district_code: Option<String>,
    /// 9-digit township code of a township actor.
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
    /// 6-digit district code of the case's location.
    pub district_code: String,
    /// 9-digit township code, when known; township jurisdiction needs it.
    pub township_code: Option<String>,
    /// The level first responsible for the case.
    pub level: Level,
}

/// The durable part of a case: the store persists it whole, keyed by case id, and
/// replaces it only if `version` is still the one it read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseState {
    /// Id of the workflow the case follows.
    pub workflow: String,
    /// Id of the current state.
    pub state: String,
    /// 1 after creation, +1 on every step (action or timer).
    pub version: u64,
    /// 6-digit district code, fixed at creation.
    pub district_code: String,
    /// 9-digit township code, fixed at creation.
    pub township_code: Option<String>,
    /// The level currently responsible for the case; escalation raises it.
    pub level: Level,
    /// How many times the case has been escalated.
    pub escalations: u32,
    /// Every counter the workflow declares, starting at 0.
    pub counters: BTreeMap<String, u64>,
    /// Set by a deadline's `mark_overdue`; cleared when the deadline is reset or extended.
    pub overdue: bool,
    /// The running deadline, if any.
    pub due: Option<Due>,
    /// Absolute reminders not yet fired, in time order.
    pub reminders: Vec<Reminder>,
    /// When the creating action was taken.
    pub created_at: DateTime<Utc>,
    /// When the case entered its current state.
    pub entered_at: DateTime<Utc>,
}

/// A deadline: when it falls due and which state's rule (`on_due`) applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    /// When it falls due.
    pub at: DateTime<Utc>,
    /// Id of the state whose `deadline` rule set it.
    pub state: String,
    /// Set when its effects have been applied; the time stays for display.
    pub fired: bool,
}

/// An absolute reminder set by an action's `sets_reminder` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    /// When it fires; in the future when set.
    pub at: DateTime<Utc>,
    /// The comment of the action that set it.
    pub note: Option<String>,
    /// User id of the actor who set it.
    pub set_by: String,
}

/// What a timer does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    /// The running [`Due`]: applies its state's `on_due` effects.
    Deadline,
    /// A [`Reminder`]: adds a reminder entry to the history.
    Reminder,
}

/// A pending timer, for the scheduler's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    /// When it fires.
    pub at: DateTime<Utc>,
    /// Which of the case's pending items it is.
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

    /// The value of counter `name`; 0 for one never incremented or not declared.
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
    /// Any other action taken by an actor.
    Action,
    /// A deadline fell due; `fields.effects` lists what it did.
    Deadline,
    /// An absolute reminder fired.
    Reminder,
}

/// One append-only history record; `version` is the case version it produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The case version this step produced (1 for the creation).
    pub version: u64,
    /// When the step was taken (the `now` the caller passed).
    pub at: DateTime<Utc>,
    /// The actor's user id (`system` for timers).
    pub user: String,
    /// The actor's role.
    pub role: String,
    /// The level the actor acted at.
    pub level: Level,
    /// What kind of step it was.
    pub kind: EntryKind,
    /// The action id, or `deadline` / `reminder` for timers.
    pub action: String,
    /// The state before the step; `None` for the creation.
    pub from: Option<String>,
    /// The state after the step (equal to `from` for an action that stays).
    pub to: String,
    /// The fields submitted with the action, as checked against its form; for a timer,
    /// what it did.
    pub fields: Map<String, Value>,
    /// The actor's free-text comment.
    pub comment: Option<String>,
}

/// The result of one step: the store writes `case` (if the version it read is still
/// current) and appends `entry` in one transaction, then replaces the case's
/// scheduled timers with `timers`.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The case after the step, `version` already incremented.
    pub case: CaseState,
    /// The history record of the step.
    pub entry: HistoryEntry,
    /// The case's pending timers after the step, earliest first.
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
