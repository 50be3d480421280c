//! Range-value thematic maps (范围值专题图): `GET /thematic` and its tiles.
//!
//! `GET /thematic?layer=…&by=district|township&value=count|sum:p|avg:p&method=equal|quantile|jenks|manual&classes=N[&breaks=a,b,…][&ramp=blues]`
//! answers the class breaks, the counts per class, a legend with colours from the ramp, every
//! admin unit's value and class, and a MapLibre source and layer to draw it.
//! `GET /thematic/tiles/{z}/{x}/{y}.mvt` with the same query carries the admin units with
//! `code`, `name`, `features`, `value` and `class`, so the viewer draws the choropleth.

use std::sync::{Arc, LazyLock};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onemap_spatial::classify::{self, Method};
use onemap_spatial::thematic::{By, Measure, Rollup, ThematicError, rollup};
use onemap_spatial::{Feature, LayerDef, LayerRegistry};
use onemap_tiles::{TileId, render_features};
use serde_json::{Value, json};

use crate::caller::Caller;
use crate::extract::{Path, Query};
use crate::problem::Problem;
use crate::routes::styles::RAMPS;
use crate::state::AppState;

/// The MVT layer of thematic tiles: the admin units with their value and class.
static UNITS: LazyLock<Arc<LayerDef>> = LazyLock::new(|| {
    let decl = r#"{ "id": "thematic", "title": "专题图", "geometry": "MultiPolygon", "extent": "world",
        "properties": [ { "name": "code", "type": "code" }, { "name": "name", "type": "string" },
          { "name": "features", "type": "integer" }, { "name": "value", "type": "number" },
          { "name": "class", "type": "integer" } ] }"#;
    LayerRegistry::from_sources([("thematic.json".to_string(), decl)])
        .ok()
        .and_then(|r| r.get("thematic").cloned())
        .expect("the thematic layer declaration is valid")
});

/// Colour of units without a value (an average over nothing).
const NO_DATA: &str = "#d9d9d9";

/// A parsed thematic request.
struct Request {
    layer: String,
    by: By,
    measure: Measure,
    method: Method,
    classes: usize,
    manual: Vec<f64>,
    ramp: String,
}

fn parse(params: &[(String, String)]) -> Result<Request, Problem> {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let layer = get("layer")
        .ok_or_else(|| Problem::bad_request("`layer` is required"))?
        .to_owned();
    let by = match get("by").unwrap_or("district") {
        "district" => By::District,
        "township" => By::Township,
        b => {
            return Err(Problem::bad_request(format!(
                "by `{b}`: expected district or township"
            )));
        }
    };
    let measure = Measure::parse(get("value").unwrap_or("count")).map_err(Problem::bad_request)?;
    let method = match get("method").unwrap_or("jenks") {
        "equal" => Method::Equal,
        "quantile" => Method::Quantile,
        "jenks" => Method::Jenks,
        "manual" => Method::Manual,
        m => {
            return Err(Problem::bad_request(format!(
                "method `{m}`: expected equal, quantile, jenks or manual"
            )));
        }
    };
    let manual: Vec<f64> = match get("breaks") {
        None | Some("") => Vec::new(),
        Some(b) => b
            .split(',')
            .map(|v| v.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| Problem::bad_request(format!("breaks `{b}` are not numbers")))?,
    };
    let classes = match get("classes") {
        Some(c) => c
            .parse()
            .map_err(|_| Problem::bad_request(format!("classes `{c}` is not a count")))?,
        None if method == Method::Manual => manual.len() + 1,
        None => 5,
    };
    for (k, _) in params {
        if ![
            "layer", "by", "value", "method", "classes", "breaks", "ramp",
        ]
        .contains(&k.as_str())
        {
            return Err(Problem::bad_request(format!("unknown parameter `{k}`")));
        }
    }
    Ok(Request {
        layer,
        by,
        measure,
        method,
        classes,
        manual,
        ramp: get("ramp").unwrap_or("blues").to_owned(),
    })
}

/// `classes` colours of a named ramp, light to dark.
fn colours(ramp: &str, classes: usize) -> Result<Vec<String>, Problem> {
    let ramps: Value = serde_json::from_str(RAMPS).unwrap_or_default();
    let r = ramps["ramps"].get(ramp).ok_or_else(|| {
        Problem::bad_request(format!("no colour ramp `{ramp}` (see /styles/ramps)"))
    })?;
    r["classes"][classes.to_string()]
        .as_array()
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .ok_or_else(|| {
            Problem::bad_request(format!(
                "ramp `{ramp}` has no {classes}-class variant (it has 3 to 9 classes)"
            ))
        })
}

fn thematic_problem(e: ThematicError) -> Problem {
    match e {
        ThematicError::Catalog(c) => c.into(),
        ThematicError::Request(m) => Problem::bad_request(m),
    }
}

/// The roll-up, the values classified, the bounds and each unit's class.
struct Classified {
    rollup: Rollup,
    values: Vec<f64>,
    bounds: Vec<f64>,
    classes: Vec<Option<usize>>,
}

fn classify_request(st: &AppState, req: &Request) -> Result<Classified, Problem> {
    let rollup = rollup(&st.catalog, &req.layer, req.by, &req.measure).map_err(thematic_problem)?;
    let values: Vec<f64> = rollup.units.iter().filter_map(|u| u.value).collect();
    let bounds = classify::breaks(&values, &req.method, req.classes, &req.manual)
        .map_err(|e| Problem::bad_request(e.to_string()))?;
    let classes = rollup
        .units
        .iter()
        .map(|u| u.value.and_then(|v| classify::class_of(&bounds, v)))
        .collect();
    Ok(Classified {
        rollup,
        values,
        bounds,
        classes,
    })
}

/// `GET /thematic`.
#[utoipa::path(get, path = "/thematic", tag = "analysis", params(("layer" = String, Query, description = "The layer whose features are counted or summed"), ("by" = Option<String>, Query, description = "district (default) or township"), ("value" = Option<String>, Query, description = "count (default), or sum/avg:<property>"), ("method" = Option<String>, Query, description = "jenks (default), equal or quantile"), ("classes" = Option<u32>, Query, description = "Number of classes"), ("ramp" = Option<String>, Query, description = "A colour ramp of /styles/ramps")), responses((status = 200, description = "Legend, classes, a vector source and a style layer", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn thematic(
    State(st): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<Value>, Problem> {
    let req = parse(&params)?;
    let colours = colours(&req.ramp, req.classes)?;
    let c = classify_request(&st, &req)?;
    let counts = classify::counts(&c.bounds, &c.values);
    let legend: Vec<Value> = c
        .bounds
        .windows(2)
        .zip(&counts)
        .zip(&colours)
        .enumerate()
        .map(|(i, ((w, n), colour))| json!({"class": i, "from": w[0], "to": w[1], "units": n, "color": colour}))
        .collect();
    let units: Vec<Value> = c
        .rollup
        .units
        .iter()
        .zip(&c.classes)
        .map(|(u, class)| json!({"code": u.code, "name": u.name, "features": u.features, "value": u.value, "class": class}))
        .collect();
    let query = serde_urlencoded::to_string(&params).unwrap_or_default();
    let tiles = format!(
        "{}/thematic/tiles/{{z}}/{{x}}/{{y}}.mvt?{query}",
        st.base_url(&headers)
    );
    let mut colour_match = vec![json!("match"), json!(["coalesce", ["get", "class"], -1])];
    for (i, colour) in colours.iter().enumerate() {
        colour_match.push(json!(i));
        colour_match.push(json!(colour));
    }
    colour_match.push(json!(NO_DATA));
    let style_layer = match req.by {
        By::District => {
            json!({"id": "thematic-fill", "type": "fill", "source": "thematic", "source-layer": "thematic",
            "paint": {"fill-color": colour_match, "fill-opacity": 0.75, "fill-outline-color": "#ffffff"}})
        }
        By::Township => {
            json!({"id": "thematic-circle", "type": "circle", "source": "thematic", "source-layer": "thematic",
            "paint": {"circle-color": colour_match, "circle-radius": 7, "circle-stroke-color": "#ffffff", "circle-stroke-width": 1}})
        }
    };
    Ok(Json(json!({
        "layer": req.layer,
        "by": match req.by { By::District => "district", By::Township => "township" },
        "value": params.iter().find(|(k, _)| k == "value").map_or("count", |(_, v)| v.as_str()),
        "method": req.method,
        "classes": req.classes,
        "breaks": c.bounds,
        "counts": counts,
        "legend": legend,
        "no_data_color": NO_DATA,
        "units": units,
        "unassigned": c.rollup.unassigned,
        "source": {"type": "vector", "tiles": [tiles], "minzoom": 0, "maxzoom": 14},
        "style_layer": style_layer,
    })))
}

/// `GET /thematic/tiles/{z}/{x}/{y}.mvt`: the admin units carrying the thematic value.
#[utoipa::path(get, path = "/thematic/tiles/{z}/{x}/{y}", tag = "analysis", params(("z" = u32, Path, description = "Zoom"), ("x" = u32, Path, description = "Column"), ("y" = String, Path, description = "Row, with the .mvt suffix"), ("layer" = String, Query, description = "As for /thematic")), responses((status = 200, description = "The admin units carrying the thematic value", body = crate::openapi::Binary, content_type = "application/vnd.mapbox-vector-tile"), (status = 204, description = "No unit in the tile"), crate::openapi::Problems))]
pub async fn tile(
    State(st): State<AppState>,
    _caller: Caller,
    Path((z, x, y)): Path<(String, String, String)>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let num = |v: &str| -> Result<u32, Problem> {
        v.parse().map_err(|_| {
            Problem::bad_request(format!(
                "tile coordinate `{v}` is not a non-negative integer"
            ))
        })
    };
    let y = y
        .strip_suffix(".mvt")
        .ok_or_else(|| Problem::not_found(format!("`{y}`: thematic tiles are {{y}}.mvt")))?;
    let (z, x, y) = (num(&z)?, num(&x)?, num(y)?);
    let tile = TileId::new(z, x, y).map_err(|e| Problem::bad_request(e.to_string()))?;
    let req = parse(&params)?;
    let c = classify_request(&st, &req)?;
    let admin = st.catalog.layer(match req.by {
        By::District => "districts",
        By::Township => "townships",
    })?;
    let by_code: std::collections::HashMap<&str, (usize, &Option<usize>)> = c
        .rollup
        .units
        .iter()
        .zip(&c.classes)
        .enumerate()
        .map(|(i, (u, class))| (u.code.as_str(), (i, class)))
        .collect();
    let features: Vec<Arc<Feature>> = admin.read(|ix| {
        ix.iter()
            .filter_map(|f| {
                let code = f.properties.get("code")?.as_str()?;
                let (i, class) = by_code.get(code)?;
                let u = &c.rollup.units[*i];
                let mut props = serde_json::Map::new();
                props.insert("code".into(), json!(u.code));
                props.insert("name".into(), json!(u.name));
                props.insert("features".into(), json!(u.features));
                if let Some(v) = u.value {
                    props.insert("value".into(), json!(v));
                }
                if let Some(k) = class {
                    props.insert("class".into(), json!(k));
                }
                Some(Arc::new(Feature {
                    properties: props,
                    geometries: Default::default(),
                    ..(**f).clone()
                }))
            })
            .collect()
    });
    let ct = (
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
    );
    Ok(match render_features(&UNITS, &features, tile) {
        Some(bytes) => ([ct], bytes).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}
