//! Case workflows (issue #7): definitions as data, and a pure engine over a case's
//! durable state. The crate owns the workflow definitions, their loading and checking, the
//! working-day calendar and the engine that steps a case. It must not know stores, HTTP or
//! clocks: the caller loads the case, passes `now` and who is acting, and persists what comes
//! back, so every rule is testable without a server.
//!
//! * Definitions live in `data/workflows/`: `roles.yaml`, `holidays.yaml` and one
//!   `<id>.yaml` per workflow. [`Registry::load`] parses and cross-checks them all,
//!   so unknown states, roles or counters, unreachable states and dead ends stop
//!   the server at start-up with a message naming the file, workflow and item.
//! * [`Engine`] takes actions and fires timers. It does no I/O and reads no clock:
//!   the caller passes `now`, the case it loaded and who is acting, and persists
//!   the returned [`Transition`] (new state, one append-only history entry, the
//!   pending timers) only if the case version is unchanged.
//! * Deadlines count working days with the [`Calendar`] in China Standard Time.
//! * Timers (deadlines, absolute reminders) are pending items inside the case state;
//!   [`Engine::fire_due`] turns those due by `now` into ordinary versioned steps by
//!   the `system` actor, which is what makes them fire exactly once across restarts.
//!
//! A workflow file, in short (see `data/workflows/*.yaml` for the shipped ones):
//!
//! ```yaml
//! id: supervision            # = file stem
//! title: 督查督办
//! initial: handling
//! counters: [urge_count]
//! states:
//!   - id: handling
//!     title: 办理中
//!     deadline: {duration: 15, unit: working_days, on_due: [remind, mark_overdue]}
//!   - {id: closed, title: 已销项, terminal: true, register: closed_out}
//! actions:
//!   - id: issue              # from: [] creates the case, in the initial state
//!     title: 下发督办单
//!     from: []
//!     to: handling
//!     roles: [city_demolition_office, district_demolition_office]
//!     levels: [city, district]
//!     jurisdiction: district # none | district | township
//!     fields:
//!       - {name: supervision_level, title: 督办级别, type: enum, values: [区级, 市级, 挂牌]}
//!   - id: urge               # no `to`: stays, and keeps the running deadline
//!     title: 催办
//!     from: [handling]
//!     roles: [district_demolition_office]
//!     levels: [district]
//!     when: overdue          # overdue | not_overdue
//!     increments: [urge_count]
//! ```
//!
//! Other action keys: `responsible` (only the case's current level), `attachments`
//! (minimum count), `deadline` (`keep`, `reset` or `{extend_by: <number field>}`)
//! and `sets_reminder` (a datetime field that becomes an absolute reminder).

#![warn(missing_docs)]

// Working days in China Standard Time, with public holidays and make-up working days.
mod calendar;
// The durable state of a case and what one step produces.
mod case;
// The shape of a workflow definition file, as deserialised.
mod definition;
// A Mermaid `stateDiagram-v2` of a workflow, for `GET /workflows/{id}`.
mod diagram;
// Taking actions: permission checks, field checks and the resulting transition.
mod engine;
// Checking the fields submitted with an action against the action's form.
mod fields;
// Loading the definition directory: `roles.yaml`, `holidays.yaml` and `<id>.yaml` per workflow.
mod registry;
// Firing deadlines and reminders.
mod timers;
// Cross-reference checks on parsed definitions.
mod validate;

pub use calendar::{Calendar, cst};
pub use case::{
    Actor, CasePlacement, CaseState, Due, EntryKind, HistoryEntry, Reminder, Timer, TimerKind,
    Transition,
};
pub use definition::{
    ActionDef, Condition, DeadlineChange, DeadlineDef, DueEffect, DurationUnit, FieldDef,
    FieldType, Jurisdiction, Level, RoleDef, StateDef, WorkflowDef,
};
pub use diagram::mermaid;
pub use engine::{ActionError, ActionRequest, Engine};
pub use registry::{LoadError, Registry};
pub use timers::DueEvent;
