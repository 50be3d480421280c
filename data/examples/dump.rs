//! Writes the sample layers as GeoJSON FeatureCollections and reports the generation time.
//!
//!     cargo run --release -p onemap-data --example dump -- [--seed N] [--out DIR]
//!
//! Without `--out` nothing is written (useful to time the generator).

use std::time::Instant;

fn main() -> std::io::Result<()> {
    let mut seed = 1u64;
    let mut out: Option<std::path::PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seed" => {
                seed = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("--seed takes an integer")
            }
            "--out" => out = args.next().map(Into::into),
            _ => panic!("usage: dump [--seed N] [--out DIR]"),
        }
    }
    let t = Instant::now();
    let layers = onemap_data::sample_layers(seed);
    let first = t.elapsed();
    let t = Instant::now();
    let again = onemap_data::sample_layers(seed.wrapping_add(1));
    let warm = t.elapsed();
    drop(again);
    println!(
        "seed {seed}: first call {first:.2?} (includes parsing and township points), warm call {warm:.2?}"
    );
    for l in &layers {
        println!(
            "{:<18} {:>6} features  synthetic={}  {}",
            l.layer,
            l.features.len(),
            l.synthetic,
            l.provenance
        );
    }
    if let Some(dir) = out {
        std::fs::create_dir_all(&dir)?;
        for l in &layers {
            let fc = serde_json::json!({"type": "FeatureCollection", "features": l.features});
            std::fs::write(
                dir.join(format!("{}.geojson", l.layer)),
                serde_json::to_vec(&fc)?,
            )?;
        }
    }
    Ok(())
}
