//! The time that case deadlines and reminders are measured against.
//!
//! The case service and the timer scheduler never call `Utc::now()` for case work: they ask
//! the server's [`Clock`]. Production uses [`SystemClock`]; tests inject a [`FakeClock`]
//! (through `onemap_api::start_with_clock`) and move it forward instead of sleeping, and keep the same
//! handle across a restart so "time passed while the server was down" is one `advance`.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use parking_lot::Mutex;
use tokio::sync::Notify;

/// A source of "now" for case timers.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;

    /// Woken when the time jumps (a fake clock was moved), so the scheduler looks at once
    /// instead of at its next tick. A real clock never jumps: `None`.
    fn jumps(&self) -> Option<&Notify> {
        None
    }
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move; clones share the same time.
#[derive(Debug, Clone)]
pub struct FakeClock(Arc<FakeInner>);

#[derive(Debug)]
struct FakeInner {
    now: Mutex<DateTime<Utc>>,
    moved: Notify,
}

impl FakeClock {
    /// A clock standing at an RFC 3339 time (panics on a malformed one: a test's mistake).
    pub fn at(rfc3339: &str) -> FakeClock {
        FakeClock::new(parse(rfc3339))
    }

    /// A clock standing at `at`.
    pub fn new(at: DateTime<Utc>) -> FakeClock {
        FakeClock(Arc::new(FakeInner {
            now: Mutex::new(at),
            moved: Notify::new(),
        }))
    }

    /// Sets the time (it may go forward only: deadlines do not un-fire).
    pub fn set(&self, at: DateTime<Utc>) {
        {
            let mut now = self.0.now.lock();
            assert!(at >= *now, "a fake clock only moves forward");
            *now = at;
        }
        // A stored permit: the scheduler wakes even if it was busy at this moment.
        self.0.moved.notify_one();
    }

    /// Moves to an RFC 3339 time, such as a deadline read from a case.
    pub fn move_to(&self, rfc3339: &str) {
        self.set(parse(rfc3339));
    }

    /// Moves forward by `by`.
    pub fn advance(&self, by: std::time::Duration) {
        self.set(self.now() + Duration::from_std(by).expect("a sane duration"));
    }
}

fn parse(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("`{rfc3339}`: {e}"))
        .with_timezone(&Utc)
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.now.lock()
    }

    fn jumps(&self) -> Option<&Notify> {
        Some(&self.0.moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fake_clock_is_shared_by_its_clones_and_moves_forward_only() {
        let a = FakeClock::at("2026-03-02T09:00:00+08:00");
        let t0 = a.now();
        let b = a.clone();
        a.advance(std::time::Duration::from_secs(7200));
        assert_eq!(b.now(), t0 + Duration::hours(2));
        b.move_to("2026-03-02T12:00:00+08:00");
        assert_eq!(a.now(), t0 + Duration::hours(3));
        let back = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| b.set(t0)));
        assert!(back.is_err());
    }
}
