//! Text helpers for report analysis: sentence spans, word tokens with a light stemmer, and
//! the reduction of HTML and Markdown to plain prose.

/// Byte spans of the sentences of `text`: a line break always ends one; within a line a
/// `.`, `!` or `?` followed by a space and a capital letter, digit or quote does. Empty
/// spans are skipped.
pub fn sentences(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let push = |s: usize, e: usize, out: &mut Vec<(usize, usize)>| {
        let piece = &text[s..e];
        let lead = piece.len() - piece.trim_start().len();
        let trail = piece.len() - piece.trim_end().len();
        if e - s > lead + trail {
            out.push((s + lead, e - trail));
        }
    };
    while i < b.len() {
        let c = b[i];
        if c == b'\n' || c == b'\r' {
            push(start, i, &mut out);
            start = i + 1;
        } else if matches!(c, b'.' | b'!' | b'?')
            && b.get(i + 1) == Some(&b' ')
            && b.get(i + 2).is_some_and(|n| {
                n.is_ascii_uppercase() || n.is_ascii_digit() || matches!(n, b'"' | b'(' | b'[')
            })
            // `e.g. Foo`, `U.S. Army`, `Fig. 3`: a one- or two-letter word before the
            // stop is an abbreviation.
            && !abbreviation_before(b, i)
        {
            push(start, i + 1, &mut out);
            start = i + 2;
            i += 1;
        }
        i += 1;
    }
    push(start, b.len(), &mut out);
    out
}

fn abbreviation_before(b: &[u8], dot: usize) -> bool {
    let mut s = dot;
    while s > 0 && b[s - 1].is_ascii_alphabetic() {
        s -= 1;
    }
    let word = &b[s..dot];
    word.len() <= 2 && word.first().is_some_and(u8::is_ascii_alphabetic)
        || word.eq_ignore_ascii_case(b"fig")
        || word.eq_ignore_ascii_case(b"vs")
}

/// English words that carry no meaning for matching.
const STOPWORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been",
    "before", "being", "but", "by", "can", "could", "did", "do", "does", "each", "for", "from",
    "had", "has", "have", "he", "her", "his", "how", "if", "in", "into", "is", "it", "its", "may",
    "more", "most", "no", "not", "of", "on", "once", "one", "only", "or", "other", "our", "out",
    "over", "she", "so", "some", "such", "than", "that", "the", "their", "them", "then", "there",
    "these", "they", "this", "those", "through", "to", "under", "up", "use", "used", "uses",
    "using", "via", "was", "we", "were", "what", "when", "where", "which", "while", "who", "will",
    "with", "would", "you", "your", "which", "both", "well", "has", "new", "see", "figure", "http",
    "https", "www", "com",
];

/// Lower-cased, lightly stemmed word tokens of `text` (ASCII letters and digits; tokens of
/// one character, pure numbers and stopwords are skipped).
pub fn tokens(text: &str, out: &mut Vec<String>) {
    out.clear();
    for word in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() > 1)
    {
        if word.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let lower = word.to_ascii_lowercase();
        if STOPWORDS.contains(&lower.as_str()) {
            continue;
        }
        out.push(stem(&lower));
    }
}

/// A light suffix stripper: `injects`, `injected`, `injecting`, `injection` → `inject`.
pub fn stem(w: &str) -> String {
    let n = w.len();
    for (suffix, min) in [
        ("ations", 7),
        ("ation", 6),
        ("ions", 6),
        ("ion", 6),
        ("ing", 6),
        ("ers", 6),
        ("ed", 5),
        ("es", 5),
        ("er", 5),
        ("ly", 5),
        ("s", 4),
    ] {
        if n >= min && w.ends_with(suffix) && !w.ends_with("ss") {
            return w[..n - suffix.len()].to_owned();
        }
    }
    w.to_owned()
}

/// Whether `text` looks like HTML (a tag near the start or an `<html`/`<body`/`<p>` tag).
pub fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(2048)
        .collect::<String>()
        .to_ascii_lowercase();
    let t = head.trim_start();
    t.starts_with("<!doctype html")
        || t.starts_with("<html")
        || head.contains("<body")
        || head.contains("<p>")
        || head.contains("<div")
}

/// Markdown reduced to prose: `[text](url)` keeps the text and the URL (an indicator may be
/// in it), emphasis markers and heading hashes go, code fences and tables stay as lines.
pub fn markdown_to_text(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    for line in md.lines() {
        let l = line.trim_start();
        let l = l.trim_start_matches('#').trim_start();
        let l = l
            .strip_prefix("* ")
            .or_else(|| l.strip_prefix("- "))
            .unwrap_or(l);
        let mut s = String::with_capacity(l.len());
        let mut rest = l;
        while let Some(open) = rest.find('[') {
            s.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            if let Some(close) = after.find("](")
                && let Some(end) = after[close + 2..].find(')')
            {
                let label = &after[..close];
                let url = &after[close + 2..close + 2 + end];
                s.push_str(label);
                if !url.is_empty() && url != label {
                    s.push_str(" (");
                    s.push_str(url);
                    s.push(')');
                }
                rest = &after[close + 2 + end + 1..];
            } else {
                s.push('[');
                rest = after;
            }
        }
        s.push_str(rest);
        out.push_str(&s.replace("**", "").replace("__", ""));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_at_stops_and_lines() {
        let t =
            "The actor used e.g. PowerShell. Then it ran 3 tasks! Done\nNext line. U.S. Army too.";
        let s: Vec<&str> = sentences(t).into_iter().map(|(a, b)| &t[a..b]).collect();
        assert_eq!(
            s,
            [
                "The actor used e.g. PowerShell.",
                "Then it ran 3 tasks!",
                "Done",
                "Next line.",
                "U.S. Army too."
            ]
        );
    }

    #[test]
    fn tokens_are_stemmed_and_filtered() {
        let mut out = Vec::new();
        tokens(
            "The malware injects code into the process, and injected 2 DLLs using APIs.",
            &mut out,
        );
        assert_eq!(
            out,
            [
                "malware", "inject", "code", "process", "inject", "dll", "api"
            ]
        );
    }

    #[test]
    fn markdown_keeps_text_and_urls() {
        let md = "## Heading\n* **Bold** see [the post](https://x.example/p) and [x](x)";
        assert_eq!(
            markdown_to_text(md),
            "Heading\nBold see the post (https://x.example/p) and x\n"
        );
    }
}
