//! The geocoder as the server runs it: live gazetteer, parser, local engine, upstream providers.
//!
//! It also gives the reason when an input cannot be answered.

use std::sync::Arc;

use onemap_coord::Transformer;
use serde::Serialize;

use super::address::ParsedAddress;
use super::forward::{Candidate, MatchLevel, candidates};
use super::gazetteer::Gazetteer;
use super::live::LiveGazetteer;
use super::parse::{MAX_CHARS, parse};
use super::provider::{GeocodeProvider, merge};
use onemap_spatial::catalog::Catalog;

/// The answer for one address text.
#[derive(Debug, Clone, Serialize)]
pub struct Forward {
    /// The text as given.
    pub address: String,
    /// What the parser made of it.
    pub parsed: ParsedAddress,
    /// Best first; empty with a `reason` when nothing matched.
    pub candidates: Vec<Candidate>,
    /// Why nothing matched, or why the text cannot be answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Providers that were asked and failed (the local answer stands).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub upstream_errors: Vec<String>,
    /// False when the text cannot be an address of Shanghai (empty, too long, another city):
    /// the upstream providers are not asked either.
    #[serde(skip)]
    pub answerable: bool,
}

/// When to ask the upstream providers (if any are configured).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskUpstream {
    /// When the local answer is less precise than an interpolated house.
    Auto,
    /// For every answerable text, whatever the local answer.
    Always,
    /// Not at all: the local gazetteer only.
    Never,
}

/// Geocodes one text on the local gazetteer.
pub fn geocode(gz: &Gazetteer, input: &str, limit: usize) -> Forward {
    let mut out = Forward {
        address: input.to_string(),
        parsed: ParsedAddress::default(),
        candidates: Vec::new(),
        reason: None,
        upstream_errors: Vec::new(),
        answerable: false,
    };
    // Cheap guard before normalising: a pasted document is not an address.
    if input.chars().count() > 4 * MAX_CHARS {
        out.address = input.chars().take(MAX_CHARS).collect();
        out.reason = Some(format!(
            "longer than {MAX_CHARS} characters: not one address"
        ));
        return out;
    }
    out.parsed = parse(input, &gz.vocabulary);
    let p = &out.parsed;
    out.reason = if *p == ParsedAddress::default() {
        Some("nothing in the text reads as an address".into())
    } else if p
        .rest
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_CHARS)
    {
        Some(format!(
            "longer than {MAX_CHARS} characters: not one address"
        ))
    } else if let Some(city) = p.city.as_deref().filter(|c| !c.starts_with("上海")) {
        Some(format!(
            "`{city}` is outside Shanghai; the gazetteer covers Shanghai only"
        ))
    } else {
        out.answerable = true;
        out.candidates = candidates(gz, p, limit);
        out.candidates
            .is_empty()
            .then(|| "no road, place, township or district of the gazetteer matches".into())
    };
    out
}

/// The live gazetteer and the configured upstream providers.
pub struct Geocoder {
    live: Arc<LiveGazetteer>,
    providers: Vec<Box<dyn GeocodeProvider>>,
}

impl Geocoder {
    /// Subscribes a live gazetteer to the catalog. `to_plane`: CGCS2000 → Shanghai 2000.
    pub fn new(
        catalog: &Catalog,
        to_plane: Transformer,
        from_plane: Transformer,
        providers: Vec<Box<dyn GeocodeProvider>>,
    ) -> Self {
        let live = Arc::new(LiveGazetteer::new(to_plane, from_plane));
        catalog.subscribe(live.clone());
        Self { live, providers }
    }

    /// The current gazetteer (rebuilt first if its layers changed: call off the async workers).
    pub fn gazetteer(&self, catalog: &Catalog) -> Arc<Gazetteer> {
        self.live.current(catalog)
    }

    /// Adds the providers' answers to a local answer: appended after the local candidates, with
    /// their `source`, unless within 30 m of one; a failing provider is noted, not fatal.
    pub async fn ask_upstream(&self, gz: &Gazetteer, fwd: &mut Forward, when: AskUpstream) {
        let precise = fwd
            .candidates
            .first()
            .is_some_and(|c| c.level <= MatchLevel::Interpolated);
        let ask = match when {
            AskUpstream::Never => false,
            AskUpstream::Always => true,
            AskUpstream::Auto => !precise,
        };
        if !ask || !fwd.answerable {
            return;
        }
        for p in &self.providers {
            match p.geocode(&fwd.address).await {
                Ok(answers) => merge(gz, &mut fwd.candidates, p.name(), answers),
                Err(e) => fwd.upstream_errors.push(e.to_string()),
            }
        }
        if !fwd.candidates.is_empty() {
            fwd.reason = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gazetteer::fixture;

    #[test]
    fn text_in_reasons_out() {
        let gz = fixture::gazetteer();
        let f = geocode(&gz, "上海市徐汇区小木桥路３３号", 5);
        assert_eq!(f.candidates[0].level, MatchLevel::House);
        assert_eq!(f.parsed.number, Some(33));
        assert!(f.reason.is_none());
        let f = geocode(&gz, "小木桥路三十三号", 5);
        assert_eq!(f.candidates[0].standard_address, "上海市徐汇区小木桥路33号");
        for (input, reason) in [
            ("", "nothing"),
            ("，。！？ ...", "nothing"),
            ("\u{0}\u{1}\u{7f}", "nothing"),
            (&"路".repeat(10_000), "longer than"),
            (&"徐".repeat(300), "longer than"),
            ("江苏省昆山市前进路1号", "outside Shanghai"),
            ("火星路1号", "no road"),
        ] {
            let f = geocode(&gz, input, 5);
            assert!(f.candidates.is_empty(), "{input}");
            assert!(
                f.reason.as_deref().unwrap().contains(reason),
                "{input}: {:?}",
                f.reason
            );
        }
    }
}
