//! What the gate decided about one watched image, with a stable reason code for events,
//! metrics and exit codes.

use portcullis_verify::VerifiedImage;
use serde::Serialize;

use crate::watched::Current;

/// Why a decision came out as it did. [`Reason::code`] is stable: events and dashboards key
/// on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// A verified newer image: the update.
    Verified,
    /// The newest eligible image is what is deployed.
    UpToDate,
    /// The application pins its version; Portcullis leaves it alone.
    Pinned,
    /// No tag passes the application's strategy, constraint and filters.
    NoMatchingTag,
    /// The newer tags lie outside a rule's update limits (ceiling, pre-releases).
    ConstraintViolation,
    /// The candidate has no signature in either layout.
    SignatureMissing,
    /// Signatures exist, none verifies.
    SignatureInvalid,
    /// Signatures verify, but not by an allowed identity.
    IdentityMismatch,
    /// Fewer distinct authorities verified than the rule requires.
    ThresholdNotMet,
    /// A required attestation is missing, unverified, or fails its conditions.
    AttestationFailed,
    /// An external gate denied the candidate (or failed, with failure policy deny).
    GateDenied,
    /// The image's registry is outside a rule's allowlist.
    RegistryNotAllowed,
    /// The registry could not be read.
    RegistryError,
    /// The application's settings ask for more than the policy allows.
    PolicyWideningRejected,
    /// The candidate is younger than a rule's minimum age.
    TooYoung,
    /// The candidate is older than what is deployed, and no rule allows downgrades.
    DowngradeRefused,
    /// No rule of the policy matches the image.
    NoMatchingRule,
    /// A rule's static authority denies the image.
    PolicyDenied,
    /// The policy's trust material cannot be used (a trusted root that cannot be loaded, a
    /// key only the controller can read).
    TrustUnavailable,
}

impl Reason {
    /// The stable code (`signature_missing`, `constraint_violation`, …).
    pub fn code(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::UpToDate => "up_to_date",
            Self::Pinned => "pinned",
            Self::NoMatchingTag => "no_matching_tag",
            Self::ConstraintViolation => "constraint_violation",
            Self::SignatureMissing => "signature_missing",
            Self::SignatureInvalid => "signature_invalid",
            Self::IdentityMismatch => "identity_mismatch",
            Self::ThresholdNotMet => "threshold_not_met",
            Self::AttestationFailed => "attestation_failed",
            Self::GateDenied => "gate_denied",
            Self::RegistryNotAllowed => "registry_not_allowed",
            Self::RegistryError => "registry_error",
            Self::PolicyWideningRejected => "policy_widening_rejected",
            Self::TooYoung => "too_young",
            Self::DowngradeRefused => "downgrade_refused",
            Self::NoMatchingRule => "no_matching_rule",
            Self::PolicyDenied => "policy_denied",
            Self::TrustUnavailable => "trust_unavailable",
        }
    }

    /// Whether this says something was unreachable (the registry, trust material) rather
    /// than something about the image: such a decision is `failed`, never a refusal.
    pub fn is_outage(self) -> bool {
        matches!(self, Self::RegistryError | Self::TrustUnavailable)
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Something worth reporting beside the decision: a requirement of a `warn` rule that
/// failed, a candidate passed over under `onFailure: try-older`, a newer tag outside the
/// ceiling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    /// The reason code of what it reports.
    pub code: &'static str,
    /// What happened, for people.
    pub message: String,
}

impl Note {
    pub(crate) fn new(reason: Reason, message: impl Into<String>) -> Self {
        Self {
            code: reason.code(),
            message: message.into(),
        }
    }
}

/// The gate's answer for one watched image.
#[derive(Clone, Debug)]
#[must_use]
#[non_exhaustive]
pub enum Decision {
    /// Move to this verified image.
    Update {
        /// The image to write: its digest is the one verified.
        image: Box<VerifiedImage>,
        /// What is deployed now, when known.
        from: Option<Current>,
        /// The rule names whose requirements it met.
        rules: Vec<String>,
        /// Warnings and passed-over candidates.
        notes: Vec<Note>,
    },
    /// Nothing to do.
    NoChange {
        /// Why (`up_to_date`, `pinned`, `no_matching_tag`).
        reason: Reason,
        /// For people.
        detail: String,
        /// Anything else worth telling.
        notes: Vec<Note>,
    },
    /// There is a newer image, and it may not be deployed.
    Skipped {
        /// Why.
        reason: Reason,
        /// For people, naming the candidate and what failed.
        detail: String,
        /// Warnings and passed-over candidates.
        notes: Vec<Note>,
    },
    /// The gate could not decide (registry or trust material unavailable): fail closed.
    Failed {
        /// Why.
        reason: Reason,
        /// For people.
        detail: String,
    },
}

impl Decision {
    /// The decision's reason code (`verified` for an update).
    pub fn reason(&self) -> Reason {
        match self {
            Self::Update { .. } => Reason::Verified,
            Self::NoChange { reason, .. }
            | Self::Skipped { reason, .. }
            | Self::Failed { reason, .. } => *reason,
        }
    }

    /// `update`, `no_change`, `skipped` or `failed`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Update { .. } => "update",
            Self::NoChange { .. } => "no_change",
            Self::Skipped { .. } => "skipped",
            Self::Failed { .. } => "failed",
        }
    }

    /// The notes, if any.
    pub fn notes(&self) -> &[Note] {
        match self {
            Self::Update { notes, .. }
            | Self::NoChange { notes, .. }
            | Self::Skipped { notes, .. } => notes,
            Self::Failed { .. } => &[],
        }
    }

    /// The human explanation.
    pub fn detail(&self) -> String {
        match self {
            Self::Update { image, .. } => {
                let signer = image
                    .identity()
                    .or(image.key_fingerprint())
                    .unwrap_or("a verified signer");
                format!("{}@{} signed by {signer}", image.tag(), image.digest())
            }
            Self::NoChange { detail, .. }
            | Self::Skipped { detail, .. }
            | Self::Failed { detail, .. } => detail.clone(),
        }
    }

    pub(crate) fn skipped(reason: Reason, detail: impl Into<String>, notes: Vec<Note>) -> Self {
        Self::Skipped {
            reason,
            detail: detail.into(),
            notes,
        }
    }

    pub(crate) fn no_change(reason: Reason, detail: impl Into<String>, notes: Vec<Note>) -> Self {
        Self::NoChange {
            reason,
            detail: detail.into(),
            notes,
        }
    }

    pub(crate) fn failed(reason: Reason, detail: impl Into<String>) -> Self {
        Self::Failed {
            reason,
            detail: detail.into(),
        }
    }
}
