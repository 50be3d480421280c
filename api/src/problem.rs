//! RFC 9457 problem details: every error the API returns is one of these, and every problem
//! type the server can answer with is a [`ProblemType`] below, with its status and meaning.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use onemap_spatial::validate::Issue;
use onemap_spatial::{CatalogError, StoreError};
use serde::Serialize;

/// Declares [`ProblemType`]: each variant with its status, slug (`/problems/<slug>`) and title.
macro_rules! problem_types {
    ($( $(#[doc = $doc:literal])* $name:ident = ($status:ident, $slug:literal, $title:literal), )*) => {
        /// Every kind of problem the server returns. The slug is the last segment of the
        /// problem's `type` URI; the title is the same for every problem of the type (RFC 9457).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ProblemType {
            $( $(#[doc = $doc])* $name, )*
        }

        impl ProblemType {
            /// Every type, in declaration order (for documenting them).
            pub const ALL: &[ProblemType] = &[$(ProblemType::$name),*];

            /// The HTTP status every problem of this type is answered with.
            pub const fn status(self) -> StatusCode {
                match self { $(ProblemType::$name => StatusCode::$status,)* }
            }

            /// The last segment of the `type` URI, `/problems/<slug>`.
            pub const fn slug(self) -> &'static str {
                match self { $(ProblemType::$name => $slug,)* }
            }

            /// The short, human-readable summary of the type.
            pub const fn title(self) -> &'static str {
                match self { $(ProblemType::$name => $title,)* }
            }

            /// What the type means, from its doc comment.
            pub fn meaning(self) -> &'static str {
                match self { $(ProblemType::$name => concat!($($doc),*).trim(),)* }
            }
        }
    };
}

problem_types! {
    /// A request parameter, path segment or body member is wrong (syntax or value).
    BadRequest = (BAD_REQUEST, "bad-request", "Bad request"),
    /// The body is not JSON, or not JSON of the expected shape.
    MalformedJson = (BAD_REQUEST, "malformed-json", "Malformed JSON"),
    /// The body could not be read (the connection broke, or it is not valid for the transfer).
    UnreadableBody = (BAD_REQUEST, "unreadable-body", "Unreadable body"),
    /// The body is larger than this route accepts.
    BodyTooLarge = (PAYLOAD_TOO_LARGE, "body-too-large", "Body too large"),
    /// Nothing at this address: an unknown route, layer, feature, case, job or file.
    NotFound = (NOT_FOUND, "not-found", "Not found"),
    /// The route exists but not for this method.
    MethodNotAllowed = (METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed"),
    /// The body parsed but breaks the layer's schema or geometry rules; `errors` lists each field.
    InvalidFeature = (UNPROCESSABLE_ENTITY, "invalid-feature", "Invalid feature"),
    /// `If-Match` names an older version than the stored one; `current_version` is the stored one.
    StaleVersion = (PRECONDITION_FAILED, "stale-version", "Precondition failed"),
    /// A unique key (a layer's `unique` fields) is already held by another feature.
    DuplicateKey = (CONFLICT, "duplicate-key", "Conflict"),
    /// The feature kept changing while a patch was applied; retrying may succeed.
    BusyFeature = (CONFLICT, "busy-feature", "Conflict"),
    /// A deduplicated report matches a feature the layer already holds.
    DuplicateReport = (CONFLICT, "duplicate-report", "Duplicate of an existing feature"),
    /// The store (database) cannot be reached now; retrying later may succeed.
    StoreUnavailable = (SERVICE_UNAVAILABLE, "store-unavailable", "Store unavailable"),
    /// The store failed in a way the request cannot fix (a bug or a corrupted store).
    StoreError = (INTERNAL_SERVER_ERROR, "store-error", "Internal store error"),
    /// The server failed in a way the request cannot fix (a bug).
    InternalError = (INTERNAL_SERVER_ERROR, "internal-error", "Internal error"),
    /// A point cannot be converted between the two CRSs (not finite, out of range, outside
    /// GCJ-02's region, or PROJ failed); `point_index` names it when there are several.
    CoordinateError = (UNPROCESSABLE_ENTITY, "coordinate-error", "Coordinate conversion failed"),
    /// The gazetteer (address index) cannot be built or loaded now.
    GazetteerUnavailable = (SERVICE_UNAVAILABLE, "gazetteer-unavailable", "The gazetteer is unavailable"),
    /// An address to fill a feature's geometry from does not geocode; `detail` says why.
    GeocodeFailed = (UNPROCESSABLE_ENTITY, "geocode-failed", "The address does not geocode"),
    /// A tile could not be rendered (a bug in the encoder or a corrupted geometry).
    RenderFailed = (INTERNAL_SERVER_ERROR, "render-failed", "Tile rendering failed"),
    /// A `POST /query` selection failed inside the server.
    QueryFailed = (INTERNAL_SERVER_ERROR, "query-failed", "Query failed"),
    /// An export failed while writing the file.
    ExportFailed = (INTERNAL_SERVER_ERROR, "export-failed", "Export failed"),
    /// A text value is longer than an Excel cell holds (32,767 characters).
    CellTooLong = (UNPROCESSABLE_ENTITY, "cell-too-long", "Too long for Excel"),
    /// The uploaded file is not of its announced format, or is corrupt.
    UnreadableFile = (UNPROCESSABLE_ENTITY, "unreadable-file", "The file cannot be read"),
    /// Rows of an import are invalid and `on_error=abort`: nothing was imported.
    ImportAborted = (UNPROCESSABLE_ENTITY, "import-aborted", "Invalid rows: nothing was imported"),
    /// An import failed inside the server; nothing was imported.
    ImportFailed = (INTERNAL_SERVER_ERROR, "import-failed", "The import failed"),
    /// The server has no room to store the upload.
    NoSpace = (INSUFFICIENT_STORAGE, "no-space", "Cannot store the upload"),
    /// The resource (a job) belongs to another user.
    Forbidden = (FORBIDDEN, "forbidden", "Forbidden"),
    /// A case outside the caller's jurisdiction was asked for.
    OutsideJurisdiction = (FORBIDDEN, "outside-jurisdiction", "Outside your jurisdiction"),
    /// The caller's role or level may not take this action; `allowed_roles`, `allowed_levels`.
    ForbiddenRole = (FORBIDDEN, "forbidden-role", "Forbidden"),
    /// The case lies outside the caller's jurisdiction.
    ForbiddenJurisdiction = (FORBIDDEN, "forbidden-jurisdiction", "Forbidden"),
    /// Another level is responsible for the case now; `responsible_level` names it.
    NotResponsible = (FORBIDDEN, "not-responsible", "Forbidden"),
    /// The case's workflow has no action of this name.
    UnknownAction = (NOT_FOUND, "unknown-action", "Unknown action"),
    /// The action exists but not in the case's current state; `allowed_actions` lists those that do.
    ActionNotAllowed = (UNPROCESSABLE_ENTITY, "action-not-allowed", "Action not allowed now"),
    /// The action's body breaks the workflow's rules (a missing comment, field or attachment).
    InvalidAction = (UNPROCESSABLE_ENTITY, "invalid-action", "Invalid action"),
    /// The case changed since the caller read it; `current_version` and `case` give the new state.
    CaseConflict = (CONFLICT, "case-conflict", "Conflict"),
    /// A case names a workflow that is not defined.
    UnknownWorkflow = (UNPROCESSABLE_ENTITY, "unknown-workflow", "Unknown workflow"),
    /// A stored case's workflow state cannot be read (a bug or a changed workflow definition).
    CaseState = (INTERNAL_SERVER_ERROR, "case-state", "Unreadable case state"),
    /// An attachment is larger than attachments may be.
    AttachmentTooLarge = (PAYLOAD_TOO_LARGE, "attachment-too-large", "Attachment too large"),
    /// An action carries more attachments than one action may.
    TooManyAttachments = (PAYLOAD_TOO_LARGE, "too-many-attachments", "Too many attachments"),
    /// An attachment is neither a JPEG, PNG or WebP image nor a PDF document.
    AttachmentType = (UNSUPPORTED_MEDIA_TYPE, "attachment-type", "Unsupported attachment type"),
    /// An attachment announced as an image cannot be decoded.
    AttachmentUnreadable = (UNPROCESSABLE_ENTITY, "attachment-unreadable", "Unreadable image"),
}

/// An error response (`application/problem+json`); boxed, so results that carry
/// one stay small on the happy path.
#[derive(Debug, Clone)]
pub struct Problem(Box<Body>);

/// The members of a problem body.
#[derive(Debug, Clone, Serialize)]
pub struct Body {
    /// The HTTP status; sent as the response's status, not as a member.
    #[serde(skip)]
    pub status: StatusCode,
    /// A URI naming the kind of problem; relative, under `/problems/`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The same for every problem of a type: a short human summary of it.
    pub title: String,
    /// What went wrong in this request, for a human.
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
    /// A problem of type `kind`, with its status and title.
    pub fn new(kind: ProblemType) -> Self {
        Self(Box::new(Body {
            status: kind.status(),
            kind: format!("/problems/{}", kind.slug()),
            title: kind.title().into(),
            detail: None,
            errors: Vec::new(),
            extra: Default::default(),
        }))
    }

    /// Adds the `detail`: what went wrong in this request.
    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.0.detail = Some(d.into());
        self
    }

    /// Adds an extension member `key` (RFC 9457 §3.2), e.g. the current version on a 412.
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
        Self::new(ProblemType::BadRequest).detail(detail)
    }

    /// 404: nothing at this address.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(ProblemType::NotFound).detail(detail)
    }

    /// 422: the body parsed but breaks the layer's schema or geometry rules.
    pub fn invalid(errors: Vec<Issue>) -> Self {
        let detail = errors
            .iter()
            .map(|i| format!("{}: {}", i.field, i.message))
            .collect::<Vec<_>>()
            .join("; ");
        let mut p = Self::new(ProblemType::InvalidFeature).detail(detail);
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
            StoreError::VersionMismatch { current, .. } => Problem::new(ProblemType::StaleVersion)
                .detail(e.to_string())
                .with("current_version", current),
            StoreError::Duplicate(_) => {
                Problem::new(ProblemType::DuplicateKey).detail(e.to_string())
            }
            StoreError::Unavailable(_) => {
                Problem::new(ProblemType::StoreUnavailable).detail(e.to_string())
            }
            StoreError::Refused(_) | StoreError::Backend(_) => {
                // The cause chain goes to the log; the client learns only that it was ours.
                let chain: Vec<String> =
                    std::iter::successors(Some(&e as &dyn std::error::Error), |e| e.source())
                        .map(ToString::to_string)
                        .collect();
                tracing::error!(error = %chain.join(": caused by: "), "store failure");
                Problem::new(ProblemType::StoreError).detail("internal store error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_unique_and_every_type_is_documented() {
        let mut slugs: Vec<_> = ProblemType::ALL.iter().map(|t| t.slug()).collect();
        slugs.sort_unstable();
        let n = slugs.len();
        slugs.dedup();
        assert_eq!(slugs.len(), n, "two problem types share a slug");
        for t in ProblemType::ALL {
            assert!(!t.meaning().is_empty(), "{t:?} has no doc comment");
        }
    }

    #[test]
    fn a_problem_carries_its_types_status_slug_and_title() {
        let p = Problem::new(ProblemType::StaleVersion).to_json();
        assert_eq!(p["status"], 412);
        assert_eq!(p["type"], "/problems/stale-version");
        assert_eq!(p["title"], "Precondition failed");
    }
}
