//! SonicWall SonicOS syslog, default ("enhanced") `key=value` format.
//!
//! Only administrator logins are sign-ins; every firewall event (connections, IPS, VPN,
//! content filter…) is skipped with its message id and text.
//!
//! Judgement calls, documented here because the samples cannot settle them:
//! - `m=30` "Administrator login denied due to bad credentials" (and any message saying a
//!   login was denied for bad credentials or an incorrect password) → `BadCredentials`.
//! - A message saying an administrator or user login was *allowed* or *successful*
//!   → `Success`. The message ids for these are not in the samples, so they are
//!   recognised by text.
//! - The user is `usr=` when present; the bad-credential lines carry none, so the user is
//!   the placeholder `(unknown)` (those sign-ins feed IP-reputation and spray detection,
//!   never a per-user baseline).
//! - `time` has no zone unless ` UTC` follows; a zone-less time is taken as UTC (the
//!   device's zone is configuration Rampart does not have here).
//! - `sn` (the device serial) is the provider tenant: configuration maps it to a tenant.
//! - The record id is `sn/m/n` (`n` counts per message id).
//! - When a key repeats (`msg` in IPS lines), the first value is kept.

use rampart_model::{NetworkHints, Outcome, SignIn, SourceFormat};

use crate::norm::{self, Decision};

/// The placeholder user of an administrator login that names no user.
pub const UNKNOWN_USER: &str = "(unknown)";

/// Decodes one line; `None` when the line is not SonicWall `key=value` syslog.
pub(crate) fn decode_line(line: &str) -> Option<Decision> {
    let kv = pairs(line);
    let get = |k: &str| kv.iter().find(|(key, _)| *key == k).map(|(_, v)| v.trim());
    let recognised = get("sn").is_some()
        && get("time").is_some()
        && (get("id").is_some() || get("fw").is_some() || get("m").is_some());
    if !recognised {
        return None;
    }
    let m = get("m").unwrap_or("");
    let msg = get("msg").unwrap_or("");
    let outcome = match admin_login(m, msg) {
        Some(o) => o,
        None => {
            let what = match (m.is_empty(), msg.is_empty()) {
                (false, false) => format!("m={m} \"{msg}\""),
                (false, true) => format!("m={m}"),
                (true, false) => format!("\"{msg}\""),
                (true, true) => "without `m` or `msg`".to_owned(),
            };
            return Some(norm::skip(format!(
                "firewall event {what} is not a sign-in"
            )));
        }
    };
    Some(admin_signin(&get, m, msg, outcome))
}

fn admin_signin<'l>(
    get: &dyn Fn(&str) -> Option<&'l str>,
    m: &str,
    msg: &str,
    outcome: Outcome,
) -> Decision {
    let Some(time) = get("time") else {
        return norm::reject("no `time`");
    };
    let time = norm::time("time", time)?;
    let sn = get("sn").unwrap_or("");
    let record_id = match get("n") {
        Some(n) => format!("{sn}/{m}/{n}"),
        None => format!("{sn}/{m}/{}", time.as_second()),
    };
    let ip = get("src")
        .and_then(|s| s.split(':').next())
        .filter(|s| !s.is_empty())
        .and_then(norm::ip)
        .or_else(|| get("srcV6").and_then(norm::ip));
    let user = get("usr")
        .filter(|u| !u.is_empty())
        .map(norm::user)
        .unwrap_or_else(|| UNKNOWN_USER.to_owned());
    Ok(Box::new(SignIn {
        tenant: None,
        provider_tenant: Some(sn.to_owned()).filter(|s| !s.is_empty()),
        user,
        time,
        ip,
        location: None,
        asn: None,
        network: NetworkHints::default(),
        app: Some("SonicWall management".to_owned()),
        client_app: get("sess").filter(|s| !s.is_empty()).map(str::to_owned),
        user_agent: None,
        os: None,
        device_id: None,
        interactive: Some(true),
        session_id: None,
        correlation_id: None,
        outcome,
        result_code: Some(m.to_owned()).filter(|s| !s.is_empty()),
        result_detail: Some(msg.to_owned()).filter(|s| !s.is_empty()),
        source_format: SourceFormat::SonicWall,
        record_id,
    }))
}

/// `Some(outcome)` when the message is an administrator or user login.
fn admin_login(m: &str, msg: &str) -> Option<Outcome> {
    let lower = msg.to_ascii_lowercase();
    if m == "30"
        || (lower.contains("login") && lower.contains("bad credentials"))
        || (lower.contains("login") && lower.contains("incorrect password"))
    {
        return Some(Outcome::BadCredentials);
    }
    let is_login = lower.contains("administrator login") || lower.contains("user login");
    if is_login && (lower.contains("allowed") || lower.contains("success")) {
        return Some(Outcome::Success);
    }
    None
}

/// The `key=value` pairs of a line, in order. Values may be bare, `"double"` or
/// `'single'` quoted; words without `=` (the syslog header) are passed over.
fn pairs(line: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::with_capacity(32);
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        if i == start || i >= b.len() || b[i] != b'=' {
            // Not a key: skip the rest of this word.
            while i < b.len() && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            continue;
        }
        let key = &line[start..i];
        i += 1; // '='
        let value = match b.get(i) {
            Some(&q) if q == b'"' || q == b'\'' => {
                let vstart = i + 1;
                let end = b[vstart..]
                    .iter()
                    .position(|&c| c == q)
                    .map_or(b.len(), |p| vstart + p);
                i = (end + 1).min(b.len());
                &line[vstart..end]
            }
            _ => {
                let vstart = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                &line[vstart..i]
            }
        };
        out.push((key, value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::norm::NotSignIn;

    #[test]
    fn pairs_handle_quotes_headers_and_repeats() {
        let line = r#"<134>  id=firewall sn=X time="2022-05-06 16:10:06" msg="IPS A, B" msg="IPS A" appName='General UDP' note="x " n=1"#;
        let p = pairs(line);
        assert_eq!(p[0], ("id", "firewall"));
        assert_eq!(p[2], ("time", "2022-05-06 16:10:06"));
        assert_eq!(p[3], ("msg", "IPS A, B"));
        assert_eq!(p[5], ("appName", "General UDP"));
        assert_eq!(p[6], ("note", "x "));
        assert_eq!(p[7], ("n", "1"));
    }

    #[test]
    fn admin_login_denied_is_bad_credentials() {
        let line = r#"Jan  3 13:45:36 192.168.5.1 id=firewall sn=000SERIAL time="2007-01-03 14:48:07" fw=1.128.3.4 pri=1 c=32 m=30 msg="Administrator login denied due to bad credentials" n=7 src=216.160.83.57:36701:WAN dst=1.128.3.4:50000:WAN"#;
        let Some(Ok(s)) = decode_line(line) else {
            panic!("not a sign-in");
        };
        assert_eq!(s.outcome, Outcome::BadCredentials);
        assert_eq!(s.user, UNKNOWN_USER);
        assert_eq!(s.ip, "216.160.83.57".parse().ok());
        assert_eq!(s.record_id, "000SERIAL/30/7");
        assert_eq!(s.time.to_string(), "2007-01-03T14:48:07Z");
        assert_eq!(s.provider_tenant.as_deref(), Some("000SERIAL"));
    }

    #[test]
    fn admin_login_allowed_is_success() {
        let line = r#"id=firewall sn=S1 time="2022-05-16 15:22:26 UTC" fw=10.0.0.96 pri=6 c=32 m=29 msg="Administrator login allowed" n=3 usr="Admin" src=10.0.0.5:51000:X0 sess="Web""#;
        let Some(Ok(s)) = decode_line(line) else {
            panic!("not a sign-in");
        };
        assert_eq!(s.outcome, Outcome::Success);
        assert_eq!(s.user, "admin");
        assert_eq!(s.client_app.as_deref(), Some("Web"));
    }

    #[test]
    fn firewall_events_are_skipped_and_other_text_is_not_sonicwall() {
        let line = r#"id=firewall sn=S time="2019-03-14 16:37:19 UTC" fw=1.2.3.4 m=537 msg="Connection Closed""#;
        assert_eq!(
            decode_line(line).map(|d| d.err()),
            Some(Some(NotSignIn::Skip(
                "firewall event m=537 \"Connection Closed\" is not a sign-in".to_owned()
            )))
        );
        assert!(decode_line("hello world").is_none());
        assert!(decode_line("a=b c=d").is_none());
    }
}
