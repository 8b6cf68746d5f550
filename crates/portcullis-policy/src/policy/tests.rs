//! Loader behaviour across modules that the integration tests cannot see: where problems
//! of a translated `ClusterImagePolicy` point, and which repeats are dropped.

use super::*;

fn problems(text: &str) -> Vec<String> {
    match Policy::from_yaml(text, "p.yaml") {
        Ok(_) => panic!("loaded, but should fail"),
        Err(e) => e.problems().iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn problems_found_after_translation_point_at_the_cluster_image_policy() {
    let got = problems(
        "apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: {name: p}
spec:
  images:
    - glob: 'ghcr.io/Acme/**'
  authorities:
    - keyless:
        identities:
          - subjectRegExp: '('
            issuer: https://token.actions.githubusercontent.com
",
    );
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(
        got[0].starts_with("p.yaml:6:7: spec.images[0].glob: image pattern 'ghcr.io/Acme/**'"),
        "{}",
        got[0]
    );
    assert!(
        got[1].starts_with("p.yaml:10:13: spec.authorities[0].keyless.identities[0].subjectRegExp: regular expression '(' does not compile"),
        "{}",
        got[1]
    );
}

#[test]
fn a_refused_field_is_not_reported_again_by_validation() {
    // `require: -1` is refused by the shape check; validation must not add "require must be
    // at least 1" for the same field, but still reports the unrelated unknown key.
    let got = problems(
        "apiVersion: portcullis.dev/v1alpha1
kind: VerificationPolicy
rules:
  - name: r
    images: [a/b]
    require: -1
    authorities: [{key: {ref: nope}}]
",
    );
    assert_eq!(
        got,
        [
            "p.yaml:6:5: rules[0].require: must be at least 0, found -1",
            "p.yaml:7:26: rules[0].authorities[0].key.ref: unknown key 'nope' (hint: define it under trust.keys)",
        ]
    );
}

#[test]
fn policies_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Policy>();
}
