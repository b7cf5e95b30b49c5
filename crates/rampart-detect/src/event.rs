//! Sign-ins as the detector holds them, and the one order every part of it agrees on.

use std::cmp::Ordering;
use std::sync::Arc;

use jiff::Timestamp;
use rampart_model::SignIn;
use serde::{Deserialize, Serialize};

/// A sign-in held by the detector: shared between the indexes that need it (an identity's
/// recent endpoints, the IP indexes, findings' subjects), stored once.
pub(crate) type Ev = Arc<SignIn>;

/// Where a sign-in stands in event order: time, then provider record id, tenant and
/// format (a total order: two sign-ins with the same key are the same record).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventKey {
    pub time: Timestamp,
    pub record_id: String,
    pub tenant: String,
    pub format: String,
}

impl EventKey {
    pub fn of(s: &SignIn) -> EventKey {
        EventKey {
            time: s.time,
            record_id: s.record_id.clone(),
            tenant: tenant_str(s).to_owned(),
            format: s.source_format.as_str().to_owned(),
        }
    }

    /// Where `s` stands relative to this key, without allocating.
    pub(crate) fn cmp_signin(&self, s: &SignIn) -> Ordering {
        self.time
            .cmp(&s.time)
            .then_with(|| self.record_id.as_str().cmp(s.record_id.as_str()))
            .then_with(|| self.tenant.as_str().cmp(tenant_str(s)))
            .then_with(|| self.format.as_str().cmp(s.source_format.as_str()))
    }
}

fn tenant_str(s: &SignIn) -> &str {
    s.tenant.as_ref().map(|t| t.as_str()).unwrap_or("")
}

/// Event order over sign-ins (the order of [`EventKey`]).
pub fn event_order(a: &SignIn, b: &SignIn) -> Ordering {
    a.time
        .cmp(&b.time)
        .then_with(|| a.record_id.cmp(&b.record_id))
        .then_with(|| tenant_str(a).cmp(tenant_str(b)))
        .then_with(|| a.source_format.as_str().cmp(b.source_format.as_str()))
}

/// `t - d`, or the earliest time when that is out of range.
pub(crate) fn minus(t: Timestamp, d: jiff::SignedDuration) -> Timestamp {
    t.checked_sub(d).unwrap_or(Timestamp::MIN)
}

/// `t + d`, or the latest time when that is out of range.
pub(crate) fn plus(t: Timestamp, d: jiff::SignedDuration) -> Timestamp {
    t.checked_add(d).unwrap_or(Timestamp::MAX)
}
