//! Attestations in cosign's legacy layout (`sha256-<hex>.att`): an in-toto statement about
//! an image in a DSSE envelope, signed, logged as an `intoto` 0.0.2 entry, and annotated as
//! `cosign attest` annotates the layer.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde_json::{Value, json};
use sigstore_verify::crypto::sha256;

use crate::encoding::hex;
use crate::error::TestSignError;
use crate::signer::{LegacyLayer, Signer, SigningOptions, cosign_bundle_annotation};
use crate::trusted_root::TestSigstore;

/// The DSSE payload type of an in-toto statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

impl TestSigstore {
    /// Attests `predicate` of `predicate_type` about the image `image_digest`
    /// (`sha256:<hex>`) known as `reference`, as one `.att` layer: the DSSE envelope is the
    /// layer's payload.
    pub fn legacy_attestation_layer(
        &self,
        signer: &Signer,
        reference: &str,
        image_digest: &str,
        predicate_type: &str,
        predicate: &Value,
        options: &SigningOptions,
    ) -> Result<LegacyLayer, TestSignError> {
        let hex_digest = image_digest.strip_prefix("sha256:").unwrap_or(image_digest);
        let statement = serde_json::to_vec(&json!({
            "_type": "https://in-toto.io/Statement/v0.1",
            "predicateType": predicate_type,
            "subject": [{"name": reference, "digest": {"sha256": hex_digest}}],
            "predicate": predicate,
        }))?;
        self.legacy_attestation_for_statement(signer, &statement, options)
    }

    /// Signs an arbitrary in-toto `statement` (bytes) as one `.att` layer.
    pub fn legacy_attestation_for_statement(
        &self,
        signer: &Signer,
        statement: &[u8],
        options: &SigningOptions,
    ) -> Result<LegacyLayer, TestSignError> {
        let signature = signer.key().sign(&pae(IN_TOTO_PAYLOAD_TYPE, statement))?;
        let envelope = serde_json::to_vec(&json!({
            "payloadType": IN_TOTO_PAYLOAD_TYPE,
            "payload": STANDARD.encode(statement),
            "signatures": [{"keyid": "", "sig": STANDARD.encode(&signature)}],
        }))?;
        // cosign leaves the signature annotation empty: the signature is in the envelope.
        let mut annotations = self.layer_annotations(signer, String::new());
        annotations.insert("predicateType".to_owned(), predicate_type_of(statement));
        if options.log {
            // Rekor's intoto 0.0.2 body: the signature double-encoded, the verifier as PEM.
            let body = serde_json::to_vec(&json!({
                "apiVersion": "0.0.2",
                "kind": "intoto",
                "spec": {"content": {
                    "envelope": {
                        "payloadType": IN_TOTO_PAYLOAD_TYPE,
                        "signatures": [{
                            "sig": STANDARD.encode(STANDARD.encode(&signature)),
                            "publicKey": STANDARD.encode(signer.verifier_pem()),
                        }],
                    },
                    "hash": {"algorithm": "sha256", "value": hex(sha256(&envelope).as_bytes())},
                    "payloadHash": {"algorithm": "sha256", "value": hex(sha256(statement).as_bytes())},
                }},
            }))?;
            let time = options.integrated_time.unwrap_or_else(Timestamp::now);
            let entry = self.rekor().integrate(&body, time.as_second())?;
            annotations.insert(
                "dev.sigstore.cosign/bundle".to_owned(),
                cosign_bundle_annotation(&entry)?,
            );
        }
        Ok(LegacyLayer {
            payload: envelope,
            annotations,
        })
    }
}

/// DSSE's pre-authentication encoding: what the envelope signature is over.
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

fn predicate_type_of(statement: &[u8]) -> String {
    serde_json::from_slice::<Value>(statement)
        .ok()
        .and_then(|v| v["predicateType"].as_str().map(str::to_owned))
        .unwrap_or_default()
}
