//! What a bundle must show to be accepted: a signature by one public key, or a keyless
//! certificate issued to one of the allowed identities.
//!
//! A policy is one authority. Composing several (any-of, all-of) is the policy crate's job;
//! this crate verifies one bundle against one authority. Every check is on by default; the
//! only ways to turn one off are in [`crate::danger`].

use crate::identity::{Identity, IdentityError};
use crate::key::PublicKey;

/// The authority a bundle must be signed by.
#[derive(Clone, Debug)]
pub struct BundlePolicy {
    pub(crate) authority: Authority,
    pub(crate) checks: Checks,
}

/// Who may have signed.
#[derive(Clone, Debug)]
pub(crate) enum Authority {
    /// The holder of this key (cosign `--key`). The bundle must carry a public-key hint, not a
    /// certificate.
    Key(PublicKey),
    /// A Fulcio certificate issued to one of these identities (never empty).
    Keyless(Vec<Identity>),
}

/// Which checks run. All of them, unless a [`crate::danger`] switch turned one off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Checks {
    /// Transparency-log inclusion (inclusion proof, checkpoint, signed entry timestamp).
    pub(crate) tlog: bool,
    /// The signing certificate's signed certificate timestamp.
    pub(crate) sct: bool,
}

impl BundlePolicy {
    /// Accepts bundles signed with `key`, logged in a transparency log of the trusted root.
    pub fn key(key: PublicKey) -> Self {
        Self {
            authority: Authority::Key(key),
            checks: Checks::ALL,
        }
    }

    /// Accepts keyless bundles whose certificate was issued to any one of `identities`.
    pub fn keyless(identities: impl IntoIterator<Item = Identity>) -> Result<Self, IdentityError> {
        let identities: Vec<Identity> = identities.into_iter().collect();
        if identities.is_empty() {
            return Err(IdentityError::NoIdentity);
        }
        Ok(Self {
            authority: Authority::Keyless(identities),
            checks: Checks::ALL,
        })
    }

    /// The key, for a key-based policy.
    pub fn public_key(&self) -> Option<&PublicKey> {
        match &self.authority {
            Authority::Key(key) => Some(key),
            Authority::Keyless(_) => None,
        }
    }

    /// The allowed identities, for a keyless policy.
    pub fn identities(&self) -> &[Identity] {
        match &self.authority {
            Authority::Key(_) => &[],
            Authority::Keyless(identities) => identities,
        }
    }

    /// Whether transparency-log inclusion is required (it is, unless
    /// [`BundlePolicy::dangerously_skip_tlog`] was called).
    pub fn requires_tlog(&self) -> bool {
        self.checks.tlog
    }

    /// Whether the certificate's SCT is required (it is, unless
    /// [`BundlePolicy::dangerously_skip_sct`] was called).
    pub fn requires_sct(&self) -> bool {
        self.checks.sct
    }
}

impl Checks {
    pub(crate) const ALL: Self = Self {
        tlog: true,
        sct: true,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyless_policy_needs_an_identity() {
        assert!(matches!(
            BundlePolicy::keyless([]),
            Err(IdentityError::NoIdentity)
        ));
    }

    #[test]
    fn every_check_is_on_by_default() {
        let identity = Identity::exact("a@example.com", "https://accounts.google.com").unwrap();
        let policy = BundlePolicy::keyless([identity]).unwrap();
        assert!(policy.requires_tlog() && policy.requires_sct());
        assert_eq!(policy.identities().len(), 1);
        assert!(policy.public_key().is_none());
    }
}
