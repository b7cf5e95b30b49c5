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
//! There is one detector, [`Detector`]: incremental, fed batches of sign-ins, reporting
//! [`Change`]s to findings under stable keys, its whole state serializable for checkpoints.
//! [`hunt`] drives it over a whole input as one batch; `rampart serve` drives it batch by
//! batch. The same sign-ins give the same findings either way, as long as each tenant's
//! sign-ins arrive in event order up to the allowed lateness (see [`Detector`]).
//! Prevalence (a tenant's common networks) is judged as of each sign-in, never from
//! sign-ins after it; findings resting on a network later known to be a shared egress (or
//! an office, on the suspicious side) are withdrawn.
//!
//! Architecture invariant: this crate stores nothing and does no I/O (a snapshot is bytes
//! the caller keeps). It depends on `rampart-model` for its nouns, `rampart-geo` for
//! geodesy and `rampart-intel` for the indicator matcher, and knows no input format.
//! State per identity is compact; the few sign-ins it refers to are shared, not copied.

mod event;
mod evidence;
mod findings;
mod hunt;
mod identity;
mod prevalence;
mod shared;
mod state;
mod stream;
mod travel;

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::IpAddr;

use ipnet::IpNet;
use rampart_model::TenantId;

pub use event::{EventKey, event_order};
pub use hunt::{HuntOutput, HuntStats, apply, hunt, hunt_with};
pub use rampart_intel::IndicatorSet;
pub use shared::{Change, finding_key};
pub use stream::{Detector, DetectorSize, SnapshotError};
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

/// Bytes of detector state held per identity, for capacity planning and the benchmark
/// (the compact state; the few recent endpoints' sign-ins are shared with the indexes).
pub const STATE_BYTES_PER_IDENTITY: usize = std::mem::size_of::<state::UserState>();

/// The key of an identity (tenant and user), also its partition.
pub(crate) fn identity_key(tenant: &TenantId, user: &str) -> u64 {
    key_of(tenant.as_str(), user)
}

pub(crate) fn key_of(tenant: &str, user: &str) -> u64 {
    let mut h = DefaultHasher::new();
    (tenant, user).hash(&mut h);
    h.finish()
}

/// Maps with keys JSON cannot name (tuples, addresses) serialize as lists of pairs.
pub(crate) mod pairs {
    use std::collections::HashMap;
    use std::hash::Hash;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &HashMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub fn deserialize<'de, K, V, D>(d: D) -> Result<HashMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Eq + Hash,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        let pairs: Vec<(K, V)> = Vec::deserialize(d)?;
        Ok(pairs.into_iter().collect())
    }
}
