//! The case service: workflows (`onemap-workflow`) applied to the cases the store keeps
//! (`onemap-spatial`'s case contract), so opening a case, acting on it and firing its timers
//! are one domain call each, whoever calls: the HTTP routes, the timer scheduler, a tool.
//!
//! It owns the definitions a server runs (shipped plus overrides), turning engine
//! transitions into one store write with their outbox events, the optimistic-concurrency
//! retries, and the clock timers are measured against. It must not know HTTP, callers'
//! headers or how a case is rendered; and it leaves the engine's rules to the engine.

#![warn(missing_docs)]

// The time case deadlines are measured against: the wall clock, or a test's fake one.
pub mod clock;
// The workflow definitions in force: the shipped files plus a data directory's overrides.
pub mod definitions;
// Opening, acting on and firing the timers of cases, with optimistic-concurrency retries.
mod service;
// Engine transitions as one store write with their outbox events.
mod step;

pub use service::{Acting, CaseFailure, CaseService, NewFeature, Opening, engine_state};
