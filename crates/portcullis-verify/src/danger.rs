//! Insecure switches, kept in one module so a reviewer can find every one of them.
//!
//! Each one turns off a check that the Sigstore client specification requires. They exist
//! for trust domains that lack the corresponding service, never to make a failing bundle
//! pass. What was skipped is recorded in the result ([`crate::BundleVerified::tlog_verified`],
//! [`crate::BundleVerified::sct_verified`]) and logged as a warning on every use, so an
//! audit can tell.

use crate::policy::BundlePolicy;

impl BundlePolicy {
    /// Accepts bundles without proof that the signature was logged in a transparency log:
    /// inclusion proofs and checkpoints are not checked and a bundle without a log entry is
    /// accepted if an RFC 3161 timestamp gives it a signing time.
    ///
    /// Still checked: signed entry timestamps and RFC 3161 timestamps that are present
    /// (before their time is used), and that any log entry records this very signature.
    ///
    /// Only for a private deployment without a transparency log (for example key-based
    /// signing with cosign's `--tlog-upload=false`). An attacker holding the key (or a
    /// certificate) can then sign without anyone being able to see it.
    pub fn dangerously_skip_tlog(mut self) -> Self {
        self.checks.tlog = false;
        self
    }

    /// Accepts signing certificates without a valid signed certificate timestamp (SCT).
    /// The chain to a Fulcio authority of the trusted root is still verified.
    ///
    /// Only for a private Fulcio that does not log to a certificate-transparency log: without
    /// it a mis-issued certificate would go unnoticed. No effect on key-based policies.
    pub fn dangerously_skip_sct(mut self) -> Self {
        self.checks.sct = false;
        self
    }
}

pub(crate) fn warn_if_relaxed(policy: &BundlePolicy) {
    if !policy.checks.tlog {
        tracing::warn!("transparency log check skipped by policy (dangerously_skip_tlog)");
    }
    if !policy.checks.sct && policy.public_key().is_none() {
        tracing::warn!("certificate transparency check skipped by policy (dangerously_skip_sct)");
    }
}

#[cfg(test)]
mod tests {
    use crate::{BundlePolicy, Identity};

    #[test]
    fn switches_turn_off_exactly_their_check() {
        let identity = Identity::exact("a@example.com", "https://accounts.google.com").unwrap();
        let policy = BundlePolicy::keyless([identity]).unwrap();
        let no_tlog = policy.clone().dangerously_skip_tlog();
        assert!(!no_tlog.requires_tlog() && no_tlog.requires_sct());
        let no_sct = policy.dangerously_skip_sct();
        assert!(no_sct.requires_tlog() && !no_sct.requires_sct());
    }
}
