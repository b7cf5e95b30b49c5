//! Rampart's own Sigma rules (`rules/` at the repository root), built into the binary so
//! that `hunt` runs them with nothing to install. The files stay the source of truth: a
//! test checks that every `.yml` under `rules/` is listed here.

macro_rules! rule {
    ($path:literal) => {
        (
            concat!("rules/", $path),
            include_str!(concat!("../../../rules/", $path)),
        )
    };
}
/// (path relative to the repository root, text) of every built-in rule file.
pub const FILES: &[(&str, &str)] = &[
    rule!("identity/entra_failed_signins_then_success.yml"),
    rule!("identity/entra_legacy_auth_signin_success.yml"),
    rule!("identity/entra_mfa_fatigue.yml"),
    rule!("identity/entra_signin_disabled_account.yml"),
    rule!("identity/gworkspace_failed_logins_then_success.yml"),
    rule!("identity/gworkspace_suspicious_login_flag.yml"),
    rule!("identity/m365_admin_consent_grant.yml"),
    rule!("identity/okta_failed_signins_then_success.yml"),
    rule!("identity/okta_mfa_push_bombing.yml"),
];

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn every_rule_file_in_the_repo_is_built_in() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut on_disk: Vec<String> = walk(&root.join("rules"))
            .into_iter()
            .map(|p| {
                p.strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect();
        on_disk.sort();
        let mut built_in: Vec<String> = super::FILES.iter().map(|(p, _)| p.to_string()).collect();
        built_in.sort();
        assert_eq!(on_disk, built_in, "list every rules/**/*.yml in FILES");
    }

    fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                out.push(p);
            }
        }
        out
    }
}
