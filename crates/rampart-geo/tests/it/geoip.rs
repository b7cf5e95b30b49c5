use std::path::PathBuf;

use rampart_geo::{GeoError, GeoIp, country_radius_km};
use rampart_model::GeoSource;

use crate::support::{dbs, geoip, ip};

#[test]
fn ipv4_city_with_accuracy_radius_and_asn() {
    let (_d, g) = geoip();
    let hit = g.lookup(ip("198.51.100.7")).expect("hit");
    let loc = hit.location.expect("location");
    assert!((loc.lat - 47.3769).abs() < 1e-9 && (loc.lon - 8.5417).abs() < 1e-9);
    assert_eq!(loc.city.as_deref(), Some("Zurich"));
    assert_eq!(loc.region.as_deref(), Some("Zurich"));
    assert_eq!(loc.country.as_deref(), Some("CH"));
    assert_eq!(loc.source, GeoSource::GeoIp);
    assert_eq!(loc.accuracy_km, Some(20.0));
    assert_eq!(hit.asn, Some(3303));
    assert_eq!(hit.as_org.as_deref(), Some("Swisscom (Schweiz) AG"));
}

#[test]
fn ipv6_city() {
    let (_d, g) = geoip();
    let hit = g.lookup(ip("2001:db8:1:2::99")).expect("hit");
    let loc = hit.location.expect("location");
    assert_eq!(loc.city.as_deref(), Some("Sydney"));
    assert_eq!(loc.region.as_deref(), Some("New South Wales"));
    assert_eq!(loc.country.as_deref(), Some("AU"));
    assert_eq!(loc.accuracy_km, Some(5.0));
    assert_eq!(hit.asn, Some(1221));
}

#[test]
fn ipv4_mapped_ipv6_reaches_the_ipv4_record() {
    let (_d, g) = geoip();
    let hit = g.lookup(ip("::ffff:198.51.100.7")).expect("hit");
    assert_eq!(hit.location.and_then(|l| l.city).as_deref(), Some("Zurich"));
}

#[test]
fn country_only_result_keeps_the_raw_radius_in_lookup() {
    // `lookup` reports the database as is; `enrich` widens it (see the enrich tests).
    let (_d, g) = geoip();
    let loc = g
        .lookup(ip("203.0.113.50"))
        .and_then(|h| h.location)
        .expect("location");
    assert_eq!(loc.city, None);
    assert_eq!(loc.country.as_deref(), Some("US"));
    assert_eq!(loc.accuracy_km, Some(1000.0));
}

#[test]
fn asn_only_hit_has_no_location() {
    let (_d, g) = geoip();
    let hit = g.lookup(ip("192.0.2.10")).expect("hit");
    assert_eq!(hit.location, None);
    assert_eq!(hit.asn, Some(16509));
    assert_eq!(hit.as_org.as_deref(), Some("AMAZON-02"));
}

#[test]
fn miss_is_none() {
    let (_d, g) = geoip();
    assert_eq!(g.lookup(ip("10.1.2.3")), None);
    assert_eq!(g.lookup(ip("2001:db8:ffff::1")), None);
}

#[test]
fn city_database_alone() {
    let d = dbs();
    let g = GeoIp::open(std::slice::from_ref(&d.city)).expect("open");
    let hit = g.lookup(ip("198.51.100.7")).expect("hit");
    assert!(hit.location.is_some());
    assert_eq!(hit.asn, None);
    assert_eq!(hit.as_org, None);
    assert_eq!(g.description(), "GeoLite2-City built 2026-11-01");
}

#[test]
fn description_names_both_databases_in_either_order() {
    let d = dbs();
    let g = GeoIp::open(&[d.asn.clone(), d.city.clone()]).expect("open");
    assert_eq!(
        g.description(),
        "GeoLite2-City built 2026-11-01 (+ GeoLite2-ASN)"
    );
}

#[test]
fn missing_file_is_named() {
    let path = PathBuf::from("/nonexistent/GeoLite2-City.mmdb");
    let err = GeoIp::open(std::slice::from_ref(&path)).expect_err("must fail");
    assert!(matches!(err, GeoError::Read { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("/nonexistent/GeoLite2-City.mmdb"), "{text}");
}

#[test]
fn not_an_mmdb_is_named_with_the_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("GeoLite2-City.tar.gz");
    std::fs::write(&path, b"\x1f\x8b\x08\x00 definitely not a MaxMind DB").expect("write");
    let err = GeoIp::open(std::slice::from_ref(&path)).expect_err("must fail");
    assert!(matches!(err, GeoError::NotMmdb { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("GeoLite2-City.tar.gz"), "{text}");
    assert!(text.contains("not a MaxMind DB"), "{text}");
}

#[test]
fn unknown_database_type_is_refused() {
    // A City database whose metadata type is rewritten in place to one of the same length
    // that names no supported kind.
    let d = dbs();
    let mut bytes = std::fs::read(&d.city).expect("read");
    let at = bytes
        .windows(b"GeoLite2-City".len())
        .rposition(|w| w == b"GeoLite2-City")
        .expect("database_type in the metadata");
    bytes[at..at + 13].copy_from_slice(b"GeoLite2-Anon");
    let path = d.dir.path().join("anon.mmdb");
    std::fs::write(&path, bytes).expect("write");

    let err = GeoIp::open(std::slice::from_ref(&path)).expect_err("must fail");
    assert!(
        matches!(err, GeoError::UnknownDatabaseType { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("anon.mmdb") && text.contains("\"GeoLite2-Anon\""),
        "{text}"
    );
}

#[test]
fn two_city_databases_are_refused() {
    let d = dbs();
    let err = GeoIp::open(&[d.city.clone(), d.city.clone()]).expect_err("must fail");
    assert!(matches!(err, GeoError::Duplicate { .. }), "{err:?}");
    assert!(err.to_string().contains("city.mmdb"));
}

#[test]
fn no_database_is_an_error() {
    assert!(matches!(GeoIp::open(&[]), Err(GeoError::NoDatabase)));
}

#[test]
fn country_radius_is_available_for_the_country_level_hit() {
    let r = country_radius_km("US").expect("US radius");
    assert!((1600.0..1900.0).contains(&r), "{r}");
}

#[test]
fn geoip_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<GeoIp>();
}
