//! `rampart bench retro`: a retro-hunt of N stored sign-ins for K new indicators, on a
//! fresh store (a temporary SQLite file, or a dedicated PostgreSQL schema dropped after).
//!
//! The data is generated deterministically: sign-ins of 20 tenants over the 30 days before
//! a fixed instant, from a pool of N/10 addresses (5 % IPv6); K indicators, 98 % single
//! addresses (one in ten taken from the pool, so it names stored sign-ins; the rest
//! random), 1.8 % /24 networks and 0.2 % /16 networks. Loading (the store's batch insert,
//! [`rampart_store::Store::commit_batch`]) is timed apart from the hunt; the hunt is what
//! a retro-hunt job does: the range scans, judging the sign-ins found, raising alerts.
//! `--baseline` also times the obvious alternative in the same run: read every sign-in of
//! the window and look each one up in the indicator set.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use ipnet::IpNet;
use jiff::{SignedDuration, Timestamp};
use rampart_detect::{DetectConfig, IndicatorSet};
use rampart_intel::{Indicator, Observable, Provenance};
use rampart_model::{SignIn, TenantId};
use rampart_store::{NewBatch, Store};

pub struct RetroArgs {
    pub signins: usize,
    pub indicators: usize,
    pub store: Option<String>,
    pub batch: usize,
    pub baseline: bool,
}

/// The instant the generated history ends at.
const END: &str = "2026-11-01T00:00:00Z";
const TENANTS: usize = 20;

/// SplitMix64: a small deterministic generator (the data must be the same every run).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The k-th address of the pool sign-ins come from.
fn pool_ip(k: u64) -> IpAddr {
    let h = mix(k ^ 0x5EED);
    if h.is_multiple_of(20) {
        let lo = u128::from(mix(h));
        IpAddr::V6(Ipv6Addr::from(
            (0x2001_0db8_u128 << 96) | (lo & ((1 << 80) - 1)),
        ))
    } else {
        // Public-looking IPv4 (first octet 11..=222).
        let a = 11 + (h >> 32) % 212;
        IpAddr::V4(Ipv4Addr::from(
            ((a as u32) << 24) | (h as u32 & 0x00FF_FFFF),
        ))
    }
}

fn template() -> Result<SignIn> {
    Ok(serde_json::from_value(serde_json::json!({
        "tenant": "bench-00",
        "user": "user@bench.test",
        "time": END,
        "ip": "198.51.100.7",
        "location": {"lat": 40.71, "lon": -74.0, "city": "New York", "country": "US", "source": "record"},
        "app": "Office 365 Exchange Online",
        "client_app": "Browser",
        "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
        "os": "Windows 10",
        "interactive": true,
        "outcome": "success",
        "result_code": "0",
        "source_format": "entra_graph",
        "record_id": "0"
    }))?)
}

/// The sign-ins of batch `b` (`len` of them, all of one tenant).
fn batch_signins(
    base: &SignIn,
    tenants: &[TenantId],
    b: usize,
    start: usize,
    len: usize,
    pool: u64,
    end: Timestamp,
) -> Vec<SignIn> {
    let tenant = &tenants[b % tenants.len()];
    let mut rng = Rng(0xB47C ^ ((b as u64) << 20));
    let window_s = 30 * 86_400;
    (start..start + len)
        .map(|i| {
            let mut s = base.clone();
            s.tenant = Some(tenant.clone());
            s.user = format!("user{}@{}.test", rng.below(5_000), tenant);
            s.time = end - SignedDuration::from_secs(1 + rng.below(window_s) as i64);
            s.ip = Some(pool_ip(rng.below(pool)));
            s.record_id = format!("r{i}");
            s
        })
        .collect()
}

/// K indicators, as the module documentation describes.
fn generate_indicators(k: usize, pool: u64, end: Timestamp) -> Vec<Indicator> {
    let mut rng = Rng(0x1D1C);
    let seen = end - SignedDuration::from_hours(24 * 60);
    (0..k)
        .map(|i| {
            let roll = rng.below(1000);
            let observable = if roll < 2 {
                let ip = Ipv4Addr::from(pool_ip_v4(&mut rng, pool));
                Observable::Cidr(IpNet::V4(
                    ipnet::Ipv4Net::new(ip, 16)
                        .map(|n| n.trunc())
                        .unwrap_or_default(),
                ))
            } else if roll < 20 {
                let ip = Ipv4Addr::from(pool_ip_v4(&mut rng, pool));
                Observable::Cidr(IpNet::V4(
                    ipnet::Ipv4Net::new(ip, 24)
                        .map(|n| n.trunc())
                        .unwrap_or_default(),
                ))
            } else if roll.is_multiple_of(10) {
                Observable::Ip(pool_ip(rng.below(pool)))
            } else {
                let first = 11 + rng.below(212) as u32;
                let rest = rng.next() as u32 & 0x00FF_FFFF;
                Observable::Ip(IpAddr::V4(Ipv4Addr::from((first << 24) | rest)))
            };
            let mut ind = Indicator::new(
                observable,
                Provenance::Feed {
                    name: "bench".to_owned(),
                    location: Some(format!("line {}", i + 1)),
                },
                seen,
            );
            // Live at every sign-in's time (a list with no dates, as hunts read them).
            ind.decays = false;
            ind
        })
        .collect()
}

/// An IPv4 address of the pool (networks are drawn around them).
fn pool_ip_v4(rng: &mut Rng, pool: u64) -> u32 {
    loop {
        if let IpAddr::V4(a) = pool_ip(rng.below(pool)) {
            return u32::from(a);
        }
    }
}

pub fn retro(args: RetroArgs) -> Result<()> {
    if args.signins == 0 || args.indicators == 0 || args.batch == 0 {
        bail!("--signins, --indicators and --batch must be at least 1");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run(args))
}

/// A fresh store for the bench, and how to remove it.
enum Fresh {
    SqlitePath(std::path::PathBuf),
    Postgres(String),
}

async fn open_fresh(spec: Option<&str>) -> Result<(Store, Fresh, &'static str)> {
    match spec {
        None => {
            let path = std::env::temp_dir()
                .join(format!("rampart-bench-retro-{}.sqlite", std::process::id()));
            let store = Store::open(&path).await?;
            Ok((store, Fresh::SqlitePath(path), "sqlite"))
        }
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let schema = format!("rampart_bench_{}", std::process::id());
            let store = Store::open_postgres(url, Some(&schema))
                .await
                .with_context(|| format!("cannot open a bench schema {schema}"))?;
            Ok((store, Fresh::Postgres(schema), "postgres"))
        }
        Some(spec) => {
            let path = spec
                .strip_prefix("sqlite://")
                .or_else(|| spec.strip_prefix("sqlite:"))
                .with_context(|| format!("--store {spec:?}: give sqlite:PATH or postgres://…"))?;
            let path = std::path::PathBuf::from(path);
            if path.exists() {
                bail!(
                    "--store {spec}: {} exists; the bench writes a fresh store (give a new path)",
                    path.display()
                );
            }
            let store = Store::open(&path).await?;
            Ok((store, Fresh::SqlitePath(path), "sqlite"))
        }
    }
}

async fn run(args: RetroArgs) -> Result<()> {
    let end: Timestamp = END.parse()?;
    let since = end - SignedDuration::from_hours(24 * 30);
    let (store, fresh, kind) = open_fresh(args.store.as_deref()).await?;
    let result = bench(&store, kind, &args, end, since).await;
    match &fresh {
        Fresh::Postgres(schema) => {
            if let Err(e) = store.drop_bench_schema(schema).await {
                eprintln!("could not drop the bench schema {schema}: {e}");
            }
        }
        Fresh::SqlitePath(path) => {
            store.close().await;
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
    }
    store.close().await;
    result
}

async fn bench(
    store: &Store,
    kind: &str,
    args: &RetroArgs,
    end: Timestamp,
    since: Timestamp,
) -> Result<()> {
    let tenants: Vec<TenantId> = (0..TENANTS)
        .map(|t| TenantId::new(&format!("bench-{t:02}")))
        .collect::<Result<_, _>>()?;
    for t in &tenants {
        store.upsert_tenant(t, None).await?;
    }
    let pool = (args.signins as u64 / 10).max(1);
    let base = template()?;
    eprintln!(
        "loading {} generated sign-ins into {} ({} a batch)…",
        args.signins,
        store.describe(),
        args.batch
    );
    let t = Instant::now();
    let mut start = 0;
    let mut b = 0;
    while start < args.signins {
        let len = args.batch.min(args.signins - start);
        let signins = batch_signins(&base, &tenants, b, start, len, pool, end);
        let tenant = &tenants[b % tenants.len()];
        store
            .commit_batch(&NewBatch {
                tenant,
                origin: "bench",
                signins: &signins,
                skipped: 0,
                dead_letters: &[],
                resolves: None,
            })
            .await?;
        start += len;
        b += 1;
        if b % 100 == 0 {
            eprintln!("  {start} sign-ins, {:.0} s", t.elapsed().as_secs_f64());
        }
    }
    store.analyze().await?;
    let load = t.elapsed().as_secs_f64();
    eprintln!(
        "loaded in {load:.1} s ({:.0} sign-ins/s), statistics updated",
        args.signins as f64 / load
    );

    let indicators = generate_indicators(args.indicators, pool, end);
    let mut set = IndicatorSet::new();
    for i in &indicators {
        set.insert(i.clone());
    }
    let networks = rampart_engine::retro_networks(&indicators);
    let detect = DetectConfig::default();
    eprintln!(
        "retro-hunt for {} indicators since {since}…",
        networks.len()
    );
    let t = Instant::now();
    let report = rampart_engine::retro_search(store, &detect, &set, &networks, since).await?;
    let searched = t.elapsed().as_secs_f64();
    let keyed: Vec<(String, rampart_model::Finding)> = report
        .findings
        .iter()
        .map(|f| (rampart_engine::retro_key(f), f.clone()))
        .collect();
    let stored = store.raise_new_alerts(&keyed).await?;
    let seconds = t.elapsed().as_secs_f64();
    eprintln!(
        "{} ranges searched, {} sign-ins inside them, {} findings, {} alerts raised: \
         search and judge {searched:.3} s, alerts {:.3} s",
        report.ranges,
        report.candidates,
        report.findings.len(),
        stored.inserted,
        seconds - searched
    );
    if args.baseline {
        eprintln!("baseline: every sign-in of the window, each looked up in the indicator set…");
        let t = Instant::now();
        let all = store.signins_since(since).await?;
        let hits = all
            .iter()
            .filter(|s| {
                s.ip.zip(s.tenant.as_ref())
                    .is_some_and(|(ip, tenant)| set.decide_ip_for(ip, s.time, tenant).is_some())
            })
            .count();
        let full = t.elapsed().as_secs_f64();
        eprintln!(
            "baseline: {} sign-ins read, {hits} inside an indicator, {full:.3} s ({:.1}× the retro-hunt's search)",
            all.len(),
            full / searched
        );
    }
    println!(
        "retro: store={kind} signins={} indicators={} load_seconds={load:.1} seconds={seconds:.3} hits={} candidates={}",
        args.signins,
        args.indicators,
        report.findings.len(),
        report.candidates
    );
    Ok(())
}
