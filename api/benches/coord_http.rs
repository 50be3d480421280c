//! The batch conversion endpoint end to end: JSON in, convert, JSON out, over loopback HTTP.
//! Reports points per second for a 10,000-point and a 100,000-point batch (sh2000 → gcj02).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use onemap_api::ServeConfig;
use serde_json::json;

fn batch(n: usize) -> serde_json::Value {
    // A deterministic spread over the Shanghai 2000 plane (±40 km around the origin).
    let pts: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let f = i as f64;
            [
                ((f * 0.618_034).fract() - 0.5) * 80_000.0,
                ((f * 0.414_214).fract() - 0.5) * 80_000.0,
            ]
        })
        .collect();
    json!({"from": "sh2000", "to": "gcj02", "points": pts})
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = ServeConfig {
        bind: "127.0.0.1:0".parse().expect("addr"),
        data: dir.path().to_path_buf(),
        sample_data: false,
        static_dir: dir.path().to_path_buf(),
        public_url: None,
        tile_cache_mb: 16,
        coord_config: None,
        max_body_mb: 16,
        max_import_mb: 16,
        database_url: None,
        database_read_urls: Vec::new(),
    };
    let server = rt.block_on(onemap_api::start(&cfg)).expect("server");
    let url = format!("http://{}/coord/convert", server.addr);
    let client = reqwest::Client::new();
    let mut g = c.benchmark_group("http_batch_convert");
    g.sample_size(10);
    for n in [10_000usize, 100_000] {
        let body = serde_json::to_vec(&batch(n)).expect("json");
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("sh2000_to_gcj02_{n}"), |b| {
            b.to_async(&rt).iter(|| async {
                let r = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .expect("request");
                assert_eq!(r.status(), 200);
                r.bytes().await.expect("body")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
