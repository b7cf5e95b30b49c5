//! Errors: a rule that cannot be loaded says where (file, line) and why.

use std::fmt;
use std::path::PathBuf;

/// Why a rule (one YAML document) was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Io(String),
    /// The document is not valid YAML.
    #[error("invalid YAML: {0}")]
    Yaml(String),
    /// A mandatory key is missing or has the wrong type.
    #[error("{0}")]
    Structure(String),
    /// A modifier name that Sigma does not define.
    #[error("unknown modifier `{modifier}` on `{key}`")]
    UnknownModifier {
        /// The detection key, e.g. `Image|foo`.
        key: String,
        /// The unknown modifier.
        modifier: String,
    },
    /// Modifiers or values that cannot go together.
    #[error("invalid value for `{key}`: {reason}")]
    InvalidValue {
        /// The detection key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A regular expression neither regex engine accepts.
    #[error("invalid regular expression for `{key}`: {reason}")]
    Regex {
        /// The detection key.
        key: String,
        /// The regex engine's message.
        reason: String,
    },
    /// An `expand` placeholder with no values supplied (the spec requires rejection).
    #[error("unresolved placeholder `%{0}%` (supply its values in CompileOptions::placeholders)")]
    UnresolvedPlaceholder(String),
    /// The condition does not parse or names an unknown search identifier.
    #[error("condition: {0}")]
    Condition(String),
    /// A valid Sigma document of a kind this engine does not evaluate yet.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

/// A rejected document, with where it was.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub struct RuleError {
    /// The file, when the rule came from one.
    pub file: Option<PathBuf>,
    /// The 1-based line, where it could be found.
    pub line: Option<usize>,
    /// The 0-based index of the YAML document in its file.
    pub document: usize,
    /// The reason.
    pub kind: ErrorKind,
}

impl RuleError {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        RuleError {
            file: None,
            line: None,
            document: 0,
            kind,
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(p) => write!(f, "{}", p.display())?,
            None => write!(f, "<rule>")?,
        }
        match self.line {
            Some(l) => write!(f, ":{l}")?,
            None => write!(f, " (document {})", self.document)?,
        }
        write!(f, ": {}", self.kind)
    }
}
