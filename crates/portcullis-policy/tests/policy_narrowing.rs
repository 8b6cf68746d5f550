//! The floor check: application settings may narrow a rule's update limits, never widen
//! them, and every widening is reported with the stable reason code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use portcullis_policy::policy::{Setting, WIDENING_REASON};
use portcullis_policy::{AppSettings, Policy, Strategy, Version};

const POLICY: &str = "apiVersion: portcullis.dev/v1alpha1
kind: VerificationPolicy
rules:
  - name: prod
    images: [ghcr.io/acme/**]
    authorities: [{static: allow}]
    update:
      registries: [ghcr.io]
      constraint: '<3.0.0'
      strategies: [semver, digest]
  - name: open
    images: [ghcr.io/acme/tools/**]
    authorities: [{static: allow}]
    update:
      prereleases: true
";

fn check(app: &AppSettings, image: &str) -> Result<(), Vec<(String, Setting, String)>> {
    let policy = Policy::from_yaml(POLICY, "policy.yaml").unwrap().policy;
    let image = image.parse().unwrap();
    let rules = policy.rules_for(&image);
    policy.check_app_settings(&rules, app).map_err(|ws| {
        ws.into_iter()
            .map(|w| {
                assert_eq!(w.reason_code(), WIDENING_REASON);
                (w.rule, w.setting, w.message)
            })
            .collect()
    })
}

#[test]
fn narrower_settings_pass() {
    // (strategy, constraint)
    let table: &[(Strategy, Option<&str>)] = &[
        (Strategy::Semver, Some("~2.1")),
        (Strategy::Semver, Some("^2.0.0")),
        (Strategy::Semver, Some(">=1.0, <2.5")),
        (Strategy::Semver, Some("2.x")),
        (Strategy::Semver, Some("<3")),
        (Strategy::Semver, Some("1.2.3 - 2.9.9")),
        (Strategy::Digest, Some("2.4.1")),
    ];
    for (strategy, constraint) in table {
        let mut app = AppSettings::new(*strategy).with_image("ghcr.io/acme/app".parse().unwrap());
        if let Some(c) = constraint {
            app = app.with_constraint(*c);
        }
        assert_eq!(
            check(&app, "ghcr.io/acme/app:2.0.0"),
            Ok(()),
            "{strategy} {constraint:?}"
        );
    }
}

#[test]
fn no_constraint_of_its_own_takes_the_ceiling_as_it_is() {
    // Not a widening: the gate applies the rule's ceiling to an application that states none.
    assert!(
        check(
            &AppSettings::new(Strategy::Semver),
            "ghcr.io/acme/app:2.0.0"
        )
        .is_ok()
    );
}

#[test]
fn wider_settings_are_rejected_with_a_witness() {
    // (strategy, constraint, setting at fault, message)
    let table: &[(Strategy, Option<&str>, Setting, &str)] = &[
        (
            Strategy::Semver,
            Some("<4"),
            Setting::Constraint,
            "constraint '<4' admits 3.0.0, but the policy's ceiling is '<3.0.0' without pre-releases",
        ),
        (
            Strategy::Semver,
            Some("^2.0.0 || ^3.0.0"),
            Setting::Constraint,
            "constraint '^2.0.0 || ^3.0.0' admits 3.0.0, but the policy's ceiling is '<3.0.0' without pre-releases",
        ),
        (
            Strategy::Semver,
            Some(">=2.0.0-0, <3"),
            Setting::Constraint,
            "constraint '>=2.0.0-0, <3' admits 2.0.0-0, but the policy's ceiling is '<3.0.0' without pre-releases",
        ),
        (
            Strategy::NewestBuild,
            Some("<2"),
            Setting::Strategy,
            "strategy 'newest-build' is not allowed (allowed: semver, digest)",
        ),
        (
            Strategy::Digest,
            Some("latest"),
            Setting::Constraint,
            "digest strategy follows tag 'latest', which is not a version, so the policy's ceiling is '<3.0.0' without pre-releases cannot bound it",
        ),
        (
            Strategy::Digest,
            Some("3.1.0"),
            Setting::Constraint,
            "digest strategy follows tag '3.1.0', outside the policy's ceiling is '<3.0.0' without pre-releases",
        ),
    ];
    for (strategy, constraint, setting, message) in table {
        let mut app = AppSettings::new(*strategy);
        if let Some(c) = constraint {
            app = app.with_constraint(*c);
        }
        let got = check(&app, "ghcr.io/acme/app:2.0.0").unwrap_err();
        assert_eq!(
            got,
            [("prod".to_owned(), *setting, (*message).to_owned())],
            "{strategy} {constraint:?}"
        );
    }
}

#[test]
fn every_matching_rule_is_a_floor() {
    // ghcr.io/acme/tools/x matches both rules: `open` allows pre-releases, `prod` does not.
    let app = AppSettings::new(Strategy::Alphabetical).with_constraint(">=1.0.0-0");
    let got = check(&app, "ghcr.io/acme/tools/x:1.0.0").unwrap_err();
    let rules: Vec<&str> = got.iter().map(|(r, _, _)| r.as_str()).collect();
    assert_eq!(rules, ["prod", "prod"]);
    assert_eq!(got[0].1, Setting::Strategy);
    assert_eq!(got[1].1, Setting::Constraint);
}

#[test]
fn registries_outside_the_allowlist_are_widenings() {
    let app = AppSettings::new(Strategy::Semver)
        .with_constraint("<2")
        .with_image("docker.io/acme/app".parse().unwrap());
    let got = check(&app, "ghcr.io/acme/app:1.0.0").unwrap_err();
    assert_eq!(got[0].1, Setting::Registry);
    assert_eq!(
        got[0].2,
        "registry 'docker.io' is not allowed (allowed: ghcr.io)"
    );
}

#[test]
fn display_carries_the_reason_code() {
    let policy = Policy::from_yaml(POLICY, "policy.yaml").unwrap().policy;
    let image = "ghcr.io/acme/app:1".parse().unwrap();
    let err = policy
        .check_app_settings(
            &policy.rules_for(&image),
            &AppSettings::new(Strategy::NewestBuild).with_constraint("<2"),
        )
        .unwrap_err();
    assert_eq!(
        err[0].to_string(),
        "policy_widening_rejected: strategy widens rule 'prod': strategy 'newest-build' is not allowed (allowed: semver, digest)"
    );
}

#[test]
fn ceilings_bound_pre_releases_by_their_release() {
    let policy = Policy::from_yaml(POLICY, "policy.yaml").unwrap().policy;
    let open = &policy.rules()[1].update;
    let prod = &policy.rules()[0].update;
    let v = |s: &str| s.parse::<Version>().unwrap();
    assert!(open.permits_version(&v("4.0.0-rc.1")));
    assert!(!prod.permits_version(&v("2.0.0-rc.1")));
    assert!(prod.permits_version(&v("2.9.9")));
    assert!(!prod.permits_version(&v("3.0.0")));
}
