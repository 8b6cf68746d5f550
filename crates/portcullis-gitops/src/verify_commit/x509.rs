//! X.509 commit signatures: a detached CMS `SignedData` (RFC 5652) in PEM
//! (`-----BEGIN SIGNED MESSAGE-----`), as gpgsm and gitsign write and this crate's signer
//! makes.
//!
//! Checks, in order: one signer; SHA-256 digest; the signed attributes hold content type
//! `data`, the message digest of the payload and a signing time; the signature over the DER
//! of the signed attributes verifies with the signer certificate's key; the certificate
//! chains (through intermediates carried in the signature) to one of the trusted CA
//! certificates, each link's signature checked; every certificate of the chain was valid at
//! the authenticated signing time, not now: a short-lived (keyless) certificate has long
//! expired when the commit is read. A keyless signature (carrying a Rekor entry as an
//! unsigned attribute) is checked by [`super::keyless`]; its integrated time is then the
//! signing time and the trusted root's Fulcio CAs the anchors.

use std::time::{Duration, SystemTime};

use cms::cert::CertificateChoices;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use sigstore_verify::crypto::{KeyAlgorithm, SigningScheme, VerificationKey};
use sigstore_verify::types::{DerCertificate, DerPublicKey, SignatureBytes};
use x509_cert::Certificate;
use x509_cert::der::asn1::{ObjectIdentifier, OctetString};
use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::ext::pkix::{BasicConstraints, SubjectKeyIdentifier};
use x509_cert::time::Time;

use super::error::VerifyCommitError;
use super::keyless::{self, KeylessTrust};
use crate::oid::{
    ID_CONTENT_TYPE, ID_DATA, ID_MESSAGE_DIGEST, ID_SHA256, ID_SIGNED_DATA, ID_SIGNING_TIME,
};

const ID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const ID_SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");

/// The longest chain followed from the signer to a trusted CA.
const MAX_DEPTH: usize = 8;
/// How far in the future a signing time may lie (clock skew between signer and verifier).
const FUTURE_SKEW: Duration = Duration::from_secs(300);

/// What a verified X.509 signature says about its signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct X509Signer {
    pub(crate) subject: String,
    pub(crate) email: Option<String>,
    pub(crate) issuer: String,
    pub(crate) signing_time: SystemTime,
    /// The Rekor log index, for a keyless signature.
    pub(crate) log_index: Option<u64>,
    /// The leaf's textual extensions by OID (Fulcio's OIDC issuer and workflow claims).
    pub(crate) claims: std::collections::BTreeMap<String, String>,
}

/// The trust material an X.509 signature may be checked against.
#[derive(Default)]
pub(crate) struct Trust {
    /// Trusted CA certificates, for certificates with a lasting validity.
    pub(crate) ca: Option<Vec<Certificate>>,
    /// A Sigstore trusted root, for keyless signatures.
    pub(crate) keyless: Option<KeylessTrust>,
}

fn malformed(what: impl std::fmt::Display) -> VerifyCommitError {
    VerifyCommitError::MalformedSignature(what.to_string())
}

/// Loads the trusted CA certificates from PEM.
pub(crate) fn load_trusted(pem: &[u8]) -> Result<Vec<Certificate>, String> {
    let certs = crate::sign::pem_certificates(pem)?;
    if certs.is_empty() {
        return Err("no PEM certificate in it".to_owned());
    }
    Ok(certs)
}

/// Verifies the PEM CMS `signature` over `payload` against `trust`.
pub(crate) fn verify(
    signature: &str,
    payload: &[u8],
    trust: &Trust,
) -> Result<X509Signer, VerifyCommitError> {
    let (label, der) = x509_cert::der::pem::decode_vec(signature.as_bytes())
        .map_err(|e| malformed(format!("not PEM: {e}")))?;
    if !matches!(label, "SIGNED MESSAGE" | "CMS" | "PKCS7") {
        return Err(malformed(format!("unexpected PEM label '{label}'")));
    }
    let info = ContentInfo::from_der(&der).map_err(|e| malformed(format!("CMS: {e}")))?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(malformed(format!(
            "content type {} is not SignedData",
            info.content_type
        )));
    }
    let signed: SignedData = info
        .content
        .decode_as()
        .map_err(|e| malformed(format!("SignedData: {e}")))?;
    // RFC 5652 5.3 and 11.1: the signed content type must be the encapsulated one, and the
    // signer's digest algorithm one of those listed. Neither is covered by the signature, so
    // anything else is refused rather than ignored.
    if signed.encap_content_info.econtent_type != ID_DATA {
        return Err(malformed(format!(
            "encapsulated content type {} is not data",
            signed.encap_content_info.econtent_type
        )));
    }
    if signed.encap_content_info.econtent.is_some() {
        return Err(malformed("the signature is not detached"));
    }
    let signer = match signed.signer_infos.0.as_slice() {
        [one] => one,
        [] => return Err(malformed("no signer")),
        more => return Err(malformed(format!("{} signers, expected one", more.len()))),
    };
    // RFC 5652 5.1 and 5.3: the versions follow from the signer identifier; they are not
    // signed either, so a version that does not fit is refused.
    let signer_version = match signer.sid {
        SignerIdentifier::IssuerAndSerialNumber(_) => CmsVersion::V1,
        SignerIdentifier::SubjectKeyIdentifier(_) => CmsVersion::V3,
    };
    if signer.version != signer_version || signed.version != signer_version {
        return Err(malformed(format!(
            "versions SignedData {:?} / SignerInfo {:?} do not fit the signer identifier",
            signed.version, signer.version
        )));
    }
    if signer.digest_alg.oid != ID_SHA256 {
        return Err(malformed(format!(
            "digest algorithm {} is not SHA-256",
            signer.digest_alg.oid
        )));
    }
    if !signed
        .digest_algorithms
        .iter()
        .any(|a| a.oid == signer.digest_alg.oid)
    {
        return Err(malformed(
            "the signer's digest algorithm is not listed in SignedData",
        ));
    }
    let carried: Vec<&Certificate> = signed
        .certificates
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    CertificateChoices::Certificate(cert) => Some(cert),
                    CertificateChoices::Other(_) => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let leaf = carried
        .iter()
        .copied()
        .find(|c| identifies(&signer.sid, c))
        .ok_or_else(|| malformed("the signer certificate is not in the signature"))?;

    let attrs = SignedAttributes::read(signer)?;
    let actual = sigstore_verify::crypto::sha256(payload);
    if attrs.message_digest.as_slice() != actual.as_bytes() {
        return Err(VerifyCommitError::DigestMismatch {
            signed: hex(&attrs.message_digest),
            actual: hex(actual.as_bytes()),
        });
    }
    let signed_attrs_der = signer
        .signed_attrs
        .as_ref()
        .map(|a| a.to_der())
        .transpose()
        .map_err(|e| malformed(format!("signed attributes: {e}")))?
        .unwrap_or_default();
    check_signature(
        leaf,
        &signer.signature_algorithm.oid,
        Some(&signer.digest_alg.oid),
        &signed_attrs_der,
        signer.signature.as_bytes(),
    )
    .map_err(|e| VerifyCommitError::BadSignature(format!("over the signed attributes: {e}")))?;

    let signing_time = attrs.signing_time;
    let signing_unix = unix(signing_time);
    if SystemTime::now()
        .checked_add(FUTURE_SKEW)
        .is_some_and(|limit| signing_time > limit)
    {
        return Err(VerifyCommitError::SigningTimeInFuture {
            signing_time_unix: signing_unix,
        });
    }
    let (at, trusted, log_index) = match rekor_entry(signer)? {
        Some(entry) => {
            let root = trust
                .keyless
                .as_ref()
                .ok_or(VerifyCommitError::NoTrustedRoot)?;
            let logged = keyless::verify_entry(
                &entry,
                root,
                &signed_attrs_der,
                signer.signature.as_bytes(),
                leaf,
            )?;
            (logged.integrated_time, root.cas(), Some(logged.log_index))
        }
        None => {
            let ca = trust.ca.as_deref().ok_or(VerifyCommitError::NoTrustedCa)?;
            (signing_time, ca, None)
        }
    };
    let issuer = chain_to_trusted(leaf, &carried, trusted, at)?;
    // A Fulcio leaf is always issued for code signing. A CA-issued leaf may say code signing
    // or e-mail protection (what gpgsm signers carry), or say nothing; one issued for
    // another purpose only (a TLS server certificate) does not sign commits.
    let purpose_ok = match eku(leaf) {
        Some(usages) if log_index.is_some() => usages.contains(&CODE_SIGNING),
        Some(usages) => usages.contains(&CODE_SIGNING) || usages.contains(&EMAIL_PROTECTION),
        None => log_index.is_none(),
    };
    if !purpose_ok {
        return Err(VerifyCommitError::BadSignature(
            "the signing certificate is not issued for code signing or e-mail protection (extended key usage)"
                .to_owned(),
        ));
    }
    let claims = leaf
        .to_der()
        .map(|der| portcullis_verify::claims::read(&der))
        .unwrap_or_default();
    Ok(X509Signer {
        subject: leaf.tbs_certificate.subject.to_string(),
        email: identity(leaf),
        issuer,
        signing_time: at,
        log_index,
        claims,
    })
}

const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
const EMAIL_PROTECTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.4");

/// The certificate's extended key usages; `None` when it has no such extension.
fn eku(cert: &Certificate) -> Option<Vec<ObjectIdentifier>> {
    match cert
        .tbs_certificate
        .get::<x509_cert::ext::pkix::ExtendedKeyUsage>()
    {
        Ok(Some((_, eku))) => Some(eku.0),
        // Present but unreadable: no usage can be claimed from it.
        Err(_) => Some(Vec::new()),
        Ok(None) => None,
    }
}

/// The Rekor entry a keyless signer put in the unsigned attributes, if any: one attribute
/// with one OCTET STRING value.
fn rekor_entry(signer: &SignerInfo) -> Result<Option<Vec<u8>>, VerifyCommitError> {
    let Some(attrs) = signer.unsigned_attrs.as_ref() else {
        return Ok(None);
    };
    let mut found = attrs
        .iter()
        .filter(|a| a.oid == crate::sign::REKOR_ENTRY_OID);
    match (found.next(), found.next()) {
        (None, _) => Ok(None),
        (Some(_), Some(_)) => Err(malformed("more than one Rekor entry attribute")),
        (Some(a), None) => match a.values.as_slice() {
            [v] => v
                .decode_as::<OctetString>()
                .map(|o| Some(o.as_bytes().to_vec()))
                .map_err(|e| malformed(format!("Rekor entry attribute: {e}"))),
            _ => Err(malformed("the Rekor entry attribute has not one value")),
        },
    }
}

/// The content type, message digest and signing time, each present exactly once.
struct SignedAttributes {
    message_digest: Vec<u8>,
    signing_time: SystemTime,
}

impl SignedAttributes {
    fn read(signer: &SignerInfo) -> Result<Self, VerifyCommitError> {
        let attrs = signer
            .signed_attrs
            .as_ref()
            .ok_or_else(|| malformed("no signed attributes"))?;
        let single = |oid: ObjectIdentifier, name: &str| {
            let mut found = attrs.iter().filter(|a| a.oid == oid);
            match (found.next(), found.next()) {
                (Some(a), None) => match a.values.as_slice() {
                    [v] => Ok(v.clone()),
                    _ => Err(malformed(format!("the {name} attribute has not one value"))),
                },
                (None, _) => Err(malformed(format!("no {name} signed attribute"))),
                (Some(_), Some(_)) => Err(malformed(format!("more than one {name} attribute"))),
            }
        };
        let content_type: ObjectIdentifier =
            single(ID_CONTENT_TYPE, "content type")?
                .decode_as()
                .map_err(|e| malformed(format!("content type: {e}")))?;
        if content_type != ID_DATA {
            return Err(malformed(format!(
                "signed content type {content_type} is not data"
            )));
        }
        let digest: OctetString = single(ID_MESSAGE_DIGEST, "message digest")?
            .decode_as()
            .map_err(|e| malformed(format!("message digest: {e}")))?;
        // `Time` is a CHOICE (UTCTime or GeneralizedTime): decode it from the whole TLV.
        let time = single(ID_SIGNING_TIME, "signing time")?
            .to_der()
            .and_then(|der| Time::from_der(&der))
            .map_err(|e| malformed(format!("signing time: {e}")))?;
        Ok(Self {
            message_digest: digest.as_bytes().to_vec(),
            signing_time: time.to_system_time(),
        })
    }
}

/// Whether `cert` is the one `sid` names.
fn identifies(sid: &SignerIdentifier, cert: &Certificate) -> bool {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(id) => {
            id.issuer == cert.tbs_certificate.issuer
                && id.serial_number == cert.tbs_certificate.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            extension::<SubjectKeyIdentifier>(cert, ID_SUBJECT_KEY_ID).is_some_and(|c| c == *ski)
        }
    }
}

fn extension<T: for<'a> x509_cert::der::Decode<'a>>(
    cert: &Certificate,
    oid: ObjectIdentifier,
) -> Option<T> {
    cert.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == oid)
        .and_then(|e| T::from_der(e.extn_value.as_bytes()).ok())
}

/// Follows issuers from `leaf` through `carried` certificates to one of `trusted`, checking
/// each signature and each validity at `at`. Returns the trusted CA's subject.
fn chain_to_trusted(
    leaf: &Certificate,
    carried: &[&Certificate],
    trusted: &[Certificate],
    at: SystemTime,
) -> Result<String, VerifyCommitError> {
    let mut current = leaf;
    let mut used: Vec<&Certificate> = vec![leaf];
    for _ in 0..MAX_DEPTH {
        valid_at(current, at)?;
        let issuer_name = &current.tbs_certificate.issuer;
        let anchor = trusted
            .iter()
            .find(|ca| ca.tbs_certificate.subject == *issuer_name && issued(current, ca).is_ok());
        if let Some(ca) = anchor {
            valid_at(ca, at)?;
            return Ok(ca.tbs_certificate.subject.to_string());
        }
        let next = carried.iter().copied().find(|c| {
            !used.contains(c)
                && c.tbs_certificate.subject == *issuer_name
                && is_ca(c)
                && issued(current, c).is_ok()
        });
        match next {
            Some(intermediate) => {
                used.push(intermediate);
                current = intermediate;
            }
            None => {
                let named = trusted
                    .iter()
                    .any(|ca| ca.tbs_certificate.subject == *issuer_name);
                let why = if named {
                    "a trusted CA has the issuer's name but its key did not sign the certificate"
                } else {
                    "no trusted CA (or intermediate in the signature) issued it"
                };
                return Err(VerifyCommitError::UntrustedCa(format!(
                    "certificate '{}' issued by '{}': {why}",
                    current.tbs_certificate.subject, issuer_name
                )));
            }
        }
    }
    Err(VerifyCommitError::UntrustedCa(format!(
        "no trusted CA within {MAX_DEPTH} certificates of the signer"
    )))
}

fn is_ca(cert: &Certificate) -> bool {
    extension::<BasicConstraints>(cert, ID_BASIC_CONSTRAINTS).is_some_and(|bc| bc.ca)
}

fn valid_at(cert: &Certificate, at: SystemTime) -> Result<(), VerifyCommitError> {
    let validity = &cert.tbs_certificate.validity;
    let not_before = validity.not_before.to_system_time();
    let not_after = validity.not_after.to_system_time();
    if at < not_before || at > not_after {
        return Err(VerifyCommitError::NotValidAtSigningTime {
            subject: cert.tbs_certificate.subject.to_string(),
            signing_time_unix: unix(at),
            not_before_unix: unix(not_before),
            not_after_unix: unix(not_after),
        });
    }
    Ok(())
}

/// Whether `issuer`'s key made `cert`'s signature over its TBS certificate.
fn issued(cert: &Certificate, issuer: &Certificate) -> Result<(), String> {
    let tbs = cert.tbs_certificate.to_der().map_err(|e| e.to_string())?;
    let signature = cert
        .signature
        .as_bytes()
        .ok_or_else(|| "the signature BIT STRING has unused bits".to_owned())?;
    check_signature(issuer, &cert.signature_algorithm.oid, None, &tbs, signature)
}

/// Checks `signature` over `data` with `signer`'s key, for the signature algorithm `alg`
/// (`digest` names the hash when `alg` names only the key type, as CMS allows).
fn check_signature(
    signer: &Certificate,
    alg: &ObjectIdentifier,
    digest: Option<&ObjectIdentifier>,
    data: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    let spki = signer
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| e.to_string())?;
    let spki = DerPublicKey::new(spki);
    let key_alg = KeyAlgorithm::from_spki(&spki).map_err(|e| e.to_string())?;
    let scheme = scheme(key_alg, alg, digest)
        .ok_or_else(|| format!("unsupported signature algorithm {alg} for a {key_alg:?} key"))?;
    let key = VerificationKey::from_spki_with_scheme(&spki, scheme).map_err(|e| e.to_string())?;
    key.verify(data, &SignatureBytes::from_bytes(signature))
        .map_err(|e| e.to_string())
}

/// Hash sizes named by signature (or digest) algorithm identifiers.
fn hash_bits(oid: &ObjectIdentifier) -> Option<u16> {
    match oid.to_string().as_str() {
        // ecdsa-with-SHA256/384/512
        "1.2.840.10045.4.3.2" => Some(256),
        "1.2.840.10045.4.3.3" => Some(384),
        "1.2.840.10045.4.3.4" => Some(512),
        // sha256/384/512WithRSAEncryption
        "1.2.840.113549.1.1.11" => Some(256),
        "1.2.840.113549.1.1.12" => Some(384),
        "1.2.840.113549.1.1.13" => Some(512),
        // id-sha256/384/512
        "2.16.840.1.101.3.4.2.1" => Some(256),
        "2.16.840.1.101.3.4.2.2" => Some(384),
        "2.16.840.1.101.3.4.2.3" => Some(512),
        _ => None,
    }
}

fn scheme(
    key: KeyAlgorithm,
    alg: &ObjectIdentifier,
    digest: Option<&ObjectIdentifier>,
) -> Option<SigningScheme> {
    let alg_s = alg.to_string();
    // id-ecPublicKey / rsaEncryption as the signature algorithm: the hash is the digest's.
    let bits = match alg_s.as_str() {
        "1.2.840.10045.2.1" | "1.2.840.113549.1.1.1" => digest.and_then(hash_bits),
        "1.3.101.112" => None,
        _ => Some(hash_bits(alg)?),
    };
    let ecdsa = alg_s.starts_with("1.2.840.10045.");
    let rsa = alg_s.starts_with("1.2.840.113549.1.1.");
    match (key, bits) {
        (KeyAlgorithm::EcdsaP256, Some(256)) if ecdsa => Some(SigningScheme::EcdsaP256Sha256),
        (KeyAlgorithm::EcdsaP256, Some(384)) if ecdsa => Some(SigningScheme::EcdsaP256Sha384),
        (KeyAlgorithm::EcdsaP384, Some(256)) if ecdsa => Some(SigningScheme::EcdsaP384Sha256),
        (KeyAlgorithm::EcdsaP384, Some(384)) if ecdsa => Some(SigningScheme::EcdsaP384Sha384),
        (KeyAlgorithm::Rsa, Some(256)) if rsa => Some(SigningScheme::RsaPkcs1Sha256),
        (KeyAlgorithm::Rsa, Some(384)) if rsa => Some(SigningScheme::RsaPkcs1Sha384),
        (KeyAlgorithm::Rsa, Some(512)) if rsa => Some(SigningScheme::RsaPkcs1Sha512),
        (KeyAlgorithm::Ed25519, None) if alg_s == "1.3.101.112" => Some(SigningScheme::Ed25519),
        _ => None,
    }
}

/// The first e-mail (or URI) subject alternative name.
fn identity(cert: &Certificate) -> Option<String> {
    let der = cert.to_der().ok()?;
    sigstore_verify::crypto::parse_certificate_info(&DerCertificate::new(der))
        .ok()?
        .identity
        .map(|san| san.as_str().to_owned())
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for sig in [
            "",
            "-----BEGIN SIGNED MESSAGE-----\n-----END SIGNED MESSAGE-----\n",
            "-----BEGIN SIGNED MESSAGE-----\nMAA=\n-----END SIGNED MESSAGE-----\n",
            "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
        ] {
            let err = verify(sig, b"x", &Trust::default()).unwrap_err();
            assert!(
                matches!(err, VerifyCommitError::MalformedSignature(_)),
                "{err}"
            );
        }
    }

    #[test]
    fn schemes_follow_the_key_and_the_hash() {
        let ecdsa256 = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
        let ec_key = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
        assert_eq!(
            scheme(KeyAlgorithm::EcdsaP256, &ecdsa256, None),
            Some(SigningScheme::EcdsaP256Sha256)
        );
        assert_eq!(
            scheme(KeyAlgorithm::EcdsaP384, &ec_key, Some(&ID_SHA256)),
            Some(SigningScheme::EcdsaP384Sha256)
        );
        assert_eq!(scheme(KeyAlgorithm::Rsa, &ecdsa256, None), None);
        assert_eq!(scheme(KeyAlgorithm::EcdsaP256, &ec_key, None), None);
    }

    #[test]
    fn an_empty_ca_file_is_refused() {
        for pem in [&b""[..], b"\n\r\n", b"  ", b"x"] {
            assert!(load_trusted(pem).is_err());
        }
    }
}
