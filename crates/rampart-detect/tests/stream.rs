//! The incremental detector: the same findings however the sign-ins are batched, late
//! sign-ins against their neighbours, findings held back once a network is known to be
//! shared, and a snapshot that resumes where it was taken.

mod support;

use std::collections::BTreeMap;

use rampart_detect::{Change, DetectConfig, Detector, IndicatorSet, apply, hunt, hunt_with};
use rampart_model::{Finding, FindingKind, Outcome, SignIn};
use support::*;

/// A small world: two users with baselines, an impossible trip, a sandwich, a spray across
/// two partners that gets in, and the sprayer's IP signing in at a third partner.
fn world() -> Vec<SignIn> {
    let mut s = baseline("acme", "ana@acme.example", 12);
    s.extend(baseline("acme", "hal@acme.example", 12));
    s.push(signin("acme", "ana@acme.example", 0, "203.0.113.10", NYC).done());
    s.push(
        signin("acme", "ana@acme.example", 20, "45.155.205.12", PHX)
            .outcome(Outcome::CredentialValidFailure, "50074")
            .done(),
    );
    s.push(signin("acme", "hal@acme.example", 0, "203.0.113.10", NYC).done());
    s.push(signin("acme", "hal@acme.example", 300, "185.220.101.4", LON).done());
    s.push(signin("acme", "hal@acme.example", 340, "203.0.113.10", NYC).done());
    for (i, (tenant, user)) in [
        ("acme", "u1"),
        ("acme", "u2"),
        ("bright", "u3"),
        ("bright", "u4"),
        ("bright", "u5"),
    ]
    .iter()
    .enumerate()
    {
        s.push(
            signin(tenant, user, 600 + i as i64 * 3, "194.26.29.7", LAGOS)
                .outcome(Outcome::BadCredentials, "50126")
                .done(),
        );
    }
    s.push(signin("bright", "u4", 640, "194.26.29.7", LAGOS).done());
    s.push(signin("delta", "dee", 900, "194.26.29.7", LAGOS).done());
    s
}

fn standing(changes: impl IntoIterator<Item = Change>) -> BTreeMap<String, Finding> {
    let mut m = BTreeMap::new();
    for c in changes {
        apply(&mut m, c);
    }
    m
}

fn by_batches(signins: &[SignIn], size: usize, partitions: usize) -> Vec<Finding> {
    let cfg = DetectConfig::default();
    let ind = IndicatorSet::new();
    let mut d = Detector::new(partitions);
    let mut changes = Vec::new();
    for chunk in signins.chunks(size) {
        changes.extend(d.process(chunk.to_vec(), &cfg, &ind));
    }
    sorted(standing(changes).into_values().collect())
}

fn sorted(mut f: Vec<Finding>) -> Vec<Finding> {
    f.sort_by(|a, b| (a.time, a.kind, &a.user).cmp(&(b.time, b.kind, &b.user)));
    f
}

fn in_event_order(mut s: Vec<SignIn>) -> Vec<SignIn> {
    s.sort_by(rampart_detect::event_order);
    s
}

#[test]
fn batches_of_any_size_and_any_partitions_give_the_hunts_findings() {
    let s = in_event_order(world());
    let hunted = sorted(hunt(&s, &DetectConfig::default(), &IndicatorSet::new()).findings);
    let kinds: Vec<FindingKind> = hunted.iter().map(|f| f.kind).collect();
    for k in [
        FindingKind::ImpossibleTravel,
        FindingKind::PasswordSpray,
        FindingKind::CrossTenantIp,
    ] {
        assert!(kinds.contains(&k), "{k:?} in {hunted:#?}");
    }
    for size in [1, 2, 7, 1000] {
        for partitions in [1, 3] {
            assert_eq!(
                by_batches(&s, size, partitions),
                hunted,
                "batches of {size}, {partitions} partitions"
            );
        }
    }
    let threaded = hunt_with(s.clone(), &DetectConfig::default(), &IndicatorSet::new(), 4);
    assert_eq!(sorted(threaded.findings), hunted);
}

#[test]
fn partners_sent_one_after_another_give_the_hunts_findings() {
    // Each partner's sign-ins in event order, partner after partner (as a backfill would).
    let s = in_event_order(world());
    let mut by_tenant = s.clone();
    by_tenant.sort_by(|a, b| {
        a.tenant
            .cmp(&b.tenant)
            .then_with(|| rampart_detect::event_order(a, b))
    });
    let hunted = sorted(hunt(&s, &DetectConfig::default(), &IndicatorSet::new()).findings);
    assert_eq!(by_batches(&by_tenant, 1, 2), hunted);
    assert_eq!(by_batches(&by_tenant, 5, 1), hunted);
}

#[test]
fn a_snapshot_resumes_where_it_was_taken() {
    let s = in_event_order(world());
    let cfg = DetectConfig::default();
    let ind = IndicatorSet::new();
    let half = s.len() / 2;
    let mut straight = Detector::new(2);
    let mut changes = straight.process(s[..half].to_vec(), &cfg, &ind);
    let bytes = straight.snapshot().unwrap();
    // Compressed (gzip's magic bytes), and much smaller than the JSON it holds.
    let json = serde_json::to_vec(&straight).unwrap();
    assert_eq!(bytes[..2], [0x1f, 0x8b]);
    assert!(
        bytes.len() * 3 < json.len(),
        "{} vs {}",
        bytes.len(),
        json.len()
    );
    let mut resumed = Detector::restore(&bytes).unwrap();
    resumed.repartition(3);
    // A snapshot stored as plain JSON (as the first builds stored them) restores too.
    let mut from_json = Detector::restore(&json).unwrap();
    let mut resumed_changes = changes.clone();
    let mut json_changes = changes.clone();
    changes.extend(straight.process(s[half..].to_vec(), &cfg, &ind));
    resumed_changes.extend(resumed.process(s[half..].to_vec(), &cfg, &ind));
    json_changes.extend(from_json.process(s[half..].to_vec(), &cfg, &ind));
    assert_eq!(standing(resumed_changes), standing(changes.clone()));
    assert_eq!(standing(json_changes), standing(changes));
    assert!(Detector::restore(b"{\"version\": 99}").is_err());
    assert!(Detector::restore(&bytes[..bytes.len() / 2]).is_err());
}

#[test]
fn a_late_attacker_sign_in_is_judged_against_both_neighbours_and_raised_once() {
    let cfg = DetectConfig::default();
    let ind = IndicatorSet::new();
    let mut d = Detector::new(1);
    let mut changes = d.process(baseline("acme", "ana@acme.example", 12), &cfg, &ind);
    // Home at 0 and at 60; the Phoenix sign-in at 20 arrives after both.
    changes.extend(d.process(
        vec![
            signin("acme", "ana@acme.example", 0, "203.0.113.10", NYC).done(),
            signin("acme", "ana@acme.example", 60, "203.0.113.10", NYC).done(),
        ],
        &cfg,
        &ind,
    ));
    let late = signin("acme", "ana@acme.example", 20, "45.155.205.12", PHX)
        .outcome(Outcome::CredentialValidFailure, "50074")
        .done();
    changes.extend(d.process(vec![late.clone()], &cfg, &ind));
    let findings = standing(changes.clone());
    let travel: Vec<&Finding> = findings
        .values()
        .filter(|f| f.kind == FindingKind::ImpossibleTravel)
        .collect();
    assert_eq!(travel.len(), 1, "{findings:#?}");
    assert_eq!(travel[0].event_ids.last(), Some(&late.record_id));
    // Sent again, it raises nothing new.
    let again = d.process(vec![late], &cfg, &ind);
    let again = standing(changes.into_iter().chain(again));
    assert_eq!(again, findings);
}

#[test]
fn a_sign_in_older_than_the_watermark_is_too_late_for_travel() {
    let cfg = DetectConfig::default();
    let ind = IndicatorSet::new();
    let mut d = Detector::new(1);
    d.process(baseline("acme", "ana@acme.example", 12), &cfg, &ind);
    d.process(
        vec![signin("acme", "ana@acme.example", 5 * 1440, "203.0.113.10", NYC).done()],
        &cfg,
        &ind,
    );
    // Three days behind the newest sign-in: beyond the 48 h of allowed lateness.
    let changes = d.process(
        vec![
            signin(
                "acme",
                "ana@acme.example",
                2 * 1440 - 20,
                "203.0.113.10",
                NYC,
            )
            .done(),
            signin("acme", "ana@acme.example", 2 * 1440, "45.155.205.12", PHX).done(),
        ],
        &cfg,
        &ind,
    );
    assert!(changes.is_empty(), "{changes:#?}");
}

#[test]
fn findings_on_a_network_later_known_as_a_shared_egress_are_withdrawn() {
    // Four users, each at home and ten minutes later on the same far-away network, day
    // after day: an undeclared VPN egress. Streamed a day at a time.
    let cfg = DetectConfig::default();
    let ind = IndicatorSet::new();
    let mut d = Detector::new(2);
    let mut all = Vec::new();
    let mut raised = 0;
    for day in 0..4 {
        let mut batch = Vec::new();
        for (n, user) in ["a", "b", "c", "d"].iter().enumerate() {
            let user = format!("{user}@acme.example");
            let m = day * 1440 + n as i64 * 7;
            batch.push(signin("acme", &user, m, &format!("203.0.{}.10", 113 + n), NYC).done());
            batch.push(signin("acme", &user, m + 10, "192.0.2.50", DAL).done());
        }
        let changes = d.process(batch, &cfg, &ind);
        raised += changes
            .iter()
            .filter(|c| matches!(c, Change::Upsert { finding, .. } if finding.kind == FindingKind::ImpossibleTravel))
            .count();
        all.extend(changes);
    }
    assert!(raised > 0, "the first days' trips were raised as they came");
    let withdrawn = all
        .iter()
        .filter(|c| matches!(c, Change::Withdraw { .. }))
        .count();
    assert!(withdrawn > 0);
    let left = standing(all);
    assert!(
        left.values()
            .all(|f| f.kind != FindingKind::ImpossibleTravel),
        "{left:#?}"
    );
}
