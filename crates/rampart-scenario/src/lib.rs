//! Deterministic, labelled identity-provider sign-in exports for Rampart.
//!
//! This crate writes what partners' identity providers would hand an MSP — Microsoft
//! Graph `signIn` pages (v1.0 and beta), Entra `SignInLogs` diagnostic records and Okta
//! System Log events, in the vendors' own field names, types and ordering — together with
//! the ground truth of every record. It feeds three things:
//!
//! - [`seed_story`]: the story of the seed document (impossible travel New York → Phoenix
//!   at one partner, the same attacker address at a second partner whose user really was
//!   in Arizona, a campaign indicator list that stops a third partner's compromise), for
//!   `rampart demo-data` and the README;
//! - [`evaluation`]: a harder world with every known false-positive trap and ~30 labelled
//!   attacks, to measure detection precision and recall;
//! - [`bench_graph_ndjson`]: fast bulk Graph v1.0 records for the hunt benchmark.
//!
//! Everything is a pure function of the seed: the same seed gives the same bytes.
//!
//! Architecture invariant: this crate is the detector's exam, so it must not depend on
//! `rampart-detect` nor encode how detection works; it describes the world (where people
//! are, which networks they use, what attackers do) and labels the truth. It depends on
//! nothing of Rampart's (finding-kind names are spelled as `rampart-model` spells them).
//! It writes vendor formats only — never Rampart's internal model.

mod bench;
mod build;
pub mod campaign;
pub mod clients;
mod entra;
mod evaluation;
pub mod geo;
mod ids;
pub mod model;
pub mod net;
mod okta;
pub mod output;
mod story;
pub mod time;

use std::path::{Path, PathBuf};

pub use bench::bench_graph_ndjson;
pub use model::{
    Attack, AttackKind, CampaignEntry, Channel, ExportFormat, FindingKind, Outcome, SignIn, Tenant,
    Trap, Trip, Truth, User,
};
pub use net::Network;
pub use output::{Labels, hunt_command, labels};

/// Everything generated, in memory.
#[derive(Debug)]
pub struct World {
    /// `seed-story` or `evaluation`.
    pub name: String,
    pub seed: u64,
    /// The period covered, ms since the Unix epoch, `[start, end)`.
    pub start_ms: i64,
    pub end_ms: i64,
    pub tenants: Vec<Tenant>,
    /// Every address in the world and where it geolocates.
    pub networks: Vec<Network>,
    /// Every record, ordered by partner then time.
    pub signins: Vec<SignIn>,
    pub attacks: Vec<Attack>,
    pub trips: Vec<Trip>,
    /// The campaign's indicator list, as `campaign.csv` writes it.
    pub campaign: Vec<CampaignEntry>,
    /// The story in a few sentences (README).
    pub story: Vec<String>,
}

impl World {
    /// The record with a provider id.
    pub fn record(&self, id: &str) -> Option<&SignIn> {
        self.signins.iter().find(|s| s.id == id)
    }

    /// The records of an attack.
    pub fn attack_records(&self, attack: usize) -> impl Iterator<Item = &SignIn> {
        self.signins
            .iter()
            .filter(move |s| s.truth == Truth::Attack(attack))
    }

    /// The partner with a slug.
    pub fn tenant(&self, slug: &str) -> Option<usize> {
        self.tenants.iter().position(|t| t.slug == slug)
    }

    /// The network a record came from.
    pub fn network(&self, s: &SignIn) -> &Network {
        &self.networks[s.net]
    }
}

/// What [`write`] put on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub files: Vec<PathBuf>,
    /// Sign-in records written across all exports.
    pub signins: usize,
    /// Labelled attacker records.
    pub attacks: usize,
    pub tenants: Vec<String>,
}

/// The seed story: three partners (acme-dental on Entra Graph beta, brightline-law on
/// Okta, delta-clinic on Entra `SignInLogs`), three weeks of ordinary sign-ins for 9–12
/// users each, and the story's events.
pub fn seed_story(seed: u64) -> World {
    story::build(seed)
}

/// The evaluation world: four partners (Graph beta, Graph v1.0, Okta NDJSON and Okta
/// JSON pages), two weeks, ~7,500 records, every benign trap and ~30 labelled attacks.
pub fn evaluation(seed: u64) -> World {
    evaluation::build(seed)
}

/// Writes the world under `dir`: `rampart.toml`, `campaign.csv`, `labels.json`,
/// `README.md` and `exports/<slug>/…` in each partner's export format.
pub fn write(world: &World, dir: &Path) -> std::io::Result<Manifest> {
    output::write(world, dir)
}
