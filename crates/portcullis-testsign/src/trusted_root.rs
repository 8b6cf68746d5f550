//! The throwaway instance as a whole: one CA, one Rekor-like log, one CT-like log, and the
//! `trusted_root.json` that trusts exactly them.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::ca::CertificateAuthority;
use crate::error::TestSignError;
use crate::log::TransparencyLog;

/// A Fulcio-like CA, a Rekor-like log and a CT-like log, made fresh for a test.
#[derive(Debug)]
pub struct TestSigstore {
    pub(crate) ca: CertificateAuthority,
    pub(crate) rekor: TransparencyLog,
    pub(crate) ct_log: TransparencyLog,
}

impl TestSigstore {
    /// A new instance with fresh keys.
    pub fn new() -> Result<Self, TestSignError> {
        Ok(Self {
            ca: CertificateAuthority::new("fulcio.portcullis.test")?,
            rekor: TransparencyLog::new("rekor.portcullis.test - 1193050959916656506")?,
            ct_log: TransparencyLog::new("ctfe.portcullis.test")?,
        })
    }

    /// The certificate authority.
    pub fn ca(&self) -> &CertificateAuthority {
        &self.ca
    }

    /// The Rekor-like log.
    pub fn rekor(&self) -> &TransparencyLog {
        &self.rekor
    }

    /// The CT-like log.
    pub fn ct_log(&self) -> &TransparencyLog {
        &self.ct_log
    }

    /// A `trusted_root.json` (protobuf-specs `TrustedRoot`, version 0.1) trusting this CA,
    /// this Rekor log and this CT log from a day ago, with no timestamp authority.
    pub fn trusted_root_json(&self) -> Result<Vec<u8>, TestSignError> {
        let start = (Timestamp::now() - SignedDuration::from_hours(24)).to_string();
        let log = |log: &TransparencyLog, url: &str| -> Value {
            json!({
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": log.key().spki_base64(),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": start},
                },
                "logId": {"keyId": STANDARD.encode(log.key().key_id())},
            })
        };
        let root = json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(&self.rekor, "https://rekor.portcullis.test")],
            "certificateAuthorities": [{
                "subject": {"organization": "portcullis-test", "commonName": "fulcio.portcullis.test"},
                "uri": "https://fulcio.portcullis.test",
                "certChain": {"certificates": [{"rawBytes": STANDARD.encode(self.ca.certificate_der())}]},
                "validFor": {"start": start},
            }],
            "ctlogs": [log(&self.ct_log, "https://ctfe.portcullis.test")],
            "timestampAuthorities": [],
        });
        Ok(serde_json::to_vec_pretty(&root)?)
    }

    /// Writes [`Self::trusted_root_json`] to `dir/trusted_root.json` and returns the path.
    pub fn write_trusted_root(&self, dir: &Path) -> Result<PathBuf, TestSignError> {
        let path = dir.join("trusted_root.json");
        std::fs::write(&path, self.trusted_root_json()?).map_err(|source| {
            TestSignError::Write {
                path: path.clone(),
                source,
            }
        })?;
        Ok(path)
    }
}
