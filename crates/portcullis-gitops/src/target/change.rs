//! Image changes and the write-back entry point.
//!
//! [`write_back`] is what the run loop calls: it takes [`ImageChange`]s, each holding the
//! [`VerifiedImage`] to deploy, and returns a [`FileEdit`], which nothing else can make.
//! What it writes pins the verified digest ([`Pinning`]): `1.4.2@sha256:…` in a field that
//! only takes a tag, a separate `digest` where the target has one (kustomize `digest:`,
//! an optional `helm.image-digest` value), or the digest alone when so configured.
//!
//! [`edit_file`] is the same editing over plain strings ([`ImageUpdate`]): for tests and
//! tools. Its output carries no verification guarantee, and it cannot produce a
//! [`FileEdit`].

use std::collections::BTreeMap;

use portcullis_image::aiu::ContainerImage;
use portcullis_image::{Digest, Repository};
use portcullis_verify::VerifiedImage;

use super::error::EditError;
use super::helm_values::{HelmValueWrite, set_helm_values};
use super::kustomization::{KustomizeImageEdit, set_kustomization_image};
use super::kustomize_image::same_repository;
use super::source_override::{HelmParameter, merge_helm_parameters, merge_kustomize_images};
use super::spec::WriteBackTarget;

const DEFAULT_HELM_IMAGE_NAME: &str = "image.name";
const DEFAULT_HELM_IMAGE_TAG: &str = "image.tag";

/// How the verified image is pinned in what is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pinning {
    /// Tag and digest: the tag stays readable, the digest decides what runs.
    #[default]
    TagAndDigest,
    /// The digest alone (the tag is not written, and a stale kustomize `newTag` is removed).
    Digest,
}

/// Where an image is set in the manifests.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Placement {
    /// A Kustomize image (`kustomize.images`, `kustomization.yaml`).
    Kustomize {
        /// `kustomize.image-name`: the name the manifests use, when not the image's own.
        image_name: Option<String>,
    },
    /// Helm values or parameters.
    Helm(HelmParams),
}

impl Default for Placement {
    fn default() -> Self {
        Self::Kustomize { image_name: None }
    }
}

/// The Helm value names of an image (`helm.image-name`, `helm.image-tag`,
/// `helm.image-spec`, and Portcullis's `helm.image-digest`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HelmParams {
    /// Where the image name goes (default `image.name`).
    pub image_name: Option<String>,
    /// Where the tag goes (default `image.tag`).
    pub image_tag: Option<String>,
    /// Where the full `image:tag@digest` goes; overrides name and tag when set.
    pub image_spec: Option<String>,
    /// Where the digest goes on its own; the tag field then receives the bare tag.
    pub image_digest: Option<String>,
}

/// One image update in plain strings: the input of [`edit_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUpdate {
    /// The image name as the configuration spells it (`nginx`, `ghcr.io/acme/app`).
    pub image: String,
    /// The tag to write; `None` for digest-only.
    pub tag: Option<String>,
    /// The digest to write.
    pub digest: Option<String>,
    /// Where it goes.
    pub placement: Placement,
}

impl ImageUpdate {
    fn tag_field(&self) -> Result<Option<String>, EditError> {
        Ok(match (&self.tag, &self.digest) {
            (Some(t), Some(d)) => Some(format!("{t}@{d}")),
            (Some(t), None) => Some(t.clone()),
            (None, Some(_)) => {
                return Err(EditError::DigestNeedsField {
                    image: self.image.clone(),
                });
            }
            (None, None) => None,
        })
    }

    fn full(&self) -> String {
        let mut s = self.image.clone();
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }

    /// The Helm values to set, in Image Updater's order (tag, then name), or the spec.
    fn helm_writes(&self, p: &HelmParams) -> Result<Vec<HelmValueWrite>, EditError> {
        if let Some(spec) = &p.image_spec {
            return Ok(vec![HelmValueWrite::new(spec.trim(), self.full())]);
        }
        let name = p.image_name.as_deref().unwrap_or(DEFAULT_HELM_IMAGE_NAME);
        let tag = p.image_tag.as_deref().unwrap_or(DEFAULT_HELM_IMAGE_TAG);
        let mut writes = Vec::new();
        match &p.image_digest {
            Some(digest_path) => {
                if let Some(t) = &self.tag {
                    writes.push(HelmValueWrite::new(tag, t.clone()));
                }
                if let Some(d) = &self.digest {
                    writes.push(HelmValueWrite::new(digest_path.as_str(), d.clone()));
                }
            }
            None => {
                if let Some(v) = self.tag_field()? {
                    writes.push(HelmValueWrite::new(tag, v));
                }
            }
        }
        writes.push(HelmValueWrite::image_name(name, self.image.clone()));
        Ok(writes)
    }

    fn helm_parameters(&self, p: &HelmParams) -> Result<Vec<HelmParameter>, EditError> {
        Ok(self
            .helm_writes(p)?
            .into_iter()
            .map(|w| HelmParameter {
                name: w.path,
                value: w.value,
                force_string: true,
            })
            .collect())
    }

    fn kustomize_string(&self, image_name: Option<&str>) -> String {
        match image_name {
            Some(k) => format!("{k}={}", self.full()),
            None => self.full(),
        }
    }

    fn kustomization_edit(&self, image_name: Option<&str>) -> KustomizeImageEdit {
        let name = image_name.unwrap_or(&self.image).to_owned();
        let new_name = (!same_repository(&name, &self.image)).then(|| self.image.clone());
        KustomizeImageEdit {
            name,
            new_name,
            new_tag: self.tag.clone(),
            digest: self.digest.clone(),
        }
    }
}

fn wrong(u: &ImageUpdate, target: &'static str) -> EditError {
    EditError::WrongPlacement {
        image: u.image.clone(),
        placement: match u.placement {
            Placement::Kustomize { .. } => "Kustomize",
            Placement::Helm(_) => "Helm",
        },
        target,
    }
}

/// Edits the text of `target`'s file (`None`: it does not exist) for `updates`.
/// Everything the updates do not touch is kept byte for byte.
pub fn edit_file(
    target: &WriteBackTarget,
    existing: Option<&str>,
    updates: &[ImageUpdate],
) -> Result<String, EditError> {
    match target {
        WriteBackTarget::Kustomization { dir } => {
            let mut text = existing
                .ok_or_else(|| EditError::MissingKustomization { dir: dir.clone() })?
                .to_owned();
            for u in updates {
                let Placement::Kustomize { image_name } = &u.placement else {
                    return Err(wrong(u, "kustomization"));
                };
                text =
                    set_kustomization_image(&text, &u.kustomization_edit(image_name.as_deref()))?;
            }
            Ok(text)
        }
        WriteBackTarget::HelmValues { .. } | WriteBackTarget::Override { .. } => {
            let values_file = target.helm_values_file();
            let mut images = Vec::new();
            let mut params = Vec::new();
            let mut writes = Vec::new();
            for u in updates {
                match &u.placement {
                    Placement::Kustomize { .. } if values_file => {
                        return Err(wrong(u, "Helm values"));
                    }
                    Placement::Kustomize { image_name } => {
                        images.push(u.kustomize_string(image_name.as_deref()))
                    }
                    Placement::Helm(p) if values_file => writes.extend(u.helm_writes(p)?),
                    Placement::Helm(p) => params.extend(u.helm_parameters(p)?),
                }
            }
            let mut text = existing.map(str::to_owned);
            if !images.is_empty() {
                text = Some(merge_kustomize_images(text.as_deref(), &images)?);
            }
            if !params.is_empty() {
                text = Some(merge_helm_parameters(text.as_deref(), &params)?);
            }
            if !writes.is_empty() {
                text = Some(set_helm_values(text.as_deref(), &writes)?);
            }
            Ok(text.unwrap_or_default())
        }
    }
}

/// Why an image change cannot be described.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChangeError {
    /// The configured image name does not parse.
    #[error(
        "image '{image}' is not a valid image name (write 'registry/path', with the alias set apart)"
    )]
    BadImage {
        /// The name as given.
        image: String,
    },
    /// The verified image belongs to another repository than the configured one.
    #[error("verified image is '{verified}', but the change is for '{image}'")]
    RepositoryMismatch {
        /// The configured image.
        image: String,
        /// The verified image's repository.
        verified: Repository,
    },
}

/// One verified image change for an Application.
#[derive(Debug, Clone)]
pub struct ImageChange<'a> {
    alias: Option<String>,
    image: ContainerImage,
    old_tag: Option<String>,
    old_digest: Option<Digest>,
    new: &'a VerifiedImage,
    placement: Placement,
    labels: BTreeMap<String, String>,
    rule: Option<String>,
}

impl<'a> ImageChange<'a> {
    /// A change of `image` (as the configuration spells it, without alias or tag) to the
    /// verified `new`, which must be of that repository.
    pub fn new(image: &str, new: &'a VerifiedImage) -> Result<Self, ChangeError> {
        let bad = || ChangeError::BadImage {
            image: image.to_owned(),
        };
        if image.contains('=') {
            return Err(bad());
        }
        let mut parsed = ContainerImage::parse(image);
        parsed.tag = None;
        let reference = parsed.to_image_ref().map_err(|_| bad())?;
        if reference.repository() != new.repository() {
            return Err(ChangeError::RepositoryMismatch {
                image: image.to_owned(),
                verified: new.repository().clone(),
            });
        }
        Ok(Self {
            alias: None,
            image: parsed,
            old_tag: None,
            old_digest: None,
            new,
            placement: Placement::default(),
            labels: BTreeMap::new(),
            rule: None,
        })
    }

    /// The image-list alias.
    #[must_use]
    pub fn with_alias(mut self, alias: impl Into<String>) -> Self {
        self.alias = Some(alias.into()).filter(|a| !a.is_empty());
        self
    }

    /// What was deployed before: tag and, when known, digest.
    #[must_use]
    pub fn with_old(mut self, tag: Option<String>, digest: Option<Digest>) -> Self {
        self.old_tag = tag;
        self.old_digest = digest;
        self
    }

    /// Where the image is set (default: a Kustomize image under its own name).
    #[must_use]
    pub fn with_placement(mut self, placement: Placement) -> Self {
        self.placement = placement;
        self
    }

    /// The new image's labels (OCI config labels), for commit templates.
    #[must_use]
    pub fn with_labels(mut self, labels: BTreeMap<String, String>) -> Self {
        self.labels = labels;
        self
    }

    /// The policy rule that allowed the change, for commit templates.
    #[must_use]
    pub fn with_rule(mut self, rule: impl Into<String>) -> Self {
        self.rule = Some(rule.into());
        self
    }

    /// The alias, if any.
    pub fn alias(&self) -> Option<&str> {
        self.alias.as_deref()
    }

    /// The image as configured (`registry/name`, registry omitted for implicit Docker Hub).
    pub fn image(&self) -> String {
        self.image.full_name_without_tag()
    }

    /// The image name without registry (Image Updater's `.Image` in templates).
    pub fn image_name(&self) -> &str {
        &self.image.name
    }

    /// The previous tag.
    pub fn old_tag(&self) -> Option<&str> {
        self.old_tag.as_deref()
    }

    /// The previous digest.
    pub fn old_digest(&self) -> Option<&Digest> {
        self.old_digest.as_ref()
    }

    /// The verified image deployed by this change.
    pub fn verified(&self) -> &VerifiedImage {
        self.new
    }

    /// Where the image is set.
    pub fn placement(&self) -> &Placement {
        &self.placement
    }

    /// The new image's labels.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    /// The policy rule that allowed the change.
    pub fn rule(&self) -> Option<&str> {
        self.rule.as_deref().or(self.new.authority())
    }

    /// Who signed the new image: the certificate identity, or the key fingerprint.
    pub fn signer(&self) -> String {
        self.new
            .identity()
            .or(self.new.key_fingerprint())
            .unwrap_or_default()
            .to_owned()
    }

    /// The plain-string update this change writes.
    pub fn update(&self, pinning: Pinning) -> ImageUpdate {
        ImageUpdate {
            image: self.image(),
            tag: match pinning {
                Pinning::TagAndDigest => Some(self.new.tag().as_str().to_owned()),
                Pinning::Digest => None,
            },
            digest: Some(self.new.digest().as_str().to_owned()),
            placement: self.placement.clone(),
        }
    }
}

/// The current content of a target file, as read from the checkout.
#[derive(Debug, Clone, Copy)]
pub struct ExistingFile<'a> {
    /// Its path from the repository root.
    pub path: &'a str,
    /// Its text.
    pub content: &'a str,
}

/// A file's new content for verified changes. Only [`write_back`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct FileEdit {
    path: String,
    before: Option<String>,
    after: String,
}

impl FileEdit {
    /// The file, from the repository root.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The new content.
    pub fn content(&self) -> &str {
        &self.after
    }

    /// The content before, `None` when the file is new.
    pub fn before(&self) -> Option<&str> {
        self.before.as_deref()
    }

    /// Whether anything changes (a file already up to date needs no commit).
    pub fn is_change(&self) -> bool {
        self.before.as_deref() != Some(self.after.as_str())
    }
}

/// Computes the new content of `target`'s file for verified `changes`. `existing` is the
/// file as checked out (`None` when absent; a kustomization must exist, under one of
/// [`WriteBackTarget::candidate_files`]).
pub fn write_back(
    target: &WriteBackTarget,
    existing: Option<ExistingFile<'_>>,
    changes: &[ImageChange<'_>],
    pinning: Pinning,
) -> Result<FileEdit, EditError> {
    let candidates = target.candidate_files();
    let path = match (existing, target) {
        (Some(f), _) if candidates.iter().any(|c| c == f.path) => f.path.to_owned(),
        (Some(f), _) => {
            return Err(EditError::WrongFile {
                expected: candidates.join(" or "),
                given: f.path.to_owned(),
            });
        }
        (None, WriteBackTarget::Kustomization { dir }) => {
            return Err(EditError::MissingKustomization { dir: dir.clone() });
        }
        (None, _) => candidates.into_iter().next().unwrap_or_default(),
    };
    let updates: Vec<ImageUpdate> = changes.iter().map(|c| c.update(pinning)).collect();
    let before = existing.map(|f| f.content.to_owned());
    let after = edit_file(target, before.as_deref(), &updates)?;
    Ok(FileEdit {
        path,
        before,
        after,
    })
}
