//! Tiles per second at z = 8 and 10–14 over a synthetic Shanghai layer pair (20,000 points,
//! 5,000 small polygons, generated deterministically), and the latency of a cache hit.
//!
//! `cargo bench -p onemap-tiles --bench render`

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use geo::{Coord, Geometry, LineString, Point, Polygon, Rect};
use onemap_spatial::{Catalog, Draft, LayerRegistry};
use onemap_store::gpkg::GpkgStore;
use onemap_tiles::{TileCache, TileId, TileRange, render};
use serde_json::json;

const POINTS: &str = r#"{ "id": "cameras", "title": "Cameras", "geometry": "Point", "properties": [
  { "name": "name", "type": "string" }, { "name": "status", "type": "enum", "values": ["online", "offline"] },
  { "name": "level", "type": "integer" }, { "name": "bearing", "type": "number" } ] }"#;
const POLYGONS: &str = r#"{ "id": "patches", "title": "Patches", "geometry": "Polygon", "properties": [
  { "name": "code", "type": "code" }, { "name": "area_ha", "type": "number" }, { "name": "kind", "type": "enum", "values": ["a", "b", "c"] } ] }"#;

const KINDS: [&str; 3] = ["a", "b", "c"];

/// Shanghai's land, roughly.
const WEST: f64 = 120.9;
const EAST: f64 = 121.95;
const SOUTH: f64 = 30.7;
const NORTH: f64 = 31.85;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn spot(&mut self) -> Coord<f64> {
        // Denser towards the centre, as the city is.
        let (u, v) = (
            (self.next() + self.next()) / 2.0,
            (self.next() + self.next()) / 2.0,
        );
        Coord {
            x: WEST + u * (EAST - WEST),
            y: SOUTH + v * (NORTH - SOUTH),
        }
    }
}

fn drafts(rng: &mut Lcg) -> (Vec<Draft>, Vec<Draft>) {
    let points = (0..20_000)
        .map(|i| Draft {
            geometry: Some(Geometry::Point(Point::from(rng.spot()))),
            properties: json!({ "name": format!("camera {i}"), "status": if i % 7 == 0 { "offline" } else { "online" },
                "level": i % 3, "bearing": (i * 37 % 360) as f64 })
            .as_object()
            .unwrap()
            .clone(),
            geometries: Default::default(),
        })
        .collect();
    let polygons = (0..5_000)
        .map(|i| {
            let c = rng.spot();
            // 20–300 m across, 6–24 vertices.
            let radius = (20.0 + 280.0 * rng.next()) / 2.0 / 111_000.0;
            let n = 6 + (rng.next() * 18.0) as usize;
            let mut ring: Vec<Coord<f64>> = (0..n)
                .map(|k| {
                    let a = k as f64 / n as f64 * std::f64::consts::TAU;
                    let r = radius * (0.7 + 0.3 * rng.next());
                    Coord {
                        x: c.x + r * a.cos() / 0.855,
                        y: c.y + r * a.sin(),
                    }
                })
                .collect();
            ring.push(ring[0]);
            Draft {
                geometry: Some(Geometry::Polygon(Polygon::new(LineString::new(ring), vec![]))),
                properties: json!({ "code": format!("P{i:05}"), "area_ha": radius * radius * 1e6, "kind": KINDS[i % 3] })
                    .as_object()
                    .unwrap()
                    .clone(),
                geometries: Default::default(),
            }
        })
        .collect();
    (points, polygons)
}

fn catalog(dir: &std::path::Path) -> Arc<Catalog> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let registry = LayerRegistry::from_sources([
            ("cameras.json".to_string(), POINTS),
            ("patches.json".to_string(), POLYGONS),
        ])
        .unwrap();
        let store = Arc::new(GpkgStore::open(&dir.join("bench.gpkg")).await.unwrap());
        let catalog = Catalog::open(&registry, store).await.unwrap();
        let (points, polygons) = drafts(&mut Lcg(2024));
        catalog.create("cameras", points).await.unwrap();
        catalog.create("patches", polygons).await.unwrap();
        Arc::new(catalog)
    })
}

/// Up to 4×4 tiles at zoom z around the city centre (all tiles at low zooms).
fn tiles(z: u8) -> Vec<TileId> {
    let centre = Rect::new((121.40, 31.15), (121.55, 31.30));
    let r = TileRange::covering(&centre, z, 0.0);
    let (x0, y0) = (*r.xs().start(), *r.ys().start());
    r.iter()
        .filter(|t| t.x() < x0 + 4 && t.y() < y0 + 4)
        .collect()
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let catalog = catalog(dir.path());
    let layers = ["patches", "cameras"];
    let mut group = c.benchmark_group("render");
    group
        .measurement_time(Duration::from_secs(4))
        .sample_size(20);
    for z in [8u8, 10, 11, 12, 13, 14] {
        let ts = tiles(z);
        let sizes: Vec<usize> = ts
            .iter()
            .map(|&t| render(&catalog, &layers, t).unwrap().map_or(0, |b| b.len()))
            .collect();
        eprintln!(
            "z{z}: {} tiles, mean {} bytes, largest {} bytes",
            ts.len(),
            sizes.iter().sum::<usize>() / ts.len(),
            sizes.iter().max().unwrap()
        );
        group.throughput(Throughput::Elements(ts.len() as u64));
        group.bench_function(format!("z{z}"), |b| {
            b.iter(|| {
                for &t in &ts {
                    black_box(render(&catalog, &layers, t).unwrap());
                }
            })
        });
    }
    group.finish();

    let cache = TileCache::default();
    let t = tiles(14)[5];
    let key = "patches,cameras";
    let warm = cache
        .get_or_render(key, t, "", || render(&catalog, &layers, t))
        .unwrap();
    assert!(!warm.is_empty());
    c.bench_function("cache/hit", |b| {
        b.iter(|| black_box(cache.get_or_render(key, t, "", || unreachable!()).unwrap()))
    });
}

criterion_group!(render_benches, benches);
criterion_main!(render_benches);
