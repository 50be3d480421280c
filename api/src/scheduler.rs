//! The case timer loop: deadlines (remind, mark overdue, escalate) and absolute reminders.
//!
//! Nothing is kept in memory. Every pending timer is part of its case's stored state, and
//! the store indexes the earliest one (`next_due_at`). Each tick asks the store for the
//! cases due by the [`Clock`](crate::clock::Clock)'s now, lets the engine fire their timers
//! and writes the result with the same versioned write as an officer's action. So:
//! * after a restart, whatever fell due while the server was down is still pending in the
//!   store and fires on the first tick, once;
//! * a timer that fired is written as fired with its history entry, so it never fires again;
//! * if an officer (or another instance's scheduler) wrote the case first, the write is a
//!   conflict: the case is read again and re-decided.

use std::time::Duration;

use chrono::{DateTime, Utc};
use onemap_spatial::cases::{Case, CaseError};

use crate::routes::cases::{engine_state, step_of, store};
use crate::state::AppState;

/// Due cases handled per tick; the rest wait for the next one.
const BATCH: i64 = 200;
/// Re-reads of a case whose write lost a race, per tick.
const RETRIES: usize = 3;

/// Runs the timer loop until the server stops: a tick every `scheduler_tick_ms`, or at once
/// when a test clock is moved.
pub fn spawn(st: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = Duration::from_millis(st.cases.settings.scheduler_tick_ms.max(1));
        loop {
            match tick(&st).await {
                Ok(n) if n > 0 => tracing::info!(cases = n, "case timers fired"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "case timers"),
            }
            let jump = async {
                match st.cases.clock.jumps() {
                    Some(n) => n.notified().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = jump => {}
            }
        }
    })
}

/// Fires everything due now; returns how many cases were written.
pub async fn tick(st: &AppState) -> anyhow::Result<usize> {
    let now = st.cases.clock.now();
    let due = store(st).due_cases(now, BATCH).await?;
    let mut written = 0;
    for case in due {
        match fire(st, case, now).await {
            Ok(true) => written += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "case timer"),
        }
    }
    if written > 0 {
        st.cases.notify_written();
    }
    Ok(written)
}

/// Fires the due timers of one case; false when there was nothing left to fire.
async fn fire(st: &AppState, mut case: Case, now: DateTime<Utc>) -> anyhow::Result<bool> {
    for _ in 0..RETRIES {
        let Some(engine) = st.cases.registry.engine(&case.workflow) else {
            tracing::warn!(case = case.id, workflow = %case.workflow, "timer of an undefined workflow");
            return Ok(false);
        };
        let state = engine_state(&case).map_err(|p| anyhow::anyhow!("{}", p.to_json()))?;
        let steps = engine.fire_due(&state, now);
        if steps.is_empty() {
            return Ok(false);
        }
        let step = step_of(&steps, case.fields.location, Vec::new());
        match store(st).apply(case.id, case.version, step).await {
            Ok(_) => return Ok(true),
            Err(CaseError::Conflict { .. }) => {
                let Some(fresh) = store(st).get_case(case.id).await? else {
                    return Ok(false);
                };
                case = fresh.case;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(false)
}
