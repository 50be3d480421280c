//! The HTTP surface, one module per resource.

pub(crate) mod cases;
mod coord;
mod dedup;
mod edit;
mod export;
mod geocode;
mod geofill;
mod health;
mod import;
mod items;
mod jobs;
mod layers;
mod measure;
mod query;
mod styles;
mod thematic;
mod tiles;
mod viewer;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tower_http::services::ServeDir;

use crate::problem::{Problem, ProblemType};
use crate::state::AppState;

/// Room for a million points in a batch conversion (about 40 bytes each as JSON).
const COORD_BODY_LIMIT: usize = 64 << 20;

/// Every route of the server.
pub fn router(state: AppState, max_body: usize) -> Router {
    Router::new()
        .route("/", get(viewer::index))
        .route("/health", get(health::health))
        .route("/layers", get(layers::list))
        .route("/collections", get(layers::collections))
        .route("/collections/{layer}", get(layers::collection_one))
        .route(
            "/collections/{layer}/items",
            get(items::list).post(edit::create),
        )
        .route(
            "/collections/{layer}/items/{id}",
            get(items::one)
                .put(edit::replace)
                .patch(edit::patch)
                .delete(edit::delete),
        )
        .route("/collections/{layer}/dedup", post(dedup::dedup))
        .route(
            "/collections/{layer}/items/{id}/cases",
            get(cases::read::of_feature),
        )
        .route("/workflows", get(cases::workflows::list))
        .route("/workflows/{id}", get(cases::workflows::one))
        .route(
            "/cases",
            get(cases::read::list)
                .post(cases::create::create)
                .layer(DefaultBodyLimit::max(cases::attachments::BODY_LIMIT)),
        )
        .route("/cases/stats", get(cases::stats::stats))
        .route("/cases/tiles/{z}/{x}/{y}", get(cases::tiles::tile))
        .route("/cases/{id}", get(cases::read::one))
        .route(
            "/cases/{id}/actions/{action}",
            post(cases::actions::act).layer(DefaultBodyLimit::max(cases::attachments::BODY_LIMIT)),
        )
        .route(
            "/cases/{id}/attachments/{aid}",
            get(cases::attachments::file),
        )
        .route(
            "/cases/{id}/attachments/{aid}/thumbnail",
            get(cases::attachments::thumbnail),
        )
        .route("/events", get(cases::events::events))
        .route("/events/{id}/deliveries", get(cases::events::deliveries))
        // Streams to a temporary file up to `max_import_bytes` (checked by the handler).
        .route(
            "/collections/{layer}/import",
            post(import::import).layer(DefaultBodyLimit::disable()),
        )
        .route("/collections/{layer}/export", get(export::export))
        .route("/jobs/{id}", get(jobs::one))
        .route("/jobs/{id}/events", get(jobs::events))
        .route("/thematic", get(thematic::thematic))
        .route("/thematic/tiles/{z}/{x}/{y}", get(thematic::tile))
        .route("/tiles/{layers}", get(tiles::tilejson))
        .route("/tiles/{layers}/{z}/{x}/{y}", get(tiles::tile))
        .route(
            "/coord/convert",
            get(coord::convert_one)
                .post(coord::convert_many)
                .layer(DefaultBodyLimit::max(COORD_BODY_LIMIT)),
        )
        .route(
            "/geocode",
            get(geocode::geocode_one)
                .post(geocode::geocode_many)
                .layer(DefaultBodyLimit::max(geocode::BODY_LIMIT)),
        )
        .route("/geocode/fused", get(geocode::fused))
        .route(
            "/reverse",
            get(geocode::reverse_one)
                .post(geocode::reverse_many)
                .layer(DefaultBodyLimit::max(geocode::BODY_LIMIT)),
        )
        .route("/coord/fit", post(coord::fit_correction))
        .route("/measure", post(measure::measure))
        .route("/query", post(query::query))
        .route("/styles", get(styles::list))
        .route("/styles/ramps", get(styles::ramps))
        .route("/styles/{name}", get(styles::one))
        .route("/fonts/{stack}/{range}", get(viewer::glyphs))
        .nest_service("/static", ServeDir::new(&state.static_dir))
        .fallback(|| async { Problem::not_found("no such resource") })
        .method_not_allowed_fallback(|| async { Problem::new(ProblemType::MethodNotAllowed) })
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}
