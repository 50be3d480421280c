//! Baidu (百度) web service geocoding, answers in BD-09 with a confidence 0–100.
//!
//! `GET /geocoding/v3/?address=&output=json&ak=&city=上海市`.

use async_trait::async_trait;
use onemap_coord::Crs;

use super::{Client, GeocodeProvider, ProviderError, ProviderSettings, Upstream};
use crate::forward::MatchLevel;

const NAME: &str = "baidu";

/// The Baidu (百度) web-service geocoder; answers arrive in BD-09 and leave in CGCS2000.
pub struct Baidu(Client);

impl Baidu {
    /// The public endpoint, when the configuration names no other.
    pub const DEFAULT_URL: &str = "https://api.map.baidu.com";

    /// A client for `settings`; fails only if the HTTP client or datum converter cannot be built.
    pub fn new(settings: ProviderSettings) -> Result<Self, String> {
        Client::new(settings, Crs::Bd09).map(Self)
    }
}

/// Baidu's `level` words to ours (its many place kinds are places).
fn level(s: &str) -> MatchLevel {
    match s {
        "门址" => MatchLevel::House,
        "道路" | "交叉路口" | "桥" => MatchLevel::Road,
        "乡镇" | "村庄" => MatchLevel::Township,
        "区县" | "城市" | "省" | "国家" => MatchLevel::District,
        _ => MatchLevel::Poi,
    }
}

#[async_trait]
impl GeocodeProvider for Baidu {
    fn name(&self) -> &str {
        NAME
    }

    async fn geocode(&self, address: &str) -> Result<Vec<Upstream>, ProviderError> {
        let c = &self.0;
        let body = c
            .get(
                NAME,
                "/geocoding/v3/",
                &[
                    ("address", address),
                    ("output", "json"),
                    ("ak", &c.settings.key),
                    ("city", "上海市"),
                ],
            )
            .await?;
        if body["status"] != 0 {
            return Err(ProviderError::Refused {
                provider: NAME.into(),
                message: body["message"]
                    .as_str()
                    .or(body["msg"].as_str())
                    .unwrap_or("status is not 0")
                    .into(),
            });
        }
        let r = &body["result"];
        let malformed = || ProviderError::Malformed {
            provider: NAME.into(),
            message: "no result.location".into(),
        };
        let (lng, lat) = (
            r["location"]["lng"].as_f64().ok_or_else(malformed)?,
            r["location"]["lat"].as_f64().ok_or_else(malformed)?,
        );
        let Some(point) = c.point(lng, lat) else {
            return Ok(Vec::new());
        };
        Ok(vec![Upstream {
            point,
            level: level(r["level"].as_str().unwrap_or_default()),
            confidence: r["confidence"].as_f64().map_or(0.5, |c| c / 100.0),
            formatted: None,
        }])
    }
}
