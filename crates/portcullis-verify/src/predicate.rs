//! In-toto predicate types by cosign's short names (`cosign attest --type`,
//! `verify-attestation --type`), so a policy or a command line may write `slsaprovenance1`
//! where the bundle carries `https://slsa.dev/provenance/v1`.

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

/// The predicate type URI `name` stands for: a cosign short name is expanded, anything else
/// (a URI) is returned as given and compared exactly.
pub fn predicate_type_uri(name: &str) -> &str {
    PREDICATE_SHORT_NAMES
        .iter()
        .find(|(short, _)| *short == name)
        .map_or(name, |(_, uri)| uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_expand_and_uris_pass_through() {
        assert_eq!(
            predicate_type_uri("slsaprovenance1"),
            "https://slsa.dev/provenance/v1"
        );
        assert_eq!(
            predicate_type_uri("custom"),
            "https://cosign.sigstore.dev/attestation/v1"
        );
        assert_eq!(
            predicate_type_uri("https://example.com/p/v1"),
            "https://example.com/p/v1"
        );
        // Names are exact: no case folding, no prefixes.
        assert_eq!(predicate_type_uri("SLSAProvenance1"), "SLSAProvenance1");
    }
}
