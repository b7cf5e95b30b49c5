//! `rampart token create|list|revoke`: API tokens. A new token is printed once; only its
//! SHA-256 is stored. Tokens expire (90 days by default) and can be revoked at once.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use jiff::{SignedDuration, Timestamp};
use rampart_model::TenantId;
use rampart_store::{Revoked, Role, Store};
use sha2::{Digest, Sha256};

/// The prefix of every Rampart API token (so a leaked one is recognisable in a scan).
pub const TOKEN_PREFIX: &str = "rmp_";

pub struct CreateArgs {
    pub role: Role,
    pub tenant: Option<String>,
    pub name: Option<String>,
    /// `--expires-in`: a duration (90d, 12h, 30m), an RFC 3339 time, or `never`.
    pub expires_in: String,
    pub data_dir: Option<PathBuf>,
    pub store: Option<String>,
}

/// Where the token store is (`token list`, `token revoke`).
pub struct StoreArgs {
    pub data_dir: Option<PathBuf>,
    pub store: Option<String>,
}

/// When a token made at `now` expires: `90d`, `12h`, `30m` from now, an RFC 3339 time
/// (in the future), or `never` (`None`).
pub fn parse_expiry(s: &str, now: Timestamp) -> Result<Option<Timestamp>> {
    if s.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        if t <= now {
            bail!("--expires-in {s:?} is in the past");
        }
        return Ok(Some(t));
    }
    let (n, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = n.parse().ok().filter(|n| *n > 0).with_context(|| {
        format!("--expires-in {s:?}: give a duration (90d, 12h, 30m), an RFC 3339 time or never")
    })?;
    let secs_per = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        _ => bail!("--expires-in {s:?}: the unit must be d, h or m (90d, 12h, 30m)"),
    };
    n.checked_mul(secs_per)
        .and_then(|secs| now.checked_add(SignedDuration::from_secs(secs)).ok())
        .map(Some)
        .with_context(|| format!("--expires-in {s:?} reaches past the latest time Rampart knows"))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
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
    let expires_at = parse_expiry(&args.expires_in, Timestamp::now())?;
    let token = generate()?;
    let made = runtime()?.block_on(async {
        let store = crate::serve::open_store(args.store.as_deref(), args.data_dir).await?;
        let made = store
            .create_token_until(
                &name,
                args.role,
                tenant.as_deref(),
                &hash(&token),
                expires_at,
            )
            .await
            .context("cannot store the token")?;
        store.close().await;
        anyhow::Ok(made)
    })?;
    println!("{token}");
    eprintln!(
        "token {} {name:?} ({}{}) created, {}; it is shown only now",
        made.id,
        args.role.as_str(),
        tenant.map(|t| format!(", tenant {t}")).unwrap_or_default(),
        match expires_at {
            Some(t) => format!("expires {}", t.strftime("%Y-%m-%d %H:%M UTC")),
            None => "never expires".to_owned(),
        }
    );
    Ok(())
}

/// `token list`: every token (never the token itself) with its status, newest first.
pub fn list(args: StoreArgs, json: bool) -> Result<()> {
    let tokens = runtime()?.block_on(async {
        let store = crate::serve::open_store(args.store.as_deref(), args.data_dir).await?;
        let tokens = store.tokens().await.context("cannot read the tokens")?;
        store.close().await;
        anyhow::Ok(tokens)
    })?;
    let now = Timestamp::now();
    if json {
        let rows: Vec<serde_json::Value> = tokens
            .iter()
            .map(|t| {
                let mut v = serde_json::to_value(t).unwrap_or_default();
                v["status"] = t.status(now).into();
                v
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "{:>4}  {:<24} {:<10} {:<20} {:<17} {:<17} STATUS",
        "ID", "NAME", "ROLE", "TENANT", "CREATED", "EXPIRES"
    );
    let day = |t: Timestamp| t.strftime("%Y-%m-%d %H:%M").to_string();
    for t in &tokens {
        println!(
            "{:>4}  {:<24} {:<10} {:<20} {:<17} {:<17} {}",
            t.id,
            t.name,
            t.role.as_str(),
            t.tenant.as_deref().unwrap_or("-"),
            day(t.created_at),
            t.expires_at.map_or_else(|| "never".to_owned(), day),
            t.status(now)
        );
    }
    Ok(())
}

/// `token revoke ID|NAME`: refused from now on. A name must name one live token.
pub fn revoke(args: StoreArgs, which: &str) -> Result<()> {
    runtime()?.block_on(async {
        let store = crate::serve::open_store(args.store.as_deref(), args.data_dir).await?;
        let result = revoke_in(&store, which).await;
        store.close().await;
        result
    })
}

async fn revoke_in(store: &Store, which: &str) -> Result<()> {
    let id = match which.parse::<i64>() {
        Ok(id) => id,
        Err(_) => {
            let now = Timestamp::now();
            let tokens = store.tokens().await.context("cannot read the tokens")?;
            let named: Vec<_> = tokens
                .iter()
                .filter(|t| t.name == which && t.status(now) == "live")
                .collect();
            match named.as_slice() {
                [one] => one.id,
                [] => bail!("no live token is named {which:?} (`rampart token list` shows them)"),
                many => bail!(
                    "{} live tokens are named {which:?} (ids {}): give the id",
                    many.len(),
                    many.iter()
                        .map(|t| t.id.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
    };
    match store
        .revoke_token(id, "cli")
        .await
        .context("cannot revoke the token")?
    {
        Revoked::Now(t) => eprintln!("token {} {:?} revoked", t.id, t.name),
        Revoked::Already(t) => eprintln!("token {} {:?} was already revoked", t.id, t.name),
        Revoked::NotFound => bail!("there is no token {id} (`rampart token list` shows them)"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_a_duration_a_time_or_never() {
        let now: Timestamp = "2026-11-24T10:00:00Z".parse().unwrap();
        let at = |s: &str| parse_expiry(s, now).map(|t| t.map(|t| t.to_string()));
        assert_eq!(at("90d").unwrap().as_deref(), Some("2027-02-22T10:00:00Z"));
        assert_eq!(at("12h").unwrap().as_deref(), Some("2026-11-24T22:00:00Z"));
        assert_eq!(at("30m").unwrap().as_deref(), Some("2026-11-24T10:30:00Z"));
        assert_eq!(at("never").unwrap(), None);
        assert_eq!(
            at("2027-01-01T00:00:00Z").unwrap().as_deref(),
            Some("2027-01-01T00:00:00Z")
        );
        for bad in ["2026-01-01T00:00:00Z", "0d", "-5d", "5w", "soon", ""] {
            assert!(at(bad).is_err(), "{bad}");
        }
        assert!(at("5w").unwrap_err().to_string().contains("unit"));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn revoke_by_id_or_by_a_name_that_is_unique() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.sqlite")).await.unwrap();
        for (name, h) in [("ci", "a1"), ("ci", "a2"), ("collector", "a3")] {
            store
                .create_token(name, Role::MspAdmin, None, &h.repeat(32))
                .await
                .unwrap();
        }
        let err = revoke_in(&store, "ci").await.unwrap_err().to_string();
        assert!(
            err.contains("2 live tokens") && err.contains("ids 2, 1"),
            "{err}"
        );
        let live = async |h: &str| store.token_by_hash(&h.repeat(32)).await.unwrap().is_some();
        revoke_in(&store, "collector").await.unwrap();
        assert!(!live("a3").await);
        // A revoked token is no longer a live one of its name.
        let err = revoke_in(&store, "collector")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("no live token"), "{err}");
        revoke_in(&store, "1").await.unwrap();
        assert!(!live("a1").await);
        assert!(live("a2").await);
        // Once more by id: nothing changes, no error.
        revoke_in(&store, "1").await.unwrap();
        let err = revoke_in(&store, "99").await.unwrap_err().to_string();
        assert!(err.contains("no token 99"), "{err}");
    }

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
