//! `rampart token create`: a new API token, printed once; only its SHA-256 is stored.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use rampart_model::TenantId;
use rampart_store::Role;
use sha2::{Digest, Sha256};

/// The prefix of every Rampart API token (so a leaked one is recognisable in a scan).
pub const TOKEN_PREFIX: &str = "rmp_";

pub struct CreateArgs {
    pub role: Role,
    pub tenant: Option<String>,
    pub name: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub store: Option<String>,
}

/// A new random token: the prefix and 256 random bits in hex.
pub fn generate() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness available: {e}"))?;
    Ok(format!("{TOKEN_PREFIX}{}", hex(&bytes)))
}

/// The stored form of a token: lower-case hex SHA-256 of its text.
pub fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

pub fn create(args: CreateArgs) -> Result<()> {
    let tenant = match (args.role, &args.tenant) {
        (Role::Ingest, None) => bail!("an ingest token is bound to one tenant: give --tenant"),
        (Role::MspAdmin, Some(_)) => {
            bail!("an msp-admin token sees every tenant: leave --tenant out")
        }
        (_, Some(t)) => Some(
            TenantId::new(t)
                .map_err(|e| anyhow::anyhow!("--tenant {t:?}: {e}"))?
                .to_string(),
        ),
        (_, None) => None,
    };
    let name = args.name.unwrap_or_else(|| match &tenant {
        Some(t) => format!("{}-{t}", args.role.as_str()),
        None => args.role.as_str().to_owned(),
    });
    let token = generate()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let store = crate::serve::open_store(args.store.as_deref(), args.data_dir).await?;
        store
            .create_token(&name, args.role, tenant.as_deref(), &hash(&token))
            .await
            .context("cannot store the token")?;
        store.close().await;
        anyhow::Ok(())
    })?;
    println!("{token}");
    eprintln!(
        "token {name:?} ({}{}) created; it is shown only now",
        args.role.as_str(),
        tenant.map(|t| format!(", tenant {t}")).unwrap_or_default()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 64);
        // SHA-256 of "abc" (FIPS 180-2 test vector).
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
