//! Decoders from identity-provider sign-in exports to Rampart's normalized
//! [`SignIn`](rampart_model::SignIn).
//!
//! Formats: Microsoft Entra ID (Graph `signIn` v1.0/beta and the `SignInLogs` diagnostic
//! export), O365 Management Activity `Audit.AzureActiveDirectory` (also inside a Purview
//! audit-search CSV), Okta System Log, Google Workspace Reports `login`, OCSF
//! Authentication (3002), and SonicWall SonicOS syslog (administrator logins only).
//! Containers are detected by content: gzip, JSON array, NDJSON, wrapper pages
//! (`value`, `records`, `items`), single objects, and CSV.
//!
//! Every record becomes exactly one [`Decoded`]: a sign-in, a record of a known format that
//! is not a sign-in ([`Decoded::Skipped`]), or one that cannot be decoded
//! ([`Decoded::Rejected`], with where and why in an analyst's words, and the raw text for a
//! dead-letter file). Input never makes this crate panic; only I/O fails ([`SourceError`]).
//!
//! The crux of every decoder is the [`Outcome`](rampart_model::Outcome): was the password
//! proven right? (see `outcome.rs` for the tables and their sources).
//!
//! Records are read in one pass into typed structs that borrow from the input, not into
//! `serde_json::Value`.
//!
//! Architecture invariant: this crate depends only on `rampart-model` among Rampart's
//! crates. It knows nothing of detection, geolocation lookups, tenants' configuration or
//! output; it never sets `SignIn::tenant` (the caller maps `provider_tenant` or the input
//! path to a tenant). [`ocsf`] is the one place that writes a wire format.

mod container;
mod entra;
mod google;
mod lenient;
mod norm;
mod o365;
pub mod ocsf;
mod okta;
mod outcome;
mod sonicwall;
mod wire;

use std::fmt;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rampart_model::{SignIn, SourceFormat};

/// The user of a SonicWall administrator login whose log line names none.
pub use sonicwall::UNKNOWN_USER as SONICWALL_UNKNOWN_USER;

/// How to decode.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodeOptions {
    /// `None`: detect the format of each record from its keys. `Some`: decode every record
    /// as this format; a record that does not fit is rejected with the reason.
    pub format: Option<SourceFormat>,
}

/// Where a record was found.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecordRef {
    /// The input's name (its path, or the origin given to [`decode_bytes`]).
    pub file: String,
    /// 1-based record number in the file; 0 for a problem with the whole input.
    pub index: usize,
    /// 1-based line where the record starts, where known.
    pub line: Option<usize>,
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if self.index > 0 {
            write!(f, " record {}", self.index)?;
        }
        match self.line {
            Some(line) => write!(f, " (line {line})"),
            None => Ok(()),
        }
    }
}

/// The result of decoding one record.
#[derive(Clone, Debug, PartialEq)]
pub enum Decoded {
    /// A sign-in. `tenant` is left `None`; `provider_tenant` is filled when the record
    /// carries one.
    SignIn(Box<SignIn>),
    /// A record of a known format that is not a sign-in (another Okta event type, another
    /// O365 operation, a service-principal sign-in, a firewall event…).
    Skipped {
        at: RecordRef,
        format: SourceFormat,
        reason: String,
    },
    /// A record (or a whole input, index 0) that cannot be decoded.
    Rejected(Rejection),
}

/// A record that cannot be decoded, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub at: RecordRef,
    /// What was wrong, in words an analyst understands.
    pub reason: String,
    /// The raw record text (at most 64 KiB) for a dead-letter file.
    pub raw: Option<String>,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.reason)
    }
}

/// One JSON record of a known format as it came, handed to a raw-record sink
/// ([`read_file_with_raw`], [`decode_bytes_with_raw`]) before it is decoded: for engines
/// that read records themselves, such as Sigma rules, and see every record of a known
/// format, sign-in or not. SonicWall lines (not JSON) are not handed over.
#[derive(Clone, Debug, PartialEq)]
pub struct RawRecord<'a> {
    pub at: RecordRef,
    pub format: SourceFormat,
    /// The record's JSON text.
    pub text: &'a str,
    /// The provider's id of the record (Graph `id`, Okta `uuid`, O365 `Id`, Google
    /// `id.uniqueQualifier`, OCSF `metadata.uid`), where it has one.
    pub record_id: Option<String>,
    /// When it happened, read as its decoder reads it; `None` when absent or unreadable.
    pub time: Option<Timestamp>,
    /// The account it is about (lower-cased), where the record names one.
    pub user: Option<String>,
    /// The provider's tenant id, where the record carries one.
    pub provider_tenant: Option<String>,
}

/// An input that could not be read. Problems *inside* an input are [`Decoded::Rejected`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    #[error("{}: no such file or directory", path.display())]
    NotFound { path: PathBuf },
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: cannot list directory: {source}", path.display())]
    ListDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The files of an input: a file is itself; a directory is every regular file below it,
/// recursively, sorted, skipping hidden (dot) files and directories.
pub fn list_files(path: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let meta = std::fs::metadata(path).map_err(|source| io_error(path, source))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    walk(path, &mut out)?;
    out.sort();
    Ok(out)
}

fn io_error(path: &Path, source: std::io::Error) -> SourceError {
    if source.kind() == std::io::ErrorKind::NotFound {
        SourceError::NotFound {
            path: path.to_path_buf(),
        }
    } else {
        SourceError::Read {
            path: path.to_path_buf(),
            source,
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), SourceError> {
    let list_err = |source| SourceError::ListDir {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(list_err)? {
        let entry = entry.map_err(list_err)?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type().map_err(list_err)?;
        if kind.is_dir() {
            walk(&path, out)?;
        } else if kind.is_file() {
            out.push(path);
        } else if kind.is_symlink() {
            // Follow links to files; do not follow links to directories (no cycles).
            if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                out.push(path);
            }
        }
    }
    Ok(())
}

/// Reads one file (gzip-compressed or not, whatever its name) and decodes its records
/// into `sink`. Fails only when the file cannot be read; a file whose content cannot be
/// decoded (a broken gzip stream included) is a `Rejected` with index 0.
pub fn read_file(
    path: &Path,
    opts: &DecodeOptions,
    sink: &mut dyn FnMut(Decoded),
) -> Result<(), SourceError> {
    let bytes = std::fs::read(path).map_err(|source| io_error(path, source))?;
    // A broken or oversized gzip stream is bad input, not an I/O failure: it is
    // rejected with its reason and the other files go on.
    decode_bytes(&bytes, &path.display().to_string(), opts, sink);
    Ok(())
}

/// [`read_file`], also handing every JSON record of a known format to `raw` as it came
/// (before its [`Decoded`]).
pub fn read_file_with_raw(
    path: &Path,
    opts: &DecodeOptions,
    sink: &mut dyn FnMut(Decoded),
    raw: &mut dyn FnMut(RawRecord<'_>),
) -> Result<(), SourceError> {
    let bytes = std::fs::read(path).map_err(|source| io_error(path, source))?;
    decode_bytes_with_raw(&bytes, &path.display().to_string(), opts, sink, raw);
    Ok(())
}

/// [`decode_bytes`], also handing every JSON record of a known format to `raw` as it
/// came (before its [`Decoded`]).
pub fn decode_bytes_with_raw(
    bytes: &[u8],
    origin: &str,
    opts: &DecodeOptions,
    sink: &mut dyn FnMut(Decoded),
    raw: &mut dyn FnMut(RawRecord<'_>),
) {
    let mut ctx = container::Ctx::new(origin, opts, sink).with_raw(raw);
    container::decode(bytes, &mut ctx);
}

/// Decodes the records in `bytes` (named `origin` in every [`RecordRef`]) into `sink`.
/// Never fails: a problem with the whole input becomes a rejection with index 0.
pub fn decode_bytes(
    bytes: &[u8],
    origin: &str,
    opts: &DecodeOptions,
    sink: &mut dyn FnMut(Decoded),
) {
    let mut ctx = container::Ctx::new(origin, opts, sink);
    container::decode(bytes, &mut ctx);
}
