//! `POST /query`: spatial and attribute selection, sorting, paging, counts and grouped
//! aggregates over one layer.
//!
//! ```json
//! { "layer": "video_points",
//!   "spatial": { "op": "within", "district": "310104" },
//!   "filter": "tags = '森林防火' AND status = 'online'",
//!   "sortby": ["-bearing", "name"], "limit": 100, "offset": 0, "crs": "gcj02" }
//! ```
//!
//! The spatial operand is one of `geometry` (GeoJSON, in the `crs` of the `spatial` object),
//! `bbox` (`[minx, miny, maxx, maxy]`, same `crs`), `district` (a district code: its outline)
//! or `feature` (`{"collection", "id"}`: another feature's geometry). `op` is `intersects`,
//! `within`, `contains` or `dwithin` with `distance_m`. Townships have no outlines here: use
//! the filter `township_code = '…'`. `"count": true` answers only the count; `group_by`
//! (`district`, `township` or a property) with `aggregates` (`count`, `sum:p`, `avg:p`,
//! `min:p`, `max:p`) answers one row per group.

use axum::Json;
use geo::{Geometry, Rect};
use onemap_coord::Crs;
use onemap_spatial::geojson_out::feature_json;
use onemap_spatial::query::{
    Aggregate, GroupBy, Selection, SortKey, Spatial, SpatialOp, aggregate,
};
use onemap_spatial::schema::{Extent, GeometryType};
use onemap_spatial::validate::{Issue, parse_geometry};
use serde::Deserialize;
use serde_json::{Value, json};

use axum::extract::State;

use crate::caller::Caller;
use crate::coords::{STORE_CRS, convert_bbox, convert_geojson, parse_crs};
use crate::extract::JsonBody;
use crate::problem::{Problem, ProblemType};
use crate::routes::items::{output_crs, parse_filter};
use crate::state::AppState;

/// The most features one page may hold.
const MAX_LIMIT: usize = 10_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeatureRef {
    collection: String,
    id: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpatialBody {
    op: String,
    distance_m: Option<f64>,
    crs: Option<String>,
    geometry: Option<Value>,
    bbox: Option<[f64; 4]>,
    district: Option<String>,
    feature: Option<FeatureRef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryBody {
    layer: String,
    spatial: Option<SpatialBody>,
    filter: Option<String>,
    #[serde(default)]
    sortby: Vec<String>,
    limit: Option<usize>,
    #[serde(default)]
    offset: usize,
    #[serde(default)]
    count: bool,
    group_by: Option<String>,
    #[serde(default)]
    aggregates: Vec<String>,
    crs: Option<String>,
}

/// The operand geometry in CGCS2000 lon/lat.
async fn operand(st: &AppState, s: &SpatialBody) -> Result<Geometry<f64>, Problem> {
    let crs = s
        .crs
        .as_deref()
        .map(|c| parse_crs("spatial.crs", c))
        .transpose()?
        .unwrap_or(STORE_CRS);
    let given = [
        s.geometry.is_some(),
        s.bbox.is_some(),
        s.district.is_some(),
        s.feature.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(Problem::bad_request(
            "spatial needs exactly one of geometry, bbox, district or feature",
        ));
    }
    if let Some(g) = &s.geometry {
        let mut g = g.clone();
        if crs != STORE_CRS {
            convert_geojson(&st.coords.transformer(crs, STORE_CRS)?, &mut g)?;
        }
        let kind = geometry_kind(&g)?;
        let mut issues = Vec::new();
        return parse_geometry(&g, kind, Extent::World, "spatial.geometry", &mut issues)
            .ok_or_else(|| Problem::invalid(issues));
    }
    if let Some([x0, y0, x1, y1]) = s.bbox {
        if !(x0 <= x1 && y0 <= y1 && [x0, y0, x1, y1].iter().all(|v| v.is_finite())) {
            return Err(Problem::bad_request(
                "spatial.bbox must be [minx, miny, maxx, maxy] with min <= max",
            ));
        }
        let mut r = Rect::new((x0, y0), (x1, y1));
        if crs != STORE_CRS {
            r = convert_bbox(&st.coords.transformer(crs, STORE_CRS)?, r)?;
        }
        return Ok(r.to_polygon().into());
    }
    if let Some(code) = &s.district {
        return st
            .catalog
            .layer("districts")?
            .read(|ix| {
                ix.iter()
                    .find(|f| f.properties.get("code").and_then(Value::as_str) == Some(code))
                    .and_then(|f| f.geometry.clone())
            })
            .ok_or_else(|| Problem::bad_request(format!("no district with code `{code}`")));
    }
    let r = s
        .feature
        .as_ref()
        .ok_or_else(|| Problem::bad_request("spatial operand missing"))?;
    st.catalog
        .fetch(&r.collection, r.id)
        .await?
        .geometry
        .clone()
        .ok_or_else(|| {
            Problem::bad_request(format!("feature {}/{} has no geometry", r.collection, r.id))
        })
}

/// The declared type a GeoJSON operand is checked as: its own.
fn geometry_kind(g: &Value) -> Result<GeometryType, Problem> {
    let t = g.get("type").and_then(Value::as_str).unwrap_or_default();
    serde_json::from_value(json!(t)).map_err(|_| {
        Problem::invalid(vec![Issue::new(
            "spatial.geometry.type",
            format!("`{t}` is not a supported geometry type"),
        )])
    })
}

/// `POST /query`.
#[utoipa::path(post, path = "/query", tag = "analysis", request_body(content = crate::openapi::JsonObject, content_type = "application/json", description = "`{layer, spatial?, filter?, sortby?, limit?, offset?, count?, group_by?, aggregates?, crs?}`"), responses((status = 200, description = "The selected features, or the groups", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn query(
    State(st): State<AppState>,
    _caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, Problem> {
    let q: QueryBody =
        serde_json::from_value(body).map_err(|e| Problem::bad_request(format!("query: {e}")))?;
    let l = st.catalog.layer(&q.layer)?;
    if l.in_database() {
        return Err(Problem::bad_request(format!(
            "layer `{}` is served from the database; POST /query needs the in-memory index",
            q.layer
        )));
    }
    let plane = st.coords.transformer(STORE_CRS, Crs::Sh2000)?;
    let mut sel = Selection::default();
    if let Some(s) = &q.spatial {
        let op = SpatialOp::parse(&s.op, s.distance_m).map_err(Problem::bad_request)?;
        let g = operand(&st, s).await?;
        sel.spatial = Some(Spatial::new(op, g, &plane).map_err(crate::coords::problem)?);
    }
    if let Some(f) = &q.filter {
        sel.filter = Some(parse_filter(f, &l.def)?);
    }
    for k in &q.sortby {
        let key = SortKey::parse(k);
        if key.property != "id"
            && l.def
                .property(&key.property)
                .is_none_or(|p| p.is_geometry())
        {
            return Err(Problem::bad_request(format!(
                "sortby `{k}`: no such sortable property"
            )));
        }
        sel.sort.push(key);
    }
    let group_by = q
        .group_by
        .as_deref()
        .map(|g| GroupBy::parse(g, &l.def))
        .transpose()
        .map_err(Problem::bad_request)?;
    let aggs: Vec<Aggregate> = q
        .aggregates
        .iter()
        .map(|a| Aggregate::parse(a, &l.def))
        .collect::<Result<_, _>>()
        .map_err(Problem::bad_request)?;
    let out_crs = q
        .crs
        .as_deref()
        .map(|c| parse_crs("crs", c))
        .transpose()?
        .unwrap_or(STORE_CRS);
    let out = output_crs(&st, out_crs)?;
    let limit = q.limit.unwrap_or(10).min(MAX_LIMIT);
    let (offset, count_only, layer) = (q.offset, q.count, q.layer.clone());
    // Selection and aggregation are CPU work over the index: off the async workers.
    tokio::task::spawn_blocking(move || {
        let l = st.catalog.layer(&layer)?;
        let hits = l
            .read(|ix| sel.select(ix, &plane))
            .map_err(crate::coords::problem)?;
        if count_only {
            return Ok(json!({"layer": layer, "numberMatched": hits.len()}));
        }
        if group_by.is_some() || !aggs.is_empty() {
            let aggs = if aggs.is_empty() {
                vec![Aggregate::parse("count", &l.def).map_err(Problem::bad_request)?]
            } else {
                aggs
            };
            let groups = aggregate(&hits, group_by.as_ref().unwrap_or(&GroupBy::All), &aggs);
            return Ok(json!({"layer": layer, "numberMatched": hits.len(), "groups": groups}));
        }
        let mut features: Vec<Value> = hits
            .iter()
            .skip(offset)
            .take(limit)
            .map(|f| feature_json(f))
            .collect();
        if let Some(t) = &out {
            features
                .iter_mut()
                .try_for_each(|f| convert_geojson(t, f))?;
        }
        Ok(json!({
            "type": "FeatureCollection",
            "numberMatched": hits.len(),
            "numberReturned": features.len(),
            "features": features,
        }))
    })
    .await
    .map_err(|e| Problem::new(ProblemType::QueryFailed).detail(e.to_string()))?
    .map(Json)
}
