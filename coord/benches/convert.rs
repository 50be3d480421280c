//! Points per second per core for each conversion, on batches of 10,000 Shanghai points
//! (`convert_slice`), plus single-point calls for the GCJ-02 paths.
//!
//! Run: `cargo bench -p onemap-coord --bench convert` (one core is used; criterion reports
//! `thrpt` in elements/s = points/s).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use onemap_coord::{CoordConfig, Crs, Transformer};

const BATCH: usize = 10_000;

/// Deterministic points in the Shanghai bounding box (WGS84), SplitMix64.
fn shanghai_points(n: usize) -> Vec<[f64; 2]> {
    let mut state: u64 = 2024;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| [120.85 + next() * 1.35, 30.67 + next() * 1.21])
        .collect()
}

fn bench(c: &mut Criterion) {
    let cfg = CoordConfig::default();
    let wgs = shanghai_points(BATCH);
    let pairs = [
        (Crs::Wgs84, Crs::Gcj02),
        (Crs::Gcj02, Crs::Wgs84),
        (Crs::Wgs84, Crs::Bd09),
        (Crs::Bd09, Crs::Wgs84),
        (Crs::Wgs84, Crs::Bd09Mc),
        (Crs::Bd09Mc, Crs::Wgs84),
        (Crs::Wgs84, Crs::Sh2000),
        (Crs::Sh2000, Crs::Wgs84),
        (Crs::Wgs84, Crs::WebMercator),
        (Crs::Sh2000, Crs::Bd09Mc),
    ];

    let mut group = c.benchmark_group("batch_10k");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (from, to) in pairs {
        let mut input = wgs.clone();
        Transformer::new(Crs::Wgs84, from, &cfg)
            .unwrap()
            .convert_slice(&mut input)
            .unwrap();
        let t = Transformer::new(from, to, &cfg).unwrap();
        let mut buf = input.clone();
        group.bench_function(format!("{from}->{to}"), |b| {
            b.iter(|| {
                buf.copy_from_slice(&input);
                t.convert_slice(black_box(&mut buf)).unwrap();
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("single_point");
    group.throughput(Throughput::Elements(1));
    for (from, to) in [
        (Crs::Wgs84, Crs::Gcj02),
        (Crs::Gcj02, Crs::Wgs84),
        (Crs::Wgs84, Crs::Sh2000),
    ] {
        let t = Transformer::new(from, to, &cfg).unwrap();
        let p = [121.4737, 31.2304];
        group.bench_function(format!("{from}->{to}"), |b| {
            b.iter(|| t.convert(black_box(p[0]), black_box(p[1])).unwrap())
        });
    }
    group.finish();

    // Building a transformer whose PROJ objects this thread already has (registry lookup).
    c.bench_function("transformer_new/wgs84->sh2000", |b| {
        b.iter(|| Transformer::new(Crs::Wgs84, Crs::Sh2000, black_box(&cfg)).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
