//! Report analysis: a threat report (prose) in; its indicators, ATT&CK techniques, actors,
//! malware, targets and an extractive "Analysis Summary" out.
//!
//! - [`iocs`]: indicators of compromise, defanged or not, with their sentence;
//! - [`attack`]: the embedded MITRE ATT&CK knowledge base;
//! - [`mapper`]: text to ATT&CK techniques (ids, names, cue phrases, similarity to
//!   procedure examples);
//! - [`text`]: sentences, tokens, HTML/Markdown to text.

pub mod attack;
pub mod iocs;
pub mod mapper;
pub mod text;

pub use attack::AttackKb;
pub use iocs::{Dropped, ExtractOptions, Extraction, Ioc, IocKind, extract};
pub use mapper::{Mapper, MapperConfig, TechniqueHit};
