//! The hunt: every detector over a set of sign-ins, in event-time order.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::IpAddr;

use jiff::Timestamp;
use rampart_intel::{IndicatorSet, MatchHow, Verdict, VisibleProvenance};
use rampart_model::{
    CrossTenantEvidence, Evidence, Finding, FindingKind, IndicatorEvidence, LocationEvidence,
    MatchedIndicator, Outcome, Reason, ReasonEffect, Severity, SignIn, SprayEvidence, TenantId,
    TravelEvidence,
};

use crate::evidence::{place_name, side};
use crate::prevalence::{Common, Prevalence};
use crate::state::{Recent, UserState, agent_hash, client_family, country_bytes, day_of};
use crate::travel::Leg;
use crate::{DetectConfig, Params, network_key};

/// Counts that explain what a hunt did with its input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HuntStats {
    pub signins: usize,
    /// Records seen twice (same tenant, format and record id); the second copy is ignored.
    pub duplicates: usize,
    /// Sign-ins with no tenant; they cannot be hunted.
    pub without_tenant: usize,
    pub identities: usize,
    /// Bytes the per-identity state occupies (the identity table, which holds all of it inline).
    pub state_bytes: usize,
    /// Sign-ins usable as a travel endpoint.
    pub travel_endpoints: usize,
    /// Why the other sign-ins were not travel endpoints.
    pub not_endpoint: BTreeMap<&'static str, usize>,
    /// Impossible pairs that were not raised, by reason.
    pub suppressed: BTreeMap<&'static str, usize>,
}

/// The result of a hunt.
#[derive(Debug, Default)]
pub struct HuntOutput {
    /// Findings in event-time order.
    pub findings: Vec<Finding>,
    pub stats: HuntStats,
}

/// A finding before merging, with what merging needs.
struct Draft {
    finding: Finding,
    subject: u32,
    ip: Option<IpAddr>,
}

struct Hunt<'a> {
    signins: &'a [SignIn],
    cfg: &'a DetectConfig,
    params: &'a Params,
    indicators: &'a IndicatorSet,
    prevalence: Prevalence,
    users: HashMap<u64, UserState>,
    drafts: Vec<Draft>,
    /// Impossible-travel drafts by subject sign-in, to amend them.
    travel_by_subject: HashMap<u32, usize>,
    /// Password-proven sign-ins by IP, for the cross-tenant pass.
    by_ip: HashMap<IpAddr, Vec<u32>>,
    /// Bad-password attempts by IP, for the spray pass.
    bad_by_ip: HashMap<IpAddr, Vec<u32>>,
    stats: HuntStats,
}

/// Runs every detector over `signins` (any order; they are sorted by event time).
/// Sign-ins must carry their tenant.
pub fn hunt(signins: &[SignIn], cfg: &DetectConfig, indicators: &IndicatorSet) -> HuntOutput {
    let mut order: Vec<u32> = (0..signins.len())
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&signins[a as usize], &signins[b as usize]);
        x.time
            .cmp(&y.time)
            .then_with(|| x.record_id.cmp(&y.record_id))
    });

    // Drop repeated records (overlapping exports, re-polled pages).
    let mut seen = HashSet::with_capacity(signins.len());
    let mut stats = HuntStats {
        signins: signins.len(),
        ..HuntStats::default()
    };
    order.retain(|&i| {
        let s = &signins[i as usize];
        if s.tenant.is_none() {
            stats.without_tenant += 1;
            return false;
        }
        let mut h = DefaultHasher::new();
        (&s.tenant, s.source_format.as_str(), &s.record_id).hash(&mut h);
        if seen.insert(h.finish()) {
            true
        } else {
            stats.duplicates += 1;
            false
        }
    });

    let prevalence = Prevalence::build(signins, &order, cfg, indicators);
    let mut hunt = Hunt {
        signins,
        cfg,
        params: &cfg.params,
        indicators,
        prevalence,
        users: HashMap::new(),
        drafts: Vec::new(),
        travel_by_subject: HashMap::new(),
        by_ip: HashMap::new(),
        bad_by_ip: HashMap::new(),
        stats,
    };
    for &i in &order {
        hunt.observe(i);
    }
    hunt.sprays();
    hunt.cross_tenant();
    hunt.stats.identities = hunt.users.len();
    hunt.stats.state_bytes = table_bytes(&hunt.users);
    let stats = std::mem::take(&mut hunt.stats);
    HuntOutput {
        findings: merge(hunt.drafts, signins, &cfg.params),
        stats,
    }
}

/// The memory a hash table of identity states occupies: every bucket holds a key and a
/// state inline plus one control byte (hashbrown's layout); `UserState` owns no heap.
fn table_bytes(users: &HashMap<u64, UserState>) -> usize {
    let buckets = if users.capacity() == 0 {
        0
    } else {
        (users.capacity() * 8 / 7).next_power_of_two()
    };
    buckets * (std::mem::size_of::<(u64, UserState)>() + 1)
}

pub(crate) fn identity_key(tenant: &TenantId, user: &str) -> u64 {
    let mut h = DefaultHasher::new();
    (tenant.as_str(), user).hash(&mut h);
    h.finish()
}

impl<'a> Hunt<'a> {
    fn s(&self, i: u32) -> &'a SignIn {
        &self.signins[i as usize]
    }

    fn observe(&mut self, i: u32) {
        let s = self.s(i);
        let Some(tenant) = s.tenant.clone() else {
            return;
        };
        self.indicator_check(i, &tenant);
        if let Some(ip) = s.ip {
            if s.outcome.password_proven() {
                self.by_ip.entry(ip).or_default().push(i);
            } else if s.outcome == Outcome::BadCredentials {
                self.bad_by_ip.entry(ip).or_default().push(i);
            }
        }
        if let Some(reason) = self.not_endpoint(i, &tenant) {
            *self.stats.not_endpoint.entry(reason).or_default() += 1;
            return;
        }
        self.stats.travel_endpoints += 1;
        self.travel(i, &tenant);
    }

    /// Why a sign-in cannot be a travel endpoint, if it cannot.
    fn not_endpoint(&self, i: u32, tenant: &TenantId) -> Option<&'static str> {
        let s = self.s(i);
        if !s.outcome.password_proven() {
            return Some(if s.outcome == Outcome::BadCredentials {
                "bad_password"
            } else {
                "outcome_unknown"
            });
        }
        let Some(loc) = &s.location else {
            return Some("no_location");
        };
        if !(loc.lat.is_finite() && loc.lon.is_finite()) {
            return Some("no_location");
        }
        if s.network.provider_trusted {
            return Some("trusted_network");
        }
        if rampart_geo::network::classify(s.asn, s.network.isp.as_deref())
            == rampart_geo::network::NetworkClass::Satellite
        {
            // In-flight Wi-Fi egresses at a ground station, not where the plane is.
            return Some("in_flight_network");
        }
        if let Some(ip) = s.ip {
            if self.cfg.trusted(tenant, ip) {
                return Some("trusted_network");
            }
            if self.prevalence.kind(tenant, ip) == Some(Common::Egress) {
                return Some("shared_egress");
            }
        }
        None
    }

    fn indicator_check(&mut self, i: u32, tenant: &TenantId) {
        let s = self.s(i);
        let Some(ip) = s.ip else { return };
        // Liveness at the sign-in's own time: a hunt over old logs matches what was live then.
        let Some(hit) = self.indicators.decide_ip(ip, s.time) else {
            return;
        };
        let ind = hit.indicator;
        let (severity, effect_text) = match s.outcome {
            Outcome::Success => (
                Severity::Critical,
                "the sign-in succeeded: the password was proven right",
            ),
            Outcome::CredentialValidFailure => (
                Severity::Critical,
                "the sign-in failed only after the password was proven right",
            ),
            Outcome::BadCredentials => (
                Severity::Medium,
                "the password was wrong: an attempt, not a takeover",
            ),
            Outcome::Other => (
                Severity::High,
                "the outcome does not say whether the password was right",
            ),
        };
        let suspicious = ind.verdict == Verdict::Suspicious;
        let severity = if suspicious {
            severity.lowered()
        } else {
            severity
        };
        // Findings go to the MSP, which may see every marking; the text still names another
        // tenant's alert only as "an alert at another tenant", as the partner may read it.
        let source = match ind.provenance.visible_to(tenant) {
            VisibleProvenance::Feed(name) => match &ind.provenance {
                rampart_intel::Provenance::Feed {
                    location: Some(at), ..
                } => format!("{name} {at}"),
                _ => name.to_owned(),
            },
            other => other.to_string(),
        };
        let matched = match hit.how {
            MatchHow::Exact => "exact".to_owned(),
            MatchHow::Network { prefix_len } => format!("network /{prefix_len}"),
            MatchHow::Subdomain => "subdomain".to_owned(),
            MatchHow::Host => "host".to_owned(),
            _ => format!("{:?}", hit.how).to_ascii_lowercase(),
        };
        let tags: Vec<String> = ind.tags.iter().map(ToString::to_string).collect();
        let score = ind.score(
            self.indicators.policy().model(ind.observable.kind()),
            s.time,
        );
        let mut listed = format!(
            "{ip} is on the indicator list as {} {} ({source}{}; {}, confidence {}, TLP:{}",
            if suspicious {
                "suspicious"
            } else {
                "malicious"
            },
            ind.observable,
            ind.description
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default(),
            matched,
            ind.confidence.get(),
            ind.tlp.as_str().to_ascii_uppercase(),
        );
        if !tags.is_empty() {
            listed.push_str(&format!("; {}", tags.join(", ")));
        }
        listed.push(')');
        let mut reasons = vec![Reason::new(
            "indicator_listed",
            ReasonEffect::Raised,
            listed,
        )];
        if suspicious {
            reasons.push(Reason::new(
                "indicator_suspicious",
                ReasonEffect::Lowered,
                "the indicator is marked suspicious, not malicious",
            ));
        }
        reasons.push(Reason::new(
            match s.outcome {
                Outcome::Success | Outcome::CredentialValidFailure => "password_proven",
                Outcome::BadCredentials => "bad_password",
                Outcome::Other => "outcome_unknown",
            },
            if s.outcome.password_proven() {
                ReasonEffect::Raised
            } else {
                ReasonEffect::Noted
            },
            outcome_text(s, effect_text),
        ));
        let campaign = ind
            .tags
            .iter()
            .find(|t| t.kind == rampart_intel::TagKind::Campaign)
            .map(|t| format!(" [campaign {}]", t.name))
            .unwrap_or_default();
        let title = format!(
            "Sign-in from {ip} on an indicator list{}{}{campaign}{}",
            if suspicious { " as suspicious" } else { "" },
            ind.description
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default(),
            if s.outcome.password_proven() {
                ", password proven"
            } else {
                ""
            },
        );
        let finding = Finding {
            kind: FindingKind::IndicatorMatch,
            severity,
            score: match severity {
                Severity::Critical => 95,
                Severity::High => 80,
                _ => 50,
            },
            tenant: tenant.clone(),
            user: s.user.clone(),
            time: s.time,
            title,
            event_ids: vec![s.record_id.clone()],
            evidence: Evidence::Indicator(Box::new(IndicatorEvidence {
                signin: side(s, None),
                indicator: MatchedIndicator {
                    kind: ind.observable.kind().as_str().to_owned(),
                    value: ind.observable.to_string(),
                    matched,
                    verdict: ind.verdict.as_str().to_owned(),
                    confidence: ind.confidence.get(),
                    score: (score * 10.0).round() / 10.0,
                    tlp: ind.tlp.as_str().to_owned(),
                    tags,
                    last_seen: ind.decays.then_some(ind.last_seen),
                    valid_until: ind.valid_until,
                },
                description: ind.description.clone(),
                indicator_source: source,
                reasons,
            })),
        };
        self.drafts.push(Draft {
            finding,
            subject: i,
            ip: Some(ip),
        });
    }

    fn radius(&self, i: u32, other: Option<u32>) -> (f64, bool) {
        let s = self.s(i);
        let r = self.params.radius_km(s);
        if is_mobile(s) {
            // A carrier egresses through regional gateways: do not trust the city.
            let same_country = other.is_some_and(|o| {
                let c1 = s.location.as_ref().and_then(|l| l.country.as_deref());
                let c2 = self
                    .s(o)
                    .location
                    .as_ref()
                    .and_then(|l| l.country.as_deref());
                c1.is_some() && c1 == c2
            });
            if same_country {
                return (f64::INFINITY, true);
            }
            return (r.max(self.params.mobile_radius_km), true);
        }
        (r, false)
    }

    /// The leg between two endpoints, or why there is none.
    fn leg(&self, a: u32, b: u32) -> Result<Leg, &'static str> {
        let (sa, sb) = (self.s(a), self.s(b));
        if let (Some(ia), Some(ib)) = (sa.ip, sb.ip) {
            if ia == ib {
                return Err("same_ip");
            }
            if network_key(ia) == network_key(ib) {
                return Err("same_network");
            }
            let minutes = (sb.time.as_second() - sa.time.as_second()).abs() as f64 / 60.0;
            if ia.is_ipv4() != ib.is_ipv4()
                && sa.asn.is_some()
                && sa.asn == sb.asn
                && minutes <= self.params.dual_stack_minutes
            {
                return Err("dual_stack");
            }
        }
        let (la, lb) = match (&sa.location, &sb.location) {
            (Some(la), Some(lb)) => (la, lb),
            _ => return Err("no_location"),
        };
        let (ra, _) = self.radius(a, Some(b));
        let (rb, _) = self.radius(b, Some(a));
        if !ra.is_finite() || !rb.is_finite() {
            return Err("mobile_same_country");
        }
        let elapsed = (sb.time.as_millisecond() - sa.time.as_millisecond()) as f64 / 1000.0;
        Ok(Leg::compute(
            self.params,
            la.lat,
            la.lon,
            ra,
            lb.lat,
            lb.lon,
            rb,
            elapsed,
        ))
    }

    /// Could one person have made both sign-ins (same network, or a feasible trip)?
    fn consistent(&self, a: u32, b: u32) -> bool {
        match self.leg(a, b) {
            Ok(leg) => !leg.impossible(self.params),
            Err(reason) => reason != "no_location",
        }
    }

    fn travel(&mut self, c: u32, tenant: &TenantId) {
        let key = identity_key(tenant, &self.s(c).user);
        let mut u = self.users.remove(&key).unwrap_or_default();
        self.travel_with(c, tenant, &mut u);
        self.users.insert(key, u);
    }

    fn travel_with(&mut self, c: u32, tenant: &TenantId, u: &mut UserState) {
        let s = self.s(c);
        let Some(loc) = s.location.clone() else {
            return;
        };
        let r_c = self.params.radius_km(s);
        let place_c = u.find_place(loc.lat, loc.lon, r_c);
        let fam_c = u.familiarity(place_c);
        let mut c_flagged = false;

        // 1. The last endpoint is suspicious already: is this sign-in the attacker again,
        //    or the user back where they were (which confirms the pattern)?
        if let Some(last) = u.last().copied()
            && last.flagged
        {
            match self.leg(last.idx, c) {
                Ok(leg) if leg.impossible(self.params) => {
                    if let Some(anchor) = u.anchor_before(last.idx).copied()
                        && self.consistent(anchor.idx, c)
                    {
                        self.confirm_sandwich(last.idx, anchor.idx, c);
                    }
                }
                _ => {}
            }
        }

        // 2. This sign-in against the user's last trustworthy endpoint.
        let anchor = u.anchor().copied();
        let mut feasible_from_anchor = true;
        if let Some(a) = anchor {
            match self.leg(a.idx, c) {
                Ok(leg) if leg.impossible(self.params) => {
                    feasible_from_anchor = false;
                    let fam_a = a.fam_before;
                    let transition_known =
                        place_c.is_some_and(|pc| u.knows_transition(a.place, pc));
                    let familiar = self.params.familiar_days.min(255) as u8;
                    let office = |i: u32| {
                        self.s(i).ip.is_some_and(|ip| {
                            self.prevalence.kind(tenant, ip) == Some(Common::Office)
                        })
                    };
                    if fam_a >= familiar && fam_c >= familiar {
                        *self
                            .stats
                            .suppressed
                            .entry("both_places_familiar")
                            .or_default() += 1;
                    } else if transition_known {
                        *self.stats.suppressed.entry("known_transition").or_default() += 1;
                    } else if fam_a >= fam_c {
                        if office(c) {
                            *self.stats.suppressed.entry("shared_office").or_default() += 1;
                        } else {
                            // The later sign-in does not fit the user.
                            c_flagged = true;
                            self.raise_travel(u, a.idx, c, c, leg, fam_c, tenant);
                        }
                    } else if office(a.idx) {
                        *self.stats.suppressed.entry("shared_office").or_default() += 1;
                    } else {
                        // The earlier one was the odd one out: it is the suspicious side.
                        u.flag(a.idx);
                        self.raise_travel(u, a.idx, c, a.idx, leg, a.fam_before, tenant);
                        if let Some(before) = u.anchor_before(a.idx).copied()
                            && self.consistent(before.idx, c)
                        {
                            self.confirm_sandwich(a.idx, before.idx, c);
                        }
                    }
                }
                _ => {}
            }
        }

        // 3. Feasible, but somewhere the user has never been.
        if feasible_from_anchor && !c_flagged {
            self.unfamiliar(c, anchor.map(|a| a.idx), u, tenant);
        }

        // 4. Learn.
        let day = day_of(s);
        if u.learned == 0 {
            u.first_day = day;
        }
        u.last_day = u.last_day.max(day);
        let place = u.learn_place(
            loc.lat,
            loc.lon,
            r_c,
            day,
            country_bytes(loc.country.as_deref()),
        );
        if c_flagged {
            u.taint(place);
        } else {
            // A jump becomes a known pattern only between places that both existed
            // before it: a first visit never vouches for itself.
            if let Some(a) = u.anchor()
                && fam_c > 0
                && a.fam_before > 0
            {
                let from = a.place;
                u.note_transition(from, place);
            }
            u.learned = u.learned.saturating_add(1);
            if let Some(f) = client_family(s) {
                u.learn_client(f);
            }
            if let Some(a) = agent_hash(s) {
                u.learn_agent(a);
            }
        }
        u.push_recent(Recent {
            idx: c,
            place,
            fam_before: fam_c,
            flagged: c_flagged,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn raise_travel(
        &mut self,
        u: &UserState,
        from: u32,
        to: u32,
        subject: u32,
        leg: Leg,
        subject_fam: u8,
        tenant: &TenantId,
    ) {
        let other = if subject == to { from } else { to };
        let (s, o) = (self.s(subject), self.s(other));
        let mut reasons = Vec::new();
        let mut severity = if leg.infeasibility > 5.0 {
            Severity::High
        } else if leg.infeasibility > 2.0 {
            Severity::Medium
        } else {
            Severity::Low
        };
        reasons.push(Reason::new(
            "infeasible",
            ReasonEffect::Raised,
            format!(
                "{:.0} km at least (after subtracting {:.0} + {:.0} km of location uncertainty) in {:.0} min needs {:.0} km/h; the fastest plausible trip takes {:.0} min ({:.1}× too fast)",
                leg.min_distance_km,
                self.params.radius_km(self.s(from)),
                self.params.radius_km(self.s(to)),
                leg.minutes,
                leg.required_speed_kmh,
                leg.fastest_minutes,
                leg.infeasibility
            ),
        ));
        let established = u.established(self.params);
        if !established {
            reasons.push(Reason::new(
                "young_baseline",
                ReasonEffect::Noted,
                format!(
                    "young baseline: {} sign-ins over {} days (needs {} or {} days), so which side is unusual is less certain",
                    u.learned,
                    u.history_days(),
                    self.params.learning_signins,
                    self.params.learning_days
                ),
            ));
        } else if subject_fam == 0 {
            severity = severity.raised();
            reasons.push(Reason::new(
                "unfamiliar_place",
                ReasonEffect::Raised,
                format!(
                    "{} was never seen for this user in {} sign-ins over {} days",
                    place_name(s),
                    u.learned,
                    u.history_days()
                ),
            ));
        }
        let country = s.location.as_ref().and_then(|l| l.country.clone());
        if established
            && let Some(cc) = &country
            && !u.knows_country(cc)
        {
            reasons.push(Reason::new(
                "new_country",
                ReasonEffect::Noted,
                format!("first sign-in from {cc} for this user"),
            ));
        }
        if let Some(f) = client_family(s)
            && u.n_clients > 0
            && !u.knows_client(f)
            && established
        {
            reasons.push(Reason::new(
                "new_client",
                ReasonEffect::Noted,
                format!(
                    "a client not seen for this user: {}",
                    s.user_agent
                        .as_deref()
                        .or(s.os.as_deref())
                        .unwrap_or("unknown")
                ),
            ));
        }
        if is_mobile(s) || is_mobile(o) {
            reasons.push(Reason::new(
                "mobile_widened",
                ReasonEffect::Lowered,
                format!(
                    "a mobile client: its position was taken as uncertain by {:.0} km (carriers egress through regional gateways)",
                    self.params.mobile_radius_km
                ),
            ));
        }
        if let Some(class) = network_class(s) {
            reasons.push(Reason::new(
                "hosting_network",
                ReasonEffect::Raised,
                format!(
                    "{} is {class}",
                    s.ip.map(|i| i.to_string()).unwrap_or_default()
                ),
            ));
        }
        if s.outcome.password_proven() {
            if severity < Severity::High {
                reasons.push(Reason::new(
                    "password_proven_floor",
                    ReasonEffect::Raised,
                    "the suspicious side proved the password: never below high",
                ));
            }
            severity = severity.max(Severity::High);
            reasons.push(proven_reason(
                s,
                "the suspicious sign-in",
                ReasonEffect::Noted,
            ));
        }
        let (fa, ta) = (self.s(from), self.s(to));
        let title = format!(
            "Impossible travel: {} → {}, {:.0} km in {:.0} min ({:.0} km/h){}",
            place_name(fa),
            place_name(ta),
            leg.distance_km,
            leg.minutes,
            leg.required_speed_kmh,
            if s.outcome == Outcome::CredentialValidFailure {
                "; a \"failure\" that proved the password"
            } else {
                ""
            }
        );
        let score = travel_score(&leg, &reasons);
        let evidence = TravelEvidence {
            from: side(fa, Some(self.params.radius_km(fa))),
            to: side(ta, Some(self.params.radius_km(ta))),
            suspicious_side: if subject == to { "to" } else { "from" }.to_owned(),
            distance_km: round1(leg.distance_km),
            min_distance_km: round1(leg.min_distance_km),
            minutes: round1(leg.minutes),
            required_speed_kmh: round1(leg.required_speed_kmh),
            fastest_travel_minutes: round1(leg.fastest_minutes),
            infeasibility: (leg.infeasibility * 100.0).round() / 100.0,
            reasons,
        };
        let finding = Finding {
            kind: FindingKind::ImpossibleTravel,
            severity,
            score,
            tenant: tenant.clone(),
            user: s.user.clone(),
            time: s.time,
            title,
            event_ids: ordered_ids(self.signins, &[other], subject),
            evidence: Evidence::Travel(Box::new(evidence)),
        };
        match self.travel_by_subject.get(&subject) {
            Some(&d) => {
                let old = &mut self.drafts[d].finding;
                if (finding.severity, finding.score) > (old.severity, old.score) {
                    *old = finding;
                }
            }
            None => {
                self.travel_by_subject.insert(subject, self.drafts.len());
                self.drafts.push(Draft {
                    finding,
                    subject,
                    ip: s.ip,
                });
            }
        }
    }

    /// `subject` sat between `before` and `after`, both consistent with each other:
    /// the user never left, so the sign-in in the middle was someone else.
    fn confirm_sandwich(&mut self, subject: u32, before: u32, after: u32) {
        let Some(&d) = self.travel_by_subject.get(&subject) else {
            return;
        };
        let text = format!(
            "the user was back at {} {:.0} min later: the sign-in in between was someone else (A→B→A)",
            place_name(self.s(after)),
            (self.s(after).time.as_second() - self.s(subject).time.as_second()) as f64 / 60.0
        );
        let ids = ordered_ids(self.signins, &[before, after], subject);
        let f = &mut self.drafts[d].finding;
        if let Evidence::Travel(ev) = &mut f.evidence
            && !ev.reasons.iter().any(|r| r.code == "returned")
        {
            ev.reasons
                .push(Reason::new("returned", ReasonEffect::Raised, text));
            f.severity = f.severity.raised();
            f.score = f.score.saturating_add(5).min(100);
            for id in ids {
                if !f.event_ids.contains(&id) {
                    f.event_ids.insert(f.event_ids.len().saturating_sub(1), id);
                }
            }
        }
    }

    fn unfamiliar(&mut self, c: u32, previous: Option<u32>, u: &UserState, tenant: &TenantId) {
        let s = self.s(c);
        if !u.established(self.params) {
            return;
        }
        let Some(loc) = &s.location else { return };
        let cc = loc.country.clone().unwrap_or_default();
        // The common case (a familiar country) is decided without allocating.
        if !u.has_countries() {
            return;
        }
        let new_country = !cc.is_empty() && !u.knows_country(&cc);
        // A far place in a familiar country counts too, but not for a phone: carriers
        // place phones hundreds of km away.
        let nearest_km = u.nearest_place_km(loc.lat, loc.lon);
        let new_place = !new_country
            && !is_mobile(s)
            && nearest_km.is_some_and(|d| d > self.params.new_place_km + self.params.radius_km(s));
        if !new_country && !new_place {
            return;
        }
        let countries = u.countries();
        let mut severity = Severity::Low;
        let mut reasons = Vec::new();
        if new_country {
            reasons.push(Reason::new(
                "new_country",
                ReasonEffect::Raised,
                format!(
                    "{cc} is new for this user: {} sign-ins over {} days were all in {}",
                    u.learned,
                    u.history_days(),
                    countries.join(", ")
                ),
            ));
        } else {
            reasons.push(Reason::new(
                "new_place",
                ReasonEffect::Raised,
                format!(
                    "{} is {:.0} km from every place this user signed in from in {} sign-ins over {} days",
                    place_name(s),
                    nearest_km.unwrap_or_default(),
                    u.learned,
                    u.history_days()
                ),
            ));
        }
        let new_family = client_family(s).is_some_and(|f| u.n_clients > 0 && !u.knows_client(f));
        let new_agent = agent_hash(s).is_some_and(|a| u.n_agents > 0 && !u.knows_agent(a));
        if new_family || new_agent {
            severity = severity.raised();
            reasons.push(Reason::new(
                "new_client",
                ReasonEffect::Raised,
                format!(
                    "from a {} not seen for this user: {}",
                    if new_family {
                        "kind of client"
                    } else {
                        "browser build"
                    },
                    s.user_agent
                        .as_deref()
                        .or(s.os.as_deref())
                        .unwrap_or("unknown")
                ),
            ));
        }
        if let Some(class) = network_class(s) {
            // A person travels with their laptop; an attacker rents a server.
            severity = severity.raised().raised();
            reasons.push(Reason::new(
                "hosting_network",
                ReasonEffect::Raised,
                format!(
                    "{} is {class}{}",
                    s.ip.map(|i| i.to_string()).unwrap_or_default(),
                    s.asn.map(|a| format!(" (AS{a})")).unwrap_or_default()
                ),
            ));
        }
        if (new_family || new_agent) && s.outcome.password_proven() && severity < Severity::High {
            // A new place and a new client at once, with the right password: either a new
            // device on a trip or someone else; an analyst should look soon.
            severity = Severity::High;
            reasons.push(Reason::new(
                "new_place_and_client",
                ReasonEffect::Raised,
                "a new place and a new client together, with the password proven right",
            ));
        }
        if s.outcome.password_proven() && severity >= Severity::High {
            reasons.push(Reason::new(
                "password_proven",
                ReasonEffect::Noted,
                outcome_text(s, "the password was proven right"),
            ));
        }
        let neighbour = new_country
            && countries
                .iter()
                .any(|k| rampart_geo::neighbours(k).contains(&cc.as_str()));
        if neighbour {
            severity = severity.lowered();
            reasons.push(Reason::new(
                "neighbour_country",
                ReasonEffect::Lowered,
                format!("{cc} borders a country the user signs in from"),
            ));
        }
        if let Some(p) = previous {
            let prev = self.s(p);
            let hours = (s.time.as_second() - prev.time.as_second()) as f64 / 3600.0;
            reasons.push(Reason::new(
                "feasible_travel",
                ReasonEffect::Noted,
                format!(
                    "the previous sign-in, from {}, was {hours:.1} h earlier: time enough to travel",
                    place_name(prev)
                ),
            ));
        }
        let score = match severity {
            Severity::High => 70,
            Severity::Medium => 50,
            Severity::Low => 30,
            _ => 15,
        };
        let title = format!(
            "First sign-in from {}{}",
            if new_country {
                format!(
                    "{} for this user ({})",
                    rampart_geo::country_name(&cc).unwrap_or(&cc),
                    place_name(s)
                )
            } else {
                format!(
                    "{} for this user, {:.0} km from any familiar place",
                    place_name(s),
                    nearest_km.unwrap_or_default()
                )
            },
            if severity >= Severity::High {
                ", from a hosting network"
            } else {
                ""
            }
        );
        let finding = Finding {
            kind: FindingKind::UnfamiliarLocation,
            severity,
            score,
            tenant: tenant.clone(),
            user: s.user.clone(),
            time: s.time,
            title,
            event_ids: ordered_ids(self.signins, &previous.into_iter().collect::<Vec<_>>(), c),
            evidence: Evidence::Location(Box::new(LocationEvidence {
                signin: side(s, Some(self.params.radius_km(s))),
                previous: previous.map(|p| side(self.s(p), Some(self.params.radius_km(self.s(p))))),
                familiar_countries: countries,
                baseline_signins: u.learned,
                baseline_days: f64::from(u.history_days()),
                reasons,
            })),
        };
        self.drafts.push(Draft {
            finding,
            subject: c,
            ip: s.ip,
        });
    }

    /// One IP trying wrong passwords against many accounts within an hour: at two or
    /// more tenants, or at many accounts of one. A password-proven sign-in from the same
    /// IP at the same tenant in that window means the spray got in.
    fn sprays(&mut self) {
        let window_s = self.params.spray_window_minutes * 60.0;
        let mut ips: Vec<(&IpAddr, &Vec<u32>)> = self.bad_by_ip.iter().collect();
        ips.sort_by_key(|(ip, _)| **ip);
        let mut new = Vec::new();
        for (ip, events) in ips {
            // Chain attempts no more than a window apart into bursts.
            let mut bursts: Vec<Vec<u32>> = Vec::new();
            for &e in events {
                let t = self.s(e).time.as_second();
                match bursts.last_mut() {
                    Some(b)
                        if b.last().is_some_and(|&l| {
                            (t - self.s(l).time.as_second()) as f64 <= window_s
                        }) =>
                    {
                        b.push(e)
                    }
                    _ => bursts.push(vec![e]),
                }
            }
            for burst in bursts {
                let mut per_tenant: BTreeMap<&TenantId, Vec<u32>> = BTreeMap::new();
                let mut users: HashSet<(&TenantId, &str)> = HashSet::new();
                for &e in &burst {
                    let s = self.s(e);
                    if let Some(t) = &s.tenant {
                        per_tenant.entry(t).or_default().push(e);
                        users.insert((t, s.user.as_str()));
                    }
                }
                let tenants = per_tenant.len();
                for (tenant, attempts) in &per_tenant {
                    let here: HashSet<&str> =
                        attempts.iter().map(|&e| self.s(e).user.as_str()).collect();
                    let wide = tenants >= 2 && users.len() >= self.params.spray_min_users;
                    let deep = here.len() >= self.params.spray_min_users_one_tenant;
                    if !(wide || deep) {
                        continue;
                    }
                    if self.cfg.trusted(tenant, *ip) || self.prevalence.kind(tenant, *ip).is_some()
                    {
                        *self
                            .stats
                            .suppressed
                            .entry("spray_from_known_network")
                            .or_default() += 1;
                        continue;
                    }
                    let first = self.s(attempts[0]).time.as_second();
                    let last = self.s(attempts[attempts.len() - 1]).time.as_second();
                    // Did the same IP get in at this tenant around the burst?
                    let got_in: Vec<u32> = self
                        .by_ip
                        .get(ip)
                        .map(|v| {
                            v.iter()
                                .copied()
                                .filter(|&e| {
                                    let s = self.s(e);
                                    s.tenant.as_ref() == Some(*tenant)
                                        && (s.time.as_second() - first) as f64 >= -window_s
                                        && (s.time.as_second() - last) as f64 <= window_s
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let mut reasons = vec![Reason::new(
                        "spray",
                        ReasonEffect::Raised,
                        format!(
                            "{ip} tried wrong passwords for {} accounts here in {:.0} min",
                            here.len(),
                            (last - first) as f64 / 60.0
                        ),
                    )];
                    if tenants >= 2 {
                        reasons.push(Reason::new(
                            "spray_elsewhere",
                            ReasonEffect::Raised,
                            format!(
                                "the same IP tried {} accounts at {} other partners in the same hour",
                                users.len() - here.len(),
                                tenants - 1
                            ),
                        ));
                    }
                    let severity = if !got_in.is_empty() {
                        reasons.push(Reason::new(
                            "spray_succeeded",
                            ReasonEffect::Raised,
                            format!(
                                "then {} signed in from that IP with the right password",
                                got_in
                                    .iter()
                                    .map(|&e| self.s(e).user.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ));
                        Severity::Critical
                    } else if tenants >= 3 {
                        Severity::High
                    } else {
                        Severity::Medium
                    };
                    let mut targeted: Vec<String> = here.iter().map(|u| (*u).to_owned()).collect();
                    targeted.sort();
                    let mut ids: Vec<u32> = attempts.clone();
                    ids.extend(&got_in);
                    ids.sort_by_key(|&e| self.s(e).time);
                    let subject = *got_in.first().unwrap_or(&attempts[0]);
                    let s = self.s(subject);
                    let finding = Finding {
                        kind: FindingKind::PasswordSpray,
                        severity,
                        score: match severity {
                            Severity::Critical => 92,
                            Severity::High => 75,
                            _ => 55,
                        },
                        tenant: (*tenant).clone(),
                        user: s.user.clone(),
                        time: s.time,
                        title: format!(
                            "Password spray from {ip}: {} accounts here{}{}",
                            here.len(),
                            if tenants >= 2 {
                                format!(", {} other partners", tenants - 1)
                            } else {
                                String::new()
                            },
                            if got_in.is_empty() {
                                ""
                            } else {
                                ", and it got in"
                            }
                        ),
                        event_ids: {
                            let others: Vec<u32> =
                                ids.iter().copied().filter(|&e| e != subject).collect();
                            ordered_ids(self.signins, &others, subject)
                        },
                        evidence: Evidence::Spray(Box::new(SprayEvidence {
                            ip: *ip,
                            attempts: ids.iter().map(|&e| side(self.s(e), None)).collect(),
                            users_here: u32::try_from(here.len()).unwrap_or(u32::MAX),
                            users_total: u32::try_from(users.len()).unwrap_or(u32::MAX),
                            other_tenants: u32::try_from(tenants - 1).unwrap_or(u32::MAX),
                            window_minutes: round1((last - first) as f64 / 60.0),
                            users_targeted: targeted,
                            reasons,
                        })),
                    };
                    new.push(Draft {
                        finding,
                        subject,
                        ip: Some(*ip),
                    });
                }
            }
        }
        self.drafts.extend(new);
    }

    /// IPs that were an attacker's side at one tenant, seen at another (either order).
    fn cross_tenant(&mut self) {
        struct Origin {
            tenant: TenantId,
            time: Timestamp,
            kind: FindingKind,
            record: String,
        }
        let mut origins: HashMap<IpAddr, Vec<Origin>> = HashMap::new();
        for d in &self.drafts {
            let f = &d.finding;
            if !matches!(
                f.kind,
                FindingKind::ImpossibleTravel
                    | FindingKind::IndicatorMatch
                    | FindingKind::PasswordSpray
            ) {
                continue;
            }
            let Some(ip) = d.ip else { continue };
            origins.entry(ip).or_default().push(Origin {
                tenant: f.tenant.clone(),
                time: self.s(d.subject).time,
                kind: f.kind,
                record: self.s(d.subject).record_id.clone(),
            });
        }
        let window_s = self.params.cross_tenant_window_h * 3600.0;
        let mut new = Vec::new();
        for (ip, list) in &origins {
            let Some(events) = self.by_ip.get(ip) else {
                continue;
            };
            for &e in events {
                let s = self.s(e);
                let Some(tenant) = &s.tenant else { continue };
                if self.cfg.trusted(tenant, *ip) || s.network.provider_trusted {
                    continue;
                }
                let nearest = list
                    .iter()
                    .filter(|o| &o.tenant != tenant)
                    .map(|o| (o, (s.time.as_second() - o.time.as_second()) as f64))
                    .filter(|(_, dt)| dt.abs() <= window_s)
                    .min_by(|a, b| a.1.abs().total_cmp(&b.1.abs()));
                let Some((origin, dt)) = nearest else {
                    continue;
                };
                let hours = dt / 3600.0;
                let when = if hours >= 0.0 {
                    format!("{} earlier", human_hours(hours))
                } else {
                    format!("{} later", human_hours(-hours))
                };
                let what = match origin.kind {
                    FindingKind::IndicatorMatch => "matched an indicator in a sign-in",
                    FindingKind::PasswordSpray => "sprayed passwords against accounts",
                    _ => "was the attacker's side of an impossible-travel takeover",
                };
                let severity = if s.outcome == Outcome::Success {
                    Severity::Critical
                } else {
                    Severity::High
                };
                let reasons = vec![
                    Reason::new(
                        "seen_in_takeover_elsewhere",
                        ReasonEffect::Raised,
                        format!("{ip} {what} at another partner, {when}"),
                    ),
                    proven_reason(s, "this sign-in", ReasonEffect::Raised),
                ];
                let finding = Finding {
                    kind: FindingKind::CrossTenantIp,
                    severity,
                    score: if severity == Severity::Critical {
                        90
                    } else {
                        80
                    },
                    tenant: tenant.clone(),
                    user: s.user.clone(),
                    time: s.time,
                    title: format!(
                        "Sign-in from {ip}, seen in an account takeover at another partner {when}"
                    ),
                    event_ids: vec![s.record_id.clone()],
                    evidence: Evidence::CrossTenant(Box::new(CrossTenantEvidence {
                        signin: side(s, None),
                        ip: *ip,
                        origin_tenant: origin.tenant.clone(),
                        origin_kind: origin.kind,
                        origin_time: origin.time,
                        origin_record_id: origin.record.clone(),
                        hours_from_origin: (hours * 10.0).round() / 10.0,
                        reasons,
                    })),
                };
                new.push(Draft {
                    finding,
                    subject: e,
                    ip: Some(*ip),
                });
            }
        }
        self.drafts.extend(new);
    }
}

/// Folds findings of one kind about one user and one far-side IP, close in time, into one.
fn merge(mut drafts: Vec<Draft>, signins: &[SignIn], params: &Params) -> Vec<Finding> {
    drafts.sort_by(|a, b| {
        let (fa, fb) = (&a.finding, &b.finding);
        (fa.kind, &fa.tenant, &fa.user, a.ip, fa.time)
            .cmp(&(fb.kind, &fb.tenant, &fb.user, b.ip, fb.time))
    });
    let window_s = params.merge_window_minutes * 60.0;
    // Record id → time, built once and only if some finding merges.
    let mut time_of: Option<HashMap<&str, Timestamp>> = None;
    let mut out: Vec<(Finding, i64)> = Vec::new();
    let mut last_key = None;
    for d in drafts {
        let f = d.finding;
        let key = (f.kind, f.tenant.clone(), f.user.clone(), d.ip);
        let t = f.time.as_second();
        let joins = d.ip.is_some()
            && last_key.as_ref() == Some(&key)
            && out
                .last()
                .is_some_and(|(_, last_t)| (t - last_t) as f64 <= window_s);
        if joins && let Some((group, last_t)) = out.last_mut() {
            *last_t = t;
            let mut ids: Vec<String> = group.event_ids.clone();
            for id in &f.event_ids {
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
            let keep_new = (f.severity, f.score) > (group.severity, group.score);
            let subject_id = if keep_new {
                f.event_ids.last()
            } else {
                group.event_ids.last()
            }
            .cloned();
            if keep_new {
                *group = f;
            }
            let time_of = time_of.get_or_insert_with(|| {
                signins
                    .iter()
                    .map(|s| (s.record_id.as_str(), s.time))
                    .collect()
            });
            group.event_ids = reorder(ids, subject_id, time_of);
            continue;
        }
        last_key = Some(key);
        out.push((f, t));
    }
    let mut findings: Vec<Finding> = out.into_iter().map(|(f, _)| f).collect();
    findings.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.kind.cmp(&b.kind)));
    findings
}

/// Ids in time order, with the subject's id last.
fn reorder(
    mut ids: Vec<String>,
    subject: Option<String>,
    time_of: &HashMap<&str, Timestamp>,
) -> Vec<String> {
    ids.sort_by_key(|id| time_of.get(id.as_str()).copied());
    if let Some(subject) = subject
        && let Some(pos) = ids.iter().position(|i| *i == subject)
    {
        let id = ids.remove(pos);
        ids.push(id);
    }
    ids
}

fn ordered_ids(signins: &[SignIn], others: &[u32], subject: u32) -> Vec<String> {
    let mut others: Vec<&SignIn> = others.iter().map(|&i| &signins[i as usize]).collect();
    others.sort_by_key(|s| s.time);
    let mut ids: Vec<String> = others.into_iter().map(|s| s.record_id.clone()).collect();
    ids.push(signins[subject as usize].record_id.clone());
    ids
}

fn travel_score(leg: &Leg, reasons: &[Reason]) -> u8 {
    let base = 50.0 + 10.0 * leg.infeasibility.log2().clamp(0.0, 4.0);
    let raised = reasons
        .iter()
        .filter(|r| r.effect == ReasonEffect::Raised)
        .count() as f64;
    let lowered = reasons
        .iter()
        .filter(|r| r.effect == ReasonEffect::Lowered)
        .count() as f64;
    (base + 5.0 * raised - 5.0 * lowered).clamp(0.0, 100.0) as u8
}

/// "The sign-in succeeded" or "failed only after the password was proven right", with the code.
fn proven_reason(s: &SignIn, which: &str, effect: ReasonEffect) -> Reason {
    let lead = if s.outcome == Outcome::Success {
        format!("{which} succeeded")
    } else {
        format!("{which} failed only after the password was proven right")
    };
    Reason::new("password_proven", effect, outcome_text(s, &lead))
}

fn outcome_text(s: &SignIn, lead: &str) -> String {
    match (&s.result_code, &s.result_detail) {
        (Some(code), Some(detail)) => format!("{lead} (code {code}: {detail})"),
        (Some(code), None) => format!("{lead} (code {code})"),
        _ => lead.to_owned(),
    }
}

fn human_hours(h: f64) -> String {
    if h < 1.0 {
        format!("{:.0} minutes", h * 60.0)
    } else if h < 48.0 {
        format!("{h:.0} hours")
    } else {
        format!("{:.0} days", h / 24.0)
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A phone or tablet client.
pub(crate) fn is_mobile(s: &SignIn) -> bool {
    let os = s.os.as_deref().unwrap_or("").to_ascii_lowercase();
    if ["ios", "android", "iphone", "ipad", "ipados"]
        .iter()
        .any(|k| os.starts_with(k))
    {
        return true;
    }
    let ua = s.user_agent.as_deref().unwrap_or("");
    ["iPhone", "iPad", "Android", "Mobile Safari", "Mobile/"]
        .iter()
        .any(|k| ua.contains(k))
        || matches!(
            rampart_geo::network::classify(s.asn, s.network.isp.as_deref()),
            rampart_geo::network::NetworkClass::MobileCarrier
        )
}

fn network_class(s: &SignIn) -> Option<&'static str> {
    match rampart_geo::network::classify(s.asn, s.network.isp.as_deref()) {
        rampart_geo::network::NetworkClass::Hosting => Some("a hosting/cloud network"),
        _ => None,
    }
}
