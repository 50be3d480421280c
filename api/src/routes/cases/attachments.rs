//! Files sent with a case action, and `GET /cases/{id}/attachments/{aid}[/thumbnail]`.
//!
//! Uploads travel inside the action's JSON as `{"filename", "content_base64"}` so that an
//! action and its photos are one request and one transaction (no half-attached files).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use onemap_spatial::cases::NewAttachment;
use serde::Deserialize;

use crate::attachment::{self, MAX_BYTES};
use crate::caller::Caller;
use crate::extract::Path;
use crate::problem::{Problem, ProblemType};
use crate::state::AppState;

/// Files one action may carry.
pub const MAX_FILES: usize = 4;
/// Room for [`MAX_FILES`] base64-encoded files of [`MAX_BYTES`] and the rest of the action.
pub const BODY_LIMIT: usize = MAX_FILES * (MAX_BYTES / 3 + 1) * 4 + (1 << 20);

/// One uploaded file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upload {
    /// The file's name, as the client gives it.
    pub filename: String,
    /// The file's bytes, standard base64 (padding optional).
    pub content_base64: String,
}

/// Decodes, checks and converts the uploads (images → compressed copy + thumbnail) off the
/// async workers; all belong to the step's first history entry.
pub async fn prepare(uploads: Vec<Upload>) -> Result<Vec<NewAttachment>, Problem> {
    if uploads.len() > MAX_FILES {
        return Err(
            Problem::new(ProblemType::TooManyAttachments).detail(format!(
                "{} files; an action takes at most {MAX_FILES}",
                uploads.len()
            )),
        );
    }
    tokio::task::spawn_blocking(move || uploads.iter().map(convert).collect())
        .await
        .map_err(|e| Problem::bad_request(format!("attachment processing failed: {e}")))?
}

fn convert(u: &Upload) -> Result<NewAttachment, Problem> {
    let bytes = base64(&u.content_base64).ok_or_else(|| {
        Problem::bad_request(format!("`{}`: content_base64 is not base64", u.filename))
    })?;
    let p = attachment::process(&u.filename, &bytes)?;
    Ok(NewAttachment {
        entry: 0,
        filename: p.filename,
        content_type: p.content_type.into(),
        size: p.original_size as i64,
        data: p.stored,
        thumbnail: p.thumbnail,
    })
}

/// Standard base64 (RFC 4648 §4), padding optional, whitespace ignored.
fn base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let digits: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    LENIENT.decode(digits).ok()
}

/// `GET /cases/{id}/attachments/{aid}`: the stored copy (a compressed JPEG for images).
#[utoipa::path(get, path = "/cases/{id}/attachments/{aid}", tag = "cases", params(("id" = i64, Path, description = "A case id"), ("aid" = i64, Path, description = "An attachment id")), responses((status = 200, description = "The stored copy", content((crate::openapi::Binary = "image/jpeg"), (crate::openapi::Binary = "image/png"), (crate::openapi::Binary = "image/webp"), (crate::openapi::Binary = "application/pdf"))), crate::openapi::Problems))]
pub async fn file(
    State(st): State<AppState>,
    _caller: Caller,
    Path((id, aid)): Path<(i64, i64)>,
) -> Result<Response, Problem> {
    send(&st, id, aid, false).await
}

/// `GET /cases/{id}/attachments/{aid}/thumbnail`: a JPEG at most 256 pixels across.
#[utoipa::path(get, path = "/cases/{id}/attachments/{aid}/thumbnail", tag = "cases", params(("id" = i64, Path, description = "A case id"), ("aid" = i64, Path, description = "An attachment id")), responses((status = 200, description = "A JPEG at most 256 pixels across", body = crate::openapi::Binary, content_type = "image/jpeg"), crate::openapi::Problems))]
pub async fn thumbnail(
    State(st): State<AppState>,
    _caller: Caller,
    Path((id, aid)): Path<(i64, i64)>,
) -> Result<Response, Problem> {
    send(&st, id, aid, true).await
}

async fn send(st: &AppState, id: i64, aid: i64, thumb: bool) -> Result<Response, Problem> {
    let missing = || Problem::not_found(format!("case {id} has no attachment {aid}"));
    let a = st
        .cases
        .store()
        .attachment(aid)
        .await?
        .filter(|a| a.meta.case_id == id)
        .ok_or_else(missing)?;
    let (bytes, ct) = if thumb {
        let t = a.thumbnail.ok_or_else(|| {
            Problem::not_found(format!(
                "attachment {aid} ({}) has no thumbnail",
                a.meta.filename
            ))
        })?;
        (t, "image/jpeg".to_string())
    } else {
        (a.data, a.meta.content_type)
    };
    Ok(([(header::CONTENT_TYPE, ct)], bytes).into_response())
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64("aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64("aGVs\nbG8h").unwrap(), b"hello!");
        assert_eq!(base64("").unwrap(), b"");
        assert!(base64("a").is_none());
        assert!(base64("a*==").is_none());
    }
}
