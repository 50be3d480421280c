//! Geocoding over the whole sample gazetteer: every generated house address geocodes back to its
//! own point at house level, and every house point reverse-geocodes to its own address.

mod sample_gazetteer;

use std::sync::OnceLock;

use onemap_geocode::forward::MatchLevel;
use onemap_geocode::gazetteer::Gazetteer;
use onemap_geocode::reverse::reverse;
use onemap_geocode::service::geocode;

fn gazetteer() -> &'static Gazetteer {
    static GZ: OnceLock<Gazetteer> = OnceLock::new();
    GZ.get_or_init(sample_gazetteer::gazetteer)
}

/// Asserts no failures, showing the first few.
fn assert_none_failed(what: &str, total: usize, failures: &[String]) {
    assert!(
        total > 1000,
        "{what}: only {total} houses in the sample gazetteer"
    );
    assert!(
        failures.is_empty(),
        "{what}: {} of {total} failed, e.g.\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
    println!("{what}: all {total} houses");
}

#[test]
fn every_house_address_geocodes_to_its_own_point() {
    let gz = gazetteer();
    let failures: Vec<String> = gz
        .houses
        .iter()
        .filter_map(|h| {
            let f = geocode(gz, &h.standard_address, 1);
            let ok = f.candidates.first().is_some_and(|c| {
                c.level == MatchLevel::House && c.feature.as_ref() == Some(&h.feature)
            });
            (!ok).then(|| {
                format!(
                    "{} → {:?} / {:?}",
                    h.standard_address,
                    f.candidates.first(),
                    f.parsed
                )
            })
        })
        .collect();
    assert_none_failed("forward, exact", gz.houses.len(), &failures);
}

#[test]
fn every_house_point_reverse_geocodes_to_its_own_address() {
    let gz = gazetteer();
    let failures: Vec<String> = gz
        .houses
        .iter()
        .filter_map(|h| {
            let r = reverse(gz, h.point, 50.0);
            let ok = r.level == Some(MatchLevel::House) && r.formatted == h.standard_address;
            (!ok).then(|| format!("{} → {} ({:?})", h.standard_address, r.formatted, r.level))
        })
        .collect();
    assert_none_failed("reverse", gz.houses.len(), &failures);
}
