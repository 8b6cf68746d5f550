//! Keyless commit signatures, as gitsign makes them: a fresh P-256 key per commit, a
//! certificate for it from Fulcio bound to the workload's OIDC identity, a detached CMS
//! signature ([`super::cms`]) and a `hashedrekord` entry in Rekor proving when it was made.
//!
//! The certificate lives minutes; what makes the signature verifiable later is Rekor's
//! integrated time. gitsign leaves the entry in the log and looks it up online when
//! verifying; Portcullis carries it in the signature instead, as one CMS *unsigned*
//! attribute ([`REKOR_ENTRY_OID`], an OCTET STRING holding the entry's JSON as Rekor
//! returned it), so `verify-commit` works offline from a trusted root. Unsigned attributes
//! are outside the signature by definition: the verifier trusts the entry only through its
//! signed entry timestamp and checks that it describes this signature and this certificate.
//! gpgsm and `gitsign verify` ignore the attribute.

mod http;
mod token;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use sigstore_verify::crypto::KeyPair;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::der::asn1::{ObjectIdentifier, OctetString};
use x509_cert::der::pem::LineEnding;
use x509_cert::der::{Any, Decode as _, EncodePem as _};

use super::Signature;
use super::cms;
use super::error::{BoxError, KeylessError, SignError};
use token::IdentityToken;

/// The unsigned CMS attribute carrying the Rekor entry. Private to Portcullis and not
/// registered: it sits under the IANA enterprise number reserved for documentation
/// (RFC 5612) until Portcullis has an arc of its own; readers other than Portcullis ignore
/// it. Documented in `docs/signing.md`.
pub(crate) const REKOR_ENTRY_OID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.80.1");

/// Keyless signing settings.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeylessConfig {
    /// The Fulcio instance that issues the signing certificate.
    pub fulcio_url: String,
    /// The Rekor instance that logs each signature.
    pub rekor_url: String,
    /// A file holding the OIDC token that proves the identity (a projected service account
    /// token, re-read for every certificate).
    pub oidc_token_file: PathBuf,
}

impl KeylessConfig {
    /// Keyless settings for these Fulcio and Rekor instances, with the token in
    /// `oidc_token_file`.
    pub fn new(
        fulcio_url: impl Into<String>,
        rekor_url: impl Into<String>,
        oidc_token_file: impl Into<PathBuf>,
    ) -> Self {
        Self {
            fulcio_url: fulcio_url.into(),
            rekor_url: rekor_url.into(),
            oidc_token_file: oidc_token_file.into(),
        }
    }
}

/// A keyless signer: the URLs checked and the token readable when it was built.
#[derive(Debug)]
pub struct KeylessSigner {
    config: KeylessConfig,
}

impl KeylessSigner {
    /// Checks the settings: both URLs are http(s) URLs, the token file holds a JWT.
    pub fn new(config: &KeylessConfig) -> Result<Self, SignError> {
        for (what, url) in [
            ("fulcioUrl", &config.fulcio_url),
            ("rekorUrl", &config.rekor_url),
        ] {
            let parsed = reqwest::Url::parse(url).map_err(|e| KeylessError::Url {
                what,
                url: url.clone(),
                detail: e.to_string(),
            })?;
            // The identity token travels to Fulcio: plain http only to this machine.
            let host = parsed.host_str().unwrap_or("");
            let loopback = host == "localhost"
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            let allowed = match parsed.scheme() {
                "https" => true,
                "http" => loopback,
                _ => false,
            };
            if !allowed {
                return Err(KeylessError::Url {
                    what,
                    url: url.clone(),
                    detail: "https is required (plain http only on loopback)".to_owned(),
                }
                .into());
            }
        }
        IdentityToken::read(&config.oidc_token_file)?;
        Ok(Self {
            config: config.clone(),
        })
    }

    /// A detached CMS signature over `payload` with a fresh key and certificate, logged in
    /// Rekor, the entry embedded.
    pub(crate) fn sign(&self, payload: &[u8]) -> Result<Signature, SignError> {
        let token = IdentityToken::read(&self.config.oidc_token_file)?;
        let key = KeyPair::generate_ecdsa_p256().map_err(|e| KeylessError::Key(Box::new(e)))?;
        let public_pem = key
            .public_key_der()
            .map_err(|e| KeylessError::Key(Box::new(e)))?
            .to_pem();
        let proof = key
            .sign(token.subject().as_bytes())
            .map_err(|e| KeylessError::Key(Box::new(e)))?;
        let pems = http::signing_certificate(
            &self.config.fulcio_url,
            token.jwt(),
            &public_pem,
            proof.as_bytes(),
        )?;
        let (leaf, chain) = certificates(&pems, &key)?;
        let now = SystemTime::now();
        let signed = cms::sign_attributes(&key, payload, now)?;
        let digest = sigstore_verify::crypto::sha256(signed.der());
        // Logged in the canonical PEM form, whatever Fulcio's line lengths were.
        let leaf_pem = leaf
            .to_pem(LineEnding::LF)
            .map_err(|e| KeylessError::Encode(Box::new(e)))?;
        let entry = http::log_hashedrekord(
            &self.config.rekor_url,
            &hex(digest.as_bytes()),
            signed.signature(),
            &leaf_pem,
        )?;
        check_integrated_time(&entry, &leaf)?;
        let json = serde_json::to_vec(&entry).map_err(|e| KeylessError::Encode(Box::new(e)))?;
        let attribute = entry_attribute(json).map_err(KeylessError::Encode)?;
        Ok(cms::assemble(signed, &leaf, &chain, vec![attribute])?)
    }
}

/// The leaf and the rest of the chain Fulcio returned; the leaf must certify `key`.
fn certificates(
    pems: &[String],
    key: &KeyPair,
) -> Result<(Certificate, Vec<Certificate>), KeylessError> {
    let mut certs = Vec::new();
    for pem in pems {
        certs.extend(lenient_pem(pem).map_err(KeylessError::Certificate)?);
    }
    let mut certs = certs.into_iter();
    let leaf = certs
        .next()
        .ok_or_else(|| KeylessError::Certificate("Fulcio returned no certificate".to_owned()))?;
    if !cms::certifies(&leaf, key) {
        return Err(KeylessError::Certificate(
            "Fulcio's certificate does not certify the key it was asked for".to_owned(),
        ));
    }
    Ok((leaf, certs.collect()))
}

/// The certificates in `text`, PEM whose base64 lines may be of any length:
/// `@sigstore/mock` (`fulcio/handler.js` `toPEM`) writes each on one line, which the strict
/// RFC 7468 parser refuses.
fn lenient_pem(text: &str) -> Result<Vec<Certificate>, String> {
    let mut certs = Vec::new();
    let mut body: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line == "-----BEGIN CERTIFICATE-----" {
            body = Some(String::new());
        } else if line == "-----END CERTIFICATE-----" {
            let b64 = body.take().ok_or("END without BEGIN in Fulcio's PEM")?;
            let der = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| format!("Fulcio's PEM: {e}"))?;
            certs.push(
                Certificate::from_der(&der).map_err(|e| format!("Fulcio's certificate: {e}"))?,
            );
        } else if let Some(b) = body.as_mut() {
            b.push_str(line);
        }
    }
    if body.is_some() {
        return Err("Fulcio's PEM ends inside a certificate".to_owned());
    }
    Ok(certs)
}

/// The certificate must have been valid when Rekor logged the signature: otherwise the
/// commit would never verify.
fn check_integrated_time(
    entry: &serde_json::Value,
    leaf: &Certificate,
) -> Result<(), KeylessError> {
    let integrated = entry
        .get("integratedTime")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| {
            KeylessError::Certificate("the Rekor entry has no integratedTime".to_owned())
        })?;
    let at = SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_secs(integrated))
        .ok_or_else(|| {
            KeylessError::Certificate(format!(
                "the Rekor entry's integratedTime {integrated} is not a time"
            ))
        })?;
    let validity = &leaf.tbs_certificate.validity;
    let from = validity.not_before.to_system_time();
    let to = validity.not_after.to_system_time();
    if at < from || at > to {
        return Err(KeylessError::Certificate(format!(
            "Rekor logged the signature at {integrated} (unix seconds), outside the certificate's validity ({} to {})",
            validity.not_before.to_unix_duration().as_secs(),
            validity.not_after.to_unix_duration().as_secs()
        )));
    }
    Ok(())
}

fn entry_attribute(json: Vec<u8>) -> Result<Attribute, BoxError> {
    let value = Any::encode_from(&OctetString::new(json)?)?;
    cms::attribute(REKOR_ENTRY_OID, value).map_err(|e| Box::new(e) as BoxError)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a test fails by panicking

    use base64::engine::general_purpose::STANDARD;
    use portcullis_testsign::{CertificateAuthority, LeafSpec, TransparencyLog};

    use super::*;

    /// A Fulcio-like certificate for `key`, as PEM with the whole base64 body on one line,
    /// the way `@sigstore/mock` writes it.
    fn one_line_pem(ca: &CertificateAuthority, key: &KeyPair) -> String {
        let spki = key.public_key_der().unwrap();
        let spec = LeafSpec::email("bot@example.test", "https://issuer.example.test");
        let log = TransparencyLog::new("ct.example.test").unwrap();
        let der = ca.issue(spki.as_bytes(), &spec, &log).unwrap();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            STANDARD.encode(der)
        )
    }

    #[test]
    fn the_leaf_must_certify_the_key_that_asked_for_it() {
        let ca = CertificateAuthority::new("Fulcio-like").unwrap();
        let key = KeyPair::generate_ecdsa_p256().unwrap();
        let other = KeyPair::generate_ecdsa_p256().unwrap();
        let pems = [one_line_pem(&ca, &key), ca.certificate_pem()];

        let (leaf, chain) = certificates(&pems, &key).unwrap();
        assert!(cms::certifies(&leaf, &key));
        assert_eq!(chain.len(), 1, "the CA follows the leaf");

        let err = certificates(&pems, &other).unwrap_err();
        assert!(err.to_string().contains("does not certify"), "{err}");
        let err = certificates(&[], &key).unwrap_err();
        assert!(err.to_string().contains("no certificate"), "{err}");
    }

    #[test]
    fn pem_with_any_line_length_is_read_and_a_cut_one_refused() {
        let ca = CertificateAuthority::new("Fulcio-like").unwrap();
        let key = KeyPair::generate_ecdsa_p256().unwrap();
        let one_line = one_line_pem(&ca, &key);
        assert_eq!(lenient_pem(&one_line).unwrap().len(), 1);
        assert_eq!(lenient_pem(&ca.certificate_pem()).unwrap().len(), 1);
        let cut = one_line.replace("-----END CERTIFICATE-----\n", "");
        assert!(lenient_pem(&cut).is_err());
        let garbage =
            "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
        assert!(lenient_pem(garbage).is_err());
    }

    #[test]
    fn rekor_must_log_inside_the_certificate_validity() {
        let ca = CertificateAuthority::new("Fulcio-like").unwrap();
        let key = KeyPair::generate_ecdsa_p256().unwrap();
        let pems = [one_line_pem(&ca, &key)];
        let (leaf, _) = certificates(&pems, &key).unwrap();
        let from = leaf
            .tbs_certificate
            .validity
            .not_before
            .to_unix_duration()
            .as_secs();
        let to = leaf
            .tbs_certificate
            .validity
            .not_after
            .to_unix_duration()
            .as_secs();
        let at = |t: u64| serde_json::json!({ "integratedTime": t });
        assert!(check_integrated_time(&at(from), &leaf).is_ok());
        assert!(check_integrated_time(&at(to), &leaf).is_ok());
        assert!(check_integrated_time(&at(from - 1), &leaf).is_err());
        assert!(check_integrated_time(&at(to + 1), &leaf).is_err());
        assert!(check_integrated_time(&at(u64::MAX), &leaf).is_err());
        let missing = check_integrated_time(&serde_json::json!({}), &leaf).unwrap_err();
        assert!(missing.to_string().contains("integratedTime"), "{missing}");
    }
}
