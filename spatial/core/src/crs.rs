//! Coordinates of features in and out of the store's CRS: transformers built once per pair,
//! and the positions inside GeoJSON values converted in place.

use std::collections::HashMap;

use onemap_coord::{CoordConfig, CoordError, Crs, Transformer};
use parking_lot::RwLock;
use serde_json::Value;

/// The CRS features are stored in.
pub const STORE_CRS: Crs = Crs::Cgcs2000;

/// Transformers by (from, to), built once: building one may create PROJ objects.
pub struct Coords {
    cfg: CoordConfig,
    cache: RwLock<HashMap<(Crs, Crs), Transformer>>,
}

impl Coords {
    /// Checks the configuration (the Shanghai 2000 PROJ string) up front.
    pub fn new(cfg: CoordConfig) -> Result<Self, CoordError> {
        cfg.validate()?;
        Ok(Self {
            cfg,
            cache: RwLock::default(),
        })
    }

    /// The transformer from one CRS to another.
    pub fn transformer(&self, from: Crs, to: Crs) -> Result<Transformer, CoordError> {
        if let Some(t) = self.cache.read().get(&(from, to)) {
            return Ok(t.clone());
        }
        let t = Transformer::new(from, to, &self.cfg)?;
        self.cache.write().insert((from, to), t.clone());
        Ok(t)
    }
}

/// Collects every position of a GeoJSON value (geometry, Feature or a patch of one,
/// FeatureCollection, GeometryCollection) as mutable references to its `[x, y]` arrays,
/// in document order.
fn positions<'a>(v: &'a mut Value, out: &mut Vec<&'a mut Vec<Value>>) {
    let Value::Object(o) = v else { return };
    match o.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {
            if let Some(Value::Array(fs)) = o.get_mut("features") {
                fs.iter_mut().for_each(|f| positions(f, out));
            }
        }
        // A Feature, or a merge patch of one: its geometry and any geometry-valued
        // properties (a building's footprint).
        Some("Feature") | None => {
            for (k, v) in o.iter_mut() {
                match (k.as_str(), v) {
                    ("geometry", g) => positions(g, out),
                    ("properties", Value::Object(props)) => {
                        props
                            .values_mut()
                            .filter(|p| p.get("coordinates").is_some())
                            .for_each(|p| positions(p, out));
                    }
                    _ => {}
                }
            }
        }
        Some("GeometryCollection") => {
            if let Some(Value::Array(gs)) = o.get_mut("geometries") {
                gs.iter_mut().for_each(|g| positions(g, out));
            }
        }
        Some(_) => {
            if let Some(c) = o.get_mut("coordinates") {
                nested(c, out);
            }
        }
    }
}

fn nested<'a>(v: &'a mut Value, out: &mut Vec<&'a mut Vec<Value>>) {
    if let Value::Array(a) = v {
        if a.first().is_some_and(Value::is_number) {
            out.push(a);
        } else {
            a.iter_mut().for_each(|c| nested(c, out));
        }
    }
}

/// Converts every coordinate inside a GeoJSON value in place, in one batch.
/// A malformed position is left for the geometry validation to report.
pub fn convert_geojson(t: &Transformer, v: &mut Value) -> Result<(), CoordError> {
    let mut refs = Vec::new();
    positions(v, &mut refs);
    let mut pts: Vec<[f64; 2]> = refs
        .iter()
        .map(|p| {
            let n = |i: usize| p.get(i).and_then(Value::as_f64).unwrap_or(f64::NAN);
            [n(0), n(1)]
        })
        .collect();
    t.convert_slice(&mut pts)?;
    for (p, [x, y]) in refs.into_iter().zip(pts) {
        p[0] = Value::from(x);
        p[1] = Value::from(y);
    }
    Ok(())
}

/// Converts a bbox given in `t.from()` into an envelope in `t.to()`, following the
/// edges (densified) because the conversions are not linear.
pub fn convert_bbox(t: &Transformer, b: geo::Rect<f64>) -> Result<geo::Rect<f64>, CoordError> {
    const STEPS: usize = 8;
    let (x0, y0, x1, y1) = (b.min().x, b.min().y, b.max().x, b.max().y);
    let mut pts = Vec::with_capacity(4 * STEPS + 4);
    for i in 0..=STEPS {
        let f = i as f64 / STEPS as f64;
        let (x, y) = (x0 + (x1 - x0) * f, y0 + (y1 - y0) * f);
        pts.extend([[x, y0], [x, y1], [x0, y], [x1, y]]);
    }
    t.convert_slice(&mut pts)?;
    let (mut a, mut z) = ([f64::MAX; 2], [f64::MIN; 2]);
    for [x, y] in pts {
        a = [a[0].min(x), a[1].min(y)];
        z = [z[0].max(x), z[1].max(y)];
    }
    Ok(geo::Rect::new((a[0], a[1]), (z[0], z[1])))
}
