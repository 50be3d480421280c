//! `GET /events`: case notifications as server-sent events, read from the durable outbox.
//!
//! Each event's SSE `id` is its outbox id, so a client that reconnects with `Last-Event-ID`
//! (or `?after=`) misses nothing and sees nothing twice. A district or township caller sees
//! only the events of its own area.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use onemap_spatial::cases::CaseEvent;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::caller::Caller;
use crate::extract::{Path, Query};
use crate::problem::Problem;
use crate::state::AppState;

/// How often the outbox is read when this server wrote nothing (writes of other instances).
pub const POLL: Duration = Duration::from_secs(1);
/// Events read from the outbox at a time.
pub const BATCH: i64 = 100;

/// The query of `GET /events`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Start after this event id; default: `Last-Event-ID`, else only new events.
    after: Option<i64>,
}

/// An outbox event as clients and webhooks receive it.
pub fn event_json(e: &CaseEvent) -> Value {
    let mut v = json!({"id": e.id, "kind": e.kind, "case_id": e.case_id, "queued_at": e.at});
    if let (Some(o), Some(p)) = (v.as_object_mut(), e.payload.as_object()) {
        o.extend(p.clone());
    }
    v
}

/// Waits until this server writes a case or [`POLL`] passes.
pub async fn wait_for_writes(rx: &mut tokio::sync::watch::Receiver<u64>) {
    let _ = tokio::time::timeout(POLL, rx.changed()).await;
}

/// `GET /events`: one SSE event per outbox event, `event:` its kind (`case.created`,
/// `case.action`, `case.deadline`, `case.reminder`), `data:` the JSON of [`event_json`].
#[utoipa::path(get, path = "/events", tag = "cases", params(EventsQuery, ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event")), responses((status = 200, description = "One event per outbox event", body = crate::openapi::Text, content_type = "text/event-stream"), crate::openapi::Problems))]
pub async fn events(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Problem> {
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let cursor = match q.after.or(resume) {
        Some(c) => c,
        None => st.cases.store().last_event_id().await?,
    };
    let rx = st.cases.subscribe();
    let pending: Vec<CaseEvent> = Vec::new();
    let stream = futures_util::stream::unfold(
        (st, caller, cursor, rx, pending),
        |(st, caller, mut cursor, mut rx, mut pending)| async move {
            loop {
                if let Some(e) = pending.pop() {
                    let sse = Event::default()
                        .id(e.id.to_string())
                        .event(e.kind.clone())
                        .json_data(event_json(&e))
                        .unwrap_or_default();
                    return Some((Ok(sse), (st, caller, cursor, rx, pending)));
                }
                match st.cases.store().events_after(cursor, BATCH).await {
                    Ok(batch) if !batch.is_empty() => {
                        cursor = batch.last().map_or(cursor, |e| e.id);
                        // Popped from the end: keep them newest first.
                        pending = batch
                            .into_iter()
                            .rev()
                            .filter(|e| visible(&caller, e))
                            .collect();
                    }
                    Ok(_) => wait_for_writes(&mut rx).await,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read the case outbox");
                        wait_for_writes(&mut rx).await;
                    }
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// City-wide callers see everything; others the events of their district (and township).
fn visible(caller: &Caller, e: &CaseEvent) -> bool {
    let field = |k: &str| e.payload.get(k).and_then(Value::as_str);
    let district = caller
        .district
        .as_deref()
        .is_none_or(|d| field("district_code") == Some(d));
    let township = caller
        .township
        .as_deref()
        .is_none_or(|t| field("township_code") == Some(t));
    district && township
}

/// `GET /events/{id}/deliveries`: the webhook delivery attempts of an event, in order:
/// `[{"url", "attempt", "status_code", "error", "at", "delivered"}]`.
#[utoipa::path(get, path = "/events/{id}/deliveries", tag = "cases", params(("id" = i64, Path, description = "An event id")), responses((status = 200, description = "The webhook delivery attempts, in order", body = crate::openapi::JsonArray), crate::openapi::Problems))]
pub async fn deliveries(
    State(st): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, Problem> {
    let log = st.cases.store().deliveries(id).await?;
    Ok(axum::Json(Value::Array(
        log.iter()
            .map(|d| {
                json!({"url": d.url, "attempt": d.attempt, "status_code": d.status_code,
                    "error": d.error, "at": d.at, "delivered": d.delivered})
            })
            .collect(),
    )))
}
