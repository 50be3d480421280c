//! Buffer dedup through the index equals a brute-force scan of every feature, and the
//! verdicts follow the distances, overlaps and attributes.

use geo::{Geometry, Point, Polygon, polygon};
use onemap_coord::{CoordConfig, Crs, Transformer};
use onemap_spatial::Feature;
use onemap_spatial::dedup::{Checker, DedupRule, Report, Verdict};
use onemap_spatial::index::LayerIndex;
use serde_json::{Map, Value, json};

/// A tiny deterministic generator (xorshift64*), so the test needs no extra crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn square(lon: f64, lat: f64, half_deg: f64) -> Polygon<f64> {
    polygon![
        (x: lon - half_deg, y: lat - half_deg),
        (x: lon + half_deg, y: lat - half_deg),
        (x: lon + half_deg, y: lat + half_deg),
        (x: lon - half_deg, y: lat + half_deg),
        (x: lon - half_deg, y: lat - half_deg),
    ]
}

fn props(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn building(id: i64, lon: f64, lat: f64, footprint: Option<Polygon<f64>>, kind: &str) -> Feature {
    let mut geometries = std::collections::BTreeMap::new();
    if let Some(fp) = footprint {
        geometries.insert("footprint".to_string(), Geometry::Polygon(fp));
    }
    Feature {
        id,
        version: 1,
        geometry: Some(Point::new(lon, lat).into()),
        properties: props(json!({"kind": kind, "address": format!("松江区示例路{id}号")})),
        geometries,
    }
}

fn rule() -> DedupRule {
    DedupRule {
        footprint: Some("footprint".into()),
        address: Some("address".into()),
        same: vec!["kind".into()],
        ..Default::default()
    }
}

fn plane() -> Transformer {
    Transformer::new(Crs::Cgcs2000, Crs::Sh2000, &CoordConfig::default()).unwrap()
}

#[test]
fn the_index_finds_exactly_what_a_full_scan_finds() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // 4,000 buildings in a 3 km square, half with footprints 10–40 m across.
    let features: Vec<Feature> = (1..=4000)
        .map(|id| {
            let (lon, lat) = (121.20 + rng.next() * 0.03, 31.00 + rng.next() * 0.03);
            let fp = (id % 2 == 0).then(|| square(lon, lat, 0.00005 + rng.next() * 0.00015));
            building(id, lon, lat, fp, if id % 3 == 0 { "存量" } else { "新增" })
        })
        .collect();
    let index = LayerIndex::build(features.clone());
    let rule = rule();
    let plane = plane();
    let mut verdicts = [0usize; 3];
    for i in 0..500 {
        let (lon, lat) = (121.195 + rng.next() * 0.04, 30.995 + rng.next() * 0.04);
        let mut report = Report::at(Point::new(lon, lat).into());
        if i % 3 == 0 {
            report.footprint = Some(square(lon, lat, 0.0001).into());
        }
        report.properties =
            props(json!({"kind": "新增", "address": format!("松江区示例路{}号", i * 7)}));
        let buffer = [10.0, 50.0, 120.0][i % 3];
        let checker = Checker::new(&rule, Some(buffer), &plane);
        let fast = checker.check(&index, &report).unwrap();
        let slow = checker.check_among(&features, &report).unwrap();
        assert_eq!(fast, slow, "report {i} at {lon},{lat}");
        for m in &fast.matches {
            assert!(m.evidence.distance_m <= buffer);
        }
        verdicts[fast.verdict as usize] += 1;
    }
    // The sample exercises every verdict.
    assert!(verdicts.iter().all(|n| *n > 10), "{verdicts:?}");
}

#[test]
fn verdicts_follow_distance_overlap_and_attributes() {
    let (lon, lat) = (121.4737, 31.2304);
    let stored = vec![
        building(1, lon, lat, Some(square(lon, lat, 0.0001)), "新增"),
        building(2, lon + 0.01, lat, None, "新增"),
    ];
    let index = LayerIndex::build(stored);
    let (rule, plane) = (rule(), plane());
    let checker = Checker::new(&rule, None, &plane);
    let metres_east = |m: f64| lon + m / (111_320.0 * lat.to_radians().cos());

    // 5 m outside its footprint, same kind and address: duplicate.
    let mut r = Report::at(Point::new(metres_east(5.0) + 0.0001, lat).into());
    r.properties = props(json!({"kind": "新增", "address": "松江区示例路1号"}));
    let out = checker.check(&index, &r).unwrap();
    assert_eq!(out.verdict, Verdict::Duplicate, "{out:?}");
    assert_eq!(out.matches.len(), 1);
    assert!(
        (out.matches[0].evidence.distance_m - 5.0).abs() < 0.1,
        "{out:?}"
    );
    assert_eq!(out.matches[0].evidence.address_similarity, Some(1.0));

    // 200 m away: new.
    let out = checker
        .check(
            &index,
            &Report::at(Point::new(metres_east(200.0), lat).into()),
        )
        .unwrap();
    assert_eq!(out.verdict, Verdict::New);
    assert!(out.matches.is_empty());

    // A footprint overlapping half of the stored one, its point 15 m off: matched by overlap.
    let half = 0.0001;
    let mut r = Report::at(Point::new(lon + half, lat + 0.000135).into());
    r.footprint = Some(square(lon + half, lat, half).into());
    let out = checker.check(&index, &r).unwrap();
    let m = &out.matches[0];
    assert_eq!(m.id, 1);
    assert_eq!(m.evidence.distance_m, 0.0, "footprints overlap");
    let iou = m.evidence.iou.unwrap();
    // Two equal squares shifted by half a side: overlap 1/2, union 3/2.
    assert!((iou - 1.0 / 3.0).abs() < 0.01, "{iou}");
    assert!(matches!(
        out.verdict,
        Verdict::Duplicate | Verdict::Possible
    ));

    // 40 m off with another kind and address: within the buffer but only possible.
    let mut r = Report::at(Point::new(metres_east(40.0), lat).into());
    r.properties = props(json!({"kind": "存量", "address": "青浦区另一条路88弄"}));
    let out = checker.check(&index, &r).unwrap();
    assert_eq!(out.verdict, Verdict::Possible, "{out:?}");
    // A report without any geometry cannot be checked.
    assert!(checker.check(&index, &Report::default()).is_err());
}

#[test]
fn a_rule_naming_missing_or_mistyped_properties_is_refused() {
    let layer = |dedup: &str| {
        format!(
            r#"{{ "id": "b", "title": "b", "geometry": "Point", "dedup": {dedup},
                 "properties": [ {{ "name": "address", "type": "string" }}, {{ "name": "n", "type": "integer" }},
                                 {{ "name": "fp", "type": "geometry", "geometry": "Polygon" }} ] }}"#
        )
    };
    let load = |dedup: &str| {
        onemap_spatial::LayerRegistry::from_sources([("b.json".to_string(), layer(dedup).as_str())])
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    assert!(load(r#"{}"#).is_ok());
    assert!(load(r#"{"footprint": "fp", "address": "address", "same": ["n"]}"#).is_ok());
    for (bad, says) in [
        (r#"{"footprint": "nope"}"#, "nope"),
        (r#"{"footprint": "address"}"#, "not a polygon"),
        (r#"{"address": "n"}"#, "not a string"),
        (r#"{"same": ["ghost"]}"#, "ghost"),
        (r#"{"buffer_m": -1}"#, "buffer_m"),
        (r#"{"buffer_typo": 5}"#, "buffer_typo"),
    ] {
        let e = load(bad).unwrap_err();
        assert!(e.contains(says), "{bad}: {e}");
    }
}
