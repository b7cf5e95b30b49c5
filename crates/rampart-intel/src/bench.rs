//! A library benchmark for `rampart bench indicators`: load time for `n` synthetic
//! indicators (CSV parse, normalization and indexing) and the mean time of one lookup.
//! It measures and reports; it asserts nothing about timings.
//!
//! Times are the benchmarking thread's CPU time (what the work costs, whatever else the
//! machine runs); wall-clock times are reported beside them. On an idle machine the two
//! agree; on a shared one wall-clock also counts the time other processes held the core.

use std::fmt;
use std::hint::black_box;
use std::time::Instant;

use cpu_time::ThreadTime;

use jiff::Timestamp;

use crate::import::{ImportOptions, import_csv};
use crate::matcher::IndicatorSet;
use crate::model::{Observable, ObservableKind};
use crate::normalize::parse;

/// What [`bench_indicators`] measured.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchReport {
    /// Indicators loaded.
    pub n: usize,
    /// Seconds (CPU) to parse the CSV and build the matcher.
    pub load_s: f64,
    /// The same, wall-clock.
    pub load_wall_s: f64,
    /// Lookups timed.
    pub lookups: usize,
    /// Lookups that matched at least one indicator.
    pub hits: usize,
    /// Mean nanoseconds (CPU) per lookup.
    pub lookup_ns: f64,
    /// The same, wall-clock.
    pub lookup_wall_ns: f64,
    /// Mean nanoseconds per lookup of a listed value (or one inside a listed network or
    /// domain).
    pub listed_ns: f64,
    /// Mean nanoseconds per lookup of an unlisted value (nearly all miss).
    pub random_ns: f64,
    /// Mean nanoseconds (CPU) per lookup when the queries are read straight from the
    /// bench's list of all of them, so each value is also a cache miss of its own.
    pub cold_lookup_ns: f64,
    /// Per kind of query (`ip`, `domain`, `url`, `hash`): mean nanoseconds (CPU) of its
    /// listed and of its unlisted lookups.
    pub by_kind: Vec<KindTimes>,
}

/// [`BenchReport::by_kind`]: one kind of query's lookups, listed and unlisted apart.
#[derive(Clone, Debug, PartialEq)]
pub struct KindTimes {
    pub kind: &'static str,
    pub listed_ns: f64,
    pub unlisted_ns: f64,
}

impl fmt::Display for BenchReport {
    /// `indicators: n=N load_s=S lookup_ns=L`, the line `rampart bench indicators` ends with.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "indicators: n={} load_s={:.3} lookup_ns={:.0}",
            self.n, self.load_s, self.lookup_ns
        )
    }
}

/// CPU and wall-clock time since a start.
struct Clock {
    cpu: Option<ThreadTime>,
    wall: Instant,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            // Thread CPU time is read from the OS; where it cannot be, wall-clock stands in.
            cpu: ThreadTime::try_now().ok(),
            wall: Instant::now(),
        }
    }

    /// (CPU, wall-clock) seconds since the start.
    fn elapsed(&self) -> (f64, f64) {
        let wall = self.wall.elapsed();
        let cpu = self
            .cpu
            .as_ref()
            .and_then(|t| t.try_elapsed().ok())
            .unwrap_or(wall);
        (cpu.as_secs_f64(), wall.as_secs_f64())
    }
}

/// Queries handed to the matcher in batches of this many.
const BATCH: usize = 1_000;

/// Times lookups as a pipeline makes them: a batch of values is first copied out of the
/// bench's list (untimed, as a decoder would have just written them), then looked up one
/// by one (timed).
struct Timer<'s> {
    set: &'s IndicatorSet,
    now: Timestamp,
    batch: Vec<Observable>,
    found: Vec<crate::matcher::Match<'s>>,
}

impl<'s> Timer<'s> {
    fn new(set: &'s IndicatorSet, now: Timestamp) -> Timer<'s> {
        Timer {
            set,
            now,
            batch: Vec::with_capacity(BATCH),
            found: Vec::new(),
        }
    }

    /// (CPU s, wall-clock s, lookups that matched) over `queries`.
    fn time<'q>(&mut self, queries: impl Iterator<Item = &'q Observable>) -> (f64, f64, usize) {
        let (mut cpu, mut wall, mut hits) = (0.0, 0.0, 0);
        let mut queries = queries.peekable();
        while queries.peek().is_some() {
            self.batch.clear();
            self.batch.extend(queries.by_ref().take(BATCH).cloned());
            let clock = Clock::start();
            for q in &self.batch {
                self.set
                    .lookup_into(black_box(q), self.now, &mut self.found);
                if !black_box(&self.found).is_empty() {
                    hits += 1;
                }
            }
            let (c, w) = clock.elapsed();
            cpu += c;
            wall += w;
        }
        (cpu, wall, hits)
    }
}

/// A small deterministic generator (xorshift64*), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn ipv4(r: u64) -> String {
    let b = r.to_be_bytes();
    // Stay out of 0/8, 10/8 and the multicast range; the exact mix does not matter.
    format!("{}.{}.{}.{}", 11 + b[0] % 200, b[1], b[2], b[3])
}

/// The synthetic list: 60 % IPv4, 10 % /24 networks, 20 % domains, 10 % SHA-256, as CSV.
pub fn synthetic_csv(n: usize, seed: u64) -> String {
    let mut rng = Rng(seed | 1);
    let mut out = String::with_capacity(n * 40);
    out.push_str("type,value,description\n");
    for i in 0..n {
        let r = rng.next();
        match i % 10 {
            0..=5 => out.push_str(&format!("ipv4,{},bench\n", ipv4(r))),
            6 => out.push_str(&format!("cidr,{}/24,bench\n", ipv4(r))),
            7 | 8 => out.push_str(&format!(
                "domain,h{r:x}[.]bench-{}.example,bench\n",
                r % 997
            )),
            _ => out.push_str(&format!(
                "sha256,{r:016x}{:016x}{r:016x}{:016x},bench\n",
                r ^ 1,
                r ^ 2
            )),
        }
    }
    out
}

/// The query mix: what a stream of events asks the matcher, by kind.
const MIX: [(QueryKind, u64); 4] = [
    (QueryKind::Ip, 50),
    (QueryKind::Domain, 20),
    (QueryKind::Url, 15),
    (QueryKind::Hash, 15),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum QueryKind {
    Ip,
    Domain,
    Url,
    Hash,
}

impl QueryKind {
    fn label(self) -> &'static str {
        match self {
            QueryKind::Ip => "ip",
            QueryKind::Domain => "domain",
            QueryKind::Url => "url",
            QueryKind::Hash => "hash",
        }
    }
}

/// Loads `n` synthetic indicators ([`synthetic_csv`]) and times `lookups` lookups with
/// [`IndicatorSet::lookup_into`] at one event time, over a mix of kinds like an event
/// stream's: 50 % IPv4 addresses, 20 % domains, 15 % URLs, 15 % SHA-256 hashes. One query
/// in five is listed (a listed IP, a host inside a listed network, a subdomain of a listed
/// domain, a URL on a listed domain, a listed hash) and the rest are not (random values of
/// the same shapes). Queries are normalized beforehand and handed over in batches of
/// [`BATCH`] just copied out of the list, as a decoder leaves an event's values (in cache):
/// the time is the matcher's alone. The same queries read cold from the whole list are
/// timed too ([`BenchReport::cold_lookup_ns`]). Run it in a release build.
pub fn bench_indicators(n: usize, lookups: usize) -> BenchReport {
    let csv = synthetic_csv(n, 0x5eed);
    let now = Timestamp::now();
    let opts = ImportOptions::new(now);
    let clock = Clock::start();
    let report = import_csv(csv.as_bytes(), "bench", &opts);
    let mut set = IndicatorSet::new();
    set.reserve(&report.indicators);
    for ind in report.indicators {
        set.insert(ind);
    }
    let (load_s, load_wall_s) = clock.elapsed();

    let mut by_kind: [Vec<&Observable>; 4] = Default::default();
    for i in set.iter() {
        let slot = match &i.observable {
            Observable::Ip(_) | Observable::Cidr(_) => 0,
            Observable::Domain(_) => 1,
            _ => 3,
        };
        by_kind[slot].push(&i.observable);
    }
    let mut rng = Rng(0xfeed);
    let total: u64 = MIX.iter().map(|(_, w)| w).sum();
    let mut queries = Vec::with_capacity(lookups);
    let mut listed = Vec::with_capacity(lookups);
    let mut kinds = Vec::with_capacity(lookups);
    while queries.len() < lookups {
        let r = rng.next();
        let mut pick = r % total;
        let kind = MIX
            .iter()
            .find(|(_, w)| {
                let here = pick < *w;
                pick = pick.saturating_sub(*w);
                here
            })
            .map_or(QueryKind::Ip, |(k, _)| *k);
        let hit = rng.next().is_multiple_of(5);
        let r2 = rng.next();
        let from = |slot: usize| -> Option<&Observable> {
            let v = &by_kind[slot];
            (!v.is_empty()).then(|| v[(r2 % v.len() as u64) as usize])
        };
        let q = match (kind, hit) {
            (QueryKind::Ip, true) => match from(0) {
                Some(Observable::Cidr(net)) => Some(Observable::Ip(net.network())),
                other => other.cloned(),
            },
            (QueryKind::Domain, true) => match from(1) {
                Some(Observable::Domain(d)) => Some(Observable::Domain(format!("www.{d}"))),
                _ => None,
            },
            (QueryKind::Url, true) => match from(1) {
                Some(Observable::Domain(d)) => {
                    Some(Observable::Url(format!("https://{d}/login?id={r2:x}")))
                }
                _ => None,
            },
            (QueryKind::Hash, true) => from(3).cloned(),
            (QueryKind::Ip, false) => parse(ObservableKind::Ipv4, &ipv4(r2)).ok(),
            (QueryKind::Domain, false) => Some(Observable::Domain(format!(
                "mail.q{r2:x}.other-{}.example",
                r2 % 991
            ))),
            (QueryKind::Url, false) => Some(Observable::Url(format!(
                "https://cdn.q{r2:x}.example/assets/app.js"
            ))),
            (QueryKind::Hash, false) => Some(Observable::Sha256(format!(
                "{r2:016x}{:016x}{:016x}{r2:016x}",
                r2 ^ 7,
                r2 ^ 9
            ))),
        };
        if let Some(q) = q {
            queries.push(q);
            listed.push(hit);
            kinds.push(kind);
        }
    }
    let mut timer = Timer::new(&set, now);
    let (lookup_s, lookup_wall_s, hits) = timer.time(queries.iter());
    // The same queries read straight from the bench's own 2M-value list (cold in cache).
    let (cold_s, _) = {
        let clock = Clock::start();
        for q in &queries {
            set.lookup_into(black_box(q), now, &mut timer.found);
            black_box(&timer.found);
        }
        clock.elapsed()
    };
    // Listed and unlisted queries timed apart too (same order, same batches).
    let pick = |want: bool, kind: Option<QueryKind>| {
        queries
            .iter()
            .zip(&listed)
            .zip(&kinds)
            .filter(move |((_, l), k)| **l == want && kind.is_none_or(|kind| **k == kind))
            .map(|((q, _), _)| q)
    };
    let (listed_s, _, _) = timer.time(pick(true, None));
    let (unlisted_s, _, _) = timer.time(pick(false, None));
    let per = |secs: f64, n: usize| if n == 0 { 0.0 } else { secs * 1e9 / n as f64 };
    let mut by_kind = Vec::new();
    for (kind, _) in MIX {
        let (l, _, _) = timer.time(pick(true, Some(kind)));
        let (u, _, _) = timer.time(pick(false, Some(kind)));
        by_kind.push(KindTimes {
            kind: kind.label(),
            listed_ns: per(l, pick(true, Some(kind)).count()),
            unlisted_ns: per(u, pick(false, Some(kind)).count()),
        });
    }
    let n_listed = listed.iter().filter(|l| **l).count();
    tracing::debug!(n = set.len(), issues = report.issues.len(), "bench loaded");
    BenchReport {
        n: set.len(),
        load_s,
        load_wall_s,
        lookups: queries.len(),
        hits,
        lookup_ns: per(lookup_s, queries.len()),
        lookup_wall_ns: per(lookup_wall_s, queries.len()),
        cold_lookup_ns: per(cold_s, queries.len()),
        listed_ns: per(listed_s, n_listed),
        random_ns: per(unlisted_s, queries.len() - n_listed),
        by_kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_runs_small_and_reports_its_line() {
        let r = bench_indicators(2_000, 1_000);
        assert_eq!(r.n, 2_000);
        assert_eq!(r.lookups, 1_000);
        // one query in five is listed; random ones rarely hit a /24
        assert!((150..=300).contains(&r.hits), "{r:?}");
        let kinds: Vec<&str> = r.by_kind.iter().map(|k| k.kind).collect();
        assert_eq!(kinds, ["ip", "domain", "url", "hash"]);
        assert!(
            r.to_string().starts_with("indicators: n=2000 load_s="),
            "{r}"
        );
    }

    /// The real figures: `cargo test -p rampart-intel --release -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn bench_one_million() {
        let r = bench_indicators(1_000_000, 1_000_000);
        eprintln!(
            "{r} hits={} listed_ns={:.0} random_ns={:.0} load_wall_s={:.3} lookup_wall_ns={:.0}",
            r.hits, r.listed_ns, r.random_ns, r.load_wall_s, r.lookup_wall_ns
        );
        eprintln!("  cold queries: {:.0} ns", r.cold_lookup_ns);
        for k in &r.by_kind {
            eprintln!(
                "  {}: listed {:.0} ns, unlisted {:.0} ns",
                k.kind, k.listed_ns, k.unlisted_ns
            );
        }
    }
}
