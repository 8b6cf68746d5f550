//! Cosign and Sigstore signature verification for Portcullis.
//!
//! Owns: deciding whether a signature proves that an allowed signer signed an artifact.
//! Today that is Sigstore bundles ([`verify_bundle`]): key-based (ECDSA P-256/P-384, Ed25519,
//! RSA) or keyless (Fulcio certificate chain, SCT, identity and OIDC issuer, exact or
//! regular expression), with transparency-log inclusion (Rekor v1 and v2) and RFC 3161
//! timestamps, against a Sigstore trusted root. The cryptography is the `sigstore-verify`
//! crate's; the checks it leaves to callers are made here. Legacy cosign `.sig` signatures
//! (simple signing, [`verify_legacy_signature`]) are adapted into a bundle and verified by the
//! same path, then bound to the image digest; [`verify_candidate_legacy`] turns a candidate
//! into the [`VerifiedImage`] write-back accepts. Legacy `.att` attestations (DSSE envelope
//! layers, [`verify_legacy_attestation`]) are adapted the same way. Bundles attached to an
//! image as referrers
//! are verified for its digest and sorted into signatures and attestations by their predicate
//! type ([`verify_image_bundle`]).
//!
//! Must not: touch Git, talk to the network (bundles are handed in; the only request it makes
//! is a TUF refresh of the trusted root, when a caller asks for one), or
//! decide promotion policy (which authority applies to which image is the policy crate's call).
//! A keyless identity may also require exact values of Fulcio certificate extensions (the
//! GitHub workflow claims, or any extension by OID; see [`claims`]), and a verified keyless
//! bundle reports them all ([`BundleVerified::claims`]).
//!
//! Every failure is a [`Refusal`]: there is no "verified with warnings".

mod artifact;
mod binding;
mod bundle;
pub mod claims;
pub mod danger;
mod identity;
mod image_bundle;
mod key;
mod legacy;
mod legacy_attestation;
mod policy;
mod predicate;
mod refusal;
mod simple_signing;
mod trust_root;
mod tuf;
mod unlogged;
mod verified;
mod verified_image;

pub use artifact::{Artifact, ArtifactError};
pub use bundle::verify_bundle;
pub use identity::{Identity, IdentityError, Matcher};
pub use image_bundle::{COSIGN_SIGN_PREDICATE, Expectation, verify_image_bundle};
pub use key::{KeyAlgorithm, KeyError, PublicKey};
pub use legacy::{
    CERTIFICATE_ANNOTATION, CHAIN_ANNOTATION, REKOR_BUNDLE_ANNOTATION, SIGNATURE_ANNOTATION,
    TIMESTAMP_ANNOTATION, verify_legacy_signature,
};
pub use legacy_attestation::verify_legacy_attestation;
pub use policy::BundlePolicy;
pub use predicate::{PREDICATE_SHORT_NAMES, predicate_type_uri};
pub use refusal::{Detail, Material, Reason, Refusal};
pub use trust_root::{TrustRoot, TrustRootError};
pub use tuf::{Freshness, PUBLIC_GOOD_TUF_URL, STAGING_TUF_URL, TufMode, TufSource};
pub use verified::{BundleVerified, Signer};
pub use verified_image::{VerifiedImage, verify_candidate_legacy};
