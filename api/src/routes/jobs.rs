//! `GET /jobs/{id}` and `GET /jobs/{id}/events`: watching a background job.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde_json::Value;

use crate::caller::Caller;
use crate::extract::Path;
use crate::problem::Problem;
use crate::state::AppState;

/// How often the event stream reports progress.
const TICK: Duration = Duration::from_millis(500);

/// `GET /jobs/{id}`: status, progress (rows done, rate, ETA) and, once finished, the result.
#[utoipa::path(get, path = "/jobs/{id}", tag = "transfer", params(("id" = String, Path, description = "A job id")), responses((status = 200, description = "Status, progress and, once finished, the result", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn one(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(st.jobs.get(&id, &caller)?.snapshot()))
}

/// `GET /jobs/{id}/events`: a `progress` event every half second, then one `done` event with
/// the finished job, then the stream ends.
#[utoipa::path(get, path = "/jobs/{id}/events", tag = "transfer", params(("id" = String, Path, description = "A job id")), responses((status = 200, description = "`progress` events, then one `done` event", body = crate::openapi::Text, content_type = "text/event-stream"), crate::openapi::Problems))]
pub async fn events(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Problem> {
    let job = st.jobs.get(&id, &caller)?;
    let stream = futures_util::stream::unfold(Some(job), |job| async move {
        let job = job?;
        if job.finished() {
            let done = Event::default().event("done").json_data(job.snapshot());
            return Some((Ok(done.unwrap_or_default()), None));
        }
        tokio::time::sleep(TICK).await;
        let progress = Event::default()
            .event("progress")
            .json_data(job.progress.snapshot());
        Some((Ok(progress.unwrap_or_default()), Some(job)))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
