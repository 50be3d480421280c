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

#[path = "../support/shanghai_points.rs"]
mod support;

fn bench(c: &mut Criterion) {
    let cfg = CoordConfig::default();
    let wgs = support::shanghai_points(2024, BATCH);
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
