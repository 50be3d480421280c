//! The one-map viewer page and the glyphs its labels need.

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

use crate::extract::Path;
use crate::problem::Problem;
use crate::state::AppState;

/// `GET /`: the viewer.
#[utoipa::path(get, path = "/", tag = "meta", responses((status = 200, description = "The map viewer", body = crate::openapi::Text, content_type = "text/html"), crate::openapi::Problems))]
pub async fn index(State(st): State<AppState>) -> Result<Html<String>, Problem> {
    tokio::fs::read_to_string(st.static_dir.join("index.html"))
        .await
        .map(Html)
        .map_err(|e| {
            Problem::not_found(format!(
                "viewer not installed ({e}); run scripts/vendor-viewer.sh"
            ))
        })
}

/// `GET /fonts/{fontstack}/{range}.pbf`: SDF glyphs vendored from npm.
///
/// CJK never comes here (the viewer draws it with a local font); a missing
/// range is a 404 so MapLibre falls back to local rendering.
#[utoipa::path(get, path = "/fonts/{stack}/{range}", tag = "tiles", params(("stack" = String, Path, description = "Comma-separated font names"), ("range" = String, Path, description = "A glyph range, e.g. 0-255.pbf")), responses((status = 200, description = "SDF glyphs", body = crate::openapi::Binary, content_type = "application/x-protobuf"), crate::openapi::Problems))]
pub async fn glyphs(
    State(st): State<AppState>,
    Path((stack, range)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let valid = |s: &str| !s.is_empty() && !s.contains(['/', '\\']) && !s.starts_with('.');
    if !valid(&range) || !range.ends_with(".pbf") {
        return Err(Problem::not_found(format!("no glyph range `{range}`")));
    }
    for font in stack.split(',').map(str::trim).filter(|f| valid(f)) {
        let path = st.static_dir.join("vendor/fonts").join(font).join(&range);
        if let Ok(bytes) = tokio::fs::read(&path).await {
            return Ok((
                [
                    (header::CONTENT_TYPE, "application/x-protobuf"),
                    (header::CACHE_CONTROL, "public, max-age=86400"),
                ],
                bytes,
            )
                .into_response());
        }
    }
    Err(Problem::not_found(format!(
        "no glyphs {range} for `{stack}`"
    )))
}
