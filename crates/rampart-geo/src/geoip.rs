//! IP → location and autonomous system from MaxMind-format (`.mmdb`) databases.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use maxminddb::{MaxMindDbError, Reader, geoip2};
use rampart_model::{GeoSource, Location};

use crate::country;

/// Why a GeoIP database could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GeoError {
    /// No database file was given.
    #[error(
        "no GeoIP database given: pass a City .mmdb file (GeoLite2-City, GeoIP2-City, DB-IP City)"
    )]
    NoDatabase,
    /// The file could not be read.
    #[error("cannot read GeoIP database {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a MaxMind DB.
    #[error("{} is not a MaxMind DB (.mmdb) file ({reason}); give the .mmdb itself, not the .tar.gz or .csv download", path.display())]
    NotMmdb { path: PathBuf, reason: String },
    /// The database is valid but of a kind this crate does not use.
    #[error(
        "{}: database type \"{database_type}\" is not supported; give a City database \
         (GeoLite2-City, GeoIP2-City, DB-IP City) and optionally an ASN database (GeoLite2-ASN)",
        path.display()
    )]
    UnknownDatabaseType {
        path: PathBuf,
        database_type: String,
    },
    /// Two databases of the same kind were given.
    #[error(
        "{} and {} are both {kind} databases; give at most one of each kind",
        first.display(),
        path.display()
    )]
    Duplicate {
        path: PathBuf,
        first: PathBuf,
        kind: DatabaseKind,
    },
}

/// What a database is used for, from its `database_type` metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DatabaseKind {
    /// Positions (City, Enterprise).
    City,
    /// Country only: positions become the country's centroid with its equivalent radius.
    Country,
    /// Autonomous systems (ASN, ISP).
    Asn,
}

impl fmt::Display for DatabaseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DatabaseKind::City => "City",
            DatabaseKind::Country => "Country",
            DatabaseKind::Asn => "ASN",
        })
    }
}

impl DatabaseKind {
    fn of(database_type: &str) -> Option<DatabaseKind> {
        let lower = database_type.to_ascii_lowercase();
        let has = |word: &str| {
            lower
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == word)
        };
        // "GeoLite2-ASN", "GeoIP2-ISP", "DBIP-ASN-Lite (compat=GeoLite2-ASN)".
        if has("asn") || has("isp") {
            Some(DatabaseKind::Asn)
        } else if has("city") || has("enterprise") {
            Some(DatabaseKind::City)
        } else if has("country") {
            Some(DatabaseKind::Country)
        } else {
            None
        }
    }
}

struct Db {
    path: PathBuf,
    kind: DatabaseKind,
    reader: Reader<Vec<u8>>,
}

impl Db {
    fn open(path: &Path) -> Result<Db, GeoError> {
        let bytes = std::fs::read(path).map_err(|source| GeoError::Read {
            path: path.to_owned(),
            source,
        })?;
        let reader = Reader::from_source(bytes).map_err(|e| GeoError::NotMmdb {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let database_type = reader.metadata().database_type.clone();
        let kind =
            DatabaseKind::of(&database_type).ok_or_else(|| GeoError::UnknownDatabaseType {
                path: path.to_owned(),
                database_type,
            })?;
        Ok(Db {
            path: path.to_owned(),
            kind,
            reader,
        })
    }

    fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    fn built(&self) -> String {
        civil_date(self.reader.metadata().build_epoch)
    }

    fn log_failure(&self, ip: IpAddr, error: &MaxMindDbError) {
        tracing::debug!(path = %self.path.display(), %ip, %error, "GeoIP lookup failed");
    }
}

/// One or more opened `.mmdb` files: a City database and optionally an ASN database.
///
/// The files are read into memory once; lookups do no I/O. Nothing is ever downloaded.
pub struct GeoIp {
    location: Option<Db>,
    asn: Option<Db>,
}

impl fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeoIp")
            .field("description", &self.description())
            .finish()
    }
}

/// What the databases know about one address.
#[derive(Clone, Debug, PartialEq)]
pub struct GeoHit {
    /// The position, with `source` [`GeoSource::GeoIp`] and `accuracy_km` the database's
    /// `accuracy_radius` (km, 67 % confidence) as stored, not yet widened for country-level
    /// results (that is [`enrich`](crate::enrich)'s job).
    pub location: Option<Location>,
    pub asn: Option<u32>,
    /// The autonomous system's organisation (or the ISP's name).
    pub as_org: Option<String>,
}

impl GeoIp {
    /// Opens the given databases. Each file's kind comes from its `database_type` metadata:
    /// City (GeoLite2-City, GeoIP2-City, GeoIP2-Enterprise, DB-IP City), Country, or ASN
    /// (GeoLite2-ASN, GeoIP2-ISP, DB-IP ASN). At most one position database (City or Country)
    /// and one ASN database.
    ///
    /// # Errors
    /// [`GeoError`] naming the file: unreadable, not an mmdb, an unsupported database type,
    /// or a second database of a kind already given.
    pub fn open(paths: &[PathBuf]) -> Result<GeoIp, GeoError> {
        if paths.is_empty() {
            return Err(GeoError::NoDatabase);
        }
        let mut geoip = GeoIp {
            location: None,
            asn: None,
        };
        for path in paths {
            let db = Db::open(path)?;
            let slot = match db.kind {
                DatabaseKind::City | DatabaseKind::Country => &mut geoip.location,
                DatabaseKind::Asn => &mut geoip.asn,
            };
            if let Some(first) = slot {
                return Err(GeoError::Duplicate {
                    path: path.clone(),
                    first: first.path.clone(),
                    kind: db.kind,
                });
            }
            tracing::debug!(path = %path.display(), database_type = db.database_type(), built = %db.built(), "opened GeoIP database");
            *slot = Some(db);
        }
        Ok(geoip)
    }

    /// Looks an address up. `None` when no database knows anything about it.
    pub fn lookup(&self, ip: IpAddr) -> Option<GeoHit> {
        let location = self.location.as_ref().and_then(|db| match db.kind {
            DatabaseKind::Country => lookup_country(db, ip),
            _ => lookup_city(db, ip),
        });
        let (asn, as_org) = self
            .asn
            .as_ref()
            .map(|db| lookup_asn(db, ip))
            .unwrap_or_default();
        if location.is_none() && asn.is_none() && as_org.is_none() {
            return None;
        }
        Some(GeoHit {
            location,
            asn,
            as_org,
        })
    }

    /// The databases in use, for provenance in evidence:
    /// `"GeoLite2-City built 2026-11-01 (+ GeoLite2-ASN)"`.
    pub fn description(&self) -> String {
        let mut parts = self.location.iter().chain(self.asn.iter());
        let Some(first) = parts.next() else {
            return "no GeoIP database".to_owned();
        };
        let mut text = format!("{} built {}", first.database_type(), first.built());
        for other in parts {
            text.push_str(&format!(" (+ {})", other.database_type()));
        }
        text
    }
}

fn lookup_city(db: &Db, ip: IpAddr) -> Option<Location> {
    let city = match db
        .reader
        .lookup(ip)
        .and_then(|r| r.decode::<geoip2::City>())
    {
        Ok(city) => city?,
        Err(e) => {
            db.log_failure(ip, &e);
            return None;
        }
    };
    let country = city.country.iso_code.map(str::to_owned);
    let (lat, lon) = match (city.location.latitude, city.location.longitude) {
        (Some(lat), Some(lon)) if valid_coordinates(lat, lon) => (lat, lon),
        // Some records carry only the country: place them at its centroid, country-sized.
        _ => return country.and_then(country_level),
    };
    Some(Location {
        lat,
        lon,
        city: city.city.names.english.map(str::to_owned),
        region: city
            .subdivisions
            .first()
            .and_then(|s| s.names.english)
            .map(str::to_owned),
        country,
        source: GeoSource::GeoIp,
        accuracy_km: city.location.accuracy_radius.map(f64::from),
    })
}

fn lookup_country(db: &Db, ip: IpAddr) -> Option<Location> {
    match db
        .reader
        .lookup(ip)
        .and_then(|r| r.decode::<geoip2::Country>())
    {
        Ok(record) => record?
            .country
            .iso_code
            .map(str::to_owned)
            .and_then(country_level),
        Err(e) => {
            db.log_failure(ip, &e);
            None
        }
    }
}

/// A position known only to the country: its centroid, with its equivalent radius.
fn country_level(code: String) -> Option<Location> {
    let c = country::find(&code)?;
    let (lat, lon) = c.centroid?;
    Some(Location {
        lat,
        lon,
        city: None,
        region: None,
        country: Some(c.alpha2.to_owned()),
        source: GeoSource::GeoIp,
        accuracy_km: c.radius_km(),
    })
}

fn lookup_asn(db: &Db, ip: IpAddr) -> (Option<u32>, Option<String>) {
    // `Isp` is a superset of `Asn`, so one decode serves GeoLite2-ASN and GeoIP2-ISP.
    match db.reader.lookup(ip).and_then(|r| r.decode::<geoip2::Isp>()) {
        Ok(Some(isp)) => {
            let org = isp
                .autonomous_system_organization
                .or(isp.isp)
                .or(isp.organization)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned);
            (isp.autonomous_system_number, org)
        }
        Ok(None) => (None, None),
        Err(e) => {
            db.log_failure(ip, &e);
            (None, None)
        }
    }
}

pub(crate) fn valid_coordinates(lat: f64, lon: f64) -> bool {
    lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0
}

/// `YYYY-MM-DD` (UTC) of a Unix timestamp (Howard Hinnant's days-to-civil algorithm).
fn civil_date(epoch_seconds: u64) -> String {
    let days = i64::try_from(epoch_seconds / 86_400).unwrap_or(i64::MAX / 2);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(951_782_400), "2000-02-29");
        assert_eq!(civil_date(1_793_491_200), "2026-11-01");
        assert_eq!(civil_date(1_793_577_599), "2026-11-01");
    }

    #[test]
    fn database_kinds() {
        assert_eq!(DatabaseKind::of("GeoLite2-City"), Some(DatabaseKind::City));
        assert_eq!(DatabaseKind::of("GeoIP2-City"), Some(DatabaseKind::City));
        assert_eq!(DatabaseKind::of("DBIP-City-Lite"), Some(DatabaseKind::City));
        assert_eq!(
            DatabaseKind::of("GeoIP2-Enterprise"),
            Some(DatabaseKind::City)
        );
        assert_eq!(
            DatabaseKind::of("GeoLite2-Country"),
            Some(DatabaseKind::Country)
        );
        assert_eq!(DatabaseKind::of("GeoLite2-ASN"), Some(DatabaseKind::Asn));
        assert_eq!(
            DatabaseKind::of("DBIP-ASN-Lite (compat=GeoLite2-ASN)"),
            Some(DatabaseKind::Asn)
        );
        assert_eq!(DatabaseKind::of("GeoIP2-ISP"), Some(DatabaseKind::Asn));
        assert_eq!(DatabaseKind::of("GeoIP2-Anonymous-IP"), None);
        assert_eq!(DatabaseKind::of("GeoIP2-Connection-Type"), None);
    }
}
