//! Which networks are common in a tenant — many of its users sign in from them on many
//! days, with few bad passwords — and what kind they are:
//! - an **egress** (an undeclared VPN or proxy exit): far from where its users otherwise
//!   sign in. Its geolocation is the exit's, not the user's: it has no usable location.
//! - an **office**: near its users. Its location is real, and a sign-in from it is never
//!   the odd one out.
//!
//! Prevalence is kept incrementally and judged **as of each sign-in**: the tenant's
//! sign-ins up to and including it in event order, never the ones after it. Each network
//! keeps the history of its classification (from which sign-in on it was common, and as
//! what), so a question about a sign-in's time has one answer however the sign-ins were
//! grouped into batches. A network on an indicator list, or one with many bad passwords,
//! is never common, however many users it reached.
//!
//! A network is reclassified when its own use changes in a way that matters (it becomes or
//! stops being a candidate, gains a user or a day); the homes of its users are taken as
//! they stand then.
//!
//! A sign-in judged before its network was known to be common was judged as what it
//! seemed. Findings resting on such a network are held back once it is known (see the
//! shared stage): an impossible trip with an egress on either side or an office on its
//! suspicious side, an unfamiliar place that is an egress. That is what a hunt over a
//! whole window decided from its look-back.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use rampart_model::{Outcome, SignIn, TenantId};
use serde::{Deserialize, Serialize};

use crate::event::EventKey;
use crate::pairs;
use crate::state::{day_of, day_of_time};
use crate::{DetectConfig, NetworkKey, network_key};
use rampart_intel::IndicatorSet;

/// A network's role in a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Common {
    Egress,
    Office,
}

/// Networks whose places a user is remembered at, at most.
const USER_CELLS: usize = 32;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Usage {
    users: HashSet<u64>,
    days: HashSet<u16>,
    proven: u32,
    bad: u32,
    listed: bool,
    /// Where the network geolocates (its first password-proven sign-in with a position).
    at: Option<(f64, f64)>,
    last_day: u16,
    /// Classification changes in event order: from this sign-in on, this class.
    history: Vec<(EventKey, Option<Common>)>,
}

impl Usage {
    fn class_at(&self, at: &SignIn) -> Option<Common> {
        self.history
            .iter()
            .rev()
            .find(|(k, _)| k.cmp_signin(at).is_le())
            .and_then(|(_, c)| *c)
    }

    fn current(&self) -> Option<Common> {
        self.history.last().and_then(|(_, c)| *c)
    }
}

/// Password-proven sign-ins of one user from one network in one 0.5° cell.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CellCount {
    net: NetworkKey,
    cell: (i32, i32),
    n: u32,
    lat: f64,
    lon: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Prevalence {
    #[serde(with = "pairs")]
    nets: HashMap<(TenantId, NetworkKey), Usage>,
    /// Per user: where they sign in from, by network and cell.
    #[serde(with = "pairs")]
    cells: HashMap<u64, Vec<CellCount>>,
    /// Per tenant: the networks that are candidates now (many users, many days).
    #[serde(with = "pairs")]
    shared: HashMap<TenantId, HashSet<NetworkKey>>,
}

/// A 0.5° cell, to find where a user usually is.
fn cell(lat: f64, lon: f64) -> (i32, i32) {
    ((lat * 2.0).floor() as i32, (lon * 2.0).floor() as i32)
}

impl Prevalence {
    /// Counts one sign-in (in event order within its tenant) and reclassifies its network
    /// when that matters; returns the network when its class changed.
    pub fn observe(
        &mut self,
        s: &SignIn,
        cfg: &DetectConfig,
        indicators: &IndicatorSet,
    ) -> Option<(TenantId, NetworkKey)> {
        let (Some(tenant), Some(ip)) = (&s.tenant, s.ip) else {
            return None;
        };
        let key = network_key(ip);
        let day = day_of(s);
        let u = self.nets.entry((tenant.clone(), key)).or_default();
        let before = (u.users.len(), u.days.len());
        u.listed |= indicators.decide_ip_for(ip, s.time, tenant).is_some();
        u.last_day = u.last_day.max(day);
        let mut user_at = None;
        match s.outcome {
            Outcome::Success | Outcome::CredentialValidFailure => {
                let user = crate::identity_key(tenant, &s.user);
                u.proven += 1;
                u.users.insert(user);
                u.days.insert(day);
                if let Some(loc) = &s.location {
                    u.at.get_or_insert((loc.lat, loc.lon));
                    if !cfg.trusted(tenant, ip) && !s.network.provider_trusted {
                        user_at = Some((user, loc.lat, loc.lon));
                    }
                }
            }
            Outcome::BadCredentials => u.bad += 1,
            Outcome::Other => {}
        }
        let p = &cfg.params;
        let candidate = u.users.len() >= p.common_network_users
            && u.days.len() >= p.common_network_days
            && u.bad * 5 < u.proven
            && !u.listed;
        let was = u.current();
        let grew = (u.users.len(), u.days.len()) != before;
        if let Some((user, lat, lon)) = user_at {
            self.count_cell(user, key, lat, lon);
        }
        if candidate == was.is_some() && !(candidate && grew) {
            return None;
        }
        let shared = self.shared.entry(tenant.clone()).or_default();
        if candidate {
            shared.insert(key);
        } else {
            shared.remove(&key);
        }
        let class = if candidate {
            Some(self.classify(tenant, key))
        } else {
            None
        };
        if class != was
            && let Some(u) = self.nets.get_mut(&(tenant.clone(), key))
        {
            let at = EventKey::of(s);
            let pos = u.history.partition_point(|(k, _)| *k <= at);
            u.history.insert(pos, (at, class));
            return Some((tenant.clone(), key));
        }
        None
    }

    fn count_cell(&mut self, user: u64, net: NetworkKey, lat: f64, lon: f64) {
        let c = cell(lat, lon);
        let cells = self.cells.entry(user).or_default();
        if let Some(e) = cells.iter_mut().find(|e| e.net == net && e.cell == c) {
            e.n = e.n.saturating_add(1);
            return;
        }
        if cells.len() >= USER_CELLS {
            // Forget the least used (the earliest among equals).
            if let Some(i) = (0..cells.len()).min_by_key(|&i| (cells[i].n, i)) {
                cells.remove(i);
            }
        }
        cells.push(CellCount {
            net,
            cell: c,
            n: 1,
            lat,
            lon,
        });
    }

    /// A user's usual place: the cell they sign in from most, not counting the tenant's
    /// shared networks (a user who is on the VPN half the time is still at home); someone
    /// who only ever uses the shared networks lives there.
    fn home(&self, tenant: &TenantId, user: u64) -> Option<(f64, f64)> {
        let cells = self.cells.get(&user)?;
        let shared = self.shared.get(tenant);
        let by_cell = |skip_shared: bool| {
            let mut per_cell: Vec<((i32, i32), u32, f64, f64)> = Vec::new();
            for e in cells {
                if skip_shared && shared.is_some_and(|s| s.contains(&e.net)) {
                    continue;
                }
                match per_cell.iter_mut().find(|p| p.0 == e.cell) {
                    Some(p) => p.1 += e.n,
                    None => per_cell.push((e.cell, e.n, e.lat, e.lon)),
                }
            }
            per_cell
        };
        let per_cell = Some(by_cell(true))
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| by_cell(false));
        per_cell
            .into_iter()
            .max_by_key(|p| (p.1, p.0))
            .map(|p| (p.2, p.3))
    }

    /// Egress when most of its users live more than 300 km from where it geolocates.
    fn classify(&self, tenant: &TenantId, key: NetworkKey) -> Common {
        let Some(u) = self.nets.get(&(tenant.clone(), key)) else {
            return Common::Egress;
        };
        let Some((lat, lon)) = u.at else {
            return Common::Egress;
        };
        let far = u
            .users
            .iter()
            .filter_map(|user| self.home(tenant, *user))
            .filter(|(hl, ho)| rampart_geo::haversine_km(*hl, *ho, lat, lon) > 300.0)
            .count();
        if far * 2 > u.users.len() {
            Common::Egress
        } else {
            Common::Office
        }
    }

    /// The network's role in the tenant as of sign-in `at` (counted up to and including it).
    pub fn kind_at(&self, tenant: &TenantId, ip: IpAddr, at: &SignIn) -> Option<Common> {
        self.nets
            .get(&(tenant.clone(), network_key(ip)))
            .and_then(|u| u.class_at(at))
    }

    /// The network's role in the tenant now (after every sign-in counted so far).
    pub fn current(&self, tenant: &TenantId, ip: IpAddr) -> Option<Common> {
        self.nets
            .get(&(tenant.clone(), network_key(ip)))
            .and_then(Usage::current)
    }

    /// Forgets, per tenant, networks that were never common and unused for 30 days
    /// before the tenant's cutoff, and classification history no question can reach any
    /// more (all but the last change before the cutoff).
    pub fn evict(&mut self, cutoff: &HashMap<TenantId, jiff::Timestamp>) {
        self.nets.retain(|(t, _), u| {
            let Some(c) = cutoff.get(t) else {
                return true;
            };
            if u.history.is_empty() && u.last_day < day_of_time(*c).saturating_sub(30) {
                return false;
            }
            let older = u.history.partition_point(|(k, _)| k.time < *c);
            if older > 1 {
                u.history.drain(..older - 1);
            }
            true
        });
    }

    pub fn networks(&self) -> usize {
        self.nets.len()
    }
}
