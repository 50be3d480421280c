//! Vector tiles and their TileJSON.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onemap_spatial::Catalog;
use onemap_spatial::schema::PropType;
use onemap_tiles::{TileEntry, TileError, TileId, TileScheme};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::caller::Caller;
use crate::extract::{Path, Query};
use crate::problem::{Problem, ProblemType};
use crate::state::AppState;

/// `?crs=` on tile requests: the basemap's coordinate system.
#[derive(Deserialize)]
pub struct TileQuery {
    crs: Option<String>,
}

fn scheme(q: &TileQuery) -> Result<TileScheme, Problem> {
    q.crs
        .as_deref()
        .map(TileScheme::parse)
        .transpose()
        .map(Option::unwrap_or_default)
        .map_err(|e| Problem::bad_request(e.to_string()))
}

/// The highest zoom TileJSON advertises; clients overzoom past it.
const MAX_ZOOM: u8 = 18;

/// Splits `a,b,c` and checks every layer exists.
fn layer_list<'a>(st: &AppState, list: &'a str) -> Result<Vec<&'a str>, Problem> {
    let names: Vec<&str> = list.split(',').collect();
    for n in &names {
        st.catalog.layer(n)?;
    }
    Ok(names)
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| e.trim().starts_with("gzip") && !e.contains("q=0"))
}

/// `GET /tiles/{layers}/{z}/{x}/{y}.mvt`.
#[utoipa::path(get, path = "/tiles/{layers}/{z}/{x}/{y}", tag = "tiles", params(("layers" = String, Path, description = "Comma-separated layer ids", example = "districts"), ("z" = u32, Path, description = "Zoom"), ("x" = u32, Path, description = "Column"), ("y" = String, Path, description = "Row, with the .mvt (or .pbf) suffix", example = "0.mvt"), ("crs" = Option<String>, Query, description = "The tile grid: webmercator (default) or cgcs2000")), responses((status = 200, description = "A Mapbox vector tile", body = crate::openapi::Binary, content_type = "application/vnd.mapbox-vector-tile"), (status = 204, description = "No feature in the tile"), (status = 304, description = "Not modified (If-None-Match)"), crate::openapi::Problems))]
pub async fn tile(
    State(st): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    Path((layers, z, x, y)): Path<(String, String, String, String)>,
    Query(q): Query<TileQuery>,
) -> Result<Response, Problem> {
    let scheme = scheme(&q)?;
    let y = y
        .strip_suffix(".mvt")
        .or_else(|| y.strip_suffix(".pbf"))
        .ok_or_else(|| Problem::not_found(format!("`{y}`: tiles end in .mvt")))?;
    let num = |name: &str, v: &str| -> Result<u32, Problem> {
        v.parse().map_err(|_| {
            Problem::bad_request(format!("tile {name} `{v}` is not a non-negative integer"))
        })
    };
    let (z, x, y) = (num("z", &z)?, num("x", &x)?, num("y", y)?);
    let tile = TileId::new(z, x, y).map_err(|e| Problem::bad_request(e.to_string()))?;
    let in_database = layer_list(&st, &layers)?
        .iter()
        .filter_map(|n| st.catalog.layer(n).ok())
        .find(|l| l.in_database())
        .map(|l| l.def.id.clone());
    if let Some(id) = in_database
        .as_ref()
        .filter(|_| scheme != TileScheme::WebMercator)
    {
        return Err(Problem::bad_request(format!(
            "layer `{id}` is served from the database, whose tiles are Web Mercator only; \
             request it without `crs`"
        )));
    }
    // Shifted schemes are rendered per request: the cache invalidates by Web Mercator tile
    // ranges, which do not name GCJ-02 or Baidu tiles.
    let cached = scheme == TileScheme::WebMercator;
    let entry = match st.tiles.get(&layers, tile, "").filter(|_| cached) {
        Some(hit) => hit,
        // Rendering is CPU work: keep it off the async workers.
        None => {
            let st = st.clone();
            tokio::task::spawn_blocking(move || {
                let names: Vec<&str> = layers.split(',').collect();
                if in_database.is_some() {
                    st.tiles.get_or_render(&layers, tile, "", || {
                        render_mixed(&st.catalog, &names, tile)
                    })
                } else if cached {
                    st.tiles.get_or_render(&layers, tile, "", || {
                        onemap_tiles::render(&st.catalog, &names, tile)
                    })
                } else {
                    onemap_tiles::render_scheme(&st.catalog, &names, tile, scheme)
                        .map(|t| Arc::new(TileEntry::new(t)))
                }
            })
            .await
            .map_err(|e| Problem::new(ProblemType::RenderFailed).detail(e.to_string()))?
            .map_err(tile_problem)?
        }
    };
    let etag = HeaderValue::from_str(&format!("\"{}\"", entry.etag())).expect("hex ETag");
    let cache = (header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let vary = (header::VARY, HeaderValue::from_static("accept-encoding"));
    if entry.is_empty() {
        return Ok((StatusCode::NO_CONTENT, [cache, vary]).into_response());
    }
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == etag.to_str().unwrap_or_default())
        })
    {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), cache, vary],
        )
            .into_response());
    }
    let ct = (
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
    );
    Ok(if accepts_gzip(&headers) {
        let enc = (header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        ([ct, enc, (header::ETAG, etag), cache, vary], entry.gzip()).into_response()
    } else {
        ([ct, (header::ETAG, etag), cache, vary], entry.raw()).into_response()
    })
}

/// Why a tile could not be rendered, as a problem: the database's trouble is a 503, anything
/// else is the request's.
fn tile_problem(e: TileError) -> Problem {
    match e {
        TileError::Database(m) => Problem::new(ProblemType::StoreUnavailable).detail(m),
        e => Problem::bad_request(e.to_string()),
    }
}

/// Renders a tile some of whose layers are `serve: database`: their parts come from the
/// store, the others from memory, concatenated in the requested order (an MVT tile is a
/// sequence of layers, so concatenated tiles are one tile). Runs on a blocking thread of
/// the runtime and waits for the database there.
fn render_mixed(
    catalog: &Catalog,
    names: &[&str],
    tile: TileId,
) -> Result<Option<Vec<u8>>, TileError> {
    let rt = tokio::runtime::Handle::current();
    let mut out = Vec::new();
    for (i, &name) in names.iter().enumerate() {
        if names[..i].contains(&name) {
            return Err(TileError::DuplicateLayer(name.to_owned()));
        }
        let l = catalog
            .layer(name)
            .map_err(|_| TileError::UnknownLayer(name.to_owned()))?;
        let part = if l.in_database() {
            let (z, x, y) = (u32::from(tile.z()), tile.x(), tile.y());
            rt.block_on(catalog.store().tile(&[&l.def], z, x, y))
                .map_err(|e| TileError::Database(e.to_string()))?
        } else {
            onemap_tiles::render(catalog, &[name], tile)?
        };
        out.extend(part.unwrap_or_default());
    }
    Ok((!out.is_empty()).then_some(out))
}

/// The TileJSON `fields` type of a property.
fn field_type(kind: &PropType) -> &'static str {
    match kind {
        PropType::Integer { .. } | PropType::Number { .. } => "Number",
        PropType::Boolean => "Boolean",
        _ => "String",
    }
}

/// `GET /tiles/{layers}.json`: TileJSON 3.0.0.
#[utoipa::path(get, path = "/tiles/{layers}", tag = "tiles", params(("layers" = String, Path, description = "Comma-separated layer ids with the .json suffix", example = "districts.json"), ("crs" = Option<String>, Query, description = "The tile grid: webmercator (default) or cgcs2000")), responses((status = 200, description = "TileJSON 3.0.0", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn tilejson(
    State(st): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(q): Query<TileQuery>,
) -> Result<Response, Problem> {
    let scheme = scheme(&q)?;
    let list = file
        .strip_suffix(".json")
        .ok_or_else(|| Problem::not_found(format!("`{file}`: TileJSON ends in .json")))?;
    let names = layer_list(&st, list)?;
    let base = st.base_url(&headers);
    let mut bounds: Option<[f64; 4]> = None;
    let mut vector_layers = Vec::new();
    for n in &names {
        let l = st.catalog.layer(n)?;
        if let Some(b) = l.read(|ix| ix.bounds()) {
            let [x0, y0, x1, y1] = bounds.unwrap_or([180.0, 90.0, -180.0, -90.0]);
            bounds = Some([
                x0.min(b.min().x),
                y0.min(b.min().y),
                x1.max(b.max().x),
                y1.max(b.max().y),
            ]);
        }
        let fields: Map<String, Value> = l
            .def
            .properties
            .iter()
            .filter(|p| !p.is_geometry())
            .map(|p| (p.name.clone(), Value::from(field_type(&p.kind))))
            .collect();
        vector_layers.push(json!({
            "id": n,
            "description": l.def.title,
            "fields": fields,
            "minzoom": 0,
            "maxzoom": MAX_ZOOM,
        }));
    }
    let bounds = bounds.unwrap_or([120.85, 30.67, 122.2, 31.88]);
    let body = json!({
        "tilejson": "3.0.0",
        "name": list,
        "scheme": "xyz",
        "tiles": [format!("{base}/tiles/{list}/{{z}}/{{x}}/{{y}}.mvt{}", match scheme {
            TileScheme::WebMercator => String::new(),
            s => format!("?crs={}", s.variant()),
        })],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        "center": [(bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0, 9],
        "vector_layers": vector_layers,
    });
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response())
}
