//! The stage every partition's results meet in: the IP indexes (password-proven sign-ins
//! and bad-password attempts by IP, every tenant's), drafts and their merge groups,
//! password sprays and cross-tenant correlation, and the changes to findings it reports.
//!
//! Sprays and cross-tenant findings are recomputed per IP from what the indexes hold
//! whenever that IP gains an attempt, a sign-in or an origin (a finding elsewhere), so they
//! depend on the set of sign-ins seen, not on the order or grouping they came in. Findings
//! merge per (kind, tenant, user, far-side IP): a chain of drafts no more than the merge
//! window apart is one finding, keyed by its first draft.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use jiff::{SignedDuration, Timestamp};
use rampart_model::{
    CrossTenantEvidence, Evidence, Finding, FindingKind, Outcome, Reason, ReasonEffect, Severity,
    SignIn, SprayEvidence, TenantId,
};
use serde::{Deserialize, Serialize};

use crate::event::{Ev, event_order, minus, plus};
use crate::evidence::side;
use crate::findings::{human_hours, ordered_ids, proven_reason, round1};
use crate::identity::{Ctx, Draft, Op};
use crate::pairs;
use crate::prevalence::{Common, Prevalence};
use crate::{NetworkKey, network_key};

/// A change to the findings: what a stream of alerts needs to follow detection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Change {
    /// A finding, new or changed, under its stable key.
    Upsert { key: String, finding: Finding },
    /// The finding under this key no longer stands (it merged into another, or more
    /// evidence made it a different finding).
    Withdraw { key: String },
}

/// The stable key of a finding in [`Change`]: its kind, tenant, user and the record id of
/// the first sign-in it is about. A finding built elsewhere about the same sign-in (a
/// retro-hunt's) gets the same key from here, so one alert stands for both.
pub fn finding_key(kind: FindingKind, tenant: &str, user: &str, record_id: &str) -> String {
    format!("{}|{tenant}|{user}|{record_id}", kind.as_str())
}

/// Findings merge per (kind, tenant, user, far-side IP).
type GroupKey = (FindingKind, TenantId, String, Option<IpAddr>);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Group {
    /// (subject time, subject record id, draft id), in order.
    members: BTreeSet<(Timestamp, String, String)>,
    /// The findings the group stands for now, by key.
    outputs: Vec<(String, Finding)>,
}

/// A finding elsewhere that makes an IP an attacker's.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Origin {
    tenant: TenantId,
    time: Timestamp,
    kind: FindingKind,
    record: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct IpDrafts {
    drafts: BTreeSet<String>,
    /// Sprays not raised because the IP is one of the tenant's known networks.
    suppressed: usize,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Shared {
    /// Password-proven sign-ins by IP, in event order.
    #[serde(with = "pairs")]
    by_ip: HashMap<IpAddr, Vec<Ev>>,
    /// Bad-password attempts by IP, in event order.
    #[serde(with = "pairs")]
    bad_by_ip: HashMap<IpAddr, Vec<Ev>>,
    drafts: HashMap<String, Draft>,
    #[serde(with = "pairs")]
    groups: HashMap<GroupKey, Group>,
    #[serde(with = "pairs")]
    origins: HashMap<IpAddr, BTreeMap<String, Origin>>,
    #[serde(with = "pairs")]
    sprays: HashMap<IpAddr, IpDrafts>,
    #[serde(with = "pairs")]
    cross: HashMap<IpAddr, IpDrafts>,
    /// The newest sign-in time seen per tenant.
    pub tenant_max: HashMap<TenantId, Timestamp>,
    /// The newest time at the last sweep of old entries.
    swept_at: Option<Timestamp>,
}

/// A draft's id: its kind and subject (one finding of a kind per subject sign-in).
fn draft_id(kind: FindingKind, s: &SignIn) -> String {
    format!(
        "{}|{}|{}|{}",
        kind.as_str(),
        s.tenant.as_ref().map(|t| t.as_str()).unwrap_or(""),
        s.source_format.as_str(),
        s.record_id
    )
}

fn group_of(d: &Draft) -> GroupKey {
    (
        d.finding.kind,
        d.finding.tenant.clone(),
        d.finding.user.clone(),
        d.ip,
    )
}

fn member_of(id: &str, d: &Draft) -> (Timestamp, String, String) {
    (d.finding.time, d.subject.record_id.clone(), id.to_owned())
}

fn insert_sorted(list: &mut Vec<Ev>, ev: &Ev) {
    let pos = list.partition_point(|e| event_order(e, ev).is_lt());
    if list.get(pos).is_some_and(|e| event_order(e, ev).is_eq()) {
        return;
    }
    list.insert(pos, ev.clone());
}

/// Folds a chain's drafts into one finding, as `hunt` always has: the highest rated
/// draft's finding (the earlier on a tie) with every draft's event ids, in time order
/// and the subject's last.
fn fold(chain: &[&Draft]) -> Option<Finding> {
    let (first, rest) = chain.split_first()?;
    let mut group = first.finding.clone();
    let mut times: HashMap<&str, Timestamp> = HashMap::new();
    for d in chain {
        for (id, t) in &d.times {
            times.entry(id.as_str()).or_insert(*t);
        }
    }
    for d in rest {
        let f = &d.finding;
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
            group = f.clone();
        }
        ids.sort_by_key(|id| times.get(id.as_str()).copied());
        if let Some(subject) = subject_id
            && let Some(pos) = ids.iter().position(|i| *i == subject)
        {
            let id = ids.remove(pos);
            ids.push(id);
        }
        group.event_ids = ids;
    }
    Some(group)
}

impl Shared {
    /// Applies one batch: indexes its sign-ins, applies the partitions' draft operations
    /// in event order, recomputes sprays and cross-tenant findings where they may have
    /// changed, and reports the changed findings.
    pub fn apply(
        &mut self,
        events: &[Ev],
        ops: Vec<Op>,
        ctx: &Ctx,
        horizon: SignedDuration,
        reclassified: &HashSet<(TenantId, NetworkKey)>,
    ) -> Vec<Change> {
        let mut dirty_groups: HashSet<GroupKey> = HashSet::new();
        let mut dirty_sprays: BTreeSet<IpAddr> = BTreeSet::new();
        let mut dirty_cross: BTreeSet<IpAddr> = BTreeSet::new();
        if !reclassified.is_empty() {
            // Findings resting on a network whose class changed are judged again.
            let on = |t: &TenantId, ip: Option<IpAddr>| {
                ip.is_some_and(|ip| reclassified.contains(&(t.clone(), network_key(ip))))
            };
            for d in self.drafts.values() {
                let t = &d.finding.tenant;
                if on(t, d.subject.ip) || on(t, d.other_ip) {
                    dirty_groups.insert(group_of(d));
                    if let Some(ip) = d.ip {
                        dirty_cross.insert(ip);
                    }
                }
            }
            for (ip, list) in &self.bad_by_ip {
                if list
                    .iter()
                    .any(|e| e.tenant.as_ref().is_some_and(|t| on(t, Some(*ip))))
                {
                    dirty_sprays.insert(*ip);
                }
            }
        }
        for ev in events {
            let Some(tenant) = &ev.tenant else { continue };
            let max = self.tenant_max.entry(tenant.clone()).or_insert(ev.time);
            *max = (*max).max(ev.time);
            let Some(ip) = ev.ip else { continue };
            if ev.outcome.password_proven() {
                insert_sorted(self.by_ip.entry(ip).or_default(), ev);
                if self.bad_by_ip.contains_key(&ip) {
                    dirty_sprays.insert(ip);
                }
                if self.origins.contains_key(&ip) {
                    dirty_cross.insert(ip);
                }
            } else if ev.outcome == Outcome::BadCredentials {
                insert_sorted(self.bad_by_ip.entry(ip).or_default(), ev);
                dirty_sprays.insert(ip);
            }
        }
        for op in ops {
            self.apply_op(op, &mut dirty_groups, &mut dirty_cross);
        }
        for ip in dirty_sprays {
            self.sprays_for(ip, ctx, horizon, &mut dirty_groups, &mut dirty_cross);
        }
        for ip in dirty_cross {
            self.cross_for(ip, ctx, horizon, &mut dirty_groups);
        }
        let mut groups: Vec<GroupKey> = dirty_groups.into_iter().collect();
        groups.sort();
        let mut changes = Vec::new();
        for g in groups {
            self.remerge(&g, ctx, &mut changes);
        }
        changes
    }

    /// A finding that rests on a network now known to be common in its tenant: an
    /// impossible trip with an egress on either side or an office on its suspicious side,
    /// an unfamiliar place that is an egress. Held back, as a hunt over the whole window
    /// never raised it.
    fn held_back(d: &Draft, prevalence: &Prevalence) -> bool {
        let t = &d.finding.tenant;
        let class = |ip: Option<IpAddr>| ip.and_then(|ip| prevalence.current(t, ip));
        match d.finding.kind {
            FindingKind::ImpossibleTravel => {
                class(d.subject.ip).is_some() || class(d.other_ip) == Some(Common::Egress)
            }
            FindingKind::UnfamiliarLocation => class(d.subject.ip) == Some(Common::Egress),
            _ => false,
        }
    }

    fn apply_op(
        &mut self,
        op: Op,
        dirty_groups: &mut HashSet<GroupKey>,
        dirty_cross: &mut BTreeSet<IpAddr>,
    ) {
        match op {
            Op::Add(d) => {
                let id = draft_id(d.finding.kind, &d.subject);
                self.put(id, d, dirty_groups, dirty_cross);
            }
            Op::Travel(d) => {
                let id = draft_id(d.finding.kind, &d.subject);
                match self.drafts.get_mut(&id) {
                    Some(old) => {
                        if (d.finding.severity, d.finding.score)
                            > (old.finding.severity, old.finding.score)
                        {
                            *old = d;
                            dirty_groups.insert(group_of(old));
                        }
                    }
                    None => self.put(id, d, dirty_groups, dirty_cross),
                }
            }
            Op::Returned {
                subject,
                text,
                before,
                after,
            } => {
                let id = format!(
                    "{}|{}|{}|{}",
                    FindingKind::ImpossibleTravel.as_str(),
                    subject.tenant,
                    subject.format,
                    subject.record_id
                );
                let Some(d) = self.drafts.get_mut(&id) else {
                    return;
                };
                let f = &mut d.finding;
                if let Evidence::Travel(ev) = &mut f.evidence
                    && !ev.reasons.iter().any(|r| r.code == "returned")
                {
                    ev.reasons
                        .push(Reason::new("returned", ReasonEffect::Raised, text));
                    f.severity = f.severity.raised();
                    f.score = f.score.saturating_add(5).min(100);
                    for id in ordered_ids(&[&before, &after], &d.subject) {
                        if !f.event_ids.contains(&id) {
                            f.event_ids.insert(f.event_ids.len().saturating_sub(1), id);
                        }
                    }
                    d.note_times(&[&before, &after]);
                    dirty_groups.insert(group_of(d));
                }
            }
        }
    }

    /// Adds or replaces a draft.
    fn put(
        &mut self,
        id: String,
        d: Draft,
        dirty_groups: &mut HashSet<GroupKey>,
        dirty_cross: &mut BTreeSet<IpAddr>,
    ) {
        self.remove(&id, dirty_groups, dirty_cross);
        let g = group_of(&d);
        self.groups
            .entry(g.clone())
            .or_default()
            .members
            .insert(member_of(&id, &d));
        dirty_groups.insert(g);
        if matches!(
            d.finding.kind,
            FindingKind::ImpossibleTravel
                | FindingKind::IndicatorMatch
                | FindingKind::PasswordSpray
        ) && let Some(ip) = d.ip
        {
            self.origins.entry(ip).or_default().insert(
                id.clone(),
                Origin {
                    tenant: d.finding.tenant.clone(),
                    time: d.subject.time,
                    kind: d.finding.kind,
                    record: d.subject.record_id.clone(),
                },
            );
            dirty_cross.insert(ip);
        }
        self.drafts.insert(id, d);
    }

    fn remove(
        &mut self,
        id: &str,
        dirty_groups: &mut HashSet<GroupKey>,
        dirty_cross: &mut BTreeSet<IpAddr>,
    ) {
        let Some(old) = self.drafts.remove(id) else {
            return;
        };
        let g = group_of(&old);
        if let Some(group) = self.groups.get_mut(&g) {
            group.members.remove(&member_of(id, &old));
        }
        dirty_groups.insert(g);
        if let Some(ip) = old.ip
            && let Some(o) = self.origins.get_mut(&ip)
            && o.remove(id).is_some()
        {
            if o.is_empty() {
                self.origins.remove(&ip);
            }
            dirty_cross.insert(ip);
        }
    }

    /// Replaces the drafts an IP's recomputation produced before with `new`, except that
    /// drafts about sign-ins already past the horizon stand as they are.
    #[allow(clippy::too_many_arguments)]
    fn replace_ip_drafts(
        &mut self,
        which: fn(&mut Shared) -> &mut HashMap<IpAddr, IpDrafts>,
        ip: IpAddr,
        new: Vec<(String, Draft)>,
        suppressed: usize,
        horizon: SignedDuration,
        dirty_groups: &mut HashSet<GroupKey>,
        dirty_cross: &mut BTreeSet<IpAddr>,
    ) {
        let old = which(self).remove(&ip).unwrap_or_default();
        let new_ids: BTreeSet<String> = new.iter().map(|(id, _)| id.clone()).collect();
        let mut kept = BTreeSet::new();
        for id in &old.drafts {
            if new_ids.contains(id) {
                continue;
            }
            let past = self
                .drafts
                .get(id)
                .is_some_and(|d| self.past_horizon(&d.subject, horizon));
            if past {
                kept.insert(id.clone());
            } else {
                self.remove(id, dirty_groups, dirty_cross);
            }
        }
        for (id, d) in new {
            if self.drafts.get(&id).is_some_and(|old| {
                old.finding == d.finding && old.ip == d.ip && old.times == d.times
            }) {
                continue;
            }
            self.put(id, d, dirty_groups, dirty_cross);
        }
        kept.extend(new_ids);
        if !kept.is_empty() || suppressed > 0 {
            which(self).insert(
                ip,
                IpDrafts {
                    drafts: kept,
                    suppressed,
                },
            );
        }
    }

    fn past_horizon(&self, s: &SignIn, horizon: SignedDuration) -> bool {
        s.tenant
            .as_ref()
            .and_then(|t| self.tenant_max.get(t))
            .is_some_and(|max| s.time < minus(*max, horizon))
    }

    /// One IP trying wrong passwords against many accounts within an hour: at two or
    /// more tenants, or at many accounts of one. A password-proven sign-in from the same
    /// IP at the same tenant in that window means the spray got in.
    fn sprays_for(
        &mut self,
        ip: IpAddr,
        ctx: &Ctx,
        horizon: SignedDuration,
        dirty_groups: &mut HashSet<GroupKey>,
        dirty_cross: &mut BTreeSet<IpAddr>,
    ) {
        let (drafts, suppressed) = self.spray_drafts(ip, ctx);
        self.replace_ip_drafts(
            |s| &mut s.sprays,
            ip,
            drafts,
            suppressed,
            horizon,
            dirty_groups,
            dirty_cross,
        );
    }

    fn spray_drafts(&self, ip: IpAddr, ctx: &Ctx) -> (Vec<(String, Draft)>, usize) {
        let params = ctx.params;
        let window_s = params.spray_window_minutes * 60.0;
        let mut out = Vec::new();
        let mut suppressed = 0;
        let Some(events) = self.bad_by_ip.get(&ip) else {
            return (out, suppressed);
        };
        // Chain attempts no more than a window apart into bursts.
        let mut bursts: Vec<Vec<&Ev>> = Vec::new();
        for e in events {
            let t = e.time.as_second();
            match bursts.last_mut() {
                Some(b)
                    if b.last()
                        .is_some_and(|l| (t - l.time.as_second()) as f64 <= window_s) =>
                {
                    b.push(e)
                }
                _ => bursts.push(vec![e]),
            }
        }
        let proven = self.by_ip.get(&ip);
        for burst in bursts {
            let mut per_tenant: BTreeMap<&TenantId, Vec<&Ev>> = BTreeMap::new();
            let mut users: HashSet<(&TenantId, &str)> = HashSet::new();
            for e in &burst {
                if let Some(t) = &e.tenant {
                    per_tenant.entry(t).or_default().push(e);
                    users.insert((t, e.user.as_str()));
                }
            }
            let tenants = per_tenant.len();
            for (tenant, attempts) in &per_tenant {
                let here: HashSet<&str> = attempts.iter().map(|e| e.user.as_str()).collect();
                let wide = tenants >= 2 && users.len() >= params.spray_min_users;
                let deep = here.len() >= params.spray_min_users_one_tenant;
                if !(wide || deep) {
                    continue;
                }
                let (Some(first_ev), Some(last_ev)) = (attempts.first(), attempts.last()) else {
                    continue;
                };
                if ctx.cfg.trusted(tenant, ip)
                    || ctx.prevalence.kind_at(tenant, ip, last_ev).is_some()
                    || ctx.prevalence.current(tenant, ip).is_some()
                {
                    suppressed += 1;
                    continue;
                }
                let first = first_ev.time.as_second();
                let last = last_ev.time.as_second();
                // Did the same IP get in at this tenant around the burst?
                let got_in: Vec<&Ev> = proven
                    .map(|v| {
                        v.iter()
                            .filter(|s| {
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
                                .map(|e| e.user.as_str())
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
                let mut ids: Vec<&Ev> = attempts.clone();
                ids.extend(&got_in);
                ids.sort_by_key(|e| e.time);
                let subject: &Ev = got_in.first().copied().unwrap_or(first_ev);
                let others: Vec<&SignIn> = ids
                    .iter()
                    .filter(|e| !std::sync::Arc::ptr_eq(e, subject))
                    .map(|e| &***e)
                    .collect();
                let finding = Finding {
                    kind: FindingKind::PasswordSpray,
                    severity,
                    score: match severity {
                        Severity::Critical => 92,
                        Severity::High => 75,
                        _ => 55,
                    },
                    tenant: (*tenant).clone(),
                    user: subject.user.clone(),
                    time: subject.time,
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
                    event_ids: ordered_ids(&others, subject),
                    evidence: Evidence::Spray(Box::new(SprayEvidence {
                        ip,
                        attempts: ids.iter().map(|e| side(e, None)).collect(),
                        users_here: u32::try_from(here.len()).unwrap_or(u32::MAX),
                        users_total: u32::try_from(users.len()).unwrap_or(u32::MAX),
                        other_tenants: u32::try_from(tenants - 1).unwrap_or(u32::MAX),
                        window_minutes: round1((last - first) as f64 / 60.0),
                        users_targeted: targeted,
                        reasons,
                    })),
                };
                let id = format!(
                    "{}|{}|{ip}|{}|{}",
                    FindingKind::PasswordSpray.as_str(),
                    tenant.as_str(),
                    first_ev.source_format.as_str(),
                    first_ev.record_id
                );
                let events: Vec<&SignIn> = ids.iter().map(|e| &***e).collect();
                out.push((
                    id,
                    Draft::new(finding, (*subject).clone(), Some(ip), &events),
                ));
            }
        }
        (out, suppressed)
    }

    /// IPs that were an attacker's side at one tenant, seen at another (either order).
    fn cross_for(
        &mut self,
        ip: IpAddr,
        ctx: &Ctx,
        horizon: SignedDuration,
        dirty_groups: &mut HashSet<GroupKey>,
    ) {
        let new = self.cross_drafts(ip, ctx);
        let mut unused = BTreeSet::new();
        self.replace_ip_drafts(
            |s| &mut s.cross,
            ip,
            new,
            0,
            horizon,
            dirty_groups,
            &mut unused,
        );
    }

    fn cross_drafts(&self, ip: IpAddr, ctx: &Ctx) -> Vec<(String, Draft)> {
        let mut new = Vec::new();
        let (Some(list), Some(events)) = (self.origins.get(&ip), self.by_ip.get(&ip)) else {
            return new;
        };
        let mut list: Vec<&Origin> = list
            .iter()
            .filter(|(id, _)| {
                self.drafts
                    .get(*id)
                    .is_none_or(|d| !Shared::held_back(d, ctx.prevalence))
            })
            .map(|(_, o)| o)
            .collect();
        list.sort_by(|a, b| {
            (a.time, &a.record, &a.tenant, a.kind).cmp(&(b.time, &b.record, &b.tenant, b.kind))
        });
        let window_s = ctx.params.cross_tenant_window_h * 3600.0;
        for e in events {
            let s: &SignIn = e;
            let Some(tenant) = &s.tenant else { continue };
            if ctx.cfg.trusted(tenant, ip) || s.network.provider_trusted {
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
                    ip,
                    origin_tenant: origin.tenant.clone(),
                    origin_kind: origin.kind,
                    origin_time: origin.time,
                    origin_record_id: origin.record.clone(),
                    hours_from_origin: (hours * 10.0).round() / 10.0,
                    reasons,
                })),
            };
            new.push((
                draft_id(FindingKind::CrossTenantIp, s),
                Draft::new(finding, e.clone(), Some(ip), &[s]),
            ));
        }
        new
    }

    /// Recomputes a group's chains and reports what changed.
    fn remerge(&mut self, g: &GroupKey, ctx: &Ctx, changes: &mut Vec<Change>) {
        let window_s = ctx.params.merge_window_minutes * 60.0;
        let Some(group) = self.groups.get(g) else {
            return;
        };
        let mut chains: Vec<(Vec<&Draft>, i64)> = Vec::new();
        for (_, _, id) in &group.members {
            let Some(d) = self.drafts.get(id) else {
                continue;
            };
            if Shared::held_back(d, ctx.prevalence) {
                continue;
            }
            let t = d.finding.time.as_second();
            match chains.last_mut() {
                Some((chain, last_t)) if d.ip.is_some() && (t - *last_t) as f64 <= window_s => {
                    chain.push(d);
                    *last_t = t;
                }
                _ => chains.push((vec![d], t)),
            }
        }
        let outputs: Vec<(String, Finding)> = chains
            .iter()
            .filter_map(|(chain, _)| {
                let first = chain.first()?;
                let key = finding_key(g.0, g.1.as_str(), &g.2, &first.subject.record_id);
                fold(chain).map(|f| (key, f))
            })
            .collect();
        let Some(group) = self.groups.get_mut(g) else {
            return;
        };
        for (key, _) in &group.outputs {
            if !outputs.iter().any(|(k, _)| k == key) {
                changes.push(Change::Withdraw { key: key.clone() });
            }
        }
        for (key, f) in &outputs {
            if !group.outputs.iter().any(|(k, old)| k == key && old == f) {
                changes.push(Change::Upsert {
                    key: key.clone(),
                    finding: f.clone(),
                });
            }
        }
        group.outputs = outputs;
        if group.members.is_empty() {
            self.groups.remove(g);
        }
    }

    /// Sprays not raised because they came from a tenant's known network.
    pub fn spray_suppressed(&self) -> usize {
        self.sprays.values().map(|s| s.suppressed).sum()
    }

    /// Forgets what no sign-in within the allowed lateness can still change: index entries,
    /// and merge groups whose newest draft is older than `horizon` before its tenant's
    /// newest sign-in. Their findings were reported; they stand as they are.
    pub fn sweep(&mut self, horizon: SignedDuration, prevalence: &mut Prevalence) {
        let Some(newest) = self.tenant_max.values().max().copied() else {
            return;
        };
        if self
            .swept_at
            .is_some_and(|t| newest < plus(t, SignedDuration::from_hours(1)))
        {
            return;
        }
        self.swept_at = Some(newest);
        let cutoff: HashMap<TenantId, Timestamp> = self
            .tenant_max
            .iter()
            .map(|(t, max)| (t.clone(), minus(*max, horizon)))
            .collect();
        let old = |e: &Ev| {
            e.tenant
                .as_ref()
                .and_then(|t| cutoff.get(t))
                .is_some_and(|c| e.time < *c)
        };
        // Lists are in event order: one whose first entry is newer than every tenant's
        // cutoff has nothing to forget (most of them, at each sweep).
        let earliest_cutoff = cutoff.values().min().copied();
        for map in [&mut self.by_ip, &mut self.bad_by_ip] {
            map.retain(|_, list| {
                if list
                    .first()
                    .is_some_and(|e| earliest_cutoff.is_none_or(|c| e.time >= c))
                {
                    return true;
                }
                list.retain(|e| !old(e));
                !list.is_empty()
            });
        }
        let done: Vec<GroupKey> = self
            .groups
            .iter()
            .filter(|(g, group)| {
                let c = cutoff.get(&g.1);
                group
                    .members
                    .last()
                    .is_none_or(|(t, _, _)| c.is_some_and(|c| t < c))
            })
            .map(|(g, _)| g.clone())
            .collect();
        for g in done {
            if let Some(group) = self.groups.remove(&g) {
                for (_, _, id) in group.members {
                    if let Some(d) = self.drafts.remove(&id)
                        && let Some(ip) = d.ip
                    {
                        if let Some(o) = self.origins.get_mut(&ip) {
                            o.remove(&id);
                            if o.is_empty() {
                                self.origins.remove(&ip);
                            }
                        }
                        for map in [&mut self.sprays, &mut self.cross] {
                            if let Some(x) = map.get_mut(&ip) {
                                x.drafts.remove(&id);
                                if x.drafts.is_empty() && x.suppressed == 0 {
                                    map.remove(&ip);
                                }
                            }
                        }
                    }
                }
            }
        }
        prevalence.evict(&cutoff);
    }

    pub fn sizes(&self) -> (usize, usize, usize) {
        (
            self.by_ip.values().map(Vec::len).sum::<usize>()
                + self.bad_by_ip.values().map(Vec::len).sum::<usize>(),
            self.drafts.len(),
            self.groups.len(),
        )
    }
}
