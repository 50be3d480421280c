//! RFC 9457 problem details: every error the API returns is one of these.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use onemap_spatial::validate::Issue;
use onemap_spatial::{CatalogError, StoreError};
use serde::Serialize;

/// An error response (`application/problem+json`); boxed, so results that carry
/// one stay small on the happy path.
#[derive(Debug, Clone)]
pub struct Problem(Box<Body>);

/// The members of a problem body.
#[derive(Debug, Clone, Serialize)]
pub struct Body {
    #[serde(skip)]
    pub status: StatusCode,
    /// A URI naming the kind of problem; relative, under `/problems/`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Each offending field, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Issue>,
    /// Extra members, e.g. the current version on a 412.
    #[serde(flatten, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, title: impl Into<String>) -> Self {
        Self(Box::new(Body {
            status,
            kind: format!("/problems/{kind}"),
            title: title.into(),
            detail: None,
            errors: Vec::new(),
            extra: Default::default(),
        }))
    }

    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.0.detail = Some(d.into());
        self
    }

    pub fn with(mut self, key: &str, v: impl Into<serde_json::Value>) -> Self {
        self.0.extra.insert(key.into(), v.into());
        self
    }

    /// The body with its `status` member, for reporting the problem later (a failed job).
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(&*self.0).unwrap_or_default();
        v["status"] = self.0.status.as_u16().into();
        v
    }

    /// 400: a request parameter is wrong.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request").detail(detail)
    }

    /// 404: nothing at this address.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found").detail(detail)
    }

    /// 422: the body parsed but breaks the layer's schema or geometry rules.
    pub fn invalid(errors: Vec<Issue>) -> Self {
        let detail = errors
            .iter()
            .map(|i| format!("{}: {}", i.field, i.message))
            .collect::<Vec<_>>()
            .join("; ");
        let mut p = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-feature",
            "Invalid feature",
        )
        .detail(detail);
        p.0.errors = errors;
        p
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&*self.0).unwrap_or_default();
        (
            self.0.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

impl From<CatalogError> for Problem {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::UnknownLayer(_) | CatalogError::NotFound { .. } => {
                Problem::not_found(e.to_string())
            }
            CatalogError::Invalid(issues) => Problem::invalid(issues),
            CatalogError::Store(s) => s.into(),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => Problem::not_found(e.to_string()),
            StoreError::VersionMismatch { current, .. } => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "stale-version",
                "Precondition failed",
            )
            .detail(e.to_string())
            .with("current_version", current),
            StoreError::Duplicate(_) => {
                Problem::new(StatusCode::CONFLICT, "duplicate-key", "Conflict")
                    .detail(e.to_string())
            }
            StoreError::Unavailable(_) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store-unavailable",
                "Store unavailable",
            )
            .detail(e.to_string()),
            StoreError::Refused(_) | StoreError::Backend(_) => {
                // The cause chain goes to the log; the client learns only that it was ours.
                let chain: Vec<String> =
                    std::iter::successors(Some(&e as &dyn std::error::Error), |e| e.source())
                        .map(ToString::to_string)
                        .collect();
                tracing::error!(error = %chain.join(": caused by: "), "store failure");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "store-error",
                    "Internal store error",
                )
                .detail("internal store error")
            }
        }
    }
}
