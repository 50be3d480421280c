//! Geocoding throughput on the sample gazetteer, one thread: forward geocodes of standard
//! addresses (exact) and of addresses without their district and with a one-character road typo
//! (the fuzzy path), and reverse geocodes of points a few metres off a house and of random points
//! in the city.
//!
//! `cargo bench -p onemap-spatial --bench geocode`

#[path = "../tests/sample_gazetteer/mod.rs"]
mod sample_gazetteer;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use geo::Point;
use onemap_geocode::reverse::reverse;
use onemap_geocode::service::geocode;

/// Addresses and points per iteration.
const N: usize = 2_000;

/// A deterministic stream in [0, 1) (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn bench(c: &mut Criterion) {
    let gz = sample_gazetteer::gazetteer();
    let step = (gz.houses.len() / N).max(1);
    let houses: Vec<_> = gz.houses.iter().step_by(step).take(N).collect();
    let exact: Vec<String> = houses.iter().map(|h| h.standard_address.clone()).collect();
    // No district, and the road's first character replaced: the fuzzy road lookup.
    let fuzzy: Vec<String> = houses
        .iter()
        .map(|h| {
            let road = &gz.streets[h.street].name;
            let typo: String = std::iter::once('甲').chain(road.chars().skip(1)).collect();
            let district = gz
                .district_name(&gz.streets[h.street].district_code)
                .unwrap_or_default();
            h.standard_address
                .replacen(&format!("上海市{district}"), "", 1)
                .replacen(road.as_str(), &typo, 1)
        })
        .collect();
    let mut rng = Rng(0x5eed);
    let near: Vec<Point<f64>> = houses
        .iter()
        .map(|h| {
            Point::new(
                h.point.x() + (rng.next() - 0.5) * 1e-4,
                h.point.y() + (rng.next() - 0.5) * 1e-4,
            )
        })
        .collect();
    let random: Vec<Point<f64>> = (0..N)
        .map(|_| Point::new(121.0 + rng.next() * 0.9, 30.8 + rng.next() * 0.9))
        .collect();

    let mut g = c.benchmark_group("geocode");
    g.throughput(Throughput::Elements(N as u64));
    g.measurement_time(Duration::from_secs(10));
    g.sample_size(10);
    g.bench_function("forward_exact", |b| {
        b.iter(|| {
            exact
                .iter()
                .map(|a| geocode(&gz, black_box(a), 5).candidates.len())
                .sum::<usize>()
        })
    });
    g.bench_function("forward_no_district_typo", |b| {
        b.iter(|| {
            fuzzy
                .iter()
                .map(|a| geocode(&gz, black_box(a), 5).candidates.len())
                .sum::<usize>()
        })
    });
    g.bench_function("reverse_near_house", |b| {
        b.iter(|| {
            near.iter()
                .filter(|p| reverse(&gz, black_box(**p), 50.0).level.is_some())
                .count()
        })
    });
    g.bench_function("reverse_random", |b| {
        b.iter(|| {
            random
                .iter()
                .filter(|p| reverse(&gz, black_box(**p), 50.0).level.is_some())
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
