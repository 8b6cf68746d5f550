//! The one insecure switch of commit signing: committing without a signature.
//!
//! Grep for `danger` to find every place that turns it on. Unsigned commits break the
//! promise that `git verify-commit` accepts every commit Portcullis makes; they exist for
//! repositories whose branch protection cannot take signed commits from a bot, and must be
//! asked for by name.

/// Permission to build a [`super::Signer::Unsigned`]. Has no `Default`: the only way to get
/// one is to call [`AllowUnsignedCommits::i_accept_unsigned_commits`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllowUnsignedCommits(());

impl AllowUnsignedCommits {
    /// Commits will carry no signature, and nothing downstream can tell who made them.
    pub fn i_accept_unsigned_commits() -> Self {
        Self(())
    }
}

/// The marker a [`super::Signer::Unsigned`] carries: proof that unsigned commits were allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnsignedCommits(());

impl UnsignedCommits {
    pub(crate) fn new(_allow: AllowUnsignedCommits) -> Self {
        Self(())
    }
}
