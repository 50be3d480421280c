//! Checks of the sample data against the layer schemas in data/layers/*.json and against the
//! rules of data/README.md. Nothing here hard-codes generated values: every assertion recomputes
//! what it checks from the features (and the real district outlines).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::OnceLock;

use geo::indexed::PreparedGeometry;
use geo::{
    Contains, Coord, Distance, Geodesic, GeodesicArea, Geometry, Intersects, Length, LineString,
    MultiLineString, MultiPolygon, Point, Polygon, Relate, Validation, Winding,
};
use onemap_data::{SampleLayer, sample_layers};
use regex::Regex;
use serde_json::Value;

const SEED: u64 = 20_240_601;
const FOREST: [&str; 6] = ["310151", "310115", "310120", "310116", "310118", "310117"];
const SUBURBAN: [&str; 9] = [
    "310112", "310113", "310114", "310115", "310116", "310117", "310118", "310120", "310151",
];
const CENTRAL: [&str; 7] = [
    "310101", "310104", "310105", "310106", "310107", "310109", "310110",
];

fn layers() -> &'static [SampleLayer] {
    static CELL: OnceLock<Vec<SampleLayer>> = OnceLock::new();
    CELL.get_or_init(|| sample_layers(SEED))
}

fn layer(id: &str) -> &'static SampleLayer {
    layers()
        .iter()
        .find(|l| l.layer == id)
        .unwrap_or_else(|| panic!("layer {id} missing"))
}

fn prop<'a>(f: &'a Value, name: &str) -> &'a Value {
    &f["properties"][name]
}

fn prop_str<'a>(f: &'a Value, name: &str) -> &'a str {
    prop(f, name)
        .as_str()
        .unwrap_or_else(|| panic!("{name} is not a string in {}", f["properties"]))
}

/// The district outlines as published in the districts layer, by code.
fn district_polygons() -> &'static BTreeMap<String, MultiPolygon<f64>> {
    static CELL: OnceLock<BTreeMap<String, MultiPolygon<f64>>> = OnceLock::new();
    CELL.get_or_init(|| {
        layer("districts")
            .features
            .iter()
            .map(|f| {
                let Geometry::MultiPolygon(mp) = to_geo(&f["geometry"]) else {
                    panic!("district is not a MultiPolygon")
                };
                (prop_str(f, "code").to_owned(), mp)
            })
            .collect()
    })
}

// ---------------------------------------------------------------------------------------------
// GeoJSON → geo

fn coord(v: &Value) -> Coord {
    let a = v.as_array().expect("position is an array");
    assert_eq!(a.len(), 2, "positions are [lon, lat]");
    Coord {
        x: a[0].as_f64().expect("lon"),
        y: a[1].as_f64().expect("lat"),
    }
}

fn line(v: &Value) -> LineString {
    LineString(
        v.as_array()
            .expect("array of positions")
            .iter()
            .map(coord)
            .collect(),
    )
}

fn polygon(v: &Value) -> Polygon {
    let rings: Vec<LineString> = v
        .as_array()
        .expect("array of rings")
        .iter()
        .map(line)
        .collect();
    let (exterior, interiors) = rings.split_first().expect("a polygon has an exterior ring");
    Polygon::new(exterior.clone(), interiors.to_vec())
}

/// Converts without closing or otherwise fixing anything (geo's `Polygon::new` closes rings, so
/// ring closure is checked on the JSON separately).
fn to_geo(g: &Value) -> Geometry {
    let c = &g["coordinates"];
    match g["type"].as_str().expect("geometry type") {
        "Point" => Geometry::Point(Point(coord(c))),
        "LineString" => Geometry::LineString(line(c)),
        "MultiLineString" => Geometry::MultiLineString(MultiLineString(
            c.as_array()
                .expect("line strings")
                .iter()
                .map(line)
                .collect(),
        )),
        "Polygon" => Geometry::Polygon(polygon(c)),
        "MultiPolygon" => Geometry::MultiPolygon(MultiPolygon(
            c.as_array()
                .expect("polygons")
                .iter()
                .map(polygon)
                .collect(),
        )),
        other => panic!("unexpected geometry type {other}"),
    }
}

/// Our validity rules beyond geo's `Validation`: closed rings with ≥ 4 positions, counter-clockwise
/// exteriors (clockwise holes), no repeated consecutive positions; line strings without zero-length
/// segments.
fn check_geometry(g: &Value, what: &str) {
    let geometry = to_geo(g);
    assert!(
        geometry.is_valid(),
        "{what}: invalid geometry: {:?}",
        geometry.validation_errors()
    );
    let rings_of = |p: &Value| -> Vec<Vec<Coord>> {
        p.as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_array().unwrap().iter().map(coord).collect())
            .collect()
    };
    let polygons: Vec<Vec<Vec<Coord>>> = match g["type"].as_str().unwrap() {
        "Polygon" => vec![rings_of(&g["coordinates"])],
        "MultiPolygon" => g["coordinates"]
            .as_array()
            .unwrap()
            .iter()
            .map(rings_of)
            .collect(),
        "LineString" | "MultiLineString" => {
            let lines = match to_geo(g) {
                Geometry::LineString(l) => vec![l],
                Geometry::MultiLineString(m) => m.0,
                _ => unreachable!(),
            };
            assert!(!lines.is_empty(), "{what}: no line strings");
            for l in lines {
                assert!(l.0.len() >= 2, "{what}: line string with < 2 positions");
                assert!(
                    l.0.windows(2).all(|w| w[0] != w[1]),
                    "{what}: zero-length segment"
                );
            }
            vec![]
        }
        _ => vec![],
    };
    for rings in polygons {
        for (k, ring) in rings.iter().enumerate() {
            assert!(ring.len() >= 4, "{what}: ring with < 4 positions");
            assert_eq!(ring.first(), ring.last(), "{what}: ring not closed");
            assert!(
                ring.windows(2).all(|w| w[0] != w[1]),
                "{what}: repeated consecutive position"
            );
            let ls = LineString(ring.clone());
            if k == 0 {
                assert!(
                    ls.is_ccw(),
                    "{what}: exterior ring is not counter-clockwise"
                );
            } else {
                assert!(ls.is_cw(), "{what}: interior ring is not clockwise");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// the layer schemas

fn schemas() -> &'static BTreeMap<String, Value> {
    static CELL: OnceLock<BTreeMap<String, Value>> = OnceLock::new();
    CELL.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("layers");
        std::fs::read_dir(&dir)
            .expect("data/layers exists")
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .map(|p| {
                let v: Value =
                    serde_json::from_str(&std::fs::read_to_string(&p).expect("readable"))
                        .expect("valid JSON");
                (v["id"].as_str().expect("schema id").to_owned(), v)
            })
            .collect()
    })
}

/// `n` ASCII digits as a number.
fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// YYYY-MM-DD and a real calendar day. (Parsed by hand: `regex` captures are very slow in the
/// unoptimised test build, and there are 20,000 dates.)
fn valid_date(s: &str) -> bool {
    if !s.is_ascii() || s.len() != 10 || &s[4..5] != "-" || &s[7..8] != "-" {
        return false;
    }
    let (Some(y), Some(m), Some(d)) = (digits(&s[..4]), digits(&s[5..7]), digits(&s[8..])) else {
        return false;
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    (1..=12).contains(&m) && d >= 1 && d <= days[m as usize - 1]
}

/// RFC 3339 date-time with the China Standard Time offset: YYYY-MM-DDTHH:MM:SS+08:00.
fn valid_datetime(s: &str) -> bool {
    if s.len() != 25 || !s.is_ascii() || &s[10..11] != "T" || &s[13..14] != ":" || &s[16..17] != ":"
    {
        return false;
    }
    let (Some(h), Some(mi), Some(se)) =
        (digits(&s[11..13]), digits(&s[14..16]), digits(&s[17..19]))
    else {
        return false;
    };
    valid_date(&s[..10]) && h < 24 && mi < 60 && se < 60 && &s[19..] == "+08:00"
}

/// GB/T 28181: 20 digits; 1–6 the district code (of the feature's own district), 11–13 device
/// type 131 or 132.
fn check_gb28181(code: &str, feature: &Value, what: &str) {
    assert!(
        code.len() == 20 && code.bytes().all(|b| b.is_ascii_digit()),
        "{what}: {code} is not 20 digits"
    );
    assert!(
        district_polygons().contains_key(&code[..6]),
        "{what}: {code} does not start with a district code"
    );
    assert_eq!(
        &code[..6],
        prop_str(feature, "district_code"),
        "{what}: {code} is not in the feature's district"
    );
    assert!(
        matches!(&code[10..13], "131" | "132"),
        "{what}: {code} device type is not 131/132"
    );
}

fn check_against_schema(l: &SampleLayer, schema: &Value) {
    let props = schema["properties"].as_array().expect("properties");
    let known: BTreeSet<&str> = props.iter().map(|p| p["name"].as_str().unwrap()).collect();
    let geometry_type = schema["geometry"].as_str().expect("geometry");
    let geometry_required = schema["geometry_required"].as_bool().unwrap_or(true);
    let key = schema["key"].as_str();
    let mut keys = HashSet::new();
    let patterns: BTreeMap<&str, Regex> = props
        .iter()
        .filter_map(|p| {
            Some((
                p["name"].as_str()?,
                Regex::new(p["pattern"].as_str()?).expect("valid pattern"),
            ))
        })
        .collect();
    for (i, f) in l.features.iter().enumerate() {
        let what = format!("{}[{i}]", l.layer);
        assert_eq!(f["type"], "Feature", "{what}: not a Feature");
        match &f["geometry"] {
            Value::Null => assert!(!geometry_required, "{what}: geometry required"),
            g => {
                assert_eq!(g["type"], geometry_type, "{what}: wrong geometry type");
                check_geometry(g, &what);
            }
        }
        let obj = f["properties"].as_object().expect("properties object");
        for k in obj.keys() {
            assert!(
                known.contains(k.as_str()),
                "{what}: property {k} is not in the schema"
            );
        }
        for p in props {
            let name = p["name"].as_str().unwrap();
            let v = obj.get(name).unwrap_or(&Value::Null);
            if v.is_null() {
                assert!(
                    !p["required"].as_bool().unwrap_or(false),
                    "{what}: required {name} missing"
                );
                continue;
            }
            let ty = p["type"].as_str().expect("type");
            match ty {
                "string" | "code" | "enum" | "date" | "datetime" => {
                    let s = v
                        .as_str()
                        .unwrap_or_else(|| panic!("{what}: {name} is not a string"));
                    if let Some(max) = p["max_length"].as_u64() {
                        assert!(
                            s.chars().count() as u64 <= max,
                            "{what}: {name} longer than {max}"
                        );
                    }
                    if let Some(re) = patterns.get(name) {
                        assert!(re.is_match(s), "{what}: {name} = {s} does not match {re}");
                    }
                    if let Some(values) = p["values"].as_array() {
                        assert!(
                            values.iter().any(|x| x == s),
                            "{what}: {name} = {s} not in {values:?}"
                        );
                    }
                    if ty == "date" {
                        assert!(valid_date(s), "{what}: {name} = {s} is not YYYY-MM-DD");
                    }
                    if ty == "datetime" {
                        assert!(
                            valid_datetime(s),
                            "{what}: {name} = {s} is not RFC 3339 +08:00"
                        );
                    }
                    if p["check"] == "gb28181" {
                        check_gb28181(s, f, &what);
                    }
                    assert!(
                        ty != "enum" || p["values"].is_array(),
                        "schema: enum without values"
                    );
                }
                "number" => {
                    let x = v
                        .as_f64()
                        .unwrap_or_else(|| panic!("{what}: {name} is not a number"));
                    assert!(x.is_finite());
                    if let Some(min) = p["min"].as_f64() {
                        assert!(x >= min, "{what}: {name} = {x} < {min}");
                    }
                    if let Some(max) = p["max"].as_f64() {
                        assert!(x <= max, "{what}: {name} = {x} > {max}");
                    }
                }
                "integer" => {
                    let x = v
                        .as_i64()
                        .unwrap_or_else(|| panic!("{what}: {name} is not an integer"));
                    if let Some(min) = p["min"].as_i64() {
                        assert!(x >= min, "{what}: {name} = {x} < {min}");
                    }
                    if let Some(max) = p["max"].as_i64() {
                        assert!(x <= max, "{what}: {name} = {x} > {max}");
                    }
                }
                "string_list" => {
                    let a = v
                        .as_array()
                        .unwrap_or_else(|| panic!("{what}: {name} is not an array"));
                    assert!(
                        a.iter().all(Value::is_string),
                        "{what}: {name} has a non-string"
                    );
                }
                "geometry" => {
                    assert_eq!(
                        v["type"], p["geometry"],
                        "{what}: {name} has the wrong geometry type"
                    );
                    check_geometry(v, &format!("{what}.{name}"));
                }
                other => panic!("schema: unknown property type {other}"),
            }
        }
        if let Some(key) = key {
            let k = obj
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{what}: key {key} missing"));
            assert!(keys.insert(k.to_owned()), "{what}: duplicate key {k}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// tests

#[test]
fn layers_in_load_order_with_minimum_counts_and_provenance() {
    let expected = [
        ("districts", 16),
        ("townships", 234),
        ("illegal_buildings", 20_000),
        ("forest_stands", 5_000),
        ("forest_patches", 1_000),
        ("patrol_tracks", 200),
        ("video_points", 2_000),
        ("gazetteer_roads", 1_500),
        ("gazetteer_addresses", 15_000),
        ("gazetteer_pois", 300),
    ];
    let got: Vec<&str> = layers().iter().map(|l| l.layer).collect();
    assert_eq!(got, expected.map(|e| e.0));
    for (l, (_, min)) in layers().iter().zip(expected) {
        if l.layer == "districts" || l.layer == "townships" {
            assert_eq!(l.features.len(), min, "{}", l.layer);
        } else {
            assert!(
                l.features.len() >= min,
                "{}: {} < {min}",
                l.layer,
                l.features.len()
            );
        }
        assert!(!l.provenance.is_empty());
    }
    assert!(
        !layer("districts").synthetic,
        "the district outlines are real"
    );
    for l in &layers()[1..] {
        assert!(l.synthetic, "{} must be marked synthetic", l.layer);
        assert!(
            l.provenance.to_lowercase().contains("synthetic"),
            "{}: {}",
            l.layer,
            l.provenance
        );
    }
    for l in &layers()[2..] {
        assert!(
            l.provenance.contains(&format!("seed {SEED}")),
            "{}: provenance names the seed",
            l.layer
        );
    }
}

#[test]
fn every_layer_matches_its_schema() {
    assert_eq!(schemas().len(), layers().len(), "one schema per layer");
    for l in layers() {
        let schema = schemas()
            .get(l.layer)
            .unwrap_or_else(|| panic!("no schema for {}", l.layer));
        check_against_schema(l, schema);
    }
}

#[test]
fn deterministic_for_a_seed_and_different_across_seeds() {
    let again = sample_layers(SEED);
    let other = sample_layers(SEED + 1);
    for ((a, b), c) in layers().iter().zip(&again).zip(&other) {
        let (ja, jb, jc) = (
            serde_json::to_string(&a.features).unwrap(),
            serde_json::to_string(&b.features).unwrap(),
            serde_json::to_string(&c.features).unwrap(),
        );
        assert_eq!(ja, jb, "{}: same seed, different output", a.layer);
        if a.layer == "districts" || a.layer == "townships" {
            assert_eq!(
                ja, jc,
                "{}: real/fixed layers do not depend on the seed",
                a.layer
            );
        } else {
            assert_ne!(ja, jc, "{}: different seeds, same output", a.layer);
        }
    }
}

#[test]
fn districts_are_the_sixteen_with_valid_outlines() {
    let d = district_polygons();
    assert_eq!(d.len(), 16);
    assert_eq!(
        d.keys()
            .filter(|c| CENTRAL.contains(&c.as_str()) || SUBURBAN.contains(&c.as_str()))
            .count(),
        16
    );
    for f in &layer("districts").features {
        let props = f["properties"].as_object().unwrap();
        assert_eq!(
            props.keys().collect::<Vec<_>>(),
            ["code", "name"],
            "label_point is dropped"
        );
    }
    // the public helpers agree with the layer
    assert_eq!(onemap_data::districts().len(), 16);
    for dist in onemap_data::districts() {
        assert_eq!(&dist.geometry, &d[dist.code], "{}", dist.code);
        assert!(dist.geometry.is_valid());
    }
    let total_km2: f64 = d
        .values()
        .map(|mp| mp.geodesic_area_unsigned())
        .sum::<f64>()
        / 1e6;
    assert!(
        (6_000.0..7_500.0).contains(&total_km2),
        "Shanghai is ~6,800 km², got {total_km2}"
    );
}

/// The one representative position of a feature: the point, or the first vertex.
fn anchor(g: &Geometry) -> Point {
    match g {
        Geometry::Point(p) => *p,
        Geometry::LineString(l) => Point(l.0[0]),
        Geometry::MultiLineString(m) => Point(m.0[0].0[0]),
        Geometry::Polygon(p) => Point(p.exterior().0[0]),
        _ => unreachable!(),
    }
}

fn district_code_of(l: &SampleLayer, f: &Value) -> String {
    let name = if l.layer == "districts" {
        "code"
    } else {
        "district_code"
    };
    prop_str(f, name).to_owned()
}

#[test]
fn every_feature_lies_inside_its_own_district_only() {
    let districts = district_polygons();
    let prepared: BTreeMap<&str, PreparedGeometry<'_, &MultiPolygon>> = districts
        .iter()
        .map(|(c, mp)| (c.as_str(), PreparedGeometry::from(mp)))
        .collect();
    for l in &layers()[1..] {
        for (i, f) in l.features.iter().enumerate() {
            let code = district_code_of(l, f);
            let what = format!("{}[{i}] in {code}", l.layer);
            let own = &districts[&code];
            let g = to_geo(&f["geometry"]);
            let mut geometries = vec![g.clone()];
            if !prop(f, "footprint").is_null() {
                geometries.push(to_geo(prop(f, "footprint")));
            }
            for g in &geometries {
                let inside = match g {
                    Geometry::Point(p) => own.contains(p),
                    other => prepared[code.as_str()].relate(other).is_contains(),
                };
                assert!(inside, "{what}: not inside its district");
            }
            let a = anchor(&g);
            for (other, mp) in districts {
                assert!(
                    other == &code || !mp.contains(&a),
                    "{what}: also inside {other}"
                );
            }
        }
    }
}

#[test]
fn township_codes_are_the_nearest_township_point_of_the_district() {
    let mut points: BTreeMap<String, Vec<(String, Coord)>> = BTreeMap::new();
    for f in &layer("townships").features {
        let Geometry::Point(p) = to_geo(&f["geometry"]) else {
            panic!("township geometry is a point")
        };
        points
            .entry(prop_str(f, "district_code").to_owned())
            .or_default()
            .push((prop_str(f, "code").to_owned(), p.0));
        assert!(prop_str(f, "code").starts_with(prop_str(f, "district_code")));
    }
    assert_eq!(points.len(), 16, "every district has townships");
    let cos = 31.23f64.to_radians().cos();
    for l in layers().iter().filter(|l| {
        matches!(
            l.layer,
            "illegal_buildings" | "video_points" | "gazetteer_addresses" | "gazetteer_pois"
        )
    }) {
        for f in &l.features {
            let Geometry::Point(p) = to_geo(&f["geometry"]) else {
                panic!()
            };
            let candidates = &points[prop_str(f, "district_code")];
            let nearest = candidates
                .iter()
                .min_by(|a, b| {
                    let d = |c: Coord| ((c.x - p.x()) * cos).powi(2) + (c.y - p.y()).powi(2);
                    d(a.1).total_cmp(&d(b.1))
                })
                .unwrap();
            assert_eq!(
                prop_str(f, "township_code"),
                nearest.0,
                "{}: {}",
                l.layer,
                f["properties"]
            );
        }
    }
    // every township gets some cameras or buildings nearby: the points are spread out
    let used: HashSet<&str> = layer("illegal_buildings")
        .features
        .iter()
        .chain(&layer("video_points").features)
        .map(|f| prop_str(f, "township_code"))
        .collect();
    assert!(
        used.len() >= 200,
        "only {} of 234 townships got any feature",
        used.len()
    );
}

#[test]
fn township_points_are_distinct_and_spread_out() {
    let pts: Vec<(String, Coord)> = layer("townships")
        .features
        .iter()
        .map(|f| {
            let Geometry::Point(p) = to_geo(&f["geometry"]) else {
                panic!()
            };
            (prop_str(f, "district_code").to_owned(), p.0)
        })
        .collect();
    for (i, a) in pts.iter().enumerate() {
        for b in &pts[i + 1..] {
            if a.0 == b.0 {
                let d = Geodesic.distance(Point(a.1), Point(b.1));
                assert!(
                    d > 300.0,
                    "two township points of {} only {d:.0} m apart",
                    a.0
                );
            }
        }
    }
}

#[test]
fn forest_layers_only_in_the_six_forest_districts() {
    for id in ["forest_stands", "forest_patches", "patrol_tracks"] {
        let codes: BTreeSet<&str> = layer(id)
            .features
            .iter()
            .map(|f| prop_str(f, "district_code"))
            .collect();
        assert!(codes.iter().all(|c| FOREST.contains(c)), "{id}: {codes:?}");
        assert_eq!(codes.len(), 6, "{id}: every forest district has some");
    }
    let stands = &layer("forest_stands").features;
    let per: BTreeMap<&str, usize> = stands.iter().fold(BTreeMap::new(), |mut m, f| {
        *m.entry(prop_str(f, "district_code")).or_default() += 1;
        m
    });
    let chongming = per["310151"];
    assert!(
        per.values().all(|&n| n <= chongming),
        "崇明 has the most stands: {per:?}"
    );
}

fn area_m2(g: &Value) -> f64 {
    let Geometry::Polygon(p) = to_geo(g) else {
        panic!("not a polygon")
    };
    p.geodesic_area_unsigned()
}

#[test]
fn forest_stands_and_patches_have_consistent_sizes_and_do_not_overlap() {
    for (id, lo, hi) in [("forest_stands", 1.0, 15.0), ("forest_patches", 0.1, 3.0)] {
        let mut polys = Vec::new();
        for f in &layer(id).features {
            let a = area_m2(&f["geometry"]) / 1e4;
            let stated = prop(f, "area_ha").as_f64().unwrap();
            assert!(
                (a - stated).abs() <= 0.002 * a + 0.001,
                "{id}: area_ha {stated} vs geometry {a}"
            );
            assert!((lo..=hi).contains(&a), "{id}: {a} ha outside {lo}–{hi}");
            let Geometry::Polygon(p) = to_geo(&f["geometry"]) else {
                unreachable!()
            };
            polys.push(p);
        }
        // sweep on min x; neighbours whose boxes overlap must not intersect
        let mut boxes: Vec<(geo::Rect, usize)> = polys
            .iter()
            .enumerate()
            .map(|(i, p)| (geo::BoundingRect::bounding_rect(p).unwrap(), i))
            .collect();
        boxes.sort_by(|a, b| a.0.min().x.total_cmp(&b.0.min().x));
        for (k, (ra, a)) in boxes.iter().enumerate() {
            for (rb, b) in &boxes[k + 1..] {
                if rb.min().x > ra.max().x {
                    break;
                }
                if ra.intersects(rb) {
                    assert!(
                        !polys[*a].intersects(&polys[*b]),
                        "{id}: features {a} and {b} overlap"
                    );
                }
            }
        }
    }
    // stand numbers: {district}-{compartment}-{stand}, compartment property agrees
    for f in &layer("forest_stands").features {
        let no = prop_str(f, "stand_no");
        assert!(no.starts_with(prop_str(f, "district_code")));
        assert_eq!(&no[7..10], prop_str(f, "compartment"));
    }
    for f in &layer("forest_patches").features {
        assert_eq!(&prop_str(f, "patch_no")[2..8], prop_str(f, "district_code"));
    }
}

#[test]
fn patrol_tracks_have_measured_lengths_and_ordered_times() {
    for f in &layer("patrol_tracks").features {
        let Geometry::LineString(l) = to_geo(&f["geometry"]) else {
            panic!()
        };
        assert!((20..=200).contains(&l.0.len()), "{} vertices", l.0.len());
        let len = Geodesic.length(&l);
        let stated = prop(f, "length_m").as_f64().unwrap();
        assert!(
            (len - stated).abs() <= 0.001 * len + 0.1,
            "length_m {stated} vs {len}"
        );
        assert!(
            prop_str(f, "started_at") < prop_str(f, "ended_at"),
            "{}",
            f["properties"]
        );
        let district = &district_polygons()[prop_str(f, "district_code")];
        assert!(
            l.0.iter().all(|c| district.contains(c)),
            "every vertex inside the district"
        );
    }
}

#[test]
fn illegal_buildings_are_suburban_clustered_with_footprints_around_their_points() {
    let feats = &layer("illegal_buildings").features;
    let districts = district_polygons();
    let km2 = |codes: &[&str]| {
        codes
            .iter()
            .map(|c| districts[*c].geodesic_area_unsigned())
            .sum::<f64>()
            / 1e6
    };
    let count = |codes: &[&str]| {
        feats
            .iter()
            .filter(|f| codes.contains(&prop_str(f, "district_code")))
            .count() as f64
    };
    let (sub, cen) = (
        count(&SUBURBAN) / km2(&SUBURBAN),
        count(&CENTRAL) / km2(&CENTRAL),
    );
    assert!(
        sub > 3.0 * cen,
        "suburban {sub:.2}/km² vs central {cen:.2}/km²"
    );

    let mut with_footprint = 0;
    for f in feats {
        let code = prop_str(f, "code");
        assert_eq!(&code[2..8], prop_str(f, "district_code"), "{code}");
        let found = prop_str(f, "found_on");
        assert!(("2015-01-01"..="2026-10-31").contains(&found), "{found}");
        let address = prop_str(f, "address");
        let district_name = layer("districts")
            .features
            .iter()
            .find(|d| prop_str(d, "code") == prop_str(f, "district_code"))
            .map(|d| prop_str(d, "name"))
            .unwrap();
        assert!(
            address.starts_with(district_name) && address.ends_with('号'),
            "{address}"
        );
        let fp = prop(f, "footprint");
        if fp.is_null() {
            continue;
        }
        with_footprint += 1;
        let (Geometry::Point(p), Geometry::Polygon(poly)) = (to_geo(&f["geometry"]), to_geo(fp))
        else {
            panic!()
        };
        assert!(
            poly.contains(&p),
            "{code}: footprint does not contain the point"
        );
        let ring = &poly.exterior().0;
        for k in 0..4 {
            let side = Geodesic.distance(Point(ring[k]), Point(ring[k + 1]));
            assert!((4.9..=60.1).contains(&side), "{code}: side {side} m");
        }
        let a = poly.geodesic_area_unsigned();
        let stated = prop(f, "area_m2").as_f64().unwrap();
        assert!(
            (a - stated).abs() <= 0.002 * a + 0.1,
            "{code}: area_m2 {stated} vs footprint {a}"
        );
    }
    let share = with_footprint as f64 / feats.len() as f64;
    assert!((0.6..0.8).contains(&share), "footprint share {share}");

    // clustered, not uniform: the Clark–Evans ratio (mean nearest-neighbour distance over its
    // expectation for a uniform pattern of the same density) is well below 1 in 浦东
    let pts: Vec<Point> = feats
        .iter()
        .filter(|f| prop_str(f, "district_code") == "310115")
        .map(|f| match to_geo(&f["geometry"]) {
            Geometry::Point(p) => p,
            _ => unreachable!(),
        })
        .collect();
    let density = pts.len() as f64 / km2(&["310115"]) / 1e6;
    let sample: Vec<&Point> = pts.iter().step_by(17).collect();
    let mean_nn = sample
        .iter()
        .map(|a| {
            pts.iter()
                .filter(|b| *b != *a)
                .map(|b| geo::Haversine.distance(**a, *b))
                .fold(f64::MAX, f64::min)
        })
        .sum::<f64>()
        / sample.len() as f64;
    let ratio = mean_nn / (0.5 / density.sqrt());
    assert!(ratio < 0.5, "Clark–Evans ratio {ratio:.2}");
}

#[test]
fn video_points_are_denser_in_the_centre_and_plausible() {
    let feats = &layer("video_points").features;
    let districts = district_polygons();
    let km2 = |codes: &[&str]| {
        codes
            .iter()
            .map(|c| districts[*c].geodesic_area_unsigned())
            .sum::<f64>()
            / 1e6
    };
    let count = |codes: &[&str]| {
        feats
            .iter()
            .filter(|f| codes.contains(&prop_str(f, "district_code")))
            .count() as f64
    };
    assert!(count(&CENTRAL) / km2(&CENTRAL) > 2.0 * count(&SUBURBAN) / km2(&SUBURBAN));
    let per: BTreeSet<&str> = feats.iter().map(|f| prop_str(f, "district_code")).collect();
    assert_eq!(per.len(), 16, "cameras in every district");
    let online = feats
        .iter()
        .filter(|f| prop_str(f, "status") == "online")
        .count() as f64
        / feats.len() as f64;
    assert!((0.85..0.95).contains(&online), "online share {online}");
    let tags = ["治安", "交通", "消防", "河道", "森林防火", "拆违"];
    for f in feats {
        let name = prop_str(f, "name");
        assert!(name.contains("与") && name.contains("交叉口"), "{name}");
        let t: Vec<&str> = prop(f, "tags")
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(!t.is_empty() && t.iter().all(|x| tags.contains(x)), "{t:?}");
        assert_eq!(
            t.iter().collect::<HashSet<_>>().len(),
            t.len(),
            "duplicate tags {t:?}"
        );
        if t.contains(&"森林防火") {
            assert!(
                FOREST.contains(&prop_str(f, "district_code")),
                "forest-fire camera outside forest districts"
            );
        }
        let b = prop(f, "bearing").as_f64().unwrap();
        assert!((0.0..360.0).contains(&b));
    }
}

#[test]
fn helpers_agree_with_the_layers() {
    // district_at finds the district of generated points; nearest_township their township
    for f in layer("video_points").features.iter().step_by(10) {
        let Geometry::Point(p) = to_geo(&f["geometry"]) else {
            panic!()
        };
        let d = onemap_data::district_at(p.x(), p.y()).expect("inside a district");
        assert_eq!(d.code, prop_str(f, "district_code"));
        let t = onemap_data::nearest_township(d.code, p.x(), p.y()).unwrap();
        assert_eq!(t.code, prop_str(f, "township_code"));
    }
    assert!(
        onemap_data::district_at(122.5, 31.0).is_none(),
        "East China Sea"
    );
    assert_eq!(onemap_data::townships().len(), 234);
    assert_eq!(
        onemap_data::district("310151").map(|d| d.name),
        Some("崇明区")
    );
}

// ---------------------------------------------------------------------------------------------
// the gazetteer

/// Planar metres (equirectangular at 31.23°N): exact enough to order points along a road, tell
/// its sides apart and measure a few tens of metres within 0.5 %.
fn metres(c: Coord) -> (f64, f64) {
    (
        c.x * 111_320.0 * 31.23f64.to_radians().cos(),
        c.y * 110_574.0,
    )
}

/// A road's parts (in order) as metre polylines.
type RoadLines = Vec<Vec<(f64, f64)>>;

/// The gazetteer roads by (district code, name).
fn gazetteer_roads() -> &'static BTreeMap<(String, String), RoadLines> {
    static CELL: OnceLock<BTreeMap<(String, String), RoadLines>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut out = BTreeMap::new();
        for f in &layer("gazetteer_roads").features {
            let Geometry::MultiLineString(m) = to_geo(&f["geometry"]) else {
                panic!("a road is a MultiLineString")
            };
            let lines =
                m.0.iter()
                    .map(|l| l.0.iter().map(|c| metres(*c)).collect())
                    .collect();
            let key = (
                prop_str(f, "district_code").to_owned(),
                prop_str(f, "name").to_owned(),
            );
            assert!(
                out.insert(key.clone(), lines).is_none(),
                "road {key:?} twice in its district"
            );
        }
        out
    })
}

/// Where `p` is relative to a road: (measure along the road to the nearest point, signed
/// distance to the nearest part's line, positive on the left of the road's direction, distance).
fn on_road(road: &RoadLines, p: (f64, f64)) -> (f64, f64, f64) {
    let mut offset = 0.0;
    let mut best = (f64::MAX, 0.0, 0.0);
    for part in road {
        for w in part.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let len = dx.hypot(dy);
            let along = ((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len;
            let left = (dx * (p.1 - a.1) - dy * (p.0 - a.0)) / len;
            let t = along.clamp(0.0, len);
            let d = (along - t).hypot(left);
            if d < best.0 {
                best = (d, offset + t, left);
            }
            offset += len;
        }
    }
    (best.1, best.2, best.0)
}

fn district_names() -> BTreeMap<&'static str, &'static str> {
    layer("districts")
        .features
        .iter()
        .map(|f| (prop_str(f, "code"), prop_str(f, "name")))
        .collect()
}

fn point_of(f: &Value) -> Point {
    match to_geo(&f["geometry"]) {
        Geometry::Point(p) => p,
        _ => panic!("not a point"),
    }
}

fn int_prop(f: &Value, name: &str) -> Option<i64> {
    prop(f, name).as_i64()
}

#[test]
fn gazetteer_roads_are_one_feature_per_name_and_district_with_plausible_aliases() {
    let roads = &layer("gazetteer_roads").features;
    assert!(
        (1_500..=4_000).contains(&roads.len()),
        "{} roads",
        roads.len()
    );
    let names = gazetteer_roads();
    assert_eq!(
        names.len(),
        roads.len(),
        "one feature per name per district"
    );
    let mut with_alias = 0;
    for f in roads {
        let code = prop_str(f, "district_code");
        assert!(prop_str(f, "road_code").starts_with(&format!("{code}R")));
        let name = prop_str(f, "name");
        assert!(
            ["路", "公路", "大道", "街"]
                .iter()
                .any(|s| name.ends_with(s)),
            "{name}"
        );
        if let Some(aliases) = prop(f, "aliases").as_array() {
            with_alias += 1;
            assert!(!aliases.is_empty() && aliases.len() <= 2, "{aliases:?}");
            for a in aliases {
                let a = a.as_str().unwrap();
                assert_ne!(a, name);
                assert!(
                    !names.contains_key(&(code.to_owned(), a.to_owned())),
                    "alias {a} of {name} is another road of {code}"
                );
            }
        }
    }
    let share = with_alias as f64 / roads.len() as f64;
    assert!((0.05..0.4).contains(&share), "alias share {share}");
    for suffix in ["公路", "大道", "街"] {
        assert!(
            names.keys().any(|(_, n)| n.ends_with(suffix)),
            "no {suffix} in the gazetteer"
        );
    }
}

#[test]
fn gazetteer_volumes_and_every_township_has_three_numbered_roads() {
    let houses = &layer("gazetteer_addresses").features;
    assert!(
        (15_000..=40_000).contains(&houses.len()),
        "{} house numbers",
        houses.len()
    );
    let mut roads_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for f in houses {
        let t = prop_str(f, "township_code");
        assert!(t.starts_with(prop_str(f, "district_code")), "{t}");
        roads_of.entry(t).or_default().insert(prop_str(f, "road"));
    }
    assert_eq!(roads_of.len(), 234, "house numbers in every township");
    for (t, roads) in &roads_of {
        assert!(roads.len() >= 3, "{t}: numbered roads {roads:?}");
    }
    let count = |name: &str| houses.iter().filter(|f| !prop(f, name).is_null()).count();
    assert!(count("lane") > 1_000, "lanes: {}", count("lane"));
    assert!(count("sub_lane") > 100, "sub-lanes: {}", count("sub_lane"));
    assert!(count("building") > 500, "buildings: {}", count("building"));
}

#[test]
fn house_numbers_are_odd_on_the_left_even_on_the_right_and_increase_along_the_road() {
    let roads = gazetteer_roads();
    // (district, road, left) → (measure, number) of the frontage numbers
    type Side<'a> = (&'a str, &'a str, bool);
    let mut sides: BTreeMap<Side, Vec<(f64, i64)>> = BTreeMap::new();
    for f in &layer("gazetteer_addresses").features {
        let (code, name) = (prop_str(f, "district_code"), prop_str(f, "road"));
        let road = roads
            .get(&(code.to_owned(), name.to_owned()))
            .unwrap_or_else(|| panic!("{name} is not a road of {code}"));
        let (measure, left, _) = on_road(road, metres(point_of(f).0));
        let lane = int_prop(f, "lane");
        let number = int_prop(f, "number").expect("number");
        let frontage = lane.unwrap_or(number);
        assert_eq!(
            frontage % 2 == 1,
            left > 0.0,
            "{}: odd numbers on the left, even on the right",
            prop_str(f, "standard_address")
        );
        if lane.is_none() {
            if prop(f, "building").is_null() {
                assert!(
                    (11.5..=12.5).contains(&left.abs()),
                    "{}: {left:.1} m from the centre line",
                    prop_str(f, "standard_address")
                );
            }
            sides
                .entry((code, name, left > 0.0))
                .or_default()
                .push((measure, number));
        }
    }
    assert!(sides.len() > 1_000, "{} road sides numbered", sides.len());
    for ((code, name, left), mut numbers) in sides {
        numbers.sort_by(|a, b| a.0.total_cmp(&b.0));
        for w in numbers.windows(2) {
            assert!(
                w[0].1 <= w[1].1,
                "{code} {name} (left {left}): {} at {:.0} m before {} at {:.0} m",
                w[0].1,
                w[0].0,
                w[1].1,
                w[1].0
            );
        }
    }
}

#[test]
fn standard_addresses_are_unique_and_composed_from_their_parts() {
    let names = district_names();
    let mut seen = HashSet::new();
    for f in &layer("gazetteer_addresses").features {
        let code = prop_str(f, "district_code");
        assert!(prop_str(f, "address_code").starts_with(&format!("{code}A")));
        let mut expected = format!("上海市{}{}", names[code], prop_str(f, "road"));
        if let Some(lane) = int_prop(f, "lane") {
            expected += &format!("{lane}弄");
        }
        if let Some(sub) = int_prop(f, "sub_lane") {
            assert!(int_prop(f, "lane").is_some(), "a 支弄 is inside a 弄");
            expected += &format!("{sub}支弄");
        }
        expected += &format!("{}号", int_prop(f, "number").unwrap());
        if let Some(b) = prop(f, "building").as_str() {
            expected += b;
        }
        let got = prop_str(f, "standard_address");
        assert_eq!(got, expected);
        assert!(seen.insert(got), "{got} twice");
    }
}

#[test]
fn gazetteer_pois_stand_next_to_their_address() {
    let houses: BTreeMap<&str, Point> = layer("gazetteer_addresses")
        .features
        .iter()
        .map(|f| (prop_str(f, "standard_address"), point_of(f)))
        .collect();
    let pois = &layer("gazetteer_pois").features;
    let mut categories = BTreeSet::new();
    let mut aliases = BTreeSet::new();
    for f in pois {
        let code = prop_str(f, "district_code");
        assert!(prop_str(f, "poi_code").starts_with(&format!("{code}P")));
        categories.insert(prop_str(f, "category"));
        aliases.extend(
            prop(f, "aliases")
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| a.as_str().unwrap()),
        );
        let address = prop_str(f, "address");
        let house = houses
            .get(address)
            .unwrap_or_else(|| panic!("{address} is not in the gazetteer"));
        let d = Geodesic.distance(point_of(f), *house);
        assert!(
            d <= 25.0,
            "{} is {d:.0} m from {address}",
            prop_str(f, "name")
        );
    }
    for c in [
        "学校",
        "医院",
        "公园",
        "市场",
        "小区",
        "政府机关",
        "交通枢纽",
        "商场",
    ] {
        assert!(categories.contains(c), "no POI of category {c}");
    }
    assert!(
        aliases.contains("六院"),
        "上海市第六人民医院 is known as 六院"
    );
    let offices = pois
        .iter()
        .filter(|f| prop_str(f, "category") == "政府机关")
        .count();
    assert_eq!(offices, 234 + 16, "one office per township and district");
}

#[test]
fn illegal_building_addresses_name_the_nearest_gazetteer_road() {
    let roads = gazetteer_roads();
    let names = district_names();
    let townships: BTreeMap<&str, &str> = layer("townships")
        .features
        .iter()
        .map(|f| (prop_str(f, "code"), prop_str(f, "name")))
        .collect();
    let mut by_district: BTreeMap<&str, Vec<(&str, &RoadLines)>> = BTreeMap::new();
    for ((code, name), lines) in roads {
        by_district.entry(code).or_default().push((name, lines));
    }
    for f in &layer("illegal_buildings").features {
        let code = prop_str(f, "district_code");
        let address = prop_str(f, "address");
        let prefix = format!("{}{}", names[code], townships[prop_str(f, "township_code")]);
        let rest = address
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix('号'))
            .unwrap_or_else(|| panic!("{address} is not {prefix}{{road}}{{n}}号"));
        let road = rest.trim_end_matches(|c: char| c.is_ascii_digit());
        let number: i64 = rest[road.len()..].parse().expect("a house number");
        let p = metres(point_of(f).0);
        let nearest = by_district[code]
            .iter()
            .map(|(_, lines)| on_road(lines, p).2)
            .fold(f64::MAX, f64::min);
        let (_, left, d) = by_district[code]
            .iter()
            .find(|r| r.0 == road)
            .map(|(_, lines)| on_road(lines, p))
            .unwrap_or_else(|| panic!("{address}: {road} is not a road of {code}"));
        // the test's single-latitude metric is off by up to 0.3 % from the generator's local one
        assert!(
            d <= nearest * 1.005 + 0.1,
            "{address}: {road} is {d:.0} m away, the nearest road {nearest:.0} m"
        );
        assert_eq!(
            number % 2 == 1,
            left >= 0.0,
            "{address}: wrong side's parity"
        );
    }
}
