//! A request body → accepted sign-ins, skipped records and dead letters (pure; no I/O).

use std::collections::BTreeMap;

use rampart_model::{SignIn, TenantId};
use rampart_sources::{DecodeOptions, Decoded};
use rampart_store::NewDeadLetter;

use crate::Tenants;

/// A decoded body, ready to be committed.
#[derive(Debug, Default)]
pub struct DecodedBatch {
    /// Accepted sign-ins, tenant set and enriched.
    pub signins: Vec<SignIn>,
    /// Records of a known format that are not sign-ins, by `format: reason`.
    pub skipped: BTreeMap<String, u64>,
    /// Records that cannot be accepted, with their position and reason.
    pub dead_letters: Vec<NewDeadLetter>,
}

impl DecodedBatch {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// A decoded sign-in (record `index` of its body, 1-based) → tenant assignment →
    /// enrichment → accepted; or, when another tenant claims it, a retryable dead letter
    /// that keeps the sign-in as normalized JSON (not yet enriched: a retry enriches it
    /// with the GeoIP databases in force then). Ingest and dead-letter retries both come
    /// through here, so a retried record is placed exactly like an ingested one.
    pub fn accept(
        &mut self,
        mut s: SignIn,
        index: u64,
        route: &TenantId,
        tenants: &Tenants,
        geoip: Option<&rampart_geo::GeoIp>,
    ) {
        match tenants.assign(&mut s, route) {
            Ok(()) => {
                rampart_geo::enrich(&mut s, geoip);
                self.signins.push(s);
            }
            Err(e) => self.dead_letters.push(NewDeadLetter {
                index,
                line: None,
                reason: e.reason,
                raw: serde_json::to_string(&s).ok(),
                retryable: true,
            }),
        }
    }
}

/// Decodes `bytes` (any format `hunt` reads: JSON array, NDJSON, API pages, CSV, gzip —
/// detected by content) sent to `route`'s ingest route, and assigns tenants.
pub fn decode_batch(
    bytes: &[u8],
    route: &TenantId,
    tenants: &Tenants,
    geoip: Option<&rampart_geo::GeoIp>,
) -> DecodedBatch {
    let mut out = DecodedBatch::default();
    let mut index = 0u64;
    let opts = DecodeOptions::default();
    rampart_sources::decode_bytes(bytes, "body", &opts, &mut |d| match d {
        Decoded::SignIn(s) => {
            index += 1;
            out.accept(*s, index, route, tenants, geoip);
        }
        Decoded::Skipped { format, reason, .. } => {
            index += 1;
            *out.skipped
                .entry(format!("{format}: {reason}"))
                .or_default() += 1;
        }
        Decoded::Rejected(r) => {
            if r.at.index > 0 {
                index += 1;
            }
            out.dead_letters.push(NewDeadLetter {
                index: r.at.index as u64,
                line: r.at.line.map(|l| l as u64),
                reason: r.reason,
                raw: r.raw,
                retryable: false,
            });
        }
    });
    out
}
