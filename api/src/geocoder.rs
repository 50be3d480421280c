//! The server's geocoder, built from the configuration: the live gazetteer over the catalog
//! and the upstream providers that have keys.

use std::time::Duration;

use onemap_coord::Crs;
use onemap_geocode::provider::{AMap, Baidu, GeocodeProvider, ProviderSettings};
use onemap_geocode::service::Geocoder;
use onemap_spatial::Catalog;

use crate::config::{ProviderKey, ServeConfig};
use crate::coords::Coords;

/// How long an upstream geocoder may take unless `timeout_ms` says otherwise.
const DEFAULT_PROVIDER_TIMEOUT_MS: u64 = 3_000;

/// The server's geocoder: the live gazetteer over `catalog` and the configured providers.
pub fn build(cfg: &ServeConfig, catalog: &Catalog, coords: &Coords) -> anyhow::Result<Geocoder> {
    let p = cfg.geocode_providers()?;
    let timeout = Duration::from_millis(p.timeout_ms.unwrap_or(DEFAULT_PROVIDER_TIMEOUT_MS));
    let settings = |k: &ProviderKey, default_url: &str| ProviderSettings {
        key: k.key.clone(),
        base_url: k.base_url.clone().unwrap_or_else(|| default_url.into()),
        timeout,
    };
    let mut providers: Vec<Box<dyn GeocodeProvider>> = Vec::new();
    if let Some(k) = p.amap.as_ref().filter(|k| !k.key.is_empty()) {
        providers.push(Box::new(
            AMap::new(settings(k, AMap::DEFAULT_URL)).map_err(anyhow::Error::msg)?,
        ));
    }
    if let Some(k) = p.baidu.as_ref().filter(|k| !k.key.is_empty()) {
        providers.push(Box::new(
            Baidu::new(settings(k, Baidu::DEFAULT_URL)).map_err(anyhow::Error::msg)?,
        ));
    }
    let plane = |from, to| {
        coords
            .transformer(from, to)
            .map_err(|p| anyhow::anyhow!("{p:?}"))
    };
    Ok(Geocoder::new(
        catalog,
        plane(Crs::Cgcs2000, Crs::Sh2000)?,
        plane(Crs::Sh2000, Crs::Cgcs2000)?,
        providers,
    ))
}
