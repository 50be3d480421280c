//! AMap (高德) web service geocoding, answers in GCJ-02.
//!
//! `GET /v3/geocode/geo?key=&address=&city=上海`, positions "lng,lat".

use async_trait::async_trait;
use onemap_coord::Crs;

use super::{Client, GeocodeProvider, ProviderError, ProviderSettings, Upstream};
use crate::forward::MatchLevel;

const NAME: &str = "amap";

/// The AMap (高德) web-service geocoder; answers arrive in GCJ-02 and leave in CGCS2000.
pub struct AMap(Client);

impl AMap {
    /// The public endpoint, when the configuration names no other.
    pub const DEFAULT_URL: &str = "https://restapi.amap.com";

    /// A client for `settings`; fails only if the HTTP client or datum converter cannot be built.
    pub fn new(settings: ProviderSettings) -> Result<Self, String> {
        Client::new(settings, Crs::Gcj02).map(Self)
    }
}

/// AMap's `level` words to ours.
fn level(s: &str) -> MatchLevel {
    match s {
        "门牌号" | "单元号" | "楼栋" => MatchLevel::House,
        "兴趣点" => MatchLevel::Poi,
        "乡镇" | "村庄" | "开发区" => MatchLevel::Township,
        "区县" | "市" | "省" => MatchLevel::District,
        _ => MatchLevel::Road,
    }
}

#[async_trait]
impl GeocodeProvider for AMap {
    fn name(&self) -> &str {
        NAME
    }

    async fn geocode(&self, address: &str) -> Result<Vec<Upstream>, ProviderError> {
        let c = &self.0;
        let body = c
            .get(
                NAME,
                "/v3/geocode/geo",
                &[
                    ("key", &c.settings.key),
                    ("address", address),
                    ("city", "上海"),
                ],
            )
            .await?;
        if body["status"] != "1" {
            return Err(ProviderError::Refused {
                provider: NAME.into(),
                message: body["info"].as_str().unwrap_or("status is not 1").into(),
            });
        }
        Ok(body["geocodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| {
                let (lng, lat) = g["location"].as_str()?.split_once(',')?;
                let point = c.point(lng.trim().parse().ok()?, lat.trim().parse().ok()?)?;
                let level = level(g["level"].as_str().unwrap_or_default());
                Some(Upstream {
                    point,
                    level,
                    confidence: level_confidence(level),
                    formatted: g["formatted_address"].as_str().map(str::to_string),
                })
            })
            .collect())
    }
}

/// AMap gives no confidence: its level stands for one.
fn level_confidence(l: MatchLevel) -> f64 {
    match l {
        MatchLevel::House | MatchLevel::Interpolated => 0.9,
        MatchLevel::Poi => 0.8,
        MatchLevel::Road => 0.6,
        MatchLevel::Township => 0.4,
        MatchLevel::District => 0.2,
    }
}
