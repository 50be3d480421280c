//! The any-to-any pipeline: every conversion as steps through WGS84, with shortcuts.
//!
//! Why a pipeline of steps through a hub: with 7 built-in CRSs and arbitrary EPSG codes, writing
//! every pair is out of the question. Every CRS has a way to WGS84 (the hub) and back; a
//! [`Transformer`] is the list of steps `from → WGS84 → to`, built once, with shortcuts where the
//! hub would add work or a spurious restriction:
//!
//! * along the Baidu chain `wgs84 – gcj02 – bd09 – bd09mc` the steps go straight
//!   (gcj02 → bd09mc never visits WGS84, so it has no GCJ-02 region test);
//! * `EPSG:a → EPSG:b` is one PROJ operation (PROJ picks the best datum transformation);
//! * `wgs84 ↔ cgcs2000` is the identity (see the crate docs).
//!
//! Batches run step by step over the whole slice: each step is a tight loop (the GCJ-02/BD-09
//! steps allocate nothing), and PROJ steps go through `convert_array` in chunks.

use std::sync::Arc;

use geo_types::{Coord, Geometry, LineString, Rect, Triangle};

use crate::correction::Affine2;
use crate::proj_cache::ProjOp;
use crate::sh2000::{HUB, Sh2000};
use crate::{CoordConfig, CoordError, Crs, bd09, bd09mc, gcj02, webmercator};

/// One step of a pipeline.
#[derive(Debug, Clone)]
enum Step {
    WgsToGcj,
    GcjToWgs,
    GcjToBd,
    BdToGcj,
    BdToMc,
    McToBd,
    WgsToWebMerc,
    WebMercToWgs,
    Proj(ProjOp),
    Affine(Affine2),
}

/// Where the input of a transformer must lie (checked before any step).
#[derive(Debug, Clone, Copy)]
enum Domain {
    /// lon in [-180, 180], lat in [-90, 90].
    Angular,
    Bd09Mc,
    WebMercator,
    /// Any finite value; PROJ reports what it cannot do.
    Finite,
}

#[derive(Debug)]
struct Inner {
    from: Crs,
    to: Crs,
    domain: Domain,
    steps: Vec<Step>,
}

/// A conversion from one CRS to another. Build once, use from any thread.
///
/// `Send + Sync`, and `Clone` is an `Arc` clone. Coordinates are `(x, y)` = (east, north) /
/// (lon, lat) in both CRSs; use [`axis`](crate::axis) for the surveying (north, east) order.
#[derive(Debug, Clone)]
pub struct Transformer {
    inner: Arc<Inner>,
}

/// Position of a CRS on the Baidu chain `wgs84 – gcj02 – bd09 – bd09mc`.
fn chain_pos(crs: Crs) -> Option<u8> {
    match crs {
        Crs::Wgs84 | Crs::Cgcs2000 => Some(0),
        Crs::Gcj02 => Some(1),
        Crs::Bd09 => Some(2),
        Crs::Bd09Mc => Some(3),
        _ => None,
    }
}

fn epsg_op(from: &str, to: &str, code: u32) -> Result<ProjOp, CoordError> {
    ProjOp::new(from, to).map_err(|message| CoordError::UnknownEpsg { code, message })
}

/// Steps from `crs` to the hub.
fn to_hub(crs: Crs, cfg: &CoordConfig, steps: &mut Vec<Step>) -> Result<(), CoordError> {
    match crs {
        Crs::Wgs84 | Crs::Cgcs2000 => {}
        Crs::Gcj02 => steps.push(Step::GcjToWgs),
        Crs::Bd09 => steps.extend([Step::BdToGcj, Step::GcjToWgs]),
        Crs::Bd09Mc => steps.extend([Step::McToBd, Step::BdToGcj, Step::GcjToWgs]),
        Crs::WebMercator => steps.push(Step::WebMercToWgs),
        Crs::Sh2000 => {
            let sh = Sh2000::new(cfg)?;
            if let Some((_, inv)) = sh.correction {
                steps.push(Step::Affine(inv));
            }
            steps.push(Step::Proj(sh.inverse));
        }
        Crs::Epsg(code) => steps.push(Step::Proj(epsg_op(&format!("EPSG:{code}"), HUB, code)?)),
    }
    Ok(())
}

/// Steps from the hub to `crs`.
fn from_hub(crs: Crs, cfg: &CoordConfig, steps: &mut Vec<Step>) -> Result<(), CoordError> {
    match crs {
        Crs::Wgs84 | Crs::Cgcs2000 => {}
        Crs::Gcj02 => steps.push(Step::WgsToGcj),
        Crs::Bd09 => steps.extend([Step::WgsToGcj, Step::GcjToBd]),
        Crs::Bd09Mc => steps.extend([Step::WgsToGcj, Step::GcjToBd, Step::BdToMc]),
        Crs::WebMercator => steps.push(Step::WgsToWebMerc),
        Crs::Sh2000 => {
            let sh = Sh2000::new(cfg)?;
            steps.push(Step::Proj(sh.forward));
            if let Some((fwd, _)) = sh.correction {
                steps.push(Step::Affine(fwd));
            }
        }
        Crs::Epsg(code) => steps.push(Step::Proj(epsg_op(HUB, &format!("EPSG:{code}"), code)?)),
    }
    Ok(())
}

impl Transformer {
    /// Builds the conversion `from → to`. Fails on an EPSG code PROJ does not know, or (when
    /// Shanghai 2000 is involved) on a bad profile or correction in `cfg`. `cfg` is only read
    /// here; a later change of configuration needs a new transformer.
    pub fn new(from: Crs, to: Crs, cfg: &CoordConfig) -> Result<Self, CoordError> {
        let (from, to) = (from.canonical(), to.canonical());
        let domain = match from {
            Crs::Wgs84 | Crs::Cgcs2000 | Crs::Gcj02 | Crs::Bd09 => Domain::Angular,
            Crs::Bd09Mc => Domain::Bd09Mc,
            Crs::WebMercator => Domain::WebMercator,
            Crs::Sh2000 | Crs::Epsg(_) => Domain::Finite,
        };
        let mut steps = Vec::new();
        match (from, to, chain_pos(from), chain_pos(to)) {
            (_, _, Some(a), Some(b)) => {
                const UP: [Step; 3] = [Step::WgsToGcj, Step::GcjToBd, Step::BdToMc];
                const DOWN: [Step; 3] = [Step::GcjToWgs, Step::BdToGcj, Step::McToBd];
                if a < b {
                    steps.extend(UP[a as usize..b as usize].iter().cloned());
                } else {
                    steps.extend(DOWN[b as usize..a as usize].iter().rev().cloned());
                }
            }
            (Crs::Epsg(a), Crs::Epsg(b), _, _) if a != b => {
                // Each code on its own first, so the error names the bad one.
                epsg_op(&format!("EPSG:{a}"), HUB, a)?;
                epsg_op(HUB, &format!("EPSG:{b}"), b)?;
                let (fa, fb) = (format!("EPSG:{a}"), format!("EPSG:{b}"));
                steps.push(Step::Proj(epsg_op(&fa, &fb, b)?));
            }
            _ if from == to => match from {
                // Nothing to do, but the same errors as any other conversion involving them.
                Crs::Epsg(code) => {
                    epsg_op(&format!("EPSG:{code}"), HUB, code)?;
                }
                Crs::Sh2000 => {
                    Sh2000::new(cfg)?;
                }
                _ => {}
            },
            _ => {
                to_hub(from, cfg, &mut steps)?;
                from_hub(to, cfg, &mut steps)?;
            }
        }
        Ok(Transformer {
            inner: Arc::new(Inner {
                from,
                to,
                domain,
                steps,
            }),
        })
    }

    /// Source CRS (canonical form, e.g. `EPSG:4326` is [`Crs::Wgs84`]).
    pub fn from(&self) -> Crs {
        self.inner.from
    }

    /// Target CRS (canonical form).
    pub fn to(&self) -> Crs {
        self.inner.to
    }

    /// Converts one point. Errors carry `index: 0`.
    pub fn convert(&self, x: f64, y: f64) -> Result<(f64, f64), CoordError> {
        let mut p = [[x, y]];
        self.convert_slice(&mut p)?;
        Ok((p[0][0], p[0][1]))
    }

    /// Converts `pts` in place, allocation-free except inside PROJ steps. On error (which
    /// carries the index of the first offending point) the contents of `pts` are unspecified.
    pub fn convert_slice(&self, pts: &mut [[f64; 2]]) -> Result<(), CoordError> {
        self.check_domain(pts)?;
        for step in &self.inner.steps {
            apply(step, pts)?;
        }
        Ok(())
    }

    /// Converts every coordinate of `g` in place. An error's index counts coordinates in
    /// traversal order; on error `g` is partly converted. A `Rect` is converted through its two
    /// corners and stays axis-aligned (as in `geo`'s `MapCoords`); convert it to a polygon first
    /// when that matters.
    pub fn convert_geometry(&self, g: &mut Geometry<f64>) -> Result<(), CoordError> {
        let mut index = 0;
        self.walk(g, &mut index)
    }

    fn convert_coord(&self, c: &mut Coord<f64>, index: &mut usize) -> Result<(), CoordError> {
        let mut p = [[c.x, c.y]];
        self.convert_slice(&mut p)
            .map_err(|e| e.offset_index(*index))?;
        *c = Coord {
            x: p[0][0],
            y: p[0][1],
        };
        *index += 1;
        Ok(())
    }

    fn walk_line(&self, ls: &mut LineString<f64>, index: &mut usize) -> Result<(), CoordError> {
        ls.0.iter_mut()
            .try_for_each(|c| self.convert_coord(c, index))
    }

    fn walk(&self, g: &mut Geometry<f64>, index: &mut usize) -> Result<(), CoordError> {
        match g {
            Geometry::Point(p) => self.convert_coord(&mut p.0, index),
            Geometry::Line(l) => {
                self.convert_coord(&mut l.start, index)?;
                self.convert_coord(&mut l.end, index)
            }
            Geometry::LineString(ls) => self.walk_line(ls, index),
            Geometry::Polygon(poly) => self.walk_polygon(poly, index),
            Geometry::MultiPoint(mp) => {
                mp.0.iter_mut()
                    .try_for_each(|p| self.convert_coord(&mut p.0, index))
            }
            Geometry::MultiLineString(mls) => mls
                .0
                .iter_mut()
                .try_for_each(|ls| self.walk_line(ls, index)),
            Geometry::MultiPolygon(mp) => {
                mp.0.iter_mut()
                    .try_for_each(|poly| self.walk_polygon(poly, index))
            }
            Geometry::GeometryCollection(gc) => {
                gc.0.iter_mut().try_for_each(|g| self.walk(g, index))
            }
            Geometry::Rect(r) => {
                let (mut a, mut b) = (r.min(), r.max());
                self.convert_coord(&mut a, index)?;
                self.convert_coord(&mut b, index)?;
                *r = Rect::new(a, b);
                Ok(())
            }
            Geometry::Triangle(t) => {
                let (mut a, mut b, mut c) = (t.v1(), t.v2(), t.v3());
                self.convert_coord(&mut a, index)?;
                self.convert_coord(&mut b, index)?;
                self.convert_coord(&mut c, index)?;
                *t = Triangle::new(a, b, c);
                Ok(())
            }
        }
    }

    fn walk_polygon(
        &self,
        poly: &mut geo_types::Polygon<f64>,
        index: &mut usize,
    ) -> Result<(), CoordError> {
        // `Polygon` only lends its rings through closures (it re-closes them afterwards).
        let mut result = Ok(());
        poly.exterior_mut(|ring| result = self.walk_line(ring, index));
        result?;
        let mut result = Ok(());
        poly.interiors_mut(|rings| {
            result = rings
                .iter_mut()
                .try_for_each(|ring| self.walk_line(ring, index));
        });
        result
    }

    fn check_domain(&self, pts: &[[f64; 2]]) -> Result<(), CoordError> {
        let crs = self.inner.from;
        let (x_max, y_max, reason) = match self.inner.domain {
            Domain::Angular => (180.0, 90.0, "|lon| must be <= 180 and |lat| <= 90"),
            Domain::Bd09Mc => (
                bd09mc::X_MAX,
                bd09mc::Y_MAX,
                "|x| must be <= 20037726.38 and |y| <= 12890594.86",
            ),
            Domain::WebMercator => (
                webmercator::X_MAX + 1e-6,
                f64::INFINITY,
                "|x| must be <= 20037508.34",
            ),
            Domain::Finite => (f64::INFINITY, f64::INFINITY, ""),
        };
        for (index, &[x, y]) in pts.iter().enumerate() {
            if !(x.is_finite() && y.is_finite()) {
                return Err(CoordError::NonFinite { index, x, y });
            }
            if !(x.abs() <= x_max && y.abs() <= y_max) {
                return Err(CoordError::OutOfRange {
                    index,
                    x,
                    y,
                    crs,
                    reason,
                });
            }
        }
        Ok(())
    }
}

/// Applies a closed-form step to every point.
#[inline(always)]
fn map_points(pts: &mut [[f64; 2]], f: impl Fn(f64, f64) -> (f64, f64)) {
    for p in pts.iter_mut() {
        let (x, y) = f(p[0], p[1]);
        *p = [x, y];
    }
}

/// Applies a GCJ-02 step, reporting points outside the region.
#[inline(always)]
fn map_in_region(
    pts: &mut [[f64; 2]],
    f: impl Fn(f64, f64) -> (f64, f64),
) -> Result<(), CoordError> {
    for (index, p) in pts.iter_mut().enumerate() {
        let [lon, lat] = *p;
        if !gcj02::in_region(lon, lat) {
            return Err(CoordError::OutsideChina { index, lon, lat });
        }
        let (x, y) = f(lon, lat);
        *p = [x, y];
    }
    Ok(())
}

fn apply(step: &Step, pts: &mut [[f64; 2]]) -> Result<(), CoordError> {
    match step {
        Step::WgsToGcj => map_in_region(pts, gcj02::wgs84_to_gcj02)?,
        Step::GcjToWgs => map_in_region(pts, gcj02::gcj02_to_wgs84)?,
        Step::GcjToBd => map_points(pts, bd09::gcj02_to_bd09),
        Step::BdToGcj => map_points(pts, bd09::bd09_to_gcj02),
        Step::BdToMc => map_points(pts, bd09mc::bd09_to_bd09mc),
        Step::McToBd => map_points(pts, bd09mc::bd09mc_to_bd09),
        Step::WgsToWebMerc => {
            for (index, &[x, y]) in pts.iter().enumerate() {
                if !(y.abs() < 90.0) {
                    return Err(CoordError::OutOfRange {
                        index,
                        x,
                        y,
                        crs: Crs::Wgs84,
                        reason: "Web Mercator needs |lat| < 90",
                    });
                }
            }
            map_points(pts, webmercator::from_wgs84)
        }
        Step::WebMercToWgs => map_points(pts, webmercator::to_wgs84),
        Step::Proj(op) => op.convert_slice(pts)?,
        Step::Affine(a) => {
            for p in pts.iter_mut() {
                *p = a.apply(*p);
            }
        }
    }
    Ok(())
}
