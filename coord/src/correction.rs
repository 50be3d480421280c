//! Local correction of the Shanghai 2000 plane, fitted from control points.
//!
//! Why: the default Shanghai 2000 profile is unofficial (see [`sh2000`](crate::sh2000)), and even
//! an official PROJ string leaves centimetre-to-metre local differences. A surveying office gives
//! control points known in both the profile's plane and the official one; a 2-D similarity
//! (4-parameter Helmert) or affine (6 parameters) fitted by least squares absorbs the systematic
//! part. The correction is applied right after the PROJ step of the forward Shanghai 2000
//! conversion, and its exact inverse right before the PROJ step of the backward one.
//!
//! Why no linear-algebra crate: after centring on the centroids the normal equations decouple
//! into closed-form 1-unknown (Helmert) or 2×2 (affine) solves — a few lines, no dependency.
//! Centring also keeps large coordinates (e.g. 3-degree Gauss-Krüger, 10⁶ m) well-conditioned.
//!
//! Coordinates are (east, north) in metres; a pair is `(from, to)` = (coordinate given by the
//! profile, coordinate wanted).

use serde::{Deserialize, Serialize};

use crate::CoordError;

/// A 2-D correction of plane coordinates. Serialised with a `"method"` tag:
/// `{"method":"helmert","dx":..,"dy":..,"scale":..,"rotation_rad":..}` or
/// `{"method":"affine","a":[a0,a1,a2],"b":[b0,b1,b2]}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum LocalCorrection {
    /// Similarity: `x' = s·(cos r·x − sin r·y) + dx`, `y' = s·(sin r·x + cos r·y) + dy`
    /// (rotation `r` in radians, counter-clockwise from east).
    Helmert {
        /// East shift, metres.
        dx: f64,
        /// North shift, metres.
        dy: f64,
        /// Scale factor `s`, positive (1 = no scale change).
        scale: f64,
        /// Rotation `r`, radians, counter-clockwise from east.
        rotation_rad: f64,
    },
    /// Affine: `x' = a0 + a1·x + a2·y`, `y' = b0 + b1·x + b2·y`.
    Affine {
        /// `[a0, a1, a2]`: the east output (`a0` in metres).
        a: [f64; 3],
        /// `[b0, b1, b2]`: the north output (`b0` in metres).
        b: [f64; 3],
    },
}

/// A 2-D affine map `p' = M·p + t` with its exact inverse, precomputed for the hot path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Affine2 {
    m: [[f64; 2]; 2],
    t: [f64; 2],
}

impl Affine2 {
    #[inline]
    pub(crate) fn apply(&self, p: [f64; 2]) -> [f64; 2] {
        [
            self.m[0][0] * p[0] + self.m[0][1] * p[1] + self.t[0],
            self.m[1][0] * p[0] + self.m[1][1] * p[1] + self.t[1],
        ]
    }

    /// The exact inverse, or `None` when `M` is singular.
    pub(crate) fn inverse(&self) -> Option<Affine2> {
        let [[a, b], [c, d]] = self.m;
        let det = a * d - b * c;
        if !(det.is_finite() && det != 0.0) {
            return None;
        }
        let m = [[d / det, -b / det], [-c / det, a / det]];
        let t = [
            -(m[0][0] * self.t[0] + m[0][1] * self.t[1]),
            -(m[1][0] * self.t[0] + m[1][1] * self.t[1]),
        ];
        Some(Affine2 { m, t })
    }
}

impl LocalCorrection {
    /// The identity Helmert.
    pub const IDENTITY: LocalCorrection = LocalCorrection::Helmert {
        dx: 0.0,
        dy: 0.0,
        scale: 1.0,
        rotation_rad: 0.0,
    };

    /// Checks the parameters (finite, scale > 0, invertible) and returns the affine form.
    pub(crate) fn to_affine(self) -> Result<Affine2, CoordError> {
        let affine = match self {
            LocalCorrection::Helmert {
                dx,
                dy,
                scale,
                rotation_rad,
            } => {
                if ![dx, dy, scale, rotation_rad].iter().all(|v| v.is_finite()) {
                    return Err(CoordError::InvalidCorrection(
                        "Helmert parameters must be finite".into(),
                    ));
                }
                if scale <= 0.0 {
                    return Err(CoordError::InvalidCorrection(format!(
                        "Helmert scale must be > 0, got {scale}"
                    )));
                }
                let (s, c) = rotation_rad.sin_cos();
                Affine2 {
                    m: [[scale * c, -scale * s], [scale * s, scale * c]],
                    t: [dx, dy],
                }
            }
            LocalCorrection::Affine { a, b } => {
                if !a.iter().chain(b.iter()).all(|v| v.is_finite()) {
                    return Err(CoordError::InvalidCorrection(
                        "affine parameters must be finite".into(),
                    ));
                }
                Affine2 {
                    m: [[a[1], a[2]], [b[1], b[2]]],
                    t: [a[0], b[0]],
                }
            }
        };
        if affine.inverse().is_none() {
            return Err(CoordError::InvalidCorrection(
                "the correction is not invertible (singular matrix)".into(),
            ));
        }
        Ok(affine)
    }

    /// Checks that the correction can be applied and inverted.
    pub fn validate(&self) -> Result<(), CoordError> {
        self.to_affine().map(|_| ())
    }

    /// Applies the correction to one (east, north) point.
    pub fn apply(&self, p: [f64; 2]) -> Result<[f64; 2], CoordError> {
        Ok(self.to_affine()?.apply(p))
    }

    /// Applies the exact inverse of the correction to one (east, north) point.
    pub fn apply_inverse(&self, p: [f64; 2]) -> Result<[f64; 2], CoordError> {
        let inv = self
            .to_affine()?
            .inverse()
            .ok_or_else(|| CoordError::InvalidCorrection("not invertible".into()))?;
        Ok(inv.apply(p))
    }
}

/// Which correction model to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FitMethod {
    /// 4 parameters, needs ≥ 2 distinct points.
    Helmert,
    /// 6 parameters, needs ≥ 3 non-collinear points.
    Affine,
}

/// The result of a fit: the correction, and how well it reproduces the control points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    /// The fitted correction, to put in a [`CoordConfig`](crate::CoordConfig).
    pub correction: LocalCorrection,
    /// Per pair, `to − correction(from)` (east, north), metres; same order as the input.
    pub residuals: Vec<[f64; 2]>,
    /// √(mean of |residual|²), metres (0 when the fit has no redundancy).
    pub rms: f64,
    /// Largest |residual|, metres.
    pub max_residual: f64,
}

/// Fits `method` to `(from, to)` pairs by least squares.
pub fn fit(method: FitMethod, pairs: &[([f64; 2], [f64; 2])]) -> Result<Fit, CoordError> {
    match method {
        FitMethod::Helmert => fit_helmert(pairs),
        FitMethod::Affine => fit_affine(pairs),
    }
}

/// Centroids and centred sums shared by both fits.
struct Moments {
    c_from: [f64; 2],
    c_to: [f64; 2],
    /// Σu², Σuv, Σv² over centred `from` (u, v).
    suu: f64,
    suv: f64,
    svv: f64,
    /// Σ u·U, Σ v·U, Σ u·V, Σ v·V with centred `to` (U, V).
    s_u_tu: f64,
    s_v_tu: f64,
    s_u_tv: f64,
    s_v_tv: f64,
}

fn moments(
    method: &'static str,
    pairs: &[([f64; 2], [f64; 2])],
    needed: usize,
) -> Result<Moments, CoordError> {
    if pairs.len() < needed {
        return Err(CoordError::TooFewPoints {
            method,
            needed,
            got: pairs.len(),
        });
    }
    for (index, (from, to)) in pairs.iter().enumerate() {
        for p in [from, to] {
            if !(p[0].is_finite() && p[1].is_finite()) {
                return Err(CoordError::NonFinite {
                    index,
                    x: p[0],
                    y: p[1],
                });
            }
        }
    }
    let n = pairs.len() as f64;
    let mut c_from = [0.0; 2];
    let mut c_to = [0.0; 2];
    for (from, to) in pairs {
        for k in 0..2 {
            c_from[k] += from[k] / n;
            c_to[k] += to[k] / n;
        }
    }
    let mut m = Moments {
        c_from,
        c_to,
        suu: 0.0,
        suv: 0.0,
        svv: 0.0,
        s_u_tu: 0.0,
        s_v_tu: 0.0,
        s_u_tv: 0.0,
        s_v_tv: 0.0,
    };
    for (from, to) in pairs {
        let (u, v) = (from[0] - c_from[0], from[1] - c_from[1]);
        let (tu, tv) = (to[0] - c_to[0], to[1] - c_to[1]);
        m.suu += u * u;
        m.suv += u * v;
        m.svv += v * v;
        m.s_u_tu += u * tu;
        m.s_v_tu += v * tu;
        m.s_u_tv += u * tv;
        m.s_v_tv += v * tv;
    }
    // Points spread over less than a nanometre per metre of their distance from the origin
    // (less than 1 nm near the origin) determine nothing.
    let spread = ((m.suu + m.svv) / n).sqrt();
    let magnitude = 1.0 + c_from[0].abs().max(c_from[1].abs());
    if !(spread > 1e-9 * magnitude) {
        return Err(CoordError::Degenerate {
            method,
            reason: "the source points coincide",
        });
    }
    Ok(m)
}

fn finish(
    method: &'static str,
    correction: LocalCorrection,
    pairs: &[([f64; 2], [f64; 2])],
) -> Result<Fit, CoordError> {
    let affine = correction.to_affine().map_err(|_| CoordError::Degenerate {
        method,
        reason: "the fitted map is singular (target points coincide or are collinear)",
    })?;
    let residuals: Vec<[f64; 2]> = pairs
        .iter()
        .map(|(from, to)| {
            let p = affine.apply(*from);
            [to[0] - p[0], to[1] - p[1]]
        })
        .collect();
    let sum_sq: f64 = residuals.iter().map(|r| r[0] * r[0] + r[1] * r[1]).sum();
    let max_residual = residuals
        .iter()
        .map(|r| r[0].hypot(r[1]))
        .fold(0.0, f64::max);
    Ok(Fit {
        correction,
        rms: (sum_sq / residuals.len() as f64).sqrt(),
        max_residual,
        residuals,
    })
}

/// Least-squares 4-parameter Helmert (similarity) from ≥ 2 distinct `(from, to)` pairs.
pub fn fit_helmert(pairs: &[([f64; 2], [f64; 2])]) -> Result<Fit, CoordError> {
    const METHOD: &str = "Helmert";
    let m = moments(METHOD, pairs, 2)?;
    // Model U = a·u − b·v, V = b·u + a·v on centred coordinates.
    let s = m.suu + m.svv;
    let a = (m.s_u_tu + m.s_v_tv) / s;
    let b = (m.s_u_tv - m.s_v_tu) / s;
    let dx = m.c_to[0] - a * m.c_from[0] + b * m.c_from[1];
    let dy = m.c_to[1] - b * m.c_from[0] - a * m.c_from[1];
    let correction = LocalCorrection::Helmert {
        dx,
        dy,
        scale: a.hypot(b),
        rotation_rad: b.atan2(a),
    };
    finish(METHOD, correction, pairs)
}

/// Least-squares 6-parameter affine from ≥ 3 non-collinear `(from, to)` pairs.
pub fn fit_affine(pairs: &[([f64; 2], [f64; 2])]) -> Result<Fit, CoordError> {
    const METHOD: &str = "affine";
    let m = moments(METHOD, pairs, 3)?;
    let det = m.suu * m.svv - m.suv * m.suv;
    let trace = m.suu + m.svv;
    // det/trace² ≈ (width/length)² of the point cloud: below 1e-12 the points are on a line.
    if !(det > 1e-12 * trace * trace) {
        return Err(CoordError::Degenerate {
            method: METHOD,
            reason: "the source points are collinear",
        });
    }
    let solve = |r_u: f64, r_v: f64| {
        (
            (m.svv * r_u - m.suv * r_v) / det,
            (m.suu * r_v - m.suv * r_u) / det,
        )
    };
    let (a1, a2) = solve(m.s_u_tu, m.s_v_tu);
    let (b1, b2) = solve(m.s_u_tv, m.s_v_tv);
    let a0 = m.c_to[0] - a1 * m.c_from[0] - a2 * m.c_from[1];
    let b0 = m.c_to[1] - b1 * m.c_from[0] - b2 * m.c_from[1];
    let correction = LocalCorrection::Affine {
        a: [a0, a1, a2],
        b: [b0, b1, b2],
    };
    finish(METHOD, correction, pairs)
}
