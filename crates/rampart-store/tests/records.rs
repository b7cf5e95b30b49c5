//! The streaming server's records — batches, sign-ins, dead letters, alerts, checkpoints,
//! audit log, tokens — on every backend (see `common`).

mod common;

use common::each_backend;
use jiff::Timestamp;
use rampart_model::{Finding, SignIn, TenantId};
use rampart_store::{
    AlertFilter, DeadLetterFilter, NewAudit, NewBatch, NewDeadLetter, Role, Store,
};

fn tenant(s: &str) -> TenantId {
    TenantId::new(s).unwrap()
}

fn signin(tenant: &str, user: &str, time: &str, id: &str) -> SignIn {
    serde_json::from_value(serde_json::json!({
        "tenant": tenant,
        "user": user,
        "time": time,
        "ip": "198.51.100.7",
        "outcome": "success",
        "source_format": "entra_graph",
        "record_id": id,
    }))
    .unwrap()
}

fn finding(tenant: &str, user: &str, time: &str, subject: &str, severity: &str) -> Finding {
    serde_json::from_value(serde_json::json!({
        "kind": "password_spray",
        "severity": severity,
        "score": 70,
        "tenant": tenant,
        "user": user,
        "time": time,
        "title": format!("spray against {user}"),
        "event_ids": ["a", subject],
        "evidence": {
            "ip": "203.0.113.5", "attempts": [], "users_targeted": [user],
            "users_here": 1, "users_total": 1, "other_tenants": 0,
            "window_minutes": 10.0, "reasons": []
        }
    }))
    .unwrap()
}

fn dead(index: u64, reason: &str) -> NewDeadLetter {
    NewDeadLetter {
        index,
        line: Some(index),
        reason: reason.into(),
        raw: Some(format!("{{\"n\": {index}}}")),
        retryable: index.is_multiple_of(2),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_batch_stores_signins_and_dead_letters_together() {
    each_backend(async |store: Store| {
        let acme = tenant("acme");
        store.upsert_tenant(&acme, Some("Acme")).await.unwrap();
        store.upsert_tenant(&acme, Some("Acme Inc")).await.unwrap();
        assert_eq!(store.tenants().await.unwrap().len(), 1);
        assert_eq!(store.last_batch_seq().await.unwrap(), 0);
        let signins = vec![
            signin("acme", "a@acme.test", "2026-11-01T10:00:00Z", "r1"),
            signin("acme", "b@acme.test", "2026-11-01T11:00:00Z", "r2"),
        ];
        let dls = vec![dead(3, "not JSON"), dead(4, "no tenant")];
        let first = store
            .commit_batch(&NewBatch {
                tenant: &acme,
                origin: "api",
                signins: &signins,
                skipped: 1,
                dead_letters: &dls,
                resolves: None,
            })
            .await
            .unwrap();
        assert_eq!((first.inserted, first.duplicates), (2, 0));
        assert_eq!(first.dead_letter_ids.len(), 2);
        // The same records again, plus one new: duplicates are not stored twice.
        let again = vec![
            signins[1].clone(),
            signin("acme", "c@acme.test", "2026-11-02T09:00:00Z", "r3"),
        ];
        let second = store
            .commit_batch(&NewBatch {
                tenant: &acme,
                origin: "api",
                signins: &again,
                skipped: 0,
                dead_letters: &[],
                resolves: None,
            })
            .await
            .unwrap();
        assert!(second.seq > first.seq);
        assert_eq!((second.inserted, second.duplicates), (1, 1));
        assert_eq!(store.last_batch_seq().await.unwrap(), second.seq);
        let in_first = store.signins_in_batches(0, first.seq).await.unwrap();
        assert_eq!(in_first.len(), 2);
        assert_eq!(in_first[0].signin, signins[0]);
        let both = store.signins_in_batches(0, second.seq).await.unwrap();
        assert_eq!(both.len(), 3);
        let since = store
            .signins_since("2026-11-01T10:30:00Z".parse().unwrap())
            .await
            .unwrap();
        let ids: Vec<&str> = since.iter().map(|s| s.record_id.as_str()).collect();
        assert_eq!(ids, ["r2", "r3"]);
        assert_eq!(
            store.signin_counts().await.unwrap(),
            vec![("acme".to_owned(), 3)]
        );

        let listed = store
            .list_dead_letters(&DeadLetterFilter::default())
            .await
            .unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].id, first.dead_letter_ids[1], "newest first");
        assert_eq!(listed[0].reason, "no tenant");
        assert!(listed[0].retryable);
        assert_eq!(listed[0].status, "open");
        assert_eq!(listed[1].raw.as_deref(), Some("{\"n\": 3}"));
        assert_eq!(listed[1].line, Some(3));
        assert_eq!(listed[1].batch_seq, Some(first.seq));
        let other = store
            .list_dead_letters(&DeadLetterFilter {
                tenant: Some("other".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(other.is_empty());

        // A retry that fails again keeps the letter open with the new reason.
        let id = first.dead_letter_ids[1];
        store
            .dead_letter_retry_failed(id, "still no tenant", true)
            .await
            .unwrap();
        let dl = store.dead_letter(id).await.unwrap().unwrap();
        assert_eq!((dl.status.as_str(), dl.attempts), ("open", 1));
        assert_eq!(dl.reason, "still no tenant");
        // A retry that succeeds resolves it in the batch's transaction.
        let fixed = vec![signin("acme", "d@acme.test", "2026-11-03T09:00:00Z", "r4")];
        store
            .commit_batch(&NewBatch {
                tenant: &acme,
                origin: "retry",
                signins: &fixed,
                skipped: 0,
                dead_letters: &[],
                resolves: Some(id),
            })
            .await
            .unwrap();
        let dl = store.dead_letter(id).await.unwrap().unwrap();
        assert_eq!((dl.status.as_str(), dl.attempts), ("resolved", 2));
        let open = store
            .list_dead_letters(&DeadLetterFilter {
                status: Some("open".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(open.len(), 1);
        assert!(store.dead_letter(9999).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn alerts_are_idempotent_by_key_and_stored_with_the_checkpoint() {
    each_backend(async |store: Store| {
        assert_eq!(store.checkpoint("detect").await.unwrap(), None);
        let f1 = finding("acme", "a@acme.test", "2026-11-01T10:00:00Z", "r1", "high");
        let f2 = finding(
            "brightline",
            "b@bl.test",
            "2026-11-02T10:00:00Z",
            "r2",
            "medium",
        );
        let batch = vec![("k1".to_owned(), f1.clone()), ("k2".to_owned(), f2.clone())];
        let r = store.store_detection(&batch, ("detect", 5)).await.unwrap();
        assert_eq!((r.inserted, r.amended, r.unchanged), (2, 0, 0));
        assert_eq!(store.checkpoint("detect").await.unwrap(), Some(5));
        // Running detection again over the same events raises nothing new.
        let r = store.store_detection(&batch, ("detect", 6)).await.unwrap();
        assert_eq!((r.inserted, r.amended, r.unchanged), (0, 0, 2));
        assert_eq!(store.checkpoint("detect").await.unwrap(), Some(6));
        // A changed finding under the same key amends the alert.
        let mut f1b = f1.clone();
        f1b.severity = rampart_model::Severity::Critical;
        let r = store
            .store_detection(&[("k1".to_owned(), f1b.clone())], ("detect", 7))
            .await
            .unwrap();
        assert_eq!((r.inserted, r.amended, r.unchanged), (0, 1, 0));

        let all = store.alerts(&AlertFilter::default()).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].finding, f2, "newest event time first");
        assert_eq!(all[1].finding, f1b);
        assert_eq!((all[1].revision, all[1].status.as_str()), (1, "new"));
        let one = store.alert(all[1].id).await.unwrap().unwrap();
        assert_eq!(one, all[1]);
        assert!(store.alert(424242).await.unwrap().is_none());

        let only = |filter: AlertFilter| {
            let store = store.clone();
            async move {
                store
                    .alerts(&filter)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|a| a.key)
                    .collect::<Vec<_>>()
            }
        };
        let acme = only(AlertFilter {
            tenants: Some(vec!["acme".into()]),
            ..Default::default()
        })
        .await;
        assert_eq!(acme, ["k1"]);
        assert!(
            only(AlertFilter {
                tenants: Some(vec![]),
                ..Default::default()
            })
            .await
            .is_empty()
        );
        assert_eq!(
            only(AlertFilter {
                severity: Some("critical".into()),
                ..Default::default()
            })
            .await,
            ["k1"]
        );
        assert_eq!(
            only(AlertFilter {
                since: Some("2026-11-02T00:00:00Z".parse().unwrap()),
                ..Default::default()
            })
            .await,
            ["k2"]
        );
        assert_eq!(
            only(AlertFilter {
                limit: Some(1),
                ..Default::default()
            })
            .await,
            ["k2"]
        );
        assert!(
            only(AlertFilter {
                kind: Some("impossible_travel".into()),
                ..Default::default()
            })
            .await
            .is_empty()
        );
        assert_eq!(
            store.alert_counts().await.unwrap(),
            vec![("password_spray".to_owned(), 2)]
        );

        // Raising and amending are in the audit log, about the alert.
        let history = store
            .audit(Some(&format!("alert:{}", all[1].id)), 100)
            .await
            .unwrap();
        let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["alert.raised", "alert.amended"]);
        assert_eq!(history[0].tenant.as_deref(), Some("acme"));
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_audit_log_is_append_only() {
    each_backend(async |store: Store| {
        let id = store
            .append_audit(&NewAudit {
                actor: "test",
                action: "thing.done",
                tenant: None,
                subject: Some("thing:1"),
                detail: "{\"n\": 1}",
            })
            .await
            .unwrap();
        let err = store.try_rewrite_audit(id).await.unwrap_err().to_string();
        assert!(err.contains("append-only"), "{err}");
        let entries = store.audit(Some("thing:1"), 10).await.unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].action, "thing.done");
        assert_eq!(entries[0].detail["n"], 1);
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn tokens_are_found_by_hash_only() {
    each_backend(async |store: Store| {
        let hash = "ab".repeat(32);
        let t = store
            .create_token("ingest-acme", Role::Ingest, Some("acme"), &hash)
            .await
            .unwrap();
        assert_eq!(t.role, Role::Ingest);
        let found = store.token_by_hash(&hash).await.unwrap().unwrap();
        assert_eq!(found, t);
        assert!(
            store
                .token_by_hash(&"ac".repeat(32))
                .await
                .unwrap()
                .is_none()
        );
        let admin = store
            .create_token("admin", Role::MspAdmin, None, &"cd".repeat(32))
            .await
            .unwrap();
        assert_eq!(admin.tenant, None);
        // The same hash twice is refused.
        assert!(
            store
                .create_token("again", Role::MspAdmin, None, &hash)
                .await
                .is_err()
        );
        let audit = store
            .audit(Some(&format!("token:{}", t.id)), 10)
            .await
            .unwrap();
        assert_eq!(audit[0].action, "token.created");
    })
    .await;
}

/// Snapshots are bytes, written in their own transaction; an older one never replaces a
/// newer one; one stored as plain text before the `data` column existed still reads.
#[tokio::test(flavor = "current_thread")]
async fn detector_snapshots_are_bytes_and_only_move_forward() {
    each_backend(async |store: Store| {
        assert_eq!(store.snapshot("detect").await.unwrap(), None);
        // Every byte value survives (the detector stores gzip).
        let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        assert!(store.write_snapshot("detect", 7, &bytes).await.unwrap());
        let s = store.snapshot("detect").await.unwrap().unwrap();
        assert_eq!((s.position, s.data.len()), (7, bytes.len()));
        assert_eq!(s.data, bytes);
        // A snapshot taken earlier but finishing later is not written over a newer one.
        assert!(!store.write_snapshot("detect", 5, b"older").await.unwrap());
        assert_eq!(store.snapshot("detect").await.unwrap().unwrap().position, 7);
        assert!(store.write_snapshot("detect", 9, b"newer").await.unwrap());
        let s = store.snapshot("detect").await.unwrap().unwrap();
        assert_eq!((s.position, s.data.as_slice()), (9, &b"newer"[..]));
        // Other names are their own.
        assert_eq!(store.snapshot("other").await.unwrap(), None);
    })
    .await;
}

/// A snapshot row as the first builds wrote it (JSON text in `body`, no `data`) still reads.
#[tokio::test(flavor = "current_thread")]
async fn a_snapshot_stored_as_text_before_migration_0007_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    Store::open(&path).await.unwrap().close().await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO detector_snapshots (name, position, body, updated_at) \
         VALUES ('detect', 3, '{\"version\": 1}', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let store = Store::open(&path).await.unwrap();
    let s = store.snapshot("detect").await.unwrap().unwrap();
    assert_eq!(
        (s.position, s.data.as_slice()),
        (3, &b"{\"version\": 1}"[..])
    );
}

/// A token is refused once revoked or past its expiry; both stay listed, with their
/// status; revoking is audited, and revoking twice changes nothing.
#[tokio::test(flavor = "current_thread")]
async fn tokens_expire_and_are_revoked() {
    each_backend(async |store: Store| {
        let now = Timestamp::now();
        let hour = jiff::SignedDuration::from_hours(1);
        let live = store
            .create_token_until(
                "live",
                Role::MspAdmin,
                None,
                &"01".repeat(32),
                Some(now + hour),
            )
            .await
            .unwrap();
        let past = store
            .create_token_until(
                "past",
                Role::MspAdmin,
                None,
                &"02".repeat(32),
                Some(now - hour),
            )
            .await
            .unwrap();
        let forever = store
            .create_token("forever", Role::Ingest, Some("acme"), &"03".repeat(32))
            .await
            .unwrap();
        assert_eq!(
            live.expires_at.map(|t| t.as_microsecond()),
            Some((now + hour).as_microsecond())
        );
        assert_eq!(
            store.token_by_hash(&"01".repeat(32)).await.unwrap(),
            Some(live.clone())
        );
        assert_eq!(store.token_by_hash(&"02".repeat(32)).await.unwrap(), None);
        assert!(
            store
                .token_by_hash(&"03".repeat(32))
                .await
                .unwrap()
                .is_some()
        );

        match store.revoke_token(forever.id, "cli").await.unwrap() {
            rampart_store::Revoked::Now(t) => assert_eq!(t.name, "forever"),
            other => panic!("{other:?}"),
        }
        assert_eq!(store.token_by_hash(&"03".repeat(32)).await.unwrap(), None);
        assert!(matches!(
            store.revoke_token(forever.id, "cli").await.unwrap(),
            rampart_store::Revoked::Already(_)
        ));
        assert_eq!(
            store.revoke_token(9_999, "cli").await.unwrap(),
            rampart_store::Revoked::NotFound
        );
        let audit = store
            .audit(Some(&format!("token:{}", forever.id)), 10)
            .await
            .unwrap();
        let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(
            actions,
            ["token.created", "token.revoked"],
            "once each, in order"
        );
        assert_eq!(audit[1].actor, "cli");

        let listed = store.tokens().await.unwrap();
        let status: Vec<(&str, &str)> = listed
            .iter()
            .map(|t| (t.name.as_str(), t.status(Timestamp::now())))
            .collect();
        assert_eq!(
            status,
            [
                ("forever", "revoked"),
                ("past", "expired"),
                ("live", "live")
            ]
        );
        assert_eq!(past.status(now), "expired");
    })
    .await;
}

/// Stores one alert (a finding at acme) and returns its id.
async fn one_alert(store: &Store) -> i64 {
    let f = finding("acme", "a@acme.test", "2026-11-01T10:00:00Z", "r1", "high");
    store
        .store_detection(&[("k1".to_owned(), f)], ("detect", 1))
        .await
        .unwrap();
    store.alerts(&AlertFilter::default()).await.unwrap()[0].id
}

/// Triage moves an alert forward (skipping allowed), resolves it only with a verdict,
/// reopens it only with a reason, refuses what does not fit its state, and keeps every
/// change and note, with who made it, as the alert's history.
#[tokio::test(flavor = "current_thread")]
async fn alerts_are_triaged_and_every_change_is_their_history() {
    use rampart_store::{Triage, TriageRefused};
    each_backend(async |store: Store| {
        let id = one_alert(&store).await;
        let to = |to: &'static str, verdict: Option<&'static str>, reason: Option<&'static str>| {
            Triage::Transition {
                to,
                verdict,
                reason,
            }
        };
        let ok = store
            .triage_alert(id, &to("acknowledged", None, None), "token:dana")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (ok.status.as_str(), ok.verdict.as_deref()),
            ("acknowledged", None)
        );
        // Not backwards to new, not again to the same state.
        for bad in ["new", "acknowledged"] {
            let r = store
                .triage_alert(id, &to(bad, None, None), "token:dana")
                .await
                .unwrap();
            assert!(
                matches!(r, Err(TriageRefused::Conflict(ref m)) if m.contains("is acknowledged")),
                "{bad}: {r:?}"
            );
        }
        // Resolving needs a (known) verdict; only resolving takes one.
        let r = store
            .triage_alert(id, &to("resolved", None, None), "token:dana")
            .await
            .unwrap();
        assert!(
            matches!(r, Err(TriageRefused::Invalid(ref m)) if m.contains("verdict")),
            "{r:?}"
        );
        let r = store
            .triage_alert(id, &to("resolved", Some("maybe"), None), "token:dana")
            .await
            .unwrap();
        assert!(matches!(r, Err(TriageRefused::Invalid(_))), "{r:?}");
        let r = store
            .triage_alert(id, &to("escalated", Some("benign"), None), "token:dana")
            .await
            .unwrap();
        assert!(matches!(r, Err(TriageRefused::Invalid(_))), "{r:?}");
        let r = store
            .triage_alert(id, &to("closed", None, None), "token:dana")
            .await
            .unwrap();
        assert!(
            matches!(r, Err(TriageRefused::Invalid(ref m)) if m.contains("unknown state")),
            "{r:?}"
        );
        store
            .triage_alert(
                id,
                &Triage::Assign {
                    assignee: Some("dana"),
                },
                "token:lead",
            )
            .await
            .unwrap()
            .unwrap();
        store
            .triage_alert(
                id,
                &Triage::Note {
                    text: "called the partner; not her",
                },
                "token:dana",
            )
            .await
            .unwrap()
            .unwrap();
        let done = store
            .triage_alert(
                id,
                &to("resolved", Some("true_positive"), None),
                "token:dana",
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                done.status.as_str(),
                done.verdict.as_deref(),
                done.assignee.as_deref()
            ),
            ("resolved", Some("true_positive"), Some("dana"))
        );
        // Reopening needs a reason, and clears the verdict.
        let r = store
            .triage_alert(id, &to("acknowledged", None, None), "token:dana")
            .await
            .unwrap();
        assert!(
            matches!(r, Err(TriageRefused::Invalid(ref m)) if m.contains("reason")),
            "{r:?}"
        );
        let again = store
            .triage_alert(
                id,
                &to(
                    "acknowledged",
                    None,
                    Some("same IP seen at another partner"),
                ),
                "token:lead",
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (again.status.as_str(), again.verdict),
            ("acknowledged", None)
        );
        assert_eq!(
            store
                .triage_alert(9_999, &Triage::Note { text: "x" }, "token:dana")
                .await
                .unwrap(),
            Err(TriageRefused::NotFound)
        );
        // Detection amending the finding keeps the triage state.
        let mut f2 = finding(
            "acme",
            "a@acme.test",
            "2026-11-01T10:00:00Z",
            "r1",
            "critical",
        );
        f2.title.push_str(" (amended)");
        store
            .store_detection(&[("k1".to_owned(), f2)], ("detect", 2))
            .await
            .unwrap();
        assert_eq!(
            store.alert(id).await.unwrap().unwrap().status,
            "acknowledged"
        );

        let history = store
            .audit(Some(&format!("alert:{id}")), 100)
            .await
            .unwrap();
        let steps: Vec<(&str, &str)> = history
            .iter()
            .map(|e| (e.actor.as_str(), e.action.as_str()))
            .filter(|(actor, _)| *actor != "engine")
            .collect();
        assert_eq!(
            steps,
            [
                ("token:dana", "alert.acknowledged"),
                ("token:lead", "alert.assigned"),
                ("token:dana", "alert.note"),
                ("token:dana", "alert.resolved"),
                ("token:lead", "alert.acknowledged"),
            ]
        );
        let reopened = history
            .iter()
            .rev()
            .find(|e| e.action == "alert.acknowledged")
            .unwrap();
        assert_eq!(reopened.detail["from"], "resolved");
        assert_eq!(reopened.detail["reason"], "same IP seen at another partner");
        let note = history.iter().find(|e| e.action == "alert.note").unwrap();
        assert_eq!(note.detail["text"], "called the partner; not her");
    })
    .await;
}

/// Two analysts moving the same alert at once: one wins, the other is told it changed.
#[tokio::test(flavor = "current_thread")]
async fn concurrent_triage_of_one_alert_lets_one_change_through() {
    use rampart_store::{Triage, TriageRefused};
    each_backend(async |store: Store| {
        let id = one_alert(&store).await;
        let ack = Triage::Transition {
            to: "acknowledged",
            verdict: None,
            reason: None,
        };
        let (a, b) = tokio::join!(
            store.triage_alert(id, &ack, "token:a"),
            store.triage_alert(id, &ack, "token:b")
        );
        let results = [a.unwrap(), b.unwrap()];
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{results:?}"
        );
        assert!(
            results
                .iter()
                .any(|r| matches!(r, Err(TriageRefused::Conflict(_))))
        );
        let history = store
            .audit(Some(&format!("alert:{id}")), 100)
            .await
            .unwrap();
        assert_eq!(
            history
                .iter()
                .filter(|e| e.action == "alert.acknowledged")
                .count(),
            1
        );
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn store_specs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.sqlite");
    let store = Store::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    store.ping().await.unwrap();
    assert_eq!(store.backend(), rampart_store::Backend::Sqlite);
    assert!(path.exists());
    let err = Store::connect("mysql://x").await.unwrap_err().to_string();
    assert!(err.contains("sqlite:PATH"), "{err}");
    let _ = Timestamp::now();
}

fn signin_from(tenant: &str, ip: Option<&str>, time: &str, id: &str) -> SignIn {
    let mut s = signin(tenant, "u@x.test", time, id);
    s.ip = ip.map(|ip| ip.parse().unwrap());
    s
}

async fn store_signins(store: &Store, tenant_name: &str, signins: &[SignIn]) {
    store
        .commit_batch(&NewBatch {
            tenant: &tenant(tenant_name),
            origin: "api",
            signins,
            skipped: 0,
            dead_letters: &[],
            resolves: None,
        })
        .await
        .unwrap();
}

fn ids(signins: &[SignIn]) -> Vec<&str> {
    signins.iter().map(|s| s.record_id.as_str()).collect()
}

#[tokio::test(flavor = "current_thread")]
async fn signins_are_found_by_network_across_tenants_and_families() {
    each_backend(async |store: Store| {
        let t = "2026-11-01T10:00:00Z";
        store_signins(
            &store,
            "acme",
            &[
                signin_from("acme", Some("45.155.205.12"), t, "a-exact"),
                signin_from(
                    "acme",
                    Some("45.155.205.200"),
                    "2026-11-01T09:00:00Z",
                    "a-net",
                ),
                signin_from("acme", Some("45.155.206.1"), t, "a-outside"),
                signin_from("acme", None, t, "a-no-ip"),
                signin_from(
                    "acme",
                    Some("45.155.205.13"),
                    "2026-10-01T10:00:00Z",
                    "a-old",
                ),
            ],
        )
        .await;
        store_signins(
            &store,
            "brightline",
            &[
                signin_from("brightline", Some("::ffff:45.155.205.12"), t, "b-mapped"),
                signin_from("brightline", Some("2a09:bac5:114:105::1a:9b"), t, "b-v6"),
                signin_from("brightline", Some("2a09:bac6::1"), t, "b-v6-outside"),
            ],
        )
        .await;
        let since: Timestamp = "2026-10-15T00:00:00Z".parse().unwrap();
        let q = |nets: &[&str]| {
            let nets: Vec<ipnet::IpNet> = nets.iter().map(|n| n.parse().unwrap()).collect();
            let store = store.clone();
            async move { store.signins_in_networks(&nets, since).await.unwrap() }
        };
        // an address is a one-address network; an IPv4-mapped address is the IPv4 one
        assert_eq!(
            ids(&q(&["45.155.205.12/32"]).await),
            ["a-exact", "b-mapped"]
        );
        // a /24 holds three, by time; the older one is before `since`; overlaps count once
        assert_eq!(
            ids(&q(&["45.155.205.0/24", "45.155.205.12/32"]).await),
            ["a-net", "a-exact", "b-mapped"]
        );
        assert_eq!(ids(&q(&["2a09:bac5::/32"]).await), ["b-v6"]);
        assert!(q(&["198.51.100.0/24"]).await.is_empty());
        // every IPv4 address, as an IPv6 network: not the sign-in without one, not IPv6 ones
        assert_eq!(q(&["0.0.0.0/0"]).await.len(), 4);
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn sign_ins_stored_before_the_address_column_are_indexed_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rampart.sqlite");
    let store = Store::open(&path).await.unwrap();
    let t = "2026-11-01T10:00:00Z";
    store_signins(
        &store,
        "acme",
        &[
            signin_from("acme", Some("45.155.205.12"), t, "r1"),
            signin_from("acme", None, t, "r2"),
        ],
    )
    .await;
    store.close().await;
    // what a store written before migration 0004 holds: no keys
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE signins SET ip_key = NULL")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let store = Store::open(&path).await.unwrap();
    let net: ipnet::IpNet = "45.155.205.0/24".parse().unwrap();
    let found = store
        .signins_in_networks(&[net], "2026-01-01T00:00:00Z".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(ids(&found), ["r1"]);
    store.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_large_batch_is_stored_whole_and_repeats_inside_it_once() {
    each_backend(async |store: Store| {
        let acme = tenant("acme");
        // More sign-ins than one INSERT statement holds, with a record repeated inside the
        // batch (across statements and within one).
        let mut signins: Vec<SignIn> = (0..600)
            .map(|i| {
                signin(
                    "acme",
                    &format!("u{}@acme.test", i % 7),
                    "2026-11-01T10:00:00Z",
                    &format!("r{i}"),
                )
            })
            .collect();
        signins.push(signins[3].clone());
        signins.insert(10, signins[9].clone());
        let receipt = store
            .commit_batch(&NewBatch {
                tenant: &acme,
                origin: "api",
                signins: &signins,
                skipped: 0,
                dead_letters: &[],
                resolves: None,
            })
            .await
            .unwrap();
        assert_eq!((receipt.inserted, receipt.duplicates), (600, 2));
        assert_eq!(
            store.signin_counts().await.unwrap(),
            vec![("acme".to_owned(), 600)]
        );
        let stored = store.signins_in_batches(0, receipt.seq).await.unwrap();
        assert_eq!(stored.len(), 600);
        assert_eq!(stored[599].signin, signins[600]);
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn retro_hunt_jobs_keep_status_and_progress() {
    use rampart_store::{NewRetroHunt, RetroHuntUpdate, RetroStatus};
    each_backend(async |store: Store| {
        let nets: Vec<ipnet::IpNet> = vec![
            "203.0.113.5/32".parse().unwrap(),
            "2001:db8::/48".parse().unwrap(),
        ];
        let since: Timestamp = "2026-10-01T00:00:00Z".parse().unwrap();
        let id = store
            .create_retro_hunt(&NewRetroHunt {
                actor: "token:admin",
                since,
                networks: &nets,
                indicators: 3,
            })
            .await
            .unwrap();
        let job = store.retro_hunt(id).await.unwrap().unwrap();
        assert_eq!(job.status, RetroStatus::Queued);
        assert_eq!(
            (job.networks.clone(), job.since, job.total),
            (nets.clone(), since, 2)
        );
        assert_eq!(job.started_at, None);
        let other = store
            .create_retro_hunt(&NewRetroHunt {
                actor: "token:admin",
                since,
                networks: &nets[..1],
                indicators: 1,
            })
            .await
            .unwrap();
        let running = RetroHuntUpdate {
            total: 2,
            searched: 1,
            candidates: 40,
            ..RetroHuntUpdate::default()
        };
        store
            .update_retro_hunt(id, RetroStatus::Running, &running)
            .await
            .unwrap();
        let job = store.retro_hunt(id).await.unwrap().unwrap();
        assert_eq!(
            (job.status, job.searched, job.candidates),
            (RetroStatus::Running, 1, 40)
        );
        assert!(job.started_at.is_some() && job.finished_at.is_none());
        let unfinished: Vec<i64> = store
            .unfinished_retro_hunts()
            .await
            .unwrap()
            .iter()
            .map(|j| j.id)
            .collect();
        assert_eq!(unfinished, vec![id, other]);
        let done = RetroHuntUpdate {
            total: 2,
            searched: 2,
            candidates: 41,
            findings: 5,
            alerts_raised: 4,
            alerts_existing: 1,
            error: None,
        };
        store
            .update_retro_hunt(id, RetroStatus::Done, &done)
            .await
            .unwrap();
        let job = store.retro_hunt(id).await.unwrap().unwrap();
        assert_eq!(
            (
                job.status,
                job.findings,
                job.alerts_raised,
                job.alerts_existing
            ),
            (RetroStatus::Done, 5, 4, 1)
        );
        assert!(job.finished_at.is_some());
        assert_eq!(
            store.unfinished_retro_hunts().await.unwrap().len(),
            1,
            "only the other job is left"
        );
        assert!(store.retro_hunt(id + 100).await.unwrap().is_none());
    })
    .await;
}

/// Ingest and detection write side by side (as `serve` does): a batch commit and a
/// detection write that reads the alerts before writing them must both wait for the
/// other, never fail with "database is locked".
#[tokio::test(flavor = "current_thread")]
async fn ingest_and_detection_write_side_by_side_without_lock_errors() {
    each_backend(async |store: Store| {
        let acme = tenant("acme");
        let ingest = {
            let store = store.clone();
            let acme = acme.clone();
            tokio::spawn(async move {
                for i in 0..60 {
                    let signins: Vec<SignIn> = (0..20)
                        .map(|j| {
                            signin(
                                "acme",
                                "a@acme.test",
                                "2026-11-01T10:00:00Z",
                                &format!("r{i}-{j}"),
                            )
                        })
                        .collect();
                    store
                        .commit_batch(&NewBatch {
                            tenant: &acme,
                            origin: "test",
                            signins: &signins,
                            skipped: 0,
                            dead_letters: &[],
                            resolves: None,
                        })
                        .await
                        .map_err(|e| format!("batch {i}: {e}"))?;
                }
                Ok::<(), String>(())
            })
        };
        let detect = {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..60 {
                    let f = finding(
                        "acme",
                        "a@acme.test",
                        "2026-11-01T10:00:00Z",
                        &format!("s{}", i % 7),
                        if i % 2 == 0 { "high" } else { "medium" },
                    );
                    store
                        .store_detection(&[(format!("k{}", i % 7), f)], ("detect", i))
                        .await
                        .map_err(|e| format!("detection write {i}: {e}"))?;
                }
                Ok::<(), String>(())
            })
        };
        ingest.await.unwrap().unwrap();
        detect.await.unwrap().unwrap();
        let stored = store.signins_in_batches(0, i64::MAX).await.unwrap();
        assert_eq!(stored.len(), 60 * 20);
        assert_eq!(store.checkpoint("detect").await.unwrap(), Some(59));
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn new_alerts_are_raised_once_and_existing_ones_left_alone() {
    each_backend(async |store: Store| {
        // An alert detection raised under k0.
        let live = finding("acme", "a@acme.test", "2026-11-01T10:00:00Z", "r0", "high");
        store
            .store_detection(&[("k0".to_owned(), live.clone())], ("detect", 1))
            .await
            .unwrap();
        // More findings than one statement holds, one under k0 (with other text) and one
        // key twice.
        let mut findings: Vec<(String, Finding)> = (1..=600)
            .map(|i| {
                (
                    format!("k{i}"),
                    finding(
                        "acme",
                        &format!("u{i}@acme.test"),
                        "2026-11-02T10:00:00Z",
                        &format!("r{i}"),
                        "medium",
                    ),
                )
            })
            .collect();
        let mut other = live.clone();
        other.title = "a retro-hunt's finding".into();
        findings.push(("k0".to_owned(), other));
        findings.push(findings[300].clone());
        let r = store.raise_new_alerts(&findings).await.unwrap();
        assert_eq!((r.inserted, r.amended, r.unchanged), (600, 0, 2));
        let all = store
            .alerts(&AlertFilter {
                limit: Some(1000),
                ..AlertFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(all.len(), 601);
        assert_eq!(
            store.alert_counts().await.unwrap(),
            vec![("password_spray".to_owned(), 601)]
        );
        let k0 = all.iter().find(|a| a.key == "k0").unwrap();
        assert_eq!(
            (k0.revision, &k0.finding),
            (0, &live),
            "left as detection raised it"
        );
        let k5 = all.iter().find(|a| a.key == "k5").unwrap();
        assert_eq!(k5.finding, findings[4].1);
        let audit = store
            .audit(Some(&format!("alert:{}", k5.id)), 10)
            .await
            .unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].action, "alert.raised");
        assert_eq!(audit[0].detail["key"], "k5");
        // Again: nothing raised.
        let r = store.raise_new_alerts(&findings).await.unwrap();
        assert_eq!((r.inserted, r.unchanged), (0, 602));
    })
    .await;
}
