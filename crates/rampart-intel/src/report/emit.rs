//! From a report to protection: the analysis's indicators as store [`Indicator`]s, and a
//! Sigma rule that matches its network indicators in sign-in and firewall events.
//!
//! Indicators keep the report as their provenance ([`Provenance::Report`]), so analysing the
//! same report again merges into the same stored rows instead of adding new ones. Values a
//! MISP warninglist refused during extraction are returned as [`ImportIssue`]s naming the
//! list, as an import reports them.
//!
//! The rule is one YAML file of independent Sigma rules, one per log source: Entra ID
//! sign-ins (`azure`/`signinlogs`, `IPAddress`), Microsoft 365 audit (`m365`/`audit`,
//! `ClientIP`), Okta (`okta`/`okta`, `client.ipAddress`), Google Workspace logins
//! (`gcp`/`google_workspace.login`, `protoPayload.requestMetadata.callerIp`), firewalls
//! (`category: firewall`, `src_ip`/`dst_ip`), and, when the report names domains or URLs,
//! proxies (`category: proxy`, `cs-host`/`c-uri`) and DNS (`category: dns`, `query`). The
//! ids are UUID v5: the base over the report's text, each rule's over the base and its log
//! source, so analysing the same report again writes the same ids.

use jiff::Timestamp;
use serde_yaml::{Mapping, Value};
use uuid::Uuid;

use super::analysis::Analysis;
use super::iocs::{Ioc, IocKind};
use crate::import::{ImportIssue, Location};
use crate::model::{Confidence, Indicator, Provenance, Tag, TagKind, Tlp, Verdict};

/// Confidence of a value the report's author wrote defanged (they marked it as dangerous).
pub const CONFIDENCE_DEFANGED: u8 = 60;
/// Confidence of a value written plainly: found by the extractor in prose, unreviewed.
pub const CONFIDENCE_PLAIN: u8 = 40;

/// How emitted indicators are labelled.
#[derive(Clone, Debug)]
pub struct EmitOptions {
    /// The report's name (its file name or title): the provenance of every indicator.
    pub report: String,
    pub tlp: Tlp,
    /// First and last seen.
    pub now: Timestamp,
}

/// The indicators of one report, and what was not emitted.
#[derive(Clone, Debug, Default)]
pub struct Emitted {
    pub indicators: Vec<Indicator>,
    /// Values a warninglist refused (each names its list in `warninglist`).
    pub refused: Vec<ImportIssue>,
    /// Values that are not store observables (CVE ids), with their kind.
    pub not_observables: Vec<String>,
}

/// The tags every indicator of the report carries: its actors, campaigns and malware.
pub fn tags(analysis: &Analysis) -> Vec<Tag> {
    let mut tags: Vec<Tag> = Vec::new();
    let mut add = |kind: TagKind, name: &str| {
        let t = Tag::new(kind, name);
        if !tags.contains(&t) {
            tags.push(t);
        }
    };
    for a in &analysis.actors {
        add(TagKind::Actor, &a.name);
    }
    for c in &analysis.campaigns {
        add(TagKind::Campaign, &c.name);
    }
    for m in &analysis.malware {
        add(TagKind::Malware, &m.name);
    }
    tags
}

fn short(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", s[..end].trim_end())
}

/// The report's indicators as store indicators: malicious, the given TLP, confidence
/// [`CONFIDENCE_DEFANGED`] or [`CONFIDENCE_PLAIN`], tagged with the report's actors,
/// campaigns and malware, described by the sentence each came from.
pub fn indicators(analysis: &Analysis, opts: &EmitOptions) -> Emitted {
    let tags = tags(analysis);
    let mut out = Emitted::default();
    for ioc in &analysis.iocs.iocs {
        let Some(observable) = ioc.observable() else {
            out.not_observables
                .push(format!("{} {}", ioc.kind.as_str(), ioc.value));
            continue;
        };
        let mut ind = Indicator::new(
            observable,
            Provenance::Report {
                name: opts.report.clone(),
            },
            opts.now,
        );
        ind.verdict = Verdict::Malicious;
        ind.tlp = opts.tlp;
        ind.confidence = Confidence::saturating(i64::from(if ioc.defanged {
            CONFIDENCE_DEFANGED
        } else {
            CONFIDENCE_PLAIN
        }));
        ind.tags = tags.clone();
        ind.description = Some(short(
            &format!("From the report {}: {}", opts.report, ioc.context),
            400,
        ));
        out.indicators.push(ind);
    }
    for d in &analysis.iocs.dropped {
        if let Some(list) = &d.warninglist {
            out.refused.push(ImportIssue {
                origin: opts.report.clone(),
                location: Location::Object(format!("{} {}", d.kind.as_str(), d.value)),
                reason: format!("{} is {}; not imported as malicious", d.value, d.reason),
                warninglist: Some(list.clone()),
            });
        }
    }
    out
}

/// What the rule file says about the report.
#[derive(Clone, Debug)]
pub struct RuleOptions {
    /// The report's name (file name or title), used in the title and description.
    pub report: String,
    /// The report's own address, when known (a leading `url:` line): the rule's reference.
    pub report_url: Option<String>,
    /// The report's publisher (the rule's author), when known.
    pub publisher: Option<String>,
    /// The rule's date.
    pub now: Timestamp,
}

/// A Sigma rule file for a report's network indicators.
#[derive(Clone, Debug)]
pub struct SigmaRule {
    /// UUID v5 over the report's text; each document's id derives from it.
    pub base_id: Uuid,
    /// One rule per log source, in file order, with its id.
    pub documents: Vec<(Uuid, Mapping)>,
    /// How many network indicators it matches (IPs, networks, domains, URLs).
    pub indicators: usize,
}

/// The namespace of report-rule ids: UUID v5 of `urn:rampart:report-rule` in the URL
/// namespace.
pub fn rule_namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:rampart:report-rule")
}

/// The network indicators the rule matches.
#[derive(Clone, Debug, Default)]
struct Network {
    ipv4: Vec<String>,
    ipv6: Vec<String>,
    cidr: Vec<String>,
    domains: Vec<String>,
    urls: Vec<String>,
}

impl Network {
    fn of(iocs: &[Ioc]) -> Network {
        let mut n = Network::default();
        for i in iocs {
            let list = match i.kind {
                IocKind::Ipv4 => &mut n.ipv4,
                IocKind::Ipv6 => &mut n.ipv6,
                IocKind::Cidr => &mut n.cidr,
                IocKind::Domain => &mut n.domains,
                IocKind::Url => &mut n.urls,
                _ => continue,
            };
            if !list.contains(&i.value) {
                list.push(i.value.clone());
            }
        }
        n
    }

    fn ips(&self) -> usize {
        self.ipv4.len() + self.ipv6.len() + self.cidr.len()
    }

    fn len(&self) -> usize {
        self.ips() + self.domains.len() + self.urls.len()
    }

    /// Networks for the `cidr` modifier: the report's networks and its IPv6 addresses as
    /// /128 (so any spelling of the address in the log matches).
    fn nets(&self) -> Vec<String> {
        self.cidr
            .iter()
            .cloned()
            .chain(self.ipv6.iter().map(|v| format!("{v}/128")))
            .collect()
    }
}

fn strings(v: &[String]) -> Value {
    Value::Sequence(v.iter().map(|s| Value::String(s.clone())).collect())
}

fn map(pairs: Vec<(&str, Value)>) -> Mapping {
    let mut m = Mapping::new();
    for (k, v) in pairs {
        m.insert(Value::String(k.to_owned()), v);
    }
    m
}

/// The IP selections for one field: `field` (IPv4 addresses), `field|cidr` (networks and
/// IPv6 addresses). Returns the selections added.
fn ip_selections(det: &mut Mapping, name: &str, field: &str, net: &Network) -> Vec<String> {
    let mut added = Vec::new();
    if !net.ipv4.is_empty() {
        let key = format!("{name}_ip");
        det.insert(
            Value::String(key.clone()),
            Value::Mapping(map(vec![(field, strings(&net.ipv4))])),
        );
        added.push(key);
    }
    let nets = net.nets();
    if !nets.is_empty() {
        let key = format!("{name}_net");
        det.insert(
            Value::String(key.clone()),
            Value::Mapping(map(vec![(&format!("{field}|cidr"), strings(&nets))])),
        );
        added.push(key);
    }
    added
}

/// `1 of selection_*` when there are several, the one name otherwise.
fn condition(det: &mut Mapping) {
    let n = det.len();
    let cond = if n == 1 {
        det.keys()
            .next()
            .and_then(Value::as_str)
            .unwrap_or("selection")
            .to_owned()
    } else {
        "1 of selection_*".to_owned()
    };
    det.insert(Value::String("condition".into()), Value::String(cond));
}

/// The report's title for the rule: its actor when one was named, else its name.
fn rule_title(analysis: &Analysis, report: &str) -> String {
    let who = if analysis.actors.is_empty() && analysis.campaigns.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = analysis
            .actors
            .iter()
            .chain(analysis.campaigns.iter())
            .map(|e| e.name.as_str())
            .take(2)
            .collect();
        format!("{} ", names.join(", "))
    };
    short(
        &format!("{who}Network Indicators from Report {report}"),
        200,
    )
}

/// The Sigma rules for the report's network indicators, or `None` when it has none.
pub fn sigma_rule(analysis: &Analysis, text: &str, opts: &RuleOptions) -> Option<SigmaRule> {
    let net = Network::of(&analysis.iocs.iocs);
    if net.len() == 0 {
        return None;
    }
    let base_id = Uuid::new_v5(&rule_namespace(), text.as_bytes());
    let title = rule_title(analysis, &opts.report);
    let mut desc = format!(
        "Matches the {} network indicator(s) extracted by Rampart from the report {}",
        net.len(),
        opts.report
    );
    if let Some(lead) = analysis
        .operations
        .first()
        .or(analysis.identification.first())
    {
        desc.push_str(&format!(": \"{}\"", short(lead, 300)));
    } else {
        desc.push('.');
    }
    let mut tags: Vec<String> = Vec::new();
    for t in &analysis.techniques {
        for tactic in &t.tactics {
            let tag = format!("attack.{}", tactic.to_ascii_lowercase().replace(' ', "-"));
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    for t in &analysis.techniques {
        let tag = format!("attack.{}", t.id.to_ascii_lowercase());
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let author = match &opts.publisher {
        Some(p) => format!("Rampart intel analyze, from a report by {p}"),
        None => "Rampart intel analyze".to_owned(),
    };
    let date = opts.now.strftime("%Y-%m-%d").to_string();

    // (key, logsource, detection)
    let mut sources: Vec<(&str, Mapping, Mapping)> = Vec::new();
    if net.ips() > 0 {
        for (key, product, service, field) in [
            ("entra", "azure", "signinlogs", "IPAddress"),
            ("m365", "m365", "audit", "ClientIP"),
            ("okta", "okta", "okta", "client.ipAddress"),
            (
                "gworkspace",
                "gcp",
                "google_workspace.login",
                "protoPayload.requestMetadata.callerIp",
            ),
        ] {
            let mut det = Mapping::new();
            ip_selections(&mut det, "selection", field, &net);
            if key == "m365" {
                // O365 writes some client addresses with their port (`1.2.3.4:5678`,
                // `[2001:db8::1]:443`).
                let with_port: Vec<String> = net
                    .ipv4
                    .iter()
                    .map(|ip| format!("{ip}:"))
                    .chain(net.ipv6.iter().map(|ip| format!("[{ip}]:")))
                    .collect();
                if !with_port.is_empty() {
                    det.insert(
                        Value::String("selection_ip_port".into()),
                        Value::Mapping(map(vec![("ClientIP|startswith", strings(&with_port))])),
                    );
                }
            }
            condition(&mut det);
            let ls = map(vec![
                ("product", Value::String(product.into())),
                ("service", Value::String(service.into())),
            ]);
            sources.push((key, ls, det));
        }
        let mut det = Mapping::new();
        ip_selections(&mut det, "selection_src", "src_ip", &net);
        ip_selections(&mut det, "selection_dst", "dst_ip", &net);
        condition(&mut det);
        sources.push((
            "firewall",
            map(vec![("category", Value::String("firewall".into()))]),
            det,
        ));
    }
    if !net.domains.is_empty() || !net.urls.is_empty() {
        // Hosts: the domains, and the hosts of the URLs that are names.
        let mut hosts = net.domains.clone();
        for u in &net.urls {
            if let Some(h) = crate::normalize::url_host(u)
                && h.parse::<std::net::IpAddr>().is_err()
                && !hosts.contains(&h.to_owned())
            {
                hosts.push(h.to_owned());
            }
        }
        let subdomains: Vec<String> = net.domains.iter().map(|d| format!(".{d}")).collect();
        let mut det = Mapping::new();
        if !hosts.is_empty() {
            det.insert(
                Value::String("selection_host".into()),
                Value::Mapping(map(vec![("cs-host", strings(&hosts))])),
            );
        }
        if !subdomains.is_empty() {
            det.insert(
                Value::String("selection_subdomain".into()),
                Value::Mapping(map(vec![("cs-host|endswith", strings(&subdomains))])),
            );
        }
        if !net.urls.is_empty() {
            det.insert(
                Value::String("selection_url".into()),
                Value::Mapping(map(vec![("c-uri", strings(&net.urls))])),
            );
        }
        condition(&mut det);
        sources.push((
            "proxy",
            map(vec![("category", Value::String("proxy".into()))]),
            det,
        ));
        if !hosts.is_empty() {
            let mut det = Mapping::new();
            det.insert(
                Value::String("selection_query".into()),
                Value::Mapping(map(vec![("query", strings(&hosts))])),
            );
            if !subdomains.is_empty() {
                det.insert(
                    Value::String("selection_subdomain".into()),
                    Value::Mapping(map(vec![("query|endswith", strings(&subdomains))])),
                );
            }
            condition(&mut det);
            sources.push((
                "dns",
                map(vec![("category", Value::String("dns".into()))]),
                det,
            ));
        }
    }

    let documents = sources
        .into_iter()
        .map(|(key, logsource, detection)| {
            let id = Uuid::new_v5(&base_id, key.as_bytes());
            let mut doc = Mapping::new();
            let mut put = |k: &str, v: Value| {
                doc.insert(Value::String(k.to_owned()), v);
            };
            put("title", Value::String(title.clone()));
            put("id", Value::String(id.to_string()));
            put("status", Value::String("experimental".into()));
            put("description", Value::String(desc.clone()));
            if let Some(url) = &opts.report_url {
                put("references", strings(std::slice::from_ref(url)));
            }
            put("author", Value::String(author.clone()));
            put("date", Value::String(date.clone()));
            if !tags.is_empty() {
                put("tags", strings(&tags));
            }
            put("logsource", Value::Mapping(logsource));
            put("detection", Value::Mapping(detection));
            put(
                "falsepositives",
                strings(&[
                    "Shared hosting, VPN or proxy addresses the report's infrastructure also serves legitimate users from".to_owned(),
                ]),
            );
            put("level", Value::String("high".into()));
            (id, doc)
        })
        .collect();
    Some(SigmaRule {
        base_id,
        documents,
        indicators: net.len(),
    })
}

impl SigmaRule {
    /// The rules as one multi-document YAML file.
    pub fn to_yaml(&self) -> Result<String, serde_yaml::Error> {
        let mut out = String::new();
        for (i, (_, doc)) in self.documents.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            out.push_str(&serde_yaml::to_string(doc)?);
        }
        Ok(out)
    }

    /// A file name for the rule: `report-<slug>-<first 8 hex of the id>.yml`.
    pub fn file_name(&self, report: &str) -> String {
        let stem = report.rsplit_once('.').map_or(report, |(s, _)| s);
        let mut slug: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        while slug.contains("--") {
            slug = slug.replace("--", "-");
        }
        let slug = slug.trim_matches('-');
        let slug = if slug.is_empty() { "report" } else { slug };
        let slug = &slug[..slug.len().min(60)];
        let id = self.base_id.simple().to_string();
        format!("report-{}-{}.yml", slug.trim_end_matches('-'), &id[..8])
    }
}
