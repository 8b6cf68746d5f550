//! The image a strategy picked, before anyone has checked who built it.

use jiff::Timestamp;

use crate::{Digest, ImageRef, Repository, Tag};

/// A tag and the digest it resolved to when the registry was asked, picked by a strategy.
///
/// A `Candidate` is a claim, not a fact: nothing about it has been verified. Only the verifier
/// turns one into a `VerifiedImage`, and write-back accepts nothing else. The digest is the
/// one the tag pointed at when it was resolved (for a multi-arch image, the index digest,
/// where cosign puts signatures), so whatever is verified and committed is that digest, even
/// if the tag moves afterwards.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Candidate {
    repository: Repository,
    tag: Tag,
    digest: Digest,
    created: Option<Timestamp>,
}

impl Candidate {
    /// Records a resolved tag.
    pub fn new(
        repository: Repository,
        tag: Tag,
        digest: Digest,
        created: Option<Timestamp>,
    ) -> Self {
        Self {
            repository,
            tag,
            digest,
            created,
        }
    }

    /// The repository the tag lives in.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// The tag that was picked.
    pub fn tag(&self) -> &Tag {
        &self.tag
    }

    /// The digest the tag resolved to.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The image's creation time from its config, when it was fetched.
    pub fn created(&self) -> Option<Timestamp> {
        self.created
    }

    /// The pinned reference: `registry/path:tag@digest`.
    pub fn pinned(&self) -> ImageRef {
        ImageRef::new(
            self.repository.clone(),
            Some(self.tag.clone()),
            Some(self.digest.clone()),
        )
    }
}
