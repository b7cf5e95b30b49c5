//! Named things in a report: threat actors, malware and tools (with their aliases), the
//! sectors and the countries it mentions.
//!
//! Names come from the embedded ATT&CK knowledge base (groups, software, campaigns) and,
//! when a directory of MISP galaxy clusters is given, from the MISP galaxies (threat actors,
//! Microsoft activity groups, Malpedia, ransomware, RATs, botnets, tools, RMM tools, sectors
//! and countries; third-party data read at run time, never copied into the repository).
//!
//! Matching is case-sensitive on whole words. Aliases that are ordinary words (`GOLD`,
//! `Tick`, `Chameleon`: a single word of letters only that also occurs as a lower-case
//! word in ATT&CK's own prose, in the report itself, or in a small list of known traps)
//! count only when a word next to them (two words either side) says what they are ("group",
//! "actor", "malware", "ransomware", "tracked as", …), and never when written in lower case.
//! Names shorter than four characters are not used.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::{Deserialize, Serialize};

use super::attack::{AttackIndexError, AttackKb};
use super::iocs::sentence_around;

/// What a named entity is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    Actor,
    Campaign,
    Malware,
    Tool,
}

/// An entity named in a text.
#[derive(Clone, Debug, Serialize)]
pub struct EntityHit {
    pub kind: EntityKind,
    /// The canonical name (ATT&CK's when it has one).
    pub name: String,
    /// The ATT&CK id (`G0007`, `S0154`, `C0024`) when known.
    pub attack_id: Option<String>,
    /// The names it was written as in the text.
    pub mentioned_as: Vec<String>,
    /// Other names the knowledge bases know it by.
    pub known_aliases: Vec<String>,
    /// Suspected origin (MISP `country` / `cfr-suspected-state-sponsor`), when known.
    pub origin: Option<String>,
    pub count: usize,
    /// The first sentence naming it.
    pub evidence: String,
}

/// A galaxy file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GalaxyError {
    #[error("cannot read the MISP galaxy directory {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read MISP galaxy {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("MISP galaxy {path} is not a galaxy cluster file: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
}

#[derive(Clone, Debug)]
struct Entry {
    kind: EntityKind,
    name: String,
    attack_id: Option<String>,
    aliases: Vec<String>,
    origin: Option<String>,
}

/// Known single-word aliases that are ordinary words or other things' names.
const TRAPS: &[&str] = &[
    "gold",
    "tick",
    "chameleon",
    "karst",
    "hippo",
    "mirage",
    "bottle",
    "templar",
    "paladin",
    "magic",
    "lead",
    "carbon",
    "cobalt",
    "patchwork",
    "turbine",
    "cloud",
    "storm",
    "sandworm",
    "equation",
    "winnti",
    "gallium",
    "platinum",
    "iron",
    "copper",
    "silver",
    "titanium",
    "moonlight",
    "shadow",
    "ghost",
    "phantom",
    "night",
    "dragon",
    "tiger",
    "panda",
    "bear",
    "spider",
    "kitten",
    "chollima",
    "typhoon",
    "blizzard",
    "sandstorm",
    "sleet",
    "tempest",
];

/// Words that say what a name is.
const CUES: &[&str] = &[
    "group",
    "groups",
    "actor",
    "actors",
    "apt",
    "threat",
    "gang",
    "operators",
    "operator",
    "tracked",
    "aka",
    "known",
    "campaign",
    "crew",
    "team",
    "cluster",
    "malware",
    "backdoor",
    "trojan",
    "loader",
    "ransomware",
    "rat",
    "stealer",
    "botnet",
    "implant",
    "family",
    "variant",
    "tool",
    "framework",
    "payload",
    "dropper",
    "downloader",
    "worm",
    "wiper",
    "infostealer",
    "spyware",
    "attributed",
    "hackers",
    "attackers",
];

/// Sector words: a built-in vocabulary (extended by the MISP sector galaxy) matched as
/// word prefixes, any case, in a sentence that speaks of targets or victims.
const SECTORS: &[(&str, &str)] = &[
    ("government", "Government"),
    ("ministr", "Government"),
    ("embass", "Diplomacy"),
    ("diplomat", "Diplomacy"),
    ("defense", "Defense"),
    ("defence", "Defense"),
    ("military", "Military"),
    ("financ", "Finance"),
    ("bank", "Finance"),
    ("insurance", "Insurance"),
    ("healthcare", "Health"),
    ("hospital", "Health"),
    ("pharmaceutical", "Pharmacy"),
    ("energy", "Energy"),
    ("oil and gas", "Energy"),
    ("utilit", "Energy"),
    ("telecom", "Telecoms"),
    ("manufactur", "Manufacturing"),
    ("education", "Education"),
    ("universit", "Education"),
    ("academi", "Education"),
    ("retail", "Retail"),
    ("hospitality", "Hospitality"),
    ("aerospace", "Aerospace"),
    ("aviation", "Civil Aviation"),
    ("transport", "Transport"),
    ("logistic", "Logistic"),
    ("shipping", "Shipping"),
    ("maritime", "Maritime"),
    ("legal", "Legal"),
    ("law firm", "Legal"),
    ("media", "News - Media"),
    ("journalist", "Journalist"),
    ("think tank", "Think Tanks"),
    ("ngo", "NGO"),
    ("non-profit", "Non-profit organisation"),
    ("critical infrastructure", "Infrastructure"),
    ("cryptocurrenc", "Finance"),
    ("managed service provider", "Managed Services Provider"),
    ("msp", "Managed Services Provider"),
    ("semiconductor", "Semi-conductors"),
    ("automotive", "Automotive"),
    ("construction", "Construction"),
    ("agricultur", "Agriculture"),
    ("chemical", "Chemical"),
    ("mining", "Mining"),
    ("gaming", "Game"),
    ("technology compan", "Technology"),
    ("tech compan", "Technology"),
    ("software vendor", "Technology"),
    ("security vendor", "IT - Security"),
    ("cloud provider", "Digital services"),
    ("isp", "IT - ISP"),
];

/// Words that make a sentence speak of targets.
const TARGET_CUES: &[&str] = &[
    "target",
    "victim",
    "sector",
    "industr",
    "organization",
    "organisation",
    "compan",
    "entities",
    "attack",
    "compromis",
    "breach",
    "customer",
    "institution",
];

/// Demonyms mapped to countries (geography written as adjectives).
const DEMONYMS: &[(&str, &str)] = &[
    ("American", "United States"),
    ("Chinese", "China"),
    ("Russian", "Russia"),
    ("Iranian", "Iran"),
    ("North Korean", "North Korea"),
    ("South Korean", "South Korea"),
    ("Ukrainian", "Ukraine"),
    ("Israeli", "Israel"),
    ("Indian", "India"),
    ("Pakistani", "Pakistan"),
    ("Vietnamese", "Vietnam"),
    ("Japanese", "Japan"),
    ("Taiwanese", "Taiwan"),
    ("German", "Germany"),
    ("French", "France"),
    ("British", "United Kingdom"),
    ("Turkish", "Turkey"),
    ("Saudi", "Saudi Arabia"),
    ("European", "Europe"),
    ("Middle Eastern", "Middle East"),
    ("Latin American", "Latin America"),
];

/// Countries and regions named without a galaxy.
const PLACES: &[&str] = &[
    "United States",
    "China",
    "Russia",
    "Iran",
    "North Korea",
    "South Korea",
    "Ukraine",
    "Israel",
    "India",
    "Pakistan",
    "Vietnam",
    "Japan",
    "Taiwan",
    "Germany",
    "France",
    "United Kingdom",
    "Turkey",
    "Saudi Arabia",
    "Europe",
    "Middle East",
    "Latin America",
    "Asia",
    "Africa",
    "North America",
    "South America",
    "Australia",
    "Canada",
    "Brazil",
    "Mexico",
    "Italy",
    "Spain",
    "Poland",
    "Netherlands",
    "Singapore",
    "Philippines",
    "Indonesia",
    "Malaysia",
    "Thailand",
    "United Arab Emirates",
    "Qatar",
    "Kuwait",
    "Egypt",
    "Belarus",
    "Kazakhstan",
    "Georgia",
    "Armenia",
    "Azerbaijan",
    "Syria",
    "Iraq",
    "Lebanon",
    "Afghanistan",
    "Bangladesh",
    "Sri Lanka",
    "Nepal",
    "Mongolia",
    "Hong Kong",
    "Switzerland",
    "Sweden",
    "Norway",
    "Finland",
    "Denmark",
    "Belgium",
    "Austria",
    "Czech Republic",
    "Romania",
    "Hungary",
    "Greece",
    "Portugal",
    "Ireland",
    "Argentina",
    "Chile",
    "Colombia",
    "Peru",
    "Nigeria",
    "South Africa",
    "Kenya",
    "Morocco",
    "Algeria",
    "Tunisia",
    "Jordan",
    "Oman",
    "Bahrain",
    "Yemen",
    "Myanmar",
    "Cambodia",
    "Laos",
    "New Zealand",
];

/// The names to look for.
pub struct Gazetteer {
    entries: Vec<Entry>,
    patterns: Vec<String>,
    /// Per pattern: entries it names.
    targets: Vec<Vec<usize>>,
    automaton: Option<AhoCorasick>,
    ordinary: HashSet<String>,
    sectors: Vec<(String, String)>,
    places: Vec<(String, String)>,
}

impl std::fmt::Debug for Gazetteer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gazetteer")
            .field("entries", &self.entries.len())
            .field("names", &self.patterns.len())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Cluster {
    values: Vec<ClusterValue>,
}

#[derive(Deserialize)]
struct ClusterValue {
    value: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    meta: Option<ClusterMeta>,
}

#[derive(Deserialize, Default)]
struct ClusterMeta {
    #[serde(default)]
    synonyms: Vec<String>,
    #[serde(default)]
    country: Option<String>,
    #[serde(default, rename = "cfr-suspected-state-sponsor")]
    sponsor: Option<String>,
}

impl Gazetteer {
    /// The ATT&CK groups, campaigns and software.
    pub fn attack() -> Result<Gazetteer, AttackIndexError> {
        let kb = AttackKb::embedded()?;
        let mut g = Gazetteer {
            entries: Vec::new(),
            patterns: Vec::new(),
            targets: Vec::new(),
            automaton: None,
            ordinary: HashSet::new(),
            sectors: SECTORS
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
            places: DEMONYMS
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .chain(PLACES.iter().map(|p| ((*p).to_owned(), (*p).to_owned())))
                .collect(),
        };
        for gr in &kb.groups {
            g.entries.push(Entry {
                kind: EntityKind::Actor,
                name: gr.name.clone(),
                attack_id: Some(gr.id.clone()),
                aliases: gr.aliases.clone(),
                origin: None,
            });
        }
        for c in &kb.campaigns {
            g.entries.push(Entry {
                kind: EntityKind::Campaign,
                name: c.name.clone(),
                attack_id: Some(c.id.clone()),
                aliases: c.aliases.clone(),
                origin: None,
            });
        }
        for s in &kb.software {
            g.entries.push(Entry {
                kind: if s.kind == "tool" {
                    EntityKind::Tool
                } else {
                    EntityKind::Malware
                },
                name: s.name.clone(),
                attack_id: Some(s.id.clone()),
                aliases: s.aliases.clone(),
                origin: None,
            });
        }
        // Ordinary words: lower-case words of ATT&CK's own prose.
        for t in &kb.techniques {
            for text in std::iter::once(&t.description).chain(t.procedures.iter()) {
                for w in text.split(|c: char| !c.is_ascii_alphabetic()) {
                    if w.len() >= 3 && w.bytes().all(|b| b.is_ascii_lowercase()) {
                        g.ordinary.insert(w.to_owned());
                    }
                }
            }
        }
        g.ordinary.extend(TRAPS.iter().map(|t| (*t).to_owned()));
        g.rebuild();
        Ok(g)
    }

    /// Adds the MISP galaxy clusters in `dir` (its `clusters/` directory, or the directory
    /// itself). Entries naming an ATT&CK group or software are merged into it. Returns one
    /// error per file that could not be read; the others are still loaded.
    pub fn add_misp_galaxies(&mut self, dir: &Path) -> Result<Vec<GalaxyError>, GalaxyError> {
        let dir = if dir.join("clusters").is_dir() {
            dir.join("clusters")
        } else {
            dir.to_path_buf()
        };
        std::fs::read_dir(&dir).map_err(|source| GalaxyError::Dir {
            path: dir.clone(),
            source,
        })?;
        let mut errors = Vec::new();
        let files: &[(&str, Option<EntityKind>)] = &[
            ("threat-actor.json", Some(EntityKind::Actor)),
            ("microsoft-activity-group.json", Some(EntityKind::Actor)),
            ("malpedia.json", Some(EntityKind::Malware)),
            ("ransomware.json", Some(EntityKind::Malware)),
            ("rat.json", Some(EntityKind::Malware)),
            ("botnet.json", Some(EntityKind::Malware)),
            ("tool.json", Some(EntityKind::Tool)),
            ("rmm-tool.json", Some(EntityKind::Tool)),
            ("sector.json", None),
            ("country.json", None),
        ];
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            for n in std::iter::once(&e.name).chain(e.aliases.iter()) {
                by_name.entry(n.to_ascii_lowercase()).or_insert(i);
            }
        }
        for (file, kind) in files {
            let path = dir.join(file);
            if !path.exists() {
                continue;
            }
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(source) => {
                    errors.push(GalaxyError::Read { path, source });
                    continue;
                }
            };
            let cluster: Cluster = match serde_json::from_slice(&bytes) {
                Ok(c) => c,
                Err(source) => {
                    errors.push(GalaxyError::Parse { path, source });
                    continue;
                }
            };
            match (*file, kind) {
                ("sector.json", _) => {
                    for v in cluster.values {
                        let term = v.value.to_ascii_lowercase();
                        if term.len() >= 5
                            && !matches!(
                                term.as_str(),
                                "unknown"
                                    | "other"
                                    | "country"
                                    | "citizens"
                                    | "development"
                                    | "culture"
                                    | "environment"
                                    | "infrastructure"
                                    | "intelligence"
                                    | "technology"
                                    | "opposition"
                                    | "electronic"
                                    | "security systems"
                                    | "security actors"
                            )
                            && !term.contains(" - ")
                            && !term.contains(',')
                        {
                            self.sectors.push((term, v.value.clone()));
                        }
                    }
                }
                ("country.json", _) => {
                    for v in cluster.values {
                        if let Some(name) = v.description.filter(|d| d.len() >= 4) {
                            let name = name.trim().to_owned();
                            self.places.push((name.clone(), name));
                        }
                    }
                }
                (_, Some(kind)) => {
                    for v in cluster.values {
                        let meta = v.meta.unwrap_or_default();
                        let origin = meta.sponsor.clone().or(meta.country.clone());
                        let names: Vec<String> = std::iter::once(v.value.clone())
                            .chain(meta.synonyms.iter().cloned())
                            .collect();
                        let existing = names
                            .iter()
                            .find_map(|n| by_name.get(&n.to_ascii_lowercase()).copied());
                        let i = match existing {
                            Some(i) => i,
                            None => {
                                self.entries.push(Entry {
                                    kind: *kind,
                                    name: v.value.clone(),
                                    attack_id: None,
                                    aliases: Vec::new(),
                                    origin: None,
                                });
                                self.entries.len() - 1
                            }
                        };
                        let e = &mut self.entries[i];
                        if e.origin.is_none() {
                            e.origin = origin;
                        }
                        for n in names {
                            if n != e.name && !e.aliases.contains(&n) {
                                e.aliases.push(n.clone());
                            }
                            by_name.entry(n.to_ascii_lowercase()).or_insert(i);
                        }
                    }
                }
                _ => {}
            }
        }
        self.rebuild();
        Ok(errors)
    }

    fn rebuild(&mut self) {
        let mut index: HashMap<String, usize> = HashMap::new();
        self.patterns.clear();
        self.targets.clear();
        for (i, e) in self.entries.iter().enumerate() {
            for n in std::iter::once(&e.name).chain(e.aliases.iter()) {
                let n = n.trim();
                if n.chars().count() < 4 && !(n.len() == 3 && n.bytes().any(|b| b.is_ascii_digit()))
                {
                    continue;
                }
                let p = *index.entry(n.to_owned()).or_insert_with(|| {
                    self.patterns.push(n.to_owned());
                    self.targets.push(Vec::new());
                    self.patterns.len() - 1
                });
                if !self.targets[p].contains(&i) {
                    self.targets[p].push(i);
                }
            }
        }
        self.automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&self.patterns)
            .ok();
    }

    /// Whether a name needs a cue word in its sentence.
    fn is_ordinary(&self, name: &str, text_lower_words: &HashSet<&str>) -> bool {
        if name.contains(' ') || !name.chars().all(|c| c.is_ascii_alphabetic()) {
            return false;
        }
        let lower = name.to_ascii_lowercase();
        self.ordinary.contains(&lower) || text_lower_words.contains(lower.as_str())
    }

    /// The actors, campaigns, malware and tools named in `text`, most mentioned first.
    pub fn find(&self, text: &str) -> Vec<EntityHit> {
        let Some(ac) = &self.automaton else {
            return Vec::new();
        };
        let lower_words: HashSet<&str> = text
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| w.len() >= 3 && w.bytes().all(|b| b.is_ascii_lowercase()))
            .collect();
        let b = text.as_bytes();
        let mut hits: HashMap<usize, EntityHit> = HashMap::new();
        let mut order: Vec<usize> = Vec::new();
        for m in ac.find_iter(text) {
            let (s, e) = (m.start(), m.end());
            let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
            if (s > 0 && word(b[s - 1])) || (e < b.len() && word(b[e])) {
                continue;
            }
            let name = &self.patterns[m.pattern().as_usize()];
            let sentence = sentence_around(text, s, e);
            if self.is_ordinary(name, &lower_words) {
                // A name written in lower case that is an ordinary word is never enough.
                if name.bytes().all(|c| c.is_ascii_lowercase()) {
                    continue;
                }
                // The cue must be next to it: two words before or after (`the Tick group`,
                // `malware Chameleon`).
                let before: Vec<String> = text[..s]
                    .rsplit(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .take(2)
                    .map(str::to_ascii_lowercase)
                    .collect();
                let after: Vec<String> = text[e..]
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .take(2)
                    .map(str::to_ascii_lowercase)
                    .collect();
                if !before
                    .iter()
                    .chain(after.iter())
                    .any(|w| CUES.contains(&w.as_str()))
                {
                    continue;
                }
            }
            let targets = &self.targets[m.pattern().as_usize()];
            // One name for several entries: prefer ATT&CK's, then actors.
            let Some(&i) = targets
                .iter()
                .min_by_key(|&&i| (self.entries[i].attack_id.is_none(), self.entries[i].kind))
            else {
                continue;
            };
            let entry = &self.entries[i];
            let hit = hits.entry(i).or_insert_with(|| {
                order.push(i);
                EntityHit {
                    kind: entry.kind,
                    name: entry.name.clone(),
                    attack_id: entry.attack_id.clone(),
                    mentioned_as: Vec::new(),
                    known_aliases: entry.aliases.clone(),
                    origin: entry.origin.clone(),
                    count: 0,
                    evidence: sentence.to_owned(),
                }
            });
            hit.count += 1;
            if !hit.mentioned_as.contains(name) {
                hit.mentioned_as.push(name.clone());
            }
        }
        let mut out: Vec<EntityHit> = order.into_iter().filter_map(|i| hits.remove(&i)).collect();
        out.sort_by_key(|h| std::cmp::Reverse(h.count));
        out
    }

    /// Sectors named in sentences about targets or victims: (sector, sentence).
    pub fn sectors(&self, text: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (s, e) in super::text::sentences(text) {
            let sent = &text[s..e];
            let lower = sent.to_ascii_lowercase();
            if !TARGET_CUES.iter().any(|c| lower.contains(c)) {
                continue;
            }
            for (term, sector) in &self.sectors {
                if out.iter().any(|(x, _)| x == sector) {
                    continue;
                }
                if let Some(pos) = find_word_prefix(&lower, term)
                    && (term.len() > 3 || is_word_end(&lower, pos + term.len()))
                {
                    out.push((sector.clone(), sent.trim().to_owned()));
                }
            }
        }
        out
    }

    /// Countries and regions named (case-sensitive, whole words): (place, sentence).
    pub fn places(&self, text: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (name, place) in &self.places {
            if out.iter().any(|(p, _)| p == place) {
                continue;
            }
            let mut from = 0;
            while let Some(pos) = text[from..].find(name.as_str()) {
                let s = from + pos;
                let e = s + name.len();
                let b = text.as_bytes();
                if (s == 0 || !b[s - 1].is_ascii_alphanumeric())
                    && (e == b.len() || !b[e].is_ascii_alphanumeric())
                {
                    out.push((place.clone(), sentence_around(text, s, e).to_owned()));
                    break;
                }
                from = e;
            }
        }
        out
    }
}

fn find_word_prefix(hay: &str, term: &str) -> Option<usize> {
    let b = hay.as_bytes();
    let mut from = 0;
    while let Some(p) = hay[from..].find(term) {
        let s = from + p;
        if s == 0 || !b[s - 1].is_ascii_alphanumeric() {
            return Some(s);
        }
        from = s + term.len();
    }
    None
}

fn is_word_end(hay: &str, e: usize) -> bool {
    hay.as_bytes()
        .get(e)
        .is_none_or(|c| !c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_malware_and_ordinary_word_aliases() {
        let g = Gazetteer::attack().unwrap();
        let text = "Fancy Bear, also tracked as APT28, sent X-Agent to ministries in Ukraine. \
                    We saw a tick mark and a Chameleon on the desk. The Tick group used Daserf. \
                    The Korean payload was a Chameleon-like malware sample.";
        let hits = g.find(text);
        let names: Vec<(&str, EntityKind)> =
            hits.iter().map(|h| (h.name.as_str(), h.kind)).collect();
        assert!(names.contains(&("APT28", EntityKind::Actor)), "{names:?}");
        let apt28 = hits.iter().find(|h| h.name == "APT28").unwrap();
        assert_eq!(apt28.attack_id.as_deref(), Some("G0007"));
        assert_eq!(apt28.count, 2);
        assert!(
            names
                .iter()
                .any(|(n, k)| *n == "CHOPSTICK" && *k == EntityKind::Malware),
            "{names:?}"
        );
        // `Tick` counts only in the sentence that says it is a group.
        let tick = hits.iter().find(|h| h.name == "BRONZE BUTLER").unwrap();
        assert_eq!(tick.count, 1);
        assert!(tick.evidence.starts_with("The Tick group"));
        assert!(
            !names.iter().any(|(n, _)| n.contains("Chameleon")),
            "{names:?}"
        );
        let places: Vec<String> = g.places(text).into_iter().map(|p| p.0).collect();
        assert_eq!(places, ["Ukraine"]);
        let sectors: Vec<String> = g.sectors(text).into_iter().map(|p| p.0).collect();
        assert!(
            sectors.is_empty(),
            "no target words in the sentence: {sectors:?}"
        );
        let sectors: Vec<String> = g
            .sectors("The campaign targeted banks and hospitals in Europe.")
            .into_iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(sectors, ["Finance", "Health"]);
    }
}
