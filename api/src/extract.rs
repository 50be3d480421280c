//! Request extractors whose every rejection is a problem response: handlers take these instead
//! of axum's, so no handler maps a rejection by hand.

use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::problem::{Problem, ProblemType};

/// `axum::extract::Path` whose rejection (`/cases/abc`) is a 400 problem.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Problem))]
pub struct Path<T>(pub T);

/// `axum::extract::Query` whose rejection (`?overdue=maybe`, an unknown parameter) is a 400
/// problem. `Query<Vec<(String, String)>>` takes any parameters, e.g. property filters.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Problem))]
pub struct Query<T>(pub T);

/// The raw request body. Too large → 413, unreadable → 400, both as problems.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        Ok(RawBody(Bytes::from_request(req, state).await?))
    }
}

/// A request body parsed as JSON, whatever its `Content-Type`. Too large → 413, unreadable or
/// not JSON of the shape `T` → 400, all as problems.
pub struct JsonBody<T = Value>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| Problem::new(ProblemType::MalformedJson).detail(e.to_string()))
    }
}

impl From<PathRejection> for Problem {
    fn from(e: PathRejection) -> Self {
        Problem::bad_request(e.body_text())
    }
}

impl From<QueryRejection> for Problem {
    fn from(e: QueryRejection) -> Self {
        Problem::bad_request(e.body_text())
    }
}

impl From<BytesRejection> for Problem {
    fn from(e: BytesRejection) -> Self {
        let kind = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ProblemType::BodyTooLarge
        } else {
            ProblemType::UnreadableBody
        };
        Problem::new(kind).detail(e.body_text())
    }
}
