//! Invariant 7 for the policy loader: no input, however broken, panics it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use portcullis_policy::Policy;
use proptest::prelude::*;

const SEED: &str = include_str!("../../../policies/production.yaml");

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn yaml_ish_text_never_panics_the_loader(text in "[a-zA-Z0-9 :\\-\\[\\]{}'\",.*#&!|>\n]{0,300}") {
        let _ = Policy::from_yaml(&text, "fuzz.yaml");
    }

    #[test]
    fn structured_fragments_never_panic_the_loader(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("apiVersion: portcullis.dev/v1alpha1".to_owned()),
                Just("apiVersion: policy.sigstore.dev/v1beta1".to_owned()),
                Just("kind: VerificationPolicy".to_owned()),
                Just("kind: ClusterImagePolicy".to_owned()),
                Just("rules:".to_owned()),
                Just("spec:".to_owned()),
                Just("---".to_owned()),
                "(  ){0,4}(- )?(name|images|authorities|keyless|key|static|identities|subjectRegExp|issuer|require|update|constraint|conditions|attestations|predicateType|glob|trust|roots|keys|path|gates|url|headers|mode|onFailure|action|maxCandidates): ?[a-z0-9*/.\\[\\]{}()'=<>|-]{0,20}",
            ],
            0..30,
        )
    ) {
        let _ = Policy::from_yaml(&lines.join("\n"), "fuzz.yaml");
    }

    #[test]
    fn mutated_example_policies_never_panic_the_loader(
        cuts in proptest::collection::vec((0usize..SEED.len(), 0usize..8, "[ -~\n]{0,6}"), 1..6)
    ) {
        let mut text = SEED.to_owned();
        for (at, len, insert) in cuts {
            let start = at.min(text.len());
            let end = (start + len).min(text.len());
            if text.is_char_boundary(start) && text.is_char_boundary(end) {
                text.replace_range(start..end, &insert);
            }
        }
        let _ = Policy::from_yaml(&text, "fuzz.yaml");
    }

    #[test]
    fn cel_conditions_never_panic(source in "[a-z.()\\[\\]'\" =!<>&|,0-9?:+-]{0,80}") {
        let _ = portcullis_policy::policy::Condition::compile(&source);
    }
}
