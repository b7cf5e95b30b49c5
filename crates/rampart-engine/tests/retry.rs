//! Dead-letter retries go through the same decode → assign → enrich path as ingest.

use std::sync::Arc;

use rampart_engine::{DetectSettings, Engine, EngineConfig, RetryOutcome, Tenants};
use rampart_geo::testdb::{CityEntry, write_city_db};
use rampart_store::Store;

const ORG: &str = "0f0f0f0f-1111-2222-3333-444455556666";

/// An O365 audit record: it carries an IP but no coordinates, so only GeoIP places it.
fn ual(id: &str, ip: &str) -> String {
    format!(
        r#"{{"CreationTime":"2026-07-01T13:00:00","Id":"{id}","Operation":"UserLoggedIn","OrganizationId":"{ORG}","RecordType":15,"ResultStatus":"Success","UserKey":"10032001","UserType":0,"Version":1,"Workload":"AzureActiveDirectory","ClientIP":"{ip}","ObjectId":"00000002-0000-0ff1-ce00-000000000000","UserId":"ana@acme.example","AzureActiveDirectoryEventType":1,"ExtendedProperties":[{{"Name":"UserAgent","Value":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)"}}],"ErrorNumber":"0"}}"#
    )
}

fn tenants(org_owner: &str) -> Tenants {
    let mut t = Tenants::new();
    t.add("acme".parse().unwrap(), None, &[]);
    t.add("bright".parse().unwrap(), None, &[]);
    t.add(org_owner.parse().unwrap(), None, &[ORG.to_owned()]);
    t
}

async fn engine(store: Store, tenants: Tenants, geoip: Arc<rampart_geo::GeoIp>) -> Engine {
    Engine::start(
        store,
        EngineConfig {
            tenants,
            detect: DetectSettings::new(Default::default(), Default::default()),
            queue_capacity: 16,
            geoip: Some(geoip),
            run_worker: false,
        },
    )
    .await
    .unwrap()
    .0
}

#[tokio::test]
async fn a_retried_dead_letter_is_enriched_like_an_ingested_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("city.mmdb");
    write_city_db(
        &db,
        &[CityEntry {
            network: "203.0.113.0/24".parse().unwrap(),
            lat: 40.71,
            lon: -74.0,
            accuracy_radius: 20,
            city: Some("New York".into()),
            region: None,
            country: Some("US".into()),
        }],
    )
    .unwrap();
    let geoip = Arc::new(rampart_geo::GeoIp::open(&[db]).unwrap());
    let store = Store::open(&dir.path().join("rampart.sqlite"))
        .await
        .unwrap();

    // The organization belongs to "bright": a record of it sent to acme is refused.
    let first = engine(store.clone(), tenants("bright"), geoip.clone()).await;
    let acme = "acme".parse().unwrap();
    let refused = first
        .ingest(&acme, ual("rec-1", "203.0.113.9").into_bytes(), "api")
        .await
        .unwrap();
    assert_eq!((refused.accepted, refused.rejected), (0, 1), "{refused:?}");
    let letter_id = refused.errors[0].dead_letter;
    // Another record of the same shape, ingested where it belongs: GeoIP places it.
    let ingested = first
        .ingest(
            &"bright".parse().unwrap(),
            ual("rec-2", "203.0.113.10").into_bytes(),
            "api",
        )
        .await
        .unwrap();
    assert_eq!(ingested.accepted, 1, "{ingested:?}");
    drop(first);

    // The configuration now gives the organization to acme: the retry is accepted.
    let second = engine(store.clone(), tenants("acme"), geoip).await;
    let letter = store.dead_letter(letter_id).await.unwrap().unwrap();
    let outcome = second.retry_dead_letter(&letter).await.unwrap();
    let RetryOutcome::Accepted { batch } = outcome else {
        panic!("the retry was refused: {outcome:?}");
    };
    let stored = store.signins_in_batches(0, batch).await.unwrap();
    let by_id = |id: &str| {
        stored
            .iter()
            .find(|s| s.signin.record_id.ends_with(id))
            .unwrap_or_else(|| panic!("{id} is stored: {stored:#?}"))
            .signin
            .clone()
    };
    let (retried, ingested) = (by_id("rec-1"), by_id("rec-2"));
    assert_eq!(retried.tenant.as_ref().map(|t| t.as_str()), Some("acme"));
    let place = |s: &rampart_model::SignIn| {
        let l = s.location.as_ref().expect("a location");
        (l.city.clone(), l.country.clone(), l.lat, l.lon, l.source)
    };
    assert_eq!(place(&retried), place(&ingested));
    assert_eq!(
        retried.location.as_ref().unwrap().city.as_deref(),
        Some("New York")
    );
}
