//! Measures the thread-local PROJ design: the one-off cost of a thread's first Shanghai 2000
//! conversion (PROJ object creation), the steady per-point cost, and how one shared
//! `Transformer` scales over threads.
//!
//! Usage: `cargo run --release -p onemap-coord --example proj_threads [N]` (default 200,000).

use std::time::Instant;

use onemap_coord::{CoordConfig, Crs, Transformer};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let cfg = CoordConfig::default();

    let t = Instant::now();
    let tr = Transformer::new(Crs::Wgs84, Crs::Sh2000, &cfg).unwrap();
    println!(
        "Transformer::new(wgs84→sh2000), cold process: {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let t = Instant::now();
    let _again = Transformer::new(Crs::Wgs84, Crs::Sh2000, &cfg).unwrap();
    println!(
        "Transformer::new again (same thread): {:.1} µs",
        t.elapsed().as_secs_f64() * 1e6
    );

    // First use on fresh threads: the thread builds its own PROJ objects.
    for _ in 0..3 {
        let tr = tr.clone();
        let first = std::thread::spawn(move || {
            let t = Instant::now();
            tr.convert(121.4737, 31.2304).unwrap();
            let first = t.elapsed();
            let t = Instant::now();
            tr.convert(121.4737, 31.2304).unwrap();
            (first, t.elapsed())
        })
        .join()
        .unwrap();
        println!(
            "fresh thread: first convert {:.2} ms, second {:.2} µs",
            first.0.as_secs_f64() * 1e3,
            first.1.as_secs_f64() * 1e6
        );
    }

    let pts: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let f = i as f64 / n as f64;
            [120.85 + 1.35 * f, 30.67 + 1.21 * ((f * 7919.0) % 1.0)]
        })
        .collect();
    for threads in [1usize, 2] {
        let t = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..threads {
                let (tr, pts) = (tr.clone(), &pts);
                s.spawn(move || {
                    let mut buf = pts.clone();
                    tr.convert_slice(&mut buf).unwrap();
                });
            }
        });
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{threads} thread(s) sharing one Transformer, {n} pts each (incl. first use): {:.2} M pts/s total",
            (threads * n) as f64 / secs / 1e6
        );
    }
}
