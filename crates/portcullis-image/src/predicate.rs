//! In-toto predicate types by cosign's short names (`cosign attest --type`,
//! `verify-attestation --type`), so a policy or a command line may write `slsaprovenance1`
//! where a bundle carries `https://slsa.dev/provenance/v1`. One table for the policy and the
//! verifier, which must agree on it and may not depend on each other.

/// cosign's short names and the predicate type URIs they stand for.
pub const PREDICATE_SHORT_NAMES: [(&str, &str); 10] = [
    ("slsaprovenance", "https://slsa.dev/provenance/v0.2"),
    ("slsaprovenance02", "https://slsa.dev/provenance/v0.2"),
    ("slsaprovenance1", "https://slsa.dev/provenance/v1"),
    ("link", "https://in-toto.io/Link/v1"),
    ("spdx", "https://spdx.dev/Document"),
    ("spdxjson", "https://spdx.dev/Document"),
    ("cyclonedx", "https://cyclonedx.org/bom"),
    ("vuln", "https://cosign.sigstore.dev/attestation/vuln/v1"),
    ("openvex", "https://openvex.dev/ns"),
    ("custom", "https://cosign.sigstore.dev/attestation/v1"),
];

/// The predicate type URI a cosign short name stands for; `None` for anything else. Names
/// are exact: no case folding, no prefixes.
pub fn predicate_short_name(name: &str) -> Option<&'static str> {
    PREDICATE_SHORT_NAMES
        .iter()
        .find(|(short, _)| *short == name)
        .map(|(_, uri)| *uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_expand_exactly() {
        assert_eq!(
            predicate_short_name("slsaprovenance1"),
            Some("https://slsa.dev/provenance/v1")
        );
        assert_eq!(
            predicate_short_name("custom"),
            Some("https://cosign.sigstore.dev/attestation/v1")
        );
        assert_eq!(predicate_short_name("SLSAProvenance1"), None);
        assert_eq!(predicate_short_name("https://slsa.dev/provenance/v1"), None);
    }
}
