//! A throwaway Sigstore for tests: it signs for real, so the verifier is tested against the
//! same kinds of evidence the public-good instance produces, made on this machine.
//!
//! Owns: generating key pairs ([`SigningKey`]); a Fulcio-like certificate authority that
//! issues short-lived leaf certificates carrying an OIDC identity (email or URI SAN), the
//! issuer extensions and any other Fulcio extension, with an embedded SCT from a CT-like log
//! ([`CertificateAuthority`], [`LeafSpec`]); a Rekor-like log that integrates `hashedrekord`
//! entries and signs SETs and checkpoints ([`TransparencyLog`]); the `trusted_root.json` that
//! trusts exactly these ([`TestSigstore::trusted_root_json`]); cosign signatures in both
//! layouts a registry holds them ([`Signer::legacy_layer`], [`Signer::message_bundle`]) and
//! pushing them to a registry ([`push_legacy_signatures`], [`push_referrer`]); a TUF
//! repository on disk that distributes a trusted root as Sigstore does ([`TufRepository`]).
//!
//! Must not: be used outside tests and benchmarks (`publish = false`), or be trusted by any
//! verification that is not a test's: every key here lives in memory for one test run.
//!
//! Nothing here verifies anything: a signature made with a deliberate defect (an expired
//! certificate, a foreign CA, a tampered SET) is produced as asked, so the verifier's refusal
//! is what the test observes.

mod attestation;
mod ca;
mod encoding;
mod error;
mod key;
mod log;
mod push;
mod signer;
mod trusted_root;
mod tuf;

pub use attestation::IN_TOTO_PAYLOAD_TYPE;
pub use ca::{CertificateAuthority, LeafSpec, San};
pub use error::TestSignError;
pub use key::SigningKey;
pub use log::{LogEntry, TransparencyLog};
pub use push::{
    push_legacy_attestations, push_legacy_signatures, push_referrer, push_referrer_of_type,
    sign_keyless, signature_tag,
};
pub use signer::{LegacyLayer, Signer, SigningOptions};
pub use trusted_root::TestSigstore;
pub use tuf::TufRepository;
