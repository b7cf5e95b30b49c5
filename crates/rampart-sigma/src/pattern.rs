//! Sigma strings: escapes, wildcards, the string transformations (windash, base64, utf16)
//! and the compiled string matcher.

use std::borrow::Cow;

/// The five dashes `windash` permutes.
pub(crate) const DASHES: &[char] = &['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// One element of a Sigma string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Lit(char),
    /// `*`: any run of characters, including none.
    Star,
    /// `?`: exactly one character.
    One,
    /// One of a set of characters (windash).
    AnyOf(&'static [char]),
}

/// Parses a Sigma string value: `\*`, `\?` and `\\` escape; any other backslash is literal.
pub(crate) fn parse_sigma_string(s: &str) -> Vec<Piece> {
    let mut out = Vec::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    out.push(Piece::Lit(n));
                    it.next();
                }
                _ => out.push(Piece::Lit('\\')),
            },
            '*' => out.push(Piece::Star),
            '?' => out.push(Piece::One),
            c => out.push(Piece::Lit(c)),
        }
    }
    out
}

/// The literal text, if the string has no wildcards.
pub(crate) fn plain_text(p: &[Piece]) -> Option<String> {
    p.iter()
        .map(|x| match x {
            Piece::Lit(c) => Some(*c),
            _ => None,
        })
        .collect()
}

pub(crate) fn literal(s: &str) -> Vec<Piece> {
    s.chars().map(Piece::Lit).collect()
}

/// `windash`: a `-` or `/` at the start of a word (regex `\B[-/]\b`) matches any of the
/// five dash characters.
pub(crate) fn windash(p: &mut [Piece]) {
    let word =
        |x: Option<&Piece>| matches!(x, Some(Piece::Lit(c)) if c.is_alphanumeric() || *c == '_');
    for i in 0..p.len() {
        if matches!(p[i], Piece::Lit('-' | '/'))
            && !word(i.checked_sub(1).and_then(|j| p.get(j)))
            && word(p.get(i + 1))
        {
            p[i] = Piece::AnyOf(DASHES);
        }
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `base64offset`: the three encodings of `bytes` at byte offsets 0, 1 and 2 within a
/// base64 stream, trimmed to the characters that do not depend on the neighbours.
pub(crate) fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    let start = [0usize, 2, 3];
    let end_trim = [0usize, 3, 2];
    (0..3)
        .map(|i| {
            let mut padded = vec![b' '; i];
            padded.extend_from_slice(bytes);
            let enc = base64(&padded);
            let trim = end_trim[(bytes.len() + i) % 3];
            let end = enc.len().saturating_sub(trim);
            enc.get(start[i]..end.max(start[i]))
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

pub(crate) fn utf16(s: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 2 + 2);
    if bom {
        out.extend_from_slice(&[0xFF, 0xFE]);
    }
    for u in s.encode_utf16() {
        if big_endian {
            out.extend_from_slice(&u.to_be_bytes());
        } else {
            out.extend_from_slice(&u.to_le_bytes());
        }
    }
    out
}

/// A compiled string pattern, matched against a whole value.
#[derive(Debug, Clone)]
pub(crate) struct StrPattern {
    kind: Kind,
    cased: bool,
}

#[derive(Debug, Clone)]
enum Kind {
    Exact(String),
    Prefix(String),
    Suffix(String),
    /// A substring, with its searcher built once.
    Contains(Box<memchr::memmem::Finder<'static>>),
    /// Literal segments separated by `*`: first anchored at the start unless empty, last at
    /// the end unless empty.
    Segments(Vec<String>),
    /// General glob with `?` or character sets.
    Glob(Vec<Piece>),
}

/// How uncased patterns fold event text before comparing (also used by the pre-filter, so
/// that it searches exactly the text the matcher compares).
pub(crate) fn fold(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        // ASCII's lower case is its ASCII lower case.
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(s.to_ascii_lowercase())
        } else {
            Cow::Borrowed(s)
        }
    } else if s.chars().any(|c| c.is_uppercase()) {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// An event text for the string patterns of one item: whether it is ASCII, and its
/// [`fold`]ed form computed at most once, when a pattern needs it.
pub(crate) struct Text<'t> {
    raw: &'t str,
    ascii: bool,
    folded: std::cell::OnceCell<Cow<'t, str>>,
}

impl<'t> Text<'t> {
    pub(crate) fn new(raw: &'t str) -> Self {
        Text {
            raw,
            ascii: raw.is_ascii(),
            folded: std::cell::OnceCell::new(),
        }
    }

    fn folded(&self) -> &str {
        self.folded.get_or_init(|| fold(self.raw))
    }
}

impl StrPattern {
    pub(crate) fn new(pieces: &[Piece], cased: bool) -> Self {
        let norm = |s: String| if cased { s } else { s.to_lowercase() };
        let simple = pieces
            .iter()
            .all(|p| matches!(p, Piece::Lit(_) | Piece::Star));
        if !simple {
            let pieces = pieces
                .iter()
                .map(|p| match p {
                    Piece::Lit(c) if !cased => {
                        let mut l = c.to_lowercase();
                        match (l.next(), l.next()) {
                            (Some(x), None) => Piece::Lit(x),
                            _ => Piece::Lit(*c),
                        }
                    }
                    other => other.clone(),
                })
                .collect();
            return StrPattern {
                kind: Kind::Glob(pieces),
                cased,
            };
        }
        let mut segs: Vec<String> = vec![String::new()];
        for p in pieces {
            match p {
                Piece::Lit(c) => {
                    if let Some(last) = segs.last_mut() {
                        last.push(*c);
                    }
                }
                _ => {
                    // Collapse runs of `*`.
                    if segs.len() == 1 || segs.last().is_some_and(|s| !s.is_empty()) {
                        segs.push(String::new());
                    }
                }
            }
        }
        let mut segs: Vec<String> = segs.into_iter().map(norm).collect();
        let kind = match segs.len() {
            1 => Kind::Exact(segs.remove(0)),
            2 if segs[1].is_empty() => Kind::Prefix(segs.remove(0)),
            2 if segs[0].is_empty() => Kind::Suffix(segs.remove(1)),
            3 if segs[0].is_empty() && segs[2].is_empty() => Kind::Contains(Box::new(
                memchr::memmem::Finder::new(segs[1].as_bytes()).into_owned(),
            )),
            _ => Kind::Segments(segs),
        };
        StrPattern { kind, cased }
    }

    /// A literal every matching value contains, in the form the pre-filter searches for
    /// (see [`fold`]): lower case, or `None` when the pattern has no usable literal (only
    /// wildcards, or a cased non-ASCII literal whose folding depends on context).
    pub(crate) fn required_literal(&self) -> Option<String> {
        let lit: String = match &self.kind {
            Kind::Exact(s) | Kind::Prefix(s) | Kind::Suffix(s) => s.clone(),
            Kind::Contains(f) => String::from_utf8_lossy(f.needle()).into_owned(),
            Kind::Segments(segs) => segs
                .iter()
                .max_by_key(|s| s.len())
                .cloned()
                .unwrap_or_default(),
            Kind::Glob(pieces) => {
                // Longest run of literal characters. Uncased pieces were lower-cased one
                // character at a time; a character left in upper case (its lower case is
                // several characters) ends a run.
                let mut best = String::new();
                let mut cur = String::new();
                for p in pieces {
                    match p {
                        Piece::Lit(c) if self.cased || !c.is_uppercase() => cur.push(*c),
                        _ => {
                            if cur.len() > best.len() {
                                best = std::mem::take(&mut cur);
                            }
                            cur.clear();
                        }
                    }
                }
                if cur.len() > best.len() {
                    best = cur;
                }
                best
            }
        };
        if lit.is_empty() {
            return None;
        }
        if self.cased {
            // The value contains `lit` exactly; its folded form contains the ASCII-lowered
            // literal only when the literal is ASCII.
            return lit.is_ascii().then(|| lit.to_ascii_lowercase());
        }
        Some(lit)
    }

    /// For a pattern matching one whole value (no wildcard), that value as [`fold`] gives
    /// it: a value matches only when its folded form equals this.
    pub(crate) fn exact_key(&self) -> Option<String> {
        match &self.kind {
            Kind::Exact(s) if self.cased => Some(fold(s).into_owned()),
            Kind::Exact(s) => Some(s.clone()),
            _ => None,
        }
    }

    pub(crate) fn is_match(&self, value: &str) -> bool {
        self.is_match_text(&Text::new(value))
    }

    /// [`StrPattern::is_match`] on a [`Text`] (shared by the patterns of one item).
    pub(crate) fn is_match_text(&self, t: &Text<'_>) -> bool {
        if self.cased {
            return self.match_prepared(t.raw);
        }
        if t.ascii {
            // ASCII text folds to its ASCII lower case, and an uncased pattern's literals
            // hold no ASCII upper case: compare ASCII-case-insensitively, without folding.
            let v = t.raw.as_bytes();
            let eq =
                |a: Option<&[u8]>, b: &str| a.is_some_and(|a| a.eq_ignore_ascii_case(b.as_bytes()));
            match &self.kind {
                Kind::Exact(s) => return v.eq_ignore_ascii_case(s.as_bytes()),
                Kind::Prefix(s) => return eq(v.get(..s.len()), s),
                Kind::Suffix(s) => {
                    return eq(v.len().checked_sub(s.len()).and_then(|i| v.get(i..)), s);
                }
                _ => {}
            }
        }
        self.match_prepared(t.folded())
    }

    fn match_prepared(&self, v: &str) -> bool {
        match &self.kind {
            Kind::Exact(s) => v == s,
            Kind::Prefix(s) => v.starts_with(s.as_str()),
            Kind::Suffix(s) => v.ends_with(s.as_str()),
            Kind::Contains(f) => f.find(v.as_bytes()).is_some(),
            Kind::Segments(segs) => segments_match(segs, v),
            Kind::Glob(p) => {
                let chars: Vec<char> = v.chars().collect();
                glob_match(p, &chars)
            }
        }
    }
}

fn segments_match(segs: &[String], v: &str) -> bool {
    let (Some(first), Some(last)) = (segs.first(), segs.last()) else {
        return true;
    };
    if segs.len() == 1 {
        return v == first;
    }
    if !v.starts_with(first.as_str()) {
        return false;
    }
    let mut rest = &v[first.len()..];
    if rest.len() < last.len() || !rest.ends_with(last.as_str()) {
        return false;
    }
    rest = &rest[..rest.len() - last.len()];
    for mid in &segs[1..segs.len() - 1] {
        match memchr::memmem::find(rest.as_bytes(), mid.as_bytes()) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// Glob matching with one backtrack point per `*` (linear in practice).
fn glob_match(p: &[Piece], v: &[char]) -> bool {
    let (mut pi, mut vi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        let ok = match p.get(pi) {
            Some(Piece::Lit(c)) => *c == v[vi],
            Some(Piece::One) => true,
            Some(Piece::AnyOf(set)) => set.contains(&v[vi]),
            Some(Piece::Star) => {
                star = Some((pi, vi));
                pi += 1;
                continue;
            }
            None => false,
        };
        if ok {
            pi += 1;
            vi += 1;
        } else if let Some((sp, sv)) = star {
            pi = sp + 1;
            vi = sv + 1;
            star = Some((sp, sv + 1));
        } else {
            return false;
        }
    }
    p[pi.min(p.len())..].iter().all(|x| *x == Piece::Star)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pat: &str, v: &str) -> bool {
        StrPattern::new(&parse_sigma_string(pat), false).is_match(v)
    }

    #[test]
    fn escapes() {
        assert_eq!(parse_sigma_string(r"\*"), vec![Piece::Lit('*')]);
        assert_eq!(parse_sigma_string(r"\?"), vec![Piece::Lit('?')]);
        assert_eq!(parse_sigma_string(r"\\"), vec![Piece::Lit('\\')]);
        assert_eq!(
            parse_sigma_string(r"\W"),
            vec![Piece::Lit('\\'), Piece::Lit('W')]
        );
        assert_eq!(
            parse_sigma_string(r"\\*"),
            vec![Piece::Lit('\\'), Piece::Star]
        );
        assert_eq!(
            parse_sigma_string(r"\\\*"),
            vec![Piece::Lit('\\'), Piece::Lit('*')]
        );
        assert_eq!(
            parse_sigma_string(r"\\\\"),
            vec![Piece::Lit('\\'), Piece::Lit('\\')]
        );
        assert_eq!(
            parse_sigma_string(r"\\\"),
            vec![Piece::Lit('\\'), Piece::Lit('\\')]
        );
        assert_eq!(
            parse_sigma_string("a\\"),
            vec![Piece::Lit('a'), Piece::Lit('\\')]
        );
    }

    #[test]
    fn wildcards() {
        assert!(m("abc", "ABC"));
        assert!(!m("abc", "abcd"));
        assert!(m("a*", "abcd"));
        assert!(m("*d", "abcd"));
        assert!(m("*bc*", "abcd"));
        assert!(m("a*c*e", "abxcyyye"));
        assert!(!m("a*c*e", "abxcyyyf"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*", ""));
        assert!(m("**", "x"));
        assert!(m("a**b", "ab"));
        assert!(!m("", "x"));
        assert!(m("", ""));
        assert!(m(r"a\*b", "a*b"));
        assert!(!m(r"a\*b", "axb"));
        assert!(m(r"a\?b", "a?b"));
        assert!(!m(r"a\?b", "axb"));
        // `\*` is an escaped star; `\\*` is a backslash then a wildcard.
        assert!(!m(r"C:\Windows\*", r"c:\windows\system32"));
        assert!(m(r"C:\Windows\*", r"c:\windows*"));
        assert!(m(r"C:\Windows\\*", r"c:\windows\system32"));
        assert!(m("*?", "x"));
        assert!(!m("*?", ""));
        assert!(m("ä*", "Äpfel"));
        assert!(m("a*b?d*", "aXXbcdYY"));
        // Segments must not overlap the anchored ends.
        assert!(!m("ab*ba", "aba"));
    }

    #[test]
    fn cased() {
        let p = StrPattern::new(&parse_sigma_string("AbC"), true);
        assert!(p.is_match("AbC"));
        assert!(!p.is_match("abc"));
    }

    #[test]
    fn windash_marks_word_leading_dashes() {
        let mut p = parse_sigma_string("-param-1 /x");
        windash(&mut p);
        let sp = StrPattern::new(&p, false);
        assert!(sp.is_match("/param-1 -x"));
        assert!(sp.is_match("\u{2013}param-1 \u{2015}x"));
        assert!(!sp.is_match("-param/1 -x"));
    }

    #[test]
    fn base64_encodings() {
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b""), "");
        assert_eq!(
            base64_offsets(b"foobar"),
            vec!["Zm9vYmFy", "Zvb2Jhc", "mb29iYX"]
        );
        assert_eq!(utf16("A", false, false), vec![0x41, 0]);
        assert_eq!(utf16("A", true, false), vec![0, 0x41]);
        assert_eq!(utf16("A", false, true), vec![0xFF, 0xFE, 0x41, 0]);
    }
}
