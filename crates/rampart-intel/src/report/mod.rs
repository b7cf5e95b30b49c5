//! Report analysis: a threat report (prose) in; its indicators, ATT&CK techniques, actors,
//! malware, targets and an extractive "Analysis Summary" out.
//!
//! - [`iocs`]: indicators of compromise, defanged or not, with their sentence.

pub mod iocs;

pub use iocs::{Dropped, ExtractOptions, Extraction, Ioc, IocKind, extract};
