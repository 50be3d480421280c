//! Long-running work (a million-row import) as background jobs: started by a request that
//! answers 202 at once, watched through `GET /jobs/{id}` (progress, rate, ETA, the result) and
//! `GET /jobs/{id}/events` (the same as server-sent events).
//!
//! Jobs live in memory: a restart loses the record, not the data (an import commits in one
//! transaction, so it either landed or did not). Finished jobs are forgotten after
//! [`KEEP_FINISHED`].

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::caller::Caller;
use crate::problem::{Problem, ProblemType};

/// How long a finished job's result stays readable.
const KEEP_FINISHED: Duration = Duration::from_secs(3600);

/// Progress that the worker updates and readers sample, without locks on the hot path.
pub struct Progress {
    rows: AtomicU64,
    /// Share of the input consumed, in millionths (so it fits an atomic integer).
    fraction_ppm: AtomicU64,
    phase: Mutex<&'static str>,
    started: Instant,
}

impl Progress {
    /// Progress of a job that just started: no rows, phase `reading`, the clock running.
    pub fn new() -> Self {
        Self {
            rows: AtomicU64::new(0),
            fraction_ppm: AtomicU64::new(0),
            phase: Mutex::new("reading"),
            started: Instant::now(),
        }
    }

    /// Records `rows` rows done, `fraction` (0–1) of the input consumed when known.
    pub fn advance(&self, rows: u64, fraction: Option<f64>) {
        self.rows.store(rows, Ordering::Relaxed);
        if let Some(f) = fraction {
            let ppm = (f.clamp(0.0, 1.0) * 1e6) as u64;
            self.fraction_ppm.store(ppm, Ordering::Relaxed);
        }
    }

    /// Names the step the work is in: reading, checking, committing.
    pub fn phase(&self, phase: &'static str) {
        *self.phase.lock() = phase;
    }

    /// Rows done, rate and the estimated time left, as JSON.
    pub fn snapshot(&self) -> Value {
        let rows = self.rows.load(Ordering::Relaxed);
        let secs = self.started.elapsed().as_secs_f64();
        let fraction = self.fraction_ppm.load(Ordering::Relaxed) as f64 / 1e6;
        let rate = if secs > 0.0 { rows as f64 / secs } else { 0.0 };
        // The input read so far predicts the rest (rows per byte is roughly constant).
        let eta = (fraction > 0.0 && fraction < 1.0).then(|| secs * (1.0 - fraction) / fraction);
        json!({
            "phase": *self.phase.lock(),
            "rows_done": rows,
            "fraction": (fraction * 1000.0).round() / 1000.0,
            "rate_rows_per_s": rate.round(),
            "elapsed_s": (secs * 10.0).round() / 10.0,
            "eta_s": eta.map(|e| (e * 10.0).round() / 10.0),
        })
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

/// Where a job is.
enum Outcome {
    Running,
    Finished {
        result: Result<Value, Problem>,
        at: DateTime<Utc>,
        /// For expiry (monotonic).
        since: Instant,
    },
}

/// One background job.
pub struct Job {
    /// A counter and a hash (`{n}-{hash:016x}`), so other users do not stumble on a job's URL;
    /// access is checked anyway.
    pub id: String,
    /// What it does, for listings: e.g. `{"kind":"import","layer":…}`.
    pub about: Value,
    /// Who started it; only they (or a city-level caller) may read it.
    owner: Caller,
    /// Updated by the worker, sampled by `GET /jobs/{id}`.
    pub progress: Progress,
    outcome: Mutex<Outcome>,
    started_at: DateTime<Utc>,
}

impl Job {
    /// Records the result; readers see the job as finished from now on.
    pub fn finish(&self, result: Result<Value, Problem>) {
        self.progress.phase("done");
        *self.outcome.lock() = Outcome::Finished {
            result,
            at: Utc::now(),
            since: Instant::now(),
        };
    }

    /// True once [`Job::finish`] ran.
    pub fn finished(&self) -> bool {
        !matches!(*self.outcome.lock(), Outcome::Running)
    }

    /// The job as `GET /jobs/{id}` shows it.
    pub fn snapshot(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "about": self.about,
            "started_at": self.started_at,
            "progress": self.progress.snapshot(),
        });
        match &*self.outcome.lock() {
            Outcome::Running => v["status"] = "running".into(),
            Outcome::Finished { result, at, .. } => {
                match result {
                    Ok(r) => (v["status"], v["result"]) = ("succeeded".into(), r.clone()),
                    Err(p) => (v["status"], v["problem"]) = ("failed".into(), p.to_json()),
                }
                v["finished_at"] = json!(at);
            }
        }
        v
    }

    fn expired(&self) -> bool {
        matches!(*self.outcome.lock(), Outcome::Finished { since, .. } if since.elapsed() > KEEP_FINISHED)
    }
}

/// The server's jobs by id.
#[derive(Default)]
pub struct Jobs {
    all: Mutex<HashMap<String, Arc<Job>>>,
    next: AtomicU64,
}

impl Jobs {
    /// Registers a new running job for `owner`.
    pub fn start(&self, owner: &Caller, about: Value) -> Arc<Job> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let now = Utc::now();
        // Unguessable enough to keep other users from stumbling on a job; access is checked anyway.
        let salt = xxhash_rust::xxh3::xxh3_64(format!("{now:?}{n}{}", owner.user).as_bytes());
        let job = Arc::new(Job {
            id: format!("{n}-{salt:016x}"),
            about,
            owner: owner.clone(),
            progress: Progress::new(),
            outcome: Mutex::new(Outcome::Running),
            started_at: now,
        });
        let mut all = self.all.lock();
        all.retain(|_, j| !j.expired());
        all.insert(job.id.clone(), job.clone());
        job
    }

    /// The job `id` if `caller` may see it: its owner, or a city-level caller.
    pub fn get(&self, id: &str, caller: &Caller) -> Result<Arc<Job>, Problem> {
        let job = self.all.lock().get(id).cloned().ok_or_else(|| {
            Problem::not_found(format!(
                "no job `{id}` (finished jobs are kept for an hour)"
            ))
        })?;
        if job.owner.user != caller.user && caller.level != crate::caller::Level::City {
            return Err(Problem::new(ProblemType::Forbidden)
                .detail(format!("job `{id}` belongs to another user")));
        }
        Ok(job)
    }
}

/// An import reports its phases and rows to its job.
impl onemap_intake::Progress for Job {
    fn phase(&self, phase: &'static str) {
        self.progress.phase(phase);
    }

    fn advance(&self, rows: u64, fraction: Option<f64>) {
        self.progress.advance(rows, fraction);
    }
}
