//! Selection and grouped aggregates over 1,000,000 synthetic buildings (deterministic,
//! spread over Shanghai's land box, 16 district codes): a CQL2 filter over the whole layer,
//! a grouped aggregate by district, and a spatial `within` a 5 km box with the filter.
//!
//! `cargo bench -p onemap-spatial --bench query`

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use geo::{Point, Rect};
use onemap_coord::{CoordConfig, Crs, Transformer};
use onemap_spatial::index::LayerIndex;
use onemap_spatial::query::{Aggregate, GroupBy, Selection, Spatial, SpatialOp, aggregate};
use onemap_spatial::{Feature, LayerRegistry, cql2};
use serde_json::json;

const FEATURES: usize = 1_000_000;
const LAYER: &str = r#"{ "id": "b", "title": "b", "geometry": "Point", "properties": [
  { "name": "status", "type": "enum", "values": ["待核查", "已核查", "整改中", "已拆除", "已销项"] },
  { "name": "district_code", "type": "code" }, { "name": "area_m2", "type": "number" } ] }"#;
const DISTRICTS: [&str; 16] = [
    "310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112", "310113",
    "310114", "310115", "310116", "310117", "310118", "310120", "310151",
];
const STATUS: [&str; 5] = ["待核查", "已核查", "整改中", "已拆除", "已销项"];

fn bench(c: &mut Criterion) {
    let registry = LayerRegistry::from_sources([("b.json".to_string(), LAYER)]).expect("layer");
    let def = registry.get("b").expect("declared");
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let features: Vec<Feature> = (1..=FEATURES as i64)
        .map(|id| {
            let (lon, lat) = (120.9 + next() * 1.05, 30.7 + next() * 1.15);
            let i = id as usize;
            Feature {
                id,
                version: 1,
                geometry: Some(Point::new(lon, lat).into()),
                properties: json!({"status": STATUS[i % 5], "district_code": DISTRICTS[i % 16],
                                   "area_m2": (next() * 500.0).round()})
                .as_object()
                .cloned()
                .unwrap_or_default(),
                geometries: Default::default(),
            }
        })
        .collect();
    let index = LayerIndex::build(features);
    let all: Vec<Arc<Feature>> = index.iter().cloned().collect();
    let plane = Transformer::new(Crs::Cgcs2000, Crs::Sh2000, &CoordConfig::default())
        .expect("Shanghai 2000 transformer");
    let filter =
        || cql2::parse("status IN ('待核查', '整改中') AND area_m2 > 100", def).expect("filter");
    let aggs = [
        Aggregate::parse("count", def).expect("count"),
        Aggregate::parse("sum:area_m2", def).expect("sum"),
        Aggregate::parse("avg:area_m2", def).expect("avg"),
    ];
    let by = GroupBy::parse("district", def).expect("group");

    let mut g = c.benchmark_group("query_1m");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.throughput(Throughput::Elements(FEATURES as u64));
    g.bench_function("cql2_filter_full_scan", |b| {
        let sel = Selection {
            filter: Some(filter()),
            ..Default::default()
        };
        b.iter(|| black_box(sel.select(&index, &plane).expect("select").len()))
    });
    g.bench_function("group_by_district_count_sum_avg", |b| {
        b.iter(|| black_box(aggregate(&all, &by, &aggs).len()))
    });
    g.bench_function("within_5km_box_with_filter", |b| {
        let area = Rect::new((121.45, 31.20), (121.50, 31.245))
            .to_polygon()
            .into();
        let sel = Selection {
            spatial: Some(Spatial::new(SpatialOp::Within, area, &plane).expect("spatial")),
            filter: Some(filter()),
            ..Default::default()
        };
        b.iter(|| black_box(sel.select(&index, &plane).expect("select").len()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
