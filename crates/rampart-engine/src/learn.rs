//! Learn once, protect all: what an alert confirmed as a true positive teaches every
//! tenant. The attacker's address becomes an indicator (malicious, TLP:AMBER so that every
//! partner's detection matches it, its provenance the alert — the tenant it came from stays
//! private); the server stores it, matches it live and retro-hunts stored history for it.
//!
//! Only addresses are learned. A user agent is not: the ones attackers use are mostly the
//! same browsers everyone uses, and a malicious verdict on one would flag every user of it.

use std::net::IpAddr;

use jiff::Timestamp;
use rampart_intel::{
    Confidence, Indicator, IndicatorSet, Observable, Provenance, Tag, TagKind, Verdict,
};
use rampart_model::{Evidence, Finding};

/// The confidence of an indicator an analyst confirmed by a true-positive verdict.
pub const LEARNED_CONFIDENCE: u8 = 80;

/// The attacker's addresses in a finding: the side of an impossible trip that does not fit
/// the user, the sign-in from an unfamiliar place, the address shared across tenants or
/// spraying passwords. None for an indicator match (its value is an indicator already) or
/// a Sigma match (no address is the attacker's for sure).
pub fn attacker_addresses(f: &Finding) -> Vec<IpAddr> {
    let ips: Vec<Option<IpAddr>> = match &f.evidence {
        Evidence::Travel(t) => {
            let side = if t.suspicious_side == "from" {
                &t.from
            } else {
                &t.to
            };
            vec![side.ip]
        }
        Evidence::Location(l) => vec![l.signin.ip],
        Evidence::CrossTenant(c) => vec![Some(c.ip)],
        Evidence::Spray(s) => vec![Some(s.ip)],
        Evidence::Indicator(_) | Evidence::Sigma(_) => Vec::new(),
    };
    let mut out: Vec<IpAddr> = ips
        .into_iter()
        .flatten()
        .map(|ip| ip.to_canonical())
        .collect();
    out.dedup();
    out
}

/// The indicators alert `alert_id` (confirmed a true positive at `at`) teaches.
pub fn learned_indicators(alert_id: i64, f: &Finding, at: Timestamp) -> Vec<Indicator> {
    attacker_addresses(f)
        .into_iter()
        .map(|ip| {
            let mut i = Indicator::new(
                Observable::Ip(ip),
                Provenance::Alert {
                    tenant: f.tenant.clone(),
                    alert_id: alert_id.to_string(),
                },
                f.time.min(at),
            );
            // Confirmed now: the decay clock starts at the verdict, not at the attack
            // (an alert may be triaged days later).
            i.last_seen = at.max(i.first_seen);
            i.confidence = Confidence::saturating(i64::from(LEARNED_CONFIDENCE));
            i.tags = vec![
                Tag::new(TagKind::Other, "confirmed-alert"),
                Tag::new(TagKind::Other, f.kind.as_str()),
            ];
            i.description = Some(format!(
                "attacker address of a confirmed alert: {}",
                f.title
            ));
            i
        })
        .collect()
}

/// The confirmed-malicious indicator an alert is tied to, described (`ip 203.0.113.66`),
/// if any: the indicator an indicator match matched, when its verdict was malicious, or a
/// malicious indicator that the alert's tenant may see naming one of the finding's
/// attacker addresses ([`attacker_addresses`]), live at the alert's own time. Such an
/// alert is not closed as benign or a false positive without an explicit override.
pub fn malicious_tie(f: &Finding, live: &IndicatorSet) -> Option<String> {
    let at = f.time;
    if let Evidence::Indicator(e) = &f.evidence {
        return (e.indicator.verdict == Verdict::Malicious.as_str())
            .then(|| format!("{} {}", e.indicator.kind, e.indicator.value));
    }
    attacker_addresses(f).into_iter().find_map(|ip| {
        live.decide_for(&Observable::Ip(ip), at, &f.tenant)
            .filter(|m| m.indicator.verdict == Verdict::Malicious)
            .map(|_| format!("ip {ip}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_model::{FindingKind, Severity, SideEvidence, TravelEvidence};

    fn side(ip: &str, t: &str) -> SideEvidence {
        SideEvidence {
            record_id: format!("r-{ip}"),
            time: t.parse().unwrap(),
            ip: Some(ip.parse().unwrap()),
            city: None,
            region: None,
            country: None,
            lat: None,
            lon: None,
            uncertainty_km: None,
            geo_source: None,
            outcome: rampart_model::Outcome::Success,
            result_code: None,
            app: None,
            user_agent: Some("Mozilla/5.0".into()),
            asn: None,
            source_format: rampart_model::SourceFormat::EntraGraph,
        }
    }

    fn travel(suspicious: &str) -> Finding {
        Finding {
            kind: FindingKind::ImpossibleTravel,
            severity: Severity::High,
            score: 80,
            tenant: "acme".parse().unwrap(),
            user: "ann@acme.test".into(),
            time: "2026-10-20T14:20:00Z".parse().unwrap(),
            title: "New York to Phoenix in 20 minutes".into(),
            event_ids: vec!["ny".into(), "phx".into()],
            evidence: Evidence::Travel(Box::new(TravelEvidence {
                from: side("198.51.100.7", "2026-10-20T14:00:00Z"),
                to: side("::ffff:203.0.113.66", "2026-10-20T14:20:00Z"),
                suspicious_side: suspicious.into(),
                distance_km: 3450.0,
                min_distance_km: 3400.0,
                minutes: 20.0,
                required_speed_kmh: 10350.0,
                fastest_travel_minutes: 300.0,
                infeasibility: 15.0,
                reasons: Vec::new(),
            })),
        }
    }

    #[test]
    fn the_side_that_does_not_fit_the_user_is_learned_as_a_private_amber_indicator() {
        let at: Timestamp = "2026-10-20T15:00:00Z".parse().unwrap();
        let learned = learned_indicators(12, &travel("to"), at);
        assert_eq!(learned.len(), 1);
        let i = &learned[0];
        // IPv4-mapped IPv6 is the IPv4 address.
        assert_eq!(
            i.observable,
            Observable::Ip("203.0.113.66".parse().unwrap())
        );
        assert_eq!(i.tlp, rampart_intel::Tlp::Amber);
        assert_eq!(i.verdict, rampart_intel::Verdict::Malicious);
        assert_eq!(i.confidence.get(), LEARNED_CONFIDENCE);
        assert_eq!(
            i.provenance,
            Provenance::Alert {
                tenant: "acme".parse().unwrap(),
                alert_id: "12".into()
            }
        );
        assert_eq!(
            i.first_seen,
            "2026-10-20T14:20:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(i.last_seen, at, "the decay clock starts at the verdict");
        assert_eq!(
            attacker_addresses(&travel("from")),
            ["198.51.100.7".parse::<IpAddr>().unwrap()]
        );
    }

    #[test]
    fn an_alert_is_tied_to_a_live_malicious_indicator_on_its_attacker_side_only() {
        let at: Timestamp = "2026-10-20T15:00:00Z".parse().unwrap();
        let mut live = IndicatorSet::new();
        // Learned at another tenant: TLP amber, so it counts here too.
        let mut other = learned_indicators(3, &travel("to"), at);
        other[0].provenance = Provenance::Alert {
            tenant: "brightline".parse().unwrap(),
            alert_id: "3".into(),
        };
        live.insert(other.remove(0));
        assert_eq!(
            malicious_tie(&travel("to"), &live).as_deref(),
            Some("ip 203.0.113.66")
        );
        // The other side of the trip is the user's own: no tie.
        assert_eq!(malicious_tie(&travel("from"), &live), None);
        assert_eq!(malicious_tie(&travel("to"), &IndicatorSet::new()), None);
    }
}
