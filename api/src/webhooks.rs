//! Webhooks: every case event of the outbox POSTed as JSON to each configured URL, retried
//! with doubling delays, each attempt written to the delivery log (`onemap_webhook_deliveries`,
//! `GET /events/{id}/deliveries`).
//!
//! The notifier follows the outbox from the newest event at start-up: events queued while
//! no server ran are not sent. With several instances on one database, configure webhooks
//! on one of them, or each event is sent once per instance.

use std::time::Duration;

use chrono::Utc;
use onemap_spatial::cases::{CaseEvent, Delivery};

use crate::routes::cases::events::{BATCH, event_json, wait_for_writes};
use crate::state::AppState;

/// For the whole request, connecting included.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Follows the outbox and delivers each new event; `None` when no webhook is configured.
pub fn spawn(st: AppState) -> Option<tokio::task::JoinHandle<()>> {
    if st.case_settings.webhooks.is_empty() {
        return None;
    }
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .user_agent("onemap")
        .build()
        .ok()?;
    Some(tokio::spawn(async move {
        let mut rx = st.cases.subscribe();
        let mut cursor = loop {
            match st.cases.store().last_event_id().await {
                Ok(id) => break id,
                Err(e) => {
                    tracing::warn!(error = %e, "webhooks: cannot read the outbox");
                    wait_for_writes(&mut rx).await;
                }
            }
        };
        loop {
            match st.cases.store().events_after(cursor, BATCH).await {
                Ok(batch) if !batch.is_empty() => {
                    for e in batch {
                        cursor = e.id;
                        for url in &st.case_settings.webhooks {
                            tokio::spawn(deliver(st.clone(), http.clone(), e.clone(), url.clone()));
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
async fn deliver(st: AppState, http: reqwest::Client, e: CaseEvent, url: String) {
    let body = event_json(&e).to_string();
    let s = &st.case_settings;
    let mut delay = Duration::from_millis(s.webhook_backoff_ms);
    for attempt in 1..=s.webhook_attempts.max(1) {
        let outcome = post(&http, &url, body.clone()).await;
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
        if let Err(err) = st.cases.store().record_delivery(&log).await {
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
async fn post(http: &reqwest::Client, url: &str, body: String) -> Result<u16, String> {
    http.post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
}
