//! Read replicas (hot standbys): whole-layer loads and database-served reads go to them
//! round-robin, fenced by WAL position.
//!
//! Before a load, the primary's current WAL insert position (not the write position, which
//! lags behind commits under `synchronous_commit = off`) is read and the chosen standby is waited
//! for (a short while) until it has replayed that far. So a load on a replica sees every
//! write committed before the load started, like a load on the primary would, and following
//! the change log from a `seq` taken before the load misses nothing. A standby that lags too
//! far, or cannot be reached, is skipped and the primary serves the load.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::sql::Result;

/// How long a load waits for a standby to catch up before reading from the primary.
const FENCE_WAIT: Duration = Duration::from_secs(2);

/// Standby pools, used in turn.
pub struct Replicas {
    pools: Vec<PgPool>,
    next: AtomicUsize,
}

impl Replicas {
    pub fn new(pools: Vec<PgPool>) -> Self {
        Self {
            pools,
            next: AtomicUsize::new(0),
        }
    }

    pub fn len(&self) -> usize {
        self.pools.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pools.is_empty()
    }

    /// A pool to read from that has replayed everything committed on `primary` so far:
    /// the next replica in turn when it is fresh enough in time, else the primary.
    pub async fn fenced<'a>(&'a self, primary: &'a PgPool) -> &'a PgPool {
        if self.pools.is_empty() {
            return primary;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.pools.len();
        match self.wait_for(primary, &self.pools[i]).await {
            Ok(true) => &self.pools[i],
            Ok(false) => {
                tracing::warn!(replica = i, "read replica lags; reading from the primary");
                primary
            }
            Err(e) => {
                tracing::warn!(replica = i, error = %e, "read replica unavailable; reading from the primary");
                primary
            }
        }
    }

    async fn wait_for(&self, primary: &PgPool, replica: &PgPool) -> Result<bool> {
        let lsn: String = sqlx::query_scalar("SELECT pg_current_wal_insert_lsn()::text")
            .fetch_one(primary)
            .await?;
        let start = Instant::now();
        loop {
            // Not a standby at all (a plain copy, or promoted): it is as fresh as it gets.
            let caught_up: bool = sqlx::query_scalar(
                "SELECT CASE WHEN pg_is_in_recovery()
                             THEN coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)
                             ELSE true END",
            )
            .bind(&lsn)
            .fetch_one(replica)
            .await?;
            if caught_up {
                return Ok(true);
            }
            if start.elapsed() > FENCE_WAIT {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
