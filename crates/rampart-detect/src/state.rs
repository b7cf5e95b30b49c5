//! Compact per-identity state: the last few travel endpoints, the places the user is
//! seen at, the jumps between them, and the clients they use. The sign-ins themselves are
//! kept beside it (the few recent endpoints, shared with the other indexes) and referred
//! to by number; this keeps an identity's state at a few hundred bytes, which matters at
//! a million identities.

use std::hash::{DefaultHasher, Hash, Hasher};

use rampart_model::SignIn;
use serde::{Deserialize, Serialize};

pub(crate) const RECENT: usize = 4;
pub(crate) const PLACES: usize = 8;
pub(crate) const CLIENTS: usize = 4;
pub(crate) const NO_PLACE: u8 = u8::MAX;
/// Distinct days after which a place a finding was raised about counts as the user's own.
pub(crate) const RECURRING_DAYS: u16 = 4;

/// One recent travel endpoint.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Recent {
    /// The sign-in, by the identity's own numbering of its endpoints.
    pub idx: u32,
    /// The place it was learned into, or `NO_PLACE`.
    pub place: u8,
    /// How familiar its place was (distinct days) before this sign-in.
    pub fam_before: u8,
    /// This sign-in is the suspicious side of a finding.
    pub flagged: bool,
}

/// A place a user signs in from (16 bytes).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Place {
    pub lat: f32,
    pub lon: f32,
    /// Sign-ins here (low 15 bits) and, in the top bit, "an attacker was seen here".
    signins_taint: u16,
    pub days: u16,
    pub last_day: u16,
    pub country: [u8; 2],
}

const TAINT: u16 = 0x8000;

impl Place {
    pub fn signins(&self) -> u16 {
        self.signins_taint & !TAINT
    }

    /// An attacker was seen here: it is not familiar until it recurs (see `familiarity`).
    pub fn tainted(&self) -> bool {
        self.signins_taint & TAINT != 0
    }

    fn count_signin(&mut self) {
        if self.signins() < !TAINT {
            self.signins_taint += 1;
        }
    }

    pub fn country(&self) -> Option<&str> {
        if self.country == [0, 0] {
            None
        } else {
            std::str::from_utf8(&self.country).ok()
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct UserState {
    pub recent: [Recent; RECENT],
    pub n_recent: u8,
    pub places: [Place; PLACES],
    pub n_places: u8,
    /// Bit `from * PLACES + to` is set once the user moved from place `from` to `to`.
    pub transitions: u64,
    pub clients: [u32; CLIENTS],
    pub n_clients: u8,
    /// Exact user-agent strings seen (hashed), most recent last.
    pub agents: [u32; CLIENTS],
    pub n_agents: u8,
    /// Password-proven sign-ins learned.
    pub learned: u32,
    pub first_day: u16,
    pub last_day: u16,
}

pub(crate) fn day_of(s: &SignIn) -> u16 {
    day_of_time(s.time)
}

pub(crate) fn day_of_time(t: jiff::Timestamp) -> u16 {
    let days = t.as_second().div_euclid(86_400);
    u16::try_from(days.clamp(0, i64::from(u16::MAX))).unwrap_or(u16::MAX)
}

pub(crate) fn country_bytes(code: Option<&str>) -> [u8; 2] {
    match code.map(str::as_bytes) {
        Some([a, b]) if a.is_ascii_uppercase() && b.is_ascii_uppercase() => [*a, *b],
        _ => [0, 0],
    }
}

/// The exact user-agent string, hashed.
pub(crate) fn agent_hash(s: &SignIn) -> Option<u32> {
    let ua = s.user_agent.as_deref().filter(|u| !u.is_empty())?;
    let mut h = DefaultHasher::new();
    ua.hash(&mut h);
    Some(h.finish() as u32)
}

/// A coarse client fingerprint: operating system family and browser family.
pub(crate) fn client_family(s: &SignIn) -> Option<u32> {
    let ua = s.user_agent.as_deref().unwrap_or("");
    let os = s.os.as_deref().unwrap_or("");
    if ua.is_empty() && os.is_empty() {
        return None;
    }
    let text = format!("{os} {ua}").to_ascii_lowercase();
    let os_family = [
        "windows", "iphone", "ipad", "ios", "mac", "android", "linux", "cros",
    ]
    .into_iter()
    .position(|k| text.contains(k));
    let browser = [
        "edg", "firefox", "chrome", "safari", "python", "curl", "okhttp",
    ]
    .into_iter()
    .position(|k| text.contains(k));
    let mut h = DefaultHasher::new();
    (os_family, browser).hash(&mut h);
    Some(h.finish() as u32)
}

impl UserState {
    pub fn established(&self, params: &crate::Params) -> bool {
        self.learned >= params.learning_signins
            || u32::from(self.last_day.saturating_sub(self.first_day)) >= params.learning_days
    }

    pub fn history_days(&self) -> u16 {
        if self.learned == 0 {
            0
        } else {
            self.last_day.saturating_sub(self.first_day) + 1
        }
    }

    /// The place within `radius_km` of a position, if any.
    pub fn find_place(&self, lat: f64, lon: f64, radius_km: f64) -> Option<u8> {
        let radius = radius_km.max(50.0);
        (0..self.n_places).find(|&i| {
            let p = &self.places[usize::from(i)];
            rampart_geo::haversine_km(f64::from(p.lat), f64::from(p.lon), lat, lon) <= radius
        })
    }

    /// Familiarity of a place: distinct days seen; zero while tainted, until the
    /// user has come back to it on `RECURRING_DAYS` distinct days (a personal VPN or
    /// a second home is a pattern, not an attack repeated every day).
    pub fn familiarity(&self, place: Option<u8>) -> u8 {
        match place {
            Some(i) if i != NO_PLACE && i < self.n_places => {
                let p = &self.places[usize::from(i)];
                if p.tainted() && p.days < RECURRING_DAYS {
                    0
                } else {
                    u8::try_from(p.days.min(255)).unwrap_or(u8::MAX)
                }
            }
            _ => 0,
        }
    }

    /// Learns a position; returns its place index.
    pub fn learn_place(
        &mut self,
        lat: f64,
        lon: f64,
        radius_km: f64,
        day: u16,
        country: [u8; 2],
    ) -> u8 {
        let i = match self.find_place(lat, lon, radius_km) {
            Some(i) => i,
            None => {
                let i = if usize::from(self.n_places) < PLACES {
                    self.n_places += 1;
                    self.n_places - 1
                } else {
                    // Evict the least used place (fewest days, then the longest unseen).
                    let i = (0..self.n_places)
                        .min_by_key(|&i| {
                            let p = &self.places[usize::from(i)];
                            (p.days, p.last_day)
                        })
                        .unwrap_or(0);
                    self.forget_transitions(i);
                    i
                };
                self.places[usize::from(i)] = Place {
                    lat: lat as f32,
                    lon: lon as f32,
                    country,
                    ..Place::default()
                };
                i
            }
        };
        let p = &mut self.places[usize::from(i)];
        p.count_signin();
        if p.days == 0 || p.last_day != day {
            p.days = p.days.saturating_add(1);
            p.last_day = day;
        }
        if p.country == [0, 0] {
            p.country = country;
        }
        i
    }

    fn forget_transitions(&mut self, place: u8) {
        let n = PLACES as u64;
        let place = u64::from(place);
        for other in 0..n {
            self.transitions &= !(1 << (place * n + other));
            self.transitions &= !(1 << (other * n + place));
        }
    }

    pub fn note_transition(&mut self, from: u8, to: u8) {
        if from == NO_PLACE || to == NO_PLACE || from == to {
            return;
        }
        self.transitions |= 1 << (u64::from(from) * PLACES as u64 + u64::from(to));
    }

    pub fn knows_transition(&self, a: u8, b: u8) -> bool {
        if a == NO_PLACE || b == NO_PLACE || a == b || a >= self.n_places || b >= self.n_places {
            return false;
        }
        let recurring = |p: &Place| !p.tainted() || p.days >= RECURRING_DAYS;
        if !recurring(&self.places[usize::from(a)]) || !recurring(&self.places[usize::from(b)]) {
            return false;
        }
        let bit = |x: u8, y: u8| 1u64 << (u64::from(x) * PLACES as u64 + u64::from(y));
        self.transitions & (bit(a, b) | bit(b, a)) != 0
    }

    pub fn taint(&mut self, place: u8) {
        if place != NO_PLACE && place < self.n_places {
            self.places[usize::from(place)].signins_taint |= TAINT;
        }
    }

    /// Places whose country counts as the user's: untainted, or recurring.
    fn trusted_places(&self) -> impl Iterator<Item = &Place> {
        self.places[..usize::from(self.n_places)]
            .iter()
            .filter(|p| !p.tainted() || p.days >= RECURRING_DAYS)
    }

    /// Whether any of the user's places has a known country (no allocation).
    pub fn has_countries(&self) -> bool {
        self.trusted_places().any(|p| p.country().is_some())
    }

    /// Whether the user has signed in from `code` (no allocation).
    pub fn knows_country(&self, code: &str) -> bool {
        self.trusted_places().any(|p| p.country() == Some(code))
    }

    /// Countries of untainted places, most used first.
    pub fn countries(&self) -> Vec<String> {
        let mut seen: Vec<(String, u32)> = Vec::new();
        for p in self.trusted_places() {
            if let Some(c) = p.country() {
                match seen.iter_mut().find(|(k, _)| k == c) {
                    Some((_, n)) => *n += u32::from(p.signins()),
                    None => seen.push((c.to_owned(), u32::from(p.signins()))),
                }
            }
        }
        seen.sort_by_key(|s| std::cmp::Reverse(s.1));
        seen.into_iter().map(|(c, _)| c).collect()
    }

    pub fn knows_client(&self, family: u32) -> bool {
        self.clients[..usize::from(self.n_clients)].contains(&family)
    }

    pub fn learn_client(&mut self, family: u32) {
        if self.knows_client(family) {
            return;
        }
        if usize::from(self.n_clients) < CLIENTS {
            self.clients[usize::from(self.n_clients)] = family;
            self.n_clients += 1;
        } else {
            self.clients.rotate_left(1);
            self.clients[CLIENTS - 1] = family;
        }
    }

    pub fn knows_agent(&self, agent: u32) -> bool {
        self.agents[..usize::from(self.n_agents)].contains(&agent)
    }

    pub fn learn_agent(&mut self, agent: u32) {
        if self.knows_agent(agent) {
            return;
        }
        if usize::from(self.n_agents) < CLIENTS {
            self.agents[usize::from(self.n_agents)] = agent;
            self.n_agents += 1;
        } else {
            self.agents.rotate_left(1);
            self.agents[CLIENTS - 1] = agent;
        }
    }

    /// The nearest place's distance in km, over all places but tainted ones.
    pub fn nearest_place_km(&self, lat: f64, lon: f64) -> Option<f64> {
        self.places[..usize::from(self.n_places)]
            .iter()
            .filter(|p| !p.tainted() || p.days >= RECURRING_DAYS)
            .map(|p| rampart_geo::haversine_km(f64::from(p.lat), f64::from(p.lon), lat, lon))
            .min_by(f64::total_cmp)
    }

    pub fn push_recent(&mut self, r: Recent) {
        if usize::from(self.n_recent) == RECENT {
            self.recent.rotate_left(1);
            self.recent[RECENT - 1] = r;
        } else {
            self.recent[usize::from(self.n_recent)] = r;
            self.n_recent += 1;
        }
    }

    pub fn last(&self) -> Option<&Recent> {
        self.n_recent
            .checked_sub(1)
            .map(|i| &self.recent[usize::from(i)])
    }

    /// The most recent endpoint that is not itself suspicious.
    pub fn anchor(&self) -> Option<&Recent> {
        self.recent[..usize::from(self.n_recent)]
            .iter()
            .rev()
            .find(|r| !r.flagged)
    }

    /// The unflagged endpoint before `idx`.
    pub fn anchor_before(&self, idx: u32) -> Option<&Recent> {
        let recent = &self.recent[..usize::from(self.n_recent)];
        let pos = recent.iter().position(|r| r.idx == idx)?;
        recent[..pos].iter().rev().find(|r| !r.flagged)
    }

    pub fn flag(&mut self, idx: u32) {
        let n = usize::from(self.n_recent);
        if let Some(r) = self.recent[..n].iter_mut().find(|r| r.idx == idx) {
            r.flagged = true;
            let place = r.place;
            self.taint(place);
        }
    }
}
