//! The evaluation world: four partners, two weeks, every benign trap, ~30 attacks.

use std::collections::BTreeSet;

use crate::World;
use crate::build::{Builder, FULL_WEEK, HYBRID, UserSpec};
use crate::campaign::defang;
use crate::clients::*;
use crate::geo::*;
use crate::model::*;
use crate::net::*;
use crate::time::*;

const FIRST: &[&str] = &[
    "Alex", "Amara", "Andrea", "Bianca", "Brandon", "Caleb", "Camila", "Daniela", "Derek", "Elena",
    "Farah", "Felix", "Gabriel", "Hana", "Isaac", "Ivy", "Jamal", "Julia", "Kenji", "Laura",
    "Lucas", "Mateo", "Mei", "Nathan", "Noor", "Oscar", "Paula", "Quinn", "Rafael", "Rosa",
    "Samir", "Tara", "Umar", "Vanessa", "Wendy", "Xavier", "Yara", "Zoe", "Adrian", "Beatriz",
];
const LAST: &[&str] = &[
    "Abbott",
    "Bauer",
    "Castillo",
    "Dunn",
    "Esposito",
    "Fleming",
    "Gupta",
    "Hoffman",
    "Ibrahim",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Mahoney",
    "Nakamura",
    "Osei",
    "Petrov",
    "Quintero",
    "Ramirez",
    "Sandoval",
    "Tanaka",
    "Underwood",
    "Vasquez",
    "Whitaker",
    "Xu",
    "Yilmaz",
    "Zimmerman",
    "Adeyemi",
    "Bergstrom",
    "Chowdhury",
    "Delgado",
];

/// Draws a name not yet used in the partner.
fn name(b: &mut Builder, used: &mut BTreeSet<(usize, usize)>) -> (&'static str, &'static str) {
    loop {
        let f = b.rng.usize(0..FIRST.len());
        let l = b.rng.usize(0..LAST.len());
        if used.insert((f, l)) {
            return (FIRST[f], LAST[l]);
        }
    }
}

/// One row of a partner's staff list: home, ISP and what is special.
enum Kind {
    Plain,
    Hybrid,
    Remote,
    Commuter,
    DualStack(&'static City),
    CarrierFar(&'static Provider, &'static City),
}

fn staff(
    b: &mut Builder,
    t: usize,
    rows: &[(&'static City, &'static Provider, Kind)],
    vpn: Option<(usize, f64, usize)>,
) -> Vec<usize> {
    let mut used = BTreeSet::new();
    let carriers = [&VERIZON_WIRELESS, &TMOBILE, &ATT_MOBILITY];
    rows.iter()
        .enumerate()
        .map(|(i, (home, isp, kind))| {
            let (first, last) = name(b, &mut used);
            let mut spec = UserSpec::new(first, last, home, isp).carrier(carriers[i % 3]);
            spec = match kind {
                Kind::Plain => spec.days(FULL_WEEK),
                Kind::Hybrid => spec.days(HYBRID),
                Kind::Remote => spec.remote(),
                Kind::Commuter => spec.days(HYBRID).commuter(),
                Kind::DualStack(c) => spec.days(HYBRID).dual_stack(c),
                Kind::CarrierFar(p, c) => spec.days(HYBRID).carrier_far(p, c),
            };
            // Every `every`-th user (by position) connects through the VPN now and then.
            if let Some((net, share, every)) = vpn
                && i % every != every - 1
                && !matches!(kind, Kind::Plain)
            {
                spec = spec.vpn(net, share);
            }
            b.user(t, spec)
        })
        .collect()
}

pub fn build(seed: u64) -> World {
    let start = days_from_civil(2024, 9, 9);
    let mut b = Builder::new("evaluation", seed, start, 14);
    let d = |m: i64, day: i64| days_from_civil(2024, m, day);

    // ------------------------------------------------------------ Northwind Logistics: Chicago, Entra Graph beta, declared VPN
    let nw = b.tenant(
        "northwind-logistics",
        "Northwind Logistics",
        "northwindlogistics.com",
        ExportFormat::GraphBeta,
        &CHICAGO,
        &LUMEN,
    );
    let nw_vpn = b.net(&CORP_VPN_B, &ASHBURN, Role::DeclaredVpn);
    b.declare_trusted(nw, &CORP_VPN_B);
    use Kind::*;
    let nw_users = staff(
        &mut b,
        nw,
        &[
            (&CHICAGO, &COMCAST, Plain),
            (&EVANSTON, &COMCAST, Hybrid),
            (&OAK_PARK, &ATT, Hybrid),
            (&MILWAUKEE, &SPECTRUM, Commuter),
            (&ROCKFORD, &COMCAST, Commuter),
            (&CHICAGO, &COMCAST, DualStack(&MILWAUKEE)),
            (&NAPERVILLE, &ATT, CarrierFar(&TMOBILE, &KANSAS_CITY)),
            (&CHICAGO, &RCN, Hybrid),
            (&CHICAGO, &ATT, Remote),
            (&EVANSTON, &COMCAST, Plain),
            (&OAK_PARK, &COMCAST, Hybrid),
            (&CHICAGO, &COMCAST, Hybrid),
            (&NAPERVILLE, &COMCAST, Remote),
            (&CHICAGO, &ATT, Plain),
            (&CHICAGO, &RCN, Hybrid),
            (&EVANSTON, &ATT, Hybrid),
            (&CHICAGO, &COMCAST, Hybrid),
            (&OAK_PARK, &ATT, Remote),
            (&CHICAGO, &COMCAST, Hybrid),
        ],
        Some((nw_vpn, 0.45, 3)),
    );

    // ------------------------------------------------------------ Cedar Pediatrics: Denver, Okta NDJSON, undeclared VPN egress in Dallas
    let cedar = b.tenant(
        "cedar-pediatrics",
        "Cedar Pediatrics",
        "cedarpeds.com",
        ExportFormat::OktaNdjson,
        &DENVER,
        &COGENT,
    );
    let zscaler = b.net(&ZSCALER, &DALLAS, Role::UndeclaredVpn);
    let cedar_users = staff(
        &mut b,
        cedar,
        &[
            (&DENVER, &CENTURYLINK, Plain),
            (&AURORA, &COMCAST, Hybrid),
            (&LAKEWOOD, &COMCAST, Remote),
            (&COLORADO_SPRINGS, &COMCAST, Commuter),
            (&FORT_COLLINS, &COMCAST, Commuter),
            (&BOULDER, &COMCAST, DualStack(&COLORADO_SPRINGS)),
            (
                &DENVER,
                &CENTURYLINK,
                CarrierFar(&ATT_MOBILITY, &SALT_LAKE_CITY),
            ),
            (&DENVER, &COMCAST, Hybrid),
            (&AURORA, &CENTURYLINK, Remote),
            (&LAKEWOOD, &COMCAST, Hybrid),
            (&DENVER, &COMCAST, Remote),
            (&BOULDER, &CENTURYLINK, Hybrid),
            (&DENVER, &COMCAST, Hybrid),
            (&AURORA, &COMCAST, Remote),
            (&DENVER, &CENTURYLINK, Plain),
            (&LAKEWOOD, &COMCAST, Hybrid),
            (&DENVER, &COMCAST, Remote),
            (&AURORA, &COMCAST, Hybrid),
        ],
        Some((zscaler, 0.75, 5)),
    );

    // ------------------------------------------------------------ Bayside Legal: San Francisco, Entra Graph v1.0 (interactive only)
    let bay = b.tenant(
        "bayside-legal",
        "Bayside Legal Group",
        "baysidelegal.com",
        ExportFormat::GraphV1,
        &SAN_FRANCISCO,
        &ZAYO,
    );
    let bay_users = staff(
        &mut b,
        bay,
        &[
            (&SAN_FRANCISCO, &COMCAST, Plain),
            (&OAKLAND, &COMCAST, Hybrid),
            (&SAN_JOSE, &COMCAST, Commuter),
            (&SACRAMENTO, &COMCAST, Commuter),
            (&SAN_FRANCISCO, &ATT, DualStack(&SACRAMENTO)),
            (&OAKLAND, &ATT, CarrierFar(&VERIZON_WIRELESS, &LOS_ANGELES)),
            (&SAN_FRANCISCO, &COMCAST, Hybrid),
            (&SANTA_CLARA, &COMCAST, Hybrid),
            (&SAN_FRANCISCO, &ATT, Remote),
            (&OAKLAND, &COMCAST, Plain),
            (&SAN_FRANCISCO, &COMCAST, Hybrid),
            (&SAN_FRANCISCO, &ATT, Hybrid),
            (&OAKLAND, &COMCAST, Remote),
            (&SAN_FRANCISCO, &COMCAST, Plain),
            (&SANTA_CLARA, &ATT, Hybrid),
            (&SAN_FRANCISCO, &COMCAST, Hybrid),
            (&OAKLAND, &ATT, Hybrid),
            (&SAN_FRANCISCO, &COMCAST, Remote),
            (&SAN_FRANCISCO, &ATT, Hybrid),
            (&OAKLAND, &COMCAST, Hybrid),
        ],
        None,
    );

    // ------------------------------------------------------------ Ironbridge Engineering: Boston, Okta JSON pages, declared VPN
    let iron = b.tenant(
        "ironbridge-eng",
        "Ironbridge Engineering",
        "ironbridge-eng.com",
        ExportFormat::OktaJsonArray,
        &BOSTON,
        &COMCAST_BUSINESS,
    );
    let iron_vpn = b.net(&CORP_VPN_A, &NEWARK, Role::DeclaredVpn);
    b.declare_trusted(iron, &CORP_VPN_A);
    let iron_users = staff(
        &mut b,
        iron,
        &[
            (&BOSTON, &COMCAST, Plain),
            (&CAMBRIDGE, &RCN, Hybrid),
            (&WORCESTER, &SPECTRUM, Commuter),
            (&PROVIDENCE, &COX, Commuter),
            (&MANCHESTER_NH, &COMCAST, Commuter),
            (&NEWTON, &COMCAST, DualStack(&HARTFORD)),
            (&QUINCY, &VERIZON_FIOS, CarrierFar(&TMOBILE, &ALBANY)),
            (&BOSTON, &RCN, Hybrid),
            (&CAMBRIDGE, &COMCAST, Remote),
            (&BOSTON, &VERIZON_FIOS, Plain),
            (&NEWTON, &COMCAST, Hybrid),
            (&QUINCY, &COMCAST, Hybrid),
            (&BOSTON, &RCN, Remote),
            (&CAMBRIDGE, &VERIZON_FIOS, Hybrid),
            (&BOSTON, &COMCAST, Hybrid),
            (&NEWTON, &RCN, Hybrid),
            (&BOSTON, &COMCAST, Plain),
            (&QUINCY, &COMCAST, Remote),
            (&BOSTON, &VERIZON_FIOS, Hybrid),
        ],
        Some((iron_vpn, 0.4, 3)),
    );

    // ------------------------------------------------------------ trips
    b.trip(
        nw,
        nw_users[9],
        &LONDON,
        (d(9, 15), 17 * 60 + 45),
        (d(9, 19), 11 * 60),
        &BT,
        Trap::BusinessFlight,
        true,
    );
    b.trip(
        nw,
        nw_users[13],
        &DALLAS,
        (d(9, 11), 6 * 60 + 40),
        (d(9, 12), 18 * 60),
        &ATT,
        Trap::BusinessFlight,
        true,
    );
    b.trip(
        cedar,
        cedar_users[0],
        &SEATTLE,
        (d(9, 10), 7 * 60),
        (d(9, 12), 17 * 60 + 30),
        &COMCAST,
        Trap::BusinessFlight,
        true,
    );
    b.trip(
        cedar,
        cedar_users[14],
        &TORONTO,
        (d(9, 16), 8 * 60),
        (d(9, 20), 16 * 60),
        &ROGERS,
        Trap::NewCountryTravel,
        true,
    );
    b.trip(
        bay,
        bay_users[0],
        &NEW_YORK,
        (d(9, 16), 7 * 60),
        (d(9, 18), 18 * 60),
        &VERIZON_FIOS,
        Trap::BusinessFlight,
        true,
    );
    b.trip(
        bay,
        bay_users[13],
        &MEXICO_CITY,
        (d(9, 11), 9 * 60),
        (d(9, 14), 14 * 60),
        &TELMEX,
        Trap::NewCountryTravel,
        true,
    );
    let vacationer = bay_users[9];
    let (resort, _) = b.trip(
        bay,
        vacationer,
        &SCOTTSDALE,
        (d(9, 12), 8 * 60),
        (d(9, 25), 12 * 60),
        &COX,
        Trap::Vacation,
        false,
    );
    b.trip(
        iron,
        iron_users[9],
        &FRANKFURT,
        (d(9, 10), 18 * 60 + 30),
        (d(9, 13), 10 * 60 + 30),
        &DTAG,
        Trap::BusinessFlight,
        true,
    );
    b.trip(
        iron,
        iron_users[16],
        &CHICAGO,
        (d(9, 17), 7 * 60),
        (d(9, 18), 19 * 60),
        &COMCAST_BUSINESS,
        Trap::BusinessFlight,
        true,
    );

    b.everyday();

    // ------------------------------------------------------------ attacker infrastructure
    let kit = b.net(&KIT_HOSTING, &AMSTERDAM, Role::Attacker);
    let phx = b.net(&GODADDY, &PHOENIX, Role::Attacker);
    let spray = b.net(&M247, &BUCHAREST, Role::Attacker);
    let far = |b: &mut Builder, p: &'static Provider, c: &'static City| b.net(p, c, Role::Attacker);
    let listed_chicago = far(&mut b, &LINODE, &CHICAGO);
    let listed_denver = far(&mut b, &VULTR, &DENVER);
    let listed_boston = far(&mut b, &COMCAST, &BOSTON); // a residential proxy in the victim's city

    // AiTM far away, minutes after the user's own sign-in.
    let aitm = |b: &mut Builder,
                t: usize,
                u: usize,
                day: i64,
                net: usize,
                outcome: Outcome,
                channel: Channel,
                kind: AttackKind| {
        let Some((at, _)) = b.anchor(t, u, day, 9) else {
            return;
        };
        let n = &b.w.networks[net];
        let desc = format!(
            "{} from {} ({}, {}) {} minutes after the user's own sign-in",
            match outcome {
                Outcome::Success => "AiTM session replay succeeds".to_owned(),
                o => format!(
                    "AiTM replay with the right password ends in error {}",
                    o.entra_code()
                ),
            },
            n.ip,
            n.city.name,
            n.provider.isp,
            "a few"
        );
        let a = b.attack(kind, t, u, desc);
        let when = at + b.rng.i64(4..15) * MINUTE;
        let client = if b.rng.bool() {
            &KIT_CHROME
        } else {
            &KIT_AXIOS
        };
        b.hit(a, when, net, client, &OFFICE_HOME, outcome, channel);
    };
    // An attacker record between two of the user's own, 20 minutes either side.
    let sandwich = |b: &mut Builder, t: usize, u: usize, day: i64, net: usize| {
        let Some((at, home)) = b.anchor(t, u, day, 10) else {
            return;
        };
        let n = &b.w.networks[net];
        let desc = format!(
            "attacker sign-in from {} ({}) between two of the user's sign-ins 40 minutes apart (A→B→A)",
            n.ip, n.city.name
        );
        let a = b.attack(AttackKind::Sandwich, t, u, desc);
        b.clear(t, u, at + 1, at + 42 * MINUTE);
        let mid = at + 19 * MINUTE + b.rng.i64(0..120_000);
        b.hit(
            a,
            mid,
            net,
            &KIT_CHROME,
            &OUTLOOK_WEB,
            Outcome::Success,
            Channel::Interactive,
        );
        let back = at + 40 * MINUTE + b.rng.i64(0..60_000);
        b.own_at(t, u, back, home, DESKTOP);
    };
    // Attacker hosting a few hundred km away in the same country, four hours after the
    // user's last sign-in of the day; nothing else from the user until the next morning.
    let nearby = |b: &mut Builder, t: usize, u: usize, day: i64, net: usize| {
        let tz = b.user_ref(t, u).home.time_zone();
        let last = local_to_utc(&tz, day, 17 * 60 + 10) + b.rng.i64(0..600_000);
        b.clear(
            t,
            u,
            last - 40 * MINUTE,
            local_to_utc(&tz, day + 1, 7 * 60 + 30),
        );
        let home = b.user_ref(t, u).home_net;
        b.own_at(t, u, last, home, LAPTOP);
        let n = &b.w.networks[net];
        let home_city = b.user_ref(t, u).home;
        let desc = format!(
            "sign-in from {} ({}, {:.0} km from the user's home) four hours after the user's last sign-in: a gap travel could explain",
            n.ip,
            n.city.name,
            home_city.distance_km(n.city)
        );
        let a = b.attack(AttackKind::SameCountryNearby, t, u, desc);
        let when = last + 4 * HOUR + b.rng.i64(0..30) * MINUTE;
        b.hit(
            a,
            when,
            net,
            &KIT_CHROME,
            &OFFICE_HOME,
            Outcome::Success,
            Channel::Interactive,
        );
    };
    // A listed address in the user's own city, half an hour after the user's sign-in.
    let listed = |b: &mut Builder, t: usize, u: usize, day: i64, net: usize, channel: Channel| {
        let Some((at, _)) = b.anchor(t, u, day, 9) else {
            return;
        };
        let n = &b.w.networks[net];
        let desc = format!(
            "sign-in from {} in {} — the user's own metro, so travel shows nothing — an address on the campaign's list",
            n.ip, n.city.name
        );
        let a = b.attack(AttackKind::CampaignIndicator, t, u, desc);
        let when = at + b.rng.i64(25..55) * MINUTE;
        b.hit(
            a,
            when,
            net,
            &KIT_AXIOS,
            &OFFICE_HOME,
            Outcome::Success,
            channel,
        );
    };

    // Northwind (Graph beta)
    let dc_ams = far(&mut b, &DIGITALOCEAN, &AMSTERDAM);
    aitm(
        &mut b,
        nw,
        nw_users[1],
        d(9, 16),
        dc_ams,
        Outcome::Success,
        Channel::Interactive,
        AttackKind::AitmTakeover,
    );
    let m247_buc = far(&mut b, &M247, &BUCHAREST);
    aitm(
        &mut b,
        nw,
        nw_users[7],
        d(9, 17),
        m247_buc,
        Outcome::MfaRequired,
        Channel::Interactive,
        AttackKind::AitmCredentialValidFailure,
    );
    let ovh_paris = far(&mut b, &OVH, &PARIS);
    sandwich(&mut b, nw, nw_users[11], d(9, 18), ovh_paris);
    let vultr_stl = far(&mut b, &VULTR, &ST_LOUIS);
    nearby(&mut b, nw, nw_users[14], d(9, 17), vultr_stl);
    listed(
        &mut b,
        nw,
        nw_users[16],
        d(9, 19),
        listed_chicago,
        Channel::Interactive,
    );
    // A stolen refresh token replayed silently from Frankfurt.
    let hetz_fra = far(&mut b, &HETZNER, &FRANKFURT);
    if let Some((at, _)) = b.anchor(nw, nw_users[18], d(9, 18), 9) {
        let a = b.attack(
            AttackKind::TokenReplay,
            nw,
            nw_users[18],
            format!("non-interactive token refresh from {} (Frankfurt, Hetzner) half an hour after the user's own sign-in in the Chicago area", b.w.networks[hetz_fra].ip),
        );
        let when = at + b.rng.i64(20..40) * MINUTE;
        b.hit(
            a,
            when,
            hetz_fra,
            &WIN_OUTLOOK,
            &MS_OFFICE,
            Outcome::Success,
            Channel::NonInteractive,
        );
    }
    // Spray from the kit's own range.
    let kit_ip = b.w.networks[kit].ip;
    let a = b.attack(
        AttackKind::PasswordSpray,
        nw,
        nw_users[2],
        format!("bad-password spray from {kit_ip}, inside the campaign's hosting range"),
    );
    let mut t = utc_ms(2024, 9, 14) + 3 * HOUR + b.rng.i64(0..30) * MINUTE;
    for i in [2usize, 5, 12] {
        b.hit_user(
            a,
            nw,
            nw_users[i],
            t,
            kit,
            &SPRAY_PYTHON,
            &AAD_POWERSHELL,
            Outcome::BadPassword,
            Channel::Interactive,
        );
        t += b.rng.i64(30_000..120_000);
    }

    // Cedar (Okta)
    let hetz_fra2 = far(&mut b, &HETZNER, &FRANKFURT);
    aitm(
        &mut b,
        cedar,
        cedar_users[1],
        d(9, 16),
        hetz_fra2,
        Outcome::Success,
        Channel::Interactive,
        AttackKind::AitmTakeover,
    );
    let lin_sg = far(&mut b, &LINODE, &SINGAPORE);
    aitm(
        &mut b,
        cedar,
        cedar_users[7],
        d(9, 18),
        lin_sg,
        Outcome::MfaDenied,
        Channel::OktaMfa,
        AttackKind::AitmCredentialValidFailure,
    );
    let vultr_sp = far(&mut b, &VULTR, &SAO_PAULO);
    sandwich(&mut b, cedar, cedar_users[9], d(9, 17), vultr_sp);
    let vultr_kc = far(&mut b, &VULTR, &KANSAS_CITY);
    nearby(&mut b, cedar, cedar_users[12], d(9, 19), vultr_kc);
    listed(
        &mut b,
        cedar,
        cedar_users[15],
        d(9, 20),
        listed_denver,
        Channel::Interactive,
    );

    // Bayside (Graph v1.0)
    let vultr_sp2 = far(&mut b, &VULTR, &SAO_PAULO);
    aitm(
        &mut b,
        bay,
        bay_users[1],
        d(9, 17),
        vultr_sp2,
        Outcome::Success,
        Channel::Interactive,
        AttackKind::AitmTakeover,
    );
    let m247_buc2 = far(&mut b, &M247, &BUCHAREST);
    aitm(
        &mut b,
        bay,
        bay_users[6],
        d(9, 18),
        m247_buc2,
        Outcome::CaBlocked,
        Channel::Interactive,
        AttackKind::AitmCredentialValidFailure,
    );
    let m247_lagos = far(&mut b, &M247, &LAGOS);
    aitm(
        &mut b,
        bay,
        bay_users[11],
        d(9, 19),
        m247_lagos,
        Outcome::MfaDenied,
        Channel::Interactive,
        AttackKind::AitmCredentialValidFailure,
    );
    let linode_la = far(&mut b, &LINODE, &LOS_ANGELES);
    nearby(&mut b, bay, bay_users[15], d(9, 16), linode_la);

    // Ironbridge (Okta JSON pages)
    let do_lon = far(&mut b, &DIGITALOCEAN, &LONDON);
    aitm(
        &mut b,
        iron,
        iron_users[1],
        d(9, 16),
        do_lon,
        Outcome::Success,
        Channel::Interactive,
        AttackKind::AitmTakeover,
    );
    let ovh_paris2 = far(&mut b, &OVH, &PARIS);
    sandwich(&mut b, iron, iron_users[10], d(9, 19), ovh_paris2);
    let linode_phl = far(&mut b, &LINODE, &PHILADELPHIA);
    nearby(&mut b, iron, iron_users[13], d(9, 18), linode_phl);
    listed(
        &mut b,
        iron,
        iron_users[14],
        d(9, 17),
        listed_boston,
        Channel::Interactive,
    );
    // A hijacked Okta session replayed (app SSO) from London.
    let do_lon2 = far(&mut b, &DIGITALOCEAN, &LONDON);
    if let Some((at, _)) = b.anchor(iron, iron_users[18], d(9, 20), 9) {
        let a = b.attack(
            AttackKind::TokenReplay,
            iron,
            iron_users[18],
            format!("stolen Okta session used for app SSO from {} (London) 25 minutes after the user's sign-in near Boston", b.w.networks[do_lon2].ip),
        );
        let when = at + b.rng.i64(20..35) * MINUTE;
        b.hit(
            a,
            when,
            do_lon2,
            &KIT_CHROME,
            &OFFICE_HOME,
            Outcome::Success,
            Channel::NonInteractive,
        );
    }

    // The same Phoenix address at two partners: an impossible-travel takeover at Ironbridge,
    // then an MFA failure at Bayside against a user really on vacation near Phoenix.
    let phx_ip = b.w.networks[phx].ip;
    let day = d(9, 17);
    aitm(
        &mut b,
        iron,
        iron_users[0],
        day,
        phx,
        Outcome::Success,
        Channel::Interactive,
        AttackKind::AitmTakeover,
    );
    let t_vac = local_to_utc(&PHOENIX.time_zone(), day, 9 * 60 + 20) + b.rng.i64(0..60_000);
    b.own_at(bay, vacationer, t_vac, resort, PHONE_APP);
    let a = b.attack(
        AttackKind::CrossTenantIpReuse,
        bay,
        vacationer,
        format!("50074 (password right) from {phx_ip}, the address that took over an Ironbridge account the same day, against a user really on vacation near Phoenix"),
    );
    let when = local_to_utc(&PHOENIX.time_zone(), day, 13 * 60 + 5) + b.rng.i64(0..60_000);
    b.hit(
        a,
        when,
        phx,
        &KIT_CHROME,
        &OFFICE_HOME,
        Outcome::MfaInterrupt,
        Channel::Interactive,
    );

    // A spray from one unlisted address across three partners.
    let spray_ip = b.w.networks[spray].ip;
    let mut t = utc_ms(2024, 9, 19) + 4 * HOUR + b.rng.i64(0..30) * MINUTE;
    for (tenant, users) in [
        (cedar, &cedar_users),
        (bay, &bay_users),
        (iron, &iron_users),
    ] {
        let a = b.attack(
            AttackKind::PasswordSpray,
            tenant,
            users[3],
            format!("bad-password spray from {spray_ip} (not on the campaign list) across three partners within the hour"),
        );
        for i in [3usize, 8] {
            let client = if tenant == bay {
                &SPRAY_ROPC
            } else {
                &SPRAY_PYTHON
            };
            b.hit_user(
                a,
                tenant,
                users[i],
                t,
                spray,
                client,
                &AAD_POWERSHELL,
                Outcome::BadPassword,
                Channel::Interactive,
            );
            t += b.rng.i64(60_000..400_000);
        }
    }

    // ------------------------------------------------------------ the campaign's list
    let mut rng = fastrand::Rng::with_seed(crate::ids::mix(seed, 98));
    let unused_relay = b.alloc.v4(&HETZNER, &mut rng);
    let unused_do = b.alloc.v4(&DIGITALOCEAN, &mut rng);
    let kit_v6 = b.alloc.v6(&KIT_HOSTING, &mut rng);
    let ip = |n: usize| b.w.networks[n].ip.to_string();
    let entry = |kind: &'static str, value: String, description: &str| CampaignEntry {
        kind,
        value,
        description: description.to_owned(),
    };
    let mut list = vec![
        entry(
            "cidr",
            v4_net(&KIT_HOSTING).to_string(),
            "AiTM kit hosting range",
        ),
        entry("ipv4", defang(&ip(listed_chicago)), "AiTM relay node"),
        entry("ipv4", ip(listed_denver), "AiTM relay node"),
        entry(
            "ipv4",
            defang(&ip(listed_boston)),
            "residential proxy used by the kit",
        ),
        entry("ipv4", unused_relay.to_string(), "AiTM relay node"),
        entry(
            "ipv4",
            defang(&unused_do.to_string()),
            "phishing landing page host",
        ),
    ];
    if let Some(v6) = kit_v6 {
        list.push(entry("ipv6", v6.to_string(), "AiTM relay node (IPv6)"));
    }
    list.extend([
        entry(
            "domain",
            defang("docs-secure-viewer.com"),
            "phishing landing domain",
        ),
        entry(
            "domain",
            "sharepoint-filedrop.net".to_owned(),
            "phishing landing domain",
        ),
        entry(
            "url",
            defang("https://auth.docs-secure-viewer.com/common/oauth2/v2.0/authorize"),
            "fake Microsoft sign-in page",
        ),
        entry(
            "url",
            "https://sharepoint-filedrop.net/view/secured".to_owned(),
            "lure link",
        ),
        entry(
            "email",
            "notifications@sharepoint-filedrop.net".to_owned(),
            "lure sender",
        ),
    ]);
    b.w.campaign = list;
    b.w.story = vec![
        format!(
            "Four partners, two weeks (9–22 September 2024), about twenty users each; every known false-positive source and {} staged attacks. labels.json is the answer key.",
            b.w.attacks.len()
        ),
        format!(
            "Northwind Logistics (Chicago, Entra Graph beta) declares its VPN ({}, egress in Ashburn, VA); Cedar Pediatrics (Denver, Okta) sends most staff through an undeclared secure-web-gateway egress in Dallas.",
            v4_net(&CORP_VPN_B)
        ),
        format!(
            "The address {phx_ip} (Phoenix) takes over an Ironbridge account in Boston, then hits a Bayside user who really is on vacation near Phoenix."
        ),
        format!(
            "The campaign list (campaign.csv) covers the kit's range {} and relays in Chicago, Denver and Boston that sit in their victims' own cities.",
            v4_net(&KIT_HOSTING)
        ),
    ];
    b.finish()
}
