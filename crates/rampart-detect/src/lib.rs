//! Detectors: what in a stream of sign-ins is an account takeover, and why.
//!
//! Four detections, each a [`Finding`](rampart_model::Finding) with a kind, a severity
//! and the evidence an analyst needs to judge it:
//! - `impossible_travel`: two sign-ins of one user that nobody could have travelled
//!   between, with the location uncertainty subtracted first, judged against the
//!   user's familiar places and the tenant's common networks;
//! - `unfamiliar_location`: feasible travel, to a country new for the user;
//! - `indicator_match`: a sign-in from an IP or network that a live indicator of
//!   `rampart-intel`'s [`IndicatorSet`](rampart_intel::IndicatorSet) names at the sign-in's time;
//! - `cross_tenant_ip`: the attacker's IP from one tenant, seen at another.
//!
//! Only sign-ins that proved the password (a success, or a failure that came after
//! the password was accepted) say where the user — or whoever holds the password — was;
//! bad-password failures never count as travel.
//!
//! Architecture invariant: this crate stores nothing and does no I/O. It depends on
//! `rampart-model` for its nouns, `rampart-geo` for geodesy and `rampart-intel` for the
//! indicator matcher, and knows no input format. State per identity is compact and refers
//! to sign-ins by index into the caller's arena.

mod evidence;
mod hunt;
mod prevalence;
mod state;
mod travel;

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;
use rampart_model::TenantId;

pub use hunt::{HuntOutput, HuntStats, hunt};
pub use rampart_intel::IndicatorSet;
pub use travel::{Leg, Params};

/// What a tenant tells Rampart about itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TenantPolicy {
    /// Networks whose sign-ins have no usable location (corporate VPN egress, proxies).
    pub trusted_networks: Vec<IpNet>,
}

/// Configuration of a hunt.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DetectConfig {
    pub tenants: HashMap<TenantId, TenantPolicy>,
    pub params: Params,
}

impl DetectConfig {
    /// True when `ip` is in one of the tenant's trusted networks.
    pub fn trusted(&self, tenant: &TenantId, ip: IpAddr) -> bool {
        self.tenants
            .get(tenant)
            .is_some_and(|p| p.trusted_networks.iter().any(|n| n.contains(&ip)))
    }
}

/// The network an IP belongs to for "same place" purposes: its IPv4 /24 or IPv6 /64.
pub(crate) type NetworkKey = IpNet;

pub(crate) fn network_key(ip: IpAddr) -> NetworkKey {
    let len = if ip.is_ipv4() { 24 } else { 64 };
    IpNet::new(ip, len)
        .map(|n| n.trunc())
        .unwrap_or_else(|_| IpNet::from(ip))
}

/// Bytes of detector state held per identity, for capacity planning and the benchmark.
pub const STATE_BYTES_PER_IDENTITY: usize = std::mem::size_of::<state::UserState>();
