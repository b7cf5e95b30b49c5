//! Hand-made sign-ins for the detector tests.
#![allow(dead_code)]

use jiff::{Timestamp, ToSpan};
use rampart_model::{GeoSource, Location, Outcome, SignIn, SourceFormat, TenantId};

pub const NYC: (f64, f64, &str, &str) = (40.7128, -74.0060, "New York", "US");
pub const PHX: (f64, f64, &str, &str) = (33.4484, -112.0740, "Phoenix", "US");
pub const LON: (f64, f64, &str, &str) = (51.5074, -0.1278, "London", "GB");
pub const DAL: (f64, f64, &str, &str) = (32.7767, -96.7970, "Dallas", "US");
pub const LAGOS: (f64, f64, &str, &str) = (6.5244, 3.3792, "Lagos", "NG");

pub fn t0() -> Timestamp {
    "2026-07-01T13:00:00Z".parse().unwrap()
}

pub struct B(pub SignIn);

pub fn signin(
    tenant: &str,
    user: &str,
    minutes: i64,
    ip: &str,
    place: (f64, f64, &str, &str),
) -> B {
    B(SignIn {
        tenant: Some(TenantId::new(tenant).unwrap()),
        provider_tenant: None,
        user: user.to_owned(),
        time: t0().checked_add(minutes.minutes()).unwrap(),
        ip: Some(ip.parse().unwrap()),
        location: Some(Location {
            lat: place.0,
            lon: place.1,
            city: Some(place.2.to_owned()),
            region: None,
            country: Some(place.3.to_owned()),
            source: GeoSource::Record,
            accuracy_km: None,
        }),
        asn: None,
        network: Default::default(),
        app: Some("Office 365 Exchange Online".into()),
        client_app: None,
        user_agent: Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0".into()),
        os: Some("Windows 10".into()),
        device_id: None,
        interactive: Some(true),
        session_id: None,
        correlation_id: None,
        outcome: Outcome::Success,
        result_code: Some("0".into()),
        result_detail: None,
        source_format: SourceFormat::EntraGraph,
        record_id: format!("{tenant}-{user}-{minutes}-{ip}"),
    })
}

impl B {
    pub fn outcome(mut self, o: Outcome, code: &str) -> B {
        self.0.outcome = o;
        self.0.result_code = Some(code.into());
        self
    }
    pub fn ua(mut self, os: &str, ua: &str) -> B {
        self.0.os = Some(os.into());
        self.0.user_agent = Some(ua.into());
        self
    }
    pub fn done(self) -> SignIn {
        self.0
    }
}

/// A user with an established New York baseline: two sign-ins a day for `days` days, before t0.
pub fn baseline(tenant: &str, user: &str, days: i64) -> Vec<SignIn> {
    let mut v = Vec::new();
    for d in 1..=days {
        v.push(signin(tenant, user, -d * 1440 - 240, "203.0.113.10", NYC).done());
        v.push(signin(tenant, user, -d * 1440 - 60, "203.0.113.10", NYC).done());
    }
    v
}
