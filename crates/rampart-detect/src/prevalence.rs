//! Which networks are common in a tenant: many of its users sign in from them on many
//! days, with few bad passwords. A sign-in from such a network (an undeclared VPN or
//! proxy egress, a shared office) says nothing about where the user is.
//!
//! A hunt judges this over the whole window it is given, like a hunting query's
//! look-back. A network on an indicator list, or one with many bad passwords, is never
//! common, however many users it reached.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use rampart_model::{Outcome, SignIn, TenantId};

use crate::indicators::IndicatorSet;
use crate::state::day_of;
use crate::{DetectConfig, NetworkKey, network_key};

#[derive(Default)]
struct Usage {
    users: HashSet<u64>,
    days: HashSet<u16>,
    proven: u32,
    bad: u32,
    listed: bool,
}

#[derive(Default)]
pub(crate) struct Prevalence {
    common: HashSet<(TenantId, NetworkKey)>,
}

impl Prevalence {
    pub fn build(
        signins: &[SignIn],
        order: &[u32],
        cfg: &DetectConfig,
        indicators: &IndicatorSet,
    ) -> Prevalence {
        let mut usage: HashMap<(&TenantId, NetworkKey), Usage> = HashMap::new();
        for &i in order {
            let s = &signins[i as usize];
            let (Some(tenant), Some(ip)) = (&s.tenant, s.ip) else {
                continue;
            };
            let u = usage.entry((tenant, network_key(ip))).or_default();
            u.listed |= indicators.match_ip(ip).is_some();
            match s.outcome {
                Outcome::Success | Outcome::CredentialValidFailure => {
                    u.proven += 1;
                    u.users.insert(crate::hunt::identity_key(tenant, &s.user));
                    u.days.insert(day_of(s));
                }
                Outcome::BadCredentials => u.bad += 1,
                Outcome::Other => {}
            }
        }
        let p = &cfg.params;
        let common = usage
            .into_iter()
            .filter(|(_, u)| {
                u.users.len() >= p.common_network_users
                    && u.days.len() >= p.common_network_days
                    && u.bad * 5 < u.proven
                    && !u.listed
            })
            .map(|((t, key), _)| (t.clone(), key))
            .collect();
        Prevalence { common }
    }

    pub fn is_common(&self, tenant: &TenantId, ip: IpAddr) -> bool {
        self.common.contains(&(tenant.clone(), network_key(ip)))
    }
}
