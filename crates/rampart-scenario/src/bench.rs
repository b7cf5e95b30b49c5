//! Bulk Microsoft Graph v1.0 `signIn` records for the hunt benchmark.
//!
//! Every identity's constant parts (names, ids, addresses, locations, devices) are
//! rendered to JSON once; each record then only adds its id, time, correlation id and a
//! choice among pre-rendered fragments, so generation runs far faster than any decoder.

use crate::clients::{self, App, Client};
use crate::geo::{self, City};
use crate::ids::{self, push_guid};
use crate::net::{self, Allocator, Provider};
use crate::time::{DAY, days_from_civil, push_datetime};

const FIRST: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Carlos",
    "Karen",
    "Wei",
    "Priya",
    "Ahmed",
    "Fatima",
    "Hiroshi",
    "Olga",
    "Kwame",
    "Sofia",
    "Diego",
    "Aisha",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Nguyen",
    "Patel",
    "Kim",
    "Okafor",
    "Schmidt",
    "Rossi",
];
const HOMES: &[&City] = &[
    &geo::NEW_YORK,
    &geo::BROOKLYN,
    &geo::BOSTON,
    &geo::CHICAGO,
    &geo::DALLAS,
    &geo::HOUSTON,
    &geo::DENVER,
    &geo::SEATTLE,
    &geo::SAN_FRANCISCO,
    &geo::LOS_ANGELES,
    &geo::ATLANTA,
    &geo::MIAMI,
    &geo::PHILADELPHIA,
    &geo::WASHINGTON,
    &geo::PHOENIX,
    &geo::MINNEAPOLIS,
    &geo::PORTLAND,
    &geo::AUSTIN,
    &geo::CHARLOTTE,
    &geo::COLUMBUS,
];
const ISPS: &[&Provider] = &[
    &net::COMCAST,
    &net::VERIZON_FIOS,
    &net::SPECTRUM,
    &net::COX,
    &net::ATT,
];
const FAR: &[(&City, &Provider)] = &[
    (&geo::AMSTERDAM, &net::DIGITALOCEAN),
    (&geo::FRANKFURT, &net::HETZNER),
    (&geo::LAGOS, &net::M247),
    (&geo::SINGAPORE, &net::LINODE),
    (&geo::SAO_PAULO, &net::VULTR),
    (&geo::BUCHAREST, &net::M247),
];

fn quote(out: &mut Vec<u8>, s: &str) {
    // Only ASCII text without quotes or backslashes reaches here.
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// `"ipAddress":"…",` and the `"location":{…}` object of an address.
fn place(ip: &str, city: &City, rng: &mut fastrand::Rng) -> (Vec<u8>, Vec<u8>) {
    let mut a = Vec::new();
    a.extend_from_slice(b"\"ipAddress\":");
    quote(&mut a, ip);
    a.push(b',');
    let lat = city.lat + (rng.f64() - 0.5) * 0.04;
    let lon = city.lon + (rng.f64() - 0.5) * 0.04;
    let loc = format!(
        "\"location\":{{\"city\":\"{}\",\"state\":\"{}\",\"countryOrRegion\":\"{}\",\"geoCoordinates\":{{\"altitude\":null,\"latitude\":{:.4},\"longitude\":{:.4}}}}},",
        city.name, city.region, city.country, lat, lon
    );
    (a, loc.into_bytes())
}

/// (`clientAppUsed` and `userAgent`, `deviceDetail`) of a client.
fn client_fragment(c: &Client, device: Option<(&str, &str, bool)>) -> (Vec<u8>, Vec<u8>) {
    let (id, name, managed) = device.unwrap_or(("", "", false));
    let head = format!(
        "\"clientAppUsed\":\"{}\",\"userAgent\":\"{}\",",
        c.client_app, c.ua
    );
    let trust = if id.is_empty() {
        ""
    } else if managed {
        "Azure AD joined"
    } else {
        "Azure AD registered"
    };
    let tail = format!(
        "\"deviceDetail\":{{\"deviceId\":\"{id}\",\"displayName\":\"{name}\",\"operatingSystem\":\"{}\",\"browser\":\"{}\",\"isCompliant\":{managed},\"isManaged\":{managed},\"trustType\":\"{trust}\"}},",
        c.entra_os, c.entra_browser
    );
    (head.into_bytes(), tail.into_bytes())
}

fn app_fragment(a: &App) -> (Vec<u8>, Vec<u8>) {
    (
        format!("\"appId\":\"{}\",\"appDisplayName\":\"{}\",", a.id, a.name).into_bytes(),
        format!(
            "\"resourceDisplayName\":\"{}\",\"resourceId\":\"{}\",",
            a.resource_name, a.resource_id
        )
        .into_bytes(),
    )
}

struct Org {
    tenant: Vec<u8>,
    /// conditional access list for success, MFA failure and bad password
    ca: [Vec<u8>; 3],
    office: (Vec<u8>, Vec<u8>),
}

struct Identity {
    org: usize,
    user: Vec<u8>,
    home: (Vec<u8>, Vec<u8>),
    mobile: (Vec<u8>, Vec<u8>),
    laptop: (Vec<u8>, Vec<u8>),
    desktop: (Vec<u8>, Vec<u8>),
    phone: (Vec<u8>, Vec<u8>),
}

fn ca_list(ids: &[String; 3], results: [&str; 3]) -> Vec<u8> {
    let names = [
        "Require MFA for all users",
        "Block legacy authentication",
        "Block sign-ins from outside allowed countries",
    ];
    let mut s = String::from("\"appliedConditionalAccessPolicies\":[");
    for i in 0..3 {
        if i > 0 {
            s.push(',');
        }
        let grant = match (i, results[i]) {
            (_, "notApplied") => "",
            (0, _) => "\"Mfa\"",
            _ => "\"Block\"",
        };
        s.push_str(&format!(
            "{{\"id\":\"{}\",\"displayName\":\"{}\",\"enforcedGrantControls\":[{grant}],\"enforcedSessionControls\":[],\"result\":\"{}\"}}",
            ids[i], names[i], results[i]
        ));
    }
    s.push_str("]}");
    s.into_bytes()
}

/// `events` Entra Graph v1.0 `signIn` records, one JSON object a line, in time order,
/// spread over `identities` users (in organisations of 50 sharing a tenant and an office).
/// About 2 KB a record with the full v1.0 field set. Mostly ordinary sign-ins from home,
/// office and phone, with a few bad passwords, MFA interrupts and far-away hosting sign-ins.
pub fn bench_graph_ndjson(events: usize, identities: usize, seed: u64) -> Vec<u8> {
    let identities = identities.max(1);
    let mut rng = fastrand::Rng::with_seed(ids::mix(seed, 0xbe9c));
    let mut alloc = Allocator::default();
    let n_orgs = identities.div_ceil(50);
    let orgs: Vec<Org> = (0..n_orgs)
        .map(|_| {
            let tid = ids::guid(&mut rng);
            let city = HOMES[rng.usize(0..HOMES.len())];
            let ip = alloc.v4(&net::COMCAST_BUSINESS, &mut rng).to_string();
            let policy_ids = [
                ids::guid(&mut rng),
                ids::guid(&mut rng),
                ids::guid(&mut rng),
            ];
            Org {
                tenant: format!("\"resourceTenantId\":\"{tid}\",\"homeTenantId\":\"{tid}\",")
                    .into_bytes(),
                ca: [
                    ca_list(&policy_ids, ["success", "notApplied", "notApplied"]),
                    ca_list(&policy_ids, ["failure", "notApplied", "notApplied"]),
                    ca_list(&policy_ids, ["notApplied", "notApplied", "notApplied"]),
                ],
                office: place(&ip, city, &mut rng),
            }
        })
        .collect();
    let people: Vec<Identity> = (0..identities)
        .map(|i| {
            let org = i / 50;
            let first = FIRST[rng.usize(0..FIRST.len())];
            let last = LAST[rng.usize(0..LAST.len())];
            let uid = ids::guid(&mut rng);
            let user = format!(
                "\"userDisplayName\":\"{first} {last}\",\"userPrincipalName\":\"{}.{}{}@org{org}.example.com\",\"userId\":\"{uid}\",",
                first.to_lowercase(),
                last.to_lowercase(),
                i % 50
            );
            let home_city = HOMES[rng.usize(0..HOMES.len())];
            let isp = ISPS[rng.usize(0..ISPS.len())];
            let home_ip = alloc.v4(isp, &mut rng).to_string();
            let mobile_ip = alloc.v4(&net::TMOBILE, &mut rng).to_string();
            let laptop = clients::LAPTOP_BROWSERS[rng.usize(0..clients::LAPTOP_BROWSERS.len())];
            let (_, phone) = clients::PHONES[rng.usize(0..clients::PHONES.len())];
            let dev = ids::guid(&mut rng);
            let name = format!("LAPTOP-{}", ids::okta_id(&mut rng, "", 7).to_uppercase());
            let phone_dev = ids::guid(&mut rng);
            Identity {
                org,
                user: user.into_bytes(),
                home: place(&home_ip, home_city, &mut rng),
                mobile: place(&mobile_ip, home_city, &mut rng),
                laptop: client_fragment(laptop, Some((&dev, &name, true))),
                desktop: client_fragment(&clients::WIN_OUTLOOK, Some((&dev, &name, true))),
                phone: client_fragment(phone, Some((&phone_dev, "iPhone", false))),
            }
        })
        .collect();
    let far: Vec<(Vec<u8>, Vec<u8>)> = FAR
        .iter()
        .map(|(city, p)| {
            let ip = alloc.v4(p, &mut rng).to_string();
            place(&ip, city, &mut rng)
        })
        .collect();
    let attacker = client_fragment(&clients::KIT_CHROME, None);
    let web_apps: Vec<(Vec<u8>, Vec<u8>)> = [
        &clients::OFFICE_HOME,
        &clients::OUTLOOK_WEB,
        &clients::SHAREPOINT_WEB,
    ]
    .into_iter()
    .map(app_fragment)
    .collect();
    let desktop_apps: Vec<(Vec<u8>, Vec<u8>)> = [&clients::MS_OFFICE, &clients::TEAMS]
        .into_iter()
        .map(app_fragment)
        .collect();
    let mobile_app = app_fragment(&clients::OUTLOOK_MOBILE);
    const RISK: &[u8] = b"\"isInteractive\":true,\"riskDetail\":\"none\",\"riskLevelAggregated\":\"none\",\"riskLevelDuringSignIn\":\"none\",\"riskState\":\"none\",\"riskEventTypes\":[],\"riskEventTypes_v2\":[],";
    const OK: &[u8] =
        b"\"status\":{\"errorCode\":0,\"failureReason\":null,\"additionalDetails\":null},";
    const BAD: &[u8] = b"\"status\":{\"errorCode\":50126,\"failureReason\":\"Error validating credentials due to invalid username or password.\",\"additionalDetails\":\"The user didn't enter the right credentials. \\u00a0It's expected to see some number of these errors in your logs due to users making mistakes.\"},";
    const MFA: &[u8] = b"\"status\":{\"errorCode\":50074,\"failureReason\":\"Strong Authentication is required.\",\"additionalDetails\":\"The user is being interrupted by an interactive authentication requirement. Check the Conditional Access policies and per-user MFA settings.\"},";

    let start = days_from_civil(2024, 9, 2) * DAY;
    let span = 7 * DAY;
    let mut out = Vec::with_capacity(events * 2300);
    for i in 0..events {
        let time = start + (i as i64 * span) / events.max(1) as i64;
        let who = &people[rng.usize(0..people.len())];
        let org = &orgs[who.org];
        let roll = rng.u32(0..1000);
        let (netf, client, app) = match roll {
            0..=5 => (&far[rng.usize(0..far.len())], &attacker, &web_apps[0]),
            6..=99 => (&who.mobile, &who.phone, &mobile_app),
            _ => {
                let netf = if roll < 400 { &org.office } else { &who.home };
                if roll & 1 == 0 {
                    (netf, &who.laptop, &web_apps[rng.usize(0..web_apps.len())])
                } else {
                    (
                        netf,
                        &who.desktop,
                        &desktop_apps[rng.usize(0..desktop_apps.len())],
                    )
                }
            }
        };
        let status = rng.u32(0..100);
        let (status, ca, ca_status): (&[u8], &[u8], &[u8]) = match status {
            0..=2 => (BAD, &org.ca[2], b"notApplied"),
            3..=5 => (MFA, &org.ca[1], b"failure"),
            _ => (OK, &org.ca[0], b"success"),
        };
        out.extend_from_slice(b"{\"id\":\"");
        push_guid(&mut out, rng.u64(..), rng.u64(..));
        out.extend_from_slice(b"\",\"createdDateTime\":\"");
        push_datetime(&mut out, time);
        out.extend_from_slice(b"Z\",");
        out.extend_from_slice(&who.user);
        out.extend_from_slice(&app.0);
        out.extend_from_slice(&netf.0);
        out.extend_from_slice(&client.0);
        out.extend_from_slice(b"\"correlationId\":\"");
        push_guid(&mut out, rng.u64(..), rng.u64(..));
        out.extend_from_slice(b"\",\"conditionalAccessStatus\":\"");
        out.extend_from_slice(ca_status);
        out.extend_from_slice(b"\",");
        out.extend_from_slice(RISK);
        out.extend_from_slice(&app.1);
        out.extend_from_slice(&org.tenant);
        out.extend_from_slice(status);
        out.extend_from_slice(&client.1);
        out.extend_from_slice(&netf.1);
        out.extend_from_slice(ca);
        out.push(b'\n');
    }
    out
}
