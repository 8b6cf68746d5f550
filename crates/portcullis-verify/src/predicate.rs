//! In-toto predicate types by cosign's short names (`cosign attest --type`,
//! `verify-attestation --type`), so a policy or a command line may write `slsaprovenance1`
//! where the bundle carries `https://slsa.dev/provenance/v1`. The table itself lives in
//! `portcullis-image`, shared with the policy.

pub use portcullis_image::PREDICATE_SHORT_NAMES;

/// The predicate type URI `name` stands for: a cosign short name is expanded, anything else
/// (a URI) is returned as given and compared exactly.
pub fn predicate_type_uri(name: &str) -> &str {
    portcullis_image::predicate_short_name(name).unwrap_or(name)
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
