//! `GET /cases/tiles/{z}/{x}/{y}.mvt`: the `cases` map layer, a point per case at its
//! feature, built from the case store on each request (cases change with every action and
//! timer, so they bypass the feature tile cache). Takes the `GET /cases` filters.

use std::sync::{Arc, LazyLock};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use geo::Geometry;
use onemap_spatial::cases::CaseFilter;
use onemap_spatial::{Feature, LayerDef, LayerRegistry};
use onemap_tiles::{TileId, render_features};
use serde_json::json;

use super::read::FilterQuery;
use crate::caller::Caller;
use crate::extract::{Path, Query};
use crate::problem::Problem;
use crate::state::AppState;

/// Case points drawn in one tile at most (the newest).
const MAX_POINTS: i64 = 20_000;

/// The MVT layer `cases` and its properties.
static CASES: LazyLock<Arc<LayerDef>> = LazyLock::new(|| {
    let decl = r#"{ "id": "cases", "title": "案件", "geometry": "Point", "extent": "world",
        "properties": [ { "name": "workflow", "type": "string" }, { "name": "state", "type": "string" },
          { "name": "overdue", "type": "boolean" }, { "name": "level", "type": "string" },
          { "name": "urge_count", "type": "integer" }, { "name": "district_code", "type": "string" } ] }"#;
    LayerRegistry::from_sources([("cases.json".to_string(), decl)])
        .ok()
        .and_then(|r| r.get("cases").cloned())
        .expect("the cases layer declaration is valid")
});

/// `GET /cases/tiles/{z}/{x}/{y}.mvt`: 204 when no case is in the tile.
#[utoipa::path(get, path = "/cases/tiles/{z}/{x}/{y}", tag = "cases", params(("z" = u32, Path, description = "Zoom"), ("x" = u32, Path, description = "Column"), ("y" = String, Path, description = "Row, with the .mvt suffix"), FilterQuery), responses((status = 200, description = "The cases in the tile", body = crate::openapi::Binary, content_type = "application/vnd.mapbox-vector-tile"), (status = 204, description = "No case in the tile"), crate::openapi::Problems))]
pub async fn tile(
    State(st): State<AppState>,
    caller: Caller,
    Path((z, x, y)): Path<(u32, u32, String)>,
    Query(q): Query<FilterQuery>,
) -> Result<Response, Problem> {
    let y: u32 = y
        .strip_suffix(".mvt")
        .and_then(|y| y.parse().ok())
        .ok_or_else(|| Problem::not_found(format!("`{y}`: tiles are {{y}}.mvt")))?;
    let tile = TileId::new(z, x, y).map_err(|e| Problem::bad_request(e.to_string()))?;
    let filter = CaseFilter {
        bbox: Some(tile.buffered_bounds_lonlat()),
        ..q.filter_for(&caller)?
    };
    let found = st.cases.store().list_cases(&filter, MAX_POINTS, 0).await?;
    let features: Vec<Arc<Feature>> = found
        .into_iter()
        .filter_map(|c| {
            let at = c.fields.location?;
            let props = json!({
                "workflow": c.workflow, "state": c.fields.state, "overdue": c.fields.overdue,
                "level": c.fields.level, "urge_count": c.fields.urge_count,
                "district_code": c.fields.district_code,
            });
            Some(Arc::new(Feature {
                id: c.id,
                version: c.version,
                geometry: Some(Geometry::Point(at)),
                properties: props.as_object().cloned().unwrap_or_default(),
                geometries: Default::default(),
            }))
        })
        .collect();
    Ok(match render_features(&CASES, &features, tile) {
        Some(bytes) => (
            [(header::CONTENT_TYPE, "application/vnd.mapbox-vector-tile")],
            bytes,
        )
            .into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}
