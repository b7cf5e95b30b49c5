//! The machinery both worlds are built with: partners, users, their everyday sign-ins,
//! trips, and the insertion of attacks.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::World;
use crate::clients::{self, App, Client};
use crate::geo::{self, City};
use crate::ids;
use crate::model::*;
use crate::net::{self, Allocator, Network, Provider, Role};
use crate::time::*;

/// Where a user is during a stretch of time.
#[derive(Clone, Copy, Debug)]
enum Place {
    Home,
    Away {
        city: &'static City,
        hotel: usize,
        phone: usize,
        trap: Trap,
        work: bool,
    },
    /// Boarding, flying, landing: no sign-ins but the hand-placed ones.
    Blackout,
}

#[derive(Clone, Copy, Debug)]
struct Segment {
    from: i64,
    to: i64,
    place: Place,
}

/// What a user wants to do at a moment of the day.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Act {
    Browser,
    Desktop,
    Phone,
    Refresh,
}

/// Where a work sign-in comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Spot {
    Work,
    Home,
    Carrier,
}

/// How a new user looks.
pub struct UserSpec {
    pub first: &'static str,
    pub last: &'static str,
    pub home: &'static City,
    pub isp: &'static Provider,
    pub carrier: &'static Provider,
    /// Where the carrier's addresses geolocate, when far from home (the mobile-carrier trap).
    pub carrier_city: Option<&'static City>,
    /// A dual-stack home whose IPv6 geolocates here.
    pub v6_city: Option<&'static City>,
    /// Works at the partner's office on these days (Monday first); all false = remote.
    pub office_days: [bool; 7],
    /// Connects through this VPN network on some home-office days.
    pub vpn: Option<usize>,
    /// How often (0..1) a home-office day goes through the VPN.
    pub vpn_share: f64,
    pub commuter: bool,
}

impl UserSpec {
    pub fn new(
        first: &'static str,
        last: &'static str,
        home: &'static City,
        isp: &'static Provider,
    ) -> Self {
        UserSpec {
            first,
            last,
            home,
            isp,
            carrier: &net::VERIZON_WIRELESS,
            carrier_city: None,
            v6_city: None,
            office_days: [true, true, true, true, false, false, false],
            vpn: None,
            vpn_share: 0.0,
            commuter: false,
        }
    }
    pub fn carrier(mut self, p: &'static Provider) -> Self {
        self.carrier = p;
        self
    }
    pub fn carrier_far(mut self, p: &'static Provider, city: &'static City) -> Self {
        self.carrier = p;
        self.carrier_city = Some(city);
        self
    }
    pub fn dual_stack(mut self, city: &'static City) -> Self {
        self.v6_city = Some(city);
        self
    }
    pub fn days(mut self, days: [bool; 7]) -> Self {
        self.office_days = days;
        self
    }
    pub fn remote(mut self) -> Self {
        self.office_days = [false; 7];
        self
    }
    pub fn vpn(mut self, net: usize, share: f64) -> Self {
        self.vpn = Some(net);
        self.vpn_share = share;
        self
    }
    pub fn commuter(mut self) -> Self {
        self.commuter = true;
        self
    }
}

pub const HYBRID: [bool; 7] = [false, true, true, true, false, false, false];
pub const FULL_WEEK: [bool; 7] = [true, true, true, true, true, false, false];

pub struct Builder {
    pub rng: fastrand::Rng,
    pub alloc: Allocator,
    pub w: World,
    pub start_day: i64,
    pub days: i64,
    next_key: u64,
    itineraries: BTreeMap<(usize, usize), Vec<Segment>>,
    commuters: BTreeSet<(usize, usize)>,
    holidays: Vec<i64>,
    removed: BTreeSet<u64>,
    vpn_share: BTreeMap<(usize, usize), f64>,
}

impl Builder {
    pub fn new(name: &str, seed: u64, start_day: i64, days: i64) -> Self {
        Builder {
            rng: fastrand::Rng::with_seed(ids::mix(seed, 1)),
            alloc: Allocator::default(),
            w: World {
                name: name.to_owned(),
                seed,
                start_ms: start_day * DAY,
                end_ms: (start_day + days) * DAY,
                tenants: Vec::new(),
                networks: Vec::new(),
                signins: Vec::new(),
                attacks: Vec::new(),
                trips: Vec::new(),
                campaign: Vec::new(),
                story: Vec::new(),
            },
            start_day,
            days,
            next_key: 0,
            itineraries: BTreeMap::new(),
            commuters: BTreeSet::new(),
            holidays: Vec::new(),
            removed: BTreeSet::new(),
            vpn_share: BTreeMap::new(),
        }
    }

    pub fn holiday(&mut self, day: i64) {
        self.holidays.push(day);
    }

    // ---------------------------------------------------------------- networks

    fn add_net(
        &mut self,
        ip: IpAddr,
        p: &'static Provider,
        city: &'static City,
        role: Role,
    ) -> usize {
        // City-level geolocation: the city centre give or take a couple of km.
        let lat = city.lat + (self.rng.f64() - 0.5) * 0.04;
        let lon = city.lon + (self.rng.f64() - 0.5) * 0.04;
        self.w.networks.push(Network {
            ip,
            city,
            lat: (lat * 10_000.0).round() / 10_000.0,
            lon: (lon * 10_000.0).round() / 10_000.0,
            provider: p,
            role,
        });
        self.w.networks.len() - 1
    }

    /// A fresh IPv4 address of `p` geolocating to `city`.
    pub fn net(&mut self, p: &'static Provider, city: &'static City, role: Role) -> usize {
        let ip = self.alloc.v4(p, &mut self.rng);
        self.add_net(ip, p, city, role)
    }

    fn net_v6(&mut self, p: &'static Provider, city: &'static City, role: Role) -> Option<usize> {
        let ip = self.alloc.v6(p, &mut self.rng)?;
        Some(self.add_net(ip, p, city, role))
    }

    // ---------------------------------------------------------------- partners and users

    #[allow(clippy::too_many_arguments)]
    pub fn tenant(
        &mut self,
        slug: &str,
        name: &str,
        domain: &str,
        format: ExportFormat,
        office: &'static City,
        office_isp: &'static Provider,
    ) -> usize {
        let office_net = self.net(office_isp, office, Role::Office);
        let tenant_id = ids::guid(&mut self.rng);
        let okta_org = format!("{}.okta.com", slug.replace('-', ""));
        self.w.tenants.push(Tenant {
            slug: slug.to_owned(),
            name: name.to_owned(),
            domain: domain.to_owned(),
            format,
            tenant_id,
            okta_org,
            office,
            office_net,
            trusted_networks: Vec::new(),
            users: Vec::new(),
        });
        self.w.tenants.len() - 1
    }

    /// Declares `net`'s /24 as the partner's trusted network.
    pub fn declare_trusted(&mut self, t: usize, vpn: &'static Provider) {
        let n = net::v4_net(vpn);
        self.w.tenants[t].trusted_networks.push(ipnet::IpNet::V4(n));
    }

    pub fn user(&mut self, t: usize, spec: UserSpec) -> usize {
        let home_net = self.net(spec.isp, spec.home, Role::Home);
        let home_v6 = match spec.v6_city {
            Some(c) => self.net_v6(spec.isp, c, Role::HomeV6),
            None => None,
        };
        let carrier_city = spec.carrier_city.unwrap_or(spec.home);
        let mobile_net = self.net(spec.carrier, carrier_city, Role::Mobile);
        let laptop = clients::LAPTOP_BROWSERS[self.rng.usize(0..clients::LAPTOP_BROWSERS.len())];
        let desktop = if laptop.entra_os == "MacOs" {
            &clients::MAC_OUTLOOK
        } else if self.rng.bool() {
            &clients::WIN_OUTLOOK
        } else {
            &clients::WIN_TEAMS
        };
        let (phone_b, phone_a) = clients::PHONES[self.rng.usize(0..clients::PHONES.len())];
        let tenant = &self.w.tenants[t];
        let machine = if laptop.entra_os == "MacOs" {
            "MBP"
        } else {
            "LAPTOP"
        };
        let dev_name = format!(
            "{}-{}",
            machine,
            ids::okta_id(&mut self.rng, "", 7).to_uppercase()
        );
        let laptop_id = ids::guid(&mut self.rng);
        let phone_id = ids::guid(&mut self.rng);
        let phone_name = if phone_a.entra_os.starts_with("Ios") {
            "iPhone"
        } else {
            "Pixel"
        };
        let devices = vec![
            Device {
                client: laptop,
                device_id: laptop_id.clone(),
                display_name: dev_name.clone(),
                managed: true,
                compliant: true,
                trust_type: "Azure AD joined",
            },
            Device {
                client: desktop,
                device_id: laptop_id,
                display_name: dev_name,
                managed: true,
                compliant: true,
                trust_type: "Azure AD joined",
            },
            Device {
                client: phone_b,
                device_id: phone_id.clone(),
                display_name: phone_name.to_owned(),
                managed: false,
                compliant: false,
                trust_type: "Azure AD registered",
            },
            Device {
                client: phone_a,
                device_id: phone_id,
                display_name: phone_name.to_owned(),
                managed: false,
                compliant: false,
                trust_type: "Azure AD registered",
            },
        ];
        let upn = format!(
            "{}.{}@{}",
            spec.first.to_lowercase(),
            spec.last.to_lowercase().replace(['\'', ' '], ""),
            tenant.domain
        );
        let start_min = 7 * 60 + 30 + self.rng.i64(0..120);
        let end_min = start_min + 8 * 60 + 30 + self.rng.i64(-30..60);
        let office = if spec.office_days.iter().any(|d| *d) {
            Some(tenant.office)
        } else {
            None
        };
        let mut notes = Vec::new();
        if spec.commuter {
            notes.push(format!(
                "commutes {:.0} km from {} to the office in {}",
                spec.home.distance_km(tenant.office),
                spec.home.name,
                tenant.office.name
            ));
        }
        if let Some(c) = spec.carrier_city {
            notes.push(format!(
                "phone carrier {} geolocates to {} ({:.0} km from home)",
                spec.carrier.isp,
                c.name,
                spec.home.distance_km(c)
            ));
        }
        if let Some(c) = spec.v6_city {
            notes.push(format!(
                "dual-stack home: IPv6 geolocates to {} ({:.0} km)",
                c.name,
                spec.home.distance_km(c)
            ));
        }
        let user = User {
            upn,
            display_name: format!("{} {}", spec.first, spec.last),
            id: ids::guid(&mut self.rng),
            okta_id: ids::okta_id(&mut self.rng, "00u", 17),
            home: spec.home,
            office,
            home_net,
            home_v6,
            mobile_net,
            devices,
            office_days: spec.office_days,
            start_min,
            end_min,
            vpn: spec.vpn,
            notes,
        };
        let tenant = &mut self.w.tenants[t];
        tenant.users.push(user);
        let u = tenant.users.len() - 1;
        if spec.commuter {
            self.commuters.insert((t, u));
        }
        self.vpn_share.insert((t, u), spec.vpn_share);
        u
    }
}

/// Whose machine a record comes from.
#[derive(Clone, Copy, Debug)]
pub enum Dev {
    /// One of the user's devices (index into `User::devices`).
    Own(usize),
    /// Someone else's client (attacker tooling).
    Foreign(&'static Client),
}

/// Everything about a record but its bookkeeping.
#[derive(Clone, Copy, Debug)]
pub struct Rec {
    pub t: usize,
    pub u: usize,
    pub time: i64,
    pub net: usize,
    pub dev: Dev,
    pub app: &'static App,
    pub outcome: Outcome,
    pub channel: Channel,
    pub mfa: bool,
    pub flow: u64,
    pub session: u64,
    pub truth: Truth,
}

impl Builder {
    // ---------------------------------------------------------------- records

    pub fn new_flow(&mut self) -> u64 {
        self.rng.u64(..)
    }

    pub fn push(&mut self, r: Rec) -> u64 {
        let key = self.next_key;
        self.next_key += 1;
        let (client, device) = match r.dev {
            Dev::Own(d) => (self.w.tenants[r.t].users[r.u].devices[d].client, Some(d)),
            Dev::Foreign(c) => (c, None),
        };
        let okta_app = clients::OKTA_APPS[self.rng.usize(0..clients::OKTA_APPS.len())];
        self.w.signins.push(SignIn {
            key,
            id: String::new(),
            tenant: r.t,
            user: r.u,
            time_ms: r.time,
            net: r.net,
            client,
            device,
            app: r.app,
            okta_app,
            outcome: r.outcome,
            channel: r.channel,
            mfa: r.mfa,
            flow: r.flow,
            session: r.session,
            truth: r.truth,
        });
        key
    }

    fn place_at(&self, t: usize, u: usize, ms: i64) -> Place {
        self.itineraries
            .get(&(t, u))
            .and_then(|segs| segs.iter().find(|s| s.from <= ms && ms < s.to))
            .map_or(Place::Home, |s| s.place)
    }

    /// What a benign record at `net` teaches a detector to beware of.
    fn truth_for(&self, t: usize, u: usize, net: usize, place: Place) -> Truth {
        let user = &self.w.tenants[t].users[u];
        let n = &self.w.networks[net];
        match n.role {
            Role::DeclaredVpn => return Truth::Trap(Trap::DeclaredVpn),
            Role::UndeclaredVpn => return Truth::Trap(Trap::UndeclaredVpn),
            _ => {}
        }
        if let Place::Away { trap, .. } = place {
            return Truth::Trap(trap);
        }
        match n.role {
            Role::HomeV6 => {
                let v4 = &self.w.networks[user.home_net];
                if geo::distance_km(v4.lat, v4.lon, n.lat, n.lon) > 50.0 {
                    return Truth::Trap(Trap::DualStack);
                }
            }
            Role::Mobile if n.city.distance_km(user.home) > 100.0 => {
                return Truth::Trap(Trap::MobileCarrier);
            }
            _ => {}
        }
        Truth::Normal
    }

    /// A user's own sign-in, with the benign failures that sometimes precede it.
    #[allow(clippy::too_many_arguments)]
    fn own(
        &mut self,
        t: usize,
        u: usize,
        time: i64,
        net: usize,
        device: usize,
        act: Act,
        place: Place,
        day: i64,
    ) {
        let format = self.w.tenants[t].format;
        let truth = self.truth_for(t, u, net, place);
        let session = ids::mix(
            ((t as u64) << 40) ^ ((u as u64) << 20) ^ (day as u64),
            device as u64,
        );
        let flow = self.new_flow();
        let (app, channel) = match act {
            Act::Browser => (
                pick(&mut self.rng, clients::BROWSER_APPS),
                Channel::Interactive,
            ),
            Act::Desktop => (
                pick(&mut self.rng, clients::DESKTOP_APPS),
                Channel::Interactive,
            ),
            Act::Phone => (
                if device == PHONE_APP {
                    &clients::OUTLOOK_MOBILE
                } else {
                    &clients::OFFICE_HOME
                },
                Channel::Interactive,
            ),
            Act::Refresh => (
                pick(&mut self.rng, clients::REFRESH_APPS),
                Channel::NonInteractive,
            ),
        };
        if (channel == Channel::NonInteractive && !format.has_non_interactive())
            || time < self.w.start_ms
            || time >= self.w.end_ms
        {
            return;
        }
        let mfa = channel == Channel::Interactive && self.rng.f64() < 0.45;
        let base = Rec {
            t,
            u,
            time,
            net,
            dev: Dev::Own(device),
            app,
            outcome: Outcome::Success,
            channel,
            mfa,
            flow,
            session,
            truth,
        };
        if channel == Channel::Interactive {
            let roll = self.rng.f64();
            if roll < 0.03 {
                let typo_flow = self.new_flow();
                let dt = self.rng.i64(40_000..150_000);
                self.push(Rec {
                    time: time - dt,
                    outcome: Outcome::BadPassword,
                    mfa: false,
                    flow: typo_flow,
                    truth: Truth::Trap(Trap::TypoFailure),
                    ..base
                });
            } else if format.is_okta() {
                if roll < 0.06 {
                    let dt = self.rng.i64(60_000..180_000);
                    self.push(Rec {
                        time: time - dt,
                        outcome: Outcome::MfaDenied,
                        channel: Channel::OktaMfa,
                        truth: Truth::Trap(Trap::MfaInterrupt),
                        ..base
                    });
                }
                if mfa || roll < 0.06 {
                    let dt = self.rng.i64(2_000..9_000);
                    self.push(Rec {
                        time: time - dt,
                        channel: Channel::OktaMfa,
                        ..base
                    });
                }
            } else if mfa && roll < 0.25 {
                let dt = self.rng.i64(12_000..50_000);
                self.push(Rec {
                    time: time - dt,
                    outcome: Outcome::MfaInterrupt,
                    truth: Truth::Trap(Trap::MfaInterrupt),
                    ..base
                });
            } else if roll > 0.96 {
                let dt = self.rng.i64(3_000..12_000);
                self.push(Rec {
                    time: time - dt,
                    outcome: Outcome::KmsiInterrupt,
                    truth: Truth::Trap(Trap::KmsiInterrupt),
                    ..base
                });
            }
        }
        self.push(base);
    }

    // ---------------------------------------------------------------- everyday life

    /// Generates every partner user's ordinary sign-ins over the whole period.
    pub fn everyday(&mut self) {
        for t in 0..self.w.tenants.len() {
            for u in 0..self.w.tenants[t].users.len() {
                for day in self.start_day..self.start_day + self.days {
                    self.day(t, u, day);
                }
            }
        }
    }

    fn day(&mut self, t: usize, u: usize, day: i64) {
        let user = &self.w.tenants[t].users[u];
        let home_tz = user.home.time_zone();
        let noon_place = self.place_at(t, u, local_to_utc(&home_tz, day, 12 * 60));
        let tz = match noon_place {
            Place::Away { city, .. } => city.time_zone(),
            _ => home_tz,
        };
        let wd = weekday(day);
        let holiday = self.holidays.contains(&day);
        let (office_days, start_min, end_min, has_vpn) = (
            user.office_days,
            user.start_min,
            user.end_min,
            user.vpn.is_some(),
        );
        let working = wd < 5 && !holiday && !matches!(noon_place, Place::Away { work: false, .. });
        let away = matches!(noon_place, Place::Away { .. });
        let office_day = working && office_days[wd] && !away;
        let mut slots: Vec<(i64, Act, Spot)> = Vec::new();
        let r = &mut self.rng;
        if working {
            let start = start_min + r.i64(-25..25);
            let end = end_min + r.i64(-40..50);
            if r.f64() < 0.4 {
                slots.push((start - r.i64(25..80), Act::Phone, Spot::Home));
            }
            slots.push((start + r.i64(0..12), Act::Browser, Spot::Work));
            slots.push((start + r.i64(2..25), Act::Desktop, Spot::Work));
            for _ in 0..r.usize(1..=3) {
                let act = if r.bool() { Act::Browser } else { Act::Desktop };
                slots.push((r.i64(start + 60..end - 20), act, Spot::Work));
            }
            for _ in 0..r.usize(1..=4) {
                slots.push((r.i64(start..end + 30), Act::Refresh, Spot::Work));
            }
            if r.f64() < 0.35 {
                slots.push((r.i64(11 * 60 + 40..13 * 60 + 30), Act::Phone, Spot::Carrier));
            }
            if r.f64() < 0.25 {
                slots.push((r.i64(19 * 60..22 * 60 + 30), Act::Browser, Spot::Home));
            }
            if r.f64() < 0.4 {
                slots.push((r.i64(18 * 60..23 * 60), Act::Phone, Spot::Home));
            }
        } else {
            let n = if matches!(noon_place, Place::Away { work: false, .. }) {
                r.usize(1..=3)
            } else if r.f64() < 0.5 {
                r.usize(1..=2)
            } else {
                0
            };
            for _ in 0..n {
                slots.push((r.i64(8 * 60..22 * 60), Act::Phone, Spot::Home));
            }
            if r.f64() < 0.15 {
                slots.push((r.i64(10 * 60..21 * 60), Act::Browser, Spot::Home));
                slots.push((r.i64(10 * 60..21 * 60), Act::Refresh, Spot::Home));
            }
        }
        // Home-office days through the VPN: connect mid-morning for a few hours, right after a
        // sign-in from home.
        let mut vpn_window = None;
        let vpn_share = self.vpn_share.get(&(t, u)).copied().unwrap_or(0.0);
        if working && !office_day && !away && has_vpn && self.rng.f64() < vpn_share {
            let r = &mut self.rng;
            let from = start_min + r.i64(20..120);
            let to = from + r.i64(60..300);
            slots.push((from - r.i64(3..12), Act::Browser, Spot::Home));
            slots.push((from + r.i64(1..6), Act::Desktop, Spot::Work));
            slots.push((from + r.i64(10..50), Act::Refresh, Spot::Work));
            vpn_window = Some((from, to));
        }
        // Phones whose carrier geolocates far away: a phone sign-in minutes after the laptop's.
        let user = &self.w.tenants[t].users[u];
        let carrier_far = self.w.networks[user.mobile_net].city.distance_km(user.home) > 100.0;
        if carrier_far && working && !away && self.rng.f64() < 0.7 {
            let first = slots
                .iter()
                .filter(|s| s.1 == Act::Browser)
                .map(|s| s.0)
                .min();
            if let Some(first) = first {
                let dt = self.rng.i64(3..15);
                slots.push((first + dt, Act::Phone, Spot::Carrier));
            }
        }
        slots.sort_by_key(|s| s.0);
        let user = &self.w.tenants[t].users[u];
        let (home_net, home_v6, mobile_net, vpn) =
            (user.home_net, user.home_v6, user.mobile_net, user.vpn);
        let office_net = self.w.tenants[t].office_net;
        for (minute, act, spot) in slots {
            let time = local_to_utc(&tz, day, minute) + self.rng.i64(0..60_000);
            if time < self.w.start_ms || time >= self.w.end_ms {
                continue;
            }
            let place = self.place_at(t, u, time);
            let in_vpn = vpn_window.is_some_and(|(a, b)| minute >= a && minute < b);
            let (net, device) = match place {
                Place::Blackout => continue,
                Place::Away { hotel, phone, .. } => match act {
                    Act::Phone => (if self.rng.f64() < 0.5 { phone } else { hotel }, PHONE_APP),
                    Act::Browser => (hotel, LAPTOP),
                    Act::Desktop | Act::Refresh => (hotel, DESKTOP),
                },
                Place::Home => {
                    let at_office = office_day
                        && spot == Spot::Work
                        && minute >= start_min - 30
                        && minute <= end_min + 60;
                    let fixed = if at_office {
                        office_net
                    } else if let (true, Some(v)) = (in_vpn && spot == Spot::Work, vpn) {
                        v
                    } else {
                        home_net
                    };
                    match act {
                        Act::Phone => {
                            let cell = spot == Spot::Carrier
                                || self.rng.f64() < if carrier_far { 0.7 } else { 0.35 };
                            let dev = if self.rng.f64() < 0.2 {
                                PHONE_BROWSER
                            } else {
                                PHONE_APP
                            };
                            (
                                if cell {
                                    mobile_net
                                } else if at_office {
                                    office_net
                                } else {
                                    home_net
                                },
                                dev,
                            )
                        }
                        Act::Browser => {
                            let v6 = fixed == home_net && home_v6.is_some() && self.rng.bool();
                            (
                                if v6 {
                                    home_v6.unwrap_or(home_net)
                                } else {
                                    fixed
                                },
                                LAPTOP,
                            )
                        }
                        Act::Desktop | Act::Refresh => (fixed, DESKTOP),
                    }
                }
            };
            self.own(t, u, time, net, device, act, place, day);
        }
    }

    // ---------------------------------------------------------------- trips

    /// A trip by air from home to `to` and back. Times are local wall-clock minutes of the
    /// departure days (origin time zone). The records around each flight are placed so that
    /// the gap is at least the block time plus an hour.
    #[allow(clippy::too_many_arguments)]
    pub fn trip(
        &mut self,
        t: usize,
        u: usize,
        to: &'static City,
        out: (i64, i64),
        back: (i64, i64),
        hotel_isp: &'static Provider,
        trap: Trap,
        work: bool,
    ) -> (usize, usize) {
        let user = &self.w.tenants[t].users[u];
        let from = user.home;
        let carrier = self.w.networks[user.mobile_net].provider;
        let block = geo::flight_minutes(from.distance_km(to)) * MINUTE;
        let depart = local_to_utc(&from.time_zone(), out.0, out.1);
        let arrive = depart + block;
        let depart_back = local_to_utc(&to.time_zone(), back.0, back.1);
        let arrive_back = depart_back + block;
        let hotel = self.net(hotel_isp, to, Role::Hotel);
        let phone = if to.country == from.country {
            self.net(carrier, to, Role::Mobile)
        } else {
            hotel
        };
        let segs = self.itineraries.entry((t, u)).or_default();
        segs.push(Segment {
            from: depart - 75 * MINUTE,
            to: arrive + 60 * MINUTE,
            place: Place::Blackout,
        });
        segs.push(Segment {
            from: arrive + 60 * MINUTE,
            to: depart_back - 75 * MINUTE,
            place: Place::Away {
                city: to,
                hotel,
                phone,
                trap,
                work,
            },
        });
        segs.push(Segment {
            from: depart_back - 75 * MINUTE,
            to: arrive_back + 60 * MINUTE,
            place: Place::Blackout,
        });
        let user = &self.w.tenants[t].users[u];
        let home_mobile = user.mobile_net;
        let away = Place::Away {
            city: to,
            hotel,
            phone,
            trap,
            work,
        };
        // The last sign-in before boarding (phone at the airport) and the first after landing.
        for (dep, arr, before_net, after_net, before_place, after_place) in [
            (depart, arrive, home_mobile, phone, Place::Home, away),
            (
                depart_back,
                arrive_back,
                phone,
                home_mobile,
                away,
                Place::Home,
            ),
        ] {
            let before = dep - self.rng.i64(40..70) * MINUTE;
            let after = arr + self.rng.i64(65..120) * MINUTE;
            let day_b = before.div_euclid(DAY);
            let day_a = after.div_euclid(DAY);
            self.own(
                t,
                u,
                before,
                before_net,
                PHONE_APP,
                Act::Phone,
                before_place,
                day_b,
            );
            self.own(
                t,
                u,
                after,
                after_net,
                PHONE_APP,
                Act::Phone,
                after_place,
                day_a,
            );
            self.w.trips.push(Trip {
                tenant: t,
                user: u,
                from: if dep == depart { from } else { to },
                to: if dep == depart { to } else { from },
                depart_ms: dep,
                arrive_ms: arr,
                trap,
                last_before: 0,
                first_after: 0,
            });
        }
        let note = format!(
            "{} trip to {} ({:.0} km), {} to {}",
            trap.as_str(),
            to.name,
            from.distance_km(to),
            rfc3339_secs(depart),
            rfc3339_secs(arrive_back)
        );
        self.w.tenants[t].users[u].notes.push(note);
        (hotel, phone)
    }

    // ---------------------------------------------------------------- attacks

    pub fn attack(&mut self, kind: AttackKind, t: usize, u: usize, description: String) -> usize {
        let id = format!("A{:02}", self.w.attacks.len() + 1);
        self.w.attacks.push(Attack {
            id,
            kind,
            tenant: t,
            user: u,
            description,
            expected: Vec::new(),
        });
        self.w.attacks.len() - 1
    }

    /// An attacker record for attack `a`.
    #[allow(clippy::too_many_arguments)]
    pub fn hit(
        &mut self,
        a: usize,
        time: i64,
        net: usize,
        client: &'static Client,
        app: &'static App,
        outcome: Outcome,
        channel: Channel,
    ) -> u64 {
        let (t, u) = (self.w.attacks[a].tenant, self.w.attacks[a].user);
        self.hit_user(a, t, u, time, net, client, app, outcome, channel)
    }

    /// An attacker record for attack `a` against any user (sprays hit many).
    #[allow(clippy::too_many_arguments)]
    pub fn hit_user(
        &mut self,
        a: usize,
        t: usize,
        u: usize,
        time: i64,
        net: usize,
        client: &'static Client,
        app: &'static App,
        outcome: Outcome,
        channel: Channel,
    ) -> u64 {
        let flow = self.new_flow();
        let session = self.rng.u64(..);
        let mfa = matches!(
            outcome,
            Outcome::Success | Outcome::MfaInterrupt | Outcome::MfaRequired | Outcome::MfaDenied
        );
        self.push(Rec {
            t,
            u,
            time,
            net,
            dev: Dev::Foreign(client),
            app,
            outcome,
            channel,
            mfa,
            flow,
            session,
            truth: Truth::Attack(a),
        })
    }

    /// The user's own interactive successes from a laptop or desktop in `[from, to)`, in time order.
    pub fn own_signins(&self, t: usize, u: usize, from: i64, to: i64) -> Vec<(i64, usize)> {
        let mut v: Vec<(i64, usize)> = self
            .w
            .signins
            .iter()
            .filter(|s| s.tenant == t && s.user == u && s.time_ms >= from && s.time_ms < to)
            .filter(|s| s.channel == Channel::Interactive && s.outcome == Outcome::Success)
            .filter(|s| matches!(s.device, Some(LAPTOP | DESKTOP)))
            .filter(|s| !matches!(s.truth, Truth::Attack(_)) && !self.removed.contains(&s.key))
            .map(|s| (s.time_ms, s.net))
            .collect();
        v.sort_unstable();
        v
    }

    /// The first own interactive success of the user on a local date after a local hour.
    pub fn anchor(&self, t: usize, u: usize, day: i64, after_hour: i64) -> Option<(i64, usize)> {
        let user = &self.w.tenants[t].users[u];
        let tz = user.home.time_zone();
        let from = local_to_utc(&tz, day, after_hour * 60);
        self.own_signins(t, u, from, local_to_utc(&tz, day, 23 * 60))
            .first()
            .copied()
    }

    /// Drops the user's own records in `[from, to)` (to leave a gap that a scenario needs).
    pub fn clear(&mut self, t: usize, u: usize, from: i64, to: i64) {
        for s in &self.w.signins {
            if s.tenant == t
                && s.user == u
                && s.time_ms >= from
                && s.time_ms < to
                && !matches!(s.truth, Truth::Attack(_))
            {
                self.removed.insert(s.key);
            }
        }
    }

    /// Places a record of the user's own at `time` from `net` (e.g. to bracket an attacker).
    pub fn own_at(&mut self, t: usize, u: usize, time: i64, net: usize, device: usize) {
        let act = if device == DESKTOP {
            Act::Desktop
        } else if device >= PHONE_BROWSER {
            Act::Phone
        } else {
            Act::Browser
        };
        let place = self.place_at(t, u, time);
        self.own(t, u, time, net, device, act, place, time.div_euclid(DAY));
    }

    pub fn user_ref(&self, t: usize, u: usize) -> &User {
        &self.w.tenants[t].users[u]
    }

    // ---------------------------------------------------------------- finishing

    /// Sorts, assigns record ids, labels commuters, locates trips and works out which
    /// finding kinds each attack should raise.
    pub fn finish(mut self) -> World {
        let removed = std::mem::take(&mut self.removed);
        self.w.signins.retain(|s| !removed.contains(&s.key));
        self.w.signins.sort_by_key(|s| (s.tenant, s.time_ms, s.key));
        // ids: one stream per partner, in time order
        for t in 0..self.w.tenants.len() {
            let mut rng = fastrand::Rng::with_seed(ids::mix(self.w.seed, 1000 + t as u64));
            let okta = self.w.tenants[t].format.is_okta();
            for s in self.w.signins.iter_mut().filter(|s| s.tenant == t) {
                s.id = if okta {
                    ids::uuid_v1(s.time_ms, &mut rng)
                } else {
                    ids::guid(&mut rng)
                };
            }
        }
        // commuters: the records where the user switched between home and office
        let mut last: BTreeMap<(usize, usize), Role> = BTreeMap::new();
        for s in self.w.signins.iter_mut() {
            let role = self.w.networks[s.net].role;
            if !matches!(role, Role::Home | Role::Office)
                || !self.commuters.contains(&(s.tenant, s.user))
            {
                continue;
            }
            if let Some(prev) = last.insert((s.tenant, s.user), role)
                && prev != role
                && s.truth == Truth::Normal
            {
                s.truth = Truth::Trap(Trap::Commuter);
            }
        }
        // trips: the records actually around each flight (within the period)
        let (start, end) = (self.w.start_ms, self.w.end_ms);
        self.w
            .trips
            .retain(|t| t.depart_ms >= start && t.arrive_ms < end);
        for trip in self.w.trips.iter_mut() {
            let mine = self
                .w
                .signins
                .iter()
                .filter(|s| s.tenant == trip.tenant && s.user == trip.user);
            let before = mine
                .clone()
                .filter(|s| s.time_ms < trip.depart_ms)
                .max_by_key(|s| s.time_ms);
            let after = mine
                .filter(|s| s.time_ms > trip.arrive_ms)
                .min_by_key(|s| s.time_ms);
            trip.last_before = before.map_or(u64::MAX, |s| s.key);
            trip.first_after = after.map_or(u64::MAX, |s| s.key);
        }
        expected_findings(&mut self.w);
        self.w
    }
}

fn pick<T: Copy>(rng: &mut fastrand::Rng, items: &[T]) -> T {
    items[rng.usize(0..items.len())]
}

/// Which finding kinds should catch each attack: the kind's own (travel, location) plus
/// `indicator_match` when the address is on the campaign list and `cross_tenant_ip` when
/// the address attacked two partners with a proven password, or three with any attempt.
fn expected_findings(w: &mut World) {
    let listed = crate::campaign::listed_addresses(&w.campaign);
    let mut by_ip: BTreeMap<IpAddr, (BTreeSet<usize>, BTreeSet<usize>)> = BTreeMap::new();
    for s in &w.signins {
        if let Truth::Attack(_) = s.truth {
            let e = by_ip.entry(w.networks[s.net].ip).or_default();
            e.0.insert(s.tenant);
            if s.outcome.password_proven() {
                e.1.insert(s.tenant);
            }
        }
    }
    for (a, attack) in w.attacks.iter_mut().enumerate() {
        let mut kinds: BTreeSet<FindingKind> = match attack.kind {
            AttackKind::AitmTakeover
            | AttackKind::AitmCredentialValidFailure
            | AttackKind::TokenReplay => [
                FindingKind::ImpossibleTravel,
                FindingKind::UnfamiliarLocation,
            ]
            .into(),
            AttackKind::Sandwich => [FindingKind::ImpossibleTravel].into(),
            AttackKind::SameCountryNearby => [FindingKind::UnfamiliarLocation].into(),
            AttackKind::CrossTenantIpReuse
            | AttackKind::CampaignIndicator
            | AttackKind::PasswordSpray => BTreeSet::new(),
        };
        for s in w.signins.iter().filter(|s| s.truth == Truth::Attack(a)) {
            let n = &w.networks[s.net];
            if listed.iter().any(|l| l.contains(&n.ip)) {
                kinds.insert(FindingKind::IndicatorMatch);
            }
            if let Some((any, proven)) = by_ip.get(&n.ip)
                && (proven.len() >= 2 || any.len() >= 3)
            {
                kinds.insert(FindingKind::CrossTenantIp);
            }
        }
        attack.expected = kinds.into_iter().collect();
    }
}
