//! Which networks are common in a tenant — many of its users sign in from them on many
//! days, with few bad passwords — and what kind they are:
//! - an **egress** (an undeclared VPN or proxy exit): far from where its users otherwise
//!   sign in. Its geolocation is the exit's, not the user's: it has no usable location.
//! - an **office**: near its users. Its location is real, and a sign-in from it is never
//!   the odd one out.
//!
//! A hunt judges this over the whole window it is given, like a hunting query's
//! look-back. A network on an indicator list, or one with many bad passwords, is never
//! common, however many users it reached.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use rampart_model::{Outcome, SignIn, TenantId};

use crate::state::day_of;
use crate::{DetectConfig, NetworkKey, network_key};
use rampart_intel::IndicatorSet;

/// A network's role in a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Common {
    Egress,
    Office,
}

#[derive(Default)]
struct Usage {
    users: HashSet<u64>,
    days: HashSet<u16>,
    proven: u32,
    bad: u32,
    listed: bool,
    /// Where the network geolocates (its first password-proven sign-in with a position).
    at: Option<(f64, f64)>,
}

#[derive(Default)]
pub(crate) struct Prevalence {
    common: HashMap<(TenantId, NetworkKey), Common>,
}

/// Sign-ins in a cell, with the cell's first position.
type CellCount = (u32, f64, f64);
/// A user's sign-ins by network and cell.
type UserCells = HashMap<(NetworkKey, (i32, i32)), CellCount>;

/// A 0.5° cell, to find where a user usually is.
fn cell(lat: f64, lon: f64) -> (i32, i32) {
    ((lat * 2.0).floor() as i32, (lon * 2.0).floor() as i32)
}

impl Prevalence {
    pub fn build(
        signins: &[SignIn],
        order: &[u32],
        cfg: &DetectConfig,
        indicators: &IndicatorSet,
    ) -> Prevalence {
        let mut usage: HashMap<(&TenantId, NetworkKey), Usage> = HashMap::new();
        // Per user and network: sign-ins per cell.
        let mut user_cells: HashMap<u64, UserCells> = HashMap::new();
        for &i in order {
            let s = &signins[i as usize];
            let (Some(tenant), Some(ip)) = (&s.tenant, s.ip) else {
                continue;
            };
            let key = network_key(ip);
            let u = usage.entry((tenant, key)).or_default();
            u.listed |= indicators.decide_ip(ip, s.time).is_some();
            match s.outcome {
                Outcome::Success | Outcome::CredentialValidFailure => {
                    let user = crate::hunt::identity_key(tenant, &s.user);
                    u.proven += 1;
                    u.users.insert(user);
                    u.days.insert(day_of(s));
                    if let Some(loc) = &s.location {
                        u.at.get_or_insert((loc.lat, loc.lon));
                        if !cfg.trusted(tenant, ip) && !s.network.provider_trusted {
                            let c = user_cells
                                .entry(user)
                                .or_default()
                                .entry((key, cell(loc.lat, loc.lon)))
                                .or_insert((0, loc.lat, loc.lon));
                            c.0 += 1;
                        }
                    }
                }
                Outcome::BadCredentials => u.bad += 1,
                Outcome::Other => {}
            }
        }
        let p = &cfg.params;
        let candidates: Vec<((&TenantId, NetworkKey), Usage)> = usage
            .into_iter()
            .filter(|(_, u)| {
                u.users.len() >= p.common_network_users
                    && u.days.len() >= p.common_network_days
                    && u.bad * 5 < u.proven
                    && !u.listed
            })
            .collect();
        // A user's usual place: the cell they sign in from most, not counting the shared
        // networks themselves (a user who is on the VPN half the time is still at home).
        let shared: HashSet<NetworkKey> = candidates.iter().map(|((_, key), _)| *key).collect();
        let homes: HashMap<u64, (f64, f64)> = user_cells
            .into_iter()
            .filter_map(|(user, cells)| {
                let by_cell = |skip_shared: bool| {
                    let mut per_cell: HashMap<(i32, i32), CellCount> = HashMap::new();
                    for ((key, c), (n, lat, lon)) in &cells {
                        if !(skip_shared && shared.contains(key)) {
                            per_cell.entry(*c).or_insert((0, *lat, *lon)).0 += n;
                        }
                    }
                    per_cell
                };
                // Someone who only ever uses the shared networks lives there.
                let per_cell = Some(by_cell(true))
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| by_cell(false));
                per_cell
                    .into_iter()
                    .max_by_key(|(c, v)| (v.0, *c))
                    .map(|(_, (_, lat, lon))| (user, (lat, lon)))
            })
            .collect();
        let common = candidates
            .into_iter()
            .map(|((tenant, key), u)| {
                let kind = match u.at {
                    Some((lat, lon)) => {
                        let far = u
                            .users
                            .iter()
                            .filter_map(|user| homes.get(user))
                            .filter(|(hl, ho)| {
                                rampart_geo::haversine_km(*hl, *ho, lat, lon) > 300.0
                            })
                            .count();
                        if far * 2 > u.users.len() {
                            Common::Egress
                        } else {
                            Common::Office
                        }
                    }
                    None => Common::Egress,
                };
                ((tenant.clone(), key), kind)
            })
            .collect();
        Prevalence { common }
    }

    pub fn kind(&self, tenant: &TenantId, ip: IpAddr) -> Option<Common> {
        self.common.get(&(tenant.clone(), network_key(ip))).copied()
    }
}
