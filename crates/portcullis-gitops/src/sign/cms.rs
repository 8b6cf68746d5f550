//! The detached CMS `SignedData` (RFC 5652) both X.509 modes write: ECDSA P-256 with SHA-256
//! over signed attributes (content type, message digest, signing time), the leaf and its
//! chain carried inside, PEM-armoured as gpgsm and gitsign write it.
//!
//! Signing happens in two steps so a caller can act on the signature before the structure is
//! closed: [`sign_attributes`] signs, [`assemble`] wraps the result, optionally with unsigned
//! attributes (the keyless signer adds its transparency log entry there).

use std::time::SystemTime;

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use sigstore_verify::crypto::KeyPair;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use x509_cert::der::pem::LineEnding;
use x509_cert::der::{Any, Encode as _};
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::time::Time;

use super::error::{BoxError, X509Error};
use super::{Signature, SignatureFormat};
use crate::oid::{
    ECDSA_WITH_SHA256, ID_CONTENT_TYPE, ID_DATA, ID_MESSAGE_DIGEST, ID_SHA256, ID_SIGNED_DATA,
    ID_SIGNING_TIME,
};

/// The PEM label gpgsm and gitsign use for a CMS signature.
pub(crate) const PEM_LABEL: &str = "SIGNED MESSAGE";

/// Signed attributes and the signature over their DER.
pub(crate) struct SignedAttributes {
    attrs: SetOfVec<Attribute>,
    der: Vec<u8>,
    signature: Vec<u8>,
}

impl SignedAttributes {
    /// The DER of the attributes as a SET OF: what the signature covers.
    pub(crate) fn der(&self) -> &[u8] {
        &self.der
    }

    /// The DER ECDSA signature.
    pub(crate) fn signature(&self) -> &[u8] {
        &self.signature
    }
}

/// Signs the content type, the digest of `payload` and the signing time `now` with `key`.
pub(crate) fn sign_attributes(
    key: &KeyPair,
    payload: &[u8],
    now: SystemTime,
) -> Result<SignedAttributes, X509Error> {
    let digest = sigstore_verify::crypto::sha256(payload);
    let attrs: SetOfVec<Attribute> = SetOfVec::try_from(vec![
        attribute(ID_CONTENT_TYPE, Any::encode_from(&ID_DATA).map_err(der)?)?,
        attribute(
            ID_SIGNING_TIME,
            Any::encode_from(&Time::try_from(now).map_err(der)?).map_err(der)?,
        )?,
        attribute(
            ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest.as_bytes().to_vec()).map_err(der)?)
                .map_err(der)?,
        )?,
    ])
    .map_err(der)?;
    // RFC 5652 5.4: the signature covers the DER of the attributes as a SET OF.
    let der_bytes = attrs.to_der().map_err(der)?;
    let signature = key
        .sign(&der_bytes)
        .map_err(|e| X509Error::Sign(Box::new(e)))?;
    Ok(SignedAttributes {
        attrs,
        der: der_bytes,
        signature: signature.as_bytes().to_vec(),
    })
}

/// The PEM-armoured detached `SignedData` for `signed`, made by `leaf`'s key, carrying
/// `leaf` and `chain` (duplicates dropped) and the `unsigned` attributes when given.
pub(crate) fn assemble(
    signed: SignedAttributes,
    leaf: &Certificate,
    chain: &[Certificate],
    unsigned: Vec<Attribute>,
) -> Result<Signature, X509Error> {
    let unsigned_attrs = if unsigned.is_empty() {
        None
    } else {
        Some(SetOfVec::try_from(unsigned).map_err(der)?)
    };
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: leaf.tbs_certificate.issuer.clone(),
            serial_number: leaf.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: algorithm(ID_SHA256),
        signed_attrs: Some(signed.attrs),
        signature_algorithm: algorithm(ECDSA_WITH_SHA256),
        signature: OctetString::new(signed.signature).map_err(der)?,
        unsigned_attrs,
    };
    let mut certificates = vec![CertificateChoices::Certificate(leaf.clone())];
    for cert in chain {
        let choice = CertificateChoices::Certificate(cert.clone());
        if !certificates.contains(&choice) {
            certificates.push(choice);
        }
    }
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![algorithm(ID_SHA256)]).map_err(der)?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            // Detached: the content is the commit, which the verifier supplies.
            econtent: None,
        },
        certificates: Some(CertificateSet(
            SetOfVec::try_from(certificates).map_err(der)?,
        )),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info]).map_err(der)?),
    };
    let content_info = ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed_data).map_err(der)?,
    };
    let bytes = content_info.to_der().map_err(der)?;
    let pem = x509_cert::der::pem::encode_string(PEM_LABEL, LineEnding::LF, &bytes)
        .map_err(|e| der(x509_cert::der::Error::from(e)))?;
    Ok(Signature::new(SignatureFormat::X509, pem))
}

/// Whether `certificate` certifies `key`: its subject public key is the key's public half.
pub(crate) fn certifies(certificate: &Certificate, key: &KeyPair) -> bool {
    certificate
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .as_bytes()
        == Some(key.public_key_bytes())
}

fn der(e: x509_cert::der::Error) -> X509Error {
    let boxed: BoxError = Box::new(e);
    X509Error::Encode(boxed)
}

fn algorithm(oid: ObjectIdentifier) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: None,
    }
}

/// A single-valued attribute.
pub(crate) fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, X509Error> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).map_err(der)?,
    })
}
