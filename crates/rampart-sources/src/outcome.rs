//! The outcome tables: what each provider's result says about the password.
//!
//! The question is always "was the password proven right?" — see
//! `research/log-formats.md` §1c and `research/impossible-travel.md` §5.1. A failure after
//! the first factor (MFA required or denied, Conditional Access block, expired password,
//! "keep me signed in" interrupt) is [`Outcome::CredentialValidFailure`]: whoever made
//! the attempt had the password.

use rampart_model::Outcome;

use crate::wire::AuthenticationDetail;

/// Entra / AADSTS error code (also O365 `ErrorNumber`) → outcome, for when the record
/// has no per-step evidence.
pub(crate) fn entra_code(code: &str) -> Outcome {
    match code.trim() {
        "0" => Outcome::Success,
        // Wrong password, no password, unknown account.
        "50126" | "50034" | "50056" | "50064" => Outcome::BadCredentials,
        // Reached only after primary authentication succeeded.
        "50074" // strong auth required, MFA challenge not passed
        | "50076" // MFA required
        | "50079" // MFA registration required
        | "50072" // MFA enrollment required (interactive)
        | "500121" // failed during strong authentication (MFA denied)
        | "50158" // external security challenge (e.g. Duo) not satisfied
        | "53003" // blocked by Conditional Access (runs after the first factor)
        | "53000" // CA: device not compliant
        | "53001" // CA: device not domain-joined
        | "53002" // CA: app not approved
        | "530032" // CA: blocked by security policy
        | "50131" // Conditional Access failed
        | "53004" // MFA registration blocked due to risk
        | "50140" // "keep me signed in" interrupt
        | "50125" // password-reset registration interrupt
        | "50199" // CMSI interrupt
        | "50105" // user not assigned to the app (authorization after authentication)
        | "50055" // password expired
        | "50144" // on-premises password expired
        => Outcome::CredentialValidFailure,
        // 50053 (locked out *or* malicious IP), 50057 (disabled), token and consent
        // errors, and anything unknown say nothing certain about the password.
        _ => Outcome::Other,
    }
}

/// The per-step evidence of `authenticationDetails[]`: `Some(true)` when a password step
/// succeeded ("Correct password"), `Some(false)` when a password step failed because the
/// password was wrong, `None` when the steps say nothing about a password.
pub(crate) fn password_evidence(steps: &[AuthenticationDetail<'_>]) -> Option<bool> {
    let mut verdict = None;
    for step in steps {
        let method = step
            .authentication_method
            .as_ref()
            .map(|t| t.as_str())
            .unwrap_or("");
        let detail = step
            .step_result_detail
            .as_ref()
            .map(|t| t.as_str())
            .unwrap_or("");
        if detail.eq_ignore_ascii_case("Correct password") {
            return Some(true);
        }
        if !contains_ignore_case(method, "password") {
            continue;
        }
        match step.succeeded.and_then(|f| f.0) {
            Some(true) => return Some(true),
            Some(false)
                if contains_ignore_case(detail, "invalid")
                    || contains_ignore_case(detail, "incorrect")
                    || contains_ignore_case(detail, "wrong") =>
            {
                verdict = Some(false);
            }
            _ => {}
        }
    }
    verdict
}

/// The Entra outcome: success by code, else the step evidence, else the code table.
pub(crate) fn entra(code: Option<&str>, steps: &[AuthenticationDetail<'_>]) -> Outcome {
    if code.map(str::trim) == Some("0") {
        return Outcome::Success;
    }
    match password_evidence(steps) {
        Some(true) => Outcome::CredentialValidFailure,
        Some(false) => Outcome::BadCredentials,
        None => code.map_or(Outcome::Other, entra_code),
    }
}

/// Okta: by event type, result and reason.
pub(crate) fn okta(
    event_type: &str,
    result: Option<&str>,
    reason: Option<&str>,
    factor: Option<&str>,
) -> Outcome {
    // The user denied a push: the password had been accepted (Okta Classic).
    if event_type == "user.mfa.okta_verify.deny_push" {
        return Outcome::CredentialValidFailure;
    }
    let result = result.unwrap_or("");
    if result.eq_ignore_ascii_case("SUCCESS") || result.eq_ignore_ascii_case("ALLOW") {
        return Outcome::Success;
    }
    if !(result.eq_ignore_ascii_case("FAILURE") || result.eq_ignore_ascii_case("DENY")) {
        // CHALLENGE, SKIPPED, UNKNOWN, RATE_LIMIT, …
        return Outcome::Other;
    }
    let reason = reason.unwrap_or("");
    let is = |r: &str| reason.eq_ignore_ascii_case(r);
    if is("LOCKED_OUT") {
        return Outcome::Other;
    }
    match event_type {
        // The MFA step failed or was denied after the password passed.
        "user.authentication.auth_via_mfa" => Outcome::CredentialValidFailure,
        "user.session.start" if is("INVALID_CREDENTIALS") => Outcome::BadCredentials,
        // `verify` checks either the password or a factor; the factor tells which.
        "user.authentication.verify" if is("INVALID_CREDENTIALS") => {
            if factor.is_some() {
                Outcome::CredentialValidFailure
            } else {
                Outcome::BadCredentials
            }
        }
        _ => Outcome::Other,
    }
}

/// Google `login` events. `failure_type` is `login_failure_type`; `status` is
/// `login_challenge_status`; `password_only` is true when every challenge method was
/// `password`.
pub(crate) fn google(
    name: &str,
    failure_type: Option<&str>,
    status: Option<&str>,
    password_only: bool,
) -> Outcome {
    match name {
        "login_success" => Outcome::Success,
        "login_failure" => match failure_type {
            None | Some("login_failure_invalid_password") | Some("login_failure_unknown") => {
                Outcome::BadCredentials
            }
            Some("login_failure_invalid_second_factor")
            | Some("login_failure_missing_second_factor") => Outcome::CredentialValidFailure,
            Some(_) => Outcome::Other,
        },
        "login_challenge" | "login_verification" => match status {
            Some(s) if is_passed(s) => Outcome::Success,
            Some(_) if password_only => Outcome::BadCredentials,
            // A challenge or 2-step verification comes after the password.
            Some(_) => Outcome::CredentialValidFailure,
            None => Outcome::Other,
        },
        _ => Outcome::Other,
    }
}

fn is_passed(status: &str) -> bool {
    let s = status.trim().trim_end_matches('.');
    s.eq_ignore_ascii_case("passed") || s.eq_ignore_ascii_case("Challenge Passed")
}

pub(crate) fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lenient::{Flag, Text};

    fn step(method: &str, ok: Option<bool>, detail: &str) -> AuthenticationDetail<'static> {
        let mut s = AuthenticationDetail::default();
        s.authentication_method = Some(Text(method.to_owned().into()));
        s.succeeded = Some(Flag(ok));
        s.step_result_detail = Some(Text(detail.to_owned().into()));
        s
    }

    #[test]
    fn entra_code_table() {
        use Outcome::*;
        for (code, want) in [
            ("0", Success),
            ("50126", BadCredentials),
            ("50034", BadCredentials),
            ("50056", BadCredentials),
            ("50064", BadCredentials),
            ("50074", CredentialValidFailure),
            ("50076", CredentialValidFailure),
            ("50079", CredentialValidFailure),
            ("500121", CredentialValidFailure),
            ("53003", CredentialValidFailure),
            ("53000", CredentialValidFailure),
            ("53001", CredentialValidFailure),
            ("53002", CredentialValidFailure),
            ("50158", CredentialValidFailure),
            ("50140", CredentialValidFailure),
            ("50055", CredentialValidFailure),
            ("50053", Other),
            ("50057", Other),
            ("500011", Other),
            ("70008", Other),
            ("", Other),
        ] {
            assert_eq!(entra_code(code), want, "code {code}");
        }
    }

    #[test]
    fn entra_steps_beat_the_code_table() {
        // The Splunk 50076 record: "Correct password", then MFA required.
        let steps = [
            step("Password", Some(true), "Correct password"),
            step("", Some(false), "MFA required in Azure AD"),
        ];
        assert_eq!(
            entra(Some("50076"), &steps),
            Outcome::CredentialValidFailure
        );
        // A code the table does not know, with proof of the password.
        assert_eq!(
            entra(Some("50053"), &steps),
            Outcome::CredentialValidFailure
        );
        // The Graph beta sample: the password step failed.
        let bad = [step(
            "Password",
            Some(false),
            "Invalid username or password or Invalid on-premise username or password.",
        )];
        assert_eq!(entra(Some("50126"), &bad), Outcome::BadCredentials);
        // A token ("Previously satisfied") says nothing: back to the code table.
        let token = [step(
            "Previously satisfied",
            Some(true),
            "First factor requirement satisfied by claim in the token",
        )];
        assert_eq!(
            entra(Some("50140"), &token),
            Outcome::CredentialValidFailure
        );
        assert_eq!(entra(Some("50126"), &token), Outcome::BadCredentials);
        // Success is success whatever the steps say; no code at all is Other.
        assert_eq!(entra(Some("0"), &bad), Outcome::Success);
        assert_eq!(entra(None, &[]), Outcome::Other);
    }

    #[test]
    fn okta_outcomes() {
        use Outcome::*;
        let o = |t, r, why, f| okta(t, Some(r), why, f);
        assert_eq!(o("user.session.start", "SUCCESS", None, None), Success);
        assert_eq!(
            o(
                "user.session.start",
                "FAILURE",
                Some("INVALID_CREDENTIALS"),
                None
            ),
            BadCredentials
        );
        assert_eq!(
            o(
                "user.authentication.auth_via_mfa",
                "FAILURE",
                Some("INVALID_CREDENTIALS"),
                Some("OKTA_VERIFY_PUSH")
            ),
            CredentialValidFailure
        );
        assert_eq!(
            o(
                "user.authentication.verify",
                "FAILURE",
                Some("INVALID_CREDENTIALS"),
                None
            ),
            BadCredentials
        );
        assert_eq!(
            o("user.session.start", "FAILURE", Some("LOCKED_OUT"), None),
            Other
        );
        assert_eq!(
            o(
                "user.session.start",
                "FAILURE",
                Some("VERIFICATION_ERROR"),
                None
            ),
            Other
        );
        assert_eq!(
            o("user.mfa.okta_verify.deny_push", "DENY", None, None),
            CredentialValidFailure
        );
        assert_eq!(o("user.authentication.sso", "CHALLENGE", None, None), Other);
    }

    #[test]
    fn google_outcomes() {
        use Outcome::*;
        assert_eq!(google("login_success", None, None, true), Success);
        assert_eq!(google("login_failure", None, None, true), BadCredentials);
        assert_eq!(
            google(
                "login_failure",
                Some("login_failure_invalid_second_factor"),
                None,
                false
            ),
            CredentialValidFailure
        );
        assert_eq!(
            google(
                "login_failure",
                Some("login_failure_access_code_disallowed"),
                None,
                false
            ),
            Other
        );
        assert_eq!(
            google("login_verification", None, Some("Challenge Passed."), false),
            Success
        );
        assert_eq!(
            google("login_challenge", None, Some("passed"), false),
            Success
        );
        assert_eq!(
            google("login_challenge", None, Some("Challenge Failed."), false),
            CredentialValidFailure
        );
        assert_eq!(
            google("login_challenge", None, Some("failed"), true),
            BadCredentials
        );
    }
}
