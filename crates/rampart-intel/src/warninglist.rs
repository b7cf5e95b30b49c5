//! MISP warninglists: lists of well-known benign values (public resolvers, reserved ranges,
//! big cloud and CDN ranges, top domains, empty-file hashes) that must not become malicious
//! indicators.
//!
//! The lists are third-party data (`MISP/misp-warninglists`, CC0 1.0) and are not copied
//! into the repository: [`Warninglists::load_dir`] reads them at run time from a checkout of
//! that repository (its `lists/` directory, or the repository root).
//!
//! Semantics, per list `type`:
//! - `cidr`: an IP inside a listed network, a network inside one, or a network holding a
//!   listed entry is on the list;
//! - `hostname`: a domain equal to, or a subdomain of, a listed name is on the list;
//! - `string`: an exact (case-insensitive) value;
//! - `substring`: a value (case-insensitive) containing a listed string;
//! - `regex`: a value matching a listed expression, written as MISP writes them
//!   (`/pattern/flags`; `i` is honoured, `g` means nothing for a yes/no match).
//!
//! A list applies only to the observable kinds its `matching_attributes` name (all kinds when
//! absent). Hostname and substring lists never refuse email addresses, and hostname lists
//! never refuse URLs: a phishing page on a big platform's domain, or an attacker's webmail
//! or disposable address, is still a good indicator. A list of an unknown type, or an
//! expression that does not compile, is not loaded and is named in
//! [`Warninglists::not_loaded`] with the reason.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Hash maps with foldhash (randomly seeded per process): several times faster than SipHash
/// on short keys, still seeded against crafted collisions.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use prefix_trie::PrefixMap;
use serde::Deserialize;

use crate::model::{Observable, ObservableKind};

/// A list could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WarninglistError {
    #[error(
        "cannot read the warninglist directory {path}: {source} (give the `lists` directory of a MISP/misp-warninglists checkout)"
    )]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read warninglist {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("warninglist {path} is not a MISP warninglist: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// The list a value was found on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WarninglistHit<'a> {
    /// The list's directory name, e.g. `public-dns-v4`.
    pub name: &'a str,
    /// The list's own name, e.g. "List of known IPv4 public DNS resolvers".
    pub description: &'a str,
}

#[derive(Deserialize)]
struct ListFile {
    name: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    matching_attributes: Option<Vec<String>>,
    list: Vec<serde_json::Value>,
}

struct ListInfo {
    name: String,
    description: String,
    /// Bit set of [`ObservableKind::ALL`] indices this list applies to.
    kinds: u16,
}

/// A set of loaded warninglists.
#[derive(Default)]
pub struct Warninglists {
    lists: Vec<ListInfo>,
    v4: PrefixMap<Ipv4Net, Vec<u16>>,
    v6: PrefixMap<Ipv6Net, Vec<u16>>,
    hostnames: FastMap<Box<str>, Vec<u16>>,
    strings: FastMap<Box<str>, Vec<u16>>,
    /// Substring needles (lower case) and the list of each.
    needles: Vec<(Box<str>, u16)>,
    /// An automaton over `needles`, built on first use after a change.
    automaton: OnceLock<Option<aho_corasick::AhoCorasick>>,
    regexes: Vec<(regex::Regex, u16)>,
    not_loaded: Vec<String>,
}

impl std::fmt::Debug for Warninglists {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Warninglists")
            .field("lists", &self.lists.len())
            .field("not_loaded", &self.not_loaded.len())
            .finish_non_exhaustive()
    }
}

fn kind_bit(kind: ObservableKind) -> u16 {
    let i = ObservableKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(0);
    1 << i
}

/// The observable kinds a MISP attribute type stands for.
fn attribute_kinds(attr: &str) -> u16 {
    use ObservableKind::*;
    let kinds: &[ObservableKind] = match attr {
        "ip-src" | "ip-dst" | "ip-src|port" | "ip-dst|port" | "domain|ip" | "ip" => {
            &[Ipv4, Ipv6, Cidr]
        }
        "domain" | "hostname" | "hostname|port" => &[Domain],
        "url" | "uri" | "link" => &[Url],
        "email" | "email-src" | "email-dst" | "email-reply-to" | "whois-registrant-email" => {
            &[Email]
        }
        "md5" | "filename|md5" => &[Md5],
        "sha1" | "filename|sha1" => &[Sha1],
        "sha256" | "filename|sha256" => &[Sha256],
        "user-agent" => &[UserAgent],
        "AS" => &[Asn],
        _ => &[],
    };
    kinds.iter().fold(0, |acc, k| acc | kind_bit(*k))
}

impl Warninglists {
    pub fn new() -> Warninglists {
        Warninglists::default()
    }

    /// Loads every `*/list.json` under `dir` (or under `dir/lists` when that exists).
    /// Returns the lists and one error per list file that could not be read; the directory
    /// itself being unreadable is the only hard error.
    pub fn load_dir(dir: &Path) -> Result<(Warninglists, Vec<WarninglistError>), WarninglistError> {
        let root = if dir.join("lists").is_dir() {
            dir.join("lists")
        } else {
            dir.to_path_buf()
        };
        let entries = std::fs::read_dir(&root).map_err(|source| WarninglistError::Dir {
            path: root.clone(),
            source,
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path().join("list.json"))
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        let mut lists = Warninglists::new();
        let mut errors = Vec::new();
        for path in paths {
            let name = path
                .parent()
                .and_then(Path::file_name)
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(source) => {
                    errors.push(WarninglistError::Read { path, source });
                    continue;
                }
            };
            if let Err(source) = lists.add_json(&name, &bytes) {
                errors.push(WarninglistError::Parse { path, source });
            }
        }
        tracing::debug!(
            lists = lists.lists.len(),
            not_loaded = lists.not_loaded.len(),
            "warninglists loaded"
        );
        Ok((lists, errors))
    }

    /// Adds one list from its `list.json` content, named `name` (its directory name).
    pub fn add_json(&mut self, name: &str, bytes: &[u8]) -> Result<(), serde_json::Error> {
        let file: ListFile = serde_json::from_slice(bytes)?;
        let kind = file.kind.as_deref().unwrap_or("string");
        if !matches!(kind, "cidr" | "hostname" | "string" | "substring" | "regex") {
            tracing::warn!(list = name, kind, "warninglist type not supported; skipped");
            self.not_loaded
                .push(format!("{name}: type {kind:?} is not supported"));
            return Ok(());
        }
        // Compile a regex list whole first: a list is loaded entirely or not at all.
        let mut compiled = Vec::new();
        if kind == "regex" {
            for v in file.list.iter().filter_map(|v| v.as_str()) {
                match misp_regex(v) {
                    Ok(re) => compiled.push(re),
                    Err(e) => {
                        tracing::warn!(
                            list = name,
                            value = v,
                            "warninglist regex does not compile: {e}"
                        );
                        self.not_loaded.push(format!(
                            "{name}: the expression {v:?} does not compile ({e})"
                        ));
                        return Ok(());
                    }
                }
            }
        }
        let Ok(index) = u16::try_from(self.lists.len()) else {
            self.not_loaded
                .push(format!("{name}: too many lists (at most 65536)"));
            return Ok(());
        };
        self.regexes
            .extend(compiled.into_iter().map(|re| (re, index)));
        let kinds = match &file.matching_attributes {
            Some(attrs) if !attrs.is_empty() => {
                attrs.iter().fold(0, |acc, a| acc | attribute_kinds(a))
            }
            _ => u16::MAX,
        };
        for value in &file.list {
            let Some(v) = value.as_str() else { continue };
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            match kind {
                "cidr" => {
                    let net = v
                        .parse::<IpNet>()
                        .ok()
                        .or_else(|| v.parse::<IpAddr>().ok().map(IpNet::from));
                    match net.map(|n| n.trunc()) {
                        Some(IpNet::V4(n)) => push_trie(&mut self.v4, n, index),
                        Some(IpNet::V6(n)) => push_trie(&mut self.v6, n, index),
                        None => tracing::trace!(list = name, value = v, "not a network; ignored"),
                    }
                }
                "hostname" => {
                    let h = v
                        .trim_start_matches("*.")
                        .trim_start_matches('.')
                        .trim_end_matches('.');
                    push_map(&mut self.hostnames, &h.to_ascii_lowercase(), index);
                }
                "substring" => {
                    self.needles.push((v.to_ascii_lowercase().into(), index));
                    self.automaton = OnceLock::new();
                }
                "regex" => {}
                _ => push_map(&mut self.strings, &v.to_ascii_lowercase(), index),
            }
        }
        self.lists.push(ListInfo {
            name: name.to_owned(),
            description: file.name,
            kinds,
        });
        Ok(())
    }

    /// How many lists are loaded.
    pub fn len(&self) -> usize {
        self.lists.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    /// Lists present but not loaded, each as `name: reason` (an unknown type, an
    /// expression that does not compile).
    pub fn not_loaded(&self) -> &[String] {
        &self.not_loaded
    }

    /// A list `observable` is on, if any: for IPs and networks the list with the most
    /// specific entry, for domains the closest name, else the first list in load order.
    pub fn check(&self, observable: &Observable) -> Option<WarninglistHit<'_>> {
        let bit = kind_bit(observable.kind());
        let applies = |ids: &[u16]| {
            ids.iter()
                .copied()
                .filter_map(|i| self.lists.get(usize::from(i)))
                .find(|l| l.kinds & bit != 0)
                .map(|l| WarninglistHit {
                    name: &l.name,
                    description: &l.description,
                })
        };
        let nets = |net: IpNet| -> Option<WarninglistHit<'_>> {
            match net {
                // The most specific list entry names the most telling list.
                IpNet::V4(n) => {
                    let cover: Vec<&Vec<u16>> = self.v4.cover(&n).map(|(_, ids)| ids).collect();
                    cover.into_iter().rev().find_map(|ids| applies(ids))
                }
                IpNet::V6(n) => {
                    let cover: Vec<&Vec<u16>> = self.v6.cover(&n).map(|(_, ids)| ids).collect();
                    cover.into_iter().rev().find_map(|ids| applies(ids))
                }
            }
        };
        let strings = |s: &str| {
            let lower = s.to_ascii_lowercase();
            self.strings
                .get(lower.as_str())
                .and_then(|ids| applies(ids))
                .or_else(|| {
                    if matches!(observable, Observable::Email(_)) {
                        return None;
                    }
                    self.substring_hit(&lower, &applies)
                })
                .or_else(|| {
                    self.regexes
                        .iter()
                        .filter(|(re, _)| re.is_match(s))
                        .find_map(|(_, i)| applies(std::slice::from_ref(i)))
                })
        };
        match observable {
            Observable::Ip(ip) => nets(IpNet::from(*ip)).or_else(|| strings(&ip.to_string())),
            Observable::Cidr(net) => nets(*net)
                .or_else(|| self.inside(*net, &applies))
                .or_else(|| strings(&net.to_string())),
            Observable::Domain(d) => {
                let mut name = d.as_str();
                loop {
                    if let Some(hit) = self.hostnames.get(name).and_then(|ids| applies(ids)) {
                        return Some(hit);
                    }
                    match name.split_once('.') {
                        Some((_, parent)) if parent.contains('.') => name = parent,
                        _ => break,
                    }
                }
                strings(d)
            }
            other => strings(&other.to_string()),
        }
    }
}

impl Warninglists {
    /// The first substring list (in load order) with a needle inside `lower`.
    fn substring_hit<'a>(
        &'a self,
        lower: &str,
        applies: &impl Fn(&[u16]) -> Option<WarninglistHit<'a>>,
    ) -> Option<WarninglistHit<'a>> {
        if self.needles.is_empty() {
            return None;
        }
        let automaton = self.automaton.get_or_init(|| {
            aho_corasick::AhoCorasick::new(self.needles.iter().map(|(n, _)| n.as_ref()))
                .map_err(|e| tracing::warn!("substring warninglists unusable: {e}"))
                .ok()
        });
        let automaton = automaton.as_ref()?;
        automaton
            .find_overlapping_iter(lower)
            .filter_map(|m| self.needles.get(m.pattern().as_usize()))
            .find_map(|(_, i)| applies(std::slice::from_ref(i)))
    }

    /// A list with an entry inside `net` (a network indicator wider than, say, a public
    /// resolver would catch it too).
    fn inside<'a>(
        &'a self,
        net: IpNet,
        applies: &impl Fn(&[u16]) -> Option<WarninglistHit<'a>>,
    ) -> Option<WarninglistHit<'a>> {
        match net {
            IpNet::V4(n) => self.v4.children(&n).find_map(|(_, ids)| applies(ids)),
            IpNet::V6(n) => self.v6.children(&n).find_map(|(_, ids)| applies(ids)),
        }
    }
}

fn push_trie<P: prefix_trie::Prefix>(trie: &mut PrefixMap<P, Vec<u16>>, net: P, id: u16) {
    match trie.get_mut(&net) {
        Some(ids) => {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        None => {
            trie.insert(net, vec![id]);
        }
    }
}

/// A MISP warninglist expression (`/pattern/flags`, or a bare pattern) as a [`regex::Regex`]:
/// `i` makes it case-insensitive, `m`, `s` and `x` keep their meaning, `g` and `u` are
/// irrelevant to a yes/no match.
fn misp_regex(text: &str) -> Result<regex::Regex, regex::Error> {
    let (pattern, flags) = match text.strip_prefix('/').and_then(|t| t.rsplit_once('/')) {
        Some((p, f)) if f.chars().all(|c| c.is_ascii_alphabetic()) => (p, f),
        _ => (text, ""),
    };
    let mut b = regex::RegexBuilder::new(pattern);
    b.case_insensitive(flags.contains('i'))
        .multi_line(flags.contains('m'))
        .dot_matches_new_line(flags.contains('s'))
        .ignore_whitespace(flags.contains('x'));
    b.build()
}

fn push_map(map: &mut FastMap<Box<str>, Vec<u16>>, key: &str, id: u16) {
    match map.get_mut(key) {
        Some(ids) => {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        None => {
            map.insert(key.into(), vec![id]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::parse;

    fn lists() -> Warninglists {
        let mut w = Warninglists::new();
        w.add_json(
            "public-dns-v4",
            br#"{"name":"List of known IPv4 public DNS resolvers","type":"cidr","matching_attributes":["ip-src","ip-dst"],"list":["8.8.8.8","1.1.1.0/24"]}"#,
        )
        .unwrap();
        w.add_json(
            "tranco10k",
            br#"{"name":"Top 10K most-used sites from Tranco","type":"hostname","matching_attributes":["hostname","domain","url"],"list":["google.com"]}"#,
        )
        .unwrap();
        w.add_json(
            "empty-hashes",
            br#"{"name":"List of known hashes for empty files","type":"string","matching_attributes":["md5","sha256"],"list":["D41D8CD98F00B204E9800998ECF8427E"]}"#,
        )
        .unwrap();
        w.add_json(
            "automated-malware-analysis",
            br#"{"name":"List of known domains used by automated malware analysis services & security vendors","type":"substring","matching_attributes":["domain","hostname","url","email-src"],"list":["app.any.run","Sandbox.Example"]}"#,
        )
        .unwrap();
        w.add_json(
            "common-contact-emails",
            br#"{"name":"Common contact e-mail addresses","type":"regex","matching_attributes":["email-src","email-dst"],"list":["/^(security|noc|soc|abuse)\\@.*\\..*$/i"]}"#,
        )
        .unwrap();
        w.add_json(
            "broken",
            br#"{"name":"b","type":"regex","list":["/(unclosed/"]}"#,
        )
        .unwrap();
        w.add_json("odd", br#"{"name":"o","type":"bloom","list":["x"]}"#)
            .unwrap();
        w
    }

    #[test]
    fn checks_each_list_type() {
        use ObservableKind::*;
        let w = lists();
        let hit = |k, v| w.check(&parse(k, v).unwrap()).map(|h| h.name.to_owned());
        assert_eq!(hit(Ipv4, "8.8.8.8").as_deref(), Some("public-dns-v4"));
        assert_eq!(hit(Ipv4, "1.1.1.77").as_deref(), Some("public-dns-v4"));
        assert_eq!(hit(Cidr, "1.1.1.0/25").as_deref(), Some("public-dns-v4"));
        assert_eq!(hit(Ipv4, "8.8.4.4"), None);
        // a network that holds a listed value
        assert_eq!(hit(Cidr, "8.8.0.0/16").as_deref(), Some("public-dns-v4"));
        assert_eq!(hit(Cidr, "0.0.0.0/0").as_deref(), Some("public-dns-v4"));
        assert_eq!(hit(Cidr, "9.9.0.0/16"), None);
        assert_eq!(hit(Domain, "mail.google.com").as_deref(), Some("tranco10k"));
        assert_eq!(hit(Domain, "google.com.evil.example"), None);
        // hostname lists do not refuse URLs or emails on those hosts
        assert_eq!(hit(Url, "https://docs.google.com/phish"), None);
        assert_eq!(
            hit(Md5, "d41d8cd98f00b204e9800998ecf8427e").as_deref(),
            Some("empty-hashes")
        );
        // substring lists: anywhere in a domain or URL, case-insensitive; never emails
        assert_eq!(
            hit(Url, "https://app.any.run/tasks/1234").as_deref(),
            Some("automated-malware-analysis")
        );
        assert_eq!(
            hit(Domain, "eu.sandbox.example").as_deref(),
            Some("automated-malware-analysis")
        );
        assert_eq!(hit(Domain, "any.run.evil.example"), None);
        assert_eq!(hit(Email, "x@app.any.run"), None);
        // regex lists, with MISP's /…/i syntax
        assert_eq!(
            hit(Email, "Abuse@provider.example").as_deref(),
            Some("common-contact-emails")
        );
        assert_eq!(hit(Email, "abused@provider.example"), None);
        assert_eq!(w.len(), 5);
        let not_loaded = w.not_loaded();
        assert_eq!(not_loaded.len(), 2, "{not_loaded:?}");
        assert!(
            not_loaded[0].starts_with("broken: the expression \"/(unclosed/\" does not compile"),
            "{not_loaded:?}"
        );
        assert_eq!(not_loaded[1], "odd: type \"bloom\" is not supported");
    }
}
