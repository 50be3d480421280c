//! Upstream geocoders (AMap, Baidu web services) some agencies also use.
//!
//! Optional, off unless a key is configured, and never trusted over the local gazetteer: their
//! answers are converted from the provider's datum into CGCS2000 and appended after the local
//! candidates.

mod amap;
mod baidu;

use std::time::Duration;

use async_trait::async_trait;
use geo::Point;
use onemap_coord::{CoordConfig, Crs, Transformer};

pub use amap::AMap;
pub use baidu::Baidu;

use super::forward::{Candidate, MatchLevel};
use super::gazetteer::Gazetteer;

/// Why a provider gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// No answer, or an HTTP error status: network, timeout, outage.
    #[error("{provider}: request failed: {message}")]
    Http {
        /// `amap` or `baidu`.
        provider: String,
        /// The HTTP client's reason.
        message: String,
    },
    /// The provider answered with an error status in its body (bad key, quota spent).
    #[error("{provider}: refused the request: {message}")]
    Refused {
        /// `amap` or `baidu`.
        provider: String,
        /// The provider's own status and message.
        message: String,
    },
    /// The answer was not the JSON the provider documents.
    #[error("{provider}: unreadable answer: {message}")]
    Malformed {
        /// `amap` or `baidu`.
        provider: String,
        /// What could not be read.
        message: String,
    },
}

/// One answer of a provider, already in CGCS2000.
#[derive(Debug, Clone, PartialEq)]
pub struct Upstream {
    /// CGCS2000 lon/lat, converted from the provider's datum.
    pub point: Point<f64>,
    /// The provider's precision word, mapped to ours.
    pub level: MatchLevel,
    /// The provider's confidence in [0, 1], or its level's default.
    pub confidence: f64,
    /// The provider's formatted address, when it gives one.
    pub formatted: Option<String>,
}

/// A commercial geocoder.
#[async_trait]
pub trait GeocodeProvider: Send + Sync {
    /// `amap`, `baidu`: what the merged candidates carry as their `source`.
    fn name(&self) -> &str;
    /// The provider's answers for `address`, asked within Shanghai, in the provider's order.
    async fn geocode(&self, address: &str) -> Result<Vec<Upstream>, ProviderError>;
}

/// Where and how to reach one provider.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// The web-service key (AMap `key`, Baidu `ak`).
    pub key: String,
    /// Scheme and host, e.g. `https://restapi.amap.com`; a loopback mock in tests.
    pub base_url: String,
    /// Bound on each request, connection included.
    pub timeout: Duration,
}

/// The HTTP client and datum converter every provider needs.
struct Client {
    http: reqwest::Client,
    to_cgcs: Transformer,
    settings: ProviderSettings,
}

impl Client {
    fn new(settings: ProviderSettings, datum: Crs) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .build()
            .map_err(|e| e.to_string())?;
        let to_cgcs = Transformer::new(datum, Crs::Cgcs2000, &CoordConfig::default())
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            to_cgcs,
            settings,
        })
    }

    /// GET `{base_url}{path}` with `query`, as JSON.
    async fn get(
        &self,
        provider: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<serde_json::Value, ProviderError> {
        let http = |e: reqwest::Error| ProviderError::Http {
            provider: provider.into(),
            message: e.to_string(),
        };
        let url = format!("{}{path}", self.settings.base_url.trim_end_matches('/'));
        self.http
            .get(url)
            .query(query)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(http)?
            .json()
            .await
            .map_err(|e| ProviderError::Malformed {
                provider: provider.into(),
                message: e.to_string(),
            })
    }

    /// A provider position in CGCS2000; None when it is outside the datum's domain.
    fn point(&self, lon: f64, lat: f64) -> Option<Point<f64>> {
        self.to_cgcs.convert(lon, lat).ok().map(Point::from)
    }
}

/// Provider answers closer than this to a local candidate are the same place.
const SAME_PLACE_M: f64 = 30.0;
/// Provider answers rank below equally precise local ones.
const UPSTREAM_FACTOR: f64 = 0.9;

/// Appends provider answers to the local candidates: each as a candidate with its `source`, the
/// admin units from the local gazetteer, unless a local candidate lies within 30 m.
pub fn merge(gz: &Gazetteer, local: &mut Vec<Candidate>, provider: &str, answers: Vec<Upstream>) {
    for u in answers {
        let near = local.iter().any(|c| metres(c, u.point) < SAME_PLACE_M);
        if near {
            continue;
        }
        let mut c = super::forward::at_point(gz, u.level, u.point);
        c.confidence = (u.confidence * UPSTREAM_FACTOR).clamp(0.0, 1.0);
        if let Some(f) = u.formatted {
            c.standard_address = f;
        }
        c.source = provider.into();
        local.push(c);
    }
}

/// Metres between a candidate and a point, on a local equirectangular plane (ample for 30 m).
fn metres(c: &Candidate, p: Point<f64>) -> f64 {
    let k = 111_320.0;
    let dx = (c.lon - p.x()) * k * c.lat.to_radians().cos();
    let dy = (c.lat - p.y()) * k;
    dx.hypot(dy)
}
