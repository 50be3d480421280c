//! Buffer dedup: is a new report (from the hotline, the grid system, a district system) a
//! feature the layer already holds?
//!
//! Candidates come from the in-memory R-tree: every feature whose bounds (point and
//! footprint) meet the report's bounds grown by the buffer. Each is then measured in metres
//! on the Shanghai 2000 plane — the shortest distance between the two (point or footprint
//! each, 0 when they touch or overlap), the footprints' IoU, the addresses' similarity and the
//! agreement of the rule's `same` properties — and scored ([`Evidence::score`]). Features
//! beyond the buffer are not matches. The verdict is `duplicate` when the best score reaches
//! the rule's `duplicate_score`, `possible` when anything lies within the buffer, else `new`.
//!
//! [`Checker::check_among`] runs the same measurement over any features, without the index:
//! the brute-force oracle the tests compare [`Checker::check`] with.
//!
//! ```
//! use onemap_spatial::dedup::{Checker, DedupRule, Report, Verdict};
//! use onemap_spatial::index::LayerIndex;
//! use onemap_spatial::Feature;
//! use onemap_coord::{CoordConfig, Crs, Transformer};
//!
//! let stored = Feature {
//!     id: 1, version: 1,
//!     geometry: Some(geo::Point::new(121.4737, 31.2304).into()),
//!     properties: Default::default(), geometries: Default::default(),
//! };
//! let index = LayerIndex::build(vec![stored]);
//! let plane = Transformer::new(Crs::Cgcs2000, Crs::Sh2000, &CoordConfig::default()).unwrap();
//! let rule = DedupRule::default(); // 50 m
//! let checker = Checker::new(&rule, None, &plane);
//! // About 5 m east.
//! let report = Report::at(geo::Point::new(121.47375, 31.2304).into());
//! let out = checker.check(&index, &report).unwrap();
//! assert_eq!(out.verdict, Verdict::Duplicate);
//! assert!((out.matches[0].evidence.distance_m - 4.76).abs() < 0.05);
//! ```

pub mod rule;
pub mod score;

use geo::{Area, BooleanOps, BoundingRect, Distance, Euclidean, Geometry, MultiPolygon, Rect};
use onemap_coord::{CoordError, Transformer};
use serde::Serialize;
use serde_json::{Map, Value};

pub use rule::DedupRule;
pub use score::{Evidence, address_similarity, normalize_address};

use crate::feature::{Draft, Feature, rect_union};
use crate::index::LayerIndex;
use crate::schema::{LayerDef, PropType};
use crate::validate::{Issue, parse_geometry};

/// A report to check, in CGCS2000 lon/lat: its geometry (usually a point), its footprint
/// if it has one, and its properties (address, kind…).
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub geometry: Option<Geometry<f64>>,
    pub footprint: Option<Geometry<f64>>,
    pub properties: Map<String, Value>,
}

impl Report {
    /// A bare location.
    pub fn at(geometry: Geometry<f64>) -> Self {
        Self {
            geometry: Some(geometry),
            ..Default::default()
        }
    }

    /// A report given as GeoJSON parts, in the store's CRS: the geometry is checked like a
    /// feature's (type, validity, extent), the rule's footprint property too; the other
    /// properties are taken as they come, since reports are often incomplete.
    pub fn from_geojson(
        def: &LayerDef,
        rule: &DedupRule,
        geometry: Option<&Value>,
        properties: Map<String, Value>,
    ) -> Result<Self, Vec<Issue>> {
        let mut issues = Vec::new();
        let geometry = geometry
            .filter(|g| !g.is_null())
            .and_then(|g| parse_geometry(g, def.geometry, def.extent, "geometry", &mut issues));
        let footprint = rule.footprint.as_ref().and_then(|name| {
            let v = properties.get(name).filter(|v| !v.is_null())?;
            let kind = match def.property(name)?.kind {
                PropType::Geometry { geometry } => geometry,
                _ => return None,
            };
            parse_geometry(v, kind, def.extent, name, &mut issues)
        });
        if issues.is_empty() && geometry.is_none() && footprint.is_none() {
            issues.push(Issue::new(
                "geometry",
                "a report needs a geometry or a footprint",
            ));
        }
        if !issues.is_empty() {
            return Err(issues);
        }
        Ok(Self {
            geometry,
            footprint,
            properties,
        })
    }

    /// A validated feature about to be stored, as a report.
    pub fn from_draft(rule: &DedupRule, draft: &Draft) -> Self {
        Self {
            geometry: draft.geometry.clone(),
            footprint: rule
                .footprint
                .as_ref()
                .and_then(|f| draft.geometries.get(f).cloned()),
            properties: draft.properties.clone(),
        }
    }
}

/// The answer for one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The best match scores at least the rule's `duplicate_score`.
    Duplicate,
    /// Something lies within the buffer, but not convincingly the same.
    Possible,
    /// Nothing within the buffer.
    New,
}

/// One existing feature within the buffer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    pub id: i64,
    pub score: f64,
    #[serde(flatten)]
    pub evidence: Evidence,
    pub reasons: Vec<String>,
}

/// The verdict and the matches, best first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub verdict: Verdict,
    pub matches: Vec<Match>,
}

/// Why a report cannot be checked.
#[derive(Debug, thiserror::Error)]
pub enum DedupError {
    #[error("the report has neither a geometry nor a footprint")]
    NoGeometry,
    #[error(transparent)]
    Coord(#[from] CoordError),
}

/// Checks reports against one layer under a rule.
pub struct Checker<'a> {
    rule: &'a DedupRule,
    buffer_m: f64,
    /// CGCS2000 lon/lat → Shanghai 2000 plane metres.
    plane: &'a Transformer,
}

/// A report or feature measured on the plane.
struct Shapes {
    /// The point (or other primary geometry) and the footprint, whichever exist.
    parts: Vec<Geometry<f64>>,
    footprint: Option<MultiPolygon<f64>>,
}

impl<'a> Checker<'a> {
    /// `buffer_m` overrides the rule's buffer for this check.
    pub fn new(rule: &'a DedupRule, buffer_m: Option<f64>, plane: &'a Transformer) -> Self {
        Self {
            rule,
            buffer_m: buffer_m.unwrap_or(rule.buffer_m),
            plane,
        }
    }

    pub fn buffer_m(&self) -> f64 {
        self.buffer_m
    }

    /// Checks a report against the layer's index.
    pub fn check(&self, index: &LayerIndex, report: &Report) -> Result<Outcome, DedupError> {
        let area = self.search_area(report)?;
        let mut candidates: Vec<&std::sync::Arc<Feature>> = index.in_envelope(&area).collect();
        candidates.sort_unstable_by_key(|f| f.id);
        self.check_among(candidates.into_iter().map(|f| &**f), report)
    }

    /// Checks a report against the given features (all of a layer, for a brute-force scan).
    pub fn check_among<'f>(
        &self,
        features: impl IntoIterator<Item = &'f Feature>,
        report: &Report,
    ) -> Result<Outcome, DedupError> {
        let mine = self
            .shapes(report.geometry.as_ref(), report.footprint.as_ref())?
            .ok_or(DedupError::NoGeometry)?;
        let mut matches = Vec::new();
        for f in features {
            let footprint = self
                .rule
                .footprint
                .as_ref()
                .and_then(|p| f.geometries.get(p));
            let Some(theirs) = self.shapes(f.geometry.as_ref(), footprint)? else {
                continue;
            };
            let distance_m = mine
                .parts
                .iter()
                .flat_map(|a| theirs.parts.iter().map(move |b| Euclidean.distance(a, b)))
                .fold(f64::INFINITY, f64::min);
            if distance_m > self.buffer_m {
                continue;
            }
            let evidence = Evidence {
                distance_m,
                iou: iou(mine.footprint.as_ref(), theirs.footprint.as_ref()),
                address_similarity: self.address(&report.properties, &f.properties),
                same_share: self.same(&report.properties, &f.properties),
            };
            matches.push(Match {
                id: f.id,
                score: evidence.score(self.buffer_m),
                reasons: evidence.reasons(self.buffer_m),
                evidence,
            });
        }
        matches.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.evidence.distance_m.total_cmp(&b.evidence.distance_m))
                .then(a.id.cmp(&b.id))
        });
        let verdict = match matches.first() {
            None => Verdict::New,
            Some(m) if m.score >= self.rule.duplicate_score => Verdict::Duplicate,
            Some(_) => Verdict::Possible,
        };
        Ok(Outcome { verdict, matches })
    }

    /// The report's bounds grown by the buffer, in degrees, with a margin for the plane's
    /// scale: a superset of every feature within the buffer.
    fn search_area(&self, report: &Report) -> Result<Rect<f64>, DedupError> {
        let b = [report.geometry.as_ref(), report.footprint.as_ref()]
            .into_iter()
            .flatten()
            .filter_map(|g| g.bounding_rect())
            .reduce(rect_union)
            .ok_or(DedupError::NoGeometry)?;
        let m = self.buffer_m * 1.1;
        let lat = b.max().y.abs().max(b.min().y.abs()).min(89.0).to_radians();
        let dy = m / 110_574.0;
        let dx = m / (111_320.0 * lat.cos());
        Ok(Rect::new(
            (b.min().x - dx, b.min().y - dy),
            (b.max().x + dx, b.max().y + dy),
        ))
    }

    /// The geometry and footprint on the plane; None when there is neither.
    fn shapes(
        &self,
        geometry: Option<&Geometry<f64>>,
        footprint: Option<&Geometry<f64>>,
    ) -> Result<Option<Shapes>, DedupError> {
        let mut parts = Vec::new();
        for g in [geometry, footprint].into_iter().flatten() {
            let mut g = g.clone();
            self.plane.convert_geometry(&mut g)?;
            parts.push(g);
        }
        let footprint = footprint.and_then(|_| match parts.last() {
            Some(Geometry::Polygon(p)) => Some(MultiPolygon(vec![p.clone()])),
            Some(Geometry::MultiPolygon(mp)) => Some(mp.clone()),
            _ => None,
        });
        Ok((!parts.is_empty()).then_some(Shapes { parts, footprint }))
    }

    fn address(&self, a: &Map<String, Value>, b: &Map<String, Value>) -> Option<f64> {
        let key = self.rule.address.as_ref()?;
        let (x, y) = (a.get(key)?.as_str()?, b.get(key)?.as_str()?);
        Some(address_similarity(x, y))
    }

    fn same(&self, a: &Map<String, Value>, b: &Map<String, Value>) -> Option<f64> {
        let both: Vec<bool> = self
            .rule
            .same
            .iter()
            .filter_map(|k| Some(a.get(k)? == b.get(k)?))
            .collect();
        (!both.is_empty()).then(|| both.iter().filter(|e| **e).count() as f64 / both.len() as f64)
    }
}

/// Intersection over union of two footprints on the plane.
fn iou(a: Option<&MultiPolygon<f64>>, b: Option<&MultiPolygon<f64>>) -> Option<f64> {
    let (a, b) = (a?, b?);
    let inter = a.intersection(b).unsigned_area();
    let union = a.unsigned_area() + b.unsigned_area() - inter;
    Some(if union > 0.0 { inter / union } else { 0.0 })
}
