//! One matcher for every observable kind: IP addresses and networks in one hash map per
//! address family keyed by (masked address, prefix length), probed from the longest prefix
//! length present to the shortest (most specific first); domains with their subdomains
//! (parent labels walked through a hash map, only at label counts some indicator has); and
//! exact URLs, emails, hashes, user agents and AS numbers. A URL's host and an email's
//! domain are also matched against IP and domain indicators.
//!
//! Each key holds its indicators' ids *with* the instant each stops being live, so a lookup
//! decides liveness without touching the indicators, and allocates nothing when the caller
//! reuses its buffer ([`IndicatorSet::lookup_into`]).
//!
//! Lookups return every indicator that matches and is *live at the time given* (see
//! [`Indicator::is_live`]); expired ones stay in the set and are still listed by
//! [`IndicatorSet::iter`]. The time is explicit in every lookup: pass an event's own time
//! when matching logs (a hunt over last month's sign-ins must match what was live then),
//! and now only when asking about now.

use std::collections::HashMap;

/// Hash maps with foldhash (randomly seeded per process): several times faster than SipHash
/// on short keys, still seeded against crafted collisions.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
use std::net::IpAddr;

use ipnet::IpNet;
use jiff::Timestamp;
use rampart_model::TenantId;

use crate::model::{DecayPolicy, Indicator, Observable, Verdict};
use crate::normalize;

/// The position of an indicator in its [`IndicatorSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndicatorId(u32);

impl IndicatorId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// How an observable matched an indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MatchHow {
    /// The same value.
    Exact,
    /// The IP or network lies inside the indicator's network of this prefix length.
    Network { prefix_len: u8 },
    /// The domain is a subdomain of the indicator's domain.
    Subdomain,
    /// The URL's host or the email's domain matched (exactly, by network, or as a subdomain).
    Host,
}

/// One indicator that matched.
#[derive(Clone, Copy, Debug)]
pub struct Match<'a> {
    pub id: IndicatorId,
    pub indicator: &'a Indicator,
    pub how: MatchHow,
}

/// One indicator under a key, with [`Indicator::live_until_micros`] under the set's policy.
#[derive(Clone, Copy, Debug)]
struct Slot {
    id: u32,
    until: i64,
}

/// The indicators recorded for one key: nearly always one, kept inline (no pointer to
/// chase on a hit).
#[derive(Clone, Debug)]
enum Ids {
    One(Slot),
    Many(Vec<Slot>),
}

impl Ids {
    fn as_slice(&self) -> &[Slot] {
        match self {
            Ids::One(slot) => std::slice::from_ref(slot),
            Ids::Many(slots) => slots,
        }
    }

    fn as_mut_slice(&mut self) -> &mut [Slot] {
        match self {
            Ids::One(slot) => std::slice::from_mut(slot),
            Ids::Many(slots) => slots,
        }
    }

    fn push(&mut self, slot: Slot) {
        match self {
            Ids::One(first) => *self = Ids::Many(vec![*first, slot]),
            Ids::Many(slots) => slots.push(slot),
        }
    }
}

/// IP addresses and networks of one family.
///
/// Prefixes at least [`Bits::BUCKET`] long (every address, and `/24`…`/31` in IPv4) are
/// grouped by their first `BUCKET` bits, so one probe finds every such prefix covering an
/// address; shorter networks are kept as `(masked address, prefix length) → ids`, probed
/// once per length present, longest first. An IPv4 lookup thus costs one hash probe plus
/// one per distinct network length shorter than /24 in the set.
#[derive(Clone, Debug)]
struct Prefixes<A> {
    fine: FastMap<A, Bucket<A>>,
    coarse: FastMap<(A, u8), Ids>,
    /// Lengths present in `coarse`, longest first.
    lens: Vec<u8>,
}

impl<A> Default for Prefixes<A> {
    fn default() -> Self {
        Prefixes {
            fine: FastMap::default(),
            coarse: FastMap::default(),
            lens: Vec::new(),
        }
    }
}

/// One prefix of a bucket and its indicators.
#[derive(Clone, Debug)]
struct Entry<A> {
    addr: A,
    len: u8,
    ids: Ids,
}

/// The prefixes that share their first `BUCKET` bits, longest first (nearly always one,
/// kept inline).
#[derive(Clone, Debug)]
enum Bucket<A> {
    One(Entry<A>),
    Many(Vec<Entry<A>>),
}

impl<A> Bucket<A> {
    fn as_slice(&self) -> &[Entry<A>] {
        match self {
            Bucket::One(e) => std::slice::from_ref(e),
            Bucket::Many(es) => es,
        }
    }

    fn as_mut_slice(&mut self) -> &mut [Entry<A>] {
        match self {
            Bucket::One(e) => std::slice::from_mut(e),
            Bucket::Many(es) => es,
        }
    }
}

/// An address as bits, for masking.
trait Bits: Copy + Eq + std::hash::Hash {
    /// Prefixes this long or longer share one hash probe (see [`Prefixes`]).
    const BUCKET: u8;
    fn masked(self, len: u8) -> Self;
}

impl Bits for u32 {
    const BUCKET: u8 = 24;
    fn masked(self, len: u8) -> u32 {
        match len {
            0 => 0,
            1..=31 => self & (u32::MAX << (32 - u32::from(len))),
            _ => self,
        }
    }
}

impl Bits for u128 {
    const BUCKET: u8 = 64;
    fn masked(self, len: u8) -> u128 {
        match len {
            0 => 0,
            1..=127 => self & (u128::MAX << (128 - u32::from(len))),
            _ => self,
        }
    }
}

impl<A: Bits> Prefixes<A> {
    fn push(&mut self, addr: A, len: u8, slot: Slot) {
        let addr = addr.masked(len);
        if len < A::BUCKET {
            match self.coarse.get_mut(&(addr, len)) {
                Some(ids) => ids.push(slot),
                None => {
                    self.coarse.insert((addr, len), Ids::One(slot));
                    if let Err(at) = self.lens.binary_search_by(|l| len.cmp(l)) {
                        self.lens.insert(at, len);
                    }
                }
            }
            return;
        }
        let entry = Entry {
            addr,
            len,
            ids: Ids::One(slot),
        };
        let Some(bucket) = self.fine.get_mut(&addr.masked(A::BUCKET)) else {
            self.fine.insert(addr.masked(A::BUCKET), Bucket::One(entry));
            return;
        };
        if let Some(e) = bucket
            .as_mut_slice()
            .iter_mut()
            .find(|e| e.addr == addr && e.len == len)
        {
            e.ids.push(slot);
            return;
        }
        let mut entries = match std::mem::replace(bucket, Bucket::Many(Vec::new())) {
            Bucket::One(e) => vec![e],
            Bucket::Many(es) => es,
        };
        let at = entries.partition_point(|e| e.len >= len);
        entries.insert(at, entry);
        *bucket = Bucket::Many(entries);
    }

    fn get(&self, addr: A, len: u8) -> Option<&Ids> {
        let addr = addr.masked(len);
        if len < A::BUCKET {
            return self.coarse.get(&(addr, len));
        }
        self.fine
            .get(&addr.masked(A::BUCKET))?
            .as_slice()
            .iter()
            .find(|e| e.addr == addr && e.len == len)
            .map(|e| &e.ids)
    }

    fn get_mut(&mut self, addr: A, len: u8) -> Option<&mut Ids> {
        let addr = addr.masked(len);
        if len < A::BUCKET {
            return self.coarse.get_mut(&(addr, len));
        }
        self.fine
            .get_mut(&addr.masked(A::BUCKET))?
            .as_mut_slice()
            .iter_mut()
            .find(|e| e.addr == addr && e.len == len)
            .map(|e| &mut e.ids)
    }

    /// How many distinct prefixes are indexed.
    fn keys(&self) -> usize {
        self.coarse.len()
            + self
                .fine
                .values()
                .map(|b| b.as_slice().len())
                .sum::<usize>()
    }
}

/// How many labels a domain has, capped at 63 (a bit index).
fn label_count(domain: &str) -> u32 {
    let dots: u32 = domain.bytes().map(|b| u32::from(b == b'.')).sum();
    dots.saturating_add(1).min(63)
}

/// A set of indicators with fast lookup for every observable kind. Cloning copies every
/// indicator and index (a server adds to a copy and swaps it in while detection reads the
/// old one).
#[derive(Clone, Default)]
pub struct IndicatorSet {
    all: Vec<Indicator>,
    policy: DecayPolicy,
    v4: Prefixes<u32>,
    v6: Prefixes<u128>,
    domains: FastMap<Box<str>, Ids>,
    /// Bit `n` set when some domain indicator has `n` labels (63 for 63 and more).
    domain_labels: u64,
    urls: FastMap<Box<str>, Ids>,
    emails: FastMap<Box<str>, Ids>,
    hashes: FastMap<Box<str>, Ids>,
    user_agents: FastMap<Box<str>, Ids>,
    asns: FastMap<u32, Ids>,
}

impl std::fmt::Debug for IndicatorSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndicatorSet")
            .field("indicators", &self.all.len())
            .field("ip_keys", &(self.v4.keys() + self.v6.keys()))
            .field("domains", &self.domains.len())
            .finish_non_exhaustive()
    }
}

impl IndicatorSet {
    /// An empty set with OpenCTI's default decay rules.
    pub fn new() -> IndicatorSet {
        IndicatorSet::default()
    }

    /// An empty set with the given decay rules.
    pub fn with_policy(policy: DecayPolicy) -> IndicatorSet {
        IndicatorSet {
            policy,
            ..IndicatorSet::default()
        }
    }

    pub fn policy(&self) -> &DecayPolicy {
        &self.policy
    }

    /// Makes room for `indicators` in every index at once (adding a large list then grows
    /// each table once instead of doubling it step by step).
    pub fn reserve(&mut self, indicators: &[Indicator]) {
        let mut counts = [0usize; 8];
        for i in indicators {
            let slot = match &i.observable {
                Observable::Ip(IpAddr::V4(_)) | Observable::Cidr(IpNet::V4(_)) => 0,
                Observable::Ip(IpAddr::V6(_)) | Observable::Cidr(IpNet::V6(_)) => 1,
                Observable::Domain(_) => 2,
                Observable::Url(_) => 3,
                Observable::Email(_) => 4,
                Observable::Md5(_) | Observable::Sha1(_) | Observable::Sha256(_) => 5,
                Observable::UserAgent(_) => 6,
                Observable::Asn(_) => 7,
            };
            counts[slot] += 1;
        }
        self.all.reserve(indicators.len());
        self.v4.fine.reserve(counts[0]);
        self.v6.fine.reserve(counts[1]);
        self.domains.reserve(counts[2]);
        self.urls.reserve(counts[3]);
        self.emails.reserve(counts[4]);
        self.hashes.reserve(counts[5]);
        self.user_agents.reserve(counts[6]);
        self.asns.reserve(counts[7]);
    }

    /// Adds one indicator and returns its id (`None` if the set already holds 2³² indicators).
    pub fn insert(&mut self, indicator: Indicator) -> Option<IndicatorId> {
        let Ok(id) = u32::try_from(self.all.len()) else {
            tracing::warn!("indicator set is full; {} not added", indicator.observable);
            return None;
        };
        let slot = Slot {
            id,
            until: indicator.live_until_micros(self.policy.model(indicator.observable.kind())),
        };
        match &indicator.observable {
            Observable::Ip(ip) => match ip.to_canonical() {
                IpAddr::V4(a) => self.v4.push(u32::from(a), 32, slot),
                IpAddr::V6(a) => self.v6.push(u128::from(a), 128, slot),
            },
            Observable::Cidr(IpNet::V4(net)) => {
                self.v4
                    .push(u32::from(net.network()), net.prefix_len(), slot)
            }
            Observable::Cidr(IpNet::V6(net)) => {
                self.v6
                    .push(u128::from(net.network()), net.prefix_len(), slot)
            }
            Observable::Domain(d) => {
                self.domain_labels |= 1 << label_count(d);
                push_str(&mut self.domains, d, slot)
            }
            Observable::Url(u) => push_str(&mut self.urls, u, slot),
            Observable::Email(e) => push_str(&mut self.emails, e, slot),
            Observable::Md5(h) | Observable::Sha1(h) | Observable::Sha256(h) => {
                push_str(&mut self.hashes, h, slot)
            }
            Observable::UserAgent(ua) => push_str(&mut self.user_agents, ua, slot),
            Observable::Asn(n) => push_key(&mut self.asns, *n, slot),
        }
        self.all.push(indicator);
        Some(IndicatorId(id))
    }

    /// Recomputes an indicator's liveness in the index after it changed.
    fn refresh(&mut self, i: u32) {
        let Some(ind) = self.all.get(i as usize) else {
            return;
        };
        let until = ind.live_until_micros(self.policy.model(ind.observable.kind()));
        let ids = match &ind.observable {
            Observable::Ip(ip) => match ip.to_canonical() {
                IpAddr::V4(a) => self.v4.get_mut(u32::from(a), 32),
                IpAddr::V6(a) => self.v6.get_mut(u128::from(a), 128),
            },
            Observable::Cidr(IpNet::V4(n)) => {
                self.v4.get_mut(u32::from(n.network()), n.prefix_len())
            }
            Observable::Cidr(IpNet::V6(n)) => {
                self.v6.get_mut(u128::from(n.network()), n.prefix_len())
            }
            Observable::Domain(d) => self.domains.get_mut(d.as_str()),
            Observable::Url(u) => self.urls.get_mut(u.as_str()),
            Observable::Email(e) => self.emails.get_mut(e.as_str()),
            Observable::Md5(h) | Observable::Sha1(h) | Observable::Sha256(h) => {
                self.hashes.get_mut(h.as_str())
            }
            Observable::UserAgent(ua) => self.user_agents.get_mut(ua.as_str()),
            Observable::Asn(n) => self.asns.get_mut(n),
        };
        if let Some(slot) = ids
            .into_iter()
            .flat_map(Ids::as_mut_slice)
            .find(|s| s.id == i)
        {
            slot.until = until;
        }
    }

    /// Records a sighting of an indicator (restarting its decay clock).
    pub fn record_sighting(&mut self, id: IndicatorId, at: Timestamp) {
        if let Some(ind) = self.all.get_mut(id.index()) {
            ind.record_sighting(at);
            self.refresh(id.0);
        }
    }

    /// Changes what can change of an indicator in place (not its value), keeping the
    /// matcher's liveness index in step.
    pub fn update(&mut self, id: IndicatorId, f: impl FnOnce(&mut Indicator)) {
        if let Some(ind) = self.all.get_mut(id.index()) {
            let value = ind.observable.clone();
            f(ind);
            ind.observable = value;
            self.refresh(id.0);
        }
    }

    /// Adds an indicator, or merges it into one with the same value and the same provenance:
    /// sightings add up, first/last seen widen, the higher confidence, the later validity,
    /// the stricter TLP and the union of tags are kept.
    pub fn upsert(&mut self, indicator: Indicator) -> Option<IndicatorId> {
        let existing = self
            .exact_ids(&indicator.observable)
            .iter()
            .copied()
            .map(|slot| slot.id)
            .find(|&i| {
                self.all.get(i as usize).is_some_and(|old| {
                    old.observable == indicator.observable && old.provenance == indicator.provenance
                })
            });
        let Some(i) = existing else {
            return self.insert(indicator);
        };
        let old = self.all.get_mut(i as usize)?;
        old.sightings = old.sightings.saturating_add(indicator.sightings);
        old.first_seen = old.first_seen.min(indicator.first_seen);
        old.last_seen = old.last_seen.max(indicator.last_seen);
        old.confidence = old.confidence.max(indicator.confidence);
        old.decays |= indicator.decays;
        old.tlp = old.tlp.max(indicator.tlp);
        old.valid_until = match (old.valid_until, indicator.valid_until) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
        for tag in indicator.tags {
            if !old.tags.contains(&tag) {
                old.tags.push(tag);
            }
        }
        if old.description.is_none() {
            old.description = indicator.description;
        }
        self.refresh(i);
        Some(IndicatorId(i))
    }

    /// The indicators recorded for exactly this value (live or not).
    fn exact_ids(&self, observable: &Observable) -> &[Slot] {
        let ids = match observable {
            Observable::Ip(ip) => match ip.to_canonical() {
                IpAddr::V4(a) => self.v4.get(u32::from(a), 32),
                IpAddr::V6(a) => self.v6.get(u128::from(a), 128),
            },
            Observable::Cidr(IpNet::V4(n)) => self.v4.get(u32::from(n.network()), n.prefix_len()),
            Observable::Cidr(IpNet::V6(n)) => self.v6.get(u128::from(n.network()), n.prefix_len()),
            Observable::Domain(d) => self.domains.get(d.as_str()),
            Observable::Url(u) => self.urls.get(u.as_str()),
            Observable::Email(e) => self.emails.get(e.as_str()),
            Observable::Md5(h) | Observable::Sha1(h) | Observable::Sha256(h) => {
                self.hashes.get(h.as_str())
            }
            Observable::UserAgent(ua) => self.user_agents.get(ua.as_str()),
            Observable::Asn(n) => self.asns.get(n),
        };
        ids.map_or(&[], Ids::as_slice)
    }

    pub fn get(&self, id: IndicatorId) -> Option<&Indicator> {
        self.all.get(id.index())
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// Every indicator, live or expired, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &Indicator> {
        self.all.iter()
    }

    /// How many indicators can match a sign-in (IPs and networks).
    pub fn ip_indicators(&self) -> usize {
        self.all
            .iter()
            .filter(|i| matches!(i.observable, Observable::Ip(_) | Observable::Cidr(_)))
            .count()
    }

    /// Every indicator live at `at` that matches `observable`: exact matches first, then
    /// networks from the most specific, then parent domains from the closest, then (for
    /// URLs and emails) matches of the host.
    pub fn lookup(&self, observable: &Observable, at: Timestamp) -> Vec<Match<'_>> {
        let mut out = Vec::new();
        self.collect(observable, at, &mut out);
        out
    }

    /// [`IndicatorSet::lookup`] into a buffer the caller reuses (cleared first), for hot
    /// loops over many events.
    pub fn lookup_into<'a>(
        &'a self,
        observable: &Observable,
        now: Timestamp,
        out: &mut Vec<Match<'a>>,
    ) {
        out.clear();
        self.collect(observable, now, out);
    }

    /// [`IndicatorSet::lookup`], keeping only what `viewer` may see under TLP.
    pub fn lookup_for(
        &self,
        observable: &Observable,
        now: Timestamp,
        viewer: &TenantId,
    ) -> Vec<Match<'_>> {
        let mut out = self.lookup(observable, now);
        out.retain(|m| m.indicator.shareable_with(viewer));
        out
    }

    /// Refangs, normalizes and infers the type of `value`, then looks it up.
    pub fn lookup_value(
        &self,
        value: &str,
        now: Timestamp,
    ) -> Result<Vec<Match<'_>>, normalize::ValueError> {
        let observable = normalize::parse_inferred(value)?;
        Ok(self.lookup(&observable, now))
    }

    /// The one indicator that decides for `observable` at `at` (an event's time), or `None`.
    ///
    /// Among the live matches, the most specific value that any indicator names wins (an
    /// exact value, then the narrowest network or closest parent domain). If an allow
    /// entry ([`Verdict::BenignAllow`]) names that value, nothing is returned: a narrower
    /// allow entry overrides a wider malicious one, and a narrower malicious entry overrides
    /// a wider allow. Otherwise the malicious indicator with the highest confidence, else the
    /// suspicious one, is returned.
    pub fn decide(&self, observable: &Observable, at: Timestamp) -> Option<Match<'_>> {
        let mut decider = Decider::default();
        self.collect(observable, at, &mut decider);
        if decider.allowed {
            return None;
        }
        decider.best
    }

    /// [`IndicatorSet::decide`] for an IP address (IPv4-mapped IPv6 is read as IPv4).
    pub fn decide_ip(&self, ip: IpAddr, at: Timestamp) -> Option<Match<'_>> {
        self.decide(&Observable::Ip(ip), at)
    }

    /// [`IndicatorSet::decide`] for an observable seen at `tenant`: only the indicators
    /// that may match there ([`Indicator::matches_tenant`]) take part, allow entries
    /// included (another tenant's private allow entry does not hide a match here either).
    pub fn decide_for(
        &self,
        observable: &Observable,
        at: Timestamp,
        tenant: &TenantId,
    ) -> Option<Match<'_>> {
        let mut filtered = ForTenant {
            tenant,
            inner: Decider::default(),
            any: false,
        };
        self.collect(observable, at, &mut filtered);
        if filtered.inner.allowed {
            return None;
        }
        filtered.inner.best
    }

    /// [`IndicatorSet::decide_for`] for an IP address.
    pub fn decide_ip_for(&self, ip: IpAddr, at: Timestamp, tenant: &TenantId) -> Option<Match<'_>> {
        self.decide_for(&Observable::Ip(ip), at, tenant)
    }

    /// Hands `sink` the indicators of one key that are live at `at`.
    fn push_live<'a>(&'a self, ids: &[Slot], how: MatchHow, at: i64, sink: &mut impl Sink<'a>) {
        let mut any = false;
        for slot in ids {
            if at < slot.until
                && let Some(ind) = self.all.get(slot.id as usize)
            {
                any = true;
                sink.push(Match {
                    id: IndicatorId(slot.id),
                    indicator: ind,
                    how,
                });
            }
        }
        if any {
            sink.key_done();
        }
    }

    fn collect<'a>(&'a self, observable: &Observable, at: Timestamp, out: &mut impl Sink<'a>) {
        let at = at.as_microsecond();
        match observable {
            Observable::Ip(ip) => self.collect_ip(*ip, None, false, at, out),
            Observable::Cidr(net) => {
                self.collect_ip(net.network(), Some(net.prefix_len()), false, at, out)
            }
            Observable::Domain(d) => self.collect_domain(d, false, at, out),
            Observable::Url(u) => {
                if let Some(ids) = self.urls.get(u.as_str()) {
                    self.push_live(ids.as_slice(), MatchHow::Exact, at, out);
                }
                if let Some(host) = normalize::url_host(u) {
                    match host.parse::<IpAddr>() {
                        Ok(ip) => self.collect_ip(ip, None, true, at, out),
                        Err(_) => self.collect_domain(host, true, at, out),
                    }
                }
            }
            Observable::Email(e) => {
                if let Some(ids) = self.emails.get(e.as_str()) {
                    self.push_live(ids.as_slice(), MatchHow::Exact, at, out);
                }
                if let Some((_, domain)) = e.rsplit_once('@') {
                    self.collect_domain(domain, true, at, out);
                }
            }
            _ => self.push_live(self.exact_ids(observable), MatchHow::Exact, at, out),
        }
    }

    /// The address (or the network `ip/len`) and every network covering it, most specific
    /// first.
    fn collect_ip<'a>(
        &'a self,
        ip: IpAddr,
        len: Option<u8>,
        host: bool,
        at: i64,
        out: &mut impl Sink<'a>,
    ) {
        let ip = if len.is_none() { ip.to_canonical() } else { ip };
        match ip {
            IpAddr::V4(a) => {
                let len = len.unwrap_or(32);
                self.collect_prefixes(&self.v4, u32::from(a), len, host, at, out);
            }
            IpAddr::V6(a) => {
                let len = len.unwrap_or(128);
                self.collect_prefixes(&self.v6, u128::from(a), len, host, at, out);
            }
        }
    }

    fn collect_prefixes<'a, A: Bits>(
        &'a self,
        table: &'a Prefixes<A>,
        addr: A,
        len: u8,
        host: bool,
        at: i64,
        out: &mut impl Sink<'a>,
    ) {
        let how = |l: u8| {
            if host {
                MatchHow::Host
            } else if l == len {
                MatchHow::Exact
            } else {
                MatchHow::Network { prefix_len: l }
            }
        };
        if len >= A::BUCKET
            && let Some(bucket) = table.fine.get(&addr.masked(A::BUCKET))
        {
            for e in bucket.as_slice() {
                if e.len <= len && addr.masked(e.len) == e.addr {
                    self.push_live(e.ids.as_slice(), how(e.len), at, out);
                }
            }
        }
        for &l in &table.lens {
            if l > len {
                continue;
            }
            if let Some(ids) = table.coarse.get(&(addr.masked(l), l)) {
                self.push_live(ids.as_slice(), how(l), at, out);
            }
        }
    }

    /// The domain itself, then each parent down to two labels; only at label counts some
    /// domain indicator has. Labels are found by one scan of the bytes (this runs for
    /// every domain and URL an event carries).
    fn collect_domain<'a>(&'a self, domain: &str, host: bool, at: i64, out: &mut impl Sink<'a>) {
        if self.domain_labels == 0 {
            return;
        }
        // Where each label starts, the first at 0; names deeper than the inline room (rare)
        // spill into a vector.
        let mut inline = [0usize; INLINE_LABELS];
        let mut spill = Vec::new();
        let mut labels = 1;
        for (i, &b) in domain.as_bytes().iter().enumerate() {
            if b == b'.' {
                if labels < INLINE_LABELS {
                    inline[labels] = i + 1;
                } else {
                    if spill.is_empty() {
                        spill.extend_from_slice(&inline);
                    }
                    spill.push(i + 1);
                }
                labels += 1;
            }
        }
        let starts = if spill.is_empty() {
            &inline[..labels]
        } else {
            &spill[..]
        };
        for (k, &start) in starts.iter().enumerate() {
            let remaining = labels - k;
            if k > 0 && remaining < 2 {
                break;
            }
            if self.domain_labels & (1 << remaining.min(63)) != 0 {
                self.probe_domain(&domain[start..], host, k == 0, at, out);
            }
        }
    }

    fn probe_domain<'a>(
        &'a self,
        d: &str,
        host: bool,
        first: bool,
        at: i64,
        out: &mut impl Sink<'a>,
    ) {
        if let Some(ids) = self.domains.get(d) {
            let how = match (host, first) {
                (true, _) => MatchHow::Host,
                (false, true) => MatchHow::Exact,
                (false, false) => MatchHow::Subdomain,
            };
            self.push_live(ids.as_slice(), how, at, out);
        }
    }
}

/// Label starts kept on the stack in [`IndicatorSet::collect_domain`].
const INLINE_LABELS: usize = 16;

/// Where a lookup hands its matches: in order, most specific key first, and told when one
/// key's indicators are done.
trait Sink<'a> {
    fn push(&mut self, m: Match<'a>);
    fn key_done(&mut self) {}
}

impl<'a> Sink<'a> for Vec<Match<'a>> {
    fn push(&mut self, m: Match<'a>) {
        Vec::push(self, m);
    }
}

/// [`IndicatorSet::decide`] as matches arrive, without a buffer: only the first key that
/// has a live indicator (the most specific value) counts.
#[derive(Default)]
struct Decider<'a> {
    closed: bool,
    allowed: bool,
    best: Option<Match<'a>>,
}

impl<'a> Sink<'a> for Decider<'a> {
    fn push(&mut self, m: Match<'a>) {
        if self.closed {
            return;
        }
        if m.indicator.verdict == Verdict::BenignAllow {
            self.allowed = true;
            return;
        }
        let rank = |m: &Match<'_>| {
            (
                m.indicator.verdict == Verdict::Malicious,
                m.indicator.confidence,
                std::cmp::Reverse(m.id),
            )
        };
        if self.best.as_ref().is_none_or(|b| rank(&m) > rank(b)) {
            self.best = Some(m);
        }
    }

    fn key_done(&mut self) {
        self.closed = true;
    }
}

/// A sink that passes on only the matches a tenant may have; a key counts as done only
/// when one of them passed.
struct ForTenant<'t, S> {
    tenant: &'t TenantId,
    inner: S,
    any: bool,
}

impl<'a, S: Sink<'a>> Sink<'a> for ForTenant<'_, S> {
    fn push(&mut self, m: Match<'a>) {
        if m.indicator.matches_tenant(self.tenant) {
            self.any = true;
            self.inner.push(m);
        }
    }

    fn key_done(&mut self) {
        if std::mem::take(&mut self.any) {
            self.inner.key_done();
        }
    }
}

fn push_str(map: &mut FastMap<Box<str>, Ids>, key: &str, slot: Slot) {
    match map.get_mut(key) {
        Some(ids) => ids.push(slot),
        None => {
            map.insert(key.into(), Ids::One(slot));
        }
    }
}

fn push_key<K: std::hash::Hash + Eq>(map: &mut FastMap<K, Ids>, key: K, slot: Slot) {
    map.entry(key)
        .and_modify(|ids| ids.push(slot))
        .or_insert(Ids::One(slot));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ObservableKind, Provenance, Tlp};
    use crate::normalize::parse;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn feed() -> Provenance {
        Provenance::Feed {
            name: "test".into(),
            location: None,
        }
    }

    fn ind(kind: ObservableKind, value: &str, desc: &str) -> Indicator {
        let mut i = Indicator::new(
            parse(kind, value).unwrap(),
            feed(),
            ts("2026-11-01T00:00:00Z"),
        );
        i.description = Some(desc.into());
        i.confidence = crate::Confidence::MAX;
        i
    }

    fn descs(set: &IndicatorSet, kind: ObservableKind, value: &str) -> Vec<(String, MatchHow)> {
        let obs = parse(kind, value).unwrap();
        set.lookup(&obs, ts("2026-11-02T00:00:00Z"))
            .into_iter()
            .map(|m| (m.indicator.description.clone().unwrap_or_default(), m.how))
            .collect()
    }

    fn sample() -> IndicatorSet {
        use ObservableKind::*;
        let mut set = IndicatorSet::new();
        for (k, v, d) in [
            (Ipv4, "45.155.205.12", "ip"),
            (Cidr, "10.0.0.0/8", "wide"),
            (Cidr, "10.1.0.0/16", "narrow"),
            (Ipv6, "2a09:bac5:114:105::1a:9b", "ip6"),
            (Cidr, "2a09:bac5::/32", "net6"),
            (Domain, "evil.example", "dom"),
            (Domain, "cdn.evil.example", "subdom"),
            (Url, "https://secure-docs.example/Login", "url"),
            (Email, "share@secure-docs.example", "email"),
            (Md5, "0123456789abcdef0123456789abcdef", "md5"),
            (
                Sha256,
                "aa00000000000000000000000000000000000000000000000000000000000000",
                "sha256",
            ),
            (UserAgent, "EvilKit/1.0", "ua"),
            (Asn, "AS64500", "asn"),
        ] {
            set.insert(ind(k, v, d));
        }
        set
    }

    #[test]
    fn every_kind_matches_and_networks_are_most_specific_first() {
        use MatchHow::*;
        use ObservableKind::*;
        let set = sample();
        let s = |v: &[(&str, MatchHow)]| {
            v.iter()
                .map(|(d, h)| (d.to_string(), *h))
                .collect::<Vec<_>>()
        };
        assert_eq!(descs(&set, Ipv4, "45.155.205[.]12"), s(&[("ip", Exact)]));
        assert_eq!(
            descs(&set, Ipv4, "10.1.2.3"),
            s(&[
                ("narrow", Network { prefix_len: 16 }),
                ("wide", Network { prefix_len: 8 })
            ])
        );
        assert_eq!(
            set.decide_ip("10.1.2.3".parse().unwrap(), ts("2026-11-02T00:00:00Z"))
                .and_then(|m| m.indicator.description.as_deref()),
            Some("narrow")
        );
        assert_eq!(
            descs(&set, Ipv6, "2a09:bac5:114:105:0:0:1a:9b"),
            s(&[("ip6", Exact), ("net6", Network { prefix_len: 32 })])
        );
        assert_eq!(
            descs(&set, Cidr, "10.1.0.0/16"),
            s(&[("narrow", Exact), ("wide", Network { prefix_len: 8 })])
        );
        assert_eq!(
            descs(&set, Domain, "a.cdn.evil.example"),
            s(&[("subdom", Subdomain), ("dom", Subdomain)])
        );
        assert_eq!(descs(&set, Domain, "evil.example"), s(&[("dom", Exact)]));
        assert!(descs(&set, Domain, "notevil.example").is_empty());
        assert!(descs(&set, Domain, "example.com").is_empty());
        assert_eq!(
            descs(&set, Url, "hxxps://Secure-Docs[.]example/Login"),
            s(&[("url", Exact)])
        );
        assert_eq!(
            descs(&set, Url, "http://x.evil.example/a"),
            s(&[("dom", Host)])
        );
        assert_eq!(
            descs(&set, Url, "http://10.1.9.9/a"),
            s(&[("narrow", Host), ("wide", Host)])
        );
        assert_eq!(
            descs(&set, Email, "bob@cdn.evil.example"),
            s(&[("subdom", Host), ("dom", Host)])
        );
        assert_eq!(
            descs(&set, Email, "SHARE@secure-docs.example"),
            s(&[("email", Exact)])
        );
        assert_eq!(
            descs(&set, Md5, "0123456789ABCDEF0123456789ABCDEF"),
            s(&[("md5", Exact)])
        );
        assert_eq!(
            descs(
                &set,
                Sha256,
                "AA00000000000000000000000000000000000000000000000000000000000000"
            ),
            s(&[("sha256", Exact)])
        );
        assert_eq!(descs(&set, UserAgent, "EvilKit/1.0"), s(&[("ua", Exact)]));
        assert_eq!(descs(&set, Asn, "64500"), s(&[("asn", Exact)]));
        assert!(descs(&set, Ipv4, "8.8.8.8").is_empty());
        // IPv4-mapped IPv6 finds the IPv4 indicator
        assert_eq!(
            descs(&set, Ipv6, "::ffff:45.155.205.12"),
            s(&[("ip", Exact)])
        );
        let hits = set
            .lookup_value("evil[.]example", ts("2026-11-02T00:00:00Z"))
            .unwrap();
        assert_eq!(hits.len(), 1);
    }

    /// The slow, obviously right matcher the fast one must agree with.
    fn reference(set: &IndicatorSet, q: &Observable, now: Timestamp) -> Vec<(usize, MatchHow)> {
        fn domain_match(d: &str, x: &str) -> Option<bool> {
            if d == x {
                Some(true)
            } else if x.contains('.') && d.ends_with(&format!(".{x}")) {
                Some(false)
            } else {
                None
            }
        }
        let mut out = Vec::new();
        for (i, ind) in set.iter().enumerate() {
            if !ind.is_live(set.policy().model(ind.observable.kind()), now) {
                continue;
            }
            let how = match (q, &ind.observable) {
                (Observable::Ip(a), Observable::Ip(b)) if a == b => Some(MatchHow::Exact),
                (Observable::Ip(a), Observable::Cidr(n)) if n.contains(a) => {
                    Some(MatchHow::Network {
                        prefix_len: n.prefix_len(),
                    })
                }
                (Observable::Domain(d), Observable::Domain(x)) => domain_match(d, x).map(|exact| {
                    if exact {
                        MatchHow::Exact
                    } else {
                        MatchHow::Subdomain
                    }
                }),
                (Observable::Url(u), Observable::Url(v)) if u == v => Some(MatchHow::Exact),
                (Observable::Url(u), Observable::Domain(x)) => normalize::url_host(u)
                    .and_then(|h| domain_match(h, x))
                    .map(|_| MatchHow::Host),
                _ => None,
            };
            if let Some(how) = how {
                out.push((i, how));
            }
        }
        out.sort_by_key(|(i, h)| (*i, format!("{h:?}")));
        out
    }

    #[test]
    fn differential_against_a_linear_scan() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut rnd = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let labels = ["a", "b", "evil", "cdn"];
        let mut set = IndicatorSet::new();
        let t0 = ts("2026-11-01T00:00:00Z");
        let mut values = Vec::new();
        for _ in 0..400 {
            let obs = match rnd(4) {
                0 => Observable::Ip(format!("10.0.{}.{}", rnd(4), rnd(8)).parse().unwrap()),
                1 => {
                    let len = [8u8, 16, 22, 24, 30][rnd(5) as usize];
                    let net: IpNet = format!("10.0.{}.{}/{len}", rnd(4), rnd(8)).parse().unwrap();
                    Observable::Cidr(net.trunc())
                }
                2 => {
                    let n = 2 + rnd(3);
                    let d: Vec<&str> = (0..n).map(|_| labels[rnd(4) as usize]).collect();
                    Observable::Domain(format!("{}.example", d.join(".")))
                }
                _ => Observable::Url(format!(
                    "http://{}.example/{}",
                    labels[rnd(4) as usize],
                    rnd(3)
                )),
            };
            values.push(obs.clone());
            let mut ind = Indicator::new(obs, feed(), t0);
            ind.confidence = crate::Confidence::saturating(rnd(101) as i64);
            if rnd(5) == 0 {
                ind.valid_until = Some(ts("2026-11-05T00:00:00Z"));
            }
            set.insert(ind);
        }
        let mut queries = values.clone();
        for _ in 0..300 {
            queries.push(Observable::Ip(
                format!("10.0.{}.{}", rnd(5), rnd(10)).parse().unwrap(),
            ));
            queries.push(Observable::Domain(format!(
                "x.{}.{}.example",
                labels[rnd(4) as usize],
                labels[rnd(4) as usize]
            )));
            queries.push(Observable::Url(format!(
                "http://www.{}.example/{}",
                labels[rnd(4) as usize],
                rnd(3)
            )));
        }
        let mut compared = 0;
        for now in [
            "2026-11-02T00:00:00Z",
            "2026-11-20T00:00:00Z",
            "2026-12-10T00:00:00Z",
        ] {
            let now = ts(now);
            for q in queries.iter().filter(|q| !matches!(q, Observable::Cidr(_))) {
                let mut fast: Vec<(usize, MatchHow)> = set
                    .lookup(q, now)
                    .into_iter()
                    .map(|m| (m.id.index(), m.how))
                    .collect();
                fast.sort_by_key(|(i, h)| (*i, format!("{h:?}")));
                assert_eq!(fast, reference(&set, q, now), "{q} at {now}");
                compared += fast.len();
            }
        }
        assert!(compared > 1000, "{compared}");
    }

    #[test]
    fn deep_names_find_their_listed_parents_past_the_inline_room() {
        let mut set = IndicatorSet::new();
        set.insert(ind(ObservableKind::Domain, "evil.example", "two labels"));
        let deep: String = (0..40).map(|i| format!("l{i}.")).collect::<String>() + "evil.example";
        set.insert(ind(ObservableKind::Domain, &deep, "forty-two labels"));
        let query = format!("x.{deep}");
        let found = descs(&set, ObservableKind::Domain, &query);
        assert_eq!(
            found,
            vec![
                ("forty-two labels".to_owned(), MatchHow::Subdomain),
                ("two labels".to_owned(), MatchHow::Subdomain),
            ]
        );
        // A name past the label-count cap (63) is still looked up whole and by parents.
        let deeper = "m.".repeat(70) + "evil.example";
        assert_eq!(
            descs(&set, ObservableKind::Domain, &deeper),
            vec![("two labels".to_owned(), MatchHow::Subdomain)]
        );
    }

    #[test]
    fn expired_indicators_stop_matching_but_stay() {
        let mut set = IndicatorSet::new();
        let mut i = ind(ObservableKind::Ipv4, "203.0.113.5", "old");
        i.valid_until = Some(ts("2026-11-10T00:00:00Z"));
        set.insert(i);
        set.insert(ind(ObservableKind::Domain, "gone.example", "decayed"));
        let ip = parse(ObservableKind::Ipv4, "203.0.113.5").unwrap();
        assert_eq!(set.lookup(&ip, ts("2026-11-09T00:00:00Z")).len(), 1);
        assert!(set.lookup(&ip, ts("2026-11-10T00:00:00Z")).is_empty());
        let dom = parse(ObservableKind::Domain, "gone.example").unwrap();
        // domains: lifetime 300 d, revoked at 20 → live at 150 days (28.1), dead at 290 (1.6)
        assert_eq!(set.lookup(&dom, ts("2027-03-31T00:00:00Z")).len(), 1);
        assert!(set.lookup(&dom, ts("2027-08-18T00:00:00Z")).is_empty());
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn decide_prefers_the_most_specific_value_and_lets_allow_entries_win_there() {
        use ObservableKind::*;
        let now = ts("2026-11-02T00:00:00Z");
        let mut set = IndicatorSet::new();
        set.insert(ind(Cidr, "10.0.0.0/8", "wide bad"));
        let mut allow = ind(Cidr, "10.9.0.0/16", "corporate egress");
        allow.verdict = Verdict::BenignAllow;
        set.insert(allow);
        let mut sus = ind(Ipv4, "10.9.0.7", "suspicious");
        sus.verdict = Verdict::Suspicious;
        set.insert(sus);
        let mut weak = ind(Ipv4, "10.9.0.7", "malicious, low confidence");
        weak.confidence = crate::Confidence::saturating(40);
        set.insert(weak);
        let desc = |ip: &str| {
            set.decide_ip(ip.parse().unwrap(), now)
                .and_then(|m| m.indicator.description.clone())
        };
        // the wide network alone
        assert_eq!(desc("10.1.1.1").as_deref(), Some("wide bad"));
        // the allow entry is narrower than the bad network: allowed
        assert_eq!(desc("10.9.3.3"), None);
        // the exact IP is narrower than the allow entry; malicious beats suspicious
        assert_eq!(
            desc("10.9.0.7").as_deref(),
            Some("malicious, low confidence")
        );
        assert_eq!(desc("192.0.2.1"), None);
    }

    #[test]
    fn prefixes_in_one_bucket_and_shorter_networks_are_all_found_most_specific_first() {
        use MatchHow::*;
        use ObservableKind::*;
        let mut set = IndicatorSet::new();
        for (k, v, d) in [
            (Cidr, "198.51.100.0/24", "/24"),
            (Ipv4, "198.51.100.7", "ip"),
            (Cidr, "198.51.100.0/28", "/28"),
            (Cidr, "198.51.100.4/30", "/30"),
            (Cidr, "198.51.100.128/25", "other half"),
            (Cidr, "198.51.0.0/16", "/16"),
            (Cidr, "198.0.0.0/8", "/8"),
            (Ipv4, "198.51.100.7", "ip again"),
            (Ipv6, "2001:db8:1:2::9", "ip6"),
            (Cidr, "2001:db8:1:2::/64", "/64"),
            (Cidr, "2001:db8:1:2:8000::/65", "upper /65"),
            (Cidr, "2001:db8::/32", "/32"),
        ] {
            set.insert(ind(k, v, d));
        }
        let got = |k, v| {
            descs(&set, k, v)
                .into_iter()
                .map(|(d, h)| format!("{d} {h:?}"))
                .collect::<Vec<_>>()
        };
        let net = |l| format!("{:?}", Network { prefix_len: l });
        assert_eq!(
            got(Ipv4, "198.51.100.7"),
            [
                format!("ip {Exact:?}"),
                format!("ip again {Exact:?}"),
                format!("/30 {}", net(30)),
                format!("/28 {}", net(28)),
                format!("/24 {}", net(24)),
                format!("/16 {}", net(16)),
                format!("/8 {}", net(8)),
            ]
        );
        // a network asked about: only networks that cover all of it
        assert_eq!(
            got(Cidr, "198.51.100.0/28"),
            [
                format!("/28 {Exact:?}"),
                format!("/24 {}", net(24)),
                format!("/16 {}", net(16)),
                format!("/8 {}", net(8)),
            ]
        );
        assert_eq!(
            got(Cidr, "198.51.64.0/18"),
            [format!("/16 {}", net(16)), format!("/8 {}", net(8))]
        );
        assert_eq!(
            got(Ipv4, "198.51.100.200"),
            [
                format!("other half {}", net(25)),
                format!("/24 {}", net(24)),
                format!("/16 {}", net(16)),
                format!("/8 {}", net(8)),
            ]
        );
        assert_eq!(got(Ipv4, "198.52.1.1"), [format!("/8 {}", net(8))]);
        assert_eq!(
            got(Ipv6, "2001:db8:1:2::9"),
            [
                format!("ip6 {Exact:?}"),
                format!("/64 {}", net(64)),
                format!("/32 {}", net(32)),
            ]
        );
        assert_eq!(
            got(Ipv6, "2001:db8:1:2:8000::1"),
            [
                format!("upper /65 {}", net(65)),
                format!("/64 {}", net(64)),
                format!("/32 {}", net(32)),
            ]
        );
        // re-finding one prefix among several in a bucket (upsert merges, not duplicates)
        let n = set.len();
        set.upsert(ind(Cidr, "198.51.100.0/28", "/28"));
        assert_eq!(set.len(), n);
    }

    #[test]
    fn an_allow_entry_for_the_same_address_wins_whatever_type_names_it() {
        let now = ts("2026-11-02T00:00:00Z");
        let mut set = IndicatorSet::new();
        set.insert(ind(ObservableKind::Ipv4, "203.0.113.9", "bad"));
        let mut allow = ind(ObservableKind::Cidr, "203.0.113.9/32", "our scanner");
        allow.verdict = Verdict::BenignAllow;
        set.insert(allow);
        assert!(set.decide_ip("203.0.113.9".parse().unwrap(), now).is_none());
        assert!(set.decide_ip("203.0.113.8".parse().unwrap(), now).is_none());
    }

    #[test]
    fn liveness_is_judged_at_the_time_asked_and_undated_values_do_not_decay() {
        let mut set = IndicatorSet::new();
        // seen 2026-11-01: the IP rule (47 days, revoked at 20) retires it mid-December
        set.insert(ind(ObservableKind::Ipv4, "203.0.113.5", "dated"));
        let mut timeless = ind(ObservableKind::Ipv4, "203.0.113.6", "undated");
        timeless.decays = false;
        set.insert(timeless);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // an event a year before the sighting still matches (the hunt is retrospective)
        assert!(
            set.decide_ip(ip("203.0.113.5"), ts("2025-11-01T00:00:00Z"))
                .is_some()
        );
        assert!(
            set.decide_ip(ip("203.0.113.5"), ts("2026-11-20T00:00:00Z"))
                .is_some()
        );
        assert!(
            set.decide_ip(ip("203.0.113.5"), ts("2027-01-01T00:00:00Z"))
                .is_none()
        );
        // the undated one never decays…
        assert!(
            set.decide_ip(ip("203.0.113.6"), ts("2036-01-01T00:00:00Z"))
                .is_some()
        );
        // …until a valid-until says so
        let id = set.lookup(
            &Observable::Ip(ip("203.0.113.6")),
            ts("2026-11-02T00:00:00Z"),
        )[0]
        .id;
        set.update(id, |i| i.valid_until = Some(ts("2030-01-01T00:00:00Z")));
        assert!(
            set.decide_ip(ip("203.0.113.6"), ts("2029-12-31T00:00:00Z"))
                .is_some()
        );
        assert!(
            set.decide_ip(ip("203.0.113.6"), ts("2030-01-01T00:00:00Z"))
                .is_none()
        );
    }

    #[test]
    fn tlp_filters_what_a_tenant_sees() {
        let acme = TenantId::new("acme").unwrap();
        let globex = TenantId::new("globex").unwrap();
        let mut set = IndicatorSet::new();
        let mut i = ind(ObservableKind::Ipv4, "198.51.100.1", "red at acme");
        i.provenance = Provenance::Alert {
            tenant: acme.clone(),
            alert_id: "A1".into(),
        };
        i.tlp = Tlp::Red;
        set.insert(i);
        let mut j = ind(ObservableKind::Ipv4, "198.51.100.1", "amber feed");
        j.tlp = Tlp::Amber;
        set.insert(j);
        let obs = parse(ObservableKind::Ipv4, "198.51.100.1").unwrap();
        let now = ts("2026-11-02T00:00:00Z");
        assert_eq!(set.lookup_for(&obs, now, &acme).len(), 2);
        assert_eq!(set.lookup_for(&obs, now, &globex).len(), 1);
    }

    #[test]
    fn a_private_indicator_from_a_tenant_decides_only_there() {
        let acme = TenantId::new("acme").unwrap();
        let globex = TenantId::new("globex").unwrap();
        let now = ts("2026-11-02T00:00:00Z");
        let at_acme = |tlp: Tlp, value: &str, verdict: Verdict| {
            let mut i = ind(ObservableKind::Ipv4, value, "from acme");
            i.provenance = Provenance::Alert {
                tenant: acme.clone(),
                alert_id: "A1".into(),
            };
            i.tlp = tlp;
            i.verdict = verdict;
            i
        };
        for tlp in [Tlp::AmberStrict, Tlp::Red] {
            let mut set = IndicatorSet::new();
            set.insert(at_acme(tlp, "198.51.100.1", Verdict::Malicious));
            assert!(set.decide_ip_for(ip("198.51.100.1"), now, &acme).is_some());
            assert!(
                set.decide_ip_for(ip("198.51.100.1"), now, &globex)
                    .is_none()
            );
            // A wider feed network still matches at globex: the private /32 does not
            // close the search at its key there.
            let mut wide = ind(ObservableKind::Cidr, "198.51.100.0/24", "feed");
            wide.tlp = tlp;
            set.insert(wide);
            let hit = set.decide_ip_for(ip("198.51.100.1"), now, &globex).unwrap();
            assert_eq!(hit.how, MatchHow::Network { prefix_len: 24 });
            // A private allow entry of acme's allows at acme only.
            let mut set = IndicatorSet::new();
            set.insert(ind(ObservableKind::Ipv4, "198.51.100.2", "feed"));
            set.insert(at_acme(tlp, "198.51.100.2", Verdict::BenignAllow));
            assert!(set.decide_ip_for(ip("198.51.100.2"), now, &acme).is_none());
            assert!(
                set.decide_ip_for(ip("198.51.100.2"), now, &globex)
                    .is_some()
            );
        }
        // Shared markings from a tenant, and feeds of any marking, match everywhere.
        for tlp in [Tlp::Clear, Tlp::Green, Tlp::Amber] {
            let mut set = IndicatorSet::new();
            set.insert(at_acme(tlp, "198.51.100.3", Verdict::Malicious));
            assert!(
                set.decide_ip_for(ip("198.51.100.3"), now, &globex)
                    .is_some()
            );
        }
        let mut set = IndicatorSet::new();
        let mut red_feed = ind(ObservableKind::Ipv4, "198.51.100.4", "red feed");
        red_feed.tlp = Tlp::Red;
        set.insert(red_feed);
        assert!(
            set.decide_ip_for(ip("198.51.100.4"), now, &globex)
                .is_some()
        );
    }

    #[test]
    fn upsert_merges_same_value_and_source() {
        let mut set = IndicatorSet::new();
        let a = set.upsert(ind(ObservableKind::Domain, "evil.example", "x"));
        let mut again = ind(ObservableKind::Domain, "evil.example", "y");
        again.last_seen = ts("2026-11-05T00:00:00Z");
        again.tlp = Tlp::Red;
        let b = set.upsert(again);
        assert_eq!(a, b);
        assert_eq!(set.len(), 1);
        let i = set.get(a.unwrap()).unwrap();
        assert_eq!(i.sightings, 2);
        assert_eq!(i.last_seen, ts("2026-11-05T00:00:00Z"));
        assert_eq!(i.tlp, Tlp::Red);
        let mut other = ind(ObservableKind::Domain, "evil.example", "z");
        other.provenance = Provenance::Report { name: "r".into() };
        set.upsert(other);
        assert_eq!(set.len(), 2);
    }
}
