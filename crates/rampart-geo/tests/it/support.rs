//! Shared fixtures: a small City and ASN database in a temp dir, and sign-ins.

use std::net::IpAddr;
use std::path::PathBuf;

use ipnet::IpNet;
use rampart_geo::GeoIp;
use rampart_geo::testdb::{AsnEntry, CityEntry, write_asn_db, write_city_db};
use rampart_model::{Location, NetworkHints, Outcome, SignIn, SourceFormat};

fn net(s: &str) -> IpNet {
    s.parse()
        .unwrap_or_else(|e| panic!("bad test network {s}: {e}"))
}

pub fn ip(s: &str) -> IpAddr {
    s.parse()
        .unwrap_or_else(|e| panic!("bad test address {s}: {e}"))
}

pub fn city_entries() -> Vec<CityEntry> {
    vec![
        // Zurich, precise.
        CityEntry {
            network: net("198.51.100.0/24"),
            lat: 47.3769,
            lon: 8.5417,
            accuracy_radius: 20,
            city: Some("Zurich".into()),
            region: Some("Zurich".into()),
            country: Some("CH".into()),
        },
        // MaxMind's US country-only result.
        CityEntry {
            network: net("203.0.113.0/24"),
            lat: 37.751,
            lon: -97.822,
            accuracy_radius: 1000,
            city: None,
            region: None,
            country: Some("US".into()),
        },
        // Sydney over IPv6.
        CityEntry {
            network: net("2001:db8:1::/48"),
            lat: -33.8688,
            lon: 151.2093,
            accuracy_radius: 5,
            city: Some("Sydney".into()),
            region: Some("New South Wales".into()),
            country: Some("AU".into()),
        },
    ]
}

pub fn asn_entries() -> Vec<AsnEntry> {
    vec![
        AsnEntry {
            network: net("198.51.100.0/24"),
            asn: 3303,
            org: "Swisscom (Schweiz) AG".into(),
        },
        AsnEntry {
            network: net("2001:db8:1::/48"),
            asn: 1221,
            org: "Telstra Limited".into(),
        },
        AsnEntry {
            network: net("192.0.2.0/24"),
            asn: 16509,
            org: "AMAZON-02".into(),
        },
    ]
}

/// A temp dir holding `city.mmdb` and `asn.mmdb`; keep it alive while the paths are used.
pub struct Dbs {
    pub dir: tempfile::TempDir,
    pub city: PathBuf,
    pub asn: PathBuf,
}

pub fn dbs() -> Dbs {
    let dir = tempfile::tempdir().expect("temp dir");
    let city = dir.path().join("city.mmdb");
    let asn = dir.path().join("asn.mmdb");
    write_city_db(&city, &city_entries()).expect("write city db");
    write_asn_db(&asn, &asn_entries()).expect("write asn db");
    Dbs { dir, city, asn }
}

pub fn geoip() -> (Dbs, GeoIp) {
    let d = dbs();
    let g = GeoIp::open(&[d.city.clone(), d.asn.clone()]).expect("open test dbs");
    (d, g)
}

pub fn signin(ip_text: Option<&str>, location: Option<Location>) -> SignIn {
    SignIn {
        tenant: None,
        provider_tenant: None,
        user: "alice@example.com".into(),
        time: "2026-11-20T10:00:00Z".parse().expect("timestamp"),
        ip: ip_text.map(ip),
        location,
        asn: None,
        network: NetworkHints::default(),
        app: None,
        client_app: None,
        user_agent: None,
        os: None,
        device_id: None,
        interactive: Some(true),
        session_id: None,
        correlation_id: None,
        outcome: Outcome::Success,
        result_code: None,
        result_detail: None,
        source_format: SourceFormat::Okta,
        record_id: "test-1".into(),
    }
}

pub fn record_location(lat: f64, lon: f64, city: Option<&str>, country: Option<&str>) -> Location {
    Location {
        lat,
        lon,
        city: city.map(str::to_owned),
        region: None,
        country: country.map(str::to_owned),
        source: rampart_model::GeoSource::Record,
        accuracy_km: None,
    }
}
