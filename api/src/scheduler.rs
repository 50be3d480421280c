//! The case timer loop: deadlines (remind, mark overdue, escalate) and absolute reminders.
//!
//! Nothing is kept in memory. Every pending timer is part of its case's stored state, and
//! the store indexes the earliest one (`next_due_at`). Each tick asks the store for the
//! cases due by the [`Clock`](onemap_cases::clock::Clock)'s now, lets the engine fire their timers
//! and writes the result with the same versioned write as an officer's action. So:
//! * after a restart, whatever fell due while the server was down is still pending in the
//!   store and fires on the first tick, once;
//! * a timer that fired is written as fired with its history entry, so it never fires again;
//! * if an officer (or another instance's scheduler) wrote the case first, the write is a
//!   conflict: the case is read again and re-decided.

use std::time::Duration;

use crate::state::AppState;

/// Due cases handled per tick; the rest wait for the next one.
const BATCH: i64 = 200;

/// Runs the timer loop until the server stops: a tick every `scheduler_tick_ms`, or at once
/// when a test clock is moved.
pub fn spawn(st: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = Duration::from_millis(st.case_settings.scheduler_tick_ms.max(1));
        loop {
            match st.cases.fire_due(BATCH).await {
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
