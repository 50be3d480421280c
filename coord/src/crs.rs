//! The catalogue of coordinate reference systems.
//!
//! Why an enum and not PROJ strings everywhere: GCJ-02, BD-09 and BD09MC are not in any PROJ
//! database (they are obfuscations, not geodetic CRSs), the hot paths must not go through PROJ,
//! and the HTTP layer wants short, stable names (`?from=wgs84&to=gcj02`). Everything else that
//! PROJ knows is reachable as [`Crs::Epsg`].

use std::fmt;
use std::str::FromStr;

use crate::CoordError;

/// A coordinate reference system. Coordinates are always `(x, y)` = (east, north): longitude
/// then latitude in degrees for angular CRSs, easting then northing in metres otherwise.
///
/// The string form (`Display`/`FromStr`, and serde) is the lowercase name (`"wgs84"`, `"gcj02"`,
/// `"bd09"`, `"bd09mc"`, `"sh2000"`, `"webmercator"`, `"cgcs2000"`) or `"EPSG:<code>"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Crs {
    /// WGS 84 longitude/latitude (EPSG:4326, in lon/lat order), degrees. The hub of all conversions.
    Wgs84,
    /// CGCS2000 longitude/latitude (EPSG:4490), degrees. Its realisation differs from WGS 84 by a
    /// few centimetres, below what the data of this project resolves, so it is converted as
    /// identical to WGS 84.
    Cgcs2000,
    /// GCJ-02 ("Mars coordinates"), degrees: the obfuscated datum mandated for maps published in
    /// China (AMap/Gaode, Tencent, Google China). Defined only inside China, see
    /// [`gcj02::in_region`](crate::gcj02::in_region).
    Gcj02,
    /// BD-09, degrees: Baidu's further obfuscation of GCJ-02.
    Bd09,
    /// BD09MC, metres: Baidu's Mercator-like plane, from BD-09 by Baidu's band polynomials.
    Bd09Mc,
    /// Shanghai 2000 local plane, metres (east, north). Defined by the PROJ string of the
    /// [`CoordConfig`](crate::CoordConfig); the default profile is unofficial.
    Sh2000,
    /// Web Mercator (EPSG:3857), metres; computed in closed form, not through PROJ.
    WebMercator,
    /// Any other CRS by EPSG code, converted through PROJ (axis order normalised to east, north).
    Epsg(u32),
}

impl Crs {
    /// The built-in CRSs, in a stable order (handy for menus and exhaustive tests).
    pub const BUILTIN: [Crs; 7] = [
        Crs::Wgs84,
        Crs::Cgcs2000,
        Crs::Gcj02,
        Crs::Bd09,
        Crs::Bd09Mc,
        Crs::Sh2000,
        Crs::WebMercator,
    ];

    /// The built-in variant for EPSG codes that have one (4326, 4490, 3857); `self` otherwise.
    pub fn canonical(self) -> Crs {
        match self {
            Crs::Epsg(4326) => Crs::Wgs84,
            Crs::Epsg(4490) => Crs::Cgcs2000,
            Crs::Epsg(3857) => Crs::WebMercator,
            other => other,
        }
    }

    /// True when coordinates are longitude/latitude in degrees.
    ///
    /// For [`Crs::Epsg`] PROJ is asked once per code (the answer is cached for the process); a
    /// code PROJ does not know is reported as not angular.
    pub fn is_angular(self) -> bool {
        match self.canonical() {
            Crs::Wgs84 | Crs::Cgcs2000 | Crs::Gcj02 | Crs::Bd09 => true,
            Crs::Bd09Mc | Crs::Sh2000 | Crs::WebMercator => false,
            Crs::Epsg(code) => epsg_is_angular(code),
        }
    }

    /// The EPSG code of this CRS, where it has one.
    pub fn epsg(self) -> Option<u32> {
        match self.canonical() {
            Crs::Wgs84 => Some(4326),
            Crs::Cgcs2000 => Some(4490),
            Crs::WebMercator => Some(3857),
            Crs::Epsg(code) => Some(code),
            Crs::Gcj02 | Crs::Bd09 | Crs::Bd09Mc | Crs::Sh2000 => None,
        }
    }
}

/// Free-function form of [`Crs::is_angular`].
pub fn is_angular(crs: Crs) -> bool {
    crs.is_angular()
}

fn epsg_is_angular(code: u32) -> bool {
    crate::proj_cache::crs_is_geographic(&format!("EPSG:{code}")).unwrap_or(false)
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Crs::Wgs84 => f.write_str("wgs84"),
            Crs::Cgcs2000 => f.write_str("cgcs2000"),
            Crs::Gcj02 => f.write_str("gcj02"),
            Crs::Bd09 => f.write_str("bd09"),
            Crs::Bd09Mc => f.write_str("bd09mc"),
            Crs::Sh2000 => f.write_str("sh2000"),
            Crs::WebMercator => f.write_str("webmercator"),
            Crs::Epsg(code) => write!(f, "EPSG:{code}"),
        }
    }
}

impl FromStr for Crs {
    type Err = CoordError;

    /// Case-insensitive; `-`, `_` and spaces in names are ignored (`"GCJ-02"`, `"bd09_mc"`,
    /// `"Web Mercator"` work). Also accepted: `"shanghai2000"`, `"EPSG:<code>"` (EPSG:4326,
    /// EPSG:4490 and EPSG:3857 map to the built-in variants). The EPSG code is not checked against
    /// PROJ here; [`Transformer::new`](crate::Transformer::new) does that.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        if let Some((auth, code)) = trimmed.split_once(':')
            && auth.trim().eq_ignore_ascii_case("epsg")
        {
            let code = code.trim();
            let digits = !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit());
            return match code.parse::<u32>() {
                Ok(code) if digits && code > 0 => Ok(Crs::Epsg(code).canonical()),
                _ => Err(CoordError::UnknownCrs(s.to_owned())),
            };
        }
        let key: String = trimmed
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match key.as_str() {
            "wgs84" => Ok(Crs::Wgs84),
            "cgcs2000" => Ok(Crs::Cgcs2000),
            "gcj02" => Ok(Crs::Gcj02),
            "bd09" => Ok(Crs::Bd09),
            "bd09mc" => Ok(Crs::Bd09Mc),
            "sh2000" | "shanghai2000" => Ok(Crs::Sh2000),
            "webmercator" => Ok(Crs::WebMercator),
            _ => Err(CoordError::UnknownCrs(s.to_owned())),
        }
    }
}

impl From<Crs> for String {
    fn from(crs: Crs) -> String {
        crs.to_string()
    }
}

impl TryFrom<String> for Crs {
    type Error = CoordError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl TryFrom<&str> for Crs {
    type Error = CoordError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}
