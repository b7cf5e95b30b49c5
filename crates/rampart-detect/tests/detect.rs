//! Behaviour of the detectors on small, hand-made timelines. Each test is one rule.

mod support;

use std::net::IpAddr;

use jiff::ToSpan;
use rampart_detect::{DetectConfig, IndicatorSet, TenantPolicy, hunt};
use rampart_model::{
    Evidence, Finding, FindingKind, Outcome, ReasonEffect, Severity, SignIn, TenantId,
};
use support::*;

fn run(signins: &[SignIn]) -> Vec<Finding> {
    hunt(signins, &DetectConfig::default(), &IndicatorSet::new()).findings
}

fn of(findings: &[Finding], kind: FindingKind) -> Vec<&Finding> {
    findings.iter().filter(|f| f.kind == kind).collect()
}

#[test]
fn new_york_to_phoenix_in_20_minutes_with_a_credential_valid_failure_is_critical() {
    let mut s = baseline("acme", "ana@acme.example", 12);
    s.push(signin("acme", "ana@acme.example", 0, "203.0.113.10", NYC).done());
    s.push(
        signin("acme", "ana@acme.example", 20, "45.155.205.12", PHX)
            .outcome(Outcome::CredentialValidFailure, "50074")
            .done(),
    );
    let f = run(&s);
    let travel = of(&f, FindingKind::ImpossibleTravel);
    assert_eq!(travel.len(), 1, "{f:#?}");
    let t = travel[0];
    assert_eq!(t.severity, Severity::Critical);
    assert_eq!(
        t.event_ids.last().unwrap(),
        "acme-ana@acme.example-20-45.155.205.12"
    );
    assert_eq!(t.event_ids.len(), 2);
    let Evidence::Travel(ev) = &t.evidence else {
        panic!()
    };
    assert_eq!(ev.suspicious_side, "to");
    assert!((ev.distance_km - 3443.0).abs() < 30.0, "{}", ev.distance_km);
    assert!((ev.minutes - 20.0).abs() < 0.01);
    assert!(ev.required_speed_kmh > 9000.0);
    assert_eq!(ev.to.city.as_deref(), Some("Phoenix"));
    assert!(
        ev.reasons
            .iter()
            .any(|r| r.code == "unfamiliar_place" && r.effect == ReasonEffect::Raised)
    );
    assert!(t.title.contains("proved the password"), "{}", t.title);
}

#[test]
fn a_young_baseline_still_rates_a_password_proven_far_side_high_and_says_so() {
    let s = vec![
        signin("acme", "bo@acme.example", 0, "203.0.113.10", NYC).done(),
        signin("acme", "bo@acme.example", 20, "45.155.205.12", PHX).done(),
    ];
    let f = run(&s);
    let t = of(&f, FindingKind::ImpossibleTravel);
    assert_eq!(t.len(), 1);
    assert!(t[0].severity >= Severity::High);
    assert!(
        t[0].evidence
            .reasons()
            .iter()
            .any(|r| r.code == "young_baseline")
    );
}

#[test]
fn a_bad_password_far_side_is_never_travel() {
    let mut s = baseline("acme", "cy@acme.example", 3);
    s.push(signin("acme", "cy@acme.example", 0, "203.0.113.10", NYC).done());
    s.push(
        signin("acme", "cy@acme.example", 10, "45.155.205.12", LAGOS)
            .outcome(Outcome::BadCredentials, "50126")
            .done(),
    );
    assert!(run(&s).is_empty());
}

#[test]
fn the_same_ip_on_both_sides_is_never_travel() {
    // The provider moved the IP's geolocation between two sign-ins.
    let s = vec![
        signin("acme", "di@acme.example", 0, "198.51.100.20", NYC).done(),
        signin("acme", "di@acme.example", 5, "198.51.100.20", DAL).done(),
    ];
    assert!(of(&run(&s), FindingKind::ImpossibleTravel).is_empty());
}

#[test]
fn trusted_networks_have_no_usable_location() {
    let s = vec![
        signin("acme", "ed@acme.example", 0, "203.0.113.10", NYC).done(),
        // Corporate VPN egress geolocated in Dallas.
        signin("acme", "ed@acme.example", 10, "198.51.100.7", DAL).done(),
    ];
    let mut cfg = DetectConfig::default();
    cfg.tenants.insert(
        TenantId::new("acme").unwrap(),
        TenantPolicy {
            trusted_networks: vec!["198.51.100.0/24".parse().unwrap()],
        },
    );
    let out = hunt(&s, &cfg, &IndicatorSet::new());
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    assert_eq!(out.stats.not_endpoint.get("trusted_network"), Some(&1));
    // Without the declaration the same pair is raised.
    assert_eq!(of(&run(&s), FindingKind::ImpossibleTravel).len(), 1);
}

#[test]
fn a_network_many_users_share_on_many_days_is_an_undeclared_egress() {
    let mut s = Vec::new();
    for (n, user) in ["a", "b", "c", "d"].iter().enumerate() {
        let user = format!("{user}@acme.example");
        for day in 0..4 {
            let m = day * 1440 + n as i64 * 7;
            s.push(signin("acme", &user, m, &format!("203.0.{}.10", 113 + n), NYC).done());
            s.push(signin("acme", &user, m + 10, "192.0.2.50", DAL).done());
        }
    }
    let out = hunt(&s, &DetectConfig::default(), &IndicatorSet::new());
    assert!(
        of(&out.findings, FindingKind::ImpossibleTravel).is_empty(),
        "{:#?}",
        out.findings
    );
    // Prevalence is judged as of each sign-in: the network is common from the third day on
    // (four users, three days), so that day's and the next day's eight sign-ins from it
    // have no usable location. The eight before were judged as what they seemed; the
    // impossible trips they made are held back once the network is known (above).
    assert_eq!(out.stats.not_endpoint.get("shared_egress"), Some(&8));
}

#[test]
fn a_flight_is_not_impossible_but_a_new_country_is_noted_low() {
    let mut s = baseline("acme", "fay@acme.example", 12);
    s.push(signin("acme", "fay@acme.example", 0, "203.0.113.10", NYC).done());
    // JFK → LHR: boards after the sign-in, lands 7.5 h later, signs in 8 h 15 min later.
    s.push(signin("acme", "fay@acme.example", 495, "81.2.69.160", LON).done());
    s.push(signin("acme", "fay@acme.example", 600, "81.2.69.160", LON).done());
    let f = run(&s);
    assert!(of(&f, FindingKind::ImpossibleTravel).is_empty(), "{f:#?}");
    let u = of(&f, FindingKind::UnfamiliarLocation);
    assert_eq!(u.len(), 1, "{f:#?}");
    assert_eq!(u[0].severity, Severity::Low);
    assert!(
        u[0].title.contains("United Kingdom") || u[0].title.contains("GB"),
        "{}",
        u[0].title
    );
}

#[test]
fn a_phone_on_a_carrier_in_the_same_country_is_not_travel() {
    let mut s = baseline("acme", "gus@acme.example", 2);
    s.push(signin("acme", "gus@acme.example", 0, "203.0.113.10", NYC).done());
    s.push(
        signin("acme", "gus@acme.example", 6, "172.56.10.1", DAL)
            .ua(
                "iOS 17",
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148",
            )
            .done(),
    );
    assert!(of(&run(&s), FindingKind::ImpossibleTravel).is_empty());
    // A phone in another continent is still impossible.
    let mut s = baseline("acme", "gus@acme.example", 2);
    s.push(signin("acme", "gus@acme.example", 0, "203.0.113.10", NYC).done());
    s.push(
        signin("acme", "gus@acme.example", 6, "102.89.1.1", LAGOS)
            .ua(
                "Android 14",
                "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36",
            )
            .done(),
    );
    assert_eq!(of(&run(&s), FindingKind::ImpossibleTravel).len(), 1);
}

#[test]
fn an_attacker_between_two_home_sign_ins_is_the_suspicious_side() {
    let mut s = baseline("acme", "hal@acme.example", 12);
    // Home, "London" 5 h later (a flight needs 7), home again 40 min after that.
    s.push(signin("acme", "hal@acme.example", 0, "203.0.113.10", NYC).done());
    s.push(signin("acme", "hal@acme.example", 300, "185.220.101.4", LON).done());
    s.push(signin("acme", "hal@acme.example", 340, "203.0.113.10", NYC).done());
    let f = run(&s);
    let t = of(&f, FindingKind::ImpossibleTravel);
    assert_eq!(t.len(), 1, "{f:#?}");
    assert_eq!(
        t[0].event_ids.last().unwrap(),
        "acme-hal@acme.example-300-185.220.101.4"
    );
    assert!(
        t[0].evidence.reasons().iter().any(|r| r.code == "returned"),
        "{:#?}",
        t[0]
    );
    assert_eq!(t[0].severity, Severity::Critical);
}

#[test]
fn the_earlier_side_is_blamed_when_the_later_one_is_home() {
    // Feasible on arrival (10 h after home), impossible against the return 30 min later.
    let mut s = baseline("acme", "ivy@acme.example", 12);
    s.push(signin("acme", "ivy@acme.example", 0, "203.0.113.10", NYC).done());
    s.push(signin("acme", "ivy@acme.example", 600, "185.220.101.4", LON).done());
    s.push(signin("acme", "ivy@acme.example", 630, "203.0.113.10", NYC).done());
    let f = run(&s);
    let t = of(&f, FindingKind::ImpossibleTravel);
    assert_eq!(t.len(), 1, "{f:#?}");
    assert_eq!(t[0].time, t0().checked_add(600.minutes()).unwrap());
    let Evidence::Travel(ev) = &t[0].evidence else {
        panic!()
    };
    assert_eq!(ev.suspicious_side, "from");
}

#[test]
fn the_attacker_ip_at_another_partner_is_a_cross_tenant_finding_that_names_no_one() {
    let mut s = baseline("acme", "ana@acme.example", 12);
    s.push(signin("acme", "ana@acme.example", 0, "203.0.113.10", NYC).done());
    s.push(
        signin("acme", "ana@acme.example", 20, "45.155.205.12", PHX)
            .outcome(Outcome::CredentialValidFailure, "50076")
            .done(),
    );
    // The vacationer at brightline really is in Phoenix: travel is feasible there.
    for m in [-3000, -1500, 30, 100] {
        s.push(signin("brightline", "vic@brightline.example", m, "70.167.1.1", PHX).done());
    }
    s.push(
        signin(
            "brightline",
            "vic@brightline.example",
            200,
            "45.155.205.12",
            PHX,
        )
        .outcome(Outcome::CredentialValidFailure, "50074")
        .done(),
    );
    let f = run(&s);
    let x = of(&f, FindingKind::CrossTenantIp);
    assert_eq!(x.len(), 1, "{f:#?}");
    assert_eq!(x[0].tenant.as_str(), "brightline");
    assert!(x[0].severity >= Severity::High);
    assert!(!x[0].title.contains("acme"), "{}", x[0].title);
    assert!(
        x[0].evidence
            .reasons()
            .iter()
            .all(|r| !r.text.contains("acme"))
    );
    let Evidence::CrossTenant(ev) = &x[0].evidence else {
        panic!()
    };
    assert_eq!(ev.origin_tenant.as_str(), "acme");
    // No travel finding for the vacationer herself.
    assert!(
        f.iter()
            .all(|f| f.tenant.as_str() != "brightline" || f.kind == FindingKind::CrossTenantIp)
    );
}

#[test]
fn cross_tenant_works_in_either_order_and_only_within_the_window() {
    let mut s = baseline("acme", "ana@acme.example", 12);
    s.push(signin("acme", "ana@acme.example", 0, "203.0.113.10", NYC).done());
    s.push(signin("acme", "ana@acme.example", 20, "45.155.205.12", PHX).done());
    // Two days *before* the takeover at acme, and ten days before: only the first is in the window.
    s.push(
        signin(
            "brightline",
            "vic@brightline.example",
            -2880,
            "45.155.205.12",
            PHX,
        )
        .done(),
    );
    s.push(
        signin(
            "brightline",
            "zed@brightline.example",
            -14400,
            "45.155.205.12",
            PHX,
        )
        .done(),
    );
    let f = run(&s);
    let x = of(&f, FindingKind::CrossTenantIp);
    assert_eq!(x.len(), 1, "{f:#?}");
    assert_eq!(x[0].user, "vic@brightline.example");
    assert!(x[0].title.contains("later"), "{}", x[0].title);
}

#[test]
fn an_indicator_hit_with_a_proven_password_is_critical() {
    let (set, errors) = IndicatorSet::from_bytes(
        b"type,value,description,tags\nipv4,45.155.205[.]12,AiTM relay,campaign:Storm-1\ncidr,185.220.101.0/24,kit,\n",
        "campaign.csv",
    );
    assert!(errors.is_empty());
    let s = vec![
        signin("delta", "kim@delta.example", 0, "185.220.101.9", NYC).done(),
        signin("delta", "lee@delta.example", 5, "45.155.205.12", NYC)
            .outcome(Outcome::BadCredentials, "50126")
            .done(),
    ];
    let f = hunt(&s, &DetectConfig::default(), &set).findings;
    let hits = of(&f, FindingKind::IndicatorMatch);
    assert_eq!(hits.len(), 2, "{f:#?}");
    assert_eq!(hits[0].severity, Severity::Critical);
    assert_eq!(hits[1].severity, Severity::Medium);
    let Evidence::Indicator(ev) = &hits[0].evidence else {
        panic!()
    };
    assert_eq!(ev.indicator_source, "campaign.csv line 3");
    assert_eq!(ev.indicator.kind, "cidr");
    assert_eq!(ev.indicator.value, "185.220.101.0/24");
    assert_eq!(ev.indicator.matched, "network /24");
    assert_eq!(ev.indicator.verdict, "malicious");
    assert_eq!(ev.indicator.tlp, "amber");
    let Evidence::Indicator(relay) = &hits[1].evidence else {
        panic!()
    };
    assert_eq!(relay.indicator.tags, ["campaign:Storm-1"]);
    assert!(
        hits[1].title.contains("[campaign Storm-1]"),
        "{}",
        hits[1].title
    );
}

#[test]
fn indicators_are_judged_at_the_sign_ins_time() {
    // Dated indicators: the relay was last seen just before the sign-ins, the old host
    // a year earlier (an IP's decay retires it after about a month).
    let (set, errors) = IndicatorSet::from_bytes(
        b"type,value,description,last_seen,verdict\n\
          ipv4,45.155.205.12,relay,2026-06-30T00:00:00Z,malicious\n\
          ipv4,203.0.113.77,old host,2025-06-01T00:00:00Z,malicious\n\
          ipv4,198.51.100.4,listed as suspicious,2026-06-30T00:00:00Z,suspicious\n",
        "dated.csv",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let s = vec![
        signin("delta", "kim@delta.example", 0, "45.155.205.12", NYC).done(),
        signin("delta", "lee@delta.example", 5, "203.0.113.77", NYC).done(),
        signin("delta", "max@delta.example", 9, "198.51.100.4", NYC).done(),
    ];
    let f = hunt(&s, &DetectConfig::default(), &set).findings;
    let hits = of(&f, FindingKind::IndicatorMatch);
    let users: Vec<&str> = hits.iter().map(|f| f.user.as_str()).collect();
    assert_eq!(users, ["kim@delta.example", "max@delta.example"], "{f:#?}");
    // suspicious: one step lower than malicious
    assert_eq!(hits[0].severity, Severity::Critical);
    assert_eq!(hits[1].severity, Severity::High);
}

#[test]
fn both_places_familiar_is_not_raised() {
    // A laptop that shows up in two far-apart places within half an hour, every day.
    let mut s = Vec::new();
    for d in 0..14 {
        s.push(signin("acme", "max@acme.example", d * 1440, "203.0.113.10", NYC).done());
        s.push(signin("acme", "max@acme.example", d * 1440 + 30, "192.0.2.80", DAL).done());
    }
    let f = run(&s);
    let t = of(&f, FindingKind::ImpossibleTravel);
    // A finding on the first days; once the user has come back on four distinct
    // days the second place is theirs (a personal VPN, a second office), not an attack.
    assert!(!t.is_empty() && t.len() <= 4, "{t:#?}");
    assert!(
        t.iter()
            .all(|f| f.time < t0().checked_add((4 * 1440).minutes()).unwrap())
    );
}

#[test]
fn input_order_does_not_matter() {
    let mut s = baseline("acme", "ana@acme.example", 12);
    s.push(signin("acme", "ana@acme.example", 0, "203.0.113.10", NYC).done());
    s.push(signin("acme", "ana@acme.example", 20, "45.155.205.12", PHX).done());
    let forward = run(&s);
    s.reverse();
    let backward = run(&s);
    assert_eq!(forward, backward);
    assert_eq!(of(&forward, FindingKind::ImpossibleTravel).len(), 1);
}

#[test]
fn duplicate_records_are_counted_once() {
    let a = signin("acme", "ana@acme.example", 0, "203.0.113.10", NYC).done();
    let out = hunt(
        &[a.clone(), a],
        &DetectConfig::default(),
        &IndicatorSet::new(),
    );
    assert_eq!(out.stats.duplicates, 1);
}

#[test]
fn evidence_serializes_with_the_documented_fields() {
    let mut s = baseline("acme", "ana@acme.example", 12);
    s.push(signin("acme", "ana@acme.example", 0, "203.0.113.10", NYC).done());
    s.push(signin("acme", "ana@acme.example", 20, "45.155.205.12", PHX).done());
    let f = run(&s);
    let v = serde_json::to_value(of(&f, FindingKind::ImpossibleTravel)[0]).unwrap();
    for key in [
        "kind",
        "severity",
        "tenant",
        "user",
        "time",
        "title",
        "event_ids",
        "evidence",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    let ev = &v["evidence"];
    for key in [
        "distance_km",
        "minutes",
        "required_speed_kmh",
        "reasons",
        "from",
        "to",
    ] {
        assert!(ev.get(key).is_some(), "missing evidence.{key}: {ev}");
    }
    for key in [
        "time",
        "ip",
        "city",
        "country",
        "lat",
        "lon",
        "uncertainty_km",
    ] {
        assert!(
            ev["to"].get(key).is_some(),
            "missing evidence.to.{key}: {ev}"
        );
    }
    assert_eq!(v["kind"], "impossible_travel");
    assert_eq!(v["time"], "2026-07-01T13:20:00Z");
    let ip: IpAddr = ev["to"]["ip"].as_str().unwrap().parse().unwrap();
    assert_eq!(ip.to_string(), "45.155.205.12");
}

#[test]
fn a_spray_across_partners_is_found_at_each_and_names_none() {
    let mut s = Vec::new();
    for (i, (tenant, user)) in [
        ("acme", "a1@acme.example"),
        ("acme", "a2@acme.example"),
        ("brightline", "b1@brightline.example"),
        ("brightline", "b2@brightline.example"),
        ("delta", "d1@delta.example"),
    ]
    .iter()
    .enumerate()
    {
        s.push(
            signin(tenant, user, i as i64 * 5, "146.70.112.151", LAGOS)
                .outcome(Outcome::BadCredentials, "50126")
                .done(),
        );
    }
    // A user's own typo elsewhere is not a spray.
    s.push(
        signin("acme", "a3@acme.example", 3, "203.0.113.10", NYC)
            .outcome(Outcome::BadCredentials, "50126")
            .done(),
    );
    let f = run(&s);
    let sprays = of(&f, FindingKind::PasswordSpray);
    assert_eq!(sprays.len(), 3, "{f:#?}");
    assert!(sprays.iter().all(|f| f.severity == Severity::High));
    let acme = sprays.iter().find(|f| f.tenant.as_str() == "acme").unwrap();
    assert_eq!(acme.event_ids.len(), 2);
    assert!(!acme.title.contains("brightline") && !acme.title.contains("delta"));
    let Evidence::Spray(ev) = &acme.evidence else {
        panic!()
    };
    assert_eq!((ev.users_here, ev.users_total, ev.other_tenants), (2, 5, 2));
    assert_eq!(ev.users_targeted, ["a1@acme.example", "a2@acme.example"]);
}

#[test]
fn a_spray_that_gets_in_is_critical_and_warns_other_partners() {
    let mut s = Vec::new();
    for i in 0..6 {
        s.push(
            signin(
                "acme",
                &format!("u{i}@acme.example"),
                i * 2,
                "146.70.112.151",
                LAGOS,
            )
            .outcome(Outcome::BadCredentials, "50126")
            .done(),
        );
    }
    s.push(signin("acme", "u9@acme.example", 20, "146.70.112.151", LAGOS).done());
    s.push(
        signin(
            "brightline",
            "vic@brightline.example",
            300,
            "146.70.112.151",
            LAGOS,
        )
        .done(),
    );
    let f = run(&s);
    let spray = of(&f, FindingKind::PasswordSpray);
    assert_eq!(spray.len(), 1, "{f:#?}");
    assert_eq!(spray[0].severity, Severity::Critical);
    assert_eq!(spray[0].user, "u9@acme.example");
    let x = of(&f, FindingKind::CrossTenantIp);
    assert!(
        x.iter().any(|f| f.tenant.as_str() == "brightline"),
        "{f:#?}"
    );
}

#[test]
fn a_new_place_from_a_hosting_network_is_high_even_in_a_familiar_country() {
    let mut s = baseline("acme", "nia@acme.example", 12);
    s.push(signin("acme", "nia@acme.example", 0, "203.0.113.10", NYC).done());
    // Four hours later from a VPS in Dallas: feasible, same country, but a rented server.
    let mut vps = signin("acme", "nia@acme.example", 240, "45.77.135.234", DAL).done();
    vps.asn = Some(20473);
    s.push(vps);
    let f = run(&s);
    assert!(of(&f, FindingKind::ImpossibleTravel).is_empty(), "{f:#?}");
    let u = of(&f, FindingKind::UnfamiliarLocation);
    assert_eq!(u.len(), 1, "{f:#?}");
    assert!(u[0].severity >= Severity::High, "{:#?}", u[0]);
    assert!(
        u[0].evidence
            .reasons()
            .iter()
            .any(|r| r.code == "hosting_network")
    );
    // The same trip from a residential network, same laptop: a low note only.
    let mut s = baseline("acme", "nia@acme.example", 12);
    s.push(signin("acme", "nia@acme.example", 0, "203.0.113.10", NYC).done());
    s.push(signin("acme", "nia@acme.example", 240, "70.112.4.4", DAL).done());
    let u2 = run(&s);
    let u2 = of(&u2, FindingKind::UnfamiliarLocation);
    assert_eq!(u2.len(), 1);
    assert_eq!(u2[0].severity, Severity::Low);
}

#[test]
fn in_flight_wifi_is_not_a_place() {
    let mut s = baseline("acme", "oz@acme.example", 3);
    s.push(signin("acme", "oz@acme.example", 0, "203.0.113.10", NYC).done());
    // Over the Atlantic, on the plane's satellite link that geolocates to its ground station.
    let mut sky = signin("acme", "oz@acme.example", 90, "100.64.7.7", DAL).done();
    sky.asn = Some(22351);
    s.push(sky);
    let out = hunt(&s, &DetectConfig::default(), &IndicatorSet::new());
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    assert_eq!(out.stats.not_endpoint.get("in_flight_network"), Some(&1));
}
