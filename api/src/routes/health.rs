//! `GET /health`: liveness plus what a monitor wants to see.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::state::AppState;

/// `GET /health`: status, version, store, layer and feature counts, tile cache use.
#[utoipa::path(get, path = "/health", tag = "meta", responses((status = 200, description = "status, version, store, layers, features, tile_cache", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn health(State(st): State<AppState>) -> Json<Value> {
    let features: usize = st.catalog.layers().map(|l| l.read(|ix| ix.len())).sum();
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "store": st.catalog.store().describe(),
        "layers": st.catalog.layers().count(),
        "features": features,
        "tile_cache": st.tiles.stats(),
    }))
}
