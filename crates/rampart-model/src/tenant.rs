use std::fmt;

use serde::{Deserialize, Serialize};

/// A tenant (an MSP's partner), named by a slug from the configuration:
/// lower-case ASCII letters, digits and `-`, 1 to 63 characters, starting with a letter or digit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TenantIdError {
    #[error("tenant slug is empty")]
    Empty,
    #[error("tenant slug {0:?} is longer than 63 characters")]
    TooLong(String),
    #[error(
        "tenant slug {0:?} may hold only lower-case letters, digits and '-', and must start with a letter or digit"
    )]
    BadCharacter(String),
}

impl TenantId {
    /// Checks and wraps a slug.
    pub fn new(slug: &str) -> Result<Self, TenantIdError> {
        if slug.is_empty() {
            return Err(TenantIdError::Empty);
        }
        if slug.len() > 63 {
            return Err(TenantIdError::TooLong(slug.to_owned()));
        }
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if !slug.chars().all(ok_char) || slug.starts_with('-') {
            return Err(TenantIdError::BadCharacter(slug.to_owned()));
        }
        Ok(TenantId(slug.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TenantId {
    type Error = TenantIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TenantId::new(&s)
    }
}

impl From<TenantId> for String {
    fn from(t: TenantId) -> String {
        t.0
    }
}

impl std::str::FromStr for TenantId {
    type Err = TenantIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TenantId::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_checked() {
        assert!(TenantId::new("acme-dental").is_ok());
        assert!(TenantId::new("delta2").is_ok());
        assert_eq!(TenantId::new(""), Err(TenantIdError::Empty));
        assert!(matches!(
            TenantId::new("Acme"),
            Err(TenantIdError::BadCharacter(_))
        ));
        assert!(matches!(
            TenantId::new("-acme"),
            Err(TenantIdError::BadCharacter(_))
        ));
        assert!(matches!(
            TenantId::new("a b"),
            Err(TenantIdError::BadCharacter(_))
        ));
        assert!(matches!(
            TenantId::new(&"a".repeat(64)),
            Err(TenantIdError::TooLong(_))
        ));
    }
}
