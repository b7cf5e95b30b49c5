//! The seed story (`shared/seeds/002`): three partners, three weeks, one campaign.

use crate::World;
use crate::build::{Builder, FULL_WEEK, HYBRID, UserSpec};
use crate::campaign::defang;
use crate::clients::*;
use crate::geo::*;
use crate::model::*;
use crate::net::*;
use crate::time::*;

/// Slugs of the three partners.
pub const ACME: &str = "acme-dental";
pub const BRIGHTLINE: &str = "brightline-law";
pub const DELTA: &str = "delta-clinic";

pub fn build(seed: u64) -> World {
    let start = days_from_civil(2024, 6, 20);
    let mut b = Builder::new("seed-story", seed, start, 21);
    b.holiday(days_from_civil(2024, 7, 4));

    // ------------------------------------------------------------ partner 1: Acme Dental (Entra Graph beta)
    let acme = b.tenant(
        ACME,
        "Acme Dental Group",
        "acmedental.com",
        ExportFormat::GraphBeta,
        &NEW_YORK,
        &COGENT,
    );
    let vpn = b.net(&CORP_VPN_A, &ASHBURN, Role::DeclaredVpn);
    b.declare_trusted(acme, &CORP_VPN_A);
    let jordan = b.user(
        acme,
        UserSpec::new("Jordan", "Reyes", &BROOKLYN, &SPECTRUM).days(FULL_WEEK),
    );
    b.user(
        acme,
        UserSpec::new("Michael", "Chen", &NEW_HAVEN, &COMCAST)
            .days(HYBRID)
            .commuter(),
    );
    b.user(
        acme,
        UserSpec::new("Aisha", "Patel", &JERSEY_CITY, &VERIZON_FIOS).dual_stack(&PHILADELPHIA),
    );
    b.user(
        acme,
        UserSpec::new("Tom", "Becker", &QUEENS, &SPECTRUM).carrier_far(&TMOBILE, &WASHINGTON),
    );
    let lisa = b.user(
        acme,
        UserSpec::new("Lisa", "Nguyen", &HOBOKEN, &VERIZON_FIOS).carrier(&ATT_MOBILITY),
    );
    b.user(
        acme,
        UserSpec::new("Daniel", "Kim", &YONKERS, &SPECTRUM)
            .days(HYBRID)
            .vpn(vpn, 0.6),
    );
    b.user(
        acme,
        UserSpec::new("Sofia", "Rossi", &BROOKLYN, &VERIZON_FIOS)
            .days(HYBRID)
            .vpn(vpn, 0.4),
    );
    b.user(
        acme,
        UserSpec::new("Marcus", "Johnson", &NEWARK, &COMCAST).days(HYBRID),
    );
    b.user(
        acme,
        UserSpec::new("Emily", "Carter", &STAMFORD, &COMCAST)
            .days(HYBRID)
            .commuter(),
    );
    b.user(
        acme,
        UserSpec::new("Grace", "Liu", &QUEENS, &VERIZON_FIOS).carrier(&TMOBILE),
    );
    b.user(
        acme,
        UserSpec::new("Kevin", "O'Brien", &JERSEY_CITY, &COMCAST)
            .remote()
            .vpn(vpn, 0.5),
    );
    let nadia = b.user(acme, UserSpec::new("Nadia", "Haddad", &BROOKLYN, &SPECTRUM));

    // ------------------------------------------------------------ partner 2: Brightline Law (Okta)
    let bright = b.tenant(
        BRIGHTLINE,
        "Brightline Law LLP",
        "brightlinelaw.com",
        ExportFormat::OktaNdjson,
        &BOSTON,
        &ZAYO,
    );
    let sam = b.user(
        bright,
        UserSpec::new("Sam", "Okafor", &NEWTON, &RCN).carrier(&TMOBILE),
    );
    b.user(
        bright,
        UserSpec::new("Olivia", "Brooks", &WORCESTER, &SPECTRUM)
            .days(HYBRID)
            .commuter(),
    );
    b.user(
        bright,
        UserSpec::new("Ethan", "Walsh", &CAMBRIDGE, &COMCAST).dual_stack(&HARTFORD),
    );
    b.user(
        bright,
        UserSpec::new("Hannah", "Schultz", &QUINCY, &VERIZON_FIOS)
            .carrier_far(&ATT_MOBILITY, &ALBANY),
    );
    let ben = b.user(bright, UserSpec::new("Ben", "Alvarez", &BOSTON, &COMCAST));
    b.user(
        bright,
        UserSpec::new("Priyanka", "Rao", &PROVIDENCE, &COX)
            .days(HYBRID)
            .commuter(),
    );
    b.user(
        bright,
        UserSpec::new("James", "Murphy", &BOSTON, &RCN).days(FULL_WEEK),
    );
    b.user(bright, UserSpec::new("Chloe", "Martin", &NEWTON, &COMCAST));
    b.user(
        bright,
        UserSpec::new("Leo", "Fischer", &CAMBRIDGE, &VERIZON_FIOS).remote(),
    );
    b.user(
        bright,
        UserSpec::new("Maya", "Goldberg", &MANCHESTER_NH, &COMCAST)
            .days(HYBRID)
            .commuter(),
    );

    // ------------------------------------------------------------ partner 3: Delta Family Clinic (Entra SignInLogs)
    let delta = b.tenant(
        DELTA,
        "Delta Family Clinic",
        "deltaclinic.com",
        ExportFormat::SignInLogs,
        &DALLAS,
        &COMCAST_BUSINESS,
    );
    let priya = b.user(
        delta,
        UserSpec::new("Priya", "Shah", &PLANO, &ATT).days(FULL_WEEK),
    );
    b.user(
        delta,
        UserSpec::new("Carlos", "Mendoza", &DENTON, &SPECTRUM)
            .days(HYBRID)
            .commuter(),
    );
    b.user(
        delta,
        UserSpec::new("Jessica", "Tran", &DALLAS, &ATT).dual_stack(&HOUSTON),
    );
    b.user(
        delta,
        UserSpec::new("Robert", "Hughes", &WACO, &SPECTRUM)
            .days(HYBRID)
            .commuter(),
    );
    b.user(
        delta,
        UserSpec::new("Angela", "Price", &DALLAS, &SPECTRUM).carrier_far(&TMOBILE, &HOUSTON),
    );
    let omar = b.user(delta, UserSpec::new("Omar", "Farouk", &PLANO, &ATT));
    b.user(
        delta,
        UserSpec::new("Linda", "Park", &DALLAS, &SPECTRUM).days(FULL_WEEK),
    );
    b.user(delta, UserSpec::new("Steven", "Wright", &FORT_WORTH, &ATT));
    b.user(
        delta,
        UserSpec::new("Monica", "Silva", &WACO, &SPECTRUM)
            .days([true, false, true, false, false, false, false])
            .commuter(),
    );

    // ------------------------------------------------------------ trips (before everyday life, so days know where people are)
    b.trip(
        acme,
        lisa,
        &LONDON,
        (days_from_civil(2024, 6, 24), 19 * 60 + 30),
        (days_from_civil(2024, 6, 28), 11 * 60),
        &BT,
        Trap::BusinessFlight,
        true,
    );
    b.trip(
        acme,
        nadia,
        &CHICAGO,
        (days_from_civil(2024, 6, 26), 7 * 60),
        (days_from_civil(2024, 6, 27), 18 * 60),
        &COMCAST_BUSINESS,
        Trap::BusinessFlight,
        true,
    );
    b.trip(
        bright,
        ben,
        &WASHINGTON,
        (days_from_civil(2024, 7, 1), 6 * 60 + 30),
        (days_from_civil(2024, 7, 2), 19 * 60),
        &VERIZON_FIOS,
        Trap::BusinessFlight,
        true,
    );
    b.trip(
        delta,
        omar,
        &MEXICO_CITY,
        (days_from_civil(2024, 6, 27), 8 * 60),
        (days_from_civil(2024, 7, 1), 15 * 60),
        &TELMEX,
        Trap::NewCountryTravel,
        true,
    );
    // Sam flies to Arizona for a vacation that outlasts the export.
    let (resort, sam_phone) = b.trip(
        bright,
        sam,
        &SCOTTSDALE,
        (days_from_civil(2024, 7, 3), 8 * 60 + 15),
        (days_from_civil(2024, 7, 14), 10 * 60),
        &COX,
        Trap::Vacation,
        false,
    );

    b.everyday();

    // ------------------------------------------------------------ the attacker's infrastructure
    let phx = b.net(&GODADDY, &PHOENIX, Role::Attacker);
    let kit = b.net(&KIT_HOSTING, &AMSTERDAM, Role::Attacker);
    let relay_dallas = b.net(&VULTR, &DALLAS, Role::Attacker);
    let (phx_ip, kit_ip, dallas_ip) = (
        b.w.networks[phx].ip,
        b.w.networks[kit].ip,
        b.w.networks[relay_dallas].ip,
    );

    // 1. Partner 1, Monday 8 July: Jordan signs in at the office in New York; 20 minutes
    //    later the kit replays the stolen credentials from Phoenix.
    let day = days_from_civil(2024, 7, 8);
    let mut story = Vec::new();
    if let Some((t_user, net_user)) = b.anchor(acme, jordan, day, 9) {
        let a = b.attack(
            AttackKind::AitmTakeover,
            acme,
            jordan,
            format!("AiTM replay from {phx_ip} (Phoenix, AZ) 20 minutes after the user's sign-in in New York: 50074 (password right, MFA demanded), then a success two minutes later"),
        );
        let fail = t_user + 20 * MINUTE + b.rng.i64(0..50_000);
        b.clear(acme, jordan, t_user + 1, fail + 12 * MINUTE);
        b.hit(
            a,
            fail,
            phx,
            &KIT_CHROME,
            &OFFICE_HOME,
            Outcome::MfaInterrupt,
            Channel::Interactive,
        );
        let ok = fail + 2 * MINUTE + b.rng.i64(0..40_000);
        b.hit(
            a,
            ok,
            phx,
            &KIT_CHROME,
            &OFFICE_HOME,
            Outcome::Success,
            Channel::Interactive,
        );
        // Jordan carries on working in New York.
        b.own_at(acme, jordan, ok + 14 * MINUTE, net_user, DESKTOP_DEV);
        let user = b.user_ref(acme, jordan);
        story.push(format!(
            "{} — Acme Dental (Entra): {} signs in from the office in New York ({}). Twenty minutes later the same account fails from {phx_ip} in Phoenix, Arizona with error 50074 — strong authentication required, so the password was right — and succeeds two minutes after that: adversary-in-the-middle replay. New York → Phoenix is about {:.0} km in 20 minutes.",
            rfc3339_secs(t_user),
            user.upn,
            b.w.networks[net_user].ip,
            NEW_YORK.distance_km(&PHOENIX)
        ));
    }

    // 2. Partner 2, the same afternoon: Sam, on vacation in Scottsdale, gets an MFA failure
    //    from the very same Phoenix address.
    let t_sam = local_to_utc(&PHOENIX.time_zone(), day, 9 * 60 + 35) + b.rng.i64(0..60_000);
    b.own_at(bright, sam, t_sam, resort, PHONE_APP_DEV);
    b.own_at(bright, sam, t_sam + 47 * MINUTE, sam_phone, PHONE_APP_DEV);
    let t_att = local_to_utc(&PHOENIX.time_zone(), day, 10 * 60 + 48) + b.rng.i64(0..60_000);
    let a = b.attack(
        AttackKind::CrossTenantIpReuse,
        bright,
        sam,
        format!("MFA failure (password right) from {phx_ip} — the address that attacked acme-dental an hour earlier — against a user really on vacation near Phoenix"),
    );
    b.hit(
        a,
        t_att,
        phx,
        &KIT_CHROME,
        &OFFICE_HOME,
        Outcome::MfaDenied,
        Channel::OktaMfa,
    );
    let sam_upn = b.user_ref(bright, sam).upn.clone();
    story.push(format!(
        "{} — Brightline Law (Okta): {sam_upn}, really on vacation in Scottsdale since 3 July, gets an MFA failure from {phx_ip}. Geography says benign (Phoenix is where the user is); the address says otherwise: it is the one that attacked Acme Dental. Only cross-tenant correlation catches it.",
        rfc3339_secs(t_att)
    ));

    // 3. That night the kit sprays passwords from its own hosting range at two partners.
    let night = utc_ms(2024, 7, 9) + 2 * HOUR + b.rng.i64(0..20) * MINUTE;
    let mut t = night;
    for (tenant, users) in [(acme, [2usize, 5, 7, 9]), (delta, [1, 4, 6, 8])] {
        let a = b.attack(
            AttackKind::PasswordSpray,
            tenant,
            users[0],
            format!("bad-password spray from {kit_ip}, inside the campaign's hosting range"),
        );
        for u in users {
            b.hit_user(
                a,
                tenant,
                u,
                t,
                kit,
                &SPRAY_PYTHON,
                &AAD_POWERSHELL,
                Outcome::BadPassword,
                Channel::Interactive,
            );
            t += b.rng.i64(40_000..140_000);
        }
    }

    // 4. Partner 3, Wednesday 10 July: the kit's Dallas relay, on the campaign list, signs
    //    in as Priya 40 minutes after she did — same metro, no travel anomaly.
    let day3 = days_from_civil(2024, 7, 10);
    if let Some((t_user, net_user)) = b.anchor(delta, priya, day3, 8) {
        let a = b.attack(
            AttackKind::CampaignIndicator,
            delta,
            priya,
            format!("session replay from {dallas_ip}, a Dallas VPS listed (defanged) in the campaign's indicators; the user is in the Dallas area, so travel alone shows nothing"),
        );
        let when = t_user + 38 * MINUTE + b.rng.i64(0..300_000);
        b.hit(
            a,
            when,
            relay_dallas,
            &KIT_AXIOS,
            &OFFICE_HOME,
            Outcome::Success,
            Channel::Interactive,
        );
        let upn = b.user_ref(delta, priya).upn.clone();
        story.push(format!(
            "{} — Delta Family Clinic (Entra SignInLogs): {upn} signs in from {} ({}); {} later a sign-in succeeds from {dallas_ip}, a Dallas VPS. Same metro, so no travel anomaly: only the campaign's indicator list ({}) reveals it.",
            rfc3339_secs(t_user),
            b.w.networks[net_user].city.name,
            b.w.networks[net_user].ip,
            format_args!("{} min", (when - t_user) / MINUTE),
            defang(&dallas_ip.to_string())
        ));
    }
    let at = story.len().min(2);
    story.insert(
        at,
        format!(
            "2024-07-09 — research turns up the campaign behind both: an AiTM phishing kit launched over the 4 July holiday (\"a secured document has been shared with you\"). Its indicators are in campaign.csv: the kit's hosting range {}, relay addresses (some defanged), domains and URLs. That night a bad-password spray from {kit_ip}, inside that range, hits Acme Dental and Delta Family Clinic.",
            v4_net(&KIT_HOSTING)
        ),
    );
    story.push(
        "Also in the data, all benign: commuters (New Haven, Stamford, Worcester, Providence, Manchester NH, Denton, Waco), a New York → London business trip, domestic flights to Chicago and Washington, a declared corporate VPN (198.51.100.0/24, egress in Ashburn, VA), phones whose carrier geolocates 250–350 km away, dual-stack homes whose IPv6 geolocates in another city, a first trip to Mexico City, typos and MFA prompts.".to_owned(),
    );
    b.w.story = story;

    // ------------------------------------------------------------ the campaign's indicator list
    let mut rng = fastrand::Rng::with_seed(crate::ids::mix(seed, 99));
    let extra_relay = b.alloc.v4(&M247, &mut rng);
    let extra_do = b.alloc.v4(&DIGITALOCEAN, &mut rng);
    let kit_v6 = b.alloc.v6(&KIT_HOSTING, &mut rng);
    let entry = |kind: &'static str, value: String, description: &str| CampaignEntry {
        kind,
        value,
        description: description.to_owned(),
    };
    let mut list = vec![
        entry(
            "cidr",
            v4_net(&KIT_HOSTING).to_string(),
            "AiTM kit hosting range (credential relay and replay servers)",
        ),
        entry("ipv4", defang(&kit_ip.to_string()), "password-spray node"),
        entry(
            "ipv4",
            defang(&dallas_ip.to_string()),
            "AiTM relay node (session replay)",
        ),
        entry("ipv4", extra_relay.to_string(), "AiTM relay node"),
        entry(
            "ipv4",
            defang(&extra_do.to_string()),
            "phishing landing page host",
        ),
    ];
    if let Some(v6) = kit_v6 {
        list.push(entry("ipv6", v6.to_string(), "AiTM relay node (IPv6)"));
    }
    list.extend([
        entry(
            "domain",
            defang("secure-docshare-portal.com"),
            "phishing landing domain",
        ),
        entry(
            "domain",
            "m365-filedrop.net".to_owned(),
            "phishing landing domain",
        ),
        entry(
            "url",
            defang("https://login.secure-docshare-portal.com/common/oauth2/v2.0/authorize"),
            "fake Microsoft sign-in page",
        ),
        entry(
            "url",
            "https://m365-filedrop.net/s/secured-document".to_owned(),
            "lure link: \"a secured document has been shared with you\"",
        ),
        entry(
            "email",
            "no-reply@m365-filedrop.net".to_owned(),
            "lure sender",
        ),
    ]);
    b.w.campaign = list;
    b.finish()
}

const DESKTOP_DEV: usize = crate::model::DESKTOP;
const PHONE_APP_DEV: usize = crate::model::PHONE_APP;
