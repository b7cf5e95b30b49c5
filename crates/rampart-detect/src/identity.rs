//! The detectors that need one identity's history and nothing else of anyone's: indicator
//! matches, impossible travel and unfamiliar locations. An identity's state lives in one
//! partition; judging a sign-in reads the tenant's prevalence (as of that sign-in) and
//! writes draft operations that the shared stage applies in event order.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use jiff::Timestamp;
use rampart_intel::{IndicatorSet, MatchHow, Verdict, VisibleProvenance};
use rampart_model::{
    Evidence, Finding, FindingKind, IndicatorEvidence, LocationEvidence, MatchedIndicator, Outcome,
    Reason, ReasonEffect, Severity, SignIn, TenantId, TravelEvidence,
};
use serde::{Deserialize, Serialize};

use crate::event::{Ev, EventKey};
use crate::evidence::{place_name, side};
use crate::findings::{
    is_mobile, network_class, ordered_ids, outcome_text, proven_reason, round1, travel_score,
};
use crate::pairs;
use crate::prevalence::{Common, Prevalence};
use crate::state::{Recent, UserState, agent_hash, client_family, country_bytes, day_of};
use crate::travel::Leg;
use crate::{DetectConfig, Params, network_key};

/// What judging a sign-in needs besides the identity's own state.
pub(crate) struct Ctx<'a> {
    pub cfg: &'a DetectConfig,
    pub params: &'a Params,
    pub indicators: &'a IndicatorSet,
    pub prevalence: &'a Prevalence,
}

/// A finding before merging, with what merging and cross-tenant correlation need.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Draft {
    pub finding: Finding,
    pub subject: Ev,
    pub ip: Option<IpAddr>,
    /// An impossible trip's other side's IP.
    #[serde(default)]
    pub other_ip: Option<IpAddr>,
    /// The time of each event id the finding names (to order ids when findings merge).
    pub times: Vec<(String, Timestamp)>,
}

impl Draft {
    pub fn new(finding: Finding, subject: Ev, ip: Option<IpAddr>, events: &[&SignIn]) -> Draft {
        let mut d = Draft {
            finding,
            subject,
            ip,
            other_ip: None,
            times: Vec::new(),
        };
        d.note_times(events);
        d
    }

    pub fn note_times(&mut self, events: &[&SignIn]) {
        for s in events {
            if !self.times.iter().any(|(id, _)| *id == s.record_id) {
                self.times.push((s.record_id.clone(), s.time));
            }
        }
    }
}

/// What judging one sign-in asks the shared stage to do with drafts.
#[derive(Debug)]
pub(crate) enum Op {
    /// A finding of its own (indicator match, unfamiliar location).
    Add(Draft),
    /// An impossible-travel finding about `subject`: added, or replacing the one already
    /// there when it rates higher.
    Travel(Draft),
    /// `subject` sat between two sign-ins consistent with each other (A→B→A): its travel
    /// finding, if there is one, gains the `returned` reason and both sign-ins.
    Returned {
        subject: EventKey,
        text: String,
        before: Ev,
        after: Ev,
    },
}

/// Counts a partition keeps about what it judged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct JudgeStats {
    pub travel_endpoints: usize,
    /// Endpoints older than their identity's newest, judged against their neighbours.
    pub late: usize,
    pub not_endpoint: BTreeMap<String, usize>,
    pub suppressed: BTreeMap<String, usize>,
}

impl JudgeStats {
    fn not_endpoint(&mut self, reason: &'static str) {
        *self.not_endpoint.entry(reason.to_owned()).or_default() += 1;
    }

    fn suppressed(&mut self, reason: &'static str) {
        *self.suppressed.entry(reason.to_owned()).or_default() += 1;
    }

    pub fn add(&mut self, other: &JudgeStats) {
        self.travel_endpoints += other.travel_endpoints;
        self.late += other.late;
        for (k, v) in &other.not_endpoint {
            *self.not_endpoint.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.suppressed {
            *self.suppressed.entry(k.clone()).or_default() += v;
        }
    }
}

/// One identity: its compact state and the sign-ins its recent endpoints refer to.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Identity {
    pub u: UserState,
    /// The recent endpoints' sign-ins, by the numbers in `u.recent`.
    events: Vec<(u32, Ev)>,
    next: u32,
    /// The newest endpoint judged, in event order.
    newest: Option<EventKey>,
}

/// A partition of the identities (by identity hash).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Partition {
    #[serde(with = "pairs")]
    pub identities: HashMap<u64, Identity>,
    pub stats: JudgeStats,
}

impl Partition {
    /// Judges `s` (in event order within its identity, or late: see `late`). `watermark`
    /// is the time before which a sign-in of its tenant is too late to judge as travel.
    pub fn judge(&mut self, ev: &Ev, watermark: Option<Timestamp>, ctx: &Ctx, out: &mut Vec<Op>) {
        let s: &SignIn = ev;
        let Some(tenant) = &s.tenant else { return };
        indicator_check(ev, tenant, ctx, out);
        if let Some(reason) = not_endpoint(s, tenant, ctx) {
            self.stats.not_endpoint(reason);
            return;
        }
        if watermark.is_some_and(|w| s.time < w) {
            self.stats.not_endpoint("too_late");
            return;
        }
        self.stats.travel_endpoints += 1;
        let key = crate::identity_key(tenant, &s.user);
        let id = self.identities.entry(key).or_default();
        let late = id.newest.as_ref().is_some_and(|n| n.cmp_signin(s).is_gt());
        let mut j = Judge {
            ctx,
            stats: &mut self.stats,
            out,
            tenant,
        };
        if late {
            j.late(ev, id);
        } else {
            j.travel(ev, id);
            id.newest = Some(EventKey::of(s));
        }
    }
}

/// Why a sign-in cannot be a travel endpoint, if it cannot.
fn not_endpoint(s: &SignIn, tenant: &TenantId, ctx: &Ctx) -> Option<&'static str> {
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
        if ctx.cfg.trusted(tenant, ip) {
            return Some("trusted_network");
        }
        if ctx.prevalence.kind_at(tenant, ip, s) == Some(Common::Egress) {
            return Some("shared_egress");
        }
    }
    None
}

fn indicator_check(ev: &Ev, tenant: &TenantId, ctx: &Ctx, out: &mut Vec<Op>) {
    let s: &SignIn = ev;
    let Some(ip) = s.ip else { return };
    // Liveness at the sign-in's own time: a hunt over old logs matches what was live then.
    // TLP: an amber+strict or red indicator from another tenant takes no part here.
    let Some(hit) = ctx.indicators.decide_ip_for(ip, s.time, tenant) else {
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
    // Findings go to the MSP, which may see every marking of a feed; the text still names
    // another tenant's (shared) alert only as "an alert at another tenant", as the partner
    // may read it.
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
    let score = ind.score(ctx.indicators.policy().model(ind.observable.kind()), s.time);
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
    out.push(Op::Add(Draft::new(finding, ev.clone(), Some(ip), &[s])));
}

/// Judging one sign-in of one identity.
struct Judge<'a, 'c> {
    ctx: &'a Ctx<'c>,
    stats: &'a mut JudgeStats,
    out: &'a mut Vec<Op>,
    tenant: &'a TenantId,
}

fn ev_of(id: &Identity, idx: u32) -> Option<&Ev> {
    id.events.iter().find(|(i, _)| *i == idx).map(|(_, e)| e)
}

impl Judge<'_, '_> {
    fn params(&self) -> &Params {
        self.ctx.params
    }

    fn radius(&self, s: &SignIn, other: Option<&SignIn>) -> (f64, bool) {
        let r = self.params().radius_km(s);
        if is_mobile(s) {
            // A carrier egresses through regional gateways: do not trust the city.
            let same_country = other.is_some_and(|o| {
                let c1 = s.location.as_ref().and_then(|l| l.country.as_deref());
                let c2 = o.location.as_ref().and_then(|l| l.country.as_deref());
                c1.is_some() && c1 == c2
            });
            if same_country {
                return (f64::INFINITY, true);
            }
            return (r.max(self.params().mobile_radius_km), true);
        }
        (r, false)
    }

    /// The leg between two endpoints, or why there is none.
    fn leg(&self, sa: &SignIn, sb: &SignIn) -> Result<Leg, &'static str> {
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
                && minutes <= self.params().dual_stack_minutes
            {
                return Err("dual_stack");
            }
        }
        let (la, lb) = match (&sa.location, &sb.location) {
            (Some(la), Some(lb)) => (la, lb),
            _ => return Err("no_location"),
        };
        let (ra, _) = self.radius(sa, Some(sb));
        let (rb, _) = self.radius(sb, Some(sa));
        if !ra.is_finite() || !rb.is_finite() {
            return Err("mobile_same_country");
        }
        let elapsed = (sb.time.as_millisecond() - sa.time.as_millisecond()) as f64 / 1000.0;
        Ok(Leg::compute(
            self.params(),
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
    fn consistent(&self, a: &SignIn, b: &SignIn) -> bool {
        match self.leg(a, b) {
            Ok(leg) => !leg.impossible(self.params()),
            Err(reason) => reason != "no_location",
        }
    }

    fn office(&self, s: &SignIn) -> bool {
        s.ip.is_some_and(|ip| {
            self.ctx.prevalence.kind_at(self.tenant, ip, s) == Some(Common::Office)
        })
    }

    fn travel(&mut self, ev: &Ev, id: &mut Identity) {
        let s: &SignIn = ev;
        let Some(loc) = s.location.clone() else {
            return;
        };
        let params = self.ctx.params;
        let r_c = params.radius_km(s);
        let place_c = id.u.find_place(loc.lat, loc.lon, r_c);
        let fam_c = id.u.familiarity(place_c);
        let mut c_flagged = false;

        // 1. The last endpoint is suspicious already: is this sign-in the attacker again,
        //    or the user back where they were (which confirms the pattern)?
        if let Some(last) = id.u.last().copied()
            && last.flagged
            && let Some(last_ev) = ev_of(id, last.idx)
        {
            match self.leg(last_ev, s) {
                Ok(leg) if leg.impossible(params) => {
                    if let Some(anchor) = id.u.anchor_before(last.idx).copied()
                        && let Some(anchor_ev) = ev_of(id, anchor.idx)
                        && self.consistent(anchor_ev, s)
                    {
                        self.returned(last_ev, anchor_ev, ev);
                    }
                }
                _ => {}
            }
        }

        // 2. This sign-in against the user's last trustworthy endpoint.
        let anchor =
            id.u.anchor()
                .copied()
                .and_then(|a| ev_of(id, a.idx).map(|e| (a, e.clone())));
        let mut feasible_from_anchor = true;
        if let Some((a, a_ev)) = &anchor
            && let Ok(leg) = self.leg(a_ev, s)
            && leg.impossible(params)
        {
            feasible_from_anchor = false;
            let fam_a = a.fam_before;
            let transition_known = place_c.is_some_and(|pc| id.u.knows_transition(a.place, pc));
            let familiar = params.familiar_days.min(255) as u8;
            if fam_a >= familiar && fam_c >= familiar {
                self.stats.suppressed("both_places_familiar");
            } else if transition_known {
                self.stats.suppressed("known_transition");
            } else if fam_a >= fam_c {
                if self.office(s) {
                    self.stats.suppressed("shared_office");
                } else {
                    // The later sign-in does not fit the user.
                    c_flagged = true;
                    self.raise_travel(&id.u, a_ev, ev, ev, leg, fam_c);
                }
            } else if self.office(a_ev) {
                self.stats.suppressed("shared_office");
            } else {
                // The earlier one was the odd one out: it is the suspicious side.
                id.u.flag(a.idx);
                self.raise_travel(&id.u, a_ev, ev, a_ev, leg, a.fam_before);
                if let Some(before) = id.u.anchor_before(a.idx).copied()
                    && let Some(before_ev) = ev_of(id, before.idx)
                    && self.consistent(before_ev, s)
                {
                    self.returned(a_ev, before_ev, ev);
                }
            }
        }

        // 3. Feasible, but somewhere the user has never been.
        if feasible_from_anchor && !c_flagged {
            self.unfamiliar(ev, anchor.as_ref().map(|(_, e)| e), &id.u);
        }

        // 4. Learn.
        let u = &mut id.u;
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
        let idx = id.next;
        id.next = id.next.wrapping_add(1);
        u.push_recent(Recent {
            idx,
            place,
            fam_before: fam_c,
            flagged: c_flagged,
        });
        id.events.push((idx, ev.clone()));
        let kept = &u.recent[..usize::from(u.n_recent)];
        id.events.retain(|(i, _)| kept.iter().any(|r| r.idx == *i));
    }

    /// A sign-in older than the identity's newest endpoint (within the allowed lateness):
    /// checked against both neighbours among the recent endpoints — the one before it and
    /// the one after it — and learned as a place, without rewriting the order of the
    /// recent endpoints. A finding about a neighbour amends that neighbour's alert (one
    /// travel finding per subject; findings about one IP within the merge window fold).
    fn late(&mut self, ev: &Ev, id: &mut Identity) {
        let s: &SignIn = ev;
        let Some(loc) = s.location.clone() else {
            return;
        };
        self.stats.late += 1;
        let params = self.ctx.params;
        let r_c = params.radius_km(s);
        let fam_c = id.u.familiarity(id.u.find_place(loc.lat, loc.lon, r_c));
        let recent: Vec<Recent> = id.u.recent[..usize::from(id.u.n_recent)].to_vec();
        let before = recent
            .iter()
            .rev()
            .filter_map(|r| ev_of(id, r.idx).map(|e| (*r, e.clone())))
            .find(|(_, e)| crate::event::event_order(e, s).is_lt());
        let after = recent
            .iter()
            .filter_map(|r| ev_of(id, r.idx).map(|e| (*r, e.clone())))
            .find(|(_, e)| crate::event::event_order(e, s).is_gt());
        let mut c_flagged = false;
        for (r, n_ev, n_is_before) in before
            .into_iter()
            .map(|(r, e)| (r, e, true))
            .chain(after.into_iter().map(|(r, e)| (r, e, false)))
        {
            let (from, to) = if n_is_before {
                (&n_ev, ev)
            } else {
                (ev, &n_ev)
            };
            let Ok(leg) = self.leg(from, to) else {
                continue;
            };
            if !leg.impossible(params) {
                continue;
            }
            let familiar = params.familiar_days.min(255) as u8;
            if r.fam_before >= familiar && fam_c >= familiar {
                self.stats.suppressed("both_places_familiar");
            } else if r.fam_before >= fam_c {
                if self.office(s) {
                    self.stats.suppressed("shared_office");
                } else {
                    c_flagged = true;
                    self.raise_travel(&id.u, from, to, ev, leg, fam_c);
                }
            } else if self.office(&n_ev) {
                self.stats.suppressed("shared_office");
            } else {
                id.u.flag(r.idx);
                self.raise_travel(&id.u, from, to, &n_ev, leg, r.fam_before);
            }
        }
        let u = &mut id.u;
        let day = day_of(s);
        u.first_day = if u.learned == 0 {
            day
        } else {
            u.first_day.min(day)
        };
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
            u.learned = u.learned.saturating_add(1);
        }
    }

    fn raise_travel(
        &mut self,
        u: &UserState,
        from: &Ev,
        to: &Ev,
        subject: &Ev,
        leg: Leg,
        subject_fam: u8,
    ) {
        let params = self.ctx.params;
        let subject_is_to = std::sync::Arc::ptr_eq(subject, to);
        let other: &SignIn = if subject_is_to { from } else { to };
        let s: &SignIn = subject;
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
                params.radius_km(from),
                params.radius_km(to),
                leg.minutes,
                leg.required_speed_kmh,
                leg.fastest_minutes,
                leg.infeasibility
            ),
        ));
        let established = u.established(params);
        if !established {
            reasons.push(Reason::new(
                "young_baseline",
                ReasonEffect::Noted,
                format!(
                    "young baseline: {} sign-ins over {} days (needs {} or {} days), so which side is unusual is less certain",
                    u.learned,
                    u.history_days(),
                    params.learning_signins,
                    params.learning_days
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
        if is_mobile(s) || is_mobile(other) {
            reasons.push(Reason::new(
                "mobile_widened",
                ReasonEffect::Lowered,
                format!(
                    "a mobile client: its position was taken as uncertain by {:.0} km (carriers egress through regional gateways)",
                    params.mobile_radius_km
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
        let (fa, ta): (&SignIn, &SignIn) = (from, to);
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
            from: side(fa, Some(params.radius_km(fa))),
            to: side(ta, Some(params.radius_km(ta))),
            suspicious_side: if subject_is_to { "to" } else { "from" }.to_owned(),
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
            tenant: self.tenant.clone(),
            user: s.user.clone(),
            time: s.time,
            title,
            event_ids: ordered_ids(&[other], s),
            evidence: Evidence::Travel(Box::new(evidence)),
        };
        let mut draft = Draft::new(finding, subject.clone(), s.ip, &[other, s]);
        draft.other_ip = other.ip;
        self.out.push(Op::Travel(draft));
    }

    /// `subject` sat between `before` and `after`, both consistent with each other:
    /// the user never left, so the sign-in in the middle was someone else.
    fn returned(&mut self, subject: &Ev, before: &Ev, after: &Ev) {
        let text = format!(
            "the user was back at {} {:.0} min later: the sign-in in between was someone else (A→B→A)",
            place_name(after),
            (after.time.as_second() - subject.time.as_second()) as f64 / 60.0
        );
        self.out.push(Op::Returned {
            subject: EventKey::of(subject),
            text,
            before: before.clone(),
            after: after.clone(),
        });
    }

    fn unfamiliar(&mut self, ev: &Ev, previous: Option<&Ev>, u: &UserState) {
        let s: &SignIn = ev;
        let params = self.ctx.params;
        if !u.established(params) {
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
            && nearest_km.is_some_and(|d| d > params.new_place_km + params.radius_km(s));
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
        if let Some(prev) = previous {
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
        let prev_list: Vec<&SignIn> = previous.map(|p| &**p).into_iter().collect();
        let finding = Finding {
            kind: FindingKind::UnfamiliarLocation,
            severity,
            score,
            tenant: self.tenant.clone(),
            user: s.user.clone(),
            time: s.time,
            title,
            event_ids: ordered_ids(&prev_list, s),
            evidence: Evidence::Location(Box::new(LocationEvidence {
                signin: side(s, Some(params.radius_km(s))),
                previous: previous.map(|p| side(p, Some(params.radius_km(p)))),
                familiar_countries: countries,
                baseline_signins: u.learned,
                baseline_days: f64::from(u.history_days()),
                reasons,
            })),
        };
        let mut events = prev_list;
        events.push(s);
        self.out
            .push(Op::Add(Draft::new(finding, ev.clone(), s.ip, &events)));
    }
}
