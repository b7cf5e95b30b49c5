//! `rampart bench serve`: the whole service over HTTP on this machine — the ingest API,
//! the durable store and the detection worker — driven by HTTP clients in the same
//! process (loopback, so client and server share the cores, as on a 2-core box).
//!
//! Two phases, each on its own tenant so that both see their sign-ins in event order:
//! - **Sustained throughput**: `clients` connections post generated Entra Graph sign-ins
//!   `batch` to a request as fast as the server takes them (obeying 429 `Retry-After`);
//!   the rate counts every sign-in from the first request until the detection worker has
//!   stored the findings of the last batch (ingest alone is reported beside it).
//! - **Latency at a fixed rate**: `rate` sign-ins per second in 20 requests a second for
//!   `seconds`; per request, the time from sending it until the detection worker has
//!   stored its findings as alerts (the engine's detection position reaches the batch's
//!   seq), p50 and p99 over requests.
//!
//! It measures and reports; nothing here asserts a timing.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rampart_engine::{DetectSettings, Engine, EngineConfig, Tenants};
use rampart_model::TenantId;
use rampart_store::{Role, Store};

use crate::serve::{AppState, app};

/// What `rampart bench serve` was asked for.
pub struct ServeBench {
    pub events: usize,
    pub identities: usize,
    pub batch: usize,
    pub clients: usize,
    pub rate: usize,
    pub seconds: u64,
    pub store: Option<String>,
    pub queue_capacity: usize,
}

const TOKEN: &str = "rmp_bench_serve_admin";
/// Requests per second in the latency phase.
const LATENCY_TICKS_PER_S: usize = 20;

pub fn run(args: ServeBench) -> Result<()> {
    if args.events == 0 || args.identities == 0 || args.batch == 0 || args.clients == 0 {
        bail!("--events, --identities, --batch and --clients must be at least 1");
    }
    if args.rate > 0 && args.rate < LATENCY_TICKS_PER_S {
        bail!("--rate must be 0 (no latency phase) or at least {LATENCY_TICKS_PER_S}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(bench(args))
}

/// The store to run on: a new SQLite file in a temporary directory, or a new schema in
/// the PostgreSQL database named (dropped afterwards).
async fn open(spec: Option<&str>, dir: &std::path::Path) -> Result<(Store, Option<String>)> {
    match spec {
        None => {
            let path = dir.join("rampart.sqlite");
            let store = Store::open(&path)
                .await
                .with_context(|| format!("cannot open {}", path.display()))?;
            Ok((store, None))
        }
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let schema = format!("rampart_bench_serve_{}", std::process::id());
            let store = Store::open_postgres(url, Some(&schema))
                .await
                .with_context(|| format!("cannot open a scratch schema {schema} in {url}"))?;
            Ok((store, Some(schema)))
        }
        Some(other) => bail!(
            "--store {other}: give a postgres:// URL (the bench makes a scratch schema there); \
             without --store it runs on a new SQLite file"
        ),
    }
}

async fn bench(args: ServeBench) -> Result<()> {
    let dir = tempfile::tempdir().context("cannot make a temporary directory")?;
    let (store, schema) = open(args.store.as_deref(), dir.path()).await?;
    let backend = match schema {
        Some(_) => "postgres",
        None => "sqlite",
    };
    store
        .create_token("bench", Role::MspAdmin, None, &crate::token::hash(TOKEN))
        .await
        .context("cannot create the bench token")?;
    let mut tenants = Tenants::new();
    let steady = TenantId::new("bench-steady")?;
    let paced = TenantId::new("bench-paced")?;
    tenants.add(steady.clone(), None, &[]);
    tenants.add(paced.clone(), None, &[]);
    let (engine, worker) = Engine::start(
        store.clone(),
        EngineConfig {
            tenants,
            detect: DetectSettings::new(Default::default(), Default::default()),
            queue_capacity: args.queue_capacity,
            geoip: None,
            run_worker: true,
        },
    )
    .await
    .context("cannot start the engine")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot listen on loopback")?;
    let addr = listener.local_addr()?;
    let router = app(AppState::new(engine.clone()));
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    // reqwest is built without a crypto provider of its own; rustls uses ring's.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()
        .context("cannot build the HTTP client")?;
    eprintln!(
        "server on http://{addr} ({backend}, {} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let result = async {
        let steady_line = sustained(&args, &client, addr, &steady, &engine).await?;
        let paced_line = if args.rate > 0 {
            latency(&args, &client, addr, &paced, &engine).await?
        } else {
            String::new()
        };
        let alerts = store.alert_counts().await?;
        let raised: u64 = alerts.iter().map(|(_, n)| *n).sum();
        println!("serve: store={backend} {steady_line}{paced_line} alerts={raised}");
        anyhow::Ok(())
    }
    .await;
    server.abort();
    worker.abort();
    if let Some(schema) = schema
        && let Err(e) = store.drop_bench_schema(&schema).await
    {
        eprintln!("could not drop the scratch schema {schema}: {e}");
    }
    store.close().await;
    result
}

/// Generated sign-ins, `batch` lines to a body.
fn bodies(events: usize, identities: usize, batch: usize, seed: u64) -> Vec<Vec<u8>> {
    let ndjson = rampart_scenario::bench_graph_ndjson(events, identities, seed);
    let lines: Vec<&[u8]> = ndjson
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    lines.chunks(batch).map(|c| c.join(&b'\n')).collect()
}

/// What one POST gave: the batch seq and the sign-ins accepted, after waiting out 429s.
async fn post(
    client: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
    busy: &std::sync::atomic::AtomicU64,
) -> Result<(i64, u64)> {
    loop {
        let resp = client
            .post(url)
            .bearer_auth(TOKEN)
            .header("content-type", "application/x-ndjson")
            .body(body.clone())
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        let status = resp.status();
        if status.as_u16() == 429 || status.as_u16() == 503 {
            busy.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let wait = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1);
            tokio::time::sleep(Duration::from_secs(wait)).await;
            continue;
        }
        let text = resp.text().await.context("reading the ingest answer")?;
        if !status.is_success() {
            bail!("POST {url}: {status}: {text}");
        }
        let v: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("the ingest answer is not JSON: {text}"))?;
        let seq = v["batch"]
            .as_i64()
            .context("the ingest answer has no batch")?;
        let accepted = v["accepted"].as_u64().unwrap_or(0);
        return Ok((seq, accepted));
    }
}

/// Waits until the detection worker has stored the findings of batch `seq`.
async fn detected(engine: &Engine, seq: i64) -> Result<()> {
    let mut rx = engine.detected();
    rx.wait_for(|p| *p >= seq)
        .await
        .context("the detection worker stopped")?;
    Ok(())
}

async fn sustained(
    args: &ServeBench,
    client: &reqwest::Client,
    addr: std::net::SocketAddr,
    tenant: &TenantId,
    engine: &Engine,
) -> Result<String> {
    eprintln!(
        "sustained: generating {} sign-ins for {} users, {} to a request…",
        args.events, args.identities, args.batch
    );
    let queue: VecDeque<Vec<u8>> = bodies(args.events, args.identities, args.batch, 42).into();
    let mb = queue.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    let queue = Arc::new(Mutex::new(queue));
    let busy = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let url = format!("http://{addr}/api/v1/tenants/{tenant}/ingest");
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.clients {
        let (queue, busy, client, url) = (queue.clone(), busy.clone(), client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let (mut last, mut accepted) = (0i64, 0u64);
            loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some(body) = next else { break };
                let (seq, n) = post(&client, &url, body, &busy).await?;
                last = last.max(seq);
                accepted += n;
            }
            anyhow::Ok((last, accepted))
        }));
    }
    let (mut last, mut accepted) = (0i64, 0u64);
    for t in tasks {
        let (l, n) = t.await.context("a client task failed")??;
        last = last.max(l);
        accepted += n;
    }
    let ingested = start.elapsed();
    detected(engine, last).await?;
    let total = start.elapsed();
    let busy = busy.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!(
        "sustained: {accepted} sign-ins ({mb:.1} MB) accepted in {:.2} s, detected by {:.2} s; {busy} answers 429/503",
        ingested.as_secs_f64(),
        total.as_secs_f64()
    );
    if accepted != args.events as u64 {
        bail!("{accepted} of {} sign-ins were accepted", args.events);
    }
    Ok(format!(
        "events={accepted} batch={} clients={} ingest_eps={:.0} sustained_eps={:.0} busy={busy}",
        args.batch,
        args.clients,
        accepted as f64 / ingested.as_secs_f64(),
        accepted as f64 / total.as_secs_f64()
    ))
}

async fn latency(
    args: &ServeBench,
    client: &reqwest::Client,
    addr: std::net::SocketAddr,
    tenant: &TenantId,
    engine: &Engine,
) -> Result<String> {
    let per_request = args.rate / LATENCY_TICKS_PER_S;
    let requests = LATENCY_TICKS_PER_S * args.seconds as usize;
    eprintln!(
        "latency: {} sign-ins/s for {} s ({per_request} a request, {LATENCY_TICKS_PER_S} requests/s)…",
        args.rate, args.seconds
    );
    let all = bodies(per_request * requests, args.identities, per_request, 43);
    let busy = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let url = format!("http://{addr}/api/v1/tenants/{tenant}/ingest");
    let mut tick = tokio::time::interval(Duration::from_secs(1) / LATENCY_TICKS_PER_S as u32);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(all.len());
    for body in all {
        tick.tick().await;
        let (busy, client, url, engine) =
            (busy.clone(), client.clone(), url.clone(), engine.clone());
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let (seq, _) = post(&client, &url, body, &busy).await?;
            detected(&engine, seq).await?;
            anyhow::Ok(sent.elapsed())
        }));
    }
    let mut took = Vec::with_capacity(tasks.len());
    for t in tasks {
        took.push(t.await.context("a client task failed")??);
    }
    let elapsed = start.elapsed();
    took.sort_unstable();
    let pct = |p: f64| {
        let i = ((took.len() as f64 * p).ceil() as usize).clamp(1, took.len()) - 1;
        took[i].as_secs_f64() * 1000.0
    };
    let achieved = (per_request * requests) as f64 / elapsed.as_secs_f64();
    eprintln!(
        "latency: {} requests over {:.1} s ({achieved:.0} sign-ins/s); ingest to stored alerts p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        took.len(),
        elapsed.as_secs_f64(),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    Ok(format!(
        " rate={} achieved_rate={achieved:.0} p50_ms={:.1} p99_ms={:.1}",
        args.rate,
        pct(0.5),
        pct(0.99)
    ))
}
