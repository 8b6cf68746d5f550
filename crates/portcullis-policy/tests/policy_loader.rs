//! Loading semantics of the verification policy: which rules apply, defaults, warnings,
//! the policy revision, `ClusterImagePolicy` translation, merging, and explanations.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use portcullis_image::ImageRef;
use portcullis_policy::policy::{
    AuthorityKind, Mode, NoMatch, OnFailure, StaticAction, ValueMatch,
};
use portcullis_policy::{Policy, PolicyError};

const HEAD: &str = "apiVersion: portcullis.dev/v1alpha1\nkind: VerificationPolicy\n";

fn load(text: &str) -> portcullis_policy::Loaded {
    Policy::from_yaml(text, "policy.yaml").unwrap_or_else(|e| {
        let problems: Vec<String> = e.problems().iter().map(ToString::to_string).collect();
        panic!("{e}\n{}", problems.join("\n"))
    })
}

fn problems(text: &str) -> Vec<String> {
    match Policy::from_yaml(text, "policy.yaml") {
        Ok(_) => panic!("loaded, but should fail:\n{text}"),
        Err(e) => e.problems().iter().map(ToString::to_string).collect(),
    }
}

fn image(s: &str) -> ImageRef {
    s.parse().unwrap()
}

const TWO_RULES: &str = "
rules:
  - name: all-acme
    images: [ghcr.io/acme/**]
    authorities: [{static: allow}]
  - name: acme-web
    images: ['ghcr.io/acme/web-*', nginx]
    mode: warn
    authorities: [{static: deny}]
";

#[test]
fn every_matching_rule_applies_and_unmatched_images_are_denied_by_default() {
    let policy = load(&format!("{HEAD}{TWO_RULES}")).policy;
    let names = |i: &str| -> Vec<String> {
        policy
            .rules_for(&image(i))
            .iter()
            .map(|r| r.name.clone())
            .collect()
    };
    assert_eq!(
        names("ghcr.io/acme/web-frontend:1.0"),
        ["all-acme", "acme-web"]
    );
    assert_eq!(
        names(
            "ghcr.io/acme/team/api@sha256:0000000000000000000000000000000000000000000000000000000000000000"
        ),
        ["all-acme"]
    );
    assert_eq!(names("docker.io/library/nginx:1.25"), ["acme-web"]);
    assert_eq!(names("index.docker.io/library/nginx"), ["acme-web"]);
    assert!(names("ghcr.io/other/app").is_empty());
    assert_eq!(policy.no_match(), NoMatch::Deny);
    assert_eq!(policy.rules()[1].mode, Mode::Warn);
    assert_eq!(policy.rules()[0].require, 1);
    assert_eq!(policy.rules()[0].on_failure, OnFailure::Stop);
    assert!(matches!(
        policy.rules()[1].authorities[0].kind,
        AuthorityKind::Static {
            action: StaticAction::Deny
        }
    ));
}

#[test]
fn explain_names_the_rules_or_the_default() {
    let policy = load(&format!("{HEAD}defaults: {{noMatch: warn}}\n{TWO_RULES}")).policy;
    let matched = policy.explain(&image("ghcr.io/acme/web-x:2"));
    assert_eq!(matched.rules.len(), 2);
    assert_eq!(matched.rules[1].matched_by, ["ghcr.io/acme/web-*"]);
    let text = matched.to_text();
    assert!(
        text.contains("2 rules match; every one must be satisfied"),
        "{text}"
    );
    assert!(
        text.contains("rule 'acme-web' (matched by ghcr.io/acme/web-*)"),
        "{text}"
    );
    let none = policy.explain(&image("quay.io/x/y"));
    assert_eq!(none.no_match, Some(NoMatch::Warn));
    assert!(
        none.to_text().contains("no rule matches; warn:"),
        "{}",
        none.to_text()
    );
    let json = serde_json::to_value(&none).unwrap();
    assert_eq!(json["noMatch"], "warn");
    assert_eq!(json["rules"], serde_json::json!([]));
}

#[test]
fn unanchored_identity_patterns_and_danger_switches_warn() {
    let loaded = load(&format!(
        "{HEAD}rules:
  - name: r
    images: [ghcr.io/acme/**]
    authorities:
      - keyless:
          ignoreTlog: true
          identities:
            - subjectRegExp: https://github.com/acme/
              issuer: https://token.actions.githubusercontent.com
"
    ));
    let warnings: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "policy.yaml:8:11: rules[0].authorities[0].keyless.ignoreTlog: danger: signatures without a transparency-log entry are accepted, so a leaked key or certificate can sign unnoticed",
            "policy.yaml:10:15: rules[0].authorities[0].keyless.identities[0].subjectRegExp: 'https://github.com/acme/' must match the whole value here; cosign and policy-controller accept a match anywhere in it (hint: write '^https://github.com/acme/$' to say so, or 'https://github.com/acme/.*' if a prefix is meant)",
        ]
    );
    let rule = &loaded.policy.rules()[0];
    assert!(rule.authorities[0].danger.ignore_tlog);
    let AuthorityKind::Keyless(k) = &rule.authorities[0].kind else {
        panic!("keyless expected")
    };
    // Anchored: a prefix pattern does not match a longer identity.
    assert!(matches!(&k.identities[0].subject, ValueMatch::Regex(_)));
    assert!(
        !k.identities[0]
            .subject
            .matches("https://github.com/acme/app")
    );
    assert!(k.identities[0].subject.matches("https://github.com/acme/"));
    assert_eq!(k.trusted_root_name, "sigstore-public-good");
}

#[test]
fn github_claims_become_fulcio_extensions() {
    let policy = load(&format!(
        "{HEAD}rules:
  - name: r
    images: [ghcr.io/acme/**]
    authorities:
      - keyless:
          identities: [{{subject: s@acme.example, issuer: https://accounts.google.com}}]
          github: {{repository: acme/app, ref: refs/heads/main, trigger: push}}
          extensions: {{'1.3.6.1.4.1.57264.1.9': https://github.com/acme/app}}
"
    ))
    .policy;
    let AuthorityKind::Keyless(k) = &policy.rules()[0].authorities[0].kind else {
        panic!("keyless expected")
    };
    let ext: Vec<(&str, &str)> = k
        .extensions
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        ext,
        [
            ("1.3.6.1.4.1.57264.1.2", "push"),
            ("1.3.6.1.4.1.57264.1.5", "acme/app"),
            ("1.3.6.1.4.1.57264.1.6", "refs/heads/main"),
            ("1.3.6.1.4.1.57264.1.9", "https://github.com/acme/app"),
        ]
    );
}

#[test]
fn the_revision_follows_content_not_formatting_and_covers_key_files() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("release.pub");
    let pem = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/keys/release.pub"),
    )
    .unwrap();
    std::fs::write(&key, &pem).unwrap();
    let file = dir.path().join("policy.yaml");
    let body = "trust: {keys: {release: {path: release.pub}}}\nrules:\n  - name: r\n    images: [ghcr.io/acme/**]\n    authorities: [{key: {ref: release}}]\n";
    std::fs::write(&file, format!("{HEAD}{body}")).unwrap();
    let first = Policy::load(&file).unwrap().policy.hash().clone();
    assert!(
        first.as_str().starts_with("sha256:") && first.as_str().len() == 71,
        "{first}"
    );

    // Comments, quoting and flow style do not change the revision.
    std::fs::write(
        &file,
        format!("# a comment\n{HEAD}trust:\n  keys:\n    release:\n      path: 'release.pub'\nrules:\n- name: r\n  images:\n  - ghcr.io/acme/**\n  authorities:\n  - key: {{ref: release}}\n"),
    )
    .unwrap();
    assert_eq!(Policy::load(&file).unwrap().policy.hash(), &first);

    // A changed key file does.
    std::fs::write(&key, pem.replace("MFkw", "MFkx")).unwrap();
    assert_ne!(Policy::load(&file).unwrap().policy.hash(), &first);
}

#[test]
fn cluster_image_policies_translate_into_rules() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../policies/cluster-image-policy.yaml");
    let policy = Policy::load(&file).unwrap().policy;
    let names: Vec<&str> = policy.rules().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["acme-keyless", "vendor-key"]);
    let keyless = &policy.rules()[0];
    assert_eq!(keyless.mode, Mode::Enforce);
    assert_eq!(
        keyless.attestations[0].predicate_type,
        "https://slsa.dev/provenance/v1"
    );
    assert_eq!(
        keyless.attestations[0].authorities[0].name,
        "github-actions"
    );
    let AuthorityKind::Key { key_name, key, .. } = &policy.rules()[1].authorities[0].kind else {
        panic!("key expected")
    };
    assert_eq!(key_name, "vendor-key-authority-0");
    assert!(key.pem().unwrap().contains("BEGIN PUBLIC KEY"));
    assert_eq!(
        policy
            .rules_for(&image("registry.vendor.example/tool:1"))
            .len(),
        1
    );
}

#[test]
fn v1alpha1_static_and_secret_references_translate() {
    let policy = load(
        "apiVersion: policy.sigstore.dev/v1alpha1
kind: ClusterImagePolicy
metadata: {name: allow-base}
spec:
  mode: warn
  images: [{glob: 'docker.io/library/*'}]
  authorities:
    - static: {action: pass}
    - key: {secretRef: {name: cosign-pub}}
",
    )
    .policy;
    let rule = &policy.rules()[0];
    assert_eq!(rule.mode, Mode::Warn);
    assert!(matches!(
        rule.authorities[0].kind,
        AuthorityKind::Static {
            action: StaticAction::Allow
        }
    ));
    let AuthorityKind::Key { key, .. } = &rule.authorities[1].kind else {
        panic!("key expected")
    };
    assert_eq!(key.to_string(), "k8s://cosign-system/cosign-pub");
    assert_eq!(policy.rules_for(&image("redis:7")).len(), 1);
}

#[test]
fn cluster_image_policy_fields_that_cannot_be_honoured_are_named() {
    let got = problems(
        "apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: {name: p}
spec:
  images: [{glob: 'ghcr.io/**'}]
  match: [{resource: pods}]
  authorities:
    - key: {kms: 'awskms:///arn'}
      source: [{oci: registry.example/sigs}]
    - keyless:
        url: https://fulcio.internal.example
        identities: [{issuer: https://idp.example, subject: me}]
",
    );
    let fields: Vec<&str> = got
        .iter()
        .map(|p| p.split(": ").nth(1).unwrap_or_default())
        .collect();
    assert_eq!(
        fields,
        [
            "spec.match",
            "spec.authorities[0].key",
            "spec.authorities[0].key.kms",
            "spec.authorities[0].source",
            "spec.authorities[1].keyless.url",
        ],
        "{got:#?}"
    );
    assert!(
        got[0].contains("cannot honour 'match' of a ClusterImagePolicy"),
        "{}",
        got[0]
    );
}

#[test]
fn documents_merge_and_refer_to_each_other() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("trusted_root.json"), "{}").unwrap();
    let file = dir.path().join("policy.yaml");
    std::fs::write(
        &file,
        format!(
            "{HEAD}trust: {{roots: {{internal: {{path: trusted_root.json}}}}}}
gates: {{scan: {{url: 'https://scan.example/v1', headers: {{Authorization: {{env: SCAN_TOKEN}}}}}}}}
---
apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: {{name: internal-fulcio}}
spec:
  images: [{{glob: 'registry.internal.example/**'}}]
  authorities:
    - keyless:
        url: https://fulcio.internal.example
        trustRootRef: internal
        identities: [{{issuer: https://idp.internal.example, subject: ci@internal.example}}]
---
{HEAD}rules:
  - name: scanned
    images: ['registry.internal.example/**']
    gates: [scan]
    authorities: [{{static: allow}}]
"
        ),
    )
    .unwrap();
    let loaded = Policy::load(&file).unwrap();
    let policy = loaded.policy;
    assert_eq!(policy.rules().len(), 2);
    assert_eq!(
        policy
            .rules_for(&image("registry.internal.example/a/b:1"))
            .len(),
        2
    );
    let AuthorityKind::Keyless(k) = &policy.rules()[0].authorities[0].kind else {
        panic!("keyless expected")
    };
    assert_eq!(k.trusted_root_name, "internal");
    let gate = policy.gate("scan").unwrap();
    assert_eq!(gate.timeout, std::time::Duration::from_secs(10));
    assert_eq!(policy.rules()[1].gates, ["scan"]);
}

#[test]
fn duplicate_names_across_documents_are_errors() {
    let text = format!(
        "{HEAD}rules: [{{name: r, images: [a/b], authorities: [{{static: deny}}]}}]\n---\n{HEAD}rules: [{{name: r, images: [c/d], authorities: [{{static: deny}}]}}]\n"
    );
    assert_eq!(
        problems(&text),
        [
            "policy.yaml:7:10: rules[0].name: rule name 'r' is used twice (hint: give every rule its own name)"
        ]
    );
}

#[test]
fn structural_problems_are_all_reported_with_positions() {
    let got = problems(&format!(
        "{HEAD}trust:
rules:
  - name: r
    images: ghcr.io/acme/app
    require: two
    mode: Enforce
    authorities:
      - static: allow
        comment: hi
"
    ));
    assert_eq!(
        got,
        [
            "policy.yaml:3:1: trust: expected a mapping, found null (hint: write '{}' for an empty mapping, or leave the field out)",
            "policy.yaml:6:5: rules[0].images: expected a list, found a string (hint: write a list: '[value]' or '- value' lines)",
            "policy.yaml:7:5: rules[0].require: expected a whole number, found a string",
            "policy.yaml:8:5: rules[0].mode: unknown value 'Enforce' (hint: did you mean 'enforce'?)",
            "policy.yaml:11:9: rules[0].authorities[0].comment: unknown field 'comment' (hint: expected one of: key, keyless, name, static)",
        ]
    );
}

#[test]
fn documents_of_other_kinds_are_refused() {
    assert_eq!(
        problems("apiVersion: portcullis.dev/v1alpha2\nkind: VerificationPolicy\n"),
        [
            "policy.yaml:1:1: apiVersion: unsupported apiVersion 'portcullis.dev/v1alpha2' (hint: did you mean 'portcullis.dev/v1alpha1'?)"
        ]
    );
    assert_eq!(
        problems(""),
        [
            "policy.yaml:1:1: (document): the policy is empty (hint: start with 'apiVersion: portcullis.dev/v1alpha1' and 'kind: VerificationPolicy')"
        ]
    );
    assert_eq!(problems("- a\n- b\n").len(), 1);
    let yaml = problems("a: [1, 2\n");
    assert!(yaml[0].starts_with("policy.yaml:"), "{yaml:?}");
    assert!(yaml[0].contains("(document): not valid YAML"), "{yaml:?}");
}

#[test]
fn a_missing_policy_file_is_a_read_error() {
    let err = Policy::load("/nonexistent/policy.yaml").unwrap_err();
    assert!(matches!(err, PolicyError::Read { .. }));
    assert_eq!(
        err.to_string(),
        "cannot read policy file '/nonexistent/policy.yaml'"
    );
}

#[test]
fn attestation_conditions_decide_predicates() {
    let policy = load(&format!(
        "{HEAD}rules:
  - name: r
    images: ['**']
    authorities: [{{name: ci, static: allow}}]
    attestations:
      - name: provenance
        predicateType: https://slsa.dev/provenance/v1
        authorities: [ci, 0]
        conditions:
          - predicate.runDetails.builder.id.startsWith('https://github.com/')
"
    ))
    .policy;
    let att = &policy.rules()[0].attestations[0];
    assert_eq!(att.authorities.len(), 2);
    let good =
        serde_json::json!({"runDetails": {"builder": {"id": "https://github.com/actions/runner"}}});
    let bad = serde_json::json!({"runDetails": {"builder": {"id": "https://evil.example"}}});
    assert!(att.check_predicate(&good).is_ok());
    assert_eq!(
        att.check_predicate(&bad).unwrap_err().to_string(),
        "condition 'predicate.runDetails.builder.id.startsWith('https://github.com/')' is false"
    );
    assert!(att.check_predicate(&serde_json::json!({})).is_err());
}

#[test]
fn a_policy_controller_verification_file_becomes_rules_and_a_default() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cip.yaml"),
        "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: from-file}\nspec:\n  images: [{glob: \"ghcr.io/acme/**\"}]\n  authorities:\n    - static: {action: pass}\n",
    )
    .unwrap();
    let text = "no-match-policy: warn\npolicies:\n  - path: cip.yaml\n  - data: |\n      apiVersion: policy.sigstore.dev/v1beta1\n      kind: ClusterImagePolicy\n      metadata: {name: inline}\n      spec:\n        images: [{glob: \"docker.io/**\"}]\n        authorities: [{static: {action: fail}}]\n";
    let path = dir.path().join("verification.yaml");
    std::fs::write(&path, text).unwrap();
    let loaded = portcullis_policy::Policy::load(&path).unwrap();
    let names: Vec<&str> = loaded
        .policy
        .rules()
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["from-file", "inline"]);
    assert_eq!(
        loaded.policy.no_match(),
        portcullis_policy::policy::NoMatch::Warn
    );
    // Each source is exactly one of data, path, url; url is never fetched.
    for (bad, field) in [
        (
            "no-match-policy: deny\npolicies: [{url: https://x.example/p.yaml}]\n",
            "policies[0].url",
        ),
        (
            "no-match-policy: deny\npolicies: [{data: a, path: b}]\n",
            "policies[0]",
        ),
        ("policies: []\n", "no-match-policy"),
        ("no-match-policy: deny\npolicies: []\nextra: 1\n", "extra"),
    ] {
        let err = portcullis_policy::Policy::from_yaml(bad, "v.yaml").unwrap_err();
        assert_eq!(err.problems()[0].field, field, "{bad}: {err}");
    }
}
