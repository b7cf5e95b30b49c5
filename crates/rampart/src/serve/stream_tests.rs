//! The engine on the seed story, in process: its alerts are exactly `hunt`'s findings on
//! the same sign-ins — every field — whether the story arrives in one batch per partner,
//! in small batches or record by record, and when the server is stopped without warning
//! between batches and restarted from its snapshot.

use std::collections::BTreeMap;
use std::sync::Arc;

use rampart_engine::{DetectSettings, Engine, EngineConfig, Tenants, decode_batch};
use rampart_intel::IndicatorSet;
use rampart_model::{Finding, TenantId};
use rampart_store::{AlertFilter, Store};

use crate::config::Config;

/// The seed story as `rampart demo-data` writes it.
struct Story {
    dir: tempfile::TempDir,
    config: Config,
    indicators: Arc<IndicatorSet>,
    /// Each partner's records (their JSON text as exported), in event order.
    records: BTreeMap<TenantId, Vec<String>>,
}

fn story() -> Story {
    let dir = tempfile::tempdir().unwrap();
    let world = rampart_scenario::seed_story(7);
    rampart_scenario::write(&world, dir.path()).unwrap();
    let config = Config::load(&dir.path().join("rampart.toml")).unwrap();
    let mut indicators = IndicatorSet::new();
    let mut opts = rampart_intel::ImportOptions::new(jiff::Timestamp::now());
    opts.undated = rampart_intel::Undated::Timeless;
    let report = rampart_intel::import_path(&dir.path().join("campaign.csv"), None, &opts).unwrap();
    assert!(indicators.add_report(report).is_empty());
    let mut records = BTreeMap::new();
    for entry in std::fs::read_dir(dir.path().join("exports")).unwrap() {
        let entry = entry.unwrap();
        let tenant: TenantId = entry.file_name().to_string_lossy().parse().unwrap();
        let mut files: Vec<_> = std::fs::read_dir(entry.path())
            .unwrap()
            .map(|f| f.unwrap().path())
            .collect();
        files.sort();
        let mut raw = Vec::new();
        for f in files {
            rampart_sources::read_file_with_raw(
                &f,
                &rampart_sources::DecodeOptions::default(),
                &mut |_| {},
                &mut |r| raw.push((r.time.expect("a time"), r.text.to_owned())),
            )
            .unwrap();
        }
        // Graph lists newest first: a connector sends the oldest first.
        raw.sort_by_key(|(t, _)| *t);
        records.insert(tenant, raw.into_iter().map(|(_, text)| text).collect());
    }
    assert_eq!(records.len(), 3);
    Story {
        dir,
        config,
        indicators: Arc::new(indicators),
        records,
    }
}

impl Story {
    fn tenants(&self) -> Tenants {
        let mut tenants = Tenants::new();
        for (slug, t) in &self.config.tenants {
            tenants.add(slug.clone(), t.name.clone(), &t.provider_ids);
        }
        tenants
    }

    fn settings(&self, snapshot_every: u64) -> DetectSettings {
        DetectSettings {
            detect: Arc::new(self.config.detect_config()),
            indicators: rampart_engine::LiveIndicators::new(IndicatorSet::clone(&self.indicators)),
            indicator_poll: rampart_engine::DEFAULT_INDICATOR_POLL,
            partitions: 3,
            snapshot_every,
        }
    }

    /// What `hunt` finds on the sign-ins the engine stores (decoded and assigned the same way).
    fn hunted(&self) -> BTreeMap<String, Finding> {
        let tenants = self.tenants();
        let mut signins = Vec::new();
        for (tenant, records) in &self.records {
            let body = records.join("\n");
            let decoded = decode_batch(body.as_bytes(), tenant, &tenants, None);
            assert!(
                decoded.dead_letters.is_empty(),
                "{:?}",
                decoded.dead_letters
            );
            signins.extend(decoded.signins);
        }
        let out = rampart_detect::hunt(&signins, &self.config.detect_config(), &self.indicators);
        assert!(out.findings.len() > 10, "{:#?}", out.findings);
        out.findings.into_iter().map(|f| (key(&f), f)).collect()
    }

    async fn start(&self, snapshot_every: u64) -> Engine {
        let store = Store::open(&self.dir.path().join("rampart.sqlite"))
            .await
            .unwrap();
        Engine::start(
            store,
            EngineConfig {
                tenants: self.tenants(),
                detect: self.settings(snapshot_every),
                queue_capacity: 100_000,
                geoip: None,
                run_worker: true,
            },
        )
        .await
        .unwrap()
        .0
    }

    /// Ingests every partner's records, `per_batch` records a request (NDJSON bodies).
    async fn ingest(&self, engine: &Engine, per_batch: usize) -> u64 {
        let mut accepted = 0;
        for (tenant, records) in &self.records {
            for chunk in records.chunks(per_batch) {
                let report = engine
                    .ingest(tenant, chunk.join("\n").into_bytes(), "test")
                    .await
                    .unwrap();
                assert_eq!(report.rejected, 0, "{report:?}");
                accepted += report.accepted;
            }
        }
        accepted
    }
}

/// (kind, tenant, user, subject event id): how the API tests name an alert.
fn key(f: &Finding) -> String {
    format!(
        "{}|{}|{}|{}",
        f.kind.as_str(),
        f.tenant,
        f.user,
        f.event_ids.last().map(String::as_str).unwrap_or("")
    )
}

async fn alerts(engine: &Engine) -> BTreeMap<String, Finding> {
    super::settle(engine).await;
    let rows = engine
        .store()
        .alerts(&AlertFilter {
            limit: Some(1000),
            ..Default::default()
        })
        .await
        .unwrap();
    let n = rows.len();
    let by_key: BTreeMap<String, Finding> = rows
        .into_iter()
        .map(|a| (key(&a.finding), a.finding))
        .collect();
    assert_eq!(by_key.len(), n, "no two alerts name the same finding");
    by_key
}

fn assert_same(served: &BTreeMap<String, Finding>, hunted: &BTreeMap<String, Finding>) {
    let only_served: Vec<&String> = served.keys().filter(|k| !hunted.contains_key(*k)).collect();
    let only_hunted: Vec<&String> = hunted.keys().filter(|k| !served.contains_key(*k)).collect();
    assert!(
        only_served.is_empty() && only_hunted.is_empty(),
        "alerts only served: {only_served:#?}\nfindings only hunted: {only_hunted:#?}"
    );
    for (k, f) in hunted {
        assert_eq!(&served[k], f, "the alert {k} differs from hunt's finding");
    }
}

async fn ingested_in_batches_of(per_batch: usize) {
    let story = story();
    let engine = story.start(20_000).await;
    let accepted = story.ingest(&engine, per_batch).await;
    assert!(accepted > 500, "{accepted}");
    assert_same(&alerts(&engine).await, &story.hunted());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_story_in_one_batch_per_partner_gives_hunts_findings() {
    ingested_in_batches_of(usize::MAX).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_story_in_batches_of_25_gives_hunts_findings() {
    ingested_in_batches_of(25).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_story_record_by_record_gives_hunts_findings() {
    ingested_in_batches_of(1).await;
}

/// Stopped without warning (the engine dropped mid-stream, its worker aborted) after half
/// the batches, restarted from the stored snapshot: the same alerts, none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_from_the_snapshot_replays_to_hunts_findings() {
    let story = story();
    let hunted = story.hunted();
    let all: Vec<(TenantId, String)> = story
        .records
        .iter()
        .flat_map(|(t, r)| r.chunks(40).map(move |c| (t.clone(), c.join("\n"))))
        .collect();
    let (first, second) = all.split_at(all.len() / 2);
    let engine = story.start(200).await;
    for (tenant, body) in first {
        engine
            .ingest(tenant, body.clone().into_bytes(), "test")
            .await
            .unwrap();
    }
    super::settle(&engine).await;
    let store = engine.store().clone();
    let snapshot = store
        .snapshot(rampart_engine::DETECT_CHECKPOINT)
        .await
        .unwrap()
        .expect("a snapshot was stored");
    assert!(snapshot.position > 0);
    drop(store);
    // Two more batches after the snapshot, then the engine goes away at once.
    for (tenant, body) in &second[..2] {
        engine
            .ingest(tenant, body.clone().into_bytes(), "test")
            .await
            .unwrap();
    }
    drop(engine);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;

    let engine = story.start(200).await;
    for (tenant, body) in &second[2..] {
        engine
            .ingest(tenant, body.clone().into_bytes(), "test")
            .await
            .unwrap();
    }
    assert_same(&alerts(&engine).await, &hunted);
}
