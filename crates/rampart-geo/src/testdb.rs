//! Small MaxMind-format databases for tests, written in pure Rust (never downloaded).
//!
//! [`write_city_db`] writes a `GeoLite2-City`-shaped database and [`write_asn_db`] a
//! `GeoLite2-ASN`-shaped one; both hold IPv4 and IPv6 networks and open with
//! [`GeoIp::open`](crate::GeoIp::open). The build date is fixed (2026-11-01) so the bytes and
//! [`GeoIp::description`](crate::GeoIp::description) are reproducible.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use ipnet::IpNet;
use mmdb_writer::Writer;
use serde::Serialize;

/// 2026-11-01T00:00:00Z.
const BUILD_EPOCH_SECONDS: u64 = 1_793_491_200;

/// One network of a City database.
#[derive(Clone, Debug, PartialEq)]
pub struct CityEntry {
    pub network: IpNet,
    pub lat: f64,
    pub lon: f64,
    /// km, MaxMind's 67 % radius (1000 for MaxMind's US country-only results).
    pub accuracy_radius: u16,
    pub city: Option<String>,
    /// The first subdivision's English name.
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
}

/// One network of an ASN database.
#[derive(Clone, Debug, PartialEq)]
pub struct AsnEntry {
    pub network: IpNet,
    pub asn: u32,
    pub org: String,
}

#[derive(Serialize)]
struct Named {
    names: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
struct CountryRecord {
    iso_code: String,
    names: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
struct LocationRecord {
    latitude: f64,
    longitude: f64,
    accuracy_radius: u16,
}

#[derive(Serialize)]
struct CityRecord {
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<Named>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<CountryRecord>,
    location: LocationRecord,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subdivisions: Vec<Named>,
}

#[derive(Serialize)]
struct AsnRecord<'a> {
    autonomous_system_number: u32,
    autonomous_system_organization: &'a str,
}

fn english(name: &str) -> BTreeMap<&'static str, String> {
    BTreeMap::from([("en", name.to_owned())])
}

fn writer(database_type: &str, description: &str) -> Writer {
    Writer::builder(database_type)
        .languages(["en"])
        .description(&[("en", description)])
        .build_epoch(SystemTime::UNIX_EPOCH + Duration::from_secs(BUILD_EPOCH_SECONDS))
        .build()
}

fn invalid(error: mmdb_writer::Error) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, error)
}

fn save(writer: &Writer, path: &Path) -> std::io::Result<()> {
    let bytes = writer.to_bytes().map_err(invalid)?;
    std::fs::write(path, bytes)
}

/// Writes a `GeoLite2-City`-shaped database with these networks (later entries win where
/// networks overlap).
///
/// # Errors
/// An entry the format cannot hold (`InvalidInput`) or a failed write.
pub fn write_city_db(path: &Path, entries: &[CityEntry]) -> std::io::Result<()> {
    let mut db = writer("GeoLite2-City", "Rampart test City database");
    for e in entries {
        let country = e.country.as_ref().map(|code| CountryRecord {
            iso_code: code.clone(),
            names: english(crate::country_name(code).unwrap_or(code)),
        });
        let record = CityRecord {
            city: e.city.as_deref().map(|n| Named { names: english(n) }),
            country,
            location: LocationRecord {
                latitude: e.lat,
                longitude: e.lon,
                accuracy_radius: e.accuracy_radius,
            },
            subdivisions: e
                .region
                .as_deref()
                .map(|n| Named { names: english(n) })
                .into_iter()
                .collect(),
        };
        db.insert(e.network, &record).map_err(invalid)?;
    }
    save(&db, path)
}

/// Writes a `GeoLite2-ASN`-shaped database with these networks.
///
/// # Errors
/// An entry the format cannot hold (`InvalidInput`) or a failed write.
pub fn write_asn_db(path: &Path, entries: &[AsnEntry]) -> std::io::Result<()> {
    let mut db = writer("GeoLite2-ASN", "Rampart test ASN database");
    for e in entries {
        let record = AsnRecord {
            autonomous_system_number: e.asn,
            autonomous_system_organization: &e.org,
        };
        db.insert(e.network, &record).map_err(invalid)?;
    }
    save(&db, path)
}
