//! Firing deadlines and reminders.
//!
//! Pending timers are part of the durable [`CaseState`] (`due`, `reminders`). Firing
//! one is an ordinary step: a new version whose history entry is by the `system`
//! actor and whose state no longer holds that timer as pending. Because the store
//! writes the step with the same optimistic lock as an action, a timer fires exactly
//! once: after a restart, everything that fell due while the server was down is still
//! pending and fires once, and a timer already written as fired never fires again,
//! however often the scheduler passes over the same window.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::case::{Actor, CaseState, EntryKind, HistoryEntry, TimerKind, Transition};
use super::definition::DueEffect;
use super::engine::Engine;

/// A timer that has fallen due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueEvent {
    /// When it fell due.
    pub at: DateTime<Utc>,
    /// Deadline or reminder.
    pub kind: TimerKind,
}

impl Engine<'_> {
    /// The earliest pending timer of `case` due at or before `until`.
    pub fn next_due(&self, case: &CaseState, until: DateTime<Utc>) -> Option<DueEvent> {
        let t = case.timers().into_iter().next().filter(|t| t.at <= until)?;
        Some(DueEvent {
            at: t.at,
            kind: t.kind,
        })
    }

    /// Fires, in time order, every timer of `case` due at or before `now`, including
    /// deadlines that an escalation sets and that are themselves already past. The
    /// store persists the last transition's case and all the entries in one write.
    pub fn fire_due(&self, case: &CaseState, now: DateTime<Utc>) -> Vec<Transition> {
        let mut out: Vec<Transition> = Vec::new();
        loop {
            let current = out.last().map_or(case, |t| &t.case);
            let Some(event) = self.next_due(current, now) else {
                return out;
            };
            let step = self.apply_due(current, event, now);
            out.push(step);
        }
    }

    /// One fired timer; the entry is dated when the timer fell due and notes when it
    /// was processed (`fired_at`), which differ after a restart.
    fn apply_due(&self, case: &CaseState, event: DueEvent, now: DateTime<Utc>) -> Transition {
        let mut next = case.clone();
        next.version += 1;
        let mut fields = Map::new();
        let action = match event.kind {
            TimerKind::Deadline => {
                self.fire_deadline(&mut next, &mut fields);
                "deadline"
            }
            TimerKind::Reminder => {
                let r = next.reminders.remove(0);
                fields.insert("remind_at".into(), json!(r.at));
                fields.insert("note".into(), json!(r.note));
                fields.insert("set_by".into(), json!(r.set_by));
                "reminder"
            }
        };
        fields.insert("fired_at".into(), json!(now));
        let system = Actor::system();
        let entry = HistoryEntry {
            version: next.version,
            at: event.at,
            user: system.user,
            role: system.role,
            level: system.level,
            kind: match event.kind {
                TimerKind::Deadline => EntryKind::Deadline,
                TimerKind::Reminder => EntryKind::Reminder,
            },
            action: action.into(),
            from: Some(case.state.clone()),
            to: case.state.clone(),
            fields,
            comment: None,
        };
        Transition::new(next, entry)
    }

    /// Applies the `on_due` effects of the pending deadline of `case`.
    fn fire_deadline(&self, case: &mut CaseState, fields: &mut Map<String, Value>) {
        let Some(due) = case.due.clone() else {
            return;
        };
        // A state whose deadline rule was removed from the definition fires nothing.
        let rule = self.def.state(&due.state).and_then(|s| s.deadline.as_ref());
        let (effects, duration) = rule.map_or((&[][..], 0), |r| (&r.on_due[..], r.duration));
        fields.insert("due_at".into(), json!(due.at));
        fields.insert("deadline_of".into(), json!(due.state));
        fields.insert("effects".into(), json!(effects));
        let mut renewed = None;
        for effect in effects {
            match effect {
                DueEffect::Remind => {}
                DueEffect::MarkOverdue => case.overdue = true,
                DueEffect::Escalate => {
                    let Some(up) = case.level.up() else {
                        fields.insert("escalation".into(), json!("already at the top level"));
                        continue;
                    };
                    fields.insert("escalated_from".into(), json!(case.level));
                    fields.insert("escalated_to".into(), json!(up));
                    case.level = up;
                    case.escalations += 1;
                    renewed = Some(self.continue_after(&due.state, due.at, duration));
                }
            }
        }
        let slot = case.due.as_mut().expect("checked above");
        match renewed {
            Some(at) => {
                fields.insert("next_due_at".into(), json!(at));
                slot.at = at;
            }
            None => slot.fired = true,
        }
    }
}
