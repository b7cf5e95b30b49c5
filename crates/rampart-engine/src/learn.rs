//! Learn once, protect all: what an alert confirmed as a true positive teaches every
//! tenant. The attacker's address becomes an indicator (malicious, TLP:AMBER so that every
//! partner's detection matches it, its provenance the alert — the tenant it came from stays
//! private); the server stores it, matches it live and retro-hunts stored history for it.
//!
//! Only addresses are learned. A user agent is not: the ones attackers use are mostly the
//! same browsers everyone uses, and a malicious verdict on one would flag every user of it.

use std::net::IpAddr;

use jiff::Timestamp;
use rampart_intel::{Confidence, Indicator, Observable, Provenance, Tag, TagKind};
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
            i.last_seen = f.time.min(at);
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
        assert_eq!(
            attacker_addresses(&travel("from")),
            ["198.51.100.7".parse::<IpAddr>().unwrap()]
        );
    }
}
