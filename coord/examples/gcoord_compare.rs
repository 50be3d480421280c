//! The Rust half of `bench/coord/run.sh`: times WGS84→GCJ-02, GCJ-02→WGS84, WGS84→BD-09 and
//! BD-09→WGS84 on N deterministic Shanghai points (one core), and writes the inputs, the
//! outputs and the timings to a directory for the Node half (which times `gcoord` on the same
//! points and compares the outputs).
//!
//! Usage: `cargo run --release -p onemap-coord --example gcoord_compare -- OUT_DIR [N]`
//! (N defaults to 1,000,000). Files: `<name>.f64` (little-endian f64 pairs) and `rust.json`.

use std::fs;
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use onemap_coord::{CoordConfig, Crs, Transformer};

#[path = "../support/shanghai_points.rs"]
mod support;

fn write_f64(path: &Path, pts: &[[f64; 2]]) -> std::io::Result<()> {
    let bytes: Vec<u8> = pts
        .iter()
        .flat_map(|p| [p[0].to_le_bytes(), p[1].to_le_bytes()])
        .flatten()
        .collect();
    fs::write(path, bytes)
}

/// Best of `runs` timings (seconds) of `f`.
fn best_of(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().ok_or("usage: gcoord_compare OUT_DIR [N]")?;
    let n: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let out = Path::new(&out);
    fs::create_dir_all(out)?;
    let cfg = CoordConfig::default();

    let wgs = support::shanghai_points(1, n);
    write_f64(&out.join("wgs84.f64"), &wgs)?;
    let conversions = [
        ("wgs84_to_gcj02", Crs::Wgs84, Crs::Gcj02),
        ("gcj02_to_wgs84", Crs::Gcj02, Crs::Wgs84),
        ("wgs84_to_bd09", Crs::Wgs84, Crs::Bd09),
        ("bd09_to_wgs84", Crs::Bd09, Crs::Wgs84),
    ];
    let mut json = Vec::new();
    println!("onemap-coord, {n} points, one core (best of 3):");
    for (name, from, to) in conversions {
        // Inputs: the WGS84 points expressed in `from`.
        let mut input = wgs.clone();
        Transformer::new(Crs::Wgs84, from, &cfg)?.convert_slice(&mut input)?;
        if from != Crs::Wgs84 {
            write_f64(&out.join(format!("{}.f64", from)), &input)?;
        }
        let t = Transformer::new(from, to, &cfg)?;
        let mut buf = input.clone();
        let batch = best_of(3, || {
            buf.copy_from_slice(&input);
            t.convert_slice(black_box(&mut buf)).unwrap();
        });
        let mut single_out = vec![[0.0; 2]; n];
        let single = best_of(3, || {
            for (o, p) in single_out.iter_mut().zip(&input) {
                let (x, y) = t.convert(black_box(p[0]), black_box(p[1])).unwrap();
                *o = [x, y];
            }
        });
        assert_eq!(single_out, buf);
        write_f64(&out.join(format!("rust_{name}.f64")), &buf)?;
        println!(
            "  {name:<15} batch {:6.1} ns/pt ({:6.2} M pts/s)   per-point calls {:6.1} ns/pt",
            batch * 1e9 / n as f64,
            n as f64 / batch / 1e6,
            single * 1e9 / n as f64
        );
        json.push(format!(
            "\"{name}\":{{\"batch_s\":{batch},\"single_s\":{single}}}"
        ));
    }
    fs::write(
        out.join("rust.json"),
        format!("{{\"n\":{n},{}}}", json.join(",")),
    )?;
    Ok(())
}
