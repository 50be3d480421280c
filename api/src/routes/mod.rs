//! The HTTP surface, one module per resource.

// Cases over HTTP: workflows, cases on features, actions, attachments, stats, tiles, events.
pub(crate) mod cases;
// `/coord/*`: CRS conversion of points, batches, GeoJSON and CSV; local-correction fits.
mod coord;
// `POST /collections/{layer}/dedup`: buffer dedup of incoming reports.
mod dedup;
// Feature writes (POST, PUT, PATCH, DELETE) with optimistic concurrency.
mod edit;
// `GET /collections/{layer}/export`: a selection as GeoJSON, CSV, XLSX or GeoPackage.
mod export;
// `/geocode`, `/geocode/fused` and `/reverse`: geocoding over the server's gazetteer.
mod geocode;
// `geocode=true` on writes: a missing point filled from the feature's address.
mod geofill;
// `GET /health`: liveness and what a monitor wants to see.
mod health;
// `POST /collections/{layer}/import`: a file of features, validated or committed.
mod import;
// `GET /collections/{layer}/items[/{id}]`: reading features.
mod items;
// `GET /jobs/{id}[/events]`: watching a background job.
mod jobs;
// `/layers` and `/collections`: the layer listings.
mod layers;
// `POST /measure`: geodesic length, area and perimeter.
mod measure;
// `POST /query`: selection, sorting, paging, counts and grouped aggregates.
mod query;
// MapLibre styles built into the binary.
mod styles;
// `GET /thematic`: range-value thematic maps and their tiles.
mod thematic;
// Vector tiles and their TileJSON.
mod tiles;
// The one-map viewer page and the glyphs its labels need.
mod viewer;

use axum::extract::DefaultBodyLimit;
use axum::{Extension, Router};
use tower_http::services::ServeDir;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use crate::openapi::{self, Document};
use crate::problem::{Problem, ProblemType};
use crate::state::AppState;

/// Room for a million points in a batch conversion (about 40 bytes each as JSON).
const COORD_BODY_LIMIT: usize = 64 << 20;

/// The handlers of one path, with the path spelled out so this file reads as the route table
/// (the e2e `openapi` test reads it so); the handlers' `#[utoipa::path]` must say the same.
fn at(path: &str, r: UtoipaMethodRouter<AppState>) -> UtoipaMethodRouter<AppState> {
    assert!(
        r.1.paths.contains_key(path),
        "the handlers routed at {path} are documented at {:?}",
        r.1.paths.keys().collect::<Vec<_>>()
    );
    r
}

/// `r` with a body limit of its own.
fn limit(r: UtoipaMethodRouter<AppState>, bytes: usize) -> UtoipaMethodRouter<AppState> {
    (r.0, r.1, r.2.layer(DefaultBodyLimit::max(bytes)))
}

/// Every route of the server, and `/openapi.json` describing them.
pub fn router(state: AppState, max_body: usize) -> Router {
    let cases_limit = cases::attachments::BODY_LIMIT;
    let (router, mut doc) = OpenApiRouter::with_openapi(openapi::base())
        .routes(at("/", routes!(viewer::index)))
        .routes(at("/openapi.json", routes!(openapi::document)))
        .routes(at("/health", routes!(health::health)))
        .routes(at("/layers", routes!(layers::list)))
        .routes(at("/collections", routes!(layers::collections)))
        .routes(at("/collections/{layer}", routes!(layers::collection_one)))
        .routes(at(
            "/collections/{layer}/items",
            routes!(items::list, edit::create),
        ))
        .routes(at(
            "/collections/{layer}/items/{id}",
            routes!(items::one, edit::replace, edit::patch, edit::delete),
        ))
        .routes(at("/collections/{layer}/dedup", routes!(dedup::dedup)))
        .routes(at(
            "/collections/{layer}/items/{id}/cases",
            routes!(cases::read::of_feature),
        ))
        .routes(at("/workflows", routes!(cases::workflows::list)))
        .routes(at("/workflows/{id}", routes!(cases::workflows::one)))
        .routes(limit(
            at("/cases", routes!(cases::read::list, cases::create::create)),
            cases_limit,
        ))
        .routes(at("/cases/stats", routes!(cases::stats::stats)))
        .routes(at("/cases/tiles/{z}/{x}/{y}", routes!(cases::tiles::tile)))
        .routes(at("/cases/{id}", routes!(cases::read::one)))
        .routes(limit(
            at("/cases/{id}/actions/{action}", routes!(cases::actions::act)),
            cases_limit,
        ))
        .routes(at(
            "/cases/{id}/attachments/{aid}",
            routes!(cases::attachments::file),
        ))
        .routes(at(
            "/cases/{id}/attachments/{aid}/thumbnail",
            routes!(cases::attachments::thumbnail),
        ))
        .routes(at("/events", routes!(cases::events::events)))
        .routes(at(
            "/events/{id}/deliveries",
            routes!(cases::events::deliveries),
        ))
        // Streams to a temporary file up to `max_import_bytes` (checked by the handler).
        .routes({
            let r = at("/collections/{layer}/import", routes!(import::import));
            (r.0, r.1, r.2.layer(DefaultBodyLimit::disable()))
        })
        .routes(at("/collections/{layer}/export", routes!(export::export)))
        .routes(at("/jobs/{id}", routes!(jobs::one)))
        .routes(at("/jobs/{id}/events", routes!(jobs::events)))
        .routes(at("/thematic", routes!(thematic::thematic)))
        .routes(at("/thematic/tiles/{z}/{x}/{y}", routes!(thematic::tile)))
        .routes(at("/tiles/{layers}", routes!(tiles::tilejson)))
        .routes(at("/tiles/{layers}/{z}/{x}/{y}", routes!(tiles::tile)))
        .routes(limit(
            at(
                "/coord/convert",
                routes!(coord::convert_one, coord::convert_many),
            ),
            COORD_BODY_LIMIT,
        ))
        .routes(limit(
            at(
                "/geocode",
                routes!(geocode::geocode_one, geocode::geocode_many),
            ),
            geocode::BODY_LIMIT,
        ))
        .routes(at("/geocode/fused", routes!(geocode::fused)))
        .routes(limit(
            at(
                "/reverse",
                routes!(geocode::reverse_one, geocode::reverse_many),
            ),
            geocode::BODY_LIMIT,
        ))
        .routes(at("/coord/fit", routes!(coord::fit_correction)))
        .routes(at("/measure", routes!(measure::measure)))
        .routes(at("/query", routes!(query::query)))
        .routes(at("/styles", routes!(styles::list)))
        .routes(at("/styles/ramps", routes!(styles::ramps)))
        .routes(at("/styles/{name}", routes!(styles::one)))
        .routes(at("/fonts/{stack}/{range}", routes!(viewer::glyphs)))
        .split_for_parts();
    openapi::name_operations(&mut doc);
    let doc = Document(std::sync::Arc::new(
        serde_json::to_string(&doc).expect("the OpenAPI document serialises"),
    ));
    router
        .nest_service("/static", ServeDir::new(&state.static_dir))
        .fallback(|| async { Problem::not_found("no such resource") })
        .method_not_allowed_fallback(|| async { Problem::new(ProblemType::MethodNotAllowed) })
        .layer(Extension(doc))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}
