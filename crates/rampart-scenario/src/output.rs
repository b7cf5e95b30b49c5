//! Writing a world to disk: the exports in each partner's format, `rampart.toml`,
//! `campaign.csv`, `labels.json` and the README.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::campaign::csv_field;
use crate::entra::{self, Flavor};
use crate::ids;
use crate::model::*;
use crate::okta;
use crate::time::rfc3339_secs;
use crate::{Manifest, World};

/// Graph returns at most this many sign-ins a page.
pub const GRAPH_PAGE: usize = 1000;
/// Okta's `limit` maximum.
pub const OKTA_PAGE: usize = 1000;

fn json<T: Serialize>(v: &T) -> io::Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(io::Error::other)
}

struct Out {
    dir: PathBuf,
    files: Vec<PathBuf>,
}

impl Out {
    fn put(&mut self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let mut f = io::BufWriter::new(fs::File::create(&path)?);
        f.write_all(bytes)?;
        f.flush()?;
        self.files.push(path);
        Ok(())
    }
}

/// Writes everything; see [`crate::write`].
pub fn write(world: &World, dir: &Path) -> io::Result<Manifest> {
    fs::create_dir_all(dir)?;
    let mut out = Out {
        dir: dir.to_owned(),
        files: Vec::new(),
    };
    for (t, tenant) in world.tenants.iter().enumerate() {
        let records: Vec<&SignIn> = world.signins.iter().filter(|s| s.tenant == t).collect();
        write_tenant(world, tenant, &records, &mut out)?;
    }
    out.put("rampart.toml", config(world).as_bytes())?;
    out.put("campaign.csv", campaign_csv(world).as_bytes())?;
    let labels = labels(world);
    let mut bytes = serde_json::to_vec_pretty(&labels).map_err(io::Error::other)?;
    bytes.push(b'\n');
    out.put("labels.json", &bytes)?;
    out.put("README.md", readme(world, dir).as_bytes())?;
    Ok(Manifest {
        files: out.files,
        signins: world.signins.len(),
        attacks: labels.attacks.len(),
        tenants: world.tenants.iter().map(|t| t.slug.clone()).collect(),
    })
}

fn write_tenant(
    world: &World,
    tenant: &Tenant,
    records: &[&SignIn],
    out: &mut Out,
) -> io::Result<()> {
    let base = format!("exports/{}", tenant.slug);
    match tenant.format {
        ExportFormat::GraphBeta | ExportFormat::GraphV1 => {
            let (version, flavor) = if tenant.format == ExportFormat::GraphV1 {
                ("v1.0", Flavor::V1)
            } else {
                ("beta", Flavor::Beta)
            };
            // Graph lists newest first, 1,000 a page, each page linking to the next.
            let newest_first: Vec<&SignIn> = records.iter().rev().copied().collect();
            let pages: Vec<&[&SignIn]> = newest_first.chunks(GRAPH_PAGE).collect();
            let mut rng = fastrand::Rng::with_seed(ids::mix(world.seed, 77));
            let token: String = (0..32)
                .map(|_| char::from(b"0123456789abcdef"[rng.usize(0..16)]))
                .collect();
            for (i, page) in pages.iter().enumerate() {
                let mut buf = Vec::with_capacity(page.len() * 2600);
                buf.extend_from_slice(format!("{{\"@odata.context\":\"https://graph.microsoft.com/{version}/$metadata#auditLogs/signIns\"").as_bytes());
                if i + 1 < pages.len() {
                    buf.extend_from_slice(
                        format!(",\"@odata.nextLink\":\"https://graph.microsoft.com/{version}/auditLogs/signIns?$top={GRAPH_PAGE}&$skiptoken={token}_{}\"", i + 1).as_bytes(),
                    );
                }
                buf.extend_from_slice(b",\"value\":[");
                for (j, s) in page.iter().enumerate() {
                    if j > 0 {
                        buf.push(b',');
                    }
                    let x = entra::extras(world, s);
                    buf.extend_from_slice(&json(&entra::signin(world, s, flavor, &x))?);
                }
                buf.extend_from_slice(b"]}\n");
                out.put(&format!("{base}/signins-page-{:04}.json", i + 1), &buf)?;
            }
        }
        ExportFormat::SignInLogs => {
            // One file a day, one record a line, as the storage-account export writes them.
            let mut days: BTreeMap<i64, Vec<u8>> = BTreeMap::new();
            for s in records {
                let buf = days
                    .entry(s.time_ms.div_euclid(crate::time::DAY))
                    .or_default();
                buf.extend_from_slice(&json(&entra::azure_monitor(world, s))?);
                buf.push(b'\n');
            }
            for (day, buf) in days {
                let (y, m, d) = crate::time::civil_from_days(day);
                out.put(
                    &format!("{base}/signinlogs-{y:04}-{m:02}-{d:02}.json"),
                    &buf,
                )?;
            }
        }
        ExportFormat::OktaNdjson => {
            let mut buf = Vec::with_capacity(records.len() * 2200);
            for s in records {
                buf.extend_from_slice(&json(&okta::event(world, s))?);
                buf.push(b'\n');
            }
            out.put(&format!("{base}/system-log.ndjson"), &buf)?;
        }
        ExportFormat::OktaJsonArray => {
            for (i, page) in records.chunks(OKTA_PAGE).enumerate() {
                let mut buf = Vec::with_capacity(page.len() * 2200);
                buf.push(b'[');
                for (j, s) in page.iter().enumerate() {
                    if j > 0 {
                        buf.push(b',');
                    }
                    buf.extend_from_slice(&json(&okta::event(world, s))?);
                }
                buf.extend_from_slice(b"]\n");
                out.put(&format!("{base}/system-log-page-{:04}.json", i + 1), &buf)?;
            }
        }
    }
    Ok(())
}

fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `rampart.toml`: one `[tenants.<slug>]` table per partner.
pub fn config(world: &World) -> String {
    let mut s = format!(
        "# Rampart configuration for the generated world \"{}\" (seed {}).\n# Written by rampart-scenario; the exports are under exports/<slug>/.\n",
        world.name, world.seed
    );
    for t in &world.tenants {
        s.push_str(&format!(
            "\n[tenants.{}]\nname = {}\n",
            t.slug,
            toml_str(&t.name)
        ));
        let nets: Vec<String> = t
            .trusted_networks
            .iter()
            .map(|n| toml_str(&n.to_string()))
            .collect();
        if !nets.is_empty() {
            s.push_str("# the corporate VPN egress: its sign-ins carry the data centre's location, not the user's\n");
        }
        s.push_str(&format!("trusted_networks = [{}]\n", nets.join(", ")));
        let idp = if t.format.is_okta() {
            format!("Okta org {}", t.okta_org)
        } else {
            format!("Entra tenant {}", t.tenant_id)
        };
        s.push_str(&format!(
            "# identity provider: {idp}; export format: {}\n",
            t.format.as_str()
        ));
        if !t.format.is_okta() {
            // Entra records carry their tenant id: records are assigned by it.
            s.push_str(&format!(
                "provider_ids = [{}]\n",
                toml_str(&t.tenant_id.to_string())
            ));
        }
    }
    s
}

/// `campaign.csv`: `type,value,description`.
pub fn campaign_csv(world: &World) -> String {
    let mut s = String::from("type,value,description\n");
    for e in &world.campaign {
        s.push_str(&format!(
            "{},{},{}\n",
            e.kind,
            csv_field(&e.value),
            csv_field(&e.description)
        ));
    }
    s
}

// ------------------------------------------------------------------ labels.json

/// The schema of `labels.json`.
#[derive(Serialize)]
pub struct Labels {
    /// `rampart-scenario/labels/v1`.
    pub schema: &'static str,
    pub world: String,
    pub seed: u64,
    pub period: Period,
    /// How to read `attacks[].expected_findings`.
    pub notes: Vec<&'static str>,
    pub tenants: Vec<TenantLabel>,
    /// One entry per attacker record.
    pub attacks: Vec<AttackRecordLabel>,
    /// One entry per staged attack (an attack may own several records).
    pub attack_summary: Vec<AttackLabel>,
    /// Benign record ids by trap type.
    pub benign_traps: BTreeMap<&'static str, Vec<String>>,
    pub trips: Vec<TripLabel>,
    pub users: Vec<UserLabel>,
}

#[derive(Serialize)]
pub struct Period {
    pub start: String,
    pub end: String,
}

#[derive(Serialize)]
pub struct TenantLabel {
    pub slug: String,
    pub name: String,
    pub format: &'static str,
    pub export_dir: String,
    pub users: usize,
    pub signins: usize,
    pub trusted_networks: Vec<String>,
}

#[derive(Serialize)]
pub struct AttackRecordLabel {
    pub record_id: String,
    pub attack_id: String,
    pub tenant: String,
    pub user: String,
    pub kind: String,
    pub time: String,
    pub ip: String,
    pub location: String,
    /// `success`, `bad_password`, `mfa_interrupt`, `mfa_required`, `ca_blocked`, `mfa_denied`.
    pub outcome: Outcome,
    /// Entra error code (0 = success); Okta records carry the equivalent outcome.
    pub error_code: u32,
    pub password_proven: bool,
    pub expected_findings: Vec<FindingKind>,
}

#[derive(Serialize)]
pub struct AttackLabel {
    pub attack_id: String,
    pub kind: String,
    pub tenant: String,
    pub user: String,
    pub record_ids: Vec<String>,
    pub expected_findings: Vec<FindingKind>,
    pub description: String,
}

#[derive(Serialize)]
pub struct TripLabel {
    pub tenant: String,
    pub user: String,
    pub trap: Trap,
    pub from: String,
    pub to: String,
    pub distance_km: f64,
    pub depart: String,
    pub arrive: String,
    pub last_before: Option<String>,
    pub first_after: Option<String>,
    pub gap_hours: Option<f64>,
}

#[derive(Serialize)]
pub struct UserLabel {
    pub tenant: String,
    pub upn: String,
    pub home: String,
    pub office: Option<String>,
    pub notes: Vec<String>,
}

fn place(c: &crate::geo::City) -> String {
    format!("{}, {}, {}", c.name, c.region, c.country)
}

/// The ground truth of a world.
pub fn labels(world: &World) -> Labels {
    let by_key: BTreeMap<u64, &SignIn> = world.signins.iter().map(|s| (s.key, s)).collect();
    let mut attacks = Vec::new();
    let mut records_of: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut traps: BTreeMap<&'static str, Vec<String>> =
        Trap::ALL.iter().map(|t| (t.as_str(), Vec::new())).collect();
    let mut sorted: Vec<&SignIn> = world.signins.iter().collect();
    sorted.sort_by_key(|s| (s.time_ms, s.tenant, s.key));
    for s in sorted {
        match s.truth {
            Truth::Attack(a) => {
                let attack = &world.attacks[a];
                let tenant = &world.tenants[s.tenant];
                let net = &world.networks[s.net];
                records_of.entry(a).or_default().push(s.id.clone());
                attacks.push(AttackRecordLabel {
                    record_id: s.id.clone(),
                    attack_id: attack.id.clone(),
                    tenant: tenant.slug.clone(),
                    user: tenant.users[s.user].upn.clone(),
                    kind: attack.kind.to_string(),
                    time: rfc3339_secs(s.time_ms),
                    ip: net.ip.to_string(),
                    location: place(net.city),
                    outcome: s.outcome,
                    error_code: s.outcome.entra_code(),
                    password_proven: s.outcome.password_proven(),
                    expected_findings: attack.expected.clone(),
                });
            }
            Truth::Trap(t) => traps.entry(t.as_str()).or_default().push(s.id.clone()),
            Truth::Normal => {}
        }
    }
    let attack_summary = world
        .attacks
        .iter()
        .enumerate()
        .map(|(a, attack)| {
            let tenant = &world.tenants[attack.tenant];
            AttackLabel {
                attack_id: attack.id.clone(),
                kind: attack.kind.to_string(),
                tenant: tenant.slug.clone(),
                user: tenant.users[attack.user].upn.clone(),
                record_ids: records_of.remove(&a).unwrap_or_default(),
                expected_findings: attack.expected.clone(),
                description: attack.description.clone(),
            }
        })
        .collect();
    let trips = world
        .trips
        .iter()
        .map(|trip| {
            let tenant = &world.tenants[trip.tenant];
            let before = by_key.get(&trip.last_before);
            let after = by_key.get(&trip.first_after);
            TripLabel {
                tenant: tenant.slug.clone(),
                user: tenant.users[trip.user].upn.clone(),
                trap: trip.trap,
                from: place(trip.from),
                to: place(trip.to),
                distance_km: (trip.from.distance_km(trip.to) * 10.0).round() / 10.0,
                depart: rfc3339_secs(trip.depart_ms),
                arrive: rfc3339_secs(trip.arrive_ms),
                last_before: before.map(|s| s.id.clone()),
                first_after: after.map(|s| s.id.clone()),
                gap_hours: match (before, after) {
                    (Some(b), Some(a)) => {
                        Some(((a.time_ms - b.time_ms) as f64 / 36_000.0).round() / 100.0)
                    }
                    _ => None,
                },
            }
        })
        .collect();
    let users = world
        .tenants
        .iter()
        .flat_map(|t| {
            t.users.iter().map(|u| UserLabel {
                tenant: t.slug.clone(),
                upn: u.upn.clone(),
                home: place(u.home),
                office: u.office.map(place),
                notes: u.notes.clone(),
            })
        })
        .collect();
    Labels {
        schema: "rampart-scenario/labels/v1",
        world: world.name.clone(),
        seed: world.seed,
        period: Period {
            start: rfc3339_secs(world.start_ms),
            end: rfc3339_secs(world.end_ms),
        },
        notes: vec![
            "attacks[] has one entry per attacker record; record_id is the provider's id (Entra `id`, Okta `uuid`).",
            "expected_findings lists the finding kinds a correct detector raises on that record; an attack counts as caught when any of them fires on one of its records.",
            "benign_traps lists records that are benign but resemble an attack (known false-positive sources); a finding on them is a false positive.",
            "records in neither list are ordinary benign activity.",
        ],
        tenants: world
            .tenants
            .iter()
            .enumerate()
            .map(|(i, t)| TenantLabel {
                slug: t.slug.clone(),
                name: t.name.clone(),
                format: t.format.as_str(),
                export_dir: format!("exports/{}", t.slug),
                users: t.users.len(),
                signins: world.signins.iter().filter(|s| s.tenant == i).count(),
                trusted_networks: t.trusted_networks.iter().map(|n| n.to_string()).collect(),
            })
            .collect(),
        attacks,
        attack_summary,
        benign_traps: traps,
        trips,
        users,
    }
}

// ------------------------------------------------------------------ README

/// The `rampart hunt` command line for a world written to `dir`.
pub fn hunt_command(world: &World, dir: &Path) -> String {
    let d = dir.display();
    let mut s = format!("rampart hunt --config {d}/rampart.toml --indicators {d}/campaign.csv");
    for t in &world.tenants {
        s.push_str(&format!(" {}={d}/exports/{}", t.slug, t.slug));
    }
    s
}

fn readme(world: &World, dir: &Path) -> String {
    let labels = labels(world);
    let mut s = format!("# Rampart demo data: {}\n\n", world.name);
    s.push_str(&format!(
        "Generated by `rampart-scenario` with seed {} — the same seed writes the same bytes. Period: {} to {}.\n\n",
        world.seed,
        rfc3339_secs(world.start_ms),
        rfc3339_secs(world.end_ms)
    ));
    s.push_str("## The story\n\n");
    for line in &world.story {
        s.push_str(&format!("- {line}\n"));
    }
    s.push_str("\n## Run it\n\n```sh\n");
    s.push_str(&hunt_command(world, dir));
    s.push_str("\n```\n\n## What is here\n\n| partner | name | format | users | sign-in records | trusted networks |\n|---|---|---|---|---|---|\n");
    for t in &labels.tenants {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            t.slug,
            t.name,
            t.format,
            t.users,
            t.signins,
            if t.trusted_networks.is_empty() {
                "—".to_owned()
            } else {
                t.trusted_networks.join(", ")
            }
        ));
    }
    s.push_str(&format!(
        "\n- `rampart.toml`: the partners and their declared VPN ranges.\n- `campaign.csv`: the campaign's indicator list ({} entries; some defanged).\n- `labels.json`: ground truth — {} attacker records in {} attacks, with the finding kinds that should catch each, and the benign look-alikes by trap type.\n- `exports/<partner>/`: the identity provider's own export format.\n\n## Attacks\n\n| id | partner | user | kind | records | should raise |\n|---|---|---|---|---|---|\n",
        world.campaign.len(),
        labels.attacks.len(),
        labels.attack_summary.len()
    ));
    for a in &labels.attack_summary {
        let kinds: Vec<String> = a
            .expected_findings
            .iter()
            .map(|k| format!("{k:?}"))
            .collect();
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            a.attack_id,
            a.tenant,
            a.user,
            a.kind,
            a.record_ids.len(),
            serde_json::to_string(&a.expected_findings).unwrap_or_else(|_| kinds.join(", "))
        ));
    }
    s.push_str("\n## Benign look-alikes\n\n| trap | records |\n|---|---|\n");
    for (k, v) in &labels.benign_traps {
        s.push_str(&format!("| {k} | {} |\n", v.len()));
    }
    s
}
