//! The "Analysis Summary" of a report: its actor, activity, techniques, targets, tools,
//! implications and mitigations, each statement taken from the text (extractive) or from
//! the ATT&CK knowledge base and labelled as such. Where the text says nothing, the summary
//! says "None specified in the provided text." and invents nothing.

use std::collections::BTreeMap;

use serde::Serialize;

use super::attack::AttackKb;
use super::entities::{EntityHit, EntityKind, Gazetteer};
use super::iocs::{ExtractOptions, Extraction, IocKind, extract};
use super::mapper::{Evidence, Mapper, MapperConfig, TechniqueHit};
use super::text::sentences;

/// What the summary says where the text says nothing.
pub const NONE: &str = "None specified in the provided text.";

/// The analysis of one report.
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    /// `# Threat Actor: …`.
    pub title: String,
    pub actors: Vec<EntityHit>,
    pub campaigns: Vec<EntityHit>,
    pub identification: Vec<String>,
    pub aliases: Vec<String>,
    pub associations: Vec<String>,
    pub operations: Vec<String>,
    pub scope: Vec<String>,
    /// Sentences describing what the actor did (the evidence of the techniques found).
    pub ttps: Vec<String>,
    pub techniques: Vec<TechniqueHit>,
    pub sectors: Vec<Labelled>,
    pub geography: Vec<Labelled>,
    pub victims: Vec<String>,
    pub malware: Vec<EntityHit>,
    pub tools: Vec<EntityHit>,
    pub infrastructure: Vec<String>,
    pub implications: Vec<String>,
    /// What the text itself recommends.
    pub recommended: Vec<String>,
    /// ATT&CK mitigations of the techniques found.
    pub attack_mitigations: Vec<AttackMitigation>,
    pub iocs: Extraction,
    /// When a language model wrote prose fields: which, and the sentences dropped as not
    /// supported by the text (see [`super::llm`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm: Option<super::llm::LlmNote>,
}

/// A value with the sentence that names it.
#[derive(Clone, Debug, Serialize)]
pub struct Labelled {
    pub value: String,
    pub evidence: String,
}

/// An ATT&CK mitigation of techniques found in the text.
#[derive(Clone, Debug, Serialize)]
pub struct AttackMitigation {
    pub id: String,
    pub name: String,
    pub techniques: Vec<String>,
}

/// What an analysis needs: the mapper (with its knowledge base) and the gazetteer.
#[derive(Debug)]
pub struct Analyzer {
    pub mapper: Mapper,
    pub gazetteer: Gazetteer,
    pub config: MapperConfig,
}

/// Options for one analysis.
#[derive(Clone, Copy, Debug, Default)]
pub struct AnalyzeOptions<'a> {
    pub extract: ExtractOptions<'a>,
}

fn any_word(lower: &str, words: &[&str]) -> bool {
    words.iter().any(|w| {
        lower
            .match_indices(w)
            .any(|(i, _)| i == 0 || !lower.as_bytes()[i - 1].is_ascii_alphanumeric())
    })
}

impl Analyzer {
    /// The analyzer over the embedded ATT&CK knowledge base.
    pub fn new() -> Result<Analyzer, super::attack::AttackIndexError> {
        Ok(Analyzer {
            mapper: Mapper::new()?,
            gazetteer: Gazetteer::attack()?,
            config: MapperConfig::default(),
        })
    }

    pub fn kb(&self) -> &'static AttackKb {
        self.mapper.kb()
    }

    /// Analyses plain text.
    pub fn analyze(&self, text: &str, opts: &AnalyzeOptions<'_>) -> Analysis {
        let iocs = extract(text, &opts.extract);
        let techniques = self.mapper.map(text, &self.config);
        let entities = self.gazetteer.find(text);
        let by_kind = |k: EntityKind| -> Vec<EntityHit> {
            entities.iter().filter(|e| e.kind == k).cloned().collect()
        };
        let actors = by_kind(EntityKind::Actor);
        let campaigns = by_kind(EntityKind::Campaign);
        let malware = by_kind(EntityKind::Malware);
        let tools = by_kind(EntityKind::Tool);

        let spans = sentences(text);
        let sents: Vec<&str> = spans.iter().map(|&(s, e)| text[s..e].trim()).collect();
        let pick = |words: &[&str], max: usize| -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            for s in &sents {
                // `url:`/`title:` header lines of scraped reports are not statements.
                if s.len() < 25
                    || out.len() >= max
                    || s.starts_with("url:")
                    || s.starts_with("title:")
                {
                    continue;
                }
                let lower = s.to_ascii_lowercase();
                if any_word(&lower, words) && !out.iter().any(|o| o == s) {
                    out.push((*s).to_owned());
                }
            }
            out
        };

        let unnamed = unnamed_actor(text);
        let title = match (actors.first(), &unnamed) {
            (Some(a), _) => match &a.attack_id {
                Some(id) => format!("{} ({id})", a.name),
                None => a.name.clone(),
            },
            (None, Some(u)) => u.clone(),
            (None, None) => "Unattributed".to_owned(),
        };
        let mut identification = Vec::new();
        if let Some(a) = actors.first() {
            identification.push(a.evidence.clone());
        }
        identification.extend(pick(
            &[
                "state-sponsored",
                "nation-state",
                "state-backed",
                "attributed",
                "blamed",
                "threat actor",
                "apt group",
                "tracked as",
                "threat group",
                "financially motivated",
            ],
            2,
        ));
        identification.dedup();
        let aliases: Vec<String> = actors
            .first()
            .map(|a| {
                a.mentioned_as
                    .iter()
                    .filter(|m| **m != a.name)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let associations = pick(
            &[
                "linked to",
                "associated with",
                "overlap",
                "attributed to",
                "affiliated",
                "connected to",
                "ties to",
                "blamed",
                "spies",
                "on behalf of",
                "sponsored by",
            ],
            3,
        );
        let operations = pick(
            &[
                "campaign",
                "operation",
                "intrusion",
                "break-in",
                "breach",
                "heist",
                "attack on",
                "attacks on",
                "compromised",
                "gained access",
                "targeted",
                "incident",
            ],
            3,
        );
        let scope = pick(
            &[
                "customers",
                "victims",
                "percent",
                "%",
                "organizations",
                "organisations",
                "affected",
                "limited to",
                "confined",
                "countries",
                "installed base",
            ],
            3,
        );
        let mut ttps: Vec<String> = Vec::new();
        for t in techniques.iter().filter(|t| !t.evidence.is_empty()) {
            if ttps.len() >= 6 {
                break;
            }
            if !ttps.contains(&t.evidence) {
                ttps.push(t.evidence.clone());
            }
        }
        let sectors = self
            .gazetteer
            .sectors(text)
            .into_iter()
            .map(|(value, evidence)| Labelled { value, evidence })
            .collect();
        let geography = self
            .gazetteer
            .places(text)
            .into_iter()
            .map(|(value, evidence)| Labelled { value, evidence })
            .collect();
        let victims = pick(
            &[
                "victim",
                "affected",
                "was breached",
                "were breached",
                "compromised",
                "targeted",
            ],
            3,
        );
        let mut infrastructure = pick(
            &[
                "infrastructure",
                "c2",
                "command-and-control",
                "command and control",
                "server",
                "domain",
                "hosting",
                "vps",
                "api",
                "cloud",
                "backup service",
                "endpoint",
            ],
            3,
        );
        for ioc in iocs.iocs.iter().filter(|i| i.kind != IocKind::Cve).take(3) {
            if !infrastructure.contains(&ioc.context) {
                infrastructure.push(ioc.context.clone());
            }
        }
        let implications = pick(
            &[
                "highlight",
                "implication",
                "risk",
                "likely",
                "suggest",
                "objective",
                "motive",
                "espionage",
                "impact",
                "concern",
                "underscore",
                "means that",
            ],
            3,
        );
        let recommended = pick(
            &[
                "recommend",
                "should",
                "urge",
                "advise",
                "patch",
                "mitigat",
                "harden",
                "reset",
                "rotate",
                "enable multi",
                "mfa",
                "secure by design",
                "tighten",
                "update to",
                "upgrade",
            ],
            4,
        );
        let mut mit: BTreeMap<String, AttackMitigation> = BTreeMap::new();
        for t in techniques.iter().take(12) {
            for (m, _) in self.kb().mitigations_of(&t.id) {
                let e = mit.entry(m.id.clone()).or_insert_with(|| AttackMitigation {
                    id: m.id.clone(),
                    name: m.name.clone(),
                    techniques: Vec::new(),
                });
                e.techniques.push(t.id.clone());
            }
        }
        let mut attack_mitigations: Vec<AttackMitigation> = mit.into_values().collect();
        attack_mitigations.sort_by_key(|m| std::cmp::Reverse(m.techniques.len()));
        attack_mitigations.truncate(6);
        Analysis {
            title,
            actors,
            campaigns,
            identification,
            aliases,
            associations,
            operations,
            scope,
            ttps,
            techniques,
            sectors,
            geography,
            victims,
            malware,
            tools,
            infrastructure,
            implications,
            recommended,
            attack_mitigations,
            iocs,
            llm: None,
        }
    }
}

/// An unnamed actor described by its kind: `an unnamed, state-sponsored collective` →
/// `State-Sponsored Collective (Unnamed)`.
pub fn unnamed_actor(text: &str) -> Option<String> {
    const KINDS: &[&str] = &[
        "state-sponsored",
        "nation-state",
        "state-backed",
        "state-linked",
        "state-aligned",
        "financially motivated",
        "financially-motivated",
    ];
    const HEADS: &[&str] = &[
        "collective",
        "group",
        "actor",
        "actors",
        "hackers",
        "crew",
        "gang",
        "operators",
        "adversary",
        "threat actor",
        "attackers",
        "cluster",
    ];
    let lower = text.to_ascii_lowercase();
    for kind in KINDS {
        let Some(pos) = lower.find(kind) else {
            continue;
        };
        let after = &lower[pos + kind.len()..];
        let words: Vec<&str> = after
            .split(|c: char| c.is_whitespace())
            .filter(|w| !w.is_empty())
            .take(3)
            .collect();
        let head = words.iter().position(|w| {
            let w = w.trim_matches(|c: char| !c.is_ascii_alphanumeric());
            HEADS.contains(&w)
        });
        let Some(h) = head else { continue };
        let phrase: Vec<String> = kind
            .split(' ')
            .chain(words[..=h].iter().copied())
            .map(|w| {
                w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-')
                    .split('-')
                    .map(title_case)
                    .collect::<Vec<_>>()
                    .join("-")
            })
            .collect();
        let mut from = pos.saturating_sub(40);
        while !lower.is_char_boundary(from) {
            from -= 1;
        }
        let before = &lower[from..pos];
        let unnamed = ["unnamed", "unknown", "unidentified", "undisclosed"]
            .iter()
            .any(|w| before.contains(w));
        let mut name = phrase.join(" ");
        if unnamed {
            name.push_str(" (Unnamed)");
        }
        return Some(name);
    }
    None
}

fn title_case(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn bullet_list(out: &mut String, label: &str, items: &[String]) {
    if items.is_empty() {
        out.push_str(&format!("* **{label}:** {NONE}\n"));
    } else if items.len() == 1 {
        out.push_str(&format!("* **{label}:** {}\n", items[0]));
    } else {
        out.push_str(&format!("* **{label}:**\n"));
        for i in items {
            out.push_str(&format!("* {i}\n"));
        }
    }
}

impl Analysis {
    /// The Markdown summary, with the seed's headings and structure.
    pub fn to_markdown(&self) -> String {
        let mut o = String::new();
        o.push_str(&format!("# Threat Actor: {}\n", self.title));
        o.push_str("## Attribution & Identity\n");
        bullet_list(&mut o, "Identification", &self.identification);
        let mut aliases = self.aliases.clone();
        if let Some(a) = self.actors.first()
            && !a.known_aliases.is_empty()
        {
            let known: Vec<&str> = a
                .known_aliases
                .iter()
                .take(12)
                .map(String::as_str)
                .collect();
            aliases.push(format!(
                "Known aliases of {} in ATT&CK/MISP (not from the text): {}",
                a.name,
                known.join(", ")
            ));
        }
        bullet_list(&mut o, "Aliases", &aliases);
        let mut assoc = self.associations.clone();
        for a in self.actors.iter().skip(1).chain(self.campaigns.iter()) {
            assoc.push(format!("Also named: {} ({})", a.name, a.evidence));
        }
        bullet_list(&mut o, "Known Associations", &assoc);
        o.push_str("## Activity Summary\n");
        bullet_list(&mut o, "Recent Campaigns and Operations", &self.operations);
        bullet_list(&mut o, "Scope", &self.scope);
        o.push_str("## Tactics, Techniques & Procedures\n");
        bullet_list(&mut o, "Specific TTPs Mentioned", &self.ttps);
        let explicit: Vec<&TechniqueHit> = self
            .techniques
            .iter()
            .filter(|t| t.how.contains(&Evidence::Id))
            .collect();
        let inferred: Vec<&TechniqueHit> = self
            .techniques
            .iter()
            .filter(|t| !t.how.contains(&Evidence::Id))
            .collect();
        let fmt = |ts: &[&TechniqueHit]| -> String {
            ts.iter()
                .map(|t| format!("{} ({})", t.id, t.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut ids = if explicit.is_empty() {
            "None mentioned in the provided text.".to_owned()
        } else {
            fmt(&explicit)
        };
        if !inferred.is_empty() {
            ids.push_str(&format!(
                " Mapped from the described behaviour: {}.",
                fmt(&inferred)
            ));
        }
        o.push_str(&format!("* **MITRE ATT&CK IDs:** {ids}\n"));
        o.push_str("## Targeting\n");
        let labelled = |v: &[Labelled]| -> Vec<String> {
            let names: Vec<&str> = v.iter().map(|l| l.value.as_str()).collect();
            if names.is_empty() {
                Vec::new()
            } else {
                vec![names.join(", ")]
            }
        };
        bullet_list(&mut o, "Sectors", &labelled(&self.sectors));
        bullet_list(&mut o, "Geography", &labelled(&self.geography));
        bullet_list(&mut o, "Victims", &self.victims);
        o.push_str("## Tools & Infrastructure\n");
        let names = |v: &[EntityHit]| -> Vec<String> {
            if v.is_empty() {
                Vec::new()
            } else {
                vec![
                    v.iter()
                        .map(|e| match &e.attack_id {
                            Some(id) => format!("{} ({id})", e.name),
                            None => e.name.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            }
        };
        let mut malware = names(&self.malware);
        if !self.tools.is_empty() {
            let t = names(&self.tools);
            malware.push(format!("Tools: {}", t.join("")));
        }
        bullet_list(&mut o, "Malware Families Used", &malware);
        let mut infra = self.infrastructure.clone();
        if !self.iocs.iocs.is_empty() {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for i in &self.iocs.iocs {
                *counts.entry(i.kind.as_str()).or_default() += 1;
            }
            let list: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
            let shown: Vec<String> = self
                .iocs
                .iocs
                .iter()
                .take(10)
                .map(|i| format!("`{}` ({})", i.value, i.kind.as_str()))
                .collect();
            infra.push(format!(
                "Indicators extracted: {} — {}{}",
                list.join(", "),
                shown.join(", "),
                if self.iocs.iocs.len() > 10 {
                    ", … (all in --format json)"
                } else {
                    ""
                }
            ));
        }
        bullet_list(&mut o, "Infrastructure", &infra);
        o.push_str("## Implications\n");
        if self.implications.is_empty() {
            o.push_str(&format!("* {NONE}\n"));
        } else {
            for i in &self.implications {
                o.push_str(&format!("* {i}\n"));
            }
        }
        o.push_str("## Mitigations\n");
        let general: Vec<String> = if self.attack_mitigations.is_empty() {
            Vec::new()
        } else {
            vec![format!(
                "ATT&CK mitigations of the techniques found: {}",
                self.attack_mitigations
                    .iter()
                    .map(|m| format!("{} {} ({})", m.id, m.name, m.techniques.join(", ")))
                    .collect::<Vec<_>>()
                    .join("; ")
            )]
        };
        bullet_list(&mut o, "General", &general);
        bullet_list(&mut o, "Specific to Actor", &self.recommended);
        o
    }

    /// The same content as JSON: every field, and `iocs` as an object from type to a list
    /// of `{value, context, raw, defanged, count}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut iocs = serde_json::Map::new();
        for kind in IocKind::ALL {
            let list: Vec<serde_json::Value> = self
                .iocs
                .of(kind)
                .map(|i| {
                    serde_json::json!({
                        "value": i.value,
                        "context": i.context,
                        "raw": i.raw,
                        "defanged": i.defanged,
                        "count": i.count,
                    })
                })
                .collect();
            iocs.insert(kind.as_str().to_owned(), serde_json::Value::Array(list));
        }
        serde_json::json!({
            "title": self.title,
            "attribution": {
                "actors": self.actors,
                "campaigns": self.campaigns,
                "identification": self.identification,
                "aliases": self.aliases,
                "associations": self.associations,
            },
            "activity": {"operations": self.operations, "scope": self.scope},
            "ttps": self.ttps,
            "techniques": self.techniques,
            "targeting": {
                "sectors": self.sectors,
                "geography": self.geography,
                "victims": self.victims,
            },
            "malware": self.malware,
            "tools": self.tools,
            "infrastructure": self.infrastructure,
            "implications": self.implications,
            "mitigations": {
                "recommended_in_text": self.recommended,
                "attack": self.attack_mitigations,
            },
            "iocs": iocs,
            "dropped_iocs": self.iocs.dropped,
            "llm": self.llm,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unnamed_actors_are_titled_from_their_description() {
        assert_eq!(
            unnamed_actor("SonicWall has blamed an unnamed, state-sponsored collective for it")
                .as_deref(),
            Some("State-Sponsored Collective (Unnamed)")
        );
        assert_eq!(
            unnamed_actor("a financially motivated group hit them").as_deref(),
            Some("Financially Motivated Group")
        );
        assert_eq!(unnamed_actor("nothing here"), None);
        // Forty bytes back may fall inside a character.
        assert_eq!(
            unnamed_actor("ééééééééééééééééééééé a state-sponsored group").as_deref(),
            Some("State-Sponsored Group")
        );
    }

    #[test]
    fn empty_sections_say_so_and_nothing_is_invented() {
        let a = Analyzer::new().unwrap();
        let x = a.analyze(
            "The weather was fine today and nobody did anything.",
            &AnalyzeOptions::default(),
        );
        let md = x.to_markdown();
        assert!(md.starts_with("# Threat Actor: Unattributed\n"), "{md}");
        assert!(md.contains(&format!("* **Aliases:** {NONE}")), "{md}");
        assert!(
            md.contains("* **MITRE ATT&CK IDs:** None mentioned in the provided text."),
            "{md}"
        );
        assert!(
            md.contains(&format!("* **Malware Families Used:** {NONE}")),
            "{md}"
        );
        assert!(x.iocs.iocs.is_empty());
    }
}
