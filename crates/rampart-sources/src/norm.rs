//! Normalization shared by the decoders: text, users, IPs, times, coordinates.

use std::net::IpAddr;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use rampart_model::{GeoSource, Location};

use crate::lenient::{Num, Text};

/// Why a record was not turned into a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotSignIn {
    /// A known format, but not a sign-in.
    Skip(String),
    /// Cannot be decoded.
    Reject(String),
}

pub(crate) type Decision = Result<Box<rampart_model::SignIn>, NotSignIn>;

pub(crate) fn reject<T>(reason: impl Into<String>) -> Result<T, NotSignIn> {
    Err(NotSignIn::Reject(reason.into()))
}

pub(crate) fn skip<T>(reason: impl Into<String>) -> Result<T, NotSignIn> {
    Err(NotSignIn::Skip(reason.into()))
}

/// The text of an optional field, `None` when absent or blank.
pub(crate) fn text<'t>(t: &'t Option<Text<'_>>) -> Option<&'t str> {
    t.as_ref()
        .map(|t| t.as_str().trim())
        .filter(|s| !s.is_empty())
}

/// Like [`text`], also treating the literal `"null"` (Okta) as absent.
pub(crate) fn text_not_null<'t>(t: &'t Option<Text<'_>>) -> Option<&'t str> {
    text(t).filter(|s| !s.eq_ignore_ascii_case("null"))
}

pub(crate) fn owned(t: &Option<Text<'_>>) -> Option<String> {
    text(t).map(str::to_owned)
}

pub(crate) fn num(n: &Option<Num>) -> Option<f64> {
    n.and_then(|n| n.0)
}

pub(crate) fn flag(f: &Option<crate::lenient::Flag>) -> Option<bool> {
    f.and_then(|f| f.0)
}

/// A user as the model wants it: trimmed and lower-cased.
pub(crate) fn user(s: &str) -> String {
    s.trim().to_lowercase()
}

/// An autonomous system number, when the value is one.
pub(crate) fn asn(n: Option<f64>) -> Option<u32> {
    n.filter(|n| n.fract() == 0.0 && *n > 0.0 && *n <= f64::from(u32::MAX))
        .map(|n| n as u32)
}

/// Parses an IP address as logs write it: plain, `[v6]`, `[v6]:port`, `v4:port`, with a
/// zone index. `None` for anything else (`"null"`, placeholders such as `<IP ADDRESS>`).
pub(crate) fn ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    let s = match s.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => match s.split_once(':') {
            // `1.2.3.4:443` (a single colon; IPv6 has several).
            Some((host, port)) if !port.contains(':') => host,
            _ => s,
        },
    };
    let s = s.split('%').next().unwrap_or(s);
    s.parse::<IpAddr>().ok()
}

/// Parses a time the way the providers write one: RFC 3339 with an offset or `Z`, or a
/// civil time without a zone (O365 `CreationTime`, SonicWall `time`), which is UTC.
/// A trailing ` UTC` is accepted. The error names the field and the value.
pub(crate) fn time(field: &str, s: &str) -> Result<Timestamp, NotSignIn> {
    let t = s.trim();
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts);
    }
    let civil = t
        .strip_suffix(" UTC")
        .or_else(|| t.strip_suffix(" GMT"))
        .unwrap_or(t);
    let err = match civil.parse::<DateTime>() {
        Ok(dt) => match TimeZone::UTC.to_timestamp(dt) {
            Ok(ts) => return Ok(ts),
            Err(e) => e,
        },
        Err(e) => e,
    };
    reject(format!(
        "`{field}` {s:?} is not a valid time ({})",
        short_error(&err.to_string())
    ))
}

/// Keeps the last clause of a nested error message ("…: parsed second is not valid…").
fn short_error(msg: &str) -> &str {
    msg.rsplit(": ").next().unwrap_or(msg)
}

/// A location from coordinates a provider put in the record: `None` when either is
/// absent, out of range, or the 0,0 the providers use for "unknown".
pub(crate) fn record_location(
    lat: Option<f64>,
    lon: Option<f64>,
    city: Option<&str>,
    region: Option<&str>,
    country: Option<&str>,
) -> Option<Location> {
    let (lat, lon) = (lat?, lon?);
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return None;
    }
    if lat == 0.0 && lon == 0.0 {
        return None;
    }
    Some(Location {
        lat,
        lon,
        city: city.map(str::to_owned),
        region: region.map(str::to_owned),
        country: country.map(str::to_owned),
        source: GeoSource::Record,
        accuracy_km: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ips_in_the_forms_logs_use() {
        assert_eq!(ip("1.2.3.4"), "1.2.3.4".parse().ok());
        assert_eq!(ip(" 1.2.3.4:443 "), "1.2.3.4".parse().ok());
        assert_eq!(
            ip("2a09:bac1:820:8::1a:9c"),
            "2a09:bac1:820:8::1a:9c".parse().ok()
        );
        assert_eq!(ip("[2001:db8::1]:8443"), "2001:db8::1".parse().ok());
        assert_eq!(ip("fe80::1%eth0"), "fe80::1".parse().ok());
        assert_eq!(ip("null"), None);
        assert_eq!(ip("<IP ADDRESS>"), None);
        assert_eq!(ip(""), None);
    }

    #[test]
    fn times_with_and_without_zone() {
        let t = |s| time("t", s).map(|t| t.to_string());
        assert_eq!(
            t("2023-07-23T12:13:33").as_deref(),
            Ok("2023-07-23T12:13:33Z")
        );
        assert_eq!(
            t("2019-10-18T04:45:48.0729893-05:00").as_deref(),
            Ok("2019-10-18T09:45:48.0729893Z")
        );
        assert_eq!(
            t("2022-05-16 15:22:26 UTC").as_deref(),
            Ok("2022-05-16T15:22:26Z")
        );
        assert_eq!(
            t("2007-01-03 14:48:07").as_deref(),
            Ok("2007-01-03T14:48:07Z")
        );
        let Err(NotSignIn::Reject(reason)) = time("CreationTime", "2023-10-10T17:08:65") else {
            panic!("seconds=65 must be rejected");
        };
        assert!(
            reason.starts_with("`CreationTime` \"2023-10-10T17:08:65\" is not a valid time"),
            "{reason}"
        );
    }

    #[test]
    fn zero_zero_and_missing_coordinates_are_unknown() {
        assert!(record_location(Some(0.0), Some(0.0), None, None, None).is_none());
        assert!(record_location(None, Some(1.0), None, None, None).is_none());
        assert!(record_location(Some(91.0), Some(1.0), None, None, None).is_none());
        let l = record_location(
            Some(47.0),
            Some(8.3),
            Some("Lucerne"),
            None,
            Some("Switzerland"),
        );
        assert_eq!(
            l.map(|l| (l.lat, l.lon, l.accuracy_km)),
            Some((47.0, 8.3, None))
        );
    }
}
