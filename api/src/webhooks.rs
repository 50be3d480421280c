//! Webhooks: every case event of the outbox POSTed as JSON to each configured URL, retried
//! with doubling delays, each attempt written to the delivery log (`onemap_webhook_deliveries`,
//! `GET /events/{id}/deliveries`).
//!
//! The notifier follows the outbox from the newest event at start-up: events queued while
//! no server ran are not sent. With several instances on one database, configure webhooks
//! on one of them, or each event is sent once per instance.
//!
//! The client speaks plain HTTP/1.1 (`http://` URLs: webhook receivers on the agencies'
//! network), enough for a POST and its status line.

use std::time::Duration;

use chrono::Utc;
use onemap_spatial::cases::{CaseEvent, Delivery};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::routes::cases::events::{BATCH, event_json, wait_for_writes};
use crate::routes::cases::store;
use crate::state::AppState;

/// Connecting, sending and reading the status line, each.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Follows the outbox and delivers each new event; `None` when no webhook is configured.
pub fn spawn(st: AppState) -> Option<tokio::task::JoinHandle<()>> {
    if st.cases.settings.webhooks.is_empty() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut rx = st.cases.written.subscribe();
        let mut cursor = loop {
            match store(&st).last_event_id().await {
                Ok(id) => break id,
                Err(e) => {
                    tracing::warn!(error = %e, "webhooks: cannot read the outbox");
                    wait_for_writes(&mut rx).await;
                }
            }
        };
        loop {
            match store(&st).events_after(cursor, BATCH).await {
                Ok(batch) if !batch.is_empty() => {
                    for e in batch {
                        cursor = e.id;
                        for url in &st.cases.settings.webhooks {
                            tokio::spawn(deliver(st.clone(), e.clone(), url.clone()));
                        }
                    }
                }
                Ok(_) => wait_for_writes(&mut rx).await,
                Err(e) => {
                    tracing::warn!(error = %e, "webhooks: cannot read the outbox");
                    wait_for_writes(&mut rx).await;
                }
            }
        }
    }))
}

/// Sends one event to one URL until it is accepted (2xx) or the attempts run out.
async fn deliver(st: AppState, e: CaseEvent, url: String) {
    let body = event_json(&e).to_string();
    let s = &st.cases.settings;
    let mut delay = Duration::from_millis(s.webhook_backoff_ms);
    for attempt in 1..=s.webhook_attempts.max(1) {
        let outcome = post(&url, body.as_bytes()).await;
        let delivered = matches!(outcome, Ok(200..=299));
        let log = Delivery {
            event_id: e.id,
            url: url.clone(),
            attempt: attempt as i32,
            status_code: outcome.as_ref().ok().map(|c| i32::from(*c)),
            error: match &outcome {
                Ok(c) if !delivered => Some(format!("HTTP {c}")),
                Ok(_) => None,
                Err(m) => Some(m.clone()),
            },
            at: Utc::now(),
            delivered,
        };
        if let Err(err) = store(&st).record_delivery(&log).await {
            tracing::warn!(error = %err, event = e.id, "webhooks: cannot log a delivery");
        }
        if delivered {
            return;
        }
        tokio::time::sleep(delay).await;
        delay *= 2;
    }
    tracing::warn!(event = e.id, url = %url, "webhook delivery abandoned");
}

/// POSTs `body` as JSON; the response status.
async fn post(url: &str, body: &[u8]) -> Result<u16, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("`{url}` is not an http:// URL"))?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let addr = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:80")
    };
    let io = |e: std::io::Error| e.to_string();
    let timed_out = |_| "timed out".to_string();
    let mut conn = tokio::time::timeout(TIMEOUT, tokio::net::TcpStream::connect(&addr))
        .await
        .map_err(timed_out)?
        .map_err(io)?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: onemap\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let send = async {
        conn.write_all(head.as_bytes()).await?;
        conn.write_all(body).await?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 512];
        while !buf.contains(&b'\n') {
            let n = conn.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Ok::<_, std::io::Error>(buf)
    };
    let reply = tokio::time::timeout(TIMEOUT, send)
        .await
        .map_err(timed_out)?
        .map_err(io)?;
    // "HTTP/1.1 204 No Content"
    String::from_utf8_lossy(&reply)
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| "no HTTP status line in the reply".to_string())
}
