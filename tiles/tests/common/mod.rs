//! A catalog over a temporary GeoPackage, an independent MVT decoder (mvt-reader), and
//! Web Mercator tile math written out again from the formulas, so the tests do not
//! check the crate against itself.
#![allow(dead_code)] // each test file uses its own subset

use std::f64::consts::PI;
use std::sync::Arc;

use geo::{Coord, Geometry, Rect};
use mvt_reader::Reader;
use mvt_reader::feature::Feature as MvtFeature;
use onemap_spatial::{Catalog, Draft, Feature, LayerRegistry};
use onemap_store::gpkg::GpkgStore;
use onemap_tiles::TileId;
use serde_json::{Map, Value};
use tempfile::TempDir;

/// A polygon/line/point layer with every property type.
pub const THINGS: &str = r#"{
  "id": "things", "title": "Things", "geometry": "Geometry", "extent": "world",
  "properties": [
    { "name": "name", "type": "string", "required": true },
    { "name": "code", "type": "code", "pattern": "^T\\d+$" },
    { "name": "floors", "type": "integer" },
    { "name": "ratio", "type": "number" },
    { "name": "public", "type": "boolean" },
    { "name": "kind", "type": "enum", "values": ["a", "b"] },
    { "name": "surveyed_on", "type": "date" },
    { "name": "updated_at", "type": "datetime" },
    { "name": "tags", "type": "string_list" },
    { "name": "outline", "type": "geometry", "geometry": "Polygon" }
  ]
}"#;

/// A plain point layer.
pub const POINTS: &str = r#"{
  "id": "points", "title": "Points", "geometry": "Point", "extent": "world",
  "properties": [ { "name": "name", "type": "string" } ]
}"#;

pub struct World {
    pub catalog: Arc<Catalog>,
    _dir: TempDir,
}

pub async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let registry = LayerRegistry::from_sources([
        ("things.json".to_string(), THINGS),
        ("points.json".to_string(), POINTS),
    ])
    .unwrap();
    let store = Arc::new(
        GpkgStore::open(&dir.path().join("test.gpkg"))
            .await
            .unwrap(),
    );
    let catalog = Arc::new(Catalog::open(&registry, store).await.unwrap());
    World { catalog, _dir: dir }
}

impl World {
    pub async fn add(&self, layer: &str, g: Geometry<f64>, props: Value) -> Feature {
        let properties: Map<String, Value> = props.as_object().cloned().unwrap_or_default();
        let draft = Draft {
            geometry: Some(g),
            properties,
            geometries: Default::default(),
        };
        self.catalog
            .create(layer, vec![draft])
            .await
            .unwrap()
            .remove(0)
    }
}

/// Tile units of `t` for a lon/lat position: x = (λ + 180)/360 · 2^z, y = (1 − ln(tan φ + sec φ)/π)/2 · 2^z.
pub fn to_tile(t: TileId, c: Coord<f64>) -> Coord<f64> {
    let n = 2f64.powi(i32::from(t.z()));
    let phi = c.y.to_radians();
    let x = (c.x + 180.0) / 360.0 * n;
    let y = (1.0 - (phi.tan() + 1.0 / phi.cos()).ln() / PI) / 2.0 * n;
    Coord {
        x: (x - f64::from(t.x())) * 4096.0,
        y: (y - f64::from(t.y())) * 4096.0,
    }
}

/// The lon/lat position at tile units (x, y) of `t`.
pub fn from_tile(t: TileId, x: f64, y: f64) -> Coord<f64> {
    let n = 2f64.powi(i32::from(t.z()));
    let wx = (f64::from(t.x()) + x / 4096.0) / n;
    let wy = (f64::from(t.y()) + y / 4096.0) / n;
    Coord {
        x: wx * 360.0 - 180.0,
        y: (PI * (1.0 - 2.0 * wy)).sinh().atan().to_degrees(),
    }
}

/// The tile containing a lon/lat position.
pub fn tile_at(z: u8, c: Coord<f64>) -> TileId {
    let p = to_tile(TileId::new(u32::from(z), 0, 0).unwrap(), c);
    TileId::new(u32::from(z), (p.x / 4096.0) as u32, (p.y / 4096.0) as u32).unwrap()
}

/// The tile grown by the 64-unit buffer, in lon/lat.
pub fn buffered_bounds(t: TileId) -> Rect<f64> {
    Rect::new(from_tile(t, -64.0, -64.0), from_tile(t, 4160.0, 4160.0))
}

/// Decodes with mvt-reader: (layer name, version, extent, features) per layer.
pub fn decode(bytes: &[u8]) -> Vec<(String, u32, u32, Vec<MvtFeature<f64>>)> {
    let reader = Reader::new(bytes.to_vec()).unwrap();
    reader
        .get_layer_metadata()
        .unwrap()
        .into_iter()
        .map(|l| {
            let features = reader.get_features_as::<f64>(l.layer_index).unwrap();
            (l.name, l.version, l.extent, features)
        })
        .collect()
}

/// Twice the area of a closed ring by the MVT spec's surveyor's formula (tile units, y down).
pub fn spec_area(ring: &geo::LineString<f64>) -> f64 {
    ring.0
        .windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum()
}
