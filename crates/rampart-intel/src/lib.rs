//! Indicators of compromise for Rampart: the model (observables, verdicts, confidence,
//! provenance, TLP 2.0 sharing, sightings and MISP/OpenCTI-style decay), normalization
//! (refanging, canonical forms, type inference), one matcher for every observable kind,
//! importers for CSV, plain lists, STIX 2.1 bundles and MISP events, and MISP warninglists
//! that keep well-known benign values from becoming malicious indicators.
//!
//! Among Rampart crates it depends only on `rampart-model`. It does no network I/O and no
//! storage: callers hand it bytes and directories, and keep indicators where they like.
//! [`report`] analyses threat reports (prose): indicators, ATT&CK techniques, actors.

pub mod bench;
pub mod export;
pub mod import;
pub mod matcher;
pub mod model;
pub mod normalize;
pub mod report;
pub mod warninglist;

pub use bench::{BenchReport, KindTimes, bench_indicators};
pub use import::{
    Format, ImportIssue, ImportOptions, ImportReport, Location, MISP_MANIFEST, Undated, import,
    import_csv, import_list, import_misp, import_misp_feed, import_path, import_stix,
};
pub use matcher::{IndicatorId, IndicatorSet, Match, MatchHow};
pub use model::{
    Confidence, DecayModel, DecayPolicy, Indicator, Observable, ObservableKind, Provenance, Tag,
    TagKind, Tlp, Verdict, VisibleProvenance,
};
pub use normalize::{ValueError, parse, parse_inferred, refang};
pub use warninglist::{WarninglistError, WarninglistHit, Warninglists};
