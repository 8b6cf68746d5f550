//! Content digests (`sha256:<hex>`), validated per the OCI image specification.

use std::fmt;
use std::str::FromStr;

/// A content-addressable digest such as `sha256:6c3c…`.
///
/// Only the algorithms the OCI image specification registers are accepted, each with its
/// exact encoded length in lower-case hex: `sha256` (64) and `sha512` (128). Anything else
/// is refused rather than carried along, because a digest we cannot recompute is no pin.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

/// Why a string is not a [`Digest`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// No `algorithm:` prefix.
    #[error(
        "invalid digest '{input}': expected '<algorithm>:<hex>', e.g. 'sha256:' followed by 64 hex digits"
    )]
    MissingAlgorithm {
        /// The rejected input.
        input: String,
    },
    /// An algorithm other than sha256/sha512.
    #[error("invalid digest '{input}': unsupported algorithm '{algorithm}' (use sha256 or sha512)")]
    UnsupportedAlgorithm {
        /// The rejected input.
        input: String,
        /// The algorithm named in it.
        algorithm: String,
    },
    /// Wrong length or characters after the algorithm.
    #[error("invalid digest '{input}': {algorithm} needs exactly {expected} lower-case hex digits")]
    BadEncoding {
        /// The rejected input.
        input: String,
        /// The algorithm named in it.
        algorithm: String,
        /// How many hex digits that algorithm needs.
        expected: usize,
    },
}

impl Digest {
    /// The algorithm, e.g. `sha256`.
    pub fn algorithm(&self) -> &str {
        self.0.split_once(':').map_or("", |(a, _)| a)
    }

    /// The hex encoding after the colon.
    pub fn hex(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, h)| h)
    }

    /// The whole digest as written, `sha256:<hex>`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The tag cosign and the OCI referrers tag schema derive from a digest: `sha256-<hex>`.
    pub fn tag_prefix(&self) -> String {
        format!("{}-{}", self.algorithm(), self.hex())
    }

    /// Builds a `sha256` digest from 64 hex digits (as printed by a hasher).
    pub fn from_sha256_hex(hex: &str) -> Result<Self, DigestError> {
        format!("sha256:{hex}").parse()
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let Some((algorithm, encoded)) = input.split_once(':') else {
            return Err(DigestError::MissingAlgorithm {
                input: input.to_owned(),
            });
        };
        let expected = match algorithm {
            "sha256" => 64,
            "sha512" => 128,
            _ => {
                return Err(DigestError::UnsupportedAlgorithm {
                    input: input.to_owned(),
                    algorithm: algorithm.to_owned(),
                });
            }
        };
        let valid = encoded.len() == expected
            && encoded
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid {
            return Err(DigestError::BadEncoding {
                input: input.to_owned(),
                algorithm: algorithm.to_owned(),
                expected,
            });
        }
        Ok(Self(input.to_owned()))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.0)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";

    #[test]
    fn parses_sha256_and_exposes_parts() {
        let d: Digest = format!("sha256:{HEX}").parse().unwrap();
        assert_eq!(d.algorithm(), "sha256");
        assert_eq!(d.hex(), HEX);
        assert_eq!(d.tag_prefix(), format!("sha256-{HEX}"));
        assert_eq!(d.to_string(), format!("sha256:{HEX}"));
    }

    #[test]
    fn rejects_short_upper_case_and_unknown_algorithms() {
        assert!(matches!(
            "sha256:abcde".parse::<Digest>(),
            Err(DigestError::BadEncoding { expected: 64, .. })
        ));
        let upper = format!("sha256:{}", HEX.to_uppercase());
        assert!(matches!(
            upper.parse::<Digest>(),
            Err(DigestError::BadEncoding { .. })
        ));
        assert!(matches!(
            format!("md5:{HEX}").parse::<Digest>(),
            Err(DigestError::UnsupportedAlgorithm { .. })
        ));
        assert!(matches!(
            HEX.parse::<Digest>(),
            Err(DigestError::MissingAlgorithm { .. })
        ));
    }

    #[test]
    fn error_message_names_input_and_fix() {
        let err = "sha256:abc".parse::<Digest>().unwrap_err().to_string();
        assert!(err.contains("'sha256:abc'"), "{err}");
        assert!(err.contains("64 lower-case hex"), "{err}");
    }
}
