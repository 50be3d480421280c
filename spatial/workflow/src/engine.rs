//! Taking actions: permission checks, field checks and the resulting transition.
//!
//! The engine is pure: it reads a [`CaseState`] and returns the next one with its
//! history entry. The store makes a step durable by writing the new state only if
//! the version it read is still current (optimistic locking), so of two officers
//! acting at once one wins and the other gets [`ActionError::VersionConflict`].
//!
//! Suggested HTTP mapping: `VersionConflict` 409; `ForbiddenRole`,
//! `ForbiddenJurisdiction`, `NotResponsible` 403; `UnknownAction` 404; the rest 422.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::calendar::Calendar;
use super::case::{
    Actor, CasePlacement, CaseState, Due, EntryKind, HistoryEntry, Reminder, Transition,
};
use super::definition::{
    ActionDef, Condition, DeadlineChange, DurationUnit, Jurisdiction, Level, WorkflowDef,
};
use super::fields;

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActionError {
    /// The case was loaded for another workflow's engine: a caller's bug.
    #[error("case belongs to workflow `{case}`, not `{engine}`")]
    WrongWorkflow {
        /// The case's workflow id.
        case: String,
        /// The engine's workflow id.
        engine: String,
    },
    /// The caller saw an older version than the case's: someone acted in between.
    #[error("version conflict: expected {expected}, the case is at {current}")]
    VersionConflict {
        /// The version the caller sent.
        expected: u64,
        /// The case's version now.
        current: u64,
    },
    /// The workflow has no action with this id.
    #[error("unknown action `{action}`")]
    UnknownAction {
        /// The requested action id.
        action: String,
    },
    /// The action cannot be taken in the case's state, or does not create a case when
    /// one is being created.
    #[error("action `{action}` is not allowed in state `{state}`; allowed: [{}]", allowed.join(", "))]
    NotAllowedInState {
        /// The requested action id.
        action: String,
        /// The case's current state; `(new case)` when creating.
        state: String,
        /// The action ids the actor may take instead.
        allowed: Vec<String>,
    },
    /// The actor's role or level is not among the action's.
    #[error("action `{action}` is reserved to roles [{}] at levels [{}]", allowed_roles.join(", "), join(allowed_levels))]
    ForbiddenRole {
        /// The requested action id.
        action: String,
        /// The action's `roles`.
        allowed_roles: Vec<String>,
        /// The action's `levels`.
        allowed_levels: Vec<Level>,
    },
    /// The case lies outside the actor's district or township.
    #[error("action `{action}`: the case ({district_code}/{}) is outside the caller's jurisdiction", township_code.as_deref().unwrap_or("-"))]
    ForbiddenJurisdiction {
        /// The requested action id.
        action: String,
        /// The case's district code.
        district_code: String,
        /// The case's township code.
        township_code: Option<String>,
    },
    /// The action is `responsible` and the actor is not at the case's current level.
    #[error("action `{action}` is for the responsible level `{responsible}`")]
    NotResponsible {
        /// The requested action id.
        action: String,
        /// The case's current responsible level.
        responsible: Level,
    },
    /// The action's `when` does not hold (e.g. urging a case that is not overdue).
    #[error("action `{action}` needs the case to be {}", match condition { Condition::Overdue => "overdue", Condition::NotOverdue => "within its deadline" })]
    Condition {
        /// The requested action id.
        action: String,
        /// The action's `when`.
        condition: Condition,
    },
    /// A required field is absent, `null` or blank.
    #[error("missing field `{field}`")]
    MissingField {
        /// The field's name.
        field: String,
    },
    /// A field's value does not fit its type, or a reminder or extension is out of range.
    #[error("field `{field}`: {reason}")]
    InvalidField {
        /// The field's name.
        field: String,
        /// What is wrong with the value.
        reason: String,
    },
    /// A field the action's form does not have.
    #[error("unknown field `{field}`; the action takes [{}]", known.join(", "))]
    UnknownField {
        /// The submitted name.
        field: String,
        /// The form's field names.
        known: Vec<String>,
    },
    /// Fewer attachments than the action's `attachments` minimum.
    #[error("{required} attachment(s) required, {given} given")]
    MissingAttachments {
        /// The action's minimum.
        required: usize,
        /// How many the request had.
        given: usize,
    },
}

fn join(levels: &[Level]) -> String {
    levels
        .iter()
        .map(|l| l.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the caller submits with an action.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionRequest {
    /// The action id.
    pub action: String,
    /// The form's values by field name.
    #[serde(default)]
    pub fields: Map<String, Value>,
    /// How many files the caller attached (the store keeps the files).
    #[serde(default)]
    pub attachments: usize,
    /// Free text for the history (and the note of a reminder the action sets).
    #[serde(default)]
    pub comment: Option<String>,
    /// The case version the caller saw (If-Match); `None` skips the check.
    #[serde(default)]
    pub expected_version: Option<u64>,
}

impl ActionRequest {
    /// A request for `action` with no fields, attachments, comment or version check.
    pub fn new(action: &str) -> ActionRequest {
        ActionRequest {
            action: action.into(),
            ..ActionRequest::default()
        }
    }

    /// Adds or replaces field `name`.
    pub fn field(mut self, name: &str, value: impl Into<Value>) -> ActionRequest {
        self.fields.insert(name.into(), value.into());
        self
    }

    /// Sets the number of attached files.
    pub fn attachments(mut self, n: usize) -> ActionRequest {
        self.attachments = n;
        self
    }

    /// Sets the comment.
    pub fn comment(mut self, text: &str) -> ActionRequest {
        self.comment = Some(text.into());
        self
    }

    /// Refuses the action unless the case is still at `version`.
    pub fn expect_version(mut self, version: u64) -> ActionRequest {
        self.expected_version = Some(version);
        self
    }
}

/// One workflow's rules with the working-day calendar; cheap to make, see
/// [`Registry::engine`](super::Registry::engine).
#[derive(Debug, Clone, Copy)]
pub struct Engine<'a> {
    pub(super) def: &'a WorkflowDef,
    pub(super) calendar: &'a Calendar,
}

impl<'a> Engine<'a> {
    pub(super) fn new(def: &'a WorkflowDef, calendar: &'a Calendar) -> Engine<'a> {
        Engine { def, calendar }
    }

    /// The workflow this engine runs.
    pub fn def(&self) -> &'a WorkflowDef {
        self.def
    }

    /// The actions `actor` may take on `case` now (fields and attachments aside).
    pub fn available_actions(&self, case: &CaseState, actor: &Actor) -> Vec<&'a ActionDef> {
        self.def
            .actions
            .iter()
            .filter(|a| {
                a.from.contains(&case.state)
                    && permitted(a, actor).is_ok()
                    && within(a, actor, &case.district_code, case.township_code.as_deref()).is_ok()
                    && preconditions(a, case, actor).is_ok()
            })
            .collect()
    }

    /// Opens a case with one of the creating actions (`from: []`); version 1.
    pub fn create(
        &self,
        actor: &Actor,
        new: CasePlacement,
        req: ActionRequest,
        now: DateTime<Utc>,
    ) -> Result<Transition, ActionError> {
        let action = self.action(&req.action)?;
        if !action.creates() {
            return Err(ActionError::NotAllowedInState {
                action: action.id.clone(),
                state: "(new case)".into(),
                allowed: self.creating_actions(actor),
            });
        }
        permitted(action, actor)?;
        within(
            action,
            actor,
            &new.district_code,
            new.township_code.as_deref(),
        )?;
        check_form(action, &req)?;
        let case = CaseState {
            workflow: self.def.id.clone(),
            state: String::new(),
            version: 0,
            district_code: new.district_code,
            township_code: new.township_code,
            level: new.level,
            escalations: 0,
            counters: self.def.counters.iter().map(|c| (c.clone(), 0)).collect(),
            overdue: false,
            due: None,
            reminders: Vec::new(),
            created_at: now,
            entered_at: now,
        };
        self.step(&case, action, actor, req, EntryKind::Create, now)
    }

    /// Takes `req.action` on `case` as `actor`.
    pub fn apply(
        &self,
        case: &CaseState,
        actor: &Actor,
        req: ActionRequest,
        now: DateTime<Utc>,
    ) -> Result<Transition, ActionError> {
        if case.workflow != self.def.id {
            return Err(ActionError::WrongWorkflow {
                case: case.workflow.clone(),
                engine: self.def.id.clone(),
            });
        }
        if let Some(expected) = req.expected_version.filter(|v| *v != case.version) {
            return Err(ActionError::VersionConflict {
                expected,
                current: case.version,
            });
        }
        let action = self.action(&req.action)?;
        if !action.from.contains(&case.state) {
            return Err(ActionError::NotAllowedInState {
                action: action.id.clone(),
                state: case.state.clone(),
                allowed: self.available_ids(case, actor),
            });
        }
        permitted(action, actor)?;
        within(
            action,
            actor,
            &case.district_code,
            case.township_code.as_deref(),
        )?;
        preconditions(action, case, actor)?;
        check_form(action, &req)?;
        self.step(case, action, actor, req, EntryKind::Action, now)
    }

    fn action(&self, id: &str) -> Result<&'a ActionDef, ActionError> {
        self.def
            .action(id)
            .ok_or_else(|| ActionError::UnknownAction {
                action: id.to_string(),
            })
    }

    fn available_ids(&self, case: &CaseState, actor: &Actor) -> Vec<String> {
        let ids = self.available_actions(case, actor).into_iter();
        ids.map(|a| a.id.clone()).collect()
    }

    fn creating_actions(&self, actor: &Actor) -> Vec<String> {
        let ok = |a: &&ActionDef| a.creates() && permitted(a, actor).is_ok();
        self.def
            .actions
            .iter()
            .filter(ok)
            .map(|a| a.id.clone())
            .collect()
    }

    /// The new state after a checked action; `case.state` is empty for a new case.
    fn step(
        &self,
        case: &CaseState,
        action: &ActionDef,
        actor: &Actor,
        req: ActionRequest,
        kind: EntryKind,
        now: DateTime<Utc>,
    ) -> Result<Transition, ActionError> {
        let mut next = case.clone();
        next.version += 1;
        let to = action.to.clone().unwrap_or_else(|| case.state.clone());
        let moves = to != case.state;
        let change = match &action.deadline {
            Some(c) => c.clone(),
            None if moves => DeadlineChange::Reset,
            None => DeadlineChange::Keep,
        };
        match change {
            DeadlineChange::Reset => {
                next.overdue = false;
                next.due = self.deadline_in(&to, now);
            }
            DeadlineChange::Keep => {}
            DeadlineChange::ExtendBy(field) => {
                let n = whole_number(&req.fields, &field)?;
                if let Some(due) = next.due.as_mut() {
                    due.at = self.continue_after(&due.state, due.at, n);
                    due.fired = false;
                    next.overdue = false;
                }
            }
        }
        for c in &action.increments {
            *next.counters.entry(c.clone()).or_default() += 1;
        }
        if let Some(field) = &action.sets_reminder
            && let Some(v) = req.fields.get(field).filter(|v| !v.is_null())
        {
            let at = fields::datetime(v).map_err(|reason| ActionError::InvalidField {
                field: field.clone(),
                reason,
            })?;
            if at <= now {
                return Err(ActionError::InvalidField {
                    field: field.clone(),
                    reason: "must be in the future".into(),
                });
            }
            next.reminders.push(Reminder {
                at,
                note: req.comment.clone(),
                set_by: actor.user.clone(),
            });
            next.reminders.sort_by_key(|r| r.at);
        }
        if moves {
            next.entered_at = now;
        }
        if self.def.state(&to).is_some_and(|s| s.terminal) {
            next.due = None;
            next.reminders.clear();
        }
        next.state = to.clone();
        let entry = HistoryEntry {
            version: next.version,
            at: now,
            user: actor.user.clone(),
            role: actor.role.clone(),
            level: actor.level,
            kind,
            action: action.id.clone(),
            from: (!case.state.is_empty()).then(|| case.state.clone()),
            to,
            fields: req.fields,
            comment: req.comment,
        };
        Ok(Transition::new(next, entry))
    }

    /// The deadline of `state` when entered at `now`.
    fn deadline_in(&self, state: &str, now: DateTime<Utc>) -> Option<Due> {
        let rule = self.def.state(state)?.deadline.as_ref()?;
        Some(Due {
            at: self.calendar.add(now, rule.duration, rule.unit),
            state: state.to_string(),
            fired: false,
        })
    }

    /// `n` more units of `state`'s deadline after a deadline that ends at `end`.
    ///
    /// A day-based deadline ends at 24:00 of its last day, so the extra days are
    /// counted from that last day: the periods run back to back.
    pub(super) fn continue_after(&self, state: &str, end: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let unit = self
            .def
            .state(state)
            .and_then(|s| s.deadline.as_ref())
            .map_or(DurationUnit::CalendarDays, |d| d.unit);
        let from = match unit {
            DurationUnit::Hours => end,
            DurationUnit::CalendarDays | DurationUnit::WorkingDays => end - Duration::seconds(1),
        };
        self.calendar.add(from, n, unit)
    }
}

/// The actor holds one of the action's roles and acts at one of its levels.
fn permitted(action: &ActionDef, actor: &Actor) -> Result<(), ActionError> {
    if action.roles.contains(&actor.role) && action.levels.contains(&actor.level) {
        return Ok(());
    }
    Err(ActionError::ForbiddenRole {
        action: action.id.clone(),
        allowed_roles: action.roles.clone(),
        allowed_levels: action.levels.clone(),
    })
}

/// The jurisdiction guard; see [`Jurisdiction`].
fn within(
    action: &ActionDef,
    actor: &Actor,
    district: &str,
    township: Option<&str>,
) -> Result<(), ActionError> {
    let whole_city = matches!(actor.level, Level::City | Level::System);
    let same_district = actor.district_code.as_deref() == Some(district);
    let same_township = township.is_some() && actor.township_code.as_deref() == township;
    let ok = whole_city
        || match action.jurisdiction {
            Jurisdiction::None => true,
            Jurisdiction::District => same_district,
            Jurisdiction::Township => {
                same_district && (actor.level != Level::Township || same_township)
            }
        };
    if ok {
        return Ok(());
    }
    Err(ActionError::ForbiddenJurisdiction {
        action: action.id.clone(),
        district_code: district.to_string(),
        township_code: township.map(str::to_string),
    })
}

/// The responsible-level and `when` conditions.
fn preconditions(action: &ActionDef, case: &CaseState, actor: &Actor) -> Result<(), ActionError> {
    if action.responsible && actor.level != case.level {
        return Err(ActionError::NotResponsible {
            action: action.id.clone(),
            responsible: case.level,
        });
    }
    match action.when {
        Some(c @ Condition::Overdue) if !case.overdue => Err(ActionError::Condition {
            action: action.id.clone(),
            condition: c,
        }),
        Some(c @ Condition::NotOverdue) if case.overdue => Err(ActionError::Condition {
            action: action.id.clone(),
            condition: c,
        }),
        _ => Ok(()),
    }
}

fn check_form(action: &ActionDef, req: &ActionRequest) -> Result<(), ActionError> {
    fields::check(&action.fields, &req.fields)?;
    if req.attachments < action.attachments {
        return Err(ActionError::MissingAttachments {
            required: action.attachments,
            given: req.attachments,
        });
    }
    Ok(())
}

/// A positive whole number of units (e.g. days of an extension).
fn whole_number(given: &Map<String, Value>, field: &str) -> Result<u32, ActionError> {
    given
        .get(field)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| ActionError::InvalidField {
            field: field.to_string(),
            reason: "must be a positive whole number".into(),
        })
}
