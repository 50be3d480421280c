//! `POST /measure`: geodesic length, area and perimeter of any GeoJSON, in any CRS the
//! server knows.
//!
//! Measuring happens on the ellipsoid with Karney's geodesic algorithms (`geo`'s
//! [`Geodesic`] and [`GeodesicArea`], built on GeographicLib), never on projected planar
//! coordinates, so the answer does not depend on the CRS the client drew in: every input
//! is first converted to the store CRS, CGCS2000 longitude/latitude.
//!
//! `geo` measures on the WGS84 ellipsoid, CGCS2000 on its own; both share the semi-major
//! axis (6 378 137 m) and their flattenings differ by 1.6·10⁻¹¹ (1/298.257223563 vs
//! 1/298.257222101), which moves the semi-minor axis by 0.1 mm. Lengths and areas therefore
//! differ by parts in 10¹¹ — far below the precision of any coordinate — so measuring
//! CGCS2000 coordinates on WGS84 is exact for every practical purpose.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use geo::{Geodesic, GeodesicArea, Geometry, Length, Polygon};
use geojson::feature::Id;
use geojson::{Feature, GeoJson, GeometryValue};
use onemap_spatial::schema::Extent;
use onemap_spatial::validate::{Issue, check_shape};
use serde::Serialize;
use serde_json::Value;

use crate::caller::Caller;
use crate::extract::{JsonBody, Query};
use crate::problem::{Problem, ProblemType};
use crate::routes::coord::MAX_POINTS;
use crate::routes::edit::input_crs;
use crate::state::AppState;

/// Most issues one refusal lists: enough to fix a body, not a megabyte of problems when
/// every coordinate of a large geometry is wrong.
const MAX_ISSUES: usize = 20;

type Params = Vec<(String, String)>;

/// `POST /measure[?crs=]`: the geodesic measures of a GeoJSON geometry, Feature or
/// FeatureCollection whose coordinates are in `crs` (the parameter or a `"crs"` member of
/// the body; CGCS2000 lon/lat by default).
///
/// A geometry or Feature answers `{"geometry_type", "length_m", "area_m2"}`, plus
/// `"perimeter_m"` when it has polygons (and `"id"` for a Feature that has one). A
/// FeatureCollection answers `{"features": [{"index", "id"?, …}], "total": {…}}`, each
/// entry measured as above, the total summing them; an empty collection totals zero.
///
/// What each measure means, following PostGIS's `ST_Length`/`ST_Area`/`ST_Perimeter` so
/// that sums over mixed collections stay meaningful:
/// - `length_m`: the geodesic length of the linear parts only. Points have none, and
///   neither do polygons: their boundary is `perimeter_m`, so the total length of a layer
///   of roads and parcels is the length of the roads, not roads plus parcel outlines.
/// - `area_m2`: the geodesic area of the polygons, holes subtracted, always positive
///   whatever the rings' winding (RFC 7946 asks for counter-clockwise exteriors but
///   tells parsers not to rely on it). Rings are measured as drawn: a self-intersecting
///   ring is not repaired. Polygons must be smaller than half the Earth.
/// - `perimeter_m`: the geodesic length of every ring, exterior and holes.
///
/// Refusals are problems: 400 for a body that is not JSON or not GeoJSON (an unknown
/// `type` included), an unknown CRS or more than [`MAX_POINTS`] positions; 422, naming
/// each offending field, for empty coordinates, short lines and rings, unclosed rings,
/// features without geometry, and positions that are not a longitude within ±180° and a
/// latitude within ±90° once converted; positions the CRS cannot convert are the
/// converter's own problem (422 `coordinate-error`, naming the point).
#[utoipa::path(post, path = "/measure", tag = "analysis", params(("crs" = Option<String>, Query, description = "The CRS of the coordinates: wgs84, cgcs2000 (default), gcj02, bd09, bd09mc, sh2000, webmercator or EPSG:<code>")), request_body(content = crate::openapi::GeoJson, content_type = "application/json", description = "A GeoJSON geometry, Feature or FeatureCollection"), responses((status = 200, description = "Geodesic lengths, areas and perimeters", body = crate::openapi::JsonObject), crate::openapi::Problems))]
pub async fn measure(
    State(st): State<AppState>,
    _caller: Caller,
    Query(params): Query<Params>,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    // Converting and measuring a million positions is CPU work: keep it off the async workers.
    tokio::task::spawn_blocking(move || measure_body(&st, &params, body))
        .await
        .map_err(|e| {
            Problem::new(ProblemType::InternalError).detail(format!("measuring failed: {e}"))
        })?
}

fn measure_body(st: &AppState, params: &Params, mut body: Value) -> Result<Response, Problem> {
    // Counted before converting, so an oversized body costs no conversion.
    let n = count_positions(&body);
    if n > MAX_POINTS {
        return Err(Problem::bad_request(format!(
            "{n} coordinates; at most {MAX_POINTS} per request"
        ))
        .with("coordinates", n));
    }
    input_crs(st, params, &mut body)?;
    let gj: GeoJson = serde_json::from_value(body).map_err(|e| {
        Problem::bad_request(format!(
            "the body is not a GeoJSON geometry, Feature or FeatureCollection: {e}"
        ))
    })?;
    let mut issues = Vec::new();
    let out = match gj {
        GeoJson::Geometry(g) => {
            check_geometry(&g.value, "", &mut issues);
            Answer::One(Measured::new(Some(&g.value), &issues)?)
        }
        GeoJson::Feature(f) => {
            let g = feature_geometry(&f, "", &mut issues);
            Answer::One(Measured::new(g, &issues)?.with_id(f.id.as_ref()))
        }
        GeoJson::FeatureCollection(fc) => {
            let geoms: Vec<_> = fc
                .features
                .iter()
                .enumerate()
                .map(|(i, f)| feature_geometry(f, &format!("features[{i}]."), &mut issues))
                .collect();
            let features = fc
                .features
                .iter()
                .zip(geoms)
                .enumerate()
                .map(|(i, (f, g))| {
                    Ok(Measured {
                        index: Some(i),
                        ..Measured::new(g, &issues)?.with_id(f.id.as_ref())
                    })
                })
                .collect::<Result<Vec<_>, Problem>>()?;
            Answer::Collection {
                total: Total::of(&features),
                features,
            }
        }
    };
    Ok(Json(out).into_response())
}

/// The response body.
#[derive(Serialize)]
#[serde(untagged)]
enum Answer {
    One(Measured),
    Collection {
        features: Vec<Measured>,
        total: Total,
    },
}

/// The measures of one geometry (of one feature, in a collection).
#[derive(Serialize)]
struct Measured {
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<Value>,
    geometry_type: &'static str,
    length_m: f64,
    area_m2: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    perimeter_m: Option<f64>,
}

impl Measured {
    /// Measures `g`, unless the checks so far found issues (a missing geometry among them).
    fn new(g: Option<&GeometryValue>, issues: &[Issue]) -> Result<Self, Problem> {
        let g = match g {
            Some(g) if issues.is_empty() => g,
            _ => {
                return Err(Problem::invalid(
                    issues.iter().take(MAX_ISSUES).cloned().collect(),
                ));
            }
        };
        // The checks guarantee what the conversion needs; its error stays a 422 regardless.
        let geom = Geometry::<f64>::try_from(g).map_err(|e| {
            Problem::invalid(vec![Issue::new("", format!("not a usable geometry: {e}"))])
        })?;
        let m = measures(&geom);
        Ok(Self {
            index: None,
            id: None,
            geometry_type: g.type_name(),
            length_m: m.length,
            area_m2: m.area,
            perimeter_m: m.areal.then_some(m.perimeter),
        })
    }

    fn with_id(self, id: Option<&Id>) -> Self {
        Self {
            id: id.map(|id| match id {
                Id::String(s) => Value::String(s.clone()),
                Id::Number(n) => Value::Number(n.clone()),
            }),
            ..self
        }
    }
}

/// The sums over a FeatureCollection; a perimeter only when some feature has one.
#[derive(Serialize)]
struct Total {
    length_m: f64,
    area_m2: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    perimeter_m: Option<f64>,
}

impl Total {
    fn of(features: &[Measured]) -> Self {
        Self {
            length_m: features.iter().map(|f| f.length_m).sum(),
            area_m2: features.iter().map(|f| f.area_m2).sum(),
            perimeter_m: features
                .iter()
                .filter_map(|f| f.perimeter_m)
                .reduce(|a, b| a + b),
        }
    }
}

/// Length, area and perimeter, and whether there was any polygon to have a perimeter.
#[derive(Default)]
struct Measures {
    length: f64,
    area: f64,
    perimeter: f64,
    areal: bool,
}

impl Measures {
    fn linear(length: f64) -> Self {
        Self {
            length,
            ..Self::default()
        }
    }

    /// Each polygon's area is made positive on its own: a sum of signed areas would let a
    /// clockwise member of a MultiPolygon cancel a counter-clockwise one.
    fn polygon(p: &Polygon<f64>) -> Self {
        // Signed, not `…_unsigned`: the unsigned variant reads a clockwise exterior as the
        // rest of the globe. The signed area is the exterior minus the holes, whatever
        // either's winding, and negative when the exterior runs clockwise.
        let (perimeter, area) = p.geodesic_perimeter_area_signed();
        Self {
            length: 0.0,
            area: area.abs(),
            perimeter,
            areal: true,
        }
    }

    fn sum(parts: impl Iterator<Item = Self>) -> Self {
        parts.fold(Self::default(), |a, b| Self {
            length: a.length + b.length,
            area: a.area + b.area,
            perimeter: a.perimeter + b.perimeter,
            areal: a.areal || b.areal,
        })
    }
}

fn measures(g: &Geometry<f64>) -> Measures {
    match g {
        Geometry::Point(_) | Geometry::MultiPoint(_) => Measures::default(),
        // GeoJSON yields no Line, Rect or Triangle; they are measured as what they are.
        Geometry::Line(l) => Measures::linear(Geodesic.length(l)),
        Geometry::LineString(l) => Measures::linear(Geodesic.length(l)),
        Geometry::MultiLineString(m) => Measures::linear(Geodesic.length(m)),
        Geometry::Polygon(p) => Measures::polygon(p),
        Geometry::MultiPolygon(m) => Measures::sum(m.iter().map(Measures::polygon)),
        Geometry::Rect(r) => Measures::polygon(&r.to_polygon()),
        Geometry::Triangle(t) => Measures::polygon(&t.to_polygon()),
        Geometry::GeometryCollection(c) => Measures::sum(c.iter().map(measures)),
    }
}

/// How many positions the body's geometries hold: the work a request asks for.
fn count_positions(v: &Value) -> usize {
    match v {
        Value::Object(o) => ["coordinates", "geometry", "geometries", "features"]
            .iter()
            .filter_map(|k| o.get(*k))
            .map(count_positions)
            .sum(),
        Value::Array(a) if a.first().is_some_and(Value::is_number) => 1,
        Value::Array(a) => a.iter().map(count_positions).sum(),
        _ => 0,
    }
}

/// A feature's geometry, checked; a feature without one is an issue, for there is
/// nothing to measure.
fn feature_geometry<'a>(
    f: &'a Feature,
    prefix: &str,
    issues: &mut Vec<Issue>,
) -> Option<&'a GeometryValue> {
    match &f.geometry {
        Some(g) => {
            check_geometry(&g.value, &format!("{prefix}geometry."), issues);
            Some(&g.value)
        }
        None => {
            issues.push(Issue::new(
                format!("{prefix}geometry"),
                "a feature needs a geometry to be measured",
            ));
            None
        }
    }
}

/// The shape checks of every geometry (onemap_spatial::validate::check_shape) over the
/// whole Earth, with GeometryCollections allowed: what measuring needs.
fn check_geometry(g: &GeometryValue, prefix: &str, issues: &mut Vec<Issue>) {
    check_shape(g, Extent::World, true, prefix, issues);
}
