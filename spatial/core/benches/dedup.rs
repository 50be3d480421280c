//! Buffer dedup throughput: 10,000 incoming reports checked against 1,000,000 stored
//! buildings (a fifth with footprints), with the illegal-buildings rule (footprint IoU,
//! address similarity, kind), at 50 m and 200 m buffers. Synthetic, deterministic data
//! spread over Shanghai's land box.
//!
//! `cargo bench -p onemap-spatial --bench dedup`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use geo::{Geometry, Point, polygon};
use onemap_coord::{CoordConfig, Crs, Transformer};
use onemap_spatial::Feature;
use onemap_spatial::dedup::{Checker, DedupRule, Report};
use onemap_spatial::index::LayerIndex;
use serde_json::{Map, Value, json};

const STORED: usize = 1_000_000;
const INCOMING: usize = 10_000;

/// A deterministic stream in [0, 1) (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A lon/lat in Shanghai's land box.
    fn place(&mut self) -> (f64, f64) {
        (120.9 + self.next() * 1.05, 30.7 + self.next() * 1.15)
    }
}

fn footprint(lon: f64, lat: f64) -> Geometry<f64> {
    let d = 0.0001;
    polygon![(x: lon - d, y: lat - d), (x: lon + d, y: lat - d), (x: lon + d, y: lat + d),
             (x: lon - d, y: lat + d), (x: lon - d, y: lat - d)]
    .into()
}

fn props(n: usize) -> Map<String, Value> {
    json!({"kind": "新增", "address": format!("示例路{n}号")})
        .as_object()
        .cloned()
        .unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let mut rng = Rng(0x5eed);
    let features: Vec<Feature> = (1..=STORED)
        .map(|id| {
            let (lon, lat) = rng.place();
            let mut geometries = std::collections::BTreeMap::new();
            if id % 5 == 0 {
                geometries.insert("footprint".to_string(), footprint(lon, lat));
            }
            Feature {
                id: id as i64,
                version: 1,
                geometry: Some(Point::new(lon, lat).into()),
                properties: props(id % 2000),
                geometries,
            }
        })
        .collect();
    let index = LayerIndex::build(features);
    let reports: Vec<Report> = (0..INCOMING)
        .map(|i| {
            let (lon, lat) = rng.place();
            let mut r = Report::at(Point::new(lon, lat).into());
            if i % 4 == 0 {
                r.footprint = Some(footprint(lon, lat));
            }
            r.properties = props(i);
            r
        })
        .collect();
    let rule = DedupRule {
        footprint: Some("footprint".into()),
        address: Some("address".into()),
        same: vec!["kind".into()],
        ..Default::default()
    };
    let plane = Transformer::new(Crs::Cgcs2000, Crs::Sh2000, &CoordConfig::default())
        .expect("Shanghai 2000 transformer");
    let mut g = c.benchmark_group("dedup");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(INCOMING as u64));
    for buffer in [50.0, 200.0] {
        let checker = Checker::new(&rule, Some(buffer), &plane);
        g.bench_function(format!("10k_reports_vs_1m_features_{buffer}m"), |b| {
            b.iter(|| {
                let mut matched = 0;
                for r in &reports {
                    matched += checker.check(&index, r).expect("checked").matches.len();
                }
                black_box(matched)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
