//! The indicator repository, on every backend (see `common`).

mod common;

use common::each_backend;
use jiff::Timestamp;
use rampart_intel::{
    Confidence, Indicator, ObservableKind, Provenance, Tag, TagKind, Tlp, Verdict, parse_inferred,
};
use rampart_model::TenantId;
use rampart_store::{IndicatorFilter, IndicatorRepo, SqliteStore, Store};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn feed(name: &str, line: u64) -> Provenance {
    Provenance::Feed {
        name: name.into(),
        location: Some(format!("line {line}")),
    }
}

fn indicator(value: &str, source: &str, line: u64) -> Indicator {
    Indicator::new(
        parse_inferred(value).unwrap(),
        feed(source, line),
        ts("2026-11-01T10:00:00Z"),
    )
}

fn full() -> Indicator {
    let mut i = indicator("hxxp://evil[.]example/login", "campaign.csv", 3);
    i.verdict = Verdict::Suspicious;
    i.confidence = Confidence::new(85).unwrap();
    i.tlp = Tlp::AmberStrict;
    i.first_seen = ts("2026-10-01T08:30:00.123456Z");
    i.last_seen = ts("2026-11-20T17:45:01.000001Z");
    i.sightings = 7;
    i.valid_until = Some(ts("2027-01-01T00:00:00Z"));
    i.tags = vec![
        Tag::new(TagKind::Campaign, "Frosty Fox"),
        Tag::new(TagKind::Malware, "Lumma"),
        Tag::new(TagKind::Other, "phishing"),
    ];
    i.description = Some("credential phishing page, \"quoted\" and ünïcode".into());
    i
}

#[tokio::test(flavor = "current_thread")]
async fn every_field_round_trips() {
    each_backend(async |store: Store| {
        let mut cidr = indicator("198.51.100.0/24", "other", 1);
        cidr.provenance = Provenance::Report {
            name: "APT report".into(),
        };
        let mut alert = indicator("AS64500", "x", 1);
        alert.provenance = Provenance::Alert {
            tenant: TenantId::new("acme-dental").unwrap(),
            alert_id: "F-123".into(),
        };
        alert.tlp = Tlp::Red;
        let originals = vec![
            full(),
            cidr,
            indicator("2001:DB8::1", "x", 2),
            alert,
            indicator("d41d8cd98f00b204e9800998ecf8427e", "x", 3),
        ];
        let report = store.upsert_many(&originals).await.unwrap();
        assert_eq!((report.inserted, report.merged), (5, 0));
        assert_eq!(store.count().await.unwrap(), 5);
        assert_eq!(store.all().await.unwrap(), originals);
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn same_value_and_source_merge() {
    each_backend(async |store: Store| {
        let first = full();
        store
            .upsert_many(std::slice::from_ref(&first))
            .await
            .unwrap();
        let mut again = indicator("hxxp://evil[.]example/login", "campaign.csv", 9);
        again.first_seen = ts("2026-09-01T00:00:00Z");
        again.last_seen = ts("2026-11-22T00:00:00Z");
        again.sightings = 2;
        again.tags = vec![
            Tag::new(TagKind::Campaign, "Frosty Fox"),
            Tag::new(TagKind::Actor, "FIN-X"),
        ];
        // Another source for the same value is a separate record.
        let other = indicator("hxxp://evil[.]example/login", "another-feed", 1);
        let report = store.upsert_many(&[again, other]).await.unwrap();
        assert_eq!((report.inserted, report.merged), (1, 1));
        let all = store.all().await.unwrap();
        assert_eq!(all.len(), 2);
        let merged = &all[0];
        assert_eq!(merged.sightings, 9);
        assert_eq!(merged.first_seen, ts("2026-09-01T00:00:00Z"));
        assert_eq!(merged.last_seen, ts("2026-11-22T00:00:00Z"));
        assert_eq!(merged.tags.len(), 4);
        assert!(merged.tags.contains(&Tag::new(TagKind::Actor, "FIN-X")));
        assert_eq!(merged.description, first.description);
        // The tag added by the merge is searchable.
        let by_actor = store
            .list(&IndicatorFilter {
                tag: Some("actor:fin-x".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(by_actor.len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn filters() {
    each_backend(async |store: Store| {
        let mut benign = indicator("8.8.8.8", "allow", 1);
        benign.verdict = Verdict::BenignAllow;
        let items = vec![
            full(),
            indicator("203.0.113.9", "feed", 1),
            indicator("203.0.113.10", "feed", 2),
            indicator("evil.example", "feed", 3),
            benign,
        ];
        store.upsert_many(&items).await.unwrap();
        let list = |f: IndicatorFilter| {
            let store = store.clone();
            async move { store.list(&f).await.unwrap() }
        };
        let ipv4 = list(IndicatorFilter {
            kind: Some(ObservableKind::Ipv4),
            ..Default::default()
        })
        .await;
        assert_eq!(ipv4.len(), 3);
        let malicious_ipv4 = list(IndicatorFilter {
            kind: Some(ObservableKind::Ipv4),
            verdict: Some(Verdict::Malicious),
            ..Default::default()
        })
        .await;
        assert_eq!(malicious_ipv4.len(), 2);
        let limited = list(IndicatorFilter {
            limit: Some(2),
            ..Default::default()
        })
        .await;
        assert_eq!(limited, items[..2].to_vec());
        // Paged by row id: the next page starts after the last id of this one.
        let first = store
            .list_with_ids(&IndicatorFilter {
                limit: Some(2),
                ..Default::default()
            })
            .await
            .unwrap();
        let rest = store
            .list_with_ids(&IndicatorFilter {
                after: Some(first[1].0),
                ..Default::default()
            })
            .await
            .unwrap();
        let paged: Vec<_> = first.iter().chain(&rest).map(|(_, i)| i.clone()).collect();
        assert_eq!(paged, items);
        for tag in ["Frosty Fox", "campaign:frosty fox", "LUMMA"] {
            let tagged = list(IndicatorFilter {
                tag: Some(tag.into()),
                ..Default::default()
            })
            .await;
            assert_eq!(tagged, vec![full()], "tag {tag}");
        }
        let none = list(IndicatorFilter {
            tag: Some("nothing".into()),
            ..Default::default()
        })
        .await;
        assert!(none.is_empty());
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn open_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"not a directory").unwrap();
    let path = blocker.join("rampart.sqlite");
    let err = SqliteStore::open(&path).await.unwrap_err().to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    let garbage = dir.path().join("garbage.sqlite");
    std::fs::write(&garbage, vec![b'x'; 4096]).unwrap();
    let err = SqliteStore::open(&garbage).await.unwrap_err().to_string();
    assert!(err.contains("garbage.sqlite"), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn duplicates_in_one_batch_merge() {
    each_backend(async |store: Store| {
        let a = indicator("evil[.]example", "feed", 1);
        let b = indicator("EVIL.example", "feed", 7);
        let report = store.upsert_many(&[a, b]).await.unwrap();
        assert_eq!((report.inserted, report.merged), (1, 1));
        let all = store.all().await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].sightings, 2);
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn reopening_migrates_once_and_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rampart.sqlite");
    let store = SqliteStore::open(&path).await.unwrap();
    store.upsert_many(&[full()]).await.unwrap();
    store.close().await;
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.all().await.unwrap(), vec![full()]);
}

#[tokio::test(flavor = "current_thread")]
async fn each_write_numbers_its_rows_so_a_reader_finds_inserts_and_changes() {
    each_backend(async |store: Store| {
        assert_eq!(store.indicator_revision().await.unwrap(), 0);
        let first = store
            .upsert_many(&[
                indicator("203.0.113.1", "feed-a", 1),
                indicator("evil.example", "feed-a", 2),
            ])
            .await
            .unwrap();
        assert_eq!(first.revision, 1);
        assert_eq!(store.indicator_revision().await.unwrap(), 1);
        let all = store.indicators_changed(0, 1).await.unwrap();
        assert_eq!(all.len(), 2);
        assert!(all.iter().all(|r| r.revision == 1));
        // A change of a stored row (same value and provenance) and a new row: both carry
        // the next revision; the untouched row does not.
        let mut changed = indicator("203.0.113.1", "feed-a", 1);
        changed.verdict = Verdict::BenignAllow;
        let second = store
            .upsert_many(&[changed, indicator("203.0.113.2", "feed-b", 1)])
            .await
            .unwrap();
        assert_eq!((second.revision, second.inserted, second.merged), (2, 1, 1));
        let since = store.indicators_changed(1, 2).await.unwrap();
        let values: Vec<(String, Verdict)> = since
            .iter()
            .map(|r| (r.indicator.observable.to_string(), r.indicator.verdict))
            .collect();
        assert_eq!(
            values,
            vec![
                ("203.0.113.1".to_owned(), Verdict::BenignAllow),
                ("203.0.113.2".to_owned(), Verdict::Malicious),
            ]
        );
        assert_eq!(since[0].id, all[0].id, "the changed row keeps its id");
        // Nothing above what was asked for; nothing written by an empty call.
        assert!(store.indicators_changed(2, 2).await.unwrap().is_empty());
        assert_eq!(store.indicators_changed(0, 1).await.unwrap().len(), 1);
        assert_eq!(store.upsert_many(&[]).await.unwrap().revision, 0);
        assert_eq!(store.indicator_revision().await.unwrap(), 2);
        assert_eq!(store.indicators_changed(0, 2).await.unwrap().len(), 3);
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_queued_retro_hunt_is_claimed_once() {
    each_backend(async |store: Store| {
        let net: ipnet::IpNet = "203.0.113.0/24".parse().unwrap();
        let id = store
            .create_retro_hunt(&rampart_store::NewRetroHunt {
                actor: "cli",
                since: ts("2026-11-01T00:00:00Z"),
                networks: &[net],
                indicators: 1,
            })
            .await
            .unwrap();
        let queued = store.queued_retro_hunts().await.unwrap();
        assert_eq!(queued.iter().map(|j| j.id).collect::<Vec<_>>(), vec![id]);
        assert!(store.claim_retro_hunt(id).await.unwrap());
        assert!(!store.claim_retro_hunt(id).await.unwrap());
        assert!(store.queued_retro_hunts().await.unwrap().is_empty());
        let job = store.retro_hunt(id).await.unwrap().unwrap();
        assert_eq!(job.status, rampart_store::RetroStatus::Running);
        assert!(job.started_at.is_some());
    })
    .await;
}
