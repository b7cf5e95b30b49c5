//! The generated worlds: determinism, shapes of the exports, and the properties the
//! labels promise (plausible flights, impossible attacks, the story's shared address…).
//!
//! module map: helpers (temp dirs, reading exports back) · determinism · export shapes ·
//! labels · the seed story · the evaluation world · the benchmark generator.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rampart_scenario::campaign::{listed_addresses, refang};
use rampart_scenario::geo::distance_km;
use rampart_scenario::net::{Role, is_documentation};
use rampart_scenario::{AttackKind, Channel, FindingKind, Manifest, Trap, Truth, World};
use serde_json::Value;

// ------------------------------------------------------------------ helpers

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rampart-scenario-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

struct Written {
    world: World,
    dir: PathBuf,
    manifest: Manifest,
}

fn written(which: &'static str) -> &'static Written {
    static STORY: OnceLock<Written> = OnceLock::new();
    static EVAL: OnceLock<Written> = OnceLock::new();
    let cell = if which == "story" { &STORY } else { &EVAL };
    cell.get_or_init(|| {
        let world = if which == "story" {
            rampart_scenario::seed_story(7)
        } else {
            rampart_scenario::evaluation(7)
        };
        let dir = temp_dir(which);
        let manifest = rampart_scenario::write(&world, &dir).unwrap();
        Written {
            world,
            dir,
            manifest,
        }
    })
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out.sort();
    out
}

/// Every record in a partner's export directory, as JSON, in file order.
fn records(dir: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    for f in files_under(dir) {
        let text = std::fs::read_to_string(&f).unwrap();
        let trimmed = text.trim_start();
        if trimmed.starts_with('[') {
            out.extend(serde_json::from_str::<Vec<Value>>(&text).unwrap());
        } else if trimmed.starts_with("{\"@odata.context\"") {
            let page: Value = serde_json::from_str(&text).unwrap();
            out.extend(page["value"].as_array().unwrap().iter().cloned());
        } else {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                out.push(serde_json::from_str(line).unwrap());
            }
        }
    }
    out
}

/// The provider's id of a record in any of the formats.
fn record_id(v: &Value) -> String {
    v.get("uuid")
        .or_else(|| v.get("properties").and_then(|p| p.get("id")))
        .or_else(|| v.get("id"))
        .and_then(Value::as_str)
        .unwrap()
        .to_owned()
}

fn labels(w: &Written) -> Value {
    serde_json::from_str(&std::fs::read_to_string(w.dir.join("labels.json")).unwrap()).unwrap()
}

fn all_ids(w: &Written) -> Vec<String> {
    w.world
        .tenants
        .iter()
        .flat_map(|t| records(&w.dir.join("exports").join(&t.slug)))
        .map(|v| record_id(&v))
        .collect()
}

// ------------------------------------------------------------------ determinism

#[test]
fn same_seed_same_bytes() {
    for (name, make) in [
        ("story", rampart_scenario::seed_story as fn(u64) -> World),
        ("eval", rampart_scenario::evaluation),
    ] {
        let a = temp_dir(&format!("det-a-{name}"));
        let b = temp_dir(&format!("det-b-{name}"));
        rampart_scenario::write(&make(11), &a).unwrap();
        rampart_scenario::write(&make(11), &b).unwrap();
        let fa = files_under(&a);
        let fb = files_under(&b);
        assert_eq!(fa.len(), fb.len());
        for (x, y) in fa.iter().zip(&fb) {
            assert_eq!(x.strip_prefix(&a).unwrap(), y.strip_prefix(&b).unwrap());
            let (bx, by) = (std::fs::read(x).unwrap(), std::fs::read(y).unwrap());
            let (sx, sy) = (String::from_utf8_lossy(&bx), String::from_utf8_lossy(&by));
            // The README names its own directory; everything else is byte-identical.
            if x.ends_with("README.md") {
                assert_eq!(
                    sx.replace(a.to_str().unwrap(), "DIR"),
                    sy.replace(b.to_str().unwrap(), "DIR")
                );
            } else {
                assert!(bx == by, "{} differs", x.display());
            }
        }
        let c = temp_dir(&format!("det-c-{name}"));
        rampart_scenario::write(&make(12), &c).unwrap();
        assert_ne!(
            std::fs::read(c.join("labels.json")).unwrap(),
            std::fs::read(a.join("labels.json")).unwrap()
        );
        for d in [a, b, c] {
            std::fs::remove_dir_all(d).unwrap();
        }
    }
}

#[test]
fn bench_output_is_deterministic() {
    assert_eq!(
        rampart_scenario::bench_graph_ndjson(500, 40, 3),
        rampart_scenario::bench_graph_ndjson(500, 40, 3)
    );
    assert_ne!(
        rampart_scenario::bench_graph_ndjson(500, 40, 3),
        rampart_scenario::bench_graph_ndjson(500, 40, 4)
    );
}

// ------------------------------------------------------------------ export shapes

#[test]
fn manifest_counts_what_was_written() {
    for which in ["story", "eval"] {
        let w = written(which);
        let ids = all_ids(w);
        assert_eq!(ids.len(), w.manifest.signins);
        assert_eq!(ids.len(), w.world.signins.len());
        let unique: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "record ids are unique");
        for f in &w.manifest.files {
            assert!(f.exists(), "{}", f.display());
        }
        for name in ["rampart.toml", "campaign.csv", "labels.json", "README.md"] {
            assert!(w.manifest.files.contains(&w.dir.join(name)), "{name}");
        }
        assert_eq!(
            w.manifest.attacks,
            labels(w)["attacks"].as_array().unwrap().len()
        );
    }
}

#[test]
fn graph_pages_are_pages_newest_first() {
    for which in ["story", "eval"] {
        let w = written(which);
        for t in w.world.tenants.iter().filter(|t| {
            !t.format.is_okta() && t.format != rampart_scenario::ExportFormat::SignInLogs
        }) {
            let dir = w.dir.join("exports").join(&t.slug);
            let pages = files_under(&dir);
            assert!(pages.len() > 1, "{} should need several pages", t.slug);
            let mut previous: Option<String> = None;
            for (i, f) in pages.iter().enumerate() {
                let page: Value =
                    serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
                let ctx = page["@odata.context"].as_str().unwrap();
                assert!(
                    ctx.starts_with("https://graph.microsoft.com/")
                        && ctx.ends_with("$metadata#auditLogs/signIns"),
                    "{ctx}"
                );
                assert_eq!(
                    page.get("@odata.nextLink").is_some(),
                    i + 1 < pages.len(),
                    "nextLink on all pages but the last"
                );
                let value = page["value"].as_array().unwrap();
                assert!(!value.is_empty() && value.len() <= 1000);
                for r in value {
                    let created = r["createdDateTime"].as_str().unwrap().to_owned();
                    assert!(created.ends_with('Z') && created.len() == 20, "{created}");
                    if let Some(p) = &previous {
                        assert!(created <= *p, "newest first: {created} after {p}");
                    }
                    previous = Some(created);
                    for key in [
                        "id",
                        "userPrincipalName",
                        "userId",
                        "appId",
                        "ipAddress",
                        "clientAppUsed",
                        "userAgent",
                        "correlationId",
                        "isInteractive",
                        "status",
                        "deviceDetail",
                        "location",
                        "appliedConditionalAccessPolicies",
                        "conditionalAccessStatus",
                    ] {
                        assert!(r.get(key).is_some(), "{key} missing in {r}");
                    }
                    assert!(r["status"]["errorCode"].is_u64());
                    let geo = &r["location"]["geoCoordinates"];
                    assert!(geo["latitude"].is_f64() && geo["longitude"].is_f64());
                    assert_eq!(r["location"]["countryOrRegion"].as_str().unwrap().len(), 2);
                    if ctx.contains("/v1.0/") {
                        assert_eq!(
                            r["isInteractive"], true,
                            "v1.0 lists interactive sign-ins only"
                        );
                        assert!(r.get("authenticationDetails").is_none());
                    } else {
                        assert!(
                            r["authenticationDetails"].is_array()
                                && r["signInEventTypes"].is_array()
                        );
                        assert!(r["autonomousSystemNumber"].is_u64());
                    }
                }
            }
        }
    }
}

#[test]
fn signinlogs_records_have_the_azure_monitor_envelope() {
    let w = written("story");
    let recs = records(&w.dir.join("exports/delta-clinic"));
    assert!(!recs.is_empty());
    for r in &recs {
        assert!(r["resultType"].is_string(), "resultType is a string");
        assert_eq!(
            r["resultType"].as_str().unwrap(),
            r["properties"]["status"]["errorCode"].to_string()
        );
        assert!(matches!(
            r["category"].as_str().unwrap(),
            "SignInLogs" | "NonInteractiveUserSignInLogs"
        ));
        assert_eq!(r["operationName"], "Sign-in activity");
        assert!(
            r["properties"]["createdDateTime"]
                .as_str()
                .unwrap()
                .ends_with("+00:00")
        );
        assert_eq!(r["callerIpAddress"], r["properties"]["ipAddress"]);
        assert_eq!(
            r["location"],
            r["properties"]["location"]["countryOrRegion"]
        );
        let time: String = r["time"].as_str().unwrap().into();
        let created: String = r["properties"]["createdDateTime"].as_str().unwrap().into();
        assert!(time[..19] >= created[..19], "emitted after the sign-in");
    }
    // The credential-proven failures carry the "Correct password" step.
    let mfa = recs.iter().find(|r| r["resultType"] == "50074").unwrap();
    assert_eq!(
        mfa["properties"]["authenticationDetails"][0]["authenticationStepResultDetail"],
        "Correct password"
    );
    assert!(
        mfa["properties"]["authenticationDetails"][0]
            .get("StatusSequence")
            .is_some()
    );
}

#[test]
fn okta_events_carry_the_fields_the_research_lists() {
    for which in ["story", "eval"] {
        let w = written(which);
        for t in w.world.tenants.iter().filter(|t| t.format.is_okta()) {
            let recs = records(&w.dir.join("exports").join(&t.slug));
            let mut previous = String::new();
            let mut kinds = BTreeSet::new();
            for r in &recs {
                let published = r["published"].as_str().unwrap();
                assert!(
                    published.ends_with('Z') && published.len() == 24,
                    "{published}"
                );
                assert!(
                    published >= previous.as_str(),
                    "Okta's default order is ascending"
                );
                previous = published.to_owned();
                kinds.insert(r["eventType"].as_str().unwrap().to_owned());
                assert!(
                    r["uuid"]
                        .as_str()
                        .unwrap()
                        .split('-')
                        .nth(2)
                        .unwrap()
                        .starts_with('1'),
                    "time-based uuid"
                );
                assert!(r["actor"]["alternateId"].as_str().unwrap().contains('@'));
                assert_eq!(r["actor"]["type"], "User");
                let client = &r["client"];
                let ip: IpAddr = client["ipAddress"].as_str().unwrap().parse().unwrap();
                assert_eq!(
                    r["request"]["ipChain"][0]["ip"]
                        .as_str()
                        .unwrap()
                        .parse::<IpAddr>()
                        .unwrap(),
                    ip
                );
                let geo = &client["geographicalContext"];
                assert!(
                    geo["country"].as_str().unwrap().len() > 2,
                    "country is a full name"
                );
                assert!(geo["postalCode"].is_string());
                assert!(geo["geolocation"]["lat"].is_f64() && geo["geolocation"]["lon"].is_f64());
                assert!(
                    client["userAgent"]["rawUserAgent"].is_string()
                        && client["userAgent"]["os"].is_string()
                );
                let sc = &r["securityContext"];
                assert!(
                    sc["asNumber"].is_u64()
                        && sc["asOrg"].is_string()
                        && sc["isp"].is_string()
                        && sc["isProxy"].is_boolean()
                );
                assert!(matches!(
                    r["outcome"]["result"].as_str().unwrap(),
                    "SUCCESS" | "FAILURE"
                ));
                assert!(r["outcome"].get("reason").is_some());
                assert!(r["authenticationContext"]["externalSessionId"].is_string());
                assert_eq!(r["version"], "0");
            }
            for k in [
                "user.session.start",
                "user.authentication.auth_via_mfa",
                "user.authentication.sso",
            ] {
                assert!(kinds.contains(k), "{} has no {k}", t.slug);
            }
        }
    }
}

#[test]
fn mobile_carrier_records_look_like_phones_on_a_carrier() {
    let w = written("eval");
    let traps = &labels(w)["benign_traps"]["mobile_carrier"];
    let ids: BTreeSet<&str> = traps
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(ids.len() > 20);
    let mut okta_seen = 0;
    for t in &w.world.tenants {
        for r in records(&w.dir.join("exports").join(&t.slug)) {
            if !ids.contains(record_id(&r).as_str()) {
                continue;
            }
            if t.format.is_okta() {
                okta_seen += 1;
                assert_eq!(r["client"]["device"], "Mobile");
                let isp = r["securityContext"]["isp"].as_str().unwrap();
                assert!(
                    isp.contains("mobile") || isp.contains("wireless") || isp.contains("mobility"),
                    "{isp}"
                );
            } else {
                let os = r["deviceDetail"]["operatingSystem"].as_str().unwrap();
                assert!(os.starts_with("Ios") || os.starts_with("Android"), "{os}");
            }
        }
    }
    assert!(okta_seen > 0);
    // Each is hundreds of km from the user's home, minutes from a laptop sign-in somewhere.
    for s in w
        .world
        .signins
        .iter()
        .filter(|s| s.truth == Truth::Trap(Trap::MobileCarrier))
    {
        let user = &w.world.tenants[s.tenant].users[s.user];
        let n = w.world.network(s);
        assert_eq!(n.role, Role::Mobile);
        assert!(n.city.distance_km(user.home) > 150.0);
    }
}

// ------------------------------------------------------------------ labels

#[test]
fn every_labelled_record_is_in_the_exports() {
    for which in ["story", "eval"] {
        let w = written(which);
        let ids: BTreeSet<String> = all_ids(w).into_iter().collect();
        let l = labels(w);
        let attacks = l["attacks"].as_array().unwrap();
        assert!(!attacks.is_empty());
        for a in attacks {
            assert!(ids.contains(a["record_id"].as_str().unwrap()), "{a}");
            assert!(
                !a["expected_findings"].as_array().unwrap().is_empty(),
                "every attack should be caught by something: {a}"
            );
            for k in ["attack_id", "tenant", "user", "kind", "time", "ip"] {
                assert!(a[k].is_string(), "{k}");
            }
        }
        for s in l["attack_summary"].as_array().unwrap() {
            assert!(!s["record_ids"].as_array().unwrap().is_empty(), "{s}");
        }
        let traps = l["benign_traps"].as_object().unwrap();
        for (kind, list) in traps {
            for id in list.as_array().unwrap() {
                assert!(ids.contains(id.as_str().unwrap()), "{kind} {id}");
            }
        }
        let attack_ids: BTreeSet<&str> = attacks
            .iter()
            .map(|a| a["record_id"].as_str().unwrap())
            .collect();
        for list in traps.values() {
            for id in list.as_array().unwrap() {
                assert!(
                    !attack_ids.contains(id.as_str().unwrap()),
                    "a record is either an attack or a trap"
                );
            }
        }
    }
}

#[test]
fn flights_are_physically_plausible() {
    for which in ["story", "eval"] {
        let w = written(which);
        assert!(w.world.trips.len() >= 4);
        for trip in &w.world.trips {
            let before = w
                .world
                .signins
                .iter()
                .find(|s| s.key == trip.last_before)
                .expect("a sign-in before boarding");
            let after = w
                .world
                .signins
                .iter()
                .find(|s| s.key == trip.first_after)
                .expect("a sign-in after landing");
            let nb = w.world.network(before);
            let na = w.world.network(after);
            let km = distance_km(nb.lat, nb.lon, na.lat, na.lon);
            let hours = (after.time_ms - before.time_ms) as f64 / 3.6e6;
            let flight = trip.from.distance_km(trip.to);
            assert!(
                hours >= flight / 900.0 + 1.0,
                "{} → {}: {hours:.1} h for {flight:.0} km",
                trip.from.name,
                trip.to.name
            );
            assert!(km / hours < 900.0, "{km:.0} km in {hours:.1} h");
            // nobody signs in on board
            let user_between = w
                .world
                .signins
                .iter()
                .filter(|s| s.tenant == trip.tenant && s.user == trip.user)
                .filter(|s| s.time_ms > before.time_ms && s.time_ms < after.time_ms)
                .count();
            assert_eq!(user_between, 0);
        }
        // the long-haul case of the brief: New York area → London takes ≥ 7 h + 1 h
        if which == "story" {
            let t = w
                .world
                .trips
                .iter()
                .find(|t| t.to.name == "London")
                .unwrap();
            let before = w
                .world
                .signins
                .iter()
                .find(|s| s.key == t.last_before)
                .unwrap();
            let after = w
                .world
                .signins
                .iter()
                .find(|s| s.key == t.first_after)
                .unwrap();
            assert!(after.time_ms - before.time_ms >= 8 * 3_600_000);
        }
    }
}

#[test]
fn declared_vpn_is_in_the_config_and_only_there_are_documentation_ranges() {
    for which in ["story", "eval"] {
        let w = written(which);
        let config: toml::Value =
            toml::from_str(&std::fs::read_to_string(w.dir.join("rampart.toml")).unwrap()).unwrap();
        let tenants = config["tenants"].as_table().unwrap();
        assert_eq!(tenants.len(), w.world.tenants.len());
        let mut declared = 0;
        for (i, t) in w.world.tenants.iter().enumerate() {
            let nets: Vec<ipnet::IpNet> = tenants[&t.slug]["trusted_networks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().parse().unwrap())
                .collect();
            assert_eq!(tenants[&t.slug]["name"].as_str().unwrap(), t.name);
            for s in w.world.signins.iter().filter(|s| s.tenant == i) {
                let n = w.world.network(s);
                let inside = nets.iter().any(|net| net.contains(&n.ip));
                assert_eq!(inside, n.role == Role::DeclaredVpn, "{}", n.ip);
                assert_eq!(
                    is_documentation(n.ip),
                    n.role == Role::DeclaredVpn,
                    "{}",
                    n.ip
                );
                if s.truth == Truth::Trap(Trap::DeclaredVpn) {
                    declared += 1;
                    assert!(inside);
                }
            }
        }
        assert!(declared > 10, "{which}: declared VPN sign-ins");
    }
    let story = written("story");
    let text = std::fs::read_to_string(story.dir.join("rampart.toml")).unwrap();
    assert!(
        text.contains("[tenants.acme-dental]")
            && text.contains("trusted_networks = [\"198.51.100.0/24\"]"),
        "{text}"
    );
}

#[test]
fn campaign_csv_has_the_documented_shape() {
    for which in ["story", "eval"] {
        let w = written(which);
        let text = std::fs::read_to_string(w.dir.join("campaign.csv")).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("type,value,description"));
        let mut types = BTreeSet::new();
        for l in lines {
            let t = l.split(',').next().unwrap();
            assert!(
                ["ipv4", "ipv6", "cidr", "domain", "url", "email"].contains(&t),
                "{l}"
            );
            types.insert(t);
        }
        assert_eq!(types.len(), 6, "every indicator type appears");
        assert!(text.contains("[.]"), "some values are defanged");
    }
}

#[test]
fn commuters_live_50_to_150_km_from_the_office_and_switch_sides() {
    for which in ["story", "eval"] {
        let w = &written(which).world;
        let mut seen = 0;
        for s in w
            .signins
            .iter()
            .filter(|s| s.truth == Truth::Trap(Trap::Commuter))
        {
            let t = &w.tenants[s.tenant];
            let user = &t.users[s.user];
            let km = user.home.distance_km(t.office);
            assert!(
                (50.0..=150.0).contains(&km),
                "{} lives {km:.0} km away",
                user.upn
            );
            assert!(matches!(w.network(s).role, Role::Home | Role::Office));
            seen += 1;
        }
        assert!(seen >= 10, "{which}: {seen}");
    }
}

// ------------------------------------------------------------------ the seed story

fn attack_records(w: &World, kind: AttackKind) -> Vec<&rampart_scenario::SignIn> {
    w.signins
        .iter()
        .filter(|s| matches!(s.truth, Truth::Attack(a) if w.attacks[a].kind == kind))
        .collect()
}

#[test]
fn story_has_three_partners_of_the_right_formats_and_size() {
    let w = &written("story").world;
    let slugs: Vec<&str> = w.tenants.iter().map(|t| t.slug.as_str()).collect();
    assert_eq!(slugs, ["acme-dental", "brightline-law", "delta-clinic"]);
    assert!(
        !w.tenants[0].format.is_okta()
            && w.tenants[1].format.is_okta()
            && !w.tenants[2].format.is_okta()
    );
    for t in &w.tenants {
        assert!((8..=15).contains(&t.users.len()), "{}", t.slug);
    }
    assert_eq!((w.end_ms - w.start_ms) / 86_400_000, 21);
}

#[test]
fn story_partner_one_is_impossible_travel_new_york_to_phoenix() {
    let w = &written("story").world;
    let recs = attack_records(w, AttackKind::AitmTakeover);
    assert_eq!(recs.len(), 2);
    let fail = recs[0];
    assert_eq!(
        fail.outcome.entra_code(),
        50074,
        "an authentication failure, password proven"
    );
    assert_eq!(w.network(fail).city.name, "Phoenix");
    assert_eq!(recs[1].outcome.entra_code(), 0);
    // the user's own previous sign-in: New York, about 20 minutes earlier
    let prev = w
        .signins
        .iter()
        .filter(|s| {
            s.tenant == fail.tenant
                && s.user == fail.user
                && s.time_ms < fail.time_ms
                && s.truth != fail.truth
        })
        .max_by_key(|s| s.time_ms)
        .unwrap();
    let gap = (fail.time_ms - prev.time_ms) / 60_000;
    assert!((15..=25).contains(&gap), "{gap} minutes");
    let (a, b) = (w.network(prev), w.network(fail));
    assert!(distance_km(a.lat, a.lon, b.lat, b.lon) > 3000.0);
    assert_eq!(a.city.region, "New York");
}

#[test]
fn story_vacationer_is_hit_from_partner_ones_attacker_address() {
    let w = &written("story").world;
    let p1 = attack_records(w, AttackKind::AitmTakeover);
    let p2 = attack_records(w, AttackKind::CrossTenantIpReuse);
    assert_eq!(p2.len(), 1);
    assert_eq!(
        w.network(p2[0]).ip,
        w.network(p1[0]).ip,
        "the vacationer's attacker IP is partner 1's"
    );
    assert_eq!(w.tenants[p2[0].tenant].slug, "brightline-law");
    assert!(
        p2[0].outcome.password_proven() && p2[0].outcome.entra_code() != 0,
        "an authentication failure"
    );
    assert_eq!(p2[0].channel, Channel::OktaMfa);
    // The user really is in Arizona: the same day's own sign-ins are labelled vacation and geolocate there.
    let mine: Vec<_> = w
        .signins
        .iter()
        .filter(|s| {
            s.tenant == p2[0].tenant
                && s.user == p2[0].user
                && (s.time_ms - p2[0].time_ms).abs() < 12 * 3_600_000
                && s.truth != p2[0].truth
        })
        .collect();
    assert!(!mine.is_empty());
    for s in mine {
        assert_eq!(s.truth, Truth::Trap(Trap::Vacation));
        assert_eq!(w.network(s).city.region, "Arizona");
    }
    let a = &w.attacks[match p2[0].truth {
        Truth::Attack(a) => a,
        _ => unreachable!(),
    }];
    assert_eq!(a.expected, [FindingKind::CrossTenantIp]);
}

#[test]
fn story_campaign_list_holds_partner_three_attacker() {
    let w = written("story");
    let p3 = attack_records(&w.world, AttackKind::CampaignIndicator);
    assert_eq!(p3.len(), 1);
    assert_eq!(w.world.tenants[p3[0].tenant].slug, "delta-clinic");
    let ip = w.world.network(p3[0]).ip;
    let text = std::fs::read_to_string(w.dir.join("campaign.csv")).unwrap();
    let listed: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert!(
        listed.iter().any(|v| refang(v) == ip.to_string()),
        "{ip} not in {listed:?}"
    );
    assert!(
        listed_addresses(&w.world.campaign)
            .iter()
            .any(|n| n.contains(&ip))
    );
    // travel alone would not reveal it: the user's previous sign-in is in the same metro
    let prev = w
        .world
        .signins
        .iter()
        .filter(|s| s.tenant == p3[0].tenant && s.user == p3[0].user && s.time_ms < p3[0].time_ms)
        .max_by_key(|s| s.time_ms)
        .unwrap();
    let (a, b) = (w.world.network(prev), w.world.network(p3[0]));
    assert!(distance_km(a.lat, a.lon, b.lat, b.lon) < 60.0);
    // partner 1's attacker is not on the list: only cross-tenant correlation links partner 2
    let phx = w
        .world
        .network(attack_records(&w.world, AttackKind::AitmTakeover)[0])
        .ip;
    assert!(
        !listed_addresses(&w.world.campaign)
            .iter()
            .any(|n| n.contains(&phx))
    );
}

#[test]
fn readme_gives_the_hunt_command() {
    let w = written("story");
    let text = std::fs::read_to_string(w.dir.join("README.md")).unwrap();
    let d = w.dir.display();
    let cmd = format!(
        "rampart hunt --config {d}/rampart.toml --indicators {d}/campaign.csv acme-dental={d}/exports/acme-dental brightline-law={d}/exports/brightline-law delta-clinic={d}/exports/delta-clinic"
    );
    assert!(text.contains(&cmd), "{text}");
    assert!(text.contains("Phoenix"));
}

// ------------------------------------------------------------------ the evaluation world

#[test]
fn evaluation_world_has_its_size_traps_and_attacks() {
    let w = written("eval");
    let world = &w.world;
    assert_eq!(world.tenants.len(), 4);
    assert_eq!((world.end_ms - world.start_ms) / 86_400_000, 14);
    assert!(
        (6500..=8500).contains(&world.signins.len()),
        "{}",
        world.signins.len()
    );
    let formats: BTreeSet<&str> = world.tenants.iter().map(|t| t.format.as_str()).collect();
    assert!(
        formats.contains("entra_graph_beta")
            && formats.contains("entra_graph_v1")
            && formats.contains("okta_ndjson")
            && formats.contains("okta_json_array")
    );
    assert!(
        (25..=30).contains(&world.attacks.len()),
        "{} attacks",
        world.attacks.len()
    );
    let kinds: BTreeSet<AttackKind> = world.attacks.iter().map(|a| a.kind).collect();
    assert_eq!(kinds.len(), 8, "every kind of attack: {kinds:?}");
    let l = labels(w);
    for trap in Trap::ALL {
        let n = l["benign_traps"][trap.as_str()].as_array().unwrap().len();
        assert!(n >= 5, "{}: {n}", trap.as_str());
    }
    // the credential-proven failure codes of the brief all appear
    let codes: BTreeSet<u32> = attack_records(world, AttackKind::AitmCredentialValidFailure)
        .iter()
        .map(|s| s.outcome.entra_code())
        .chain(
            attack_records(world, AttackKind::CrossTenantIpReuse)
                .iter()
                .map(|s| s.outcome.entra_code()),
        )
        .collect();
    for c in [50074, 50076, 53003, 500121] {
        assert!(codes.contains(&c), "{c} missing from {codes:?}");
    }
}

#[test]
fn evaluation_attacks_have_the_geometry_their_kind_promises() {
    let w = &written("eval").world;
    let prev_own = |s: &rampart_scenario::SignIn| {
        w.signins
            .iter()
            .filter(|o| {
                o.tenant == s.tenant
                    && o.user == s.user
                    && o.time_ms < s.time_ms
                    && !matches!(o.truth, Truth::Attack(_))
            })
            .max_by_key(|o| o.time_ms)
            .unwrap()
    };
    let speed = |a: &rampart_scenario::SignIn, b: &rampart_scenario::SignIn| {
        let (na, nb) = (w.network(a), w.network(b));
        let km = distance_km(na.lat, na.lon, nb.lat, nb.lon);
        (km, km / ((b.time_ms - a.time_ms).abs() as f64 / 3.6e6))
    };
    for s in &w.signins {
        let Truth::Attack(a) = s.truth else { continue };
        let kind = w.attacks[a].kind;
        let prev = prev_own(s);
        let (km, kmh) = speed(prev, s);
        match kind {
            AttackKind::AitmTakeover
            | AttackKind::AitmCredentialValidFailure
            | AttackKind::Sandwich
            | AttackKind::TokenReplay => {
                assert!(
                    km > 1000.0 && kmh > 2000.0,
                    "{kind}: {km:.0} km at {kmh:.0} km/h"
                );
            }
            AttackKind::SameCountryNearby => {
                assert!(
                    (200.0..1000.0).contains(&km) && kmh < 300.0,
                    "{kind}: {km:.0} km at {kmh:.0} km/h"
                );
                assert_eq!(w.network(prev).city.country, w.network(s).city.country);
                let next = w
                    .signins
                    .iter()
                    .filter(|o| o.tenant == s.tenant && o.user == s.user && o.time_ms > s.time_ms)
                    .min_by_key(|o| o.time_ms)
                    .unwrap();
                assert!(speed(s, next).1 < 300.0, "the way back is feasible too");
            }
            AttackKind::CampaignIndicator | AttackKind::CrossTenantIpReuse => {
                assert!(
                    km < 100.0,
                    "{kind}: travel alone reveals nothing ({km:.0} km)"
                );
            }
            AttackKind::PasswordSpray => assert!(!s.outcome.password_proven()),
        }
        if kind == AttackKind::Sandwich {
            let next = w
                .signins
                .iter()
                .filter(|o| o.tenant == s.tenant && o.user == s.user && o.time_ms > s.time_ms)
                .min_by_key(|o| o.time_ms)
                .unwrap();
            assert_eq!(w.network(next).ip, w.network(prev).ip, "A→B→A");
            assert!(next.time_ms - prev.time_ms <= 45 * 60_000);
        }
    }
    // the vacationer case again: the bayside attacker address also attacked another partner
    let reuse = attack_records(w, AttackKind::CrossTenantIpReuse);
    let ip = w.network(reuse[0]).ip;
    let partners: BTreeSet<usize> = w
        .signins
        .iter()
        .filter(|s| matches!(s.truth, Truth::Attack(_)) && w.network(s).ip == ip)
        .map(|s| s.tenant)
        .collect();
    assert_eq!(partners.len(), 2);
}

#[test]
fn evaluation_undeclared_vpn_is_shared_and_far() {
    let w = &written("eval").world;
    let mut users: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for s in w
        .signins
        .iter()
        .filter(|s| s.truth == Truth::Trap(Trap::UndeclaredVpn))
    {
        let n = w.network(s);
        assert_eq!(n.role, Role::UndeclaredVpn);
        assert!(n.city.distance_km(w.tenants[s.tenant].users[s.user].home) > 500.0);
        users.entry(s.tenant).or_default().insert(s.user);
    }
    assert_eq!(users.len(), 1, "one partner");
    let (t, u) = users.iter().next().unwrap();
    assert!(
        u.len() * 2 > w.tenants[*t].users.len(),
        "used by most of the partner's users"
    );
    assert!(w.tenants[*t].trusted_networks.is_empty());
}

#[test]
fn evaluation_dual_stack_pairs_v4_and_v6_minutes_apart() {
    let w = &written("eval").world;
    let v6: Vec<_> = w
        .signins
        .iter()
        .filter(|s| s.truth == Truth::Trap(Trap::DualStack))
        .collect();
    assert!(!v6.is_empty());
    let mut close = 0;
    for s in &v6 {
        assert!(w.network(s).ip.is_ipv6());
        let user = &w.tenants[s.tenant].users[s.user];
        if w.signins.iter().any(|o| {
            o.tenant == s.tenant
                && o.user == s.user
                && o.net == user.home_net
                && (o.time_ms - s.time_ms).abs() < 30 * 60_000
        }) {
            close += 1;
        }
    }
    assert!(close > 0, "some IPv6 sign-ins sit minutes from an IPv4 one");
}

// ------------------------------------------------------------------ the benchmark generator

#[test]
fn bench_records_are_graph_v1_sign_ins_in_time_order() {
    let bytes = rampart_scenario::bench_graph_ndjson(3000, 200, 42);
    let lines: Vec<&[u8]> = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 3000);
    let avg = bytes.len() / lines.len();
    assert!((1500..=3000).contains(&avg), "{avg} bytes a record");
    let mut ids = BTreeSet::new();
    let mut users = BTreeSet::new();
    let mut last = String::new();
    for l in lines {
        let v: Value = serde_json::from_slice(l).unwrap();
        ids.insert(v["id"].as_str().unwrap().to_owned());
        users.insert(v["userPrincipalName"].as_str().unwrap().to_owned());
        let t = v["createdDateTime"].as_str().unwrap().to_owned();
        assert!(t >= last);
        last = t;
        assert!(v["location"]["geoCoordinates"]["latitude"].is_f64());
        assert!(v["status"]["errorCode"].is_u64());
        assert!(v["deviceDetail"]["operatingSystem"].is_string());
        assert_eq!(
            v["appliedConditionalAccessPolicies"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
        assert!(v.get("authenticationDetails").is_none(), "v1.0 shape");
    }
    assert_eq!(ids.len(), 3000);
    assert!(users.len() > 150 && users.len() <= 200, "{}", users.len());
}
