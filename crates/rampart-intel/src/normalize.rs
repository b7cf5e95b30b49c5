//! Refanging and normalization of observable values, before they are stored and before
//! they are matched, and type inference for plain lists.
//!
//! Every function here is total: bad input gives a [`ValueError`], never a panic.

use std::borrow::Cow;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::{Observable, ObservableKind};

/// Why a value is not a valid observable. The message names the value and says what was
/// expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    #[error("the value is empty")]
    Empty,
    #[error("{value:?} is not an IP address")]
    NotIp { value: String },
    #[error("{value:?} is an {found} address, not {expected}")]
    WrongFamily {
        value: String,
        found: &'static str,
        expected: &'static str,
    },
    #[error("{value:?} is not a network in CIDR notation (like 192.0.2.0/24)")]
    NotCidr { value: String },
    #[error("{value:?} is not a domain name: {why}")]
    NotDomain { value: String, why: &'static str },
    #[error("{value:?} is not a URL: {why}")]
    NotUrl { value: String, why: &'static str },
    #[error("{value:?} is not an email address")]
    NotEmail { value: String },
    #[error("{value:?} is not {expected} (expected {digits} hex digits, found {found})")]
    BadHash {
        value: String,
        expected: &'static str,
        digits: usize,
        found: String,
    },
    #[error("{value:?} is not an AS number (like AS13335 or 13335)")]
    NotAsn { value: String },
    #[error(
        "cannot tell what {value:?} is (not an IP, network, URL, email, domain, MD5/SHA-1/SHA-256 or AS number); give its type"
    )]
    CannotInfer { value: String },
}

/// Undoes the usual defanging. Bracketed forms are matched in any case: `[.]`, `(.)`,
/// `{.}`, `[dot]`, `(dot)`, `{dot}`, `\.`, `[:]`, `[://]`, `[/]`, `[@]`, `(@)`, `{@}`,
/// `[at]`, `(at)`, `{at}`; the spaced words ` dot ` and ` at ` (any case) when the value has
/// no other spaces; and the schemes `hxxp`, `hxxps`, `hXXp`, `fxp` and `fxps`.
/// Surrounding whitespace, quotes (also typographic ones and backticks) and angle brackets
/// are trimmed.
pub fn refang(value: &str) -> String {
    refang_cow(value).into_owned()
}

/// [`refang`] without a copy when the value has nothing to undo (most values).
fn refang_cow(value: &str) -> Cow<'_, str> {
    let trimmed = value
        .trim()
        .trim_matches(|c| matches!(c, '"' | '\'' | '<' | '>' | '`' | '“' | '”' | '‘' | '’'))
        .trim();
    if !trimmed
        .bytes()
        .any(|b| matches!(b, b'[' | b'(' | b'{' | b'\\' | b' '))
    {
        return match fix_scheme(trimmed) {
            Some(fixed) => Cow::Owned(fixed),
            None => Cow::Borrowed(trimmed),
        };
    }
    let mut s = String::with_capacity(trimmed.len());
    let bytes = trimmed.as_bytes();
    let mut i = 0;
    'outer: while i < bytes.len() {
        // Every form starts with one of these; other bytes are copied as they are.
        if !matches!(bytes[i], b'[' | b'(' | b'{' | b'\\') {
            let next = bytes[i..]
                .iter()
                .position(|b| matches!(b, b'[' | b'(' | b'{' | b'\\'))
                .map_or(bytes.len(), |p| i + p);
            s.push_str(&trimmed[i..next]);
            i = next;
            continue;
        }
        for (from, to) in DEFANGED.iter().chain([&("\\.", ".")]) {
            let end = i + from.len();
            if end <= bytes.len() && bytes[i..end].eq_ignore_ascii_case(from.as_bytes()) {
                s.push_str(to);
                i = end;
                continue 'outer;
            }
        }
        // Copy one whole character.
        let ch_len = trimmed[i..].chars().next().map_or(1, char::len_utf8);
        s.push_str(&trimmed[i..i + ch_len]);
        i += ch_len;
    }
    // Spaced words, only when they are the only spaces (so free text is left alone).
    let spaces = s.matches(' ').count();
    if spaces > 0 {
        let lower = s.to_ascii_lowercase();
        let dots = lower.matches(" dot ").count();
        let ats = lower.matches(" at ").count();
        if (dots + ats) * 2 == spaces {
            let mut out = String::with_capacity(s.len());
            let mut rest = s.as_str();
            while let Some(pos) = rest.find(' ') {
                out.push_str(&rest[..pos]);
                let after = &rest[pos + 1..];
                let word_end = after.find(' ').unwrap_or(after.len());
                let word = &after[..word_end];
                if word.eq_ignore_ascii_case("dot") {
                    out.push('.');
                } else if word.eq_ignore_ascii_case("at") {
                    out.push('@');
                } else {
                    out.push(' ');
                    out.push_str(word);
                }
                rest = after.get(word_end + 1..).unwrap_or("");
            }
            out.push_str(rest);
            s = out;
        }
    }
    if let Some(fixed) = fix_scheme(&s) {
        s = fixed;
    }
    Cow::Owned(s)
}

/// Bracketed defanging forms and what they stand for, longest first; all ASCII, so byte
/// offsets around them stay on character boundaries. Shared by [`refang`] (one value) and
/// the report extractor (free text, where `\.` needs its own care).
pub(crate) const DEFANGED: [(&str, &str); 15] = [
    ("[://]", "://"),
    ("[dot]", "."),
    ("(dot)", "."),
    ("{dot}", "."),
    ("[at]", "@"),
    ("(at)", "@"),
    ("{at}", "@"),
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[:]", ":"),
    ("[/]", "/"),
    ("[@]", "@"),
    ("(@)", "@"),
    ("{@}", "@"),
];

/// The value with a defanged scheme (`hxxp://`, `fxp://`, …) written properly, if it has one.
fn fix_scheme(s: &str) -> Option<String> {
    let pos = s.as_bytes().windows(3).position(|w| w == b"://")?;
    let scheme = &s[..pos];
    const FANGED: [(&str, &str); 12] = [
        ("hxxp", "http"),
        ("hxp", "http"),
        ("h__p", "http"),
        ("hxtp", "http"),
        ("htxp", "http"),
        ("hxxps", "https"),
        ("hxps", "https"),
        ("h__ps", "https"),
        ("hxtps", "https"),
        ("htxps", "https"),
        ("fxp", "ftp"),
        ("fxps", "ftps"),
    ];
    let (_, fixed) = FANGED
        .iter()
        .find(|(from, _)| scheme.eq_ignore_ascii_case(from))?;
    Some(format!("{fixed}{}", &s[pos..]))
}

/// Refangs and parses one value of the given kind into its canonical form.
pub fn parse(kind: ObservableKind, value: &str) -> Result<Observable, ValueError> {
    if kind == ObservableKind::UserAgent {
        return parse_user_agent(value);
    }
    let v = refang_cow(value);
    if v.is_empty() {
        return Err(ValueError::Empty);
    }
    match kind {
        ObservableKind::Ipv4 | ObservableKind::Ipv6 => {
            let ip = parse_ip(&v).ok_or_else(|| ValueError::NotIp {
                value: value.to_owned(),
            })?;
            let (found, want_v4) = match ip {
                // IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is accepted as either and stored as IPv4.
                IpAddr::V4(_) => ("IPv4", kind == ObservableKind::Ipv4 || v.contains(':')),
                IpAddr::V6(_) => ("IPv6", kind == ObservableKind::Ipv6),
            };
            if want_v4 {
                Ok(Observable::Ip(ip))
            } else {
                Err(ValueError::WrongFamily {
                    value: value.to_owned(),
                    found,
                    expected: if kind == ObservableKind::Ipv4 {
                        "IPv4"
                    } else {
                        "IPv6"
                    },
                })
            }
        }
        ObservableKind::Cidr => parse_cidr(&v).ok_or_else(|| ValueError::NotCidr {
            value: value.to_owned(),
        }),
        ObservableKind::Domain => {
            normalize_domain(&v)
                .map(Observable::Domain)
                .map_err(|why| ValueError::NotDomain {
                    value: value.to_owned(),
                    why,
                })
        }
        ObservableKind::Url => {
            normalize_url(&v)
                .map(Observable::Url)
                .map_err(|why| ValueError::NotUrl {
                    value: value.to_owned(),
                    why,
                })
        }
        ObservableKind::Email => {
            normalize_email(&v)
                .map(Observable::Email)
                .ok_or_else(|| ValueError::NotEmail {
                    value: value.to_owned(),
                })
        }
        ObservableKind::Md5 | ObservableKind::Sha1 | ObservableKind::Sha256 => parse_hash(kind, &v)
            .map_err(|found| ValueError::BadHash {
                value: value.to_owned(),
                expected: match kind {
                    ObservableKind::Md5 => "an MD5",
                    ObservableKind::Sha1 => "a SHA-1",
                    _ => "a SHA-256",
                },
                digits: hash_len(kind),
                found,
            }),
        ObservableKind::Asn => {
            parse_asn(&v)
                .map(Observable::Asn)
                .ok_or_else(|| ValueError::NotAsn {
                    value: value.to_owned(),
                })
        }
        ObservableKind::UserAgent => parse_user_agent(value),
    }
}

/// Refangs a value and infers its kind, for plain lists: AS numbers (`AS` prefix), hashes
/// (hex of 32, 40 or 64 digits), IPs, networks, URLs (`scheme://`), emails, then domains.
/// User agents cannot be inferred; list them with their type.
pub fn parse_inferred(value: &str) -> Result<Observable, ValueError> {
    let v = refang_cow(value);
    if v.is_empty() {
        return Err(ValueError::Empty);
    }
    let cannot = || ValueError::CannotInfer {
        value: value.to_owned(),
    };
    if v.len() > 2
        && v.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("as"))
        && v.bytes().skip(2).all(|b| b.is_ascii_digit())
    {
        return parse_asn(&v).map(Observable::Asn).ok_or_else(cannot);
    }
    if v.bytes().all(|b| b.is_ascii_hexdigit()) {
        let kind = match v.len() {
            32 => ObservableKind::Md5,
            40 => ObservableKind::Sha1,
            64 => ObservableKind::Sha256,
            _ => return Err(cannot()),
        };
        return parse(kind, &v);
    }
    if let Some(ip) = parse_ip(&v) {
        return Ok(Observable::Ip(ip));
    }
    if v.contains('/')
        && !v.contains("://")
        && let Some(o) = parse_cidr(&v)
    {
        return Ok(o);
    }
    if v.contains("://") {
        return parse(ObservableKind::Url, &v);
    }
    if v.contains('@') {
        return parse(ObservableKind::Email, &v);
    }
    normalize_domain(&v)
        .map(Observable::Domain)
        .map_err(|_| cannot())
}

/// An IP, also as `/32` or `/128`, `[v6]`, or IPv4-mapped IPv6 (returned as IPv4).
fn parse_ip(v: &str) -> Option<IpAddr> {
    let v = v.trim_start_matches('[').trim_end_matches(']');
    let ip = match v.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) => {
            let net = v.parse::<IpNet>().ok()?;
            if net.prefix_len() != net.max_prefix_len() {
                return None;
            }
            net.addr()
        }
    };
    Some(ip.to_canonical())
}

/// A network, truncated to its prefix; a host prefix is an IP.
fn parse_cidr(v: &str) -> Option<Observable> {
    if let Ok(net) = v.parse::<IpNet>() {
        if net.prefix_len() == net.max_prefix_len() {
            return Some(Observable::Ip(net.addr().to_canonical()));
        }
        return Some(Observable::Cidr(net.trunc()));
    }
    v.parse::<IpAddr>()
        .ok()
        .map(|ip| Observable::Ip(ip.to_canonical()))
}

/// Lower-cased, no trailing dot, ASCII letters, digits, `-` and `_` in 1–63 character
/// labels, at least two labels, at most 253 characters, a TLD that is not all digits.
/// Internationalized labels are lower-cased and punycode-encoded (`bücher` → `xn--bcher-kva`);
/// this is IDNA's encoding step without UTS 46 mapping or NFC normalization, so give
/// such names as they appear (or already in `xn--` form).
pub fn normalize_domain(v: &str) -> Result<String, &'static str> {
    if !v.is_ascii() {
        return normalize_domain(&to_ascii_labels(v)?);
    }
    // `*.evil.example` is written for "evil.example and its subdomains", which is what a
    // domain indicator matches anyway.
    let v = v.trim();
    let v = v.strip_prefix("*.").unwrap_or(v);
    let d = v.trim_end_matches('.').to_ascii_lowercase();
    if d.is_empty() {
        return Err("it is empty");
    }
    if d.len() > 253 {
        return Err("it is longer than 253 characters");
    }
    if !d.contains('.') {
        return Err("it has a single label");
    }
    for label in d.split('.') {
        if label.is_empty() {
            return Err("it has an empty label");
        }
        if label.len() > 63 {
            return Err("a label is longer than 63 characters");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("it holds characters other than letters, digits, '-', '_' and '.'");
        }
    }
    if d.rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("its last label is a number");
    }
    Ok(d)
}

/// Each non-ASCII label lower-cased and punycode-encoded with the `xn--` prefix; the
/// ideographic full stops IDNA treats as dots become dots.
fn to_ascii_labels(v: &str) -> Result<String, &'static str> {
    let v: String = v
        .trim()
        .chars()
        .map(|c| match c {
            '\u{3002}' | '\u{ff0e}' | '\u{ff61}' => '.',
            c => c,
        })
        .collect();
    let mut out = Vec::new();
    for label in v.split('.') {
        if label.is_ascii() {
            out.push(label.to_ascii_lowercase());
            continue;
        }
        let lower: Vec<char> = label.chars().flat_map(char::to_lowercase).collect();
        if !lower.iter().all(|c| c.is_alphanumeric() || *c == '-') {
            return Err("a label holds characters that are not letters, digits or '-'");
        }
        let code = punycode(&lower).ok_or("a label is too long to encode")?;
        out.push(format!("xn--{code}"));
    }
    Ok(out.join("."))
}

/// Punycode (RFC 3492) encoding of one label.
fn punycode(input: &[char]) -> Option<String> {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    fn adapt(delta: u32, points: u32, first: bool) -> u32 {
        let mut delta = if first { delta / DAMP } else { delta / 2 };
        delta += delta / points.max(1);
        let mut k = 0;
        while delta > ((BASE - TMIN) * TMAX) / 2 {
            delta /= BASE - TMIN;
            k += BASE;
        }
        k + ((BASE - TMIN + 1) * delta) / (delta + SKEW)
    }
    fn digit(d: u32) -> char {
        // d < 36 by construction
        let d = d as u8;
        if d < 26 {
            char::from(b'a' + d)
        } else {
            char::from(b'0' + (d - 26))
        }
    }
    let mut output: String = input.iter().filter(|c| c.is_ascii()).collect();
    let basic = output.len() as u32;
    let mut handled = basic;
    if basic > 0 {
        output.push('-');
    }
    let total = u32::try_from(input.len()).ok()?;
    let (mut n, mut delta, mut bias) = (128u32, 0u32, 72u32);
    while handled < total {
        let m = input.iter().map(|&c| c as u32).filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in input {
            let c = c as u32;
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        TMIN
                    } else if k >= bias + TMAX {
                        TMAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    output.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                output.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(output)
}

/// `scheme://[userinfo@]host[:port]/path[?query]`: lower-case scheme and host, no trailing
/// dot on the host, canonical IP hosts, default ports (`http` 80, `https` 443, `ftp` 21)
/// dropped, an empty path made `/`, the fragment dropped. Path and query keep their case.
pub fn normalize_url(v: &str) -> Result<String, &'static str> {
    let Some((scheme, rest)) = v.split_once("://") else {
        return Err("it has no scheme:// part");
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
    {
        return Err("its scheme is not valid");
    }
    if v.chars().any(char::is_whitespace) {
        return Err("it contains whitespace");
    }
    let rest = rest.split('#').next().unwrap_or("");
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) = if let Some(stripped) = hostport.strip_prefix('[') {
        let Some((h, after)) = stripped.split_once(']') else {
            return Err("its IPv6 host has no closing ']'");
        };
        let ip: std::net::Ipv6Addr = h.parse().map_err(|_| "its IPv6 host is not valid")?;
        let port = after.strip_prefix(':');
        (format!("[{ip}]"), port)
    } else {
        let (h, p) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        };
        let h = h.trim_end_matches('.').to_ascii_lowercase();
        if h.is_empty() {
            return Err("it has no host");
        }
        let host = match h.parse::<std::net::Ipv4Addr>() {
            Ok(ip) => ip.to_string(),
            Err(_) => normalize_domain(&h).map_err(|_| "its host is not a domain name or IP")?,
        };
        (host, p)
    };
    let port = match port {
        None | Some("") => None,
        Some(p) => {
            let n: u16 = p.parse().map_err(|_| "its port is not a number")?;
            let default = matches!(
                (scheme.as_str(), n),
                ("http", 80) | ("https", 443) | ("ftp", 21)
            );
            (!default).then_some(n)
        }
    };
    let mut out = String::with_capacity(v.len());
    out.push_str(&scheme);
    out.push_str("://");
    if let Some(u) = userinfo {
        out.push_str(u);
        out.push('@');
    }
    out.push_str(&host);
    if let Some(p) = port {
        out.push(':');
        out.push_str(&p.to_string());
    }
    if !tail.starts_with('/') {
        out.push('/');
    }
    out.push_str(tail);
    Ok(out)
}

/// The host of a normalized URL (without brackets for IPv6).
pub fn url_host(url: &str) -> Option<&str> {
    // Byte scans (the matcher calls this for every URL an event carries); every position
    // cut at is an ASCII delimiter, so the slices stay on character boundaries.
    let b = url.as_bytes();
    let scheme_end = (0..b.len().saturating_sub(2)).find(|&i| &b[i..i + 3] == b"://")?;
    let rest = &url[scheme_end + 3..];
    let end = rest
        .bytes()
        .position(|c| c == b'/' || c == b'?')
        .unwrap_or(rest.len());
    let authority = &rest[..end];
    let hostport = match authority.bytes().rposition(|c| c == b'@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    if let Some(v6) = hostport.strip_prefix('[') {
        return Some(v6.find(']').map_or(v6, |close| &v6[..close]));
    }
    Some(match hostport.bytes().rposition(|c| c == b':') {
        Some(colon) => &hostport[..colon],
        None => hostport,
    })
}

fn normalize_email(v: &str) -> Option<String> {
    let (local, domain) = v.rsplit_once('@')?;
    let local = local.trim();
    if local.is_empty() || local.contains(char::is_whitespace) || !local.is_ascii() {
        return None;
    }
    let domain = normalize_domain(domain).ok()?;
    Some(format!("{}@{domain}", local.to_ascii_lowercase()))
}

fn hash_len(kind: ObservableKind) -> usize {
    match kind {
        ObservableKind::Md5 => 32,
        ObservableKind::Sha1 => 40,
        _ => 64,
    }
}

/// A hash of the right length, lower-cased. The error describes what was found.
fn parse_hash(kind: ObservableKind, v: &str) -> Result<Observable, String> {
    let h = v.trim().to_ascii_lowercase();
    if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("characters that are not hex digits".to_owned());
    }
    if h.len() != hash_len(kind) {
        let what = match h.len() {
            32 => " (an MD5)",
            40 => " (a SHA-1)",
            64 => " (a SHA-256)",
            _ => "",
        };
        return Err(format!("{}{what}", h.len()));
    }
    Ok(match kind {
        ObservableKind::Md5 => Observable::Md5(h),
        ObservableKind::Sha1 => Observable::Sha1(h),
        _ => Observable::Sha256(h),
    })
}

fn parse_asn(v: &str) -> Option<u32> {
    let v = v.trim();
    let digits = match (v.get(..2), v.get(2..)) {
        (Some(p), Some(rest)) if p.eq_ignore_ascii_case("as") && !rest.is_empty() => rest,
        _ => v,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// User agents are matched exactly after trimming and collapsing runs of whitespace; they
/// are not refanged.
fn parse_user_agent(value: &str) -> Result<Observable, ValueError> {
    let ua = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if ua.is_empty() {
        return Err(ValueError::Empty);
    }
    Ok(Observable::UserAgent(ua))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: ObservableKind, input: &str, want: &str) {
        match parse(kind, input) {
            Ok(o) => assert_eq!(o.to_string(), want, "{kind} {input:?}"),
            Err(e) => panic!("{kind} {input:?}: {e}"),
        }
    }

    #[test]
    fn refang_forms() {
        for (input, want) in [
            ("45.155.205[.]12", "45.155.205.12"),
            (
                "hxxps://login-secure[.]example[.]com/a",
                "https://login-secure.example.com/a",
            ),
            ("evil(.)example[DOT]net", "evil.example.net"),
            ("evil{.}example(dot)net", "evil.example.net"),
            ("user[@]example[.]com", "user@example.com"),
            ("user[AT]example(.)com", "user@example.com"),
            ("2001:db8[:]1::7", "2001:db8:1::7"),
            ("HXXP://a[.]b", "http://a.b"),
            ("hXXps[://]a[.]b[/]c", "https://a.b/c"),
            ("evil DOT example dot com", "evil.example.com"),
            ("bob at evil dot com", "bob@evil.com"),
            ("fxp://files[.]evil[.]com", "ftp://files.evil.com"),
            ("1\\.2\\.3\\.4", "1.2.3.4"),
            ("  \"evil[.]com\" ", "evil.com"),
            // free text with other spaces is left alone
            ("look at the dot over there", "look at the dot over there"),
            ("ünïcode[.]example", "ünïcode.example"),
        ] {
            assert_eq!(refang(input), want, "{input:?}");
        }
    }

    #[test]
    fn canonical_forms() {
        use ObservableKind::*;
        check(Ipv4, "45.155.205[.]12", "45.155.205.12");
        check(Ipv4, "1.2.3.4/32", "1.2.3.4");
        check(
            Ipv6,
            "2001:0DB8:0000:0000:0000:0000:0000:0001",
            "2001:db8::1",
        );
        check(Ipv6, "[2001:db8::1]", "2001:db8::1");
        // IPv4-mapped IPv6 is the IPv4 address
        check(Ipv4, "::ffff:192.0.2.1", "192.0.2.1");
        check(Cidr, "10.1.2.3/8", "10.0.0.0/8");
        check(Cidr, "2001:db8:AB::/32", "2001:db8::/32");
        check(Cidr, "192.0.2.7/32", "192.0.2.7");
        check(Domain, "Evil[.]Example.COM.", "evil.example.com");
        check(Domain, "xn--bcher-kva.example", "xn--bcher-kva.example");
        check(Domain, "*.dyn[.]evil[.]example", "dyn.evil.example");
        // IDNA: RFC 3492 / well-known encodings
        check(Domain, "Bücher[.]example", "xn--bcher-kva.example");
        check(Domain, "münchen.de", "xn--mnchen-3ya.de");
        check(Domain, "пример。рф", "xn--e1afmkfd.xn--p1ai");
        check(
            Url,
            "hxxps://Bücher[.]example/Pfad",
            "https://xn--bcher-kva.example/Pfad",
        );
        check(Email, "a@münchen.de", "a@xn--mnchen-3ya.de");
        check(Url, "”hxxps://evil[.]example/x“", "https://evil.example/x");
        check(
            Url,
            "HXXPS://Evil[.]Example.com:443/Login?A=B#frag",
            "https://evil.example.com/Login?A=B",
        );
        check(Url, "http://evil.example:8080", "http://evil.example:8080/");
        check(
            Url,
            "http://user@EVIL.example.:80?q",
            "http://user@evil.example/?q",
        );
        check(Url, "http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x");
        check(Url, "http://198.51.100.7/x", "http://198.51.100.7/x");
        check(
            Email,
            "Share[@]Secure-Docs[.]example",
            "share@secure-docs.example",
        );
        check(
            Md5,
            "D41D8CD98F00B204E9800998ECF8427E",
            "d41d8cd98f00b204e9800998ecf8427e",
        );
        check(Asn, "AS13335", "AS13335");
        check(Asn, "13335", "AS13335");
        check(
            UserAgent,
            "  Mozilla/5.0  (evil[.]kit)  ",
            "Mozilla/5.0 (evil[.]kit)",
        );
    }

    #[test]
    fn bad_values_say_why() {
        use ObservableKind::*;
        let msg = |k, v| parse(k, v).unwrap_err().to_string();
        assert_eq!(msg(Ipv4, "999.1.1.1"), "\"999.1.1.1\" is not an IP address");
        assert_eq!(
            msg(Ipv4, "2001:db8::1"),
            "\"2001:db8::1\" is an IPv6 address, not IPv4"
        );
        assert_eq!(
            msg(Md5, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            "\"da39a3ee5e6b4b0d3255bfef95601890afd80709\" is not an MD5 (expected 32 hex digits, found 40 (a SHA-1))"
        );
        assert!(msg(Sha256, "xyz").contains("not hex digits"));
        assert!(msg(Domain, "localhost").contains("single label"));
        assert!(msg(Domain, "bü★cher.example").contains("not letters"));
        assert!(msg(Domain, "1.2.3.999").contains("number"));
        assert!(msg(Url, "evil.example/x").contains("no scheme"));
        assert!(msg(Email, "nobody").contains("not an email"));
        assert!(msg(Asn, "ASX").contains("AS number"));
        assert_eq!(parse(Domain, "  "), Err(ValueError::Empty));
    }

    #[test]
    fn never_panics_on_odd_input() {
        let odd = [
            "",
            " ",
            "€",
            "€€x",
            "as€",
            "a€s1",
            "[",
            "[.",
            "h\u{301}xxp://",
            "://",
            "a://",
            "http://[",
            "http://[::1",
            "http://:80",
            "http://a.b:99999/",
            "@",
            "a@",
            "@b.c",
            "1.2.3.4/99",
            "::ffff:",
            "xn--",
            ".",
            "..",
            "a..b",
            "\\.",
            " at ",
            " dot ",
            "AS",
            "AS-1",
            "0x1.2.3.4",
            "\u{0}",
            "\u{feff}evil.com",
            "é.example",
        ];
        for v in odd {
            let _ = refang(v);
            let _ = parse_inferred(v);
            for k in ObservableKind::ALL {
                let _ = parse(k, v);
            }
            let _ = url_host(v);
        }
    }

    /// The byte-scanning `url_host` against the plain string splits it replaced.
    #[test]
    fn url_host_agrees_with_plain_splits() {
        fn reference(url: &str) -> Option<&str> {
            let rest = url.split_once("://")?.1;
            let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
            let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            if let Some(v6) = hostport.strip_prefix('[') {
                return v6.split(']').next();
            }
            Some(hostport.rsplit_once(':').map_or(hostport, |(h, _)| h))
        }
        let urls = [
            "https://evil.example/x",
            "https://evil.example:8443/x?y=1",
            "http://u:p@host.example:80/a@b",
            "https://u@[2001:db8::1]:8443/x",
            "https://[2001:db8::1]/x",
            "https://[2001:db8::1",
            "https://host?x=://y",
            "a:b://c/d",
            "://",
            ":/",
            "",
            "https://",
            "https://@",
            "https://:",
            "https://é.example/ü",
            "ftp://a.b.c.d:21",
            "https://x.example?q",
            "no scheme at all",
            "x://y://z/",
        ];
        for u in urls {
            assert_eq!(url_host(u), reference(u), "{u:?}");
        }
    }

    #[test]
    fn inference() {
        let kind = |v| parse_inferred(v).map(|o| o.kind());
        use ObservableKind::*;
        assert_eq!(kind("45.155.205[.]12"), Ok(Ipv4));
        assert_eq!(kind("2a09:bac5::1"), Ok(Ipv6));
        assert_eq!(kind("185.220.101.0/24"), Ok(Cidr));
        assert_eq!(kind("hxxp://evil[.]com/x"), Ok(Url));
        assert_eq!(kind("a[@]evil[.]com"), Ok(Email));
        assert_eq!(kind("evil[.]com"), Ok(Domain));
        assert_eq!(kind("d41d8cd98f00b204e9800998ecf8427e"), Ok(Md5));
        assert_eq!(kind("da39a3ee5e6b4b0d3255bfef95601890afd80709"), Ok(Sha1));
        assert_eq!(
            kind("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            Ok(Sha256)
        );
        assert_eq!(kind("AS64500"), Ok(Asn));
        assert!(matches!(
            parse_inferred("deadbeef"),
            Err(ValueError::CannotInfer { .. })
        ));
        assert!(matches!(
            parse_inferred("not a value"),
            Err(ValueError::CannotInfer { .. })
        ));
        assert_eq!(
            url_host("https://u@[2001:db8::1]:8443/x"),
            Some("2001:db8::1")
        );
        assert_eq!(
            url_host("https://evil.example:8443/x"),
            Some("evil.example")
        );
    }
}
