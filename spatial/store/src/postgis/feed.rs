//! Following the change log: LISTEN for wake-ups, read `onemap_changes` from the last seen `seq`.
//!
//! A background task holds a dedicated connection (application_name `onemap-listen-<origin>`)
//! that LISTENs on `onemap_changes`. Each time it (re)connects it first replays the log after
//! the last seen `seq` — the catch-up after a restart (start from a saved `seq`) or an outage
//! (the connection dropped, the database restarted) — and then reads again on every
//! notification. Because the log is read from `last_seen`, never from a payload, a lost or
//! coalesced notification costs nothing but latency, and changes arrive exactly once, in order.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::postgis::changes::{self, CHANNEL, RemoteChange};
use crate::sql::SqlError;

/// Rows read from the log per query while catching up.
const PAGE: i64 = 1000;
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Counters of a feed, shared with its task.
#[derive(Debug, Default)]
struct Stats {
    last_seq: AtomicI64,
    reconnects: AtomicU64,
}

/// A stream of changes committed to the database, in commit order.
///
/// Dropping it stops its background task and closes its connection.
pub struct ChangeFeed {
    rx: mpsc::Receiver<RemoteChange>,
    stats: Arc<Stats>,
    task: JoinHandle<()>,
}

impl ChangeFeed {
    /// The next change; None only if the feed's task has stopped.
    pub async fn recv(&mut self) -> Option<RemoteChange> {
        self.rx.recv().await
    }

    /// The last `seq` read from the log (including skipped own changes): where to resume.
    pub fn last_seq(&self) -> i64 {
        self.stats.last_seq.load(Ordering::Relaxed)
    }

    /// How many times the listening connection was lost and re-established.
    pub fn reconnects(&self) -> u64 {
        self.stats.reconnects.load(Ordering::Relaxed)
    }
}

impl Drop for ChangeFeed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What a feed task needs.
pub struct FeedConfig {
    /// Reads the log (the primary).
    pub pool: PgPool,
    /// Connects the listening connection.
    pub options: PgConnectOptions,
    /// Changes with this origin are skipped (this instance's own); None delivers all.
    pub skip_origin: Option<String>,
    pub since: i64,
}

/// Starts following the log after `since`. Needs a Tokio runtime.
pub fn spawn(cfg: FeedConfig) -> ChangeFeed {
    let (tx, rx) = mpsc::channel(1024);
    let stats = Arc::new(Stats::default());
    stats.last_seq.store(cfg.since, Ordering::Relaxed);
    let task = tokio::spawn(run(cfg, tx, stats.clone()));
    ChangeFeed { rx, stats, task }
}

/// Why a catch-up stopped.
enum Stop {
    /// The receiver is gone: end the task.
    Closed,
    /// The database failed: reconnect.
    Db(SqlError),
}

async fn run(cfg: FeedConfig, tx: mpsc::Sender<RemoteChange>, stats: Arc<Stats>) {
    let mut backoff = BACKOFF_MIN;
    let mut first = true;
    loop {
        if tx.is_closed() {
            return;
        }
        if !first {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(BACKOFF_MAX);
            stats.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        first = false;
        let mut listener = match connect(&cfg.options).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "change feed: cannot listen; retrying");
                continue;
            }
        };
        // LISTEN is active: whatever commits from now on will notify us, so replaying the log
        // now cannot leave a gap.
        match catch_up(&cfg, &tx, &stats).await {
            Ok(()) => backoff = BACKOFF_MIN,
            Err(Stop::Closed) => return,
            Err(Stop::Db(e)) => {
                tracing::warn!(error = %e, "change feed: cannot read the log; reconnecting");
                continue;
            }
        }
        loop {
            let woken = tokio::select! {
                r = listener.try_recv() => r,
                () = tx.closed() => return,
            };
            match woken {
                // Notified: read the log whatever the payload says.
                Ok(Some(_)) => {}
                // The connection dropped and sqlx re-established it (and LISTEN): catch up.
                Ok(None) => {
                    stats.reconnects.fetch_add(1, Ordering::Relaxed);
                    tracing::info!("change feed: listener reconnected");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "change feed: listener failed; reconnecting");
                    break;
                }
            }
            match catch_up(&cfg, &tx, &stats).await {
                Ok(()) => {}
                Err(Stop::Closed) => return,
                Err(Stop::Db(e)) => {
                    tracing::warn!(error = %e, "change feed: cannot read the log; reconnecting");
                    break;
                }
            }
        }
    }
}

async fn connect(options: &PgConnectOptions) -> Result<PgListener, sqlx::Error> {
    // A pool of one just for this feed: PgListener uses it to reconnect.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options.clone())
        .await?;
    let mut l = PgListener::connect_with(&pool).await?;
    l.listen(CHANNEL).await?;
    Ok(l)
}

/// Delivers every logged change after the last seen one.
async fn catch_up(
    cfg: &FeedConfig,
    tx: &mpsc::Sender<RemoteChange>,
    stats: &Stats,
) -> Result<(), Stop> {
    loop {
        let after = stats.last_seq.load(Ordering::Relaxed);
        let page = changes::read_after(&cfg.pool, after, PAGE)
            .await
            .map_err(Stop::Db)?;
        if after > 0
            && page.first().is_some_and(|c| c.seq > after + 1)
            && let Ok(Some(min)) = changes::earliest(&cfg.pool).await
            && min > after + 1
        {
            tracing::warn!(
                after,
                earliest = min,
                "change feed: changes were pruned before this instance read them"
            );
        }
        let n = page.len();
        for c in page {
            let seq = c.seq;
            if cfg.skip_origin.as_deref() != Some(c.origin.as_str()) && tx.send(c).await.is_err() {
                return Err(Stop::Closed);
            }
            stats.last_seq.store(seq, Ordering::Relaxed);
        }
        if (n as i64) < PAGE {
            return Ok(());
        }
    }
}
