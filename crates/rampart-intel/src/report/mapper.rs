//! Maps report text to ATT&CK techniques, from four kinds of evidence:
//!
//! 1. explicit ids (`T1566`, `T1566.001`) of techniques in the knowledge base;
//! 2. technique names (`Spearphishing Attachment`, `Rundll32`), whole words, any case;
//!    single-word names that are ordinary words (`At`, `Server`, `Malware`, `Tool`) are not
//!    used;
//! 3. cue phrases: a curated table of the words reports use for a technique
//!    (`schtasks` → Scheduled Task, `keylogger` → Keylogging);
//! 4. similarity: each sentence is compared (TF-IDF, cosine) with ATT&CK's procedure
//!    examples and description sentences; a technique's score in a sentence is the summed
//!    similarity of its examples among the sentence's `k` nearest, and its document score
//!    the best sentence's.
//!
//! Ids and names are always reported; cues and similarity are combined into one score and
//! compared with a threshold tuned on the development split of the labelled reports (see
//! the crate README for the measured F1).

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Serialize;

use super::attack::{AttackIndexError, AttackKb};
use super::text::{sentences, tokens};

/// Tuning of [`Mapper::decide`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MapperConfig {
    /// A technique is reported when `similarity + second_weight × second-best similarity +
    /// cue_weight × min(cues, 3) + prior_weight × prevalence` reaches this.
    pub threshold: f32,
    /// The weight of one cue-phrase occurrence.
    pub cue_weight: f32,
    /// The weight of the second-best sentence's similarity.
    pub second_weight: f32,
    /// The weight of the technique's prevalence in ATT&CK (share of procedure examples,
    /// log-scaled to 0..1).
    pub prior_weight: f32,
}

impl Default for MapperConfig {
    /// The values tuned on the development split (see the crate README).
    fn default() -> Self {
        MapperConfig {
            threshold: 0.5,
            cue_weight: 0.2,
            second_weight: 0.5,
            prior_weight: 0.1,
        }
    }
}

/// Nearest examples per sentence.
const K: usize = 5;

/// Why a technique was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Evidence {
    /// Its id is written in the text.
    Id,
    /// Its name is written in the text.
    Name,
    /// Words reports use for it.
    Cue,
    /// Sentences similar to ATT&CK's procedure examples of it.
    Similar,
}

/// Raw evidence for one technique in one text, before the threshold.
#[derive(Clone, Debug, Default)]
pub struct Candidate {
    /// Index into [`AttackKb::techniques`].
    pub technique: usize,
    pub ids: u32,
    pub names: u32,
    pub cues: u32,
    /// Best sentence similarity score.
    pub similarity: f32,
    /// Second-best sentence similarity score.
    pub similarity2: f32,
    /// The technique's prevalence in ATT&CK, 0..1.
    pub prior: f32,
    /// Byte span of the first id/name/cue sentence and of the most similar sentence.
    pub first_mention: Option<(usize, usize)>,
    pub best_sentence: Option<(usize, usize)>,
}

/// A technique found in a text.
#[derive(Clone, Debug, Serialize)]
pub struct TechniqueHit {
    pub id: String,
    pub name: String,
    /// Tactic names (`Initial Access`).
    pub tactics: Vec<String>,
    pub score: f32,
    pub how: Vec<Evidence>,
    /// The sentence that shows it, as written.
    pub evidence: String,
}

/// The mapper: the knowledge base, a phrase automaton and a TF-IDF index of examples.
pub struct Mapper {
    kb: &'static AttackKb,
    phrases: AhoCorasick,
    phrase_info: Vec<Phrase>,
    tfidf: Tfidf,
}

impl std::fmt::Debug for Mapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mapper")
            .field("phrases", &self.phrase_info.len())
            .field("examples", &self.tfidf.doc_tech.len())
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug)]
struct Phrase {
    techniques: Vec<usize>,
    kind: Evidence,
    /// Matches any word continuing the phrase (`exfiltrat*`).
    prefix: bool,
}

/// Single-word technique names that are ordinary words or too vague to mean the technique.
const VAGUE_NAMES: &[&str] = &[
    "at",
    "dns",
    "proxy",
    "domains",
    "server",
    "botnet",
    "serverless",
    "malware",
    "exploits",
    "tool",
    "vulnerabilities",
    "credentials",
    "hardware",
    "software",
    "firmware",
    "whois",
    "cdns",
    "databases",
    "dll",
    "trap",
    "compression",
    "steganography",
    "python",
    "lua",
    "ssh",
    "vnc",
    "mmc",
    "add-ins",
    "confluence",
    "sharepoint",
    "impersonation",
    "defacement",
    "javascript",
    "emond",
    "screensaver",
    "keychain",
];

/// Cue phrases (lower case; a trailing `*` matches any word continuing it) and the
/// techniques they point to. Written for this project from ATT&CK's technique definitions.
const CUES: &[(&str, &[&str])] = &[
    ("obfuscat*", &["T1027"]),
    ("encrypted payload", &["T1027"]),
    ("encoded payload", &["T1027"]),
    ("base64-encoded", &["T1027", "T1140"]),
    ("base64 encoded", &["T1027", "T1140"]),
    ("xor-encrypted", &["T1027", "T1140"]),
    ("xor key", &["T1027", "T1140"]),
    ("encrypted strings", &["T1027"]),
    ("string encryption", &["T1027"]),
    ("junk code", &["T1027"]),
    ("upx", &["T1027.002"]),
    ("packer", &["T1027.002"]),
    ("packed", &["T1027.002"]),
    ("vmprotect", &["T1027.002"]),
    ("themida", &["T1027.002"]),
    ("embedded payload", &["T1027.009"]),
    ("embedded executable", &["T1027.009"]),
    ("resource section", &["T1027.009"]),
    ("decrypt*", &["T1140"]),
    ("decod*", &["T1140"]),
    ("deobfuscat*", &["T1140"]),
    ("unpack*", &["T1140"]),
    ("download*", &["T1105"]),
    ("additional payload*", &["T1105"]),
    ("next-stage", &["T1105"]),
    ("second-stage", &["T1105"]),
    ("second stage", &["T1105"]),
    ("certutil", &["T1105"]),
    ("bitsadmin", &["T1105"]),
    ("wget", &["T1105"]),
    ("cmd.exe", &["T1059.003"]),
    ("cmd /c", &["T1059.003"]),
    ("command shell", &["T1059.003"]),
    ("command prompt", &["T1059.003"]),
    ("batch file", &["T1059.003"]),
    ("batch script", &["T1059.003"]),
    ("reverse shell", &["T1059"]),
    ("command-line", &["T1059"]),
    ("command line", &["T1059"]),
    ("powershell", &["T1059.001"]),
    ("vbscript", &["T1059.005"]),
    ("vba", &["T1059.005"]),
    ("macro*", &["T1059.005", "T1204.002"]),
    ("jscript", &["T1059.007"]),
    ("system information", &["T1082"]),
    ("os version", &["T1082"]),
    ("operating system version", &["T1082"]),
    ("computer name", &["T1082"]),
    ("hostname", &["T1082"]),
    ("systeminfo", &["T1082"]),
    ("volume serial", &["T1082"]),
    ("windows api", &["T1106"]),
    ("native api", &["T1106"]),
    ("api call*", &["T1106"]),
    ("createprocess*", &["T1106"]),
    ("virtualalloc*", &["T1106", "T1055"]),
    ("writeprocessmemory", &["T1106", "T1055"]),
    ("createremotethread", &["T1106", "T1055"]),
    ("getprocaddress", &["T1106"]),
    ("loadlibrary*", &["T1106"]),
    ("shellexecute*", &["T1106"]),
    ("http post", &["T1071.001"]),
    ("http get", &["T1071.001"]),
    ("http request*", &["T1071.001"]),
    ("over http", &["T1071.001"]),
    ("via http", &["T1071.001"]),
    ("user-agent", &["T1071.001"]),
    ("user agent", &["T1071.001"]),
    ("command and control", &["T1071"]),
    ("c2 server*", &["T1071"]),
    ("c&c", &["T1071"]),
    ("enable macros", &["T1204.002"]),
    ("enable content", &["T1204.002"]),
    ("open the attachment", &["T1204.002"]),
    ("opens the attachment", &["T1204.002"]),
    ("double-click*", &["T1204.002"]),
    ("lure document", &["T1204.002"]),
    ("malicious document", &["T1204.002"]),
    ("user execution", &["T1204"]),
    ("inject*", &["T1055"]),
    ("process hollowing", &["T1055.012"]),
    ("hollow*", &["T1055.012"]),
    ("spearphishing", &["T1566"]),
    ("spear-phishing", &["T1566"]),
    ("spear phishing", &["T1566"]),
    ("phishing email*", &["T1566"]),
    ("phishing campaign*", &["T1566"]),
    ("malicious attachment*", &["T1566.001"]),
    ("email attachment*", &["T1566.001"]),
    ("attached document", &["T1566.001"]),
    ("malicious link*", &["T1566.002"]),
    ("registry key*", &["T1112"]),
    ("registry value*", &["T1112"]),
    ("reg add", &["T1112"]),
    ("deletes itself", &["T1070.004"]),
    ("delete itself", &["T1070.004"]),
    ("self-delet*", &["T1070.004"]),
    ("deletes the file*", &["T1070.004"]),
    ("deleted the file*", &["T1070.004"]),
    ("removes the file*", &["T1070.004"]),
    ("file deletion", &["T1070.004"]),
    ("scheduled task*", &["T1053.005"]),
    ("schtasks", &["T1053.005"]),
    ("enumerates files", &["T1083"]),
    ("list of files", &["T1083"]),
    ("directory listing", &["T1083"]),
    ("searches for files", &["T1083"]),
    ("file extensions", &["T1083"]),
    ("exfiltrat*", &["T1041"]),
    ("stolen data", &["T1041", "T1005"]),
    ("collects files", &["T1005"]),
    ("steals files", &["T1005"]),
    ("local system", &["T1005"]),
    ("valid accounts", &["T1078"]),
    ("compromised credentials", &["T1078"]),
    ("stolen credentials", &["T1078"]),
    ("legitimate credentials", &["T1078"]),
    ("valid credentials", &["T1078"]),
    ("disable antivirus", &["T1562.001"]),
    ("disables antivirus", &["T1562.001"]),
    ("windows defender", &["T1562.001"]),
    ("security tools", &["T1562.001"]),
    ("running processes", &["T1057"]),
    ("process list", &["T1057"]),
    ("tasklist", &["T1057"]),
    ("list of processes", &["T1057"]),
    ("keylog*", &["T1056.001"]),
    ("keystroke*", &["T1056.001"]),
    ("remote desktop", &["T1021.001"]),
    ("rdp", &["T1021.001"]),
    ("aes", &["T1573.001"]),
    ("rc4", &["T1573.001"]),
    ("encrypted communication*", &["T1573"]),
    ("encrypted channel", &["T1573"]),
    ("lsass", &["T1003.001"]),
    ("mimikatz", &["T1003.001"]),
    ("credential dump*", &["T1003"]),
    ("dump credentials", &["T1003"]),
    ("ntds.dit", &["T1003.003"]),
    ("run key*", &["T1547.001"]),
    ("currentversion\\run", &["T1547.001"]),
    ("startup folder", &["T1547.001"]),
    ("autorun", &["T1547.001"]),
    ("persistence", &["T1547"]),
    ("ipconfig", &["T1016"]),
    ("network configuration", &["T1016"]),
    ("mac address", &["T1016"]),
    ("network adapter*", &["T1016"]),
    ("whoami", &["T1033"]),
    ("username", &["T1033"]),
    ("user name", &["T1033"]),
    ("current user", &["T1033"]),
    ("masquerad*", &["T1036"]),
    ("disguised as", &["T1036"]),
    ("legitimate file name", &["T1036.005"]),
    ("screenshot*", &["T1113"]),
    ("screen capture*", &["T1113"]),
    ("wmi", &["T1047"]),
    ("wmic", &["T1047"]),
    ("windows management instrumentation", &["T1047"]),
    ("rundll32", &["T1218.011"]),
    ("regsvr32", &["T1218.010"]),
    ("mshta", &["T1218.005"]),
    ("msiexec", &["T1218.007"]),
    ("lateral movement", &["T1570", "T1021"]),
    ("psexec", &["T1569.002", "T1570"]),
    ("public-facing", &["T1190"]),
    ("exploited vulnerabilit*", &["T1190"]),
    ("exploiting vulnerabilit*", &["T1190"]),
    ("exploit a vulnerability", &["T1190"]),
    ("remote code execution", &["T1190"]),
    ("windows service*", &["T1543.003"]),
    ("new service", &["T1543.003"]),
    ("sc create", &["T1543.003"]),
    ("anydesk", &["T1219"]),
    ("teamviewer", &["T1219"]),
    ("screenconnect", &["T1219"]),
    ("remote access software", &["T1219"]),
    ("remote access tool*", &["T1219"]),
    ("side-load*", &["T1574.002"]),
    ("sideload*", &["T1574.002"]),
    ("dll hijack*", &["T1574"]),
    ("search order hijack*", &["T1574"]),
    ("socks", &["T1090"]),
    ("proxy", &["T1090"]),
    ("security software", &["T1518.001"]),
    ("antivirus product*", &["T1518.001"]),
    ("security product*", &["T1518.001"]),
    ("installed software", &["T1518"]),
    ("service execution", &["T1569.002"]),
    ("ransomware", &["T1486"]),
    ("encrypts files", &["T1486"]),
    ("ransom note", &["T1486"]),
    ("drive-by", &["T1189"]),
    ("watering hole", &["T1189"]),
    ("exploit kit", &["T1189"]),
    ("supply chain", &["T1195"]),
    ("supply-chain", &["T1195"]),
    ("saved passwords", &["T1555"]),
    ("stored passwords", &["T1555"]),
    ("browser credentials", &["T1555.003"]),
    ("credentials from browsers", &["T1555.003"]),
    ("password manager*", &["T1555"]),
    ("brute force", &["T1110"]),
    ("brute-forc*", &["T1110"]),
    ("password spray*", &["T1110.003"]),
    ("credential stuffing", &["T1110.004"]),
    ("denial of service", &["T1499", "T1498"]),
    ("denial-of-service", &["T1499", "T1498"]),
    ("ddos", &["T1498", "T1499"]),
    ("sandbox*", &["T1497"]),
    ("anti-vm", &["T1497"]),
    ("virtual machine*", &["T1497"]),
    ("anti-analysis", &["T1497"]),
    ("webcam", &["T1125"]),
    ("microphone", &["T1123"]),
    ("reflective*", &["T1620"]),
    ("fileless", &["T1620"]),
    ("in-memory", &["T1620"]),
    ("registered domain*", &["T1583.001"]),
    ("vps", &["T1583.003"]),
    ("compress*", &["T1560"]),
    ("archiv*", &["T1560"]),
    ("pastebin", &["T1102"]),
    ("dropbox", &["T1102", "T1567"]),
    ("google drive", &["T1102", "T1567"]),
    ("query the registry", &["T1012"]),
    ("queries the registry", &["T1012"]),
    ("reg query", &["T1012"]),
    ("netstat", &["T1049"]),
    ("net view", &["T1018"]),
    ("remote systems", &["T1018"]),
    ("net user", &["T1087"]),
    ("nltest", &["T1482"]),
    ("domain trust*", &["T1482"]),
    ("network share*", &["T1135"]),
    ("port scan*", &["T1046"]),
    ("network scan*", &["T1046"]),
    ("nmap", &["T1046"]),
    ("shadow cop*", &["T1490"]),
    ("vssadmin", &["T1490"]),
    ("wbadmin", &["T1490"]),
    ("bcdedit", &["T1490"]),
    ("event log*", &["T1070.001"]),
    ("wevtutil", &["T1070.001"]),
    ("uac", &["T1548.002"]),
    ("user account control", &["T1548.002"]),
    ("access token*", &["T1134"]),
    ("privilege escalation", &["T1068"]),
    ("escalate privileges", &["T1068"]),
    ("web shell*", &["T1505.003"]),
    ("webshell*", &["T1505.003"]),
    ("vpn", &["T1133"]),
    ("external remote services", &["T1133"]),
    ("create an account", &["T1136"]),
    ("created an account", &["T1136"]),
    ("new user account", &["T1136"]),
    ("group policy", &["T1484.001"]),
    ("tunnel*", &["T1572"]),
    ("ngrok", &["T1572"]),
    ("plink", &["T1572"]),
    ("raw tcp", &["T1095"]),
    ("custom protocol", &["T1095"]),
    ("tcp socket*", &["T1095"]),
    ("icmp", &["T1095"]),
    ("non-standard port", &["T1571"]),
    ("fallback", &["T1008"]),
    ("domain generation", &["T1568.002"]),
    ("dga", &["T1568.002"]),
    ("dynamic dns", &["T1568"]),
    ("fast flux", &["T1568.001"]),
    ("steganograph*", &["T1027.003"]),
    ("credential harvesting", &["T1598", "T1056"]),
    ("phishing page*", &["T1598"]),
    ("fake login", &["T1598", "T1056"]),
    ("cookie*", &["T1539"]),
    ("cryptomin*", &["T1496"]),
    ("coinmin*", &["T1496"]),
    ("xmrig", &["T1496"]),
    ("wiper", &["T1485"]),
    ("wipes", &["T1485"]),
    ("smb", &["T1021.002"]),
    ("admin$", &["T1021.002"]),
    ("admin shares", &["T1021.002"]),
    ("pass-the-hash", &["T1550.002"]),
    ("pass the hash", &["T1550.002"]),
    ("kerberoast*", &["T1558.003"]),
    ("hidden window", &["T1564.003"]),
    ("windowstyle hidden", &["T1564.003"]),
    ("hidden file*", &["T1564.001"]),
    ("code signing", &["T1553.002"]),
    ("digital certificate*", &["T1553.002"]),
    ("signed with", &["T1553.002"]),
    ("keyboard layout*", &["T1614.001"]),
    ("system language", &["T1614.001"]),
    ("geolocation", &["T1614"]),
    ("window title*", &["T1010"]),
    ("clipboard", &["T1115"]),
    ("staging", &["T1074"]),
    ("remote template", &["T1221"]),
    ("template injection", &["T1221"]),
    ("html smuggling", &["T1027.006"]),
    ("dll injection", &["T1055.001"]),
    ("click the link", &["T1204.001"]),
    ("clicks the link", &["T1204.001"]),
    ("malicious url*", &["T1204.001"]),
    ("dde", &["T1559.002"]),
    ("embedd*", &["T1027.009"]),
    ("embeds", &["T1027.009"]),
    ("legitimate", &["T1036.005"]),
    ("mimic*", &["T1036.005"]),
    ("named after", &["T1036.005"]),
    ("disguis*", &["T1036.005"]),
    ("delet*", &["T1070.004"]),
    ("clean up", &["T1070.004"]),
    ("cleanup", &["T1070.004"]),
    ("malicious dll", &["T1574.002"]),
    ("legitimate executable", &["T1574.002"]),
    ("padding", &["T1027.001"]),
    ("junk data", &["T1027.001"]),
    ("null bytes", &["T1027.001"]),
    ("inflated", &["T1027.001"]),
    ("custom packer", &["T1027.002"]),
    ("unpack*", &["T1027.002"]),
    ("directories", &["T1083"]),
    ("directory", &["T1083"]),
    ("folders", &["T1083"]),
    ("drives", &["T1083"]),
    ("collect*", &["T1005"]),
    ("steal*", &["T1005"]),
    ("sensitive data", &["T1005"]),
    ("attachment*", &["T1566.001"]),
    ("malspam", &["T1566"]),
    ("malicious email*", &["T1566"]),
    ("email campaign*", &["T1566"]),
    ("lure*", &["T1566", "T1204"]),
    ("victim opens", &["T1204.002"]),
    ("user opens", &["T1204.002"]),
    ("cmd", &["T1059.003"]),
    ("shell commands", &["T1059"]),
    ("execute commands", &["T1059"]),
    ("http traffic", &["T1071.001"]),
    ("http communication*", &["T1071.001"]),
    ("http protocol", &["T1071.001"]),
    ("https traffic", &["T1071.001"]),
    ("over https", &["T1071.001"]),
    ("via https", &["T1071.001"]),
    ("http-based", &["T1071.001"]),
    ("https requests", &["T1071.001"]),
    ("post request*", &["T1071.001"]),
    ("get request*", &["T1071.001"]),
    ("pe injection", &["T1055.002"]),
    ("portable executable injection", &["T1055.002"]),
    ("api", &["T1106"]),
    ("apis", &["T1106"]),
    ("system info*", &["T1082"]),
    ("host information", &["T1082"]),
    ("machine name", &["T1082"]),
    ("os name", &["T1082"]),
    ("legitimate account*", &["T1078"]),
    ("compromised account*", &["T1078"]),
];

impl Mapper {
    /// Builds the mapper over the embedded knowledge base (a few hundred milliseconds).
    pub fn new() -> Result<Mapper, AttackIndexError> {
        let kb = AttackKb::embedded()?;
        let mut patterns: Vec<String> = Vec::new();
        let mut info: Vec<Phrase> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut add = |pat: &str, tech: usize, kind: Evidence, prefix: bool| {
            let key = format!("{pat}\0{prefix}");
            match index.get(&key) {
                Some(&i) => {
                    let p: &mut Phrase = &mut info[i];
                    if !p.techniques.contains(&tech) {
                        p.techniques.push(tech);
                    }
                    if kind < p.kind {
                        p.kind = kind;
                    }
                }
                None => {
                    index.insert(key, patterns.len());
                    patterns.push(pat.to_owned());
                    info.push(Phrase {
                        techniques: vec![tech],
                        kind,
                        prefix,
                    });
                }
            }
        };
        // Names, when one technique has them.
        let mut name_count: HashMap<String, usize> = HashMap::new();
        for t in &kb.techniques {
            *name_count.entry(t.name.to_ascii_lowercase()).or_default() += 1;
        }
        for (i, t) in kb.techniques.iter().enumerate() {
            let name = t.name.to_ascii_lowercase();
            if name_count.get(&name) == Some(&1) && !VAGUE_NAMES.contains(&name.as_str()) {
                add(&name, i, Evidence::Name, false);
            }
        }
        for (phrase, ids) in CUES {
            let (pat, prefix) = match phrase.strip_suffix('*') {
                Some(p) => (p, true),
                None => (*phrase, false),
            };
            for id in *ids {
                if let Some(i) = kb.technique_index(id) {
                    add(pat, i, Evidence::Cue, prefix);
                }
            }
        }
        let phrases = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| AttackIndexError::new(e.to_string()))?;
        Ok(Mapper {
            kb,
            phrases,
            phrase_info: info,
            tfidf: Tfidf::build(kb),
        })
    }

    pub fn kb(&self) -> &'static AttackKb {
        self.kb
    }

    /// Every technique with any evidence in `text`, before the threshold.
    pub fn candidates(&self, text: &str) -> Vec<Candidate> {
        let mut cands: HashMap<usize, Candidate> = HashMap::new();
        let spans = sentences(text);
        let sentence_of = |pos: usize| -> Option<(usize, usize)> {
            let i = spans.partition_point(|&(_, e)| e <= pos);
            spans.get(i).copied().filter(|&(s, _)| s <= pos)
        };
        let mut note = |tech: usize, pos: usize, kind: Evidence| {
            let c = cands.entry(tech).or_insert_with(|| Candidate {
                technique: tech,
                ..Candidate::default()
            });
            match kind {
                Evidence::Id => c.ids += 1,
                Evidence::Name => c.names += 1,
                Evidence::Cue => c.cues += 1,
                Evidence::Similar => {}
            }
            if c.first_mention.is_none() {
                c.first_mention = sentence_of(pos);
            }
        };
        // 1. Explicit ids.
        let b = text.as_bytes();
        for pos in memchr::memchr_iter(b'T', b) {
            if pos > 0 && b[pos - 1].is_ascii_alphanumeric() {
                continue;
            }
            let digits = b[pos + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if digits != 4 {
                continue;
            }
            let mut end = pos + 5;
            if b.get(end) == Some(&b'.')
                && b[end + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .count()
                    == 3
            {
                end += 4;
            }
            if b.get(end).is_some_and(u8::is_ascii_alphanumeric) {
                continue;
            }
            let id = &text[pos..end];
            let found = self
                .kb
                .technique_index(id)
                .or_else(|| self.kb.technique_index(super::attack::parent_id(id)));
            if let Some(i) = found {
                note(i, pos, Evidence::Id);
            }
        }
        // 2–3. Names and cue phrases, whole words in the lower-cased text.
        let lower = text.to_ascii_lowercase();
        let lb = lower.as_bytes();
        for m in self.phrases.find_overlapping_iter(&lower) {
            let (s, e) = (m.start(), m.end());
            if s > 0 && is_word(lb[s - 1]) {
                continue;
            }
            let p = &self.phrase_info[m.pattern().as_usize()];
            if !p.prefix && e < lb.len() && is_word(lb[e]) {
                continue;
            }
            for &t in &p.techniques {
                note(t, s, p.kind);
            }
        }
        // 4. Similarity.
        let mut toks = Vec::new();
        let mut scratch = vec![0f32; self.tfidf.doc_tech.len()];
        let mut touched = Vec::new();
        for &(s, e) in &spans {
            tokens(&text[s..e], &mut toks);
            if toks.len() < 4 {
                continue;
            }
            for (tech, score) in self.tfidf.nearest(&toks, &mut scratch, &mut touched) {
                let c = cands.entry(tech).or_insert_with(|| Candidate {
                    technique: tech,
                    ..Candidate::default()
                });
                if score > c.similarity {
                    c.similarity2 = c.similarity;
                    c.similarity = score;
                    c.best_sentence = Some((s, e));
                } else if score > c.similarity2 {
                    c.similarity2 = score;
                }
            }
        }
        let mut out: Vec<Candidate> = cands.into_values().collect();
        for c in &mut out {
            c.prior = self.tfidf.prior.get(c.technique).copied().unwrap_or(0.0);
        }
        out.sort_by_key(|c| c.technique);
        out
    }

    /// Whether a candidate passes.
    pub fn passes(c: &Candidate, cfg: &MapperConfig) -> bool {
        c.ids > 0 || c.names > 0 || Self::score(c, cfg) >= cfg.threshold
    }

    fn score(c: &Candidate, cfg: &MapperConfig) -> f32 {
        c.similarity
            + cfg.second_weight * c.similarity2
            + cfg.cue_weight * (c.cues.min(3) as f32)
            + cfg.prior_weight * c.prior
    }

    /// The techniques found in `text`, most certain first.
    pub fn map(&self, text: &str, cfg: &MapperConfig) -> Vec<TechniqueHit> {
        self.decide(text, &self.candidates(text), cfg)
    }

    /// The candidates that pass `cfg`, as hits with their evidence.
    pub fn decide(&self, text: &str, cands: &[Candidate], cfg: &MapperConfig) -> Vec<TechniqueHit> {
        let mut hits: Vec<TechniqueHit> = cands
            .iter()
            .filter(|c| Self::passes(c, cfg))
            .filter_map(|c| {
                let t = self.kb.techniques.get(c.technique)?;
                let mut how = Vec::new();
                if c.ids > 0 {
                    how.push(Evidence::Id);
                }
                if c.names > 0 {
                    how.push(Evidence::Name);
                }
                if c.cues > 0 {
                    how.push(Evidence::Cue);
                }
                if c.similarity > 0.0 {
                    how.push(Evidence::Similar);
                }
                let span = if c.ids + c.names > 0 {
                    c.first_mention
                } else if c.similarity >= cfg.cue_weight * (c.cues.min(3) as f32) {
                    c.best_sentence.or(c.first_mention)
                } else {
                    c.first_mention.or(c.best_sentence)
                };
                let evidence = span
                    .map(|(s, e)| text[s..e].trim().to_owned())
                    .unwrap_or_default();
                let score = if c.ids + c.names > 0 {
                    1.0
                } else {
                    Self::score(c, cfg).min(1.0)
                };
                Some(TechniqueHit {
                    id: t.id.clone(),
                    name: t.name.clone(),
                    tactics: t
                        .tactics
                        .iter()
                        .map(|s| self.kb.tactic(s).map_or(s.clone(), |t| t.name.clone()))
                        .collect(),
                    score,
                    how,
                    evidence,
                })
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        hits
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A TF-IDF index over ATT&CK's procedure examples and description sentences.
struct Tfidf {
    vocab: HashMap<String, u32>,
    idf: Vec<f32>,
    /// Per term: (example, weight), weights of L2-normalized vectors.
    postings: Vec<Vec<(u32, f32)>>,
    /// Per example: its technique.
    doc_tech: Vec<u32>,
    /// Per technique: its parent's index for sub-techniques.
    parent: Vec<Option<u32>>,
    /// Per technique: ln(1 + examples) / ln(1 + most examples of any technique).
    prior: Vec<f32>,
}

impl Tfidf {
    fn build(kb: &AttackKb) -> Tfidf {
        let mut docs: Vec<(u32, Vec<String>)> = Vec::new();
        let mut toks = Vec::new();
        for (i, t) in kb.techniques.iter().enumerate() {
            let i = i as u32;
            for p in &t.procedures {
                tokens(p, &mut toks);
                if toks.len() >= 3 {
                    docs.push((i, toks.clone()));
                }
            }
            for (s, e) in sentences(&t.description) {
                tokens(&t.description[s..e], &mut toks);
                if toks.len() >= 4 {
                    docs.push((i, toks.clone()));
                }
            }
        }
        let mut vocab: HashMap<String, u32> = HashMap::new();
        let mut df: Vec<u32> = Vec::new();
        for (_, toks) in &docs {
            let mut seen: Vec<u32> = Vec::with_capacity(toks.len());
            for w in toks {
                let next = vocab.len() as u32;
                let id = *vocab.entry(w.clone()).or_insert(next);
                if id as usize == df.len() {
                    df.push(0);
                }
                if !seen.contains(&id) {
                    seen.push(id);
                    df[id as usize] += 1;
                }
            }
        }
        let n = docs.len() as f32;
        let idf: Vec<f32> = df.iter().map(|&d| (n / d as f32).ln() + 1.0).collect();
        let mut postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); vocab.len()];
        let mut doc_tech = Vec::with_capacity(docs.len());
        for (d, (tech, toks)) in docs.iter().enumerate() {
            doc_tech.push(*tech);
            let v = weigh(toks, &vocab, &idf);
            for (term, w) in v {
                postings[term as usize].push((d as u32, w));
            }
        }
        let parent: Vec<Option<u32>> = kb
            .techniques
            .iter()
            .map(|t| {
                t.is_subtechnique()
                    .then(|| kb.technique_index(t.parent_id()))
                    .flatten()
                    .map(|i| i as u32)
            })
            .collect();
        // A parent's prevalence counts its sub-techniques' examples.
        let mut examples = vec![0f32; kb.techniques.len()];
        for (i, t) in kb.techniques.iter().enumerate() {
            examples[i] += t.procedures.len() as f32;
            if let Some(p) = parent[i] {
                examples[p as usize] += t.procedures.len() as f32;
            }
        }
        let most = examples.iter().copied().fold(1.0f32, f32::max);
        let prior = examples
            .iter()
            .map(|&n| (1.0 + n).ln() / (1.0 + most).ln())
            .collect();
        Tfidf {
            vocab,
            idf,
            postings,
            doc_tech,
            parent,
            prior,
        }
    }

    /// Per technique, the summed similarity of its examples among the `K` examples nearest
    /// to the sentence, divided by `K`.
    fn nearest(
        &self,
        toks: &[String],
        scores: &mut [f32],
        touched: &mut Vec<u32>,
    ) -> Vec<(usize, f32)> {
        let q = weigh(toks, &self.vocab, &self.idf);
        touched.clear();
        for (term, qw) in q {
            for &(d, w) in &self.postings[term as usize] {
                let s = &mut scores[d as usize];
                if *s == 0.0 {
                    touched.push(d);
                }
                *s += qw * w;
            }
        }
        let mut best: Vec<(f32, u32)> = touched.iter().map(|&d| (scores[d as usize], d)).collect();
        for &d in touched.iter() {
            scores[d as usize] = 0.0;
        }
        let k = K.min(best.len());
        if k == 0 {
            return Vec::new();
        }
        best.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0));
        let mut per: HashMap<usize, f32> = HashMap::new();
        for &(s, d) in &best[..k] {
            let tech = self.doc_tech[d as usize] as usize;
            *per.entry(tech).or_default() += s / K as f32;
            // An example of a sub-technique is an example of its parent too.
            if let Some(p) = self.parent.get(tech).copied().flatten() {
                *per.entry(p as usize).or_default() += s / K as f32;
            }
        }
        per.into_iter().collect()
    }
}

/// A sparse, L2-normalized TF-IDF vector (log term frequency); unknown words are left out.
fn weigh(toks: &[String], vocab: &HashMap<String, u32>, idf: &[f32]) -> Vec<(u32, f32)> {
    let mut tf: Vec<(u32, f32)> = Vec::with_capacity(toks.len());
    for w in toks {
        if let Some(&id) = vocab.get(w) {
            match tf.iter_mut().find(|(t, _)| *t == id) {
                Some((_, c)) => *c += 1.0,
                None => tf.push((id, 1.0)),
            }
        }
    }
    let mut norm = 0.0;
    for (t, c) in tf.iter_mut() {
        *c = (1.0 + c.ln()) * idf[*t as usize];
        norm += *c * *c;
    }
    let norm = norm.sqrt();
    if norm > 0.0 {
        for (_, c) in tf.iter_mut() {
            *c /= norm;
        }
    }
    tf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_names_cues_and_similarity() {
        let m = Mapper::new().unwrap();
        let text = "The actor sent spearphishing emails with a malicious Word attachment (T1566.001). \
                    Once opened, a macro ran PowerShell to download the next stage. \
                    The implant creates a scheduled task with schtasks for persistence and \
                    records keystrokes with a keylogger. It also uses Rundll32 to execute its DLL.";
        let hits = m.map(text, &MapperConfig::default());
        let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        for want in [
            "T1566.001",
            "T1059.001",
            "T1053.005",
            "T1218.011",
            "T1056.001",
        ] {
            assert!(ids.contains(&want), "{want} missing from {ids:?}");
        }
        let h = hits.iter().find(|h| h.id == "T1566.001").unwrap();
        assert_eq!(h.how[0], Evidence::Id);
        assert!(h.evidence.contains("T1566.001"));
        assert_eq!(h.tactics, ["Initial Access"]);
    }

    #[test]
    fn vague_names_and_unknown_ids_are_not_techniques() {
        let m = Mapper::new().unwrap();
        let text =
            "At the server, the tool and the malware were seen. T9999 is not an id, nor is XT1566.";
        let hits = m.map(text, &MapperConfig::default());
        assert!(
            hits.iter().all(|h| !h.how.contains(&Evidence::Id)
                && !["T1053.002", "T1583.004", "T1588.002"].contains(&h.id.as_str())),
            "{hits:?}"
        );
    }
}
