//! Turning sign-ins into the evidence analysts read.

use rampart_model::{SideEvidence, SignIn};

/// One side of a finding's evidence; `uncertainty_km` is the radius the detector used.
pub(crate) fn side(s: &SignIn, uncertainty_km: Option<f64>) -> SideEvidence {
    let loc = s.location.as_ref();
    SideEvidence {
        record_id: s.record_id.clone(),
        time: s.time,
        ip: s.ip,
        city: loc.and_then(|l| l.city.clone()),
        region: loc.and_then(|l| l.region.clone()),
        country: loc.and_then(|l| l.country.clone()),
        lat: loc.map(|l| l.lat),
        lon: loc.map(|l| l.lon),
        uncertainty_km: uncertainty_km.map(|r| (r * 10.0).round() / 10.0),
        geo_source: loc.map(|l| l.source),
        outcome: s.outcome,
        result_code: s.result_code.clone(),
        app: s.app.clone(),
        user_agent: s.user_agent.clone(),
        asn: s.asn,
        source_format: s.source_format,
    }
}

/// "Phoenix, US", or the coordinates when the record names no place.
pub(crate) fn place_name(s: &SignIn) -> String {
    let Some(loc) = &s.location else {
        return s
            .ip
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "an unknown place".into());
    };
    match (&loc.city, &loc.region, &loc.country) {
        (Some(city), _, Some(cc)) => format!("{city}, {cc}"),
        (Some(city), _, None) => city.clone(),
        (None, Some(region), Some(cc)) => format!("{region}, {cc}"),
        (None, None, Some(cc)) => cc.clone(),
        _ => format!("{:.2},{:.2}", loc.lat, loc.lon),
    }
}
