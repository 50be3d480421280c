//! The shape of a workflow definition file, as deserialised.
//!
//! Ids (states, actions, fields, counters) are plain snake_case strings so that
//! they can appear unchanged in URLs, history entries and Mermaid diagrams; the
//! [`Registry`](super::Registry) checks every cross-reference after parsing.

use serde::{Deserialize, Serialize};

/// The administrative level at which an actor acts or a case is handled.
///
/// Ordered from the bottom up, so that `Township < District < City`; `System`
/// (timers, sensors) is outside the hierarchy and sorts last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// A township office (街镇).
    Township,
    /// A district office (区).
    District,
    /// The city office (市).
    City,
    /// The server itself: timers, sensors.
    System,
}

impl Level {
    /// The level a case escalates to; `None` at the top (city) and for `System`.
    pub fn up(self) -> Option<Level> {
        match self {
            Level::Township => Some(Level::District),
            Level::District => Some(Level::City),
            Level::City | Level::System => None,
        }
    }

    /// The id used in files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Township => "township",
            Level::District => "district",
            Level::City => "city",
            Level::System => "system",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role that actions may name (`roles.yaml`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleDef {
    /// Snake_case id that actions' `roles` name.
    pub id: String,
    /// Display name, e.g. `市拆违办`.
    pub title: String,
    /// The levels at which holders of the role act.
    pub levels: Vec<Level>,
}

/// One workflow (`<id>.yaml`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowDef {
    /// Must equal the file's stem.
    pub id: String,
    /// Display name, e.g. `督查督办`.
    pub title: String,
    /// The state a new case enters; every creating action leads here.
    pub initial: String,
    /// Counters that actions may increment (e.g. `urge_count`); all start at 0.
    #[serde(default)]
    pub counters: Vec<String>,
    /// Every state, the initial one included.
    pub states: Vec<StateDef>,
    /// Every action, creating ones included.
    pub actions: Vec<ActionDef>,
}

impl WorkflowDef {
    /// The state with this id.
    pub fn state(&self, id: &str) -> Option<&StateDef> {
        self.states.iter().find(|s| s.id == id)
    }

    /// The action with this id.
    pub fn action(&self, id: &str) -> Option<&ActionDef> {
        self.actions.iter().find(|a| a.id == id)
    }
}

/// One state a case can be in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDef {
    /// Snake_case id, unique in the workflow.
    pub id: String,
    /// Display name, e.g. `办理中`.
    pub title: String,
    /// A terminal state ends the case: no actions leave it and its timers are dropped.
    #[serde(default)]
    pub terminal: bool,
    /// The register a case is archived into on entering this state (e.g. the
    /// closed-out register 销项台账); the store acts on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register: Option<String>,
    /// The time limit in this state; `None` for no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DeadlineDef>,
}

/// How long a case may stay in a state, and what happens when that time is up.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineDef {
    /// How many `unit`s.
    pub duration: u32,
    /// What `duration` counts.
    pub unit: DurationUnit,
    /// Applied in this order when the deadline falls due.
    pub on_due: Vec<DueEffect>,
}

/// What a deadline's duration counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    /// Elapsed hours, nights and holidays included.
    Hours,
    /// Days of the calendar, holidays included.
    CalendarDays,
    /// Working days of the [`Calendar`](crate::Calendar), in China Standard Time.
    WorkingDays,
}

/// One thing a deadline does when it falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueEffect {
    /// A reminder entry in the history (the notifier picks it up).
    Remind,
    /// Sets the case's overdue flag.
    MarkOverdue,
    /// Raises the responsible level one step and starts the same deadline again.
    Escalate,
}

/// Which part of the caller's jurisdiction must match the case's.
///
/// City-level and system actors cover the whole city and always pass. `District`:
/// a district or township actor must belong to the case's district. `Township`: in
/// addition, a township actor must belong to the case's township.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jurisdiction {
    /// Any actor with the role and level may act.
    #[default]
    None,
    /// The actor's district must be the case's.
    District,
    /// The actor's district, and a township actor's township, must be the case's.
    Township,
}

/// A precondition on the case besides its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Only once the deadline has passed (e.g. urging).
    Overdue,
    /// Only while the deadline has not passed (e.g. asking for an extension).
    NotOverdue,
}

/// What an action does to the case's running deadline: `keep`, `reset` or
/// `{extend_by: <field>}` in a file.
///
/// Default: a transition into another state starts that state's deadline afresh
/// (`reset`); an action that stays in the same state leaves it alone (`keep`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DeadlineChangeRepr", into = "DeadlineChangeRepr")]
pub enum DeadlineChange {
    /// The target state's deadline starts afresh (none if it has none).
    Reset,
    /// The deadline keeps running across the transition (e.g. while a request
    /// for an extension or a return is being reviewed).
    Keep,
    /// Moves the running deadline later by the number in this field, counted in
    /// the deadline's own unit, and clears the overdue flag.
    ExtendBy(String),
}

/// The file form of [`DeadlineChange`]: YAML has no plain syntax for a tagged enum
/// that mixes words and maps.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum DeadlineChangeRepr {
    Word(String),
    Extend { extend_by: String },
}

impl TryFrom<DeadlineChangeRepr> for DeadlineChange {
    type Error = String;

    fn try_from(repr: DeadlineChangeRepr) -> Result<Self, String> {
        match repr {
            DeadlineChangeRepr::Word(w) if w == "keep" => Ok(DeadlineChange::Keep),
            DeadlineChangeRepr::Word(w) if w == "reset" => Ok(DeadlineChange::Reset),
            DeadlineChangeRepr::Word(w) => Err(format!(
                "unknown deadline change `{w}`, expected keep, reset or {{extend_by: <field>}}"
            )),
            DeadlineChangeRepr::Extend { extend_by } => Ok(DeadlineChange::ExtendBy(extend_by)),
        }
    }
}

impl From<DeadlineChange> for DeadlineChangeRepr {
    fn from(change: DeadlineChange) -> Self {
        match change {
            DeadlineChange::Reset => DeadlineChangeRepr::Word("reset".into()),
            DeadlineChange::Keep => DeadlineChangeRepr::Word("keep".into()),
            DeadlineChange::ExtendBy(extend_by) => DeadlineChangeRepr::Extend { extend_by },
        }
    }
}

/// One action an actor can take on a case.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionDef {
    /// Snake_case id, unique in the workflow; the URL and history name it.
    pub id: String,
    /// Display name, e.g. `催办`.
    pub title: String,
    /// States the action may be taken in; empty for an action that creates the case.
    pub from: Vec<String>,
    /// The target state; omitted for an action that stays in the current state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Role ids that may take it.
    pub roles: Vec<String>,
    /// Levels at which those roles may take it.
    pub levels: Vec<Level>,
    /// How far the actor's area must match the case's.
    #[serde(default)]
    pub jurisdiction: Jurisdiction,
    /// Only an actor at the case's current responsible level may take it (so an
    /// escalated case moves to the desk above).
    #[serde(default)]
    pub responsible: bool,
    /// A precondition on the deadline; `None` for always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    /// The form submitted with the action.
    #[serde(default)]
    pub fields: Vec<FieldDef>,
    /// The minimum number of attachments.
    #[serde(default)]
    pub attachments: usize,
    /// Counters incremented by one each time the action is taken.
    #[serde(default)]
    pub increments: Vec<String>,
    /// What happens to the running deadline; `None` for the default (see
    /// [`DeadlineChange`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DeadlineChange>,
    /// A `datetime` field whose value is added to the case as an absolute reminder
    /// (it must be in the future; the request's comment becomes the reminder's note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sets_reminder: Option<String>,
}

impl ActionDef {
    /// Whether this action creates a case (it has no source state).
    pub fn creates(&self) -> bool {
        self.from.is_empty()
    }
}

/// One field of an action's form.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// Snake_case key in the submitted fields.
    pub name: String,
    /// Display label, e.g. `督办级别`.
    pub title: String,
    /// What values it takes (`type` in a file).
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Whether the action is refused without it; default true.
    #[serde(default = "yes")]
    pub required: bool,
    /// The allowed values of an `enum` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

fn yes() -> bool {
    true
}

/// The value type of a form field, checked when the action is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// One line of text.
    String,
    /// Free text, may span lines.
    Text,
    /// One of the field's `values`.
    Enum,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339 with an offset.
    Datetime,
    /// A JSON number.
    Number,
    /// A JSON `true` or `false`.
    Boolean,
}
