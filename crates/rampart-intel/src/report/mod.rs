//! Report analysis: a threat report (prose) in; its indicators, ATT&CK techniques, actors,
//! malware, targets and an extractive "Analysis Summary" out.
//!
//! - [`iocs`]: indicators of compromise, defanged or not, with their sentence;
//! - [`attack`]: the embedded MITRE ATT&CK knowledge base;
//! - [`mapper`]: text to ATT&CK techniques (ids, names, cue phrases, similarity to
//!   procedure examples);
//! - [`entities`]: actors, campaigns, malware, tools (ATT&CK, MISP galaxies), sectors and
//!   places;
//! - [`analysis`]: the extractive "Analysis Summary" (Markdown with the seed's headings,
//!   JSON) and [`stix`] its STIX 2.1 bundle;
//! - [`text`]: sentences, tokens, HTML/Markdown to text.
//! - [`llm`]: an optional language model for the prose fields, and the check that
//!   drops what the text does not support;
//! - [`emit`]: the report's indicators for the indicator store, and a Sigma rule for its
//!   network indicators.

pub mod analysis;
pub mod attack;
pub mod emit;
pub mod entities;
pub mod iocs;
pub mod llm;
pub mod mapper;
pub mod stix;
pub mod text;

pub use analysis::{Analysis, AnalyzeOptions, Analyzer};
pub use attack::AttackKb;
pub use entities::{EntityHit, EntityKind, Gazetteer};
pub use iocs::{Dropped, ExtractOptions, Extraction, Ioc, IocKind, extract};
pub use mapper::{Mapper, MapperConfig, TechniqueHit};
