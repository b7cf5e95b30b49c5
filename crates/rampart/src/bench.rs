//! `rampart bench hunt`: the whole hunt pipeline against its baseline, parsing the same
//! bytes into `serde_json::Value`, in one run on one thread.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use rampart_detect::{DetectConfig, IndicatorSet};
use rampart_model::{Outcome, SignIn, SourceFormat, TenantId};
use rampart_sources::{DecodeOptions, Decoded};

pub fn hunt(
    events: usize,
    identities: usize,
    state_identities: usize,
    rounds: usize,
) -> Result<()> {
    if events == 0 || identities == 0 || rounds == 0 {
        bail!("--events, --identities and --rounds must be at least 1");
    }
    eprintln!("generating {events} Entra Graph sign-ins for {identities} users…");
    let bytes = rampart_scenario::bench_graph_ndjson(events, identities, 42);
    eprintln!("{:.1} MB of NDJSON", bytes.len() as f64 / 1e6);
    let tenant = TenantId::new("bench")?;
    let config = DetectConfig::default();
    let indicators = IndicatorSet::new();

    let mut parse_best = Duration::MAX;
    let mut pipe_best = Duration::MAX;
    let mut decoded = 0;
    let mut findings = 0;
    for round in 1..=rounds {
        // Baseline: parse every record into serde_json::Value.
        let t = Instant::now();
        let mut n = 0usize;
        for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let v: serde_json::Value = serde_json::from_slice(line)?;
            n += usize::from(!v.is_null());
        }
        let parse = t.elapsed();
        std::hint::black_box(n);

        // The pipeline: decode, assign the tenant, enrich, detect.
        let t = Instant::now();
        let mut signins: Vec<SignIn> = Vec::with_capacity(events);
        rampart_sources::decode_bytes(&bytes, "bench", &DecodeOptions { format: None }, &mut |d| {
            if let Decoded::SignIn(s) = d {
                let mut s = *s;
                s.tenant = Some(tenant.clone());
                signins.push(s);
            }
        });
        for s in &mut signins {
            rampart_geo::enrich(s, None);
        }
        let out = rampart_detect::hunt(&signins, &config, &indicators);
        let pipe = t.elapsed();
        decoded = signins.len();
        findings = out.findings.len();
        eprintln!(
            "round {round}: pipeline {:.3} s, parse only {:.3} s",
            pipe.as_secs_f64(),
            parse.as_secs_f64()
        );
        parse_best = parse_best.min(parse);
        pipe_best = pipe_best.min(pipe);
    }
    if decoded != events {
        bail!("the pipeline decoded {decoded} of {events} generated sign-ins");
    }
    eprintln!("{findings} findings on the generated data");

    eprintln!("measuring detector state at {state_identities} identities…");
    let per_identity = state_bytes_per_identity(state_identities, &tenant)?;

    let pipeline_eps = events as f64 / pipe_best.as_secs_f64();
    let parse_eps = events as f64 / parse_best.as_secs_f64();
    println!(
        "hunt: events={events} pipeline_eps={pipeline_eps:.0} parse_only_eps={parse_eps:.0} ratio={:.2} bytes_per_identity={per_identity}",
        pipeline_eps / parse_eps
    );
    Ok(())
}

/// Runs the detector over two sign-ins for each of `n` identities (home, then a second
/// place) and reports the identity table's bytes per identity.
fn state_bytes_per_identity(n: usize, tenant: &TenantId) -> Result<usize> {
    let template = SignIn {
        tenant: Some(tenant.clone()),
        provider_tenant: None,
        user: String::new(),
        time: jiff::Timestamp::from_second(1_750_000_000)?,
        ip: None,
        location: Some(rampart_model::Location {
            lat: 40.71,
            lon: -74.0,
            city: Some("New York".into()),
            region: None,
            country: Some("US".into()),
            source: rampart_model::GeoSource::Record,
            accuracy_km: None,
        }),
        asn: None,
        network: Default::default(),
        app: None,
        client_app: None,
        user_agent: None,
        os: None,
        device_id: None,
        interactive: Some(true),
        session_id: None,
        correlation_id: None,
        outcome: Outcome::Success,
        result_code: None,
        result_detail: None,
        source_format: SourceFormat::EntraGraph,
        record_id: String::new(),
    };
    let mut signins = Vec::with_capacity(n * 2);
    for i in 0..n {
        for k in 0..2u32 {
            let mut s = template.clone();
            s.user = format!("user{i}@bench.example");
            s.record_id = format!("{i}-{k}");
            s.time = jiff::Timestamp::from_second(1_750_000_000 + i64::from(k) * 36_000)?;
            s.ip = Some(std::net::IpAddr::V4(std::net::Ipv4Addr::from(
                0x0A00_0000u32.wrapping_add((i as u32) << 1).wrapping_add(k),
            )));
            if k == 1
                && let Some(l) = &mut s.location
            {
                l.lat = 42.36;
                l.lon = -71.06;
                l.city = Some("Boston".into());
            }
            signins.push(s);
        }
    }
    let out = rampart_detect::hunt(&signins, &DetectConfig::default(), &IndicatorSet::new());
    if out.stats.identities != n {
        bail!("tracked {} identities, expected {n}", out.stats.identities);
    }
    Ok(out.stats.state_bytes / n)
}
