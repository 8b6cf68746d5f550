//! Public keys for key-based verification (cosign `--key`), parsed once from PEM.
//!
//! Accepted: a PEM `PUBLIC KEY` block (SubjectPublicKeyInfo) holding ECDSA P-256 or P-384,
//! Ed25519, or RSA (2048 to 8192 bits, checked when a signature is verified). Anything else is
//! refused when the policy is built, not when the first signature arrives.

use std::fmt;
use std::str::FromStr;

use sigstore_verify::crypto::KeyAlgorithm as UpstreamAlgorithm;
use sigstore_verify::types::DerPublicKey;

/// Why a public key was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not a PEM `PUBLIC KEY` block.
    #[error("public key is not a pem 'PUBLIC KEY' block")]
    NotPem {
        /// What the PEM parser reported.
        #[source]
        source: sigstore_verify::types::Error,
    },
    /// A PEM block whose contents are not a SubjectPublicKeyInfo of a known algorithm.
    #[error("public key is malformed or of an unknown algorithm")]
    Malformed {
        /// What the key parser reported.
        #[source]
        source: sigstore_verify::crypto::Error,
    },
    /// A well-formed key of an algorithm this verifier does not accept.
    #[error(
        "public key algorithm {algorithm} is not supported (use ecdsa p-256 or p-384, ed25519, or rsa)"
    )]
    Unsupported {
        /// The algorithm found.
        algorithm: String,
    },
}

/// The algorithm of a [`PublicKey`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// ECDSA on NIST P-256.
    EcdsaP256,
    /// ECDSA on NIST P-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
    /// RSA (PKCS #1 v1.5 signatures).
    Rsa,
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::EcdsaP256 => "ecdsa-p256",
            Self::EcdsaP384 => "ecdsa-p384",
            Self::Ed25519 => "ed25519",
            Self::Rsa => "rsa",
        })
    }
}

/// A verification key, valid by construction.
#[derive(Clone)]
pub struct PublicKey {
    der: DerPublicKey,
    algorithm: KeyAlgorithm,
    fingerprint: String,
}

impl PublicKey {
    /// Parses a PEM `PUBLIC KEY` block.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let der = DerPublicKey::from_pem(pem).map_err(|source| KeyError::NotPem { source })?;
        let algorithm = match UpstreamAlgorithm::from_spki(&der)
            .map_err(|source| KeyError::Malformed { source })?
        {
            UpstreamAlgorithm::EcdsaP256 => KeyAlgorithm::EcdsaP256,
            UpstreamAlgorithm::EcdsaP384 => KeyAlgorithm::EcdsaP384,
            UpstreamAlgorithm::Ed25519 => KeyAlgorithm::Ed25519,
            UpstreamAlgorithm::Rsa => KeyAlgorithm::Rsa,
            other => {
                return Err(KeyError::Unsupported {
                    algorithm: format!("{other:?}").to_lowercase(),
                });
            }
        };
        let fingerprint = format!(
            "sha256:{}",
            sigstore_verify::crypto::sha256(der.as_bytes()).to_hex()
        );
        Ok(Self {
            der,
            algorithm,
            fingerprint,
        })
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// `sha256:<hex>` of the DER SubjectPublicKeyInfo: names the key in reports and events.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub(crate) fn der(&self) -> &DerPublicKey {
        &self.der
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;

    fn from_str(pem: &str) -> Result<Self, Self::Err> {
        Self::from_pem(pem)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.algorithm)
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Keys generated with `openssl genpkey` for these tests only.
    const P256: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEa17FojzcfbPv8ZU89Xd9bNf+v024
iYQZACu8LdhYvkIsAyAV18BRKa237xAolwxo1UqLE98ng8PYLYZVY6EXaw==
-----END PUBLIC KEY-----";
    const ED25519: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAQyeDhdPdYThj/C3l6GJjUE7xCgbJiYsI99NUf+eny4k=
-----END PUBLIC KEY-----";
    const P521: &str = "-----BEGIN PUBLIC KEY-----
MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQBsqUW9MU4iUAoEQd9PakaqOUhND9R
evAUV5DYtR4CtBDA0vfkDzipdb4dXmWKcCLPpYOgsuKhRbuXphLttwx9pIQAagAQ
tCHAf7C9AHcvG1lEnXwvWNpPrpauaNOR68QCBXUQmtCygwty+VallgjPKoyHAdJW
gKe+nFMtovgCjhVDG2w=
-----END PUBLIC KEY-----";

    #[test]
    fn pem_keys_parse_with_their_algorithm_and_fingerprint() {
        let key: PublicKey = P256.parse().unwrap();
        assert_eq!(key.algorithm(), KeyAlgorithm::EcdsaP256);
        assert!(key.fingerprint().starts_with("sha256:"));
        assert_eq!(key.fingerprint().len(), "sha256:".len() + 64);
        assert_eq!(
            PublicKey::from_pem(ED25519).unwrap().algorithm(),
            KeyAlgorithm::Ed25519
        );
    }

    #[test]
    fn a_certificate_is_not_a_public_key() {
        let pem = P256.replace("PUBLIC KEY", "CERTIFICATE");
        assert!(matches!(
            PublicKey::from_pem(&pem),
            Err(KeyError::NotPem { .. })
        ));
    }

    #[test]
    fn a_curve_cosign_does_not_use_is_refused_when_the_policy_is_built() {
        assert!(matches!(
            PublicKey::from_pem(P521),
            Err(KeyError::Malformed { .. })
        ));
    }

    #[test]
    fn garbage_inside_a_public_key_block_is_malformed() {
        let pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert!(matches!(
            PublicKey::from_pem(pem),
            Err(KeyError::Malformed { .. })
        ));
    }
}
