//! An optional language model for the summary's prose, kept honest.
//!
//! This module does no network I/O: it writes the chat messages ([`prompt`]), reads the
//! model's answer ([`parse_reply`]) and decides which of its sentences may replace the
//! extractive ones ([`apply`]). The caller (the binary) talks to the endpoint.
//!
//! The model may write only the prose fields (identification, associations, operations,
//! scope, victims, implications, recommendations). Indicators and ATT&CK ids always come
//! from the deterministic extractor and mapper: the model's answer has no field for them,
//! and a sentence that names one they did not find is dropped.
//!
//! **The support check** ([`Grounding::check`]): a sentence the model wrote is kept only
//! when the report supports it:
//!
//! 1. every indicator in it (the same extractor, reserved addresses included) was found in
//!    the report;
//! 2. every ATT&CK id in it (`T1234`, `T1234.001`, `G0007`, `S0154`, …) was mapped from the
//!    report or is written in it;
//! 3. every number in it (`20`, `2024`, `5%`) is written in the report;
//! 4. every name in it (a capitalised word that does not start the sentence, an acronym, a
//!    word with inner capitals or digits) is written in the report, or is the name of an
//!    actor, malware, tool or technique found in it;
//! 5. at least 80 % of its content words (not stopwords; stemmed, so `compromised` is
//!    supported by `compromise`) occur in the report or in those found names; sentences of
//!    fewer than five content words must have all of them.
//!
//! A dropped sentence is reported with the rule it broke; a field whose sentences are all
//! dropped keeps its extractive sentences.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::analysis::Analysis;
use super::iocs::{ExtractOptions, extract};
use super::text::{sentences, stem};

/// The prose fields a model may write.
pub const FIELDS: [&str; 7] = [
    "identification",
    "associations",
    "operations",
    "scope",
    "victims",
    "implications",
    "recommended",
];

/// How much report text goes into the prompt (bytes, cut at a character boundary).
pub const MAX_PROMPT_TEXT: usize = 24_000;

/// One chat message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

/// The model's answer: each prose field as a list of sentences.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Prose {
    pub identification: Vec<String>,
    pub associations: Vec<String>,
    pub operations: Vec<String>,
    pub scope: Vec<String>,
    pub victims: Vec<String>,
    pub implications: Vec<String>,
    pub recommended: Vec<String>,
}

/// The model's answer could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    #[error("the model's answer holds no JSON object")]
    NoJson,
    #[error("the model's answer is not the expected JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// A sentence the model wrote that the report does not support.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dropped {
    pub field: String,
    pub sentence: String,
    pub reason: String,
}

/// What [`apply`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LlmNote {
    /// The model's name.
    pub model: String,
    /// Sentences kept, per field.
    pub kept: usize,
    pub dropped: Vec<Dropped>,
    /// Fields whose text now comes from the model.
    pub fields: Vec<String>,
}

fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The chat messages: the rules, the facts the extractor found, and the report text.
pub fn prompt(analysis: &Analysis, text: &str) -> Vec<ChatMessage> {
    let system = "You summarise cyber threat reports for a security operations centre. \
Use only facts stated in the report text; never add facts, names, numbers, dates or opinions \
that the text does not state. Do not write indicators of compromise (IP addresses, domains, \
URLs, e-mail addresses, hashes) or MITRE ATT&CK ids: those are listed separately. Answer with \
one JSON object and nothing else, with exactly these keys, each a list of at most three short \
declarative sentences (an empty list when the text says nothing about it): identification \
(who the threat actor is), associations (links to other groups, sponsors), operations \
(campaigns and what the actor did), scope (how many or which victims, how far it reached), \
victims, implications (what it means for defenders, as the text says), recommended (what the \
text recommends doing).";
    let names = |v: &[super::entities::EntityHit]| -> String {
        if v.is_empty() {
            "none found".to_owned()
        } else {
            v.iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let techniques: Vec<String> = analysis
        .techniques
        .iter()
        .take(15)
        .map(|t| t.name.clone())
        .collect();
    let user = format!(
        "Facts already extracted from the report:\n- actor: {}\n- other actors and campaigns: {}\n- malware: {}\n- tools: {}\n- behaviours: {}\n\nReport text:\n{}",
        analysis.title,
        names(
            &[
                analysis.actors.iter().skip(1).cloned().collect::<Vec<_>>(),
                analysis.campaigns.clone()
            ]
            .concat()
        ),
        names(&analysis.malware),
        names(&analysis.tools),
        if techniques.is_empty() {
            "none found".to_owned()
        } else {
            techniques.join(", ")
        },
        cut(text, MAX_PROMPT_TEXT)
    );
    vec![
        ChatMessage {
            role: "system".into(),
            content: system.into(),
        },
        ChatMessage {
            role: "user".into(),
            content: user,
        },
    ]
}

/// Reads the model's answer: the outermost JSON object in it (models often wrap it in a
/// Markdown code fence or a sentence).
pub fn parse_reply(content: &str) -> Result<Prose, ReplyError> {
    let start = content.find('{').ok_or(ReplyError::NoJson)?;
    let end = content.rfind('}').ok_or(ReplyError::NoJson)?;
    if end < start {
        return Err(ReplyError::NoJson);
    }
    Ok(serde_json::from_str(&content[start..=end])?)
}

/// Words a summary uses to talk about a report; they need no support in the text.
const REPORTING_WORDS: &[&str] = &[
    "report",
    "text",
    "article",
    "describe",
    "described",
    "describes",
    "state",
    "states",
    "stated",
    "note",
    "notes",
    "noted",
    "mention",
    "mentions",
    "mentioned",
    "according",
    "actor",
    "actors",
    "threat",
    "group",
    "specific",
    "specified",
];

/// Stopwords for the support check: function words carry no claim.
const FUNCTION_WORDS: &[&str] = &[
    "a",
    "about",
    "after",
    "against",
    "all",
    "also",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "being",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "during",
    "each",
    "either",
    "for",
    "from",
    "had",
    "has",
    "have",
    "he",
    "her",
    "his",
    "how",
    "however",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "may",
    "might",
    "more",
    "most",
    "no",
    "nor",
    "not",
    "of",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "thus",
    "to",
    "too",
    "under",
    "until",
    "up",
    "upon",
    "very",
    "via",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "without",
    "would",
    "yet",
    "you",
    "your",
    "while",
    "including",
    "use",
    "used",
    "uses",
    "using",
    "s",
];

/// The stem used for support: the light stemmer, then a trailing `e` dropped
/// (`compromise` and `compromised` meet).
fn key(word: &str) -> String {
    let s = stem(&word.to_ascii_lowercase());
    s.strip_suffix('e')
        .filter(|r| r.len() >= 3)
        .map_or(s.clone(), str::to_owned)
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
        .flat_map(|w| w.split('-'))
        .map(|w| w.trim_matches('\'').trim_end_matches("'s"))
        .filter(|w| !w.is_empty())
}

fn is_attack_id(w: &str) -> bool {
    let b = w.as_bytes();
    b.len() >= 5
        && matches!(b[0], b'T' | b'G' | b'S' | b'C' | b'M' | b't')
        && b[1..5].iter().all(u8::is_ascii_digit)
        && (b.len() == 5 || (b.len() == 9 && b[5] == b'.' && b[6..].iter().all(u8::is_ascii_digit)))
}

/// What a report supports: its words (as typed and stemmed), its numbers, its indicators and
/// ATT&CK ids, and the names the deterministic analysis found.
#[derive(Clone, Debug, Default)]
pub struct Grounding {
    /// Lower-cased words of the text and of the found names.
    lower: HashSet<String>,
    /// Their stems.
    stems: HashSet<String>,
    /// Indicator values (normalized) found or dropped in the text.
    iocs: HashSet<String>,
    /// ATT&CK ids mapped from the text or written in it.
    ids: HashSet<String>,
}

impl Grounding {
    /// The support of `text`, with the names and techniques `analysis` found in it.
    pub fn new(analysis: &Analysis, text: &str) -> Grounding {
        let mut g = Grounding::default();
        let add_words = |s: &str, g: &mut Grounding| {
            for w in words(s) {
                g.lower.insert(w.to_lowercase());
                g.stems.insert(key(w));
            }
        };
        add_words(text, &mut g);
        let names = analysis
            .actors
            .iter()
            .chain(&analysis.campaigns)
            .chain(&analysis.malware)
            .chain(&analysis.tools);
        for e in names {
            add_words(&e.name, &mut g);
            for m in &e.mentioned_as {
                add_words(m, &mut g);
            }
            if let Some(id) = &e.attack_id {
                g.ids.insert(id.to_ascii_uppercase());
            }
        }
        for t in &analysis.techniques {
            add_words(&t.name, &mut g);
            g.ids.insert(t.id.clone());
        }
        add_words(&analysis.title, &mut g);
        for w in words(text) {
            if is_attack_id(w) {
                g.ids.insert(w.to_ascii_uppercase());
            }
        }
        for i in &analysis.iocs.iocs {
            g.iocs.insert(i.value.clone());
        }
        for d in &analysis.iocs.dropped {
            g.iocs.insert(d.value.clone());
        }
        g
    }

    /// `Ok` when the report supports the sentence, else the rule it breaks.
    pub fn check(&self, sentence: &str) -> Result<(), String> {
        let opts = ExtractOptions {
            keep_reserved_ips: true,
            ..ExtractOptions::default()
        };
        let x = extract(sentence, &opts);
        for i in &x.iocs {
            if !self.iocs.contains(&i.value) {
                return Err(format!(
                    "names the {} {}, which the report does not",
                    i.kind.as_str(),
                    i.value
                ));
            }
        }
        let mut content = 0usize;
        let mut unsupported: Vec<&str> = Vec::new();
        for (n, w) in words(sentence).enumerate() {
            let lower = w.to_lowercase();
            if is_attack_id(w) {
                if !self.ids.contains(&w.to_ascii_uppercase()) {
                    return Err(format!(
                        "names the ATT&CK id {w}, which the report does not"
                    ));
                }
                continue;
            }
            if w.chars().any(|c| c.is_ascii_digit()) {
                if !self.lower.contains(&lower) {
                    return Err(format!("states the number {w}, which the report does not"));
                }
                continue;
            }
            let first = w.chars().next().is_some_and(char::is_uppercase);
            let inner = w.chars().skip(1).any(char::is_uppercase);
            let is_name = (first && n > 0) || inner;
            if is_name && !FUNCTION_WORDS.contains(&lower.as_str()) {
                if !self.lower.contains(&lower) {
                    return Err(format!("names {w}, which the report does not"));
                }
                continue;
            }
            if lower.chars().count() < 2
                || FUNCTION_WORDS.contains(&lower.as_str())
                || REPORTING_WORDS.contains(&lower.as_str())
            {
                continue;
            }
            content += 1;
            if !self.lower.contains(&lower) && !self.stems.contains(&key(w)) {
                unsupported.push(w);
            }
        }
        let allowed = if content < 5 { 0 } else { content / 5 };
        if unsupported.len() > allowed {
            return Err(format!(
                "words not in the report: {} (of {content} content words)",
                unsupported.join(", ")
            ));
        }
        Ok(())
    }
}

fn field<'a>(a: &'a mut Analysis, name: &str) -> Option<&'a mut Vec<String>> {
    Some(match name {
        "identification" => &mut a.identification,
        "associations" => &mut a.associations,
        "operations" => &mut a.operations,
        "scope" => &mut a.scope,
        "victims" => &mut a.victims,
        "implications" => &mut a.implications,
        "recommended" => &mut a.recommended,
        _ => return None,
    })
}

/// Replaces the prose fields of `analysis` with the model's supported sentences (a field
/// whose sentences are all unsupported keeps the extractive ones), and records what was
/// dropped in `analysis.llm`.
pub fn apply(analysis: &mut Analysis, prose: Prose, text: &str, model: &str) -> LlmNote {
    let grounding = Grounding::new(analysis, text);
    let mut note = LlmNote {
        model: model.to_owned(),
        ..LlmNote::default()
    };
    let given = [
        ("identification", prose.identification),
        ("associations", prose.associations),
        ("operations", prose.operations),
        ("scope", prose.scope),
        ("victims", prose.victims),
        ("implications", prose.implications),
        ("recommended", prose.recommended),
    ];
    for (name, items) in given {
        let mut kept: Vec<String> = Vec::new();
        for item in items {
            // One list item may hold several sentences; each is checked alone.
            for (s, e) in sentences(&item) {
                let sentence = item[s..e].trim();
                if sentence.is_empty() {
                    continue;
                }
                match grounding.check(sentence) {
                    Ok(()) => {
                        if !kept.iter().any(|k| k == sentence) {
                            kept.push(sentence.to_owned());
                        }
                    }
                    Err(reason) => note.dropped.push(Dropped {
                        field: name.to_owned(),
                        sentence: sentence.to_owned(),
                        reason,
                    }),
                }
            }
        }
        if !kept.is_empty()
            && let Some(slot) = field(analysis, name)
        {
            note.kept += kept.len();
            note.fields.push(name.to_owned());
            *slot = kept;
        }
    }
    analysis.llm = Some(note.clone());
    note
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{AnalyzeOptions, Analyzer};

    const TEXT: &str = "SonicWall has blamed an unnamed, state-sponsored collective for the \
September break-in that saw cybercriminals rifle through a cache of firewall configuration \
backups. Fewer than 5 percent of the firewall installed base had files accessed. The intruders \
reached the cloud backup service through an API call.";

    fn grounding() -> Grounding {
        let a = Analyzer::new().unwrap();
        let x = a.analyze(TEXT, &AnalyzeOptions::default());
        Grounding::new(&x, TEXT)
    }

    #[test]
    fn paraphrases_of_the_text_are_supported() {
        let g = grounding();
        for s in [
            "SonicWall blamed an unnamed state-sponsored collective for the September break-in.",
            "The intruders accessed firewall configuration backups through an API call.",
            "Fewer than 5 percent of the installed base had files accessed.",
        ] {
            assert_eq!(g.check(s), Ok(()), "{s}");
        }
    }

    #[test]
    fn invented_facts_are_not() {
        let g = grounding();
        for (s, why) in [
            (
                "The collective is linked to Lazarus Group.",
                "names Lazarus",
            ),
            (
                "The break-in affected 40 percent of customers.",
                "number 40",
            ),
            (
                "The intruders deployed ransomware that encrypted hospital servers.",
                "words not in the report",
            ),
            ("They used T1190 to get in.", "ATT&CK id T1190"),
            (
                "The intruders reached 45.77.12.34 through an API call.",
                "ipv4 45.77.12.34",
            ),
        ] {
            let err = g.check(s).expect_err(s);
            assert!(err.contains(why), "{s}: {err}");
        }
    }

    #[test]
    fn replies_are_read_inside_fences_and_applied_field_by_field() {
        let reply = "Here it is:\n```json\n{\"identification\": [\"An unnamed, state-sponsored collective was blamed by SonicWall.\"], \"implications\": [\"The attackers are tied to North Korea.\"], \"scope\": []}\n```";
        let prose = parse_reply(reply).unwrap();
        assert_eq!(prose.identification.len(), 1);
        assert!(parse_reply("no json here").is_err());
        let a = Analyzer::new().unwrap();
        let mut x = a.analyze(TEXT, &AnalyzeOptions::default());
        let before = x.implications.clone();
        let note = apply(&mut x, prose, TEXT, "m");
        assert_eq!(
            x.identification,
            ["An unnamed, state-sponsored collective was blamed by SonicWall."]
        );
        assert_eq!(
            x.implications, before,
            "all dropped: the extractive ones stay"
        );
        assert_eq!(note.kept, 1);
        assert_eq!(note.dropped.len(), 1);
        assert!(note.dropped[0].reason.contains("North"), "{note:?}");
        assert_eq!(note.fields, ["identification"]);
    }
}
