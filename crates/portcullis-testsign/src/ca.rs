//! A Fulcio-like certificate authority: a self-signed root that issues short-lived code-signing
//! leaf certificates carrying an OIDC identity and Fulcio's extensions, each with an SCT from
//! a CT-like log embedded as Fulcio embeds it.
//!
//! The certificates are assembled from `x509-cert` types and signed here: the SCT must sign
//! the exact to-be-signed certificate minus the SCT extension, which no certificate builder
//! exposes, so the two signatures are made by hand around one `TbsCertificate`.

use std::str::FromStr as _;

use jiff::{SignedDuration, Timestamp};
use sigstore_verify::crypto::sha256;
use x509_cert::der::asn1::{BitString, Ia5String, OctetString, UtcTime, Utf8StringRef};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

use crate::encoding::pem;
use crate::error::TestSignError;
use crate::key::SigningKey;
use crate::log::TransparencyLog;

const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
const CT_PRECERT_SCTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
/// Fulcio's first issuer extension: the raw issuer URL, not DER-wrapped.
const FULCIO_ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
/// Fulcio's issuer extension since 1.8: a DER UTF8String.
const FULCIO_ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");

/// The identity a leaf certificate is issued to, as Fulcio puts it in the SAN.
#[derive(Clone, Debug)]
pub enum San {
    /// An email address (`rfc822Name`), as for a person signing in with an email provider.
    Email(String),
    /// A URI, as for a workload (a CI workflow, a Kubernetes service account).
    Uri(String),
}

/// What a leaf certificate says and how long it lives.
#[derive(Clone, Debug)]
pub struct LeafSpec {
    /// The identity.
    pub san: San,
    /// The OIDC issuer, written in both Fulcio issuer extensions.
    pub issuer: String,
    /// Start of validity.
    pub not_before: Timestamp,
    /// End of validity.
    pub not_after: Timestamp,
    /// Further Fulcio extensions `(OID, value)`, each a DER UTF8String (the GitHub workflow
    /// claims from `1.3.6.1.4.1.57264.1.9` on).
    pub extensions: Vec<(String, String)>,
    /// Whether the certificate carries an SCT from the CT log.
    pub sct: bool,
}

impl LeafSpec {
    /// A certificate for `san` from `issuer`, valid from a minute ago for ten minutes, with
    /// an SCT: what Fulcio issues.
    pub fn new(san: San, issuer: &str) -> Self {
        let now = Timestamp::now();
        Self {
            san,
            issuer: issuer.to_owned(),
            not_before: now - SignedDuration::from_secs(60),
            not_after: now + SignedDuration::from_secs(600),
            extensions: Vec::new(),
            sct: true,
        }
    }

    /// An email identity.
    pub fn email(email: &str, issuer: &str) -> Self {
        Self::new(San::Email(email.to_owned()), issuer)
    }

    /// A URI identity.
    pub fn uri(uri: &str, issuer: &str) -> Self {
        Self::new(San::Uri(uri.to_owned()), issuer)
    }

    /// Another validity window.
    pub fn valid(mut self, not_before: Timestamp, not_after: Timestamp) -> Self {
        self.not_before = not_before;
        self.not_after = not_after;
        self
    }

    /// One more Fulcio extension (a DER UTF8String value).
    pub fn extension(mut self, oid: &str, value: &str) -> Self {
        self.extensions.push((oid.to_owned(), value.to_owned()));
        self
    }

    /// Without the SCT.
    pub fn without_sct(mut self) -> Self {
        self.sct = false;
        self
    }
}

/// A self-signed root that issues leaf certificates directly.
#[derive(Debug)]
pub struct CertificateAuthority {
    key: SigningKey,
    name: Name,
    cert: Vec<u8>,
    serial: std::sync::atomic::AtomicU32,
}

impl CertificateAuthority {
    /// A new root named `CN=<common_name>,O=portcullis-test`, valid from a day ago for a year.
    pub fn new(common_name: &str) -> Result<Self, TestSignError> {
        let key = SigningKey::generate()?;
        let name = Name::from_str(&format!("CN={common_name},O=portcullis-test"))?;
        let now = Timestamp::now();
        let spki = SubjectPublicKeyInfoOwned::from_der(key.spki_der())?;
        let ski = sha256(key.spki_der());
        let extensions = vec![
            extension(
                ObjectIdentifier::new_unwrap("2.5.29.19"),
                true,
                &BasicConstraints {
                    ca: true,
                    path_len_constraint: Some(0),
                }
                .to_der()?,
            )?,
            extension(
                ObjectIdentifier::new_unwrap("2.5.29.15"),
                true,
                &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign).to_der()?,
            )?,
            extension(
                ObjectIdentifier::new_unwrap("2.5.29.14"),
                false,
                &SubjectKeyIdentifier(OctetString::new(&ski.as_bytes()[..20])?).to_der()?,
            )?,
        ];
        let tbs = TbsCertificate {
            version: Version::V3,
            serial_number: SerialNumber::new(&[1])?,
            signature: ecdsa_sha256(),
            issuer: name.clone(),
            validity: validity(
                now - SignedDuration::from_hours(24),
                now + SignedDuration::from_hours(24 * 365),
            )?,
            subject: name.clone(),
            subject_public_key_info: spki,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(extensions),
        };
        let cert = sign_certificate(&key, tbs)?;
        Ok(Self {
            key,
            name,
            cert,
            serial: std::sync::atomic::AtomicU32::new(2),
        })
    }

    /// The root certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert
    }

    /// The root certificate, PEM.
    pub fn certificate_pem(&self) -> String {
        pem("CERTIFICATE", &self.cert)
    }

    /// Issues a leaf certificate for the public key `leaf_spki` (DER) as `spec` says; the SCT
    /// (when the spec asks for one) comes from `ct_log`, timestamped at `not_before`.
    pub fn issue(
        &self,
        leaf_spki: &[u8],
        spec: &LeafSpec,
        ct_log: &TransparencyLog,
    ) -> Result<Vec<u8>, TestSignError> {
        let serial = self
            .serial
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let san = match &spec.san {
            San::Email(email) => GeneralName::Rfc822Name(Ia5String::new(email)?),
            San::Uri(uri) => GeneralName::UniformResourceIdentifier(Ia5String::new(uri)?),
        };
        let mut extensions = vec![
            extension(
                ObjectIdentifier::new_unwrap("2.5.29.15"),
                true,
                &KeyUsage(KeyUsages::DigitalSignature.into()).to_der()?,
            )?,
            extension(
                ObjectIdentifier::new_unwrap("2.5.29.37"),
                false,
                &ExtendedKeyUsage(vec![CODE_SIGNING]).to_der()?,
            )?,
            extension(
                ObjectIdentifier::new_unwrap("2.5.29.17"),
                true,
                &SubjectAltName(vec![san]).to_der()?,
            )?,
            extension(FULCIO_ISSUER_V1, false, spec.issuer.as_bytes())?,
            extension(
                FULCIO_ISSUER_V2,
                false,
                &Utf8StringRef::new(&spec.issuer)?.to_der()?,
            )?,
        ];
        for (oid, value) in &spec.extensions {
            let oid = ObjectIdentifier::new(oid).map_err(|e| TestSignError::Der(e.to_string()))?;
            extensions.push(extension(
                oid,
                false,
                &Utf8StringRef::new(value)?.to_der()?,
            )?);
        }
        let mut tbs = TbsCertificate {
            version: Version::V3,
            serial_number: SerialNumber::new(&serial.to_be_bytes())?,
            signature: ecdsa_sha256(),
            issuer: self.name.clone(),
            validity: validity(spec.not_before, spec.not_after)?,
            // Fulcio leaves the subject empty; the identity is in the SAN.
            subject: Name::default(),
            subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(leaf_spki)?,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(extensions),
        };
        if spec.sct {
            let precert = tbs.to_der()?;
            let millis = u64::try_from(spec.not_before.as_millisecond()).unwrap_or_default();
            let list = ct_log.sct_list(&precert, self.key.spki_der(), millis)?;
            let value = OctetString::new(list)?.to_der()?;
            if let Some(extensions) = tbs.extensions.as_mut() {
                extensions.push(extension(CT_PRECERT_SCTS, false, &value)?);
            }
        }
        sign_certificate(&self.key, tbs)
    }
}

fn ecdsa_sha256() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ECDSA_WITH_SHA256,
        parameters: None,
    }
}

fn validity(not_before: Timestamp, not_after: Timestamp) -> Result<Validity, TestSignError> {
    let time = |t: Timestamp| -> Result<Time, TestSignError> {
        let secs = u64::try_from(t.as_second())
            .map_err(|_| TestSignError::Der(format!("{t} is before 1970")))?;
        Ok(Time::UtcTime(UtcTime::from_unix_duration(
            std::time::Duration::from_secs(secs),
        )?))
    };
    Ok(Validity {
        not_before: time(not_before)?,
        not_after: time(not_after)?,
    })
}

fn extension(
    oid: ObjectIdentifier,
    critical: bool,
    value: &[u8],
) -> Result<Extension, TestSignError> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value)?,
    })
}

fn sign_certificate(key: &SigningKey, tbs: TbsCertificate) -> Result<Vec<u8>, TestSignError> {
    let signature = key.sign(&tbs.to_der()?)?;
    let cert = Certificate {
        tbs_certificate: tbs,
        signature_algorithm: ecdsa_sha256(),
        signature: BitString::from_bytes(&signature)?,
    };
    Ok(cert.to_der()?)
}
