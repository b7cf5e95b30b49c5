use rampart_geo::{country_centroid, country_radius_km, enrich};
use rampart_model::GeoSource;

use crate::support::{geoip, record_location, signin};

fn country_after_enrich(text: &str) -> Option<String> {
    let mut s = signin(
        None,
        Some(record_location(40.0, -74.0, Some("Somewhere"), Some(text))),
    );
    enrich(&mut s, None);
    s.location.and_then(|l| l.country)
}

#[test]
fn country_names_and_codes_become_alpha2() {
    assert_eq!(country_after_enrich("United States").as_deref(), Some("US"));
    assert_eq!(country_after_enrich("Switzerland").as_deref(), Some("CH"));
    assert_eq!(country_after_enrich("CHE").as_deref(), Some("CH"));
    assert_eq!(country_after_enrich("de").as_deref(), Some("DE"));
    assert_eq!(country_after_enrich("Türkiye").as_deref(), Some("TR"));
    assert_eq!(
        country_after_enrich("Korea, Republic of").as_deref(),
        Some("KR")
    );
    assert_eq!(country_after_enrich("GB").as_deref(), Some("GB"));
}

#[test]
fn unknown_country_text_is_kept() {
    assert_eq!(
        country_after_enrich("Atlantis").as_deref(),
        Some("Atlantis")
    );
}

#[test]
fn record_coordinates_win_over_the_database() {
    let (_d, g) = geoip();
    let mut s = signin(
        Some("198.51.100.7"),
        Some(record_location(
            48.8566,
            2.3522,
            Some("Paris"),
            Some("France"),
        )),
    );
    enrich(&mut s, Some(&g));
    let loc = s.location.expect("location");
    assert_eq!(loc.source, GeoSource::Record);
    assert_eq!(loc.city.as_deref(), Some("Paris"));
    assert_eq!(loc.country.as_deref(), Some("FR"));
    assert!((loc.lat - 48.8566).abs() < 1e-9);
    // The network is still filled from the ASN database.
    assert_eq!(s.asn, Some(3303));
    assert_eq!(s.network.isp.as_deref(), Some("Swisscom (Schweiz) AG"));
}

#[test]
fn database_fills_a_missing_location() {
    let (_d, g) = geoip();
    let mut s = signin(Some("198.51.100.7"), None);
    enrich(&mut s, Some(&g));
    let loc = s.location.expect("location");
    assert_eq!(loc.source, GeoSource::GeoIp);
    assert_eq!(loc.city.as_deref(), Some("Zurich"));
    assert_eq!(loc.country.as_deref(), Some("CH"));
    assert_eq!(loc.accuracy_km, Some(20.0));
    assert_eq!(s.asn, Some(3303));
}

#[test]
fn zero_zero_is_treated_as_missing() {
    let (_d, g) = geoip();
    let mut s = signin(
        Some("2001:db8:1::5"),
        Some(record_location(0.0, 0.0, None, None)),
    );
    enrich(&mut s, Some(&g));
    let loc = s.location.expect("location");
    assert_eq!(loc.source, GeoSource::GeoIp);
    assert_eq!(loc.city.as_deref(), Some("Sydney"));
}

#[test]
fn record_asn_and_isp_are_not_overwritten() {
    let (_d, g) = geoip();
    let mut s = signin(Some("198.51.100.7"), None);
    s.asn = Some(64_512);
    s.network.isp = Some("Example ISP".into());
    enrich(&mut s, Some(&g));
    assert_eq!(s.asn, Some(64_512));
    assert_eq!(s.network.isp.as_deref(), Some("Example ISP"));
}

#[test]
fn without_a_database_nothing_is_filled() {
    let mut s = signin(Some("198.51.100.7"), None);
    enrich(&mut s, None);
    assert_eq!(s.location, None);
    assert_eq!(s.asn, None);
}

#[test]
fn database_miss_leaves_the_sign_in_alone() {
    let (_d, g) = geoip();
    let mut s = signin(Some("10.0.0.1"), None);
    enrich(&mut s, Some(&g));
    assert_eq!(s.location, None);
    assert_eq!(s.asn, None);
}

#[test]
fn country_level_database_result_gets_the_country_radius() {
    let (_d, g) = geoip();
    let mut s = signin(Some("203.0.113.9"), None);
    enrich(&mut s, Some(&g));
    let loc = s.location.expect("location");
    let us = country_radius_km("US").expect("US radius");
    assert_eq!(loc.accuracy_km, Some(us));
    assert_eq!(loc.country.as_deref(), Some("US"));
}

#[test]
fn city_less_record_on_the_centroid_is_country_level() {
    // Okta passes MaxMind's US centroid through for country-only IPs.
    let mut s = signin(
        None,
        Some(record_location(
            37.751,
            -97.822,
            None,
            Some("United States"),
        )),
    );
    enrich(&mut s, None);
    let loc = s.location.expect("location");
    assert_eq!(loc.accuracy_km, country_radius_km("US"));

    // Our own centroid, no country named: still found.
    let (lat, lon) = country_centroid("CH").expect("CH centroid");
    let mut s = signin(None, Some(record_location(lat + 0.01, lon, None, None)));
    enrich(&mut s, None);
    assert_eq!(
        s.location.expect("location").accuracy_km,
        country_radius_km("CH")
    );
}

#[test]
fn city_level_record_positions_are_left_precise() {
    // Same coordinates, but with a city: a real place, not a country placeholder.
    let mut s = signin(
        None,
        Some(record_location(37.751, -97.822, Some("Cheney"), Some("US"))),
    );
    enrich(&mut s, None);
    assert_eq!(s.location.expect("location").accuracy_km, None);

    // No city, but far from the centroid (New York): not country-level.
    let mut s = signin(None, Some(record_location(40.71, -74.0, None, Some("US"))));
    enrich(&mut s, None);
    assert_eq!(s.location.expect("location").accuracy_km, None);
}

#[test]
fn zero_zero_with_a_country_and_no_database_goes_to_the_country_centroid() {
    let mut s = signin(None, Some(record_location(0.0, 0.0, None, Some("Germany"))));
    enrich(&mut s, None);
    let loc = s.location.expect("location");
    let (lat, lon) = country_centroid("DE").expect("DE centroid");
    assert!((loc.lat - lat).abs() < 1e-9 && (loc.lon - lon).abs() < 1e-9);
    assert_eq!(loc.country.as_deref(), Some("DE"));
    assert_eq!(loc.accuracy_km, country_radius_km("DE"));
    assert_eq!(loc.source, GeoSource::Record);
}

#[test]
fn zero_zero_with_nothing_else_is_dropped() {
    let mut s = signin(None, Some(record_location(0.0, 0.0, None, None)));
    enrich(&mut s, None);
    assert_eq!(s.location, None);
}
