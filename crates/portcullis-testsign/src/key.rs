//! Key pairs: ECDSA P-256, the algorithm Fulcio, Rekor and cosign use by default.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sigstore_verify::crypto::{KeyPair, sha256};

use crate::error::TestSignError;

/// An ECDSA P-256 key pair generated for one test run.
#[derive(Debug)]
pub struct SigningKey {
    pair: KeyPair,
    spki: Vec<u8>,
}

impl SigningKey {
    /// A fresh key pair.
    pub fn generate() -> Result<Self, TestSignError> {
        let pair = KeyPair::generate_ecdsa_p256()?;
        let spki = pair.public_key_der()?.as_bytes().to_vec();
        Ok(Self { pair, spki })
    }

    /// The public key as DER `SubjectPublicKeyInfo`.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The public key as PEM (`-----BEGIN PUBLIC KEY-----`), as `cosign.pub` holds it.
    pub fn public_key_pem(&self) -> String {
        crate::encoding::pem("PUBLIC KEY", &self.spki)
    }

    /// SHA-256 of the DER public key: the log ID of a log with this key.
    pub fn key_id(&self) -> [u8; 32] {
        let mut id = [0u8; 32];
        id.copy_from_slice(sha256(&self.spki).as_bytes());
        id
    }

    /// An ASN.1 DER ECDSA signature over SHA-256 of `data`.
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, TestSignError> {
        Ok(self.pair.sign(data)?.as_bytes().to_vec())
    }

    /// An ASN.1 DER ECDSA signature over a SHA-256 digest computed elsewhere (cosign signs an
    /// image by its manifest digest).
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, TestSignError> {
        let digest = sigstore_verify::types::Sha256Hash::new(*digest);
        Ok(self.pair.sign_digest(&digest)?.as_bytes().to_vec())
    }

    /// The public key in base64 DER, as a trusted root carries it.
    pub fn spki_base64(&self) -> String {
        STANDARD.encode(&self.spki)
    }
}
