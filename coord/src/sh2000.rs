//! Shanghai 2000: the city's local plane, through PROJ, plus the optional local correction.
//!
//! The official parameters are not published in full. Public facts: CGCS2000 ellipsoid,
//! Gauss-Krüger (transverse Mercator), central meridian near 121°28' E, origin near
//! 121°28'01" E 31°14'07" N, projection surface raised 16.32 m, surveying order X = north,
//! Y = east. [`SH2000_UNOFFICIAL_PROJ`] is a community-derived profile consistent with those facts;
//! it is **unofficial** and may be metres off the real system. Why it is still the default: it
//! gives a working, self-consistent city plane out of the box; a deployment with the official
//! parameters replaces it through [`CoordConfig::sh2000_proj`] and can absorb the remaining local
//! differences with a [`LocalCorrection`] fitted from control points
//! ([`fit_helmert`](crate::fit_helmert), [`fit_affine`](crate::fit_affine)).
//!
//! The profile string is a CRS for PROJ (`proj_create_crs_to_crs` from EPSG:4326), so a
//! deployment string may carry `+towgs84` or grids and PROJ applies them. With the default
//! profile (no datum shift given) PROJ treats WGS84 latitude/longitude as the profile's, which
//! is the CGCS2000 ≈ WGS84 convention of this crate.

use serde::{Deserialize, Serialize};

use crate::CoordError;
use crate::correction::{Affine2, LocalCorrection};
use crate::proj_cache::{ProjOp, crs_is_geographic};

/// The default, **unofficial** Shanghai 2000 profile (see the module docs).
pub const SH2000_UNOFFICIAL_PROJ: &str = "+proj=tmerc +lat_0=0 +lon_0=121.464444444444 +k=1 +x_0=-257.85859273 +y_0=-3457087.73141366 +a=6378153.3398 +rf=298.257222101 +units=m +no_defs";

/// The geographic CRS the PROJ steps start from / end in.
pub(crate) const HUB: &str = "EPSG:4326";

/// Deployment configuration of the conversions (serde-friendly, e.g. a `[coord]` table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CoordConfig {
    /// PROJ definition of the Shanghai 2000 plane (a PROJ string, or anything
    /// `proj_create_crs_to_crs` accepts). Default: [`SH2000_UNOFFICIAL_PROJ`].
    pub sh2000_proj: String,
    /// Correction applied after the PROJ step (WGS84 → Shanghai 2000) and inverted before it.
    pub correction: Option<LocalCorrection>,
}

impl Default for CoordConfig {
    fn default() -> Self {
        CoordConfig {
            sh2000_proj: SH2000_UNOFFICIAL_PROJ.to_owned(),
            correction: None,
        }
    }
}

impl CoordConfig {
    /// True when the Shanghai 2000 profile is the unofficial default.
    pub fn is_unofficial_profile(&self) -> bool {
        self.sh2000_proj.trim() == SH2000_UNOFFICIAL_PROJ
    }

    /// Checks the profile with PROJ and the correction, so a server can fail at start-up rather
    /// than on the first Shanghai 2000 request.
    pub fn validate(&self) -> Result<(), CoordError> {
        Sh2000::new(self).map(|_| ())
    }
}

/// The PROJ operations and correction of one configuration.
#[derive(Debug, Clone)]
pub(crate) struct Sh2000 {
    /// WGS84 → profile plane.
    pub(crate) forward: ProjOp,
    /// Profile plane → WGS84.
    pub(crate) inverse: ProjOp,
    /// Correction and its exact inverse.
    pub(crate) correction: Option<(Affine2, Affine2)>,
}

impl Sh2000 {
    pub(crate) fn new(cfg: &CoordConfig) -> Result<Sh2000, CoordError> {
        let def = cfg.sh2000_proj.trim();
        let invalid = |message: String| CoordError::InvalidProj {
            definition: cfg.sh2000_proj.clone(),
            message,
        };
        if def.is_empty() {
            return Err(invalid("empty definition".into()));
        }
        let forward = ProjOp::new(HUB, def).map_err(&invalid)?;
        if crs_is_geographic(def) == Some(true) {
            return Err(invalid(
                "the Shanghai 2000 profile must be a projected (metric) CRS".into(),
            ));
        }
        let inverse = ProjOp::new(def, HUB).map_err(&invalid)?;
        let correction = match &cfg.correction {
            None => None,
            Some(c) => {
                let fwd = c.to_affine()?;
                let inv = fwd.inverse().ok_or_else(|| {
                    CoordError::InvalidCorrection("the correction is not invertible".into())
                })?;
                Some((fwd, inv))
            }
        };
        Ok(Sh2000 {
            forward,
            inverse,
            correction,
        })
    }
}
