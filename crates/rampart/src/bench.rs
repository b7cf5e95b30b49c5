//! `rampart bench hunt`: the whole hunt pipeline against its baseline, parsing the same
//! bytes into `serde_json::Value`, in one run on one thread.
//! `rampart bench stream`: streaming detection batch by batch with the incremental
//! detector, against the engine's former way (a full hunt over the look-back window for
//! every batch), in one run.

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

/// Streaming detection over generated sign-ins in event order, `batch` at a time: the
/// incremental detector (with `partitions` threads) against re-running `hunt` over the
/// look-back window (14 days + 48 h before the batch's first sign-in, up to its last) for
/// every batch, as the engine did before. The baseline runs over the last
/// `baseline_batches` batches only (its cost grows with the window, so those are its steady
/// state); both rates are sign-ins detected per second.
pub fn stream(
    events: usize,
    identities: usize,
    batch: usize,
    partitions: usize,
    baseline_batches: usize,
) -> Result<()> {
    if events == 0 || identities == 0 || batch == 0 || partitions == 0 {
        bail!("--events, --identities, --batch and --partitions must be at least 1");
    }
    eprintln!("generating {events} Entra Graph sign-ins for {identities} users…");
    let bytes = rampart_scenario::bench_graph_ndjson(events, identities, 42);
    let tenant = TenantId::new("bench")?;
    let mut signins: Vec<SignIn> = Vec::with_capacity(events);
    rampart_sources::decode_bytes(&bytes, "bench", &DecodeOptions { format: None }, &mut |d| {
        if let Decoded::SignIn(s) = d {
            let mut s = *s;
            s.tenant = Some(tenant.clone());
            rampart_geo::enrich(&mut s, None);
            signins.push(s);
        }
    });
    signins.sort_by(rampart_detect::event_order);
    let config = DetectConfig::default();
    let indicators = IndicatorSet::new();
    let span_h = match (signins.first(), signins.last()) {
        (Some(a), Some(b)) => (b.time.as_second() - a.time.as_second()) as f64 / 3600.0,
        _ => 0.0,
    };
    eprintln!(
        "{} sign-ins over {span_h:.0} h, batches of {batch}",
        signins.len()
    );

    // The incremental detector.
    let t = Instant::now();
    let mut detector = rampart_detect::Detector::new(partitions);
    let mut standing = std::collections::BTreeMap::new();
    let mut worst = Duration::ZERO;
    for chunk in signins.chunks(batch) {
        let b = Instant::now();
        for c in detector.process(chunk.to_vec(), &config, &indicators) {
            rampart_detect::apply(&mut standing, c);
        }
        worst = worst.max(b.elapsed());
    }
    let incremental = t.elapsed();
    let incremental_eps = signins.len() as f64 / incremental.as_secs_f64();
    let size = detector.size();
    eprintln!(
        "incremental: {:.3} s, {} findings, slowest batch {:.1} ms; holds {} identities, {} indexed sign-ins",
        incremental.as_secs_f64(),
        standing.len(),
        worst.as_secs_f64() * 1000.0,
        size.identities,
        size.indexed
    );

    // The baseline: a hunt over the look-back window for every batch.
    let lookback = jiff::SignedDuration::from_hours(14 * 24 + 48);
    let t = Instant::now();
    let mut detected = 0usize;
    let mut rounds = 0usize;
    let n_batches = signins.len().div_ceil(batch);
    let skip = n_batches.saturating_sub(baseline_batches);
    for (i, chunk) in signins.chunks(batch).enumerate().skip(skip) {
        let Some(first) = chunk.first() else { break };
        let since = first
            .time
            .checked_sub(lookback)
            .unwrap_or(jiff::Timestamp::MIN);
        let end = i * batch + chunk.len();
        let start = signins[..end].partition_point(|s| s.time < since);
        let out = rampart_detect::hunt(&signins[start..end], &config, &indicators);
        std::hint::black_box(out.findings.len());
        detected += chunk.len();
        rounds += 1;
    }
    let baseline = t.elapsed();
    let baseline_eps = detected as f64 / baseline.as_secs_f64();
    eprintln!(
        "re-hunt per batch: {:.3} s for the last {rounds} batches ({detected} sign-ins)",
        baseline.as_secs_f64()
    );
    println!(
        "stream: events={} batch={batch} partitions={partitions} incremental_eps={incremental_eps:.0} rehunt_eps={baseline_eps:.0} (last {rounds} batches) speedup={:.1}",
        signins.len(),
        incremental_eps / baseline_eps
    );
    Ok(())
}
