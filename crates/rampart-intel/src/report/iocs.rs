//! Indicators of compromise in prose: IPv4, IPv6, domains, URLs, emails, MD5, SHA-1,
//! SHA-256 and CVE ids, defanged or not, refanged and normalized, each with the sentence it
//! came from.
//!
//! One pass refangs the text into a copy that remembers, for every byte, where it came from
//! (`[.]`, `(.)`, `{.}`, `[dot]`, ` DOT `, `\.`, `[:]`, `[://]`, `[/]`, `[@]`, `[at]`,
//! ` AT `, `hxxp`, `hXXp`, `fxp`, …); a second pass finds URLs (at each `://`, with
//! `memchr`) and splits the rest into tokens, each classified by hand-written checks (no
//! regular expressions, so no backtracking). Candidates that look like indicators but are
//! not are kept in [`Extraction::dropped`] with the reason, never dropped silently:
//!
//! - version numbers written like IPv4 addresses (`version 2.4.1.3`, `build 10.0.1.2`);
//! - private, loopback, link-local, documentation and other reserved addresses;
//! - file names whose extension is also a TLD (`update.zip`, `loader.py`, `readme.md`),
//!   names inside paths, code (`document.write(`), capitalized "TLDs" at a sentence break
//!   (`attack.The`), names whose TLD is not in the Public Suffix List (`payload.exe`);
//! - the publisher's own domain and well-known reference sites (ATT&CK, NVD, VirusTotal…);
//! - values on the MISP warninglists the caller loaded.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use crate::model::{Observable, ObservableKind};
use crate::normalize::{normalize_domain, normalize_url, url_host};
use crate::warninglist::Warninglists;

/// The kinds of indicator the report extractor finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IocKind {
    Ipv4,
    Ipv6,
    /// An IPv4 network in CIDR notation (`45.155.205.0/24`).
    Cidr,
    Domain,
    Url,
    Email,
    Md5,
    Sha1,
    Sha256,
    Cve,
}

impl IocKind {
    /// Every kind, in output order.
    pub const ALL: [IocKind; 10] = [
        IocKind::Ipv4,
        IocKind::Ipv6,
        IocKind::Cidr,
        IocKind::Domain,
        IocKind::Url,
        IocKind::Email,
        IocKind::Md5,
        IocKind::Sha1,
        IocKind::Sha256,
        IocKind::Cve,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IocKind::Ipv4 => "ipv4",
            IocKind::Ipv6 => "ipv6",
            IocKind::Cidr => "cidr",
            IocKind::Domain => "domain",
            IocKind::Url => "url",
            IocKind::Email => "email",
            IocKind::Md5 => "md5",
            IocKind::Sha1 => "sha1",
            IocKind::Sha256 => "sha256",
            IocKind::Cve => "cve",
        }
    }

    /// The indicator-store kind, `None` for CVE ids (vulnerabilities, not observables).
    pub fn observable_kind(self) -> Option<ObservableKind> {
        Some(match self {
            IocKind::Ipv4 => ObservableKind::Ipv4,
            IocKind::Ipv6 => ObservableKind::Ipv6,
            IocKind::Cidr => ObservableKind::Cidr,
            IocKind::Domain => ObservableKind::Domain,
            IocKind::Url => ObservableKind::Url,
            IocKind::Email => ObservableKind::Email,
            IocKind::Md5 => ObservableKind::Md5,
            IocKind::Sha1 => ObservableKind::Sha1,
            IocKind::Sha256 => ObservableKind::Sha256,
            IocKind::Cve => return None,
        })
    }
}

/// One indicator found in a text (the first occurrence of its value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ioc {
    pub kind: IocKind,
    /// Refanged and normalized (lower-case hosts and hex, canonical IPs, upper-case CVE ids).
    pub value: String,
    /// As written in the text.
    pub raw: String,
    /// Byte offsets of `raw` in the text.
    pub start: usize,
    pub end: usize,
    /// The sentence (or table row) it came from, as written.
    pub context: String,
    /// Whether it was written defanged.
    pub defanged: bool,
    /// How many times the value occurs.
    pub count: usize,
}

impl Ioc {
    /// The value as an indicator-store observable (`None` for CVE ids).
    pub fn observable(&self) -> Option<Observable> {
        let kind = self.kind.observable_kind()?;
        crate::normalize::parse(kind, &self.value).ok()
    }
}

/// A candidate that looked like an indicator and was left out, with the reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dropped {
    pub kind: IocKind,
    pub value: String,
    pub start: usize,
    pub reason: String,
    /// The MISP warninglist (its directory name, e.g. `public-dns-v4`) that refused the
    /// value, when that is the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warninglist: Option<String>,
}

/// Why a candidate was dropped: the reason, and the warninglist when one refused it.
#[derive(Clone, Debug)]
struct Why {
    reason: String,
    list: Option<String>,
}

impl From<&str> for Why {
    fn from(reason: &str) -> Why {
        Why {
            reason: reason.to_owned(),
            list: None,
        }
    }
}

impl From<&String> for Why {
    fn from(reason: &String) -> Why {
        Why::from(reason.as_str())
    }
}

impl From<&Why> for Why {
    fn from(why: &Why) -> Why {
        why.clone()
    }
}

/// What [`extract`] found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Extraction {
    /// One entry per distinct (kind, value), in order of first occurrence.
    pub iocs: Vec<Ioc>,
    /// One entry per distinct dropped (kind, value).
    pub dropped: Vec<Dropped>,
}

impl Extraction {
    /// The indicators of one kind.
    pub fn of(&self, kind: IocKind) -> impl Iterator<Item = &Ioc> {
        self.iocs.iter().filter(move |i| i.kind == kind)
    }

    /// Whether `value` (normalized) was extracted as `kind`.
    pub fn has(&self, kind: IocKind, value: &str) -> bool {
        self.of(kind).any(|i| i.value == value)
    }
}

/// Options for [`extract`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ExtractOptions<'a> {
    /// Values on these lists are dropped (naming the list).
    pub warninglists: Option<&'a Warninglists>,
    /// The publisher's own domains (and their subdomains): links to them and addresses at
    /// them are not indicators.
    pub publisher_domains: &'a [String],
    /// Keep private and reserved IP addresses (dropped by default).
    pub keep_reserved_ips: bool,
}

/// Hosts of reference links in reports: knowledge bases, vulnerability databases, scanners,
/// social media, code hosting of tools' own projects. Their subdomains count too.
const REFERENCE_HOSTS: &[&str] = &[
    "attack.mitre.org",
    "cve.mitre.org",
    "cwe.mitre.org",
    "mitre.org",
    "nvd.nist.gov",
    "nist.gov",
    "cisa.gov",
    "us-cert.gov",
    "cve.org",
    "first.org",
    "virustotal.com",
    "any.run",
    "hybrid-analysis.com",
    "urlscan.io",
    "shodan.io",
    "censys.io",
    "abuse.ch",
    "malpedia.caad.fkie.fraunhofer.de",
    "twitter.com",
    "x.com",
    "t.co",
    "linkedin.com",
    "facebook.com",
    "youtube.com",
    "wikipedia.org",
    "schema.org",
    "w3.org",
    "ietf.org",
    "rfc-editor.org",
    "iana.org",
    "msrc.microsoft.com",
    "learn.microsoft.com",
    "docs.microsoft.com",
    "support.microsoft.com",
    "techcommunity.microsoft.com",
    "example.com",
    "example.org",
    "example.net",
];

/// File extensions that are also TLDs: a bare `name.ext` with one of these is a file name
/// unless it was written defanged, starts with `www.` or has three or more labels with a
/// non-file-like middle.
const FILE_EXT_TLDS: &[&str] = &[
    "zip", "mov", "py", "sh", "md", "rs", "pl", "cc", "so", "ps", "one", "pub", "cat", "ai", "ws",
    "run", "app", "dev", "com", "bat", "docs", "data", "mp", "sb", "pm", "tv", "js", "exe", "bin",
    "inf", "ini", "sys", "lnk", "hta", "jar", "doc", "xls", "cab", "dat", "log", "txt", "json",
    "xml", "csv", "ps1", "vbs", "dll", "tmp", "img", "iso", "msi", "scr", "cpl", "gz", "rar",
    "tar", "7z", "apk", "ipa", "deb", "rpm", "php", "asp", "aspx", "jsp", "html", "htm", "css",
    "png", "jpg", "gif", "pdf", "rtf", "lua", "go", "java", "class", "swift", "kt", "rb", "dmg",
    "pkg", "vb", "cs", "ts", "yml", "yaml", "toml", "conf", "cfg", "db", "sqlite", "bak", "old",
    "new", "id", "name", "link", "download", "top", "open", "to", "im", "in", "it", "me", "my",
    "is", "at", "be", "do", "no", "so", "us", "as", "by", "eu",
];

/// Extensions whose TLD is common in real indicators; for these the file-name rule applies
/// only when the text around reads like a file (a path, a file verb).
const WEAK_EXT_TLDS: &[&str] = &[
    "top", "link", "download", "to", "im", "in", "it", "me", "my", "is", "at", "be", "do", "no",
    "us", "as", "by", "eu", "tv", "id", "name", "open", "dev", "app", "one", "run", "ws", "ai",
    "cc", "so", "pub", "cat", "mp", "sb", "pm", "go", "new", "data", "docs", "com",
];

/// Identifiers that are objects in code, not host names (`document.write`).
const CODE_NAMES: &[&str] = &[
    "document", "window", "console", "system", "this", "self", "object", "math", "json", "string",
    "array", "process", "os", "sys", "wscript", "shell", "request", "response", "req", "res",
    "args", "kwargs", "config", "settings", "params", "ctx", "app", "obj", "item", "data",
    "result", "err", "error", "event", "e", "x", "i", "j", "k", "s", "n",
];

/// Words before a dotted-quad that make it a version, not an address.
const VERSION_WORDS: &[&str] = &[
    "version", "versions", "ver", "v", "build", "builds", "release", "firmware", "patch", "update",
    "rev", "revision", "oid", "kb", "sdk", "agent", "client", "server", "windows", "chrome",
    "edge", "firefox", "os", "ios", "android", "macos", "linux", "kernel",
];

/// Extracts the indicators from `text`.
pub fn extract(text: &str, opts: &ExtractOptions<'_>) -> Extraction {
    let fanged = Fanged::new(text);
    let mut out = Collector {
        text,
        fanged: &fanged,
        opts,
        seen: HashMap::new(),
        dropped_seen: HashMap::new(),
        result: Extraction::default(),
    };
    let f = fanged.text.as_bytes();
    // URLs first; their spans are not looked at again.
    let mut url_spans: Vec<(usize, usize)> = Vec::new();
    for pos in memchr::memmem::find_iter(f, b"://") {
        if url_spans.last().is_some_and(|&(_, e)| pos < e) {
            continue;
        }
        if let Some((s, e)) = out.url_at(pos) {
            url_spans.push((s, e));
        }
    }
    // Tokens outside URLs.
    let mut i = 0;
    let mut next_url = 0;
    while i < f.len() {
        if next_url < url_spans.len() && i >= url_spans[next_url].0 {
            i = i.max(url_spans[next_url].1);
            next_url += 1;
            continue;
        }
        if !is_token_byte(f[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let limit = url_spans.get(next_url).map_or(f.len(), |&(s, _)| s);
        while i < limit && is_token_byte(f[i]) {
            i += 1;
        }
        out.token(start, i);
    }
    out.result
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'@' | b':' | b'%' | b'+')
}

/// The text with defanging undone, and for every byte of it the offset of the byte it came
/// from in the original.
struct Fanged {
    text: String,
    map: Vec<usize>,
}

impl Fanged {
    fn new(orig: &str) -> Fanged {
        let b = orig.as_bytes();
        let mut text = String::with_capacity(orig.len());
        let mut map = Vec::with_capacity(orig.len() + 1);
        let mut i = 0;
        let push = |text: &mut String, map: &mut Vec<usize>, s: &str, at: usize| {
            text.push_str(s);
            map.extend(std::iter::repeat_n(at, s.len()));
        };
        'outer: while i < b.len() {
            let c = b[i];
            match c {
                b'[' | b'(' | b'{' => {
                    for (from, to) in crate::normalize::DEFANGED {
                        let end = i + from.len();
                        if end <= b.len() && b[i..end].eq_ignore_ascii_case(from.as_bytes()) {
                            push(&mut text, &mut map, to, i);
                            i = end;
                            continue 'outer;
                        }
                    }
                }
                b'\\'
                    if i > 0
                        && b[i - 1].is_ascii_alphanumeric()
                        && b.get(i + 1) == Some(&b'.')
                        && b.get(i + 2).is_some_and(u8::is_ascii_alphanumeric) =>
                {
                    push(&mut text, &mut map, ".", i);
                    i += 2;
                    continue;
                }
                b'h' | b'H' | b'f' | b'F' => {
                    if (i == 0 || !b[i - 1].is_ascii_alphanumeric())
                        && let Some((len, to)) = defanged_scheme(&b[i..])
                    {
                        push(&mut text, &mut map, to, i);
                        i += len;
                        continue;
                    }
                }
                b' ' => {
                    // ` DOT ` and ` AT ` between alphanumerics, upper case only: in lower
                    // case they are ordinary English.
                    for (from, to) in [(" DOT ", "."), (" AT ", "@")] {
                        let end = i + from.len();
                        if end < b.len()
                            && &b[i..end] == from.as_bytes()
                            && i > 0
                            && b[i - 1].is_ascii_alphanumeric()
                            && b[end].is_ascii_alphanumeric()
                            && (to == "." || spaced_dot_follows(&b[end..]))
                        {
                            push(&mut text, &mut map, to, i);
                            i = end;
                            continue 'outer;
                        }
                    }
                }
                _ => {}
            }
            // Copy up to the next byte that may start a form.
            let next = b[i + 1..]
                .iter()
                .position(|&c| {
                    matches!(
                        c,
                        b'[' | b'(' | b'{' | b'\\' | b'h' | b'H' | b'f' | b'F' | b' '
                    )
                })
                .map_or(b.len(), |p| i + 1 + p);
            // `next` is on an ASCII byte (or the end), so a char boundary.
            text.push_str(&orig[i..next]);
            map.extend(i..next);
            i = next;
        }
        map.push(b.len());
        Fanged { text, map }
    }

    /// The original byte range of the fanged range `[s, e)`.
    fn orig_range(&self, s: usize, e: usize) -> (usize, usize) {
        let os = self.map[s];
        // The end is one past the original byte of the last fanged byte, widened to the end
        // of a defang form (`[.]` maps all three bytes to one).
        let oe = if e == 0 { 0 } else { self.map[e] };
        (os, oe.max(os))
    }
}

/// `hxxp`, `hxxps`, `hXXp`, `h__p`, `hxtp`, `fxp`, `fxps` at the start of `b` when a
/// scheme separator (`://`, `[:]//`, `[://]`) follows: the length to replace and the scheme.
fn defanged_scheme(b: &[u8]) -> Option<(usize, &'static str)> {
    const SCHEMES: &[(&str, &str)] = &[
        ("hxxps", "https"),
        ("hxxp", "http"),
        ("h__ps", "https"),
        ("h__p", "http"),
        ("hxtps", "https"),
        ("hxtp", "http"),
        ("fxps", "ftps"),
        ("fxp", "ftp"),
    ];
    for (from, to) in SCHEMES {
        let n = from.len();
        if b.len() > n && b[..n].eq_ignore_ascii_case(from.as_bytes()) {
            let rest = &b[n..];
            if rest.starts_with(b"://") || rest.starts_with(b"[:]//") || rest.starts_with(b"[://]")
            {
                return Some((n, to));
            }
        }
    }
    None
}

/// After ` AT `: the right side must be a name with a ` DOT ` or a bracketed dot.
fn spaced_dot_follows(b: &[u8]) -> bool {
    let end = b
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'-'))
        .unwrap_or(b.len());
    let rest = &b[end..];
    rest.starts_with(b" DOT ") || rest.starts_with(b"[.]") || rest.starts_with(b"(.)")
}

struct Collector<'a> {
    text: &'a str,
    fanged: &'a Fanged,
    opts: &'a ExtractOptions<'a>,
    seen: HashMap<(IocKind, String), usize>,
    dropped_seen: HashMap<(IocKind, String), ()>,
    result: Extraction,
}

impl Collector<'_> {
    fn f(&self) -> &[u8] {
        self.fanged.text.as_bytes()
    }

    /// A URL around the `://` at `pos`: its fanged span when one was taken or dropped.
    fn url_at(&mut self, pos: usize) -> Option<(usize, usize)> {
        let f = self.f();
        let mut s = pos;
        while s > 0 && f[s - 1].is_ascii_alphabetic() {
            s -= 1;
        }
        let scheme = self.fanged.text[s..pos].to_ascii_lowercase();
        if !matches!(
            scheme.as_str(),
            "http" | "https" | "ftp" | "ftps" | "sftp" | "tcp" | "udp" | "ws" | "wss"
        ) {
            return None;
        }
        let mut e = pos + 3;
        while e < f.len() && is_url_byte(f[e]) {
            e += 1;
        }
        // Trailing punctuation and unbalanced closing brackets belong to the prose.
        while let Some(&last) = f[..e].last() {
            let drop = match last {
                b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\'' | b'"' | b'*' => true,
                b')' => count(&f[s..e], b'(') < count(&f[s..e], b')'),
                b']' => count(&f[s..e], b'[') < count(&f[s..e], b']'),
                b'}' => count(&f[s..e], b'{') < count(&f[s..e], b'}'),
                _ => false,
            };
            if drop && e > pos + 3 {
                e -= 1;
            } else {
                break;
            }
        }
        if e <= pos + 3 {
            return None;
        }
        let candidate = &self.fanged.text[s..e];
        let Ok(url) = normalize_url(candidate) else {
            return None;
        };
        let host = url_host(&url).unwrap_or("").to_owned();
        let start = s;
        if host.parse::<IpAddr>().is_err() {
            if !known_tld(&host) {
                self.drop(
                    IocKind::Url,
                    &url,
                    start,
                    "its host's TLD is not in the Public Suffix List",
                );
                return Some((s, e));
            }
            if let Some(why) = self.excluded_host(&host) {
                self.drop(IocKind::Url, &url, start, &why);
                return Some((s, e));
            }
        } else if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>()
            && let Some(why) = reserved_ip(ip)
            && !self.opts.keep_reserved_ips
        {
            self.drop(IocKind::Url, &url, start, why);
            return Some((s, e));
        }
        self.emit(IocKind::Url, url, s, e);
        Some((s, e))
    }

    fn token(&mut self, s: usize, e: usize) {
        let f = self.f();
        let (mut s, mut e) = (s, e);
        while s < e && matches!(f[s], b'.' | b'-' | b'_' | b'@' | b':' | b'%' | b'+') {
            s += 1;
        }
        while e > s && matches!(f[e - 1], b'.' | b'-' | b'_' | b'@' | b':' | b'%' | b'+') {
            e -= 1;
        }
        if e - s < 4 {
            return;
        }
        let ft = &self.fanged.text;
        let glued = ft[..s]
            .chars()
            .next_back()
            .is_some_and(|c| !c.is_ascii() && c.is_alphanumeric())
            || ft[e..]
                .chars()
                .next()
                .is_some_and(|c| !c.is_ascii() && c.is_alphanumeric());
        if glued {
            return;
        }
        let tok = &self.fanged.text[s..e];
        let tb = tok.as_bytes();
        if tb.len() >= 13 && tb[..4].eq_ignore_ascii_case(b"cve-") {
            self.cve(tok, s, e);
            return;
        }
        if tok.contains('@') {
            self.email(tok, s, e);
            return;
        }
        if matches!(tb.len(), 32 | 40 | 64) && tb.iter().all(u8::is_ascii_hexdigit) {
            self.hash(tok, s, e);
            return;
        }
        if tok.bytes().filter(|&b| b == b':').count() >= 2 {
            self.ipv6(tok, s, e);
            return;
        }
        let head = tok.split(':').next().unwrap_or(tok);
        if head.contains('.') && head.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            self.ipv4(head, s, s + head.len());
            return;
        }
        if tok.contains('.') && !tok.contains('%') {
            self.domain(head, s, s + head.len());
        }
        // Hashes glued into longer tokens (`sample_<md5>.bin`).
        if tb.len() > 32 {
            self.hashes_inside(s, e);
        }
    }

    fn cve(&mut self, tok: &str, s: usize, _e: usize) {
        let b = tok.as_bytes();
        let year = &b[4..8];
        if !year.iter().all(u8::is_ascii_digit) || b[8] != b'-' {
            return;
        }
        let digits = b[9..].iter().take_while(|c| c.is_ascii_digit()).count();
        if !(4..=7).contains(&digits) {
            return;
        }
        let end = 9 + digits;
        if b.get(end).is_some_and(u8::is_ascii_alphanumeric) {
            return;
        }
        let value = tok[..end].to_ascii_uppercase();
        self.emit(IocKind::Cve, value, s, s + end);
    }

    fn hash(&mut self, tok: &str, s: usize, e: usize) {
        let kind = match tok.len() {
            32 => IocKind::Md5,
            40 => IocKind::Sha1,
            _ => IocKind::Sha256,
        };
        let value = tok.to_ascii_lowercase();
        let first = value.as_bytes()[0];
        if value.bytes().all(|b| b == first) {
            self.drop(kind, &value, s, "a run of one digit, not a hash");
            return;
        }
        // A hex string of letters only, or digits only, is a word or a number.
        if value.bytes().all(|b| b.is_ascii_digit()) {
            self.drop(kind, &value, s, "all digits, a number rather than a hash");
            return;
        }
        if let Some(why) = self.warninglisted(kind, &value) {
            self.drop(kind, &value, s, &why);
            return;
        }
        self.emit(kind, value, s, e);
    }

    fn hashes_inside(&mut self, s: usize, e: usize) {
        let f = self.f();
        let mut i = s;
        let mut found = Vec::new();
        while i < e {
            if !f[i].is_ascii_hexdigit() {
                i += 1;
                continue;
            }
            let run_start = i;
            while i < e && f[i].is_ascii_hexdigit() {
                i += 1;
            }
            let len = i - run_start;
            let bounded = (run_start == s || !f[run_start - 1].is_ascii_alphanumeric())
                && (i == e || !f[i].is_ascii_alphanumeric());
            if bounded && matches!(len, 32 | 40 | 64) && (run_start, i) != (s, e) {
                found.push((run_start, i));
            }
        }
        for (a, b) in found {
            let tok = self.fanged.text[a..b].to_owned();
            self.hash(&tok, a, b);
        }
    }

    fn ipv4(&mut self, tok: &str, s: usize, e: usize) {
        let parts: Vec<&str> = tok.split('.').collect();
        if parts.len() != 4
            || parts
                .iter()
                .any(|p| p.is_empty() || p.len() > 3 || p.parse::<u16>().map_or(true, |n| n > 255))
        {
            return;
        }
        // Leading zeros (`01.02.03.04`) read as dates or versions.
        if parts.iter().any(|p| p.len() > 1 && p.starts_with('0')) {
            self.drop(
                IocKind::Ipv4,
                tok,
                s,
                "leading zeros: a date or version, not an address",
            );
            return;
        }
        let Ok(ip) = tok.parse::<Ipv4Addr>() else {
            return;
        };
        let value = ip.to_string();
        let f = self.f();
        if f.get(e) == Some(&b'/') && f.get(e + 1).is_some_and(u8::is_ascii_digit) {
            self.cidr(ip, s, e);
            return;
        }
        if !self.was_defanged(s, e)
            && let Some(word) = self.version_word_before(s)
        {
            self.drop(
                IocKind::Ipv4,
                &value,
                s,
                &format!("a version number (after \"{word}\")"),
            );
            return;
        }
        if !self.opts.keep_reserved_ips
            && let Some(why) = reserved_ip(IpAddr::V4(ip))
        {
            self.drop(IocKind::Ipv4, &value, s, why);
            return;
        }
        if let Some(why) = self.warninglisted(IocKind::Ipv4, &value) {
            self.drop(IocKind::Ipv4, &value, s, &why);
            return;
        }
        self.emit(IocKind::Ipv4, value, s, e);
    }

    /// `ip` followed by `/len` at `e`: a network, kept when public and no wider than a /8.
    fn cidr(&mut self, ip: Ipv4Addr, s: usize, e: usize) {
        let f = self.f();
        let digits = f[e + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        let end = e + 1 + digits;
        // `1.2.3.0/24.5`, `10.0.0.0/8abc`: part of a longer token.
        let glued = f.get(end).is_some_and(|b| {
            b.is_ascii_alphanumeric()
                || (*b == b'.' && f.get(end + 1).is_some_and(u8::is_ascii_digit))
        });
        let len = std::str::from_utf8(&f[e + 1..end])
            .ok()
            .and_then(|d| d.parse::<u8>().ok());
        if glued {
            return;
        }
        let Some(net) = len.and_then(|l| ipnet::Ipv4Net::new(ip, l).ok()) else {
            let text = self.fanged.text[s..end].to_owned();
            self.drop(IocKind::Cidr, &text, s, "not a valid prefix length");
            return;
        };
        let net = net.trunc();
        let value = net.to_string();
        if net.prefix_len() < 8 {
            self.drop(
                IocKind::Cidr,
                &value,
                s,
                "a network wider than a /8, too broad to be an indicator",
            );
            return;
        }
        if !self.opts.keep_reserved_ips
            && let Some(why) = reserved_ip(IpAddr::V4(net.network()))
                .or_else(|| reserved_ip(IpAddr::V4(net.broadcast())))
        {
            self.drop(IocKind::Cidr, &value, s, why);
            return;
        }
        if let Some(why) = self.warninglisted(IocKind::Cidr, &value) {
            self.drop(IocKind::Cidr, &value, s, &why);
            return;
        }
        self.emit(IocKind::Cidr, value, s, end);
    }

    fn ipv6(&mut self, tok: &str, s: usize, e: usize) {
        let tok = tok.split('%').next().unwrap_or(tok);
        let Ok(ip) = tok.parse::<Ipv6Addr>() else {
            return;
        };
        // `::` alone, or a hex-looking word pair (`dead::beef`) with hardly any digits,
        // is code rather than an address; require at least three groups.
        if tok.split(':').filter(|g| !g.is_empty()).count() < 3 {
            return;
        }
        let value = ip.to_string();
        if !self.opts.keep_reserved_ips
            && let Some(why) = reserved_ip(IpAddr::V6(ip))
        {
            self.drop(IocKind::Ipv6, &value, s, why);
            return;
        }
        if let Some(why) = self.warninglisted(IocKind::Ipv6, &value) {
            self.drop(IocKind::Ipv6, &value, s, &why);
            return;
        }
        self.emit(IocKind::Ipv6, value, s, s + tok.len().min(e - s));
    }

    fn email(&mut self, tok: &str, s: usize, e: usize) {
        let Some((local, domain)) = tok.rsplit_once('@') else {
            return;
        };
        if local.is_empty()
            || local.contains('@')
            || local.starts_with('.')
            || local.ends_with('.')
            || !local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-'))
        {
            return;
        }
        let domain = domain.split(':').next().unwrap_or(domain);
        let Ok(d) = normalize_domain(domain) else {
            return;
        };
        let value = format!("{}@{d}", local.to_ascii_lowercase());
        if !known_tld(&d) {
            self.drop(
                IocKind::Email,
                &value,
                s,
                "its domain's TLD is not in the Public Suffix List",
            );
            return;
        }
        if self.is_publisher(&d) {
            self.drop(
                IocKind::Email,
                &value,
                s,
                "an address at the publisher's own domain",
            );
            return;
        }
        if let Some(why) = self.warninglisted(IocKind::Email, &value) {
            self.drop(IocKind::Email, &value, s, &why);
            return;
        }
        self.emit(IocKind::Email, value, s, e);
    }

    fn domain(&mut self, tok: &str, s: usize, e: usize) {
        let Ok(d) = normalize_domain(tok) else {
            return;
        };
        if d.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return;
        }
        let tld = d.rsplit('.').next().unwrap_or("");
        if !known_tld(&d) {
            // Only worth reporting when it was written as a host (defanged).
            if self.was_defanged(s, e) {
                self.drop(
                    IocKind::Domain,
                    &d,
                    s,
                    "its TLD is not in the Public Suffix List",
                );
            }
            return;
        }
        let defanged = self.was_defanged(s, e);
        let raw_tld = tok.rsplit('.').next().unwrap_or("");
        if !defanged {
            // `attack.The`, `System.Management`: a capitalized TLD is a sentence break or
            // a namespace; `ASP.NET`: an all-capitals two-label name is a product.
            let caps = raw_tld.bytes().filter(u8::is_ascii_uppercase).count();
            if raw_tld
                .as_bytes()
                .first()
                .is_some_and(u8::is_ascii_uppercase)
                && caps < raw_tld.len()
            {
                self.drop(
                    IocKind::Domain,
                    &d,
                    s,
                    "a capitalized TLD: a sentence break or a namespace",
                );
                return;
            }
            if caps == raw_tld.len() && d.matches('.').count() == 1 {
                self.drop(
                    IocKind::Domain,
                    &d,
                    s,
                    "an upper-case TLD on a two-label name: a product or code name",
                );
                return;
            }
            let f = self.f();
            let before = s.checked_sub(1).map(|i| f[i]);
            let after = f.get(e).copied();
            if matches!(before, Some(b'\\' | b'/' | b'$' | b'%')) {
                self.drop(IocKind::Domain, &d, s, "part of a file path");
                return;
            }
            if matches!(after, Some(b'(' | b'=' | b'[' | b'\\')) {
                self.drop(IocKind::Domain, &d, s, "code, not a host name");
                return;
            }
            let first = d.split('.').next().unwrap_or("");
            if d.matches('.').count() == 1 && CODE_NAMES.contains(&first) {
                self.drop(IocKind::Domain, &d, s, "code, not a host name");
                return;
            }
            let labels: Vec<&str> = d.split('.').collect();
            let hostlike = labels.len() >= 3
                && !FILE_EXT_TLDS.contains(&labels[labels.len() - 2])
                && !labels[labels.len() - 2].bytes().all(|b| b.is_ascii_digit());
            if FILE_EXT_TLDS.contains(&tld) && !d.starts_with("www.") && !hostlike {
                let weak = WEAK_EXT_TLDS.contains(&tld);
                if !weak || self.file_context(s, e) {
                    self.drop(
                        IocKind::Domain,
                        &d,
                        s,
                        &format!("a file name (.{tld} is a file extension)"),
                    );
                    return;
                }
            }
        }
        const AV_LABELS: &[&str] = &[
            "win32",
            "win64",
            "w32",
            "w64",
            "msil",
            "behaveslike",
            "hacktool",
            "riskware",
            "trojan",
            "heur",
            "generic",
            "backdoor",
            "downloader",
            "trojandownloader",
            "pua",
        ];
        if d.split('.').any(|l| AV_LABELS.contains(&l)) {
            self.drop(IocKind::Domain, &d, s, "an antivirus detection name");
            return;
        }
        let labels: Vec<&str> = d.split('.').collect();
        if labels.len() >= 2 && labels[labels.len() - 2].contains('_') {
            self.drop(
                IocKind::Domain,
                &d,
                s,
                "an underscore in the registered name: a file or identifier",
            );
            return;
        }
        if let Some(why) = self.excluded_host(&d) {
            self.drop(IocKind::Domain, &d, s, &why);
            return;
        }
        self.emit(IocKind::Domain, d, s, e);
    }

    /// Whether the words next to it read like a file: a file verb or noun among the three
    /// words before or the one after.
    fn file_context(&self, s: usize, e: usize) -> bool {
        const WORDS: &[&str] = &[
            "file",
            "files",
            "filename",
            "dropped",
            "drops",
            "drop",
            "executed",
            "executes",
            "execute",
            "runs",
            "run",
            "ran",
            "script",
            "named",
            "called",
            "archive",
            "attachment",
            "document",
            "payload",
            "binary",
            "loader",
            "module",
            "saved",
            "writes",
            "wrote",
            "extracts",
            "extracted",
            "opens",
            "opened",
            "launches",
            "launched",
            "loads",
            "loaded",
            "contains",
            "containing",
            "renamed",
            "copied",
            "copies",
            "creates",
            "created",
            "downloaded",
            "executable",
            "dll",
            "library",
            "macro",
            "zip",
            "attached",
        ];
        let (os, oe) = self.fanged.orig_range(s, e);
        let lo = floor_char(self.text, os.saturating_sub(80));
        let hi = ceil_char(self.text, (oe + 60).min(self.text.len()));
        let is_sep = |c: char| !(c.is_alphanumeric() || c == '-');
        let before = self.text[lo..os].to_ascii_lowercase();
        let after = self.text[oe..hi].to_ascii_lowercase();
        before
            .split(is_sep)
            .filter(|w| !w.is_empty())
            .rev()
            .take(3)
            .chain(after.split(is_sep).filter(|w| !w.is_empty()).take(1))
            .any(|w| WORDS.contains(&w))
    }

    fn version_word_before(&self, s: usize) -> Option<String> {
        let (os, _) = self.fanged.orig_range(s, s + 1);
        let before = &self.text[..os];
        let words: Vec<&str> = before
            .rsplit(|c: char| c.is_whitespace() || matches!(c, ':' | '(' | ',' | '"' | '\''))
            .filter(|w| !w.is_empty())
            .take(3)
            .collect();
        let lower = |w: &str| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_ascii_lowercase()
        };
        let w0 = words.first().map(|w| lower(w))?;
        if VERSION_WORDS.contains(&w0.as_str()) {
            return Some(w0);
        }
        if matches!(w0.as_str(), "and" | "or" | "to" | "through" | "from")
            && let Some(w) = words.get(1)
        {
            // `versions 1.2.3.4 and 1.2.3.9`: the word before the other number.
            let w1 = lower(w);
            if w1.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && w1.contains('.')
                && let Some(w2) = words.get(2)
            {
                let w2 = lower(w2);
                if VERSION_WORDS.contains(&w2.as_str()) {
                    return Some(w2);
                }
            }
        }
        None
    }

    fn was_defanged(&self, s: usize, e: usize) -> bool {
        let (os, oe) = self.fanged.orig_range(s, e);
        oe - os != e - s
    }

    fn is_publisher(&self, host: &str) -> bool {
        self.opts
            .publisher_domains
            .iter()
            .any(|p| host == p || host.ends_with(&format!(".{p}")))
    }

    fn excluded_host(&self, host: &str) -> Option<Why> {
        if self.is_publisher(host) {
            return Some("the publisher's own site".into());
        }
        if REFERENCE_HOSTS
            .iter()
            .any(|r| host == *r || host.ends_with(&format!(".{r}")))
        {
            return Some("a reference site, not an indicator".into());
        }
        self.warninglisted(IocKind::Domain, host)
    }

    fn warninglisted(&self, kind: IocKind, value: &str) -> Option<Why> {
        let lists = self.opts.warninglists?;
        let obs = crate::normalize::parse(kind.observable_kind()?, value).ok()?;
        lists.check(&obs).map(|h| Why {
            reason: format!("on the MISP warninglist {} ({})", h.name, h.description),
            list: Some(h.name.to_owned()),
        })
    }

    fn drop(&mut self, kind: IocKind, value: &str, s: usize, why: impl Into<Why>) {
        let why = why.into();
        if self
            .dropped_seen
            .insert((kind, value.to_owned()), ())
            .is_some()
        {
            return;
        }
        let (os, _) = self.fanged.orig_range(s, s + 1);
        self.result.dropped.push(Dropped {
            kind,
            value: value.to_owned(),
            start: os,
            reason: why.reason,
            warninglist: why.list,
        });
    }

    fn emit(&mut self, kind: IocKind, value: String, s: usize, e: usize) {
        if let Some(&i) = self.seen.get(&(kind, value.clone())) {
            self.result.iocs[i].count += 1;
            return;
        }
        let (os, oe) = self.fanged.orig_range(s, e);
        // Widen the end over a trailing defang form (`1.2.3[.]4` ends after `4` anyway).
        let raw = self.text[os..oe].to_owned();
        let defanged = raw.len() != e - s || raw != self.fanged.text[s..e];
        self.seen
            .insert((kind, value.clone()), self.result.iocs.len());
        self.result.iocs.push(Ioc {
            kind,
            value,
            raw,
            start: os,
            end: oe,
            context: sentence_around(self.text, os, oe).to_owned(),
            defanged,
            count: 1,
        });
    }
}

fn is_url_byte(b: u8) -> bool {
    b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'<' | b'>' | b'`' | b'|' | b'\\' | b'^')
}

fn count(b: &[u8], c: u8) -> usize {
    b.iter().filter(|&&x| x == c).count()
}

/// Whether the last label of `host` is a TLD in the Public Suffix List.
pub fn known_tld(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    let Some(tld) = host.rsplit('.').next() else {
        return false;
    };
    if tld.is_empty() || !tld.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return false;
    }
    let lower = tld.to_ascii_lowercase();
    psl::suffix(lower.as_bytes()).is_some_and(|s| s.is_known())
}

/// Why an address is not routable on the internet, if it is not.
pub fn reserved_ip(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            Some(if v4.is_private() {
                "a private (RFC 1918) address"
            } else if v4.is_loopback() {
                "a loopback address"
            } else if v4.is_link_local() {
                "a link-local address"
            } else if v4.is_unspecified() || o[0] == 0 {
                "in 0.0.0.0/8 (this network)"
            } else if v4.is_broadcast() {
                "the broadcast address"
            } else if v4.is_multicast() {
                "a multicast address"
            } else if v4.is_documentation() {
                "a documentation address (TEST-NET)"
            } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
                "shared address space (RFC 6598)"
            } else if o[0] == 198 && (o[1] & 0xfe) == 18 {
                "a benchmarking address (RFC 2544)"
            } else if o[0] >= 240 {
                "a reserved address (240.0.0.0/4)"
            } else if o[0] == 192 && o[1] == 0 && o[2] == 0 {
                "IETF protocol assignments (192.0.0.0/24)"
            } else {
                return None;
            })
        }
        IpAddr::V6(v6) => {
            let seg = v6.segments();
            Some(if v6.is_loopback() {
                "a loopback address"
            } else if v6.is_unspecified() {
                "the unspecified address"
            } else if v6.is_multicast() {
                "a multicast address"
            } else if (seg[0] & 0xffc0) == 0xfe80 {
                "a link-local address"
            } else if (seg[0] & 0xfe00) == 0xfc00 {
                "a unique local address"
            } else if seg[0] == 0x2001 && seg[1] == 0x0db8 {
                "a documentation address (2001:db8::/32)"
            } else if let Some(v4) = v6.to_ipv4_mapped() {
                return reserved_ip(IpAddr::V4(v4));
            } else {
                return None;
            })
        }
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The sentence (or line) holding `[start, end)`: from the previous sentence end or line
/// break to the next, at most about 300 bytes on each side.
pub fn sentence_around(text: &str, start: usize, end: usize) -> &str {
    const MAX: usize = 300;
    let b = text.as_bytes();
    let mut s = start;
    while s > 0 {
        let c = b[s - 1];
        if c == b'\n' || c == b'\r' {
            break;
        }
        if matches!(c, b' ' | b'\t')
            && s >= 2
            && matches!(b[s - 2], b'.' | b'!' | b'?')
            && b.get(s)
                .is_some_and(|n| n.is_ascii_uppercase() || n.is_ascii_digit() || *n == b'"')
        {
            break;
        }
        if start - s >= MAX && matches!(c, b' ') {
            break;
        }
        s -= 1;
    }
    let mut e = end;
    while e < b.len() {
        let c = b[e];
        if c == b'\n' || c == b'\r' {
            break;
        }
        if matches!(c, b'.' | b'!' | b'?') && b.get(e + 1).is_none_or(|n| n.is_ascii_whitespace()) {
            e += 1;
            break;
        }
        if e - end >= MAX && c == b' ' {
            break;
        }
        e += 1;
    }
    let s = ceil_char(text, s.min(start));
    let e = floor_char(text, e.max(end).min(text.len()));
    text[s..e].trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(text: &str) -> Extraction {
        extract(text, &ExtractOptions::default())
    }

    fn values(x: &Extraction, kind: IocKind) -> Vec<String> {
        x.of(kind).map(|i| i.value.clone()).collect()
    }

    #[test]
    fn defanged_forms_are_refanged() {
        let text = "The loader beaconed to 45.77.12[.]34 and 185(.)220(.)101{.}7, then fetched \
                    hxxps[:]//update-check[.]top/gate.php?id=7. Mail came from \
                    billing[@]secure-docs[dot]xyz and ops AT evil-c2 DOT net. Another C2 was \
                    login-microsoft{.}online and cdn.bad-host[.]ru.";
        let x = ex(text);
        assert_eq!(values(&x, IocKind::Ipv4), ["45.77.12.34", "185.220.101.7"]);
        assert_eq!(
            values(&x, IocKind::Url),
            ["https://update-check.top/gate.php?id=7"]
        );
        assert_eq!(
            values(&x, IocKind::Email),
            ["billing@secure-docs.xyz", "ops@evil-c2.net"]
        );
        assert_eq!(
            values(&x, IocKind::Domain),
            ["login-microsoft.online", "cdn.bad-host.ru"]
        );
        let ip = x.of(IocKind::Ipv4).next().unwrap();
        assert_eq!(ip.raw, "45.77.12[.]34");
        assert!(ip.defanged);
        assert!(ip.context.starts_with("The loader beaconed to"));
        assert!(ip.context.ends_with("id=7."), "{}", ip.context);
    }

    #[test]
    fn more_defang_forms() {
        let text = "C2: hxxp://198.51.100[.]1 is doc; real: hxxp://91.215.85[.]17:8080/a \
                    and fxp://files[.]evil-drop[.]com/x and http[:]//cdn-upd[.]info/p \
                    and hXXps[://]portal-sso[.]live/login and www[dot]malicious-site[dot]biz";
        let x = ex(text);
        assert_eq!(
            values(&x, IocKind::Url),
            [
                "http://91.215.85.17:8080/a",
                "ftp://files.evil-drop.com/x",
                "http://cdn-upd.info/p",
                "https://portal-sso.live/login"
            ]
        );
        assert_eq!(values(&x, IocKind::Domain), ["www.malicious-site.biz"]);
        assert!(
            x.dropped
                .iter()
                .any(|d| d.value == "http://198.51.100.1/" && d.reason.contains("documentation"))
        );
    }

    #[test]
    fn version_numbers_are_not_addresses() {
        let text = "Fixed in version 2.4.1.3 of the agent (build 10.0.1.22); affected versions \
                    3.1.0.4 and 3.1.0.9. Windows 10.0.19041.1 too. The implant called 5.61.43.21.";
        let x = ex(text);
        assert_eq!(values(&x, IocKind::Ipv4), ["5.61.43.21"]);
        let reasons: Vec<&str> = x.dropped.iter().map(|d| d.reason.as_str()).collect();
        assert_eq!(x.dropped.len(), 4, "{reasons:?}");
        assert!(reasons.iter().all(|r| r.contains("version")), "{reasons:?}");
    }

    #[test]
    fn file_names_are_not_domains() {
        let text = "The archive update.zip holds loader.py and readme.md; it runs install.sh, \
                    drops C:\\Users\\Public\\svc.com and /tmp/kworker.so. Payload.exe and main.rs \
                    were also seen. The C2 domain was update-service.com and files came from \
                    cdn.evil-updates.zip and secure-login[.]zip.";
        let x = ex(text);
        assert_eq!(
            values(&x, IocKind::Domain),
            [
                "update-service.com",
                "cdn.evil-updates.zip",
                "secure-login.zip"
            ]
        );
        let dropped: Vec<&str> = x.dropped.iter().map(|d| d.value.as_str()).collect();
        for name in [
            "update.zip",
            "loader.py",
            "readme.md",
            "install.sh",
            "main.rs",
        ] {
            assert!(dropped.contains(&name), "{name} not dropped: {dropped:?}");
        }
    }

    #[test]
    fn sentence_breaks_code_and_products_are_not_domains() {
        let text = "They moved laterally after the attack.The operators used document.write(x) \
                    and ASP.NET pages, plus System.Management.Automation objects. e.g. this i.e. that. \
                    Detected as BehavesLike.Win32.Generic.cz and HackTool.Win32.NetScan.ag; key id_rsa.pub.";
        let x = ex(text);
        assert!(values(&x, IocKind::Domain).is_empty(), "{:?}", x.iocs);
    }

    #[test]
    fn reserved_addresses_are_dropped() {
        let text = "Internal hosts 10.0.0.5, 192.168.1.20, 172.16.4.4 and 127.0.0.1 talked to \
                    203.0.113.9 and 8.8.8.8; IPv6 fe80::1ff:fe23:4567:890a, 2001:db8::1 and \
                    2a03:2880:f12f:83:face:b00c:0:25de.";
        let x = ex(text);
        assert_eq!(values(&x, IocKind::Ipv4), ["8.8.8.8"]);
        assert_eq!(
            values(&x, IocKind::Ipv6),
            ["2a03:2880:f12f:83:face:b00c:0:25de"]
        );
        assert_eq!(x.dropped.len(), 7, "{:?}", x.dropped);
    }

    #[test]
    fn hashes_and_cves() {
        let md5 = "44d88612fea8a8f36de82e1278abb02f";
        let sha1 = "3395856ce81f2b7382dee72602f798b642f14140";
        let sha256 = "275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F";
        let text = format!(
            "MD5: {md5}\nSHA1 {sha1} | SHA256 {sha256}\nsample_{md5}.bin exploited CVE-2024-3400 \
             and cve-2021-44228; GUID 6f9619ff-8b86-d011-b42d-00c04fc964ff; zeros \
             00000000000000000000000000000000."
        );
        let x = ex(&text);
        assert_eq!(values(&x, IocKind::Md5), [md5]);
        assert_eq!(x.of(IocKind::Md5).next().unwrap().count, 2);
        assert_eq!(values(&x, IocKind::Sha1), [sha1]);
        assert_eq!(values(&x, IocKind::Sha256), [sha256.to_ascii_lowercase()]);
        assert_eq!(
            values(&x, IocKind::Cve),
            ["CVE-2024-3400", "CVE-2021-44228"]
        );
        assert_eq!(
            x.of(IocKind::Sha1).next().unwrap().context,
            format!("SHA1 {sha1} | SHA256 {sha256}")
        );
    }

    #[test]
    fn publisher_and_reference_links_are_dropped() {
        let publisher = vec!["securelist.com".to_owned()];
        let text = "See https://securelist.com/apt-report/123/ and \
                    https://attack.mitre.org/techniques/T1566/ and https://www.virustotal.com/gui/file/abc. \
                    Write to press@securelist.com. The payload was at hxxp://dl.evil-cdn[.]net/a.bin.";
        let x = extract(
            text,
            &ExtractOptions {
                publisher_domains: &publisher,
                ..ExtractOptions::default()
            },
        );
        assert_eq!(values(&x, IocKind::Url), ["http://dl.evil-cdn.net/a.bin"]);
        assert!(values(&x, IocKind::Email).is_empty());
        assert_eq!(x.dropped.len(), 4, "{:?}", x.dropped);
    }

    #[test]
    fn warninglisted_values_are_dropped() {
        let mut w = Warninglists::new();
        w.add_json(
            "public-dns-v4",
            br#"{"name":"Public DNS","type":"cidr","matching_attributes":["ip-dst"],"list":["8.8.8.8"]}"#,
        )
        .unwrap();
        w.add_json(
            "empty-hashes",
            br#"{"name":"Empty hashes","type":"string","matching_attributes":["md5"],"list":["d41d8cd98f00b204e9800998ecf8427e"]}"#,
        )
        .unwrap();
        let text =
            "It resolved via 8.8.8.8 and wrote a file with MD5 d41d8cd98f00b204e9800998ecf8427e.";
        let x = extract(
            text,
            &ExtractOptions {
                warninglists: Some(&w),
                ..ExtractOptions::default()
            },
        );
        assert!(x.iocs.is_empty(), "{:?}", x.iocs);
        assert!(x.dropped.iter().all(|d| d.reason.contains("warninglist")));
        assert_eq!(x.dropped.len(), 2);
    }

    #[test]
    fn urls_keep_their_path_but_not_prose_punctuation() {
        let x = ex(
            "Download (from https://evil.example-cdn.com/a/b?c=1&d=2), then \"http://1.2.3.4/x\".",
        );
        assert_eq!(
            values(&x, IocKind::Url),
            [
                "https://evil.example-cdn.com/a/b?c=1&d=2",
                "http://1.2.3.4/x"
            ]
        );
        // The host of a URL is not repeated as a domain.
        assert!(values(&x, IocKind::Domain).is_empty());
    }

    #[test]
    fn ordinary_english_is_not_refanged() {
        let x = ex("We met at noon at the office dot com bubble; the group is at large.");
        assert!(x.iocs.is_empty(), "{:?}", x.iocs);
    }

    #[test]
    fn non_ascii_text_does_not_break_offsets() {
        let text = "Связь с сервером 91.215.85[.]17 — «C2» и домен злой-пример.рф и évil[.]com.";
        let x = ex(text);
        assert_eq!(values(&x, IocKind::Ipv4), ["91.215.85.17"]);
        let ip = &x.iocs[0];
        assert_eq!(&text[ip.start..ip.end], "91.215.85[.]17");
        // Names glued to non-ASCII letters are not cut in half (`évil.com` is not `vil.com`);
        // internationalized names are a known gap.
        assert!(values(&x, IocKind::Domain).is_empty(), "{:?}", x.iocs);
    }
}
