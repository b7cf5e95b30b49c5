//! Small pieces every detector's findings are made of: reason texts, scores, id order.

use rampart_model::{Outcome, Reason, ReasonEffect, SignIn};

use crate::travel::Leg;

/// Ids in time order, with the subject's id last.
pub(crate) fn ordered_ids(others: &[&SignIn], subject: &SignIn) -> Vec<String> {
    let mut others: Vec<&SignIn> = others.to_vec();
    others.sort_by_key(|s| s.time);
    let mut ids: Vec<String> = others.into_iter().map(|s| s.record_id.clone()).collect();
    ids.push(subject.record_id.clone());
    ids
}

pub(crate) fn travel_score(leg: &Leg, reasons: &[Reason]) -> u8 {
    let base = 50.0 + 10.0 * leg.infeasibility.log2().clamp(0.0, 4.0);
    let raised = reasons
        .iter()
        .filter(|r| r.effect == ReasonEffect::Raised)
        .count() as f64;
    let lowered = reasons
        .iter()
        .filter(|r| r.effect == ReasonEffect::Lowered)
        .count() as f64;
    (base + 5.0 * raised - 5.0 * lowered).clamp(0.0, 100.0) as u8
}

/// "The sign-in succeeded" or "failed only after the password was proven right", with the code.
pub(crate) fn proven_reason(s: &SignIn, which: &str, effect: ReasonEffect) -> Reason {
    let lead = if s.outcome == Outcome::Success {
        format!("{which} succeeded")
    } else {
        format!("{which} failed only after the password was proven right")
    };
    Reason::new("password_proven", effect, outcome_text(s, &lead))
}

pub(crate) fn outcome_text(s: &SignIn, lead: &str) -> String {
    match (&s.result_code, &s.result_detail) {
        (Some(code), Some(detail)) => format!("{lead} (code {code}: {detail})"),
        (Some(code), None) => format!("{lead} (code {code})"),
        _ => lead.to_owned(),
    }
}

pub(crate) fn human_hours(h: f64) -> String {
    let (n, unit) = if h < 1.0 {
        ((h * 60.0).round(), "minute")
    } else if h < 48.0 {
        (h.round(), "hour")
    } else {
        ((h / 24.0).round(), "day")
    };
    if n == 1.0 {
        format!("1 {unit}")
    } else {
        format!("{n:.0} {unit}s")
    }
}

pub(crate) fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A phone or tablet client.
pub(crate) fn is_mobile(s: &SignIn) -> bool {
    let os = s.os.as_deref().unwrap_or("").to_ascii_lowercase();
    if ["ios", "android", "iphone", "ipad", "ipados"]
        .iter()
        .any(|k| os.starts_with(k))
    {
        return true;
    }
    let ua = s.user_agent.as_deref().unwrap_or("");
    ["iPhone", "iPad", "Android", "Mobile Safari", "Mobile/"]
        .iter()
        .any(|k| ua.contains(k))
        || matches!(
            rampart_geo::network::classify(s.asn, s.network.isp.as_deref()),
            rampart_geo::network::NetworkClass::MobileCarrier
        )
}

pub(crate) fn network_class(s: &SignIn) -> Option<&'static str> {
    match rampart_geo::network::classify(s.asn, s.network.isp.as_deref()) {
        rampart_geo::network::NetworkClass::Hosting => Some("a hosting/cloud network"),
        _ => None,
    }
}

#[cfg(test)]
mod human_hours_tests {
    use super::human_hours;

    #[test]
    fn one_of_a_unit_is_singular() {
        assert_eq!(human_hours(1.2), "1 hour");
        assert_eq!(human_hours(1.0 / 60.0), "1 minute");
        assert_eq!(human_hours(0.5), "30 minutes");
        assert_eq!(human_hours(0.0), "0 minutes");
        assert_eq!(human_hours(5.4), "5 hours");
        assert_eq!(human_hours(50.0), "2 days");
    }
}
