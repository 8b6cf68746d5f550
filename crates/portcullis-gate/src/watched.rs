//! What the gate is asked about: one image of one application, with the application's own
//! update settings in Argo CD Image Updater's vocabulary and what is deployed now.

use portcullis_image::{Digest, ImageRef};
use portcullis_policy::Strategy;
use serde::Serialize;

/// What is deployed now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Current {
    /// The tag; empty when only the digest is known (a digest-only pin).
    pub tag: String,
    /// The digest, when the deployment pins one.
    pub digest: Option<Digest>,
}

/// One image of one application.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WatchedImage {
    /// The application.
    pub app: String,
    /// The image's alias in the application (Image Updater's `alias=image`).
    pub alias: Option<String>,
    /// The image (its tag, if any, is ignored: `current` says what is deployed).
    pub image: ImageRef,
    /// The update strategy.
    pub strategy: Strategy,
    /// The constraint (semver), or the tag to follow (digest).
    pub constraint: Option<String>,
    /// The `allow-tags` filter as written.
    pub allow_tags: Option<String>,
    /// The `ignore-tags` entries.
    pub ignore_tags: Vec<String>,
    /// Platforms wanted (`linux/amd64`); empty: linux and this machine's architecture.
    pub platforms: Vec<String>,
    /// What is deployed now.
    pub current: Option<Current>,
    /// A version the application pins: Portcullis leaves it alone.
    pub pinned: Option<String>,
}

impl WatchedImage {
    /// An image of `app` with the given strategy and nothing else set.
    pub fn new(app: impl Into<String>, image: ImageRef, strategy: Strategy) -> Self {
        Self {
            app: app.into(),
            alias: None,
            image,
            strategy,
            constraint: None,
            allow_tags: None,
            ignore_tags: Vec::new(),
            platforms: Vec::new(),
            current: None,
            pinned: None,
        }
    }

    /// With a constraint.
    pub fn with_constraint(mut self, constraint: impl Into<String>) -> Self {
        self.constraint = Some(constraint.into());
        self
    }

    /// With what is deployed now.
    pub fn with_current(mut self, tag: impl Into<String>, digest: Option<Digest>) -> Self {
        self.current = Some(Current {
            tag: tag.into(),
            digest,
        });
        self
    }

    /// With an alias.
    pub fn with_alias(mut self, alias: impl Into<String>) -> Self {
        self.alias = Some(alias.into());
        self
    }

    /// Pinned to `version`.
    pub fn pinned(mut self, version: impl Into<String>) -> Self {
        self.pinned = Some(version.into());
        self
    }

    /// With an allow-tags filter.
    pub fn with_allow_tags(mut self, allow: impl Into<String>) -> Self {
        self.allow_tags = Some(allow.into());
        self
    }

    /// With ignore-tags entries.
    pub fn with_ignore_tags(mut self, ignore: Vec<String>) -> Self {
        self.ignore_tags = ignore;
        self
    }

    /// With platforms.
    pub fn with_platforms(mut self, platforms: Vec<String>) -> Self {
        self.platforms = platforms;
        self
    }
}
