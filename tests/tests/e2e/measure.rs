//! `POST /measure` over HTTP, against closed-form values on the GRS80/CGCS2000 ellipsoid
//! computed here, independently of the server's geodesic library.
//!
//! The oracles are checked themselves against the published constants of GRS80
//! (H. Moritz, "Geodetic Reference System 1980", Bulletin Géodésique 54, 1980; CGCS2000
//! has the same a and f): the quarter meridian Q = 10 001 965.7293 m and the surface area
//! S = 510 065 621.7180 km². The server measures on WGS84, whose flattening differs from
//! GRS80's by 1.6·10⁻¹¹: parts in 10¹¹ of any length or area, well inside every tolerance.

use onemap_api::DatabaseUrl;
use onemap_e2e::{Backend, TestServer, assert_problem, config};
use serde_json::{Value, json};

use Body::{Json, Raw};

onemap_e2e::both_backends!(
    lon_lat_rectangles_have_the_ellipsoidal_zone_area,
    meridian_and_equator_arcs_have_their_series_lengths,
    any_crs_measures_the_same,
    holes_are_subtracted_whatever_the_winding,
    feature_collections_total_their_parts,
    bad_input_is_a_problem_naming_it,
    at_most_a_million_coordinates,
);

/// GRS80 = CGCS2000 semi-major axis (m) and flattening.
const A: f64 = 6_378_137.0;
const F: f64 = 1.0 / 298.257_222_101;

fn e2() -> f64 {
    F * (2.0 - F)
}

/// Snyder, "Map Projections — A Working Manual" (USGS PP 1395, 1987), eq. 3-12:
/// q(φ) = (1 − e²)·[sin φ / (1 − e² sin² φ) − 1/(2e)·ln((1 − e sin φ)/(1 + e sin φ))].
/// The area between the equator and φ over Δλ radians of longitude is a²·q(φ)·Δλ/2
/// (the authalic latitude β has sin β = q/q_p, and the authalic sphere's radius is
/// a·√(q_p/2), eqs. 3-11 and 3-13).
fn snyder_q(lat_deg: f64) -> f64 {
    let e = e2().sqrt();
    let s = lat_deg.to_radians().sin();
    (1.0 - e2()) * (s / (1.0 - e2() * s * s) - ((1.0 - e * s) / (1.0 + e * s)).ln() / (2.0 * e))
}

/// Area (m²) on the ellipsoid of the region between two parallels and two meridians.
fn zone_area(lon0: f64, lat0: f64, lon1: f64, lat1: f64) -> f64 {
    A * A * (snyder_q(lat1) - snyder_q(lat0)) * (lon1 - lon0).to_radians() / 2.0
}

/// Meridian arc length from the equator to φ: Helmert's series in the third flattening
/// n = f/(2 − f), to n⁴ (truncation error about a·n⁵ ≈ 10⁻⁷ m):
/// m = a/(1+n)·[(1 + n²/4 + n⁴/64)φ − 3/2(n − n³/8) sin 2φ + 15/16(n² − n⁴/4) sin 4φ
///     − 35/48 n³ sin 6φ + 315/512 n⁴ sin 8φ].
fn meridian_arc(lat_deg: f64) -> f64 {
    let n = F / (2.0 - F);
    let p = lat_deg.to_radians();
    A / (1.0 + n)
        * ((1.0 + n.powi(2) / 4.0 + n.powi(4) / 64.0) * p
            - 1.5 * (n - n.powi(3) / 8.0) * (2.0 * p).sin()
            + 15.0 / 16.0 * (n.powi(2) - n.powi(4) / 4.0) * (4.0 * p).sin()
            - 35.0 / 48.0 * n.powi(3) * (6.0 * p).sin()
            + 315.0 / 512.0 * n.powi(4) * (8.0 * p).sin())
}

/// Length of `dlon` degrees of the parallel at `lat`: N(φ)·cos φ·Δλ, N the prime-vertical
/// radius of curvature a/√(1 − e² sin² φ).
fn parallel_arc(lat_deg: f64, dlon: f64) -> f64 {
    let p = lat_deg.to_radians();
    A / (1.0 - e2() * p.sin().powi(2)).sqrt() * p.cos() * dlon.to_radians()
}

#[test]
fn the_oracles_reproduce_the_published_grs80_constants() {
    assert!((meridian_arc(90.0) - 10_001_965.729_3).abs() < 1e-4);
    let s = 4.0 * zone_area(0.0, 0.0, 180.0, 90.0);
    assert!((s / 1e6 - 510_065_621.718_0).abs() < 1e-3, "{s}");
}

/// A counter-clockwise lon/lat rectangle ring. Its east and west sides are meridians, which
/// are geodesics; its north and south sides follow the parallels through `steps` vertices,
/// because a single geodesic between two points of a parallel bulges poleward (by 100 m
/// over 1° near Shanghai): with one step, a 1°×1° square would measure 2.6·10⁻⁵ more than
/// the zone at the equator and 4.7·10⁻⁶ more near Shanghai; with 100 steps, under 3·10⁻⁹.
fn rectangle(lon0: f64, lat0: f64, lon1: f64, lat1: f64, steps: u32) -> Vec<[f64; 2]> {
    let at = |i: u32| lon0 + (lon1 - lon0) * f64::from(i) / f64::from(steps);
    let mut ring: Vec<[f64; 2]> = (0..=steps).map(|i| [at(i), lat0]).collect();
    ring.extend((0..=steps).rev().map(|i| [at(i), lat1]));
    ring.push([lon0, lat0]);
    ring
}

fn polygon(rings: &[Vec<[f64; 2]>]) -> Value {
    json!({"type": "Polygon", "coordinates": rings})
}

fn reversed(ring: &[[f64; 2]]) -> Vec<[f64; 2]> {
    ring.iter().rev().copied().collect()
}

async fn post(s: &TestServer, query: &str, body: &Value) -> reqwest::Response {
    s.post(&format!("/measure{query}"), body).await
}

async fn measure(s: &TestServer, query: &str, body: &Value) -> Value {
    let r = post(s, query, body).await;
    let status = r.status().as_u16();
    let v: Value = r.json().await.expect("JSON body");
    assert_eq!(status, 200, "POST /measure{query}: {v}");
    v
}

fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("`{key}` is a number in {v}"))
}

fn assert_rel(got: f64, want: f64, tol: f64, what: &str) {
    let rel = ((got - want) / want).abs();
    assert!(
        rel <= tol,
        "{what}: {got} vs {want}, relative difference {rel:e} > {tol:e}"
    );
}

fn assert_abs(got: f64, want: f64, tol: f64, what: &str) {
    let d = (got - want).abs();
    assert!(d <= tol, "{what}: {got} vs {want} differ by {d} > {tol}");
}

async fn lon_lat_rectangles_have_the_ellipsoidal_zone_area(b: Backend) {
    let s = TestServer::empty(b).await;
    // Stricter than the 0.01% asked of the endpoint: the densified rectangle is exact to
    // parts in 10⁹, the geodesic area algorithm to about a square metre.
    for (lon0, lat0, what) in [(0.0, 0.0, "equator"), (121.0, 31.0, "Shanghai")] {
        let (lon1, lat1) = (lon0 + 1.0, lat0 + 1.0);
        let m = measure(&s, "", &polygon(&[rectangle(lon0, lat0, lon1, lat1, 100)])).await;
        assert_rel(
            num(&m, "area_m2"),
            zone_area(lon0, lat0, lon1, lat1),
            1e-6,
            &format!("1°×1° at the {what}"),
        );
        assert_eq!(m["geometry_type"], "Polygon");
        assert_eq!(
            num(&m, "length_m"),
            0.0,
            "a polygon has no length, only a perimeter"
        );
        // Two meridian arcs and two parallel arcs (the chords are shorter by < 0.2 mm).
        let perimeter = 2.0 * (meridian_arc(lat1) - meridian_arc(lat0))
            + parallel_arc(lat0, 1.0)
            + parallel_arc(lat1, 1.0);
        assert_abs(num(&m, "perimeter_m"), perimeter, 1e-3, "perimeter");
    }
}

async fn meridian_and_equator_arcs_have_their_series_lengths(b: Backend) {
    let s = TestServer::empty(b).await;
    let m = measure(
        &s,
        "",
        &json!({"type": "LineString", "coordinates": [[121.5, 31.0], [121.5, 32.0]]}),
    )
    .await;
    assert_abs(
        num(&m, "length_m"),
        meridian_arc(32.0) - meridian_arc(31.0),
        1e-3,
        "meridian arc 31°N–32°N",
    );
    assert_eq!(num(&m, "area_m2"), 0.0);
    assert!(
        m.get("perimeter_m").is_none(),
        "a line has no perimeter: {m}"
    );

    // The equator is a geodesic: 1° of it is a·π/180.
    let m = measure(
        &s,
        "",
        &json!({"type": "LineString", "coordinates": [[0.0, 0.0], [1.0, 0.0]]}),
    )
    .await;
    assert_abs(
        num(&m, "length_m"),
        A * std::f64::consts::PI / 180.0,
        1e-3,
        "1° of equator",
    );

    // Lengths add up over the parts of a MultiLineString and a line's vertices.
    let m = measure(
        &s,
        "",
        &json!({"type": "MultiLineString", "coordinates": [
            [[0.0, 0.0], [0.5, 0.0], [1.0, 0.0]],
            [[121.5, 31.0], [121.5, 31.5], [121.5, 32.0]],
        ]}),
    )
    .await;
    assert_abs(
        num(&m, "length_m"),
        A * std::f64::consts::PI / 180.0 + meridian_arc(32.0) - meridian_arc(31.0),
        2e-3,
        "MultiLineString",
    );

    // A point measures nothing.
    let m = measure(
        &s,
        "",
        &json!({"type": "Point", "coordinates": [121.5, 31.2]}),
    )
    .await;
    assert_eq!((num(&m, "length_m"), num(&m, "area_m2")), (0.0, 0.0));
}

async fn convert(s: &TestServer, to: &str, p: [f64; 2]) -> [f64; 2] {
    let v = s
        .get_json(
            &format!("/coord/convert?from=cgcs2000&to={to}&x={}&y={}", p[0], p[1]),
            200,
        )
        .await;
    [num(&v, "x"), num(&v, "y")]
}

async fn any_crs_measures_the_same(b: Backend) {
    let s = TestServer::empty(b).await;
    // An irregular pentagon of about 113 ha around People's Square.
    let ring = vec![
        [121.4690, 31.2280],
        [121.4790, 31.2285],
        [121.4800, 31.2360],
        [121.4740, 31.2400],
        [121.4680, 31.2350],
        [121.4690, 31.2280],
    ];
    let truth = measure(&s, "", &polygon(std::slice::from_ref(&ring))).await;
    let (area, perimeter) = (num(&truth, "area_m2"), num(&truth, "perimeter_m"));
    assert!((1.1e6..1.15e6).contains(&area), "about 113 ha: {area}");

    let mut sh = Vec::new();
    let mut gcj = Vec::new();
    for &p in &ring {
        sh.push(convert(&s, "sh2000", p).await);
        gcj.push(convert(&s, "gcj02", p).await);
    }
    // 0.1 m² per hectare.
    let tol = 1e-5;
    // The CRS as a query parameter…
    let m = measure(&s, "?crs=sh2000", &polygon(&[sh])).await;
    assert_rel(num(&m, "area_m2"), area, tol, "area from sh2000");
    assert_rel(
        num(&m, "perimeter_m"),
        perimeter,
        tol,
        "perimeter from sh2000",
    );
    // …or as a member of the body.
    let mut body = polygon(&[gcj]);
    let raw = measure(&s, "", &body).await;
    body["crs"] = json!("gcj02");
    let m = measure(&s, "", &body).await;
    assert_rel(num(&m, "area_m2"), area, tol, "area from gcj02");
    assert_rel(
        num(&m, "perimeter_m"),
        perimeter,
        tol,
        "perimeter from gcj02",
    );
    // GCJ-02 is a shift of a few hundred metres that also stretches: taken for CGCS2000,
    // the same vertices measure 0.28% less here, so passing needs the conversion.
    assert!(
        ((num(&raw, "area_m2") - area) / area).abs() > 10.0 * tol,
        "gcj02 unconverted: {raw} vs {area}"
    );
}

async fn holes_are_subtracted_whatever_the_winding(b: Backend) {
    let s = TestServer::empty(b).await;
    let outer = rectangle(121.40, 31.20, 121.50, 31.30, 20);
    let hole = rectangle(121.43, 31.23, 121.46, 31.26, 20);
    let alone = |ring: Vec<[f64; 2]>| {
        let s = &s;
        async move { measure(s, "", &polygon(&[ring])).await }
    };
    let (o, h) = (alone(outer.clone()).await, alone(hole.clone()).await);
    // Each ring alone, and clockwise, measures the same positive area.
    let o_cw = alone(reversed(&outer)).await;
    assert_rel(
        num(&o_cw, "area_m2"),
        num(&o, "area_m2"),
        1e-12,
        "clockwise ring",
    );
    assert_rel(
        num(&o, "area_m2"),
        zone_area(121.40, 31.20, 121.50, 31.30),
        1e-6,
        "outer ring",
    );
    assert_rel(
        num(&h, "area_m2"),
        zone_area(121.43, 31.23, 121.46, 31.26),
        1e-6,
        "hole",
    );
    let want = num(&o, "area_m2") - num(&h, "area_m2");
    let want_perimeter = num(&o, "perimeter_m") + num(&h, "perimeter_m");
    for (rings, what) in [
        (vec![outer.clone(), reversed(&hole)], "RFC 7946 winding"),
        (vec![outer.clone(), hole.clone()], "both counter-clockwise"),
        (vec![reversed(&outer), hole.clone()], "inverted winding"),
        (vec![reversed(&outer), reversed(&hole)], "both clockwise"),
    ] {
        let m = measure(&s, "", &polygon(&rings)).await;
        assert_rel(num(&m, "area_m2"), want, 1e-9, what);
        assert_rel(num(&m, "perimeter_m"), want_perimeter, 1e-12, what);
    }
    // A MultiPolygon's members add up, whichever way each one runs.
    let far = rectangle(121.60, 31.00, 121.70, 31.10, 20);
    let m = measure(
        &s,
        "",
        &json!({"type": "MultiPolygon", "coordinates": [[outer, reversed(&hole)], [reversed(&far)]]}),
    )
    .await;
    assert_rel(
        num(&m, "area_m2"),
        want + zone_area(121.60, 31.00, 121.70, 31.10),
        1e-6,
        "MultiPolygon",
    );
    assert_eq!(m["geometry_type"], "MultiPolygon");
}

async fn feature_collections_total_their_parts(b: Backend) {
    let s = TestServer::empty(b).await;
    let geometries = [
        json!({"type": "Point", "coordinates": [121.47, 31.23]}),
        json!({"type": "LineString", "coordinates": [[121.5, 31.0], [121.5, 32.0]]}),
        polygon(&[rectangle(121.0, 31.0, 122.0, 32.0, 100)]),
        json!({"type": "GeometryCollection", "geometries": [
            {"type": "LineString", "coordinates": [[0.0, 0.0], [1.0, 0.0]]},
            polygon(&[rectangle(0.0, 0.0, 1.0, 1.0, 100)]),
        ]}),
    ];
    let ids = [json!("well-7"), json!(42), Value::Null, json!("mixed")];
    let features: Vec<Value> = geometries
        .iter()
        .zip(&ids)
        .map(|(g, id)| {
            let mut f = json!({"type": "Feature", "properties": {"name": "x"}, "geometry": g});
            if !id.is_null() {
                f["id"] = id.clone();
            }
            f
        })
        .collect();
    let fc = json!({"type": "FeatureCollection", "features": features});
    let out = measure(&s, "", &fc).await;
    let parts = out["features"].as_array().expect("features");
    assert_eq!(parts.len(), 4);
    let (mut length, mut area, mut perimeter) = (0.0, 0.0, 0.0);
    for (i, (part, g)) in parts.iter().zip(&geometries).enumerate() {
        assert_eq!(part["index"], i, "{part}");
        assert_eq!(part.get("id").unwrap_or(&Value::Null), &ids[i], "{part}");
        // Each part measures as its geometry does alone.
        let alone = measure(&s, "", g).await;
        for k in ["geometry_type", "length_m", "area_m2", "perimeter_m"] {
            assert_eq!(part.get(k), alone.get(k), "feature {i} `{k}`");
        }
        length += num(part, "length_m");
        area += num(part, "area_m2");
        perimeter += part["perimeter_m"].as_f64().unwrap_or(0.0);
    }
    assert_eq!(parts[3]["geometry_type"], "GeometryCollection");
    assert!(parts[1].get("perimeter_m").is_none());
    // The collection's parts: the line and the square's sides are independent values.
    assert_abs(
        num(&parts[3], "length_m"),
        A * std::f64::consts::PI / 180.0,
        1e-3,
        "the collection's length is its line's",
    );
    let total = &out["total"];
    assert_rel(num(total, "length_m"), length, 1e-12, "total length");
    assert_rel(num(total, "area_m2"), area, 1e-12, "total area");
    assert_rel(
        num(total, "perimeter_m"),
        perimeter,
        1e-12,
        "total perimeter",
    );
    assert_rel(
        area,
        zone_area(121.0, 31.0, 122.0, 32.0) + zone_area(0.0, 0.0, 1.0, 1.0),
        1e-6,
        "sum of the squares",
    );

    // A single Feature answers like its geometry, with its id.
    let m = measure(&s, "", &features[1]).await;
    assert_eq!(m["id"], 42);
    assert_eq!(m["geometry_type"], "LineString");
    assert_eq!(m["length_m"], parts[1]["length_m"]);

    // An empty collection totals nothing.
    let m = measure(
        &s,
        "",
        &json!({"type": "FeatureCollection", "features": []}),
    )
    .await;
    assert_eq!(
        m,
        json!({"features": [], "total": {"length_m": 0.0, "area_m2": 0.0}})
    );
}

/// A request body: text sent as is (to be malformed), or JSON.
#[derive(Debug)]
enum Body<'a> {
    Raw(&'a str),
    Json(Value),
}

/// Posts `body` and checks the problem's status, that its detail mentions `says`, and,
/// for a 422, which field it blames.
async fn refused(
    s: &TestServer,
    query: &str,
    body: Body<'_>,
    status: u16,
    says: &str,
    field: Option<&str>,
) {
    let req = s.client.post(s.url(&format!("/measure{query}")));
    let req = match &body {
        Raw(text) => req
            .header("content-type", "application/json")
            .body(text.to_string()),
        Json(v) => req.json(v),
    };
    let r = req.send().await.expect("request");
    let got = r.status().as_u16();
    if got != status {
        let text = r.text().await.unwrap_or_default();
        panic!("{body:?}: status {got}, not {status}: {text}");
    }
    let p = assert_problem(r, status).await;
    let detail = p["detail"].as_str().unwrap_or_default();
    assert!(
        detail.to_lowercase().contains(&says.to_lowercase()),
        "{body:?}: detail {detail:?} should mention {says:?}"
    );
    if let Some(f) = field {
        assert_eq!(p["errors"][0]["field"], f, "{body:?}: {p}");
    }
}

async fn bad_input_is_a_problem_naming_it(b: Backend) {
    let s = TestServer::empty(b).await;
    let point = |c: Value| json!({"type": "Point", "coordinates": c});
    let line = |c: Value| json!({"type": "LineString", "coordinates": c});
    let ring = vec![[121.0, 31.0], [121.1, 31.0], [121.1, 31.1], [121.0, 31.0]];
    let open = vec![[121.0, 31.0], [121.1, 31.0], [121.1, 31.1], [121.0, 31.1]];

    // Not JSON; JSON that cannot hold NaN or infinity.
    refused(&s, "", Raw("{\"type\": \"Point\""), 400, "EOF", None).await;
    refused(
        &s,
        "",
        Raw(r#"{"type":"Point","coordinates":[NaN,1]}"#),
        400,
        "expected value",
        None,
    )
    .await;
    refused(
        &s,
        "",
        Raw(r#"{"type":"Point","coordinates":[1e999,1]}"#),
        400,
        "out of range",
        None,
    )
    .await;
    // JSON, but not GeoJSON.
    refused(
        &s,
        "",
        Json(json!([121.0, 31.0])),
        400,
        "not a GeoJSON",
        None,
    )
    .await;
    refused(
        &s,
        "",
        Json(json!({"lon": 121.0, "lat": 31.0})),
        400,
        "not a GeoJSON",
        None,
    )
    .await;
    refused(
        &s,
        "",
        Json(line(json!("121,31"))),
        400,
        "not a GeoJSON",
        None,
    )
    .await;
    // Unknown geometry types, at the top or inside a collection.
    refused(
        &s,
        "",
        Json(json!({"type": "Circle", "coordinates": [121.0, 31.0]})),
        400,
        "unknown variant `Circle`",
        None,
    )
    .await;
    refused(
        &s,
        "",
        Json(json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "Ellipse", "coordinates": [1.0, 2.0]}}
        ]})),
        400,
        "`Ellipse`",
        None,
    )
    .await;
    // Empty coordinates, wherever they are.
    refused(&s, "", Json(point(json!([]))), 400, "position", None).await;
    for (g, field) in [
        (json!({"type": "Polygon", "coordinates": []}), "coordinates"),
        (
            json!({"type": "MultiPoint", "coordinates": []}),
            "coordinates",
        ),
        (
            json!({"type": "MultiLineString", "coordinates": []}),
            "coordinates",
        ),
        (
            json!({"type": "MultiPolygon", "coordinates": []}),
            "coordinates",
        ),
        (
            json!({"type": "MultiPolygon", "coordinates": [[[]]]}),
            "coordinates[0][0]",
        ),
        (
            json!({"type": "GeometryCollection", "geometries": []}),
            "geometries",
        ),
    ] {
        refused(&s, "", Json(g), 422, "empty coordinates", Some(field)).await;
    }
    refused(
        &s,
        "",
        Json(line(json!([]))),
        422,
        "empty coordinates",
        Some("coordinates"),
    )
    .await;
    refused(
        &s,
        "",
        Json(json!({"type": "Polygon", "coordinates": [[]]})),
        422,
        "empty coordinates",
        Some("coordinates[0]"),
    )
    .await;
    // Lines and rings too short to measure, rings left open, positions without y.
    refused(
        &s,
        "",
        Json(line(json!([[121.0, 31.0]]))),
        422,
        "at least 2 positions",
        Some("coordinates"),
    )
    .await;
    refused(
        &s,
        "",
        Json(polygon(&[vec![
            [121.0, 31.0],
            [121.1, 31.0],
            [121.0, 31.0],
        ]])),
        422,
        "at least 4 positions",
        Some("coordinates[0]"),
    )
    .await;
    refused(
        &s,
        "",
        Json(polygon(&[open])),
        422,
        "not closed",
        Some("coordinates[0]"),
    )
    .await;
    refused(
        &s,
        "",
        Json(line(json!([[121.0, 31.0], [121.1]]))),
        422,
        "needs x and y",
        Some("coordinates[1]"),
    )
    .await;
    refused(
        &s,
        "",
        Json(json!({"type": "Feature", "properties": {}, "geometry": null})),
        422,
        "needs a geometry",
        Some("geometry"),
    )
    .await;
    // Out of range: latitude and longitude in CGCS2000, and after a conversion.
    refused(
        &s,
        "",
        Json(point(json!([121.0, 91.0]))),
        422,
        "latitude within ±90",
        Some("coordinates"),
    )
    .await;
    refused(
        &s,
        "",
        Json(json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": polygon(&[ring])},
            {"type": "Feature", "properties": {}, "geometry": {"type": "GeometryCollection", "geometries": [line(json!([[121.0, 31.0], [181.0, 31.0]]))]}},
        ]})),
        422,
        "longitude within ±180",
        Some("features[1].geometry.geometries[0].coordinates[1]"),
    )
    .await;
    refused(
        &s,
        "?crs=wgs84",
        Json(point(json!([121.0, 95.0]))),
        422,
        "|lat| <= 90",
        None,
    )
    .await;
    refused(
        &s,
        "?crs=EPSG:3857",
        Json(line(json!([[1.3e7, 3.6e6], [3e7, 3.6e6]]))),
        422,
        "20037508",
        None,
    )
    .await;
    // Unknown or malformed CRS, as a parameter or a member.
    refused(
        &s,
        "?crs=mars2000",
        Json(point(json!([121.0, 31.0]))),
        400,
        "unknown CRS",
        None,
    )
    .await;
    refused(
        &s,
        "",
        Json(json!({"type": "Point", "coordinates": [121.0, 31.0], "crs": "EPSG:0"})),
        400,
        "unknown CRS",
        None,
    )
    .await;
    refused(
        &s,
        "",
        Json(json!({"type": "Point", "coordinates": [121.0, 31.0], "crs": 4490})),
        400,
        "must be a string",
        None,
    )
    .await;
}

async fn at_most_a_million_coordinates(b: Backend) {
    // The production body limit (16 MiB), not the harness's 2 MiB: a million positions
    // take 6 MB of JSON, and the coordinate limit must be what refuses them.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = config(dir.path().to_path_buf(), false);
    cfg.max_body_mb = 16;
    cfg.database_url = b.database_url().map(|u| DatabaseUrl(u.to_string()));
    let s = TestServer::with_config(cfg, dir).await;
    let points = |n: usize| {
        let mut body = String::new();
        body.push_str(r#"{"type":"MultiPoint","coordinates":["#);
        body.push_str(&vec!["[121,31]"; n].join(","));
        body.push_str("]}");
        body
    };
    let send = |body: String| {
        s.client
            .post(s.url("/measure"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let r = send(points(1_000_000)).await.expect("request");
    assert_eq!(r.status(), 200, "a million is allowed");
    let p = assert_problem(send(points(1_000_001)).await.expect("request"), 400).await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("at most 1000000"),
        "{p}"
    );
    assert_eq!(p["coordinates"], 1_000_001);
}
