//! The nouns of Rampart: tenants, normalized sign-ins, locations and findings.
//! (Indicators of compromise are `rampart-intel`'s; findings carry a printable summary.)
//!
//! Every other crate speaks in these types. A decoder turns a vendor record into a
//! [`SignIn`]; a detector turns sign-ins into [`Finding`]s; the binary prints them.
//!
//! Architecture invariant: this crate does no I/O, is not async, and knows no vendor
//! format. It depends on nothing of Rampart's own. Serde derives are here so that the
//! edges (output, store, API) can serialize the nouns, but the wire shapes of vendor
//! formats live in `rampart-sources`.

mod finding;
mod signin;
mod tenant;

pub use finding::{
    CrossTenantEvidence, Evidence, Finding, FindingKind, IndicatorEvidence, LocationEvidence,
    MatchedIndicator, Reason, ReasonEffect, Severity, SideEvidence, SigmaCorrelationRef,
    SigmaEventRef, SigmaEvidence, SigmaRuleRef, SprayEvidence, TravelEvidence,
};
pub use signin::{GeoSource, Location, NetworkHints, Outcome, SignIn, SourceFormat};
pub use tenant::{TenantId, TenantIdError};
