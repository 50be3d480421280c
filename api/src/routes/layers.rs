//! Layer listings: `/layers` for viewers and `/collections` in OGC API – Features shape.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use onemap_spatial::Layer;
use onemap_spatial::items::ItemQuery;
use serde_json::{Value, json};

use crate::caller::Caller;
use crate::extract::Path;
use crate::problem::Problem;
use crate::state::AppState;

/// The data's bounds; for a `serve: database` layer, its declared extent (computing the
/// real one would scan the table).
fn bounds(layer: &Layer) -> Option<[f64; 4]> {
    if layer.in_database() {
        return Some(layer.def.extent.bounds());
    }
    layer
        .read(|ix| ix.bounds())
        .map(|b| [b.min().x, b.min().y, b.max().x, b.max().y])
}

/// How many features a layer holds; None when its database cannot say right now.
async fn count(st: &AppState, layer: &Layer) -> Option<usize> {
    if !layer.in_database() {
        return Some(layer.read(|ix| ix.len()));
    }
    let q = ItemQuery::default();
    st.catalog
        .query(&layer.def.id, &q)
        .await
        .ok()
        .map(|p| p.matched)
}

fn properties(layer: &Layer) -> Vec<Value> {
    layer
        .def
        .properties
        .iter()
        .map(|p| json!({"name": p.name, "title": p.title, "type": p.type_name(), "required": p.required}))
        .collect()
}

/// `GET /layers`: what a viewer needs to build a layer switcher.
#[utoipa::path(get, path = "/layers", tag = "layers", responses((status = 200, description = "Each layer with what a layer switcher needs", body = crate::openapi::JsonArray), crate::openapi::Problems))]
pub async fn list(State(st): State<AppState>, _caller: Caller, headers: HeaderMap) -> Json<Value> {
    let base = st.base_url(&headers);
    let mut out = Vec::new();
    for l in st.catalog.layers() {
        let note = l.note();
        out.push(json!({
                    "id": l.def.id,
                    "title": l.def.title,
                    "description": l.def.description,
                    "geometry_type": l.def.geometry.name(),
                    "count": count(&st, l).await,
                    "serve": l.def.serve,
                    "bounds": bounds(l),
                    "tilejson": format!("{base}/tiles/{}.json", l.def.id),
                    "items": format!("{base}/collections/{}/items", l.def.id),
                    "synthetic": note.synthetic,
                    "provenance": note.provenance,
                    "properties": properties(l),
        }));
    }
    Json(Value::Array(out))
}

fn collection(base: &str, l: &Layer) -> Value {
    let id = &l.def.id;
    let mut c = json!({
        "id": id,
        "title": l.def.title,
        "description": l.def.description,
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "links": [
            {"href": format!("{base}/collections/{id}"), "rel": "self", "type": "application/json"},
            {"href": format!("{base}/collections/{id}/items"), "rel": "items", "type": "application/geo+json"},
            {"href": format!("{base}/tiles/{id}.json"), "rel": "tiles", "type": "application/json"},
        ],
    });
    if let Some(b) = bounds(l) {
        c["extent"] = json!({"spatial": {"bbox": [b], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}});
    }
    c
}

/// `GET /collections`.
#[utoipa::path(get, path = "/collections", tag = "layers", responses((status = 200, description = "`collections` and `links` (OGC API Features)", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn collections(
    State(st): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
) -> Json<Value> {
    let base = st.base_url(&headers);
    Json(json!({
        "collections": st.catalog.layers().map(|l| collection(&base, l)).collect::<Vec<_>>(),
        "links": [{"href": format!("{base}/collections"), "rel": "self", "type": "application/json"}],
    }))
}

/// `GET /collections/{layer}`.
#[utoipa::path(get, path = "/collections/{layer}", tag = "layers", params(("layer" = String, Path, description = "A layer id", example = "districts")), responses((status = 200, description = "One collection (OGC API Features)", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn collection_one(
    State(st): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    Path(layer): Path<String>,
) -> Result<Json<Value>, Problem> {
    let l = st.catalog.layer(&layer)?;
    Ok(Json(collection(&st.base_url(&headers), l)))
}
