//! MapLibre styles from `styles/`, built into the binary.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::caller::Caller;
use crate::extract::Path;
use crate::problem::Problem;
use crate::state::AppState;

/// (name, title, JSON text) of each shipped style.
const STYLES: &[(&str, &str, &str)] = &[(
    "onemap",
    "一张图 one-map",
    include_str!("../../../styles/onemap.json"),
)];

/// Colour ramps for thematic maps.
pub const RAMPS: &str = include_str!("../../../styles/ramps.json");

/// `GET /styles`.
#[utoipa::path(get, path = "/styles", tag = "tiles", responses((status = 200, description = "id, title and url of each style", body = crate::openapi::JsonArray), crate::openapi::Problems))]
pub async fn list(State(st): State<AppState>, _caller: Caller, headers: HeaderMap) -> Json<Value> {
    let base = st.base_url(&headers);
    Json(Value::Array(
        STYLES
            .iter()
            .map(|(id, title, _)| json!({"id": id, "title": title, "url": format!("{base}/styles/{id}.json")}))
            .collect(),
    ))
}

/// `GET /styles/{name}.json`, with `{base}` replaced by this server's URL so sources are absolute.
#[utoipa::path(get, path = "/styles/{name}", tag = "tiles", params(("name" = String, Path, description = "A style id with the .json suffix", example = "default.json")), responses((status = 200, description = "A MapLibre style", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn one(
    State(st): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Result<Response, Problem> {
    let name = file.strip_suffix(".json").unwrap_or(&file);
    let (_, _, text) = STYLES
        .iter()
        .find(|(id, _, _)| *id == name)
        .ok_or_else(|| Problem::not_found(format!("no style `{name}`")))?;
    let body = text.replace("{base}", &st.base_url(&headers));
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `GET /styles/ramps.json`-style access to the colour ramps.
#[utoipa::path(get, path = "/styles/ramps", tag = "tiles", responses((status = 200, description = "The colour ramps for thematic maps", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn ramps(_caller: Caller) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], RAMPS).into_response()
}
