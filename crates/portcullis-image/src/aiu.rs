//! Argo CD Image Updater's image-list syntax, parsed and printed exactly as it does.
//!
//! An image-list annotation is a comma-separated list of `[alias=]image[:constraint]`. The
//! part after the last `:` of the image is a tag for the digest strategy and a version
//! constraint for semver (`nginx:~1.26`), so it is often *not* a valid tag. Image Updater
//! therefore parses in two steps, and so do we: first with the distribution reference grammar
//! (Docker Hub written as an empty registry unless the input spelled `docker.io`, `library/`
//! dropped again when normalisation added it), and when that fails, a lenient split on `/`,
//! `@` and `:`. Parsing never fails; [`ContainerImage::to_image_ref`] is the strict step that
//! turns an entry into a registry reference, and refuses what the registry could not serve.

use std::fmt;

use crate::reference::DOCKER_HUB;
use crate::{ImageRef, ReferenceError};

/// A tag as Image Updater holds it: a name and a digest, either possibly empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageTag {
    /// The tag name (or constraint), possibly empty.
    pub name: String,
    /// The digest, possibly empty, not validated.
    pub digest: String,
}

impl ImageTag {
    /// `name@digest`, with `latest` standing in for an empty name when a digest is set.
    pub fn with_digest(&self) -> String {
        let mut s = self.name.clone();
        if !self.digest.is_empty() {
            if s.is_empty() {
                s.push_str("latest");
            }
            s.push('@');
            s.push_str(&self.digest);
        }
        s
    }
}

/// One entry of an image list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerImage {
    /// The alias before `=`, empty when there is none.
    pub alias: String,
    /// The registry as written: empty for implicit Docker Hub, `docker.io` when spelled out.
    pub registry: String,
    /// The image name without registry (no `library/` unless it was written).
    pub name: String,
    /// Tag and/or digest, `None` when the entry has neither.
    pub tag: Option<ImageTag>,
    /// A Kustomize image name that overrides this one when matching (`kustomize.image-name`).
    pub kustomize_image: Option<Box<ContainerImage>>,
    original: String,
}

impl ContainerImage {
    /// Parses one entry. Never fails: what cannot be understood is kept and shown by
    /// [`Self::original`], and refused later by [`Self::to_image_ref`].
    pub fn parse(identifier: &str) -> Self {
        let (alias, image) = match identifier.split_once('=') {
            Some((a, i)) => (a, i),
            None => ("", identifier),
        };
        let mut img = match image.parse::<ImageRef>() {
            Ok(parsed) => from_reference(image, &parsed),
            Err(_) => legacy_parse(image),
        };
        img.alias = alias.to_owned();
        img.original = identifier.to_owned();
        img
    }

    /// An entry built from its parts (no alias), as Image Updater's callers build one.
    pub fn new(registry: &str, name: &str, tag: Option<ImageTag>) -> Self {
        Self {
            registry: registry.to_owned(),
            name: name.to_owned(),
            tag,
            ..Self::default()
        }
    }

    /// The text this entry was parsed from.
    pub fn original(&self) -> &str {
        &self.original
    }

    /// The tag name, which the semver strategy reads as a constraint (`~1.26`), or `None`.
    pub fn constraint(&self) -> Option<&str> {
        self.tag
            .as_ref()
            .map(|t| t.name.as_str())
            .filter(|n| !n.is_empty())
    }

    /// `registry/name`, without duplicating a registry already in the name.
    pub fn full_name_without_tag(&self) -> String {
        if self.registry.is_empty() || self.name.starts_with(&format!("{}/", self.registry)) {
            self.name.clone()
        } else {
            format!("{}/{}", self.registry, self.name)
        }
    }

    /// `registry/name[:tag][@digest]`.
    pub fn full_name_with_tag(&self) -> String {
        let mut s = self.full_name_without_tag();
        if let Some(t) = &self.tag {
            if !t.name.is_empty() {
                s.push(':');
                s.push_str(&t.name);
            }
            if !t.digest.is_empty() {
                s.push('@');
                s.push_str(&t.digest);
            }
        }
        s
    }

    /// `tag@digest`, `latest@digest` for a digest without tag, or empty.
    pub fn tag_with_digest(&self) -> String {
        self.tag
            .as_ref()
            .map(ImageTag::with_digest)
            .unwrap_or_default()
    }

    /// A copy carrying another tag (alias, registry and name kept).
    #[must_use]
    pub fn with_tag(&self, tag: ImageTag) -> Self {
        Self {
            alias: self.alias.clone(),
            registry: self.registry.clone(),
            name: self.name.clone(),
            tag: Some(tag),
            kustomize_image: None,
            original: String::new(),
        }
    }

    /// Whether two entries name different images (and, with `check_version`, different tags).
    /// `x/bar` and `docker.io/x/bar` differ, as they do in Image Updater.
    pub fn differs_from(&self, other: &Self, check_version: bool) -> bool {
        self.registry != other.registry
            || self.name != other.name
            || (check_version && self.tag_name() != other.tag_name())
    }

    fn tag_name(&self) -> &str {
        self.tag.as_ref().map_or("", |t| t.name.as_str())
    }

    /// The strict registry reference for this entry, with Docker's normalisation. The
    /// tag is dropped when it is a constraint rather than a tag; the digest is kept.
    pub fn to_image_ref(&self) -> Result<ImageRef, ReferenceError> {
        let base: ImageRef = self.full_name_without_tag().parse()?;
        let repository = base.repository().clone();
        let tag = self.tag.as_ref().and_then(|t| t.name.parse().ok());
        let digest = match self.tag.as_ref().map(|t| t.digest.as_str()) {
            Some(d) if !d.is_empty() => {
                Some(d.parse().map_err(|source| ReferenceError::InvalidDigest {
                    input: self.original.clone(),
                    source,
                })?)
            }
            _ => None,
        };
        Ok(ImageRef::new(repository, tag, digest))
    }
}

impl fmt::Display for ContainerImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.alias.is_empty() {
            write!(f, "{}=", self.alias)?;
        }
        f.write_str(&self.full_name_with_tag())
    }
}

fn from_reference(image: &str, parsed: &ImageRef) -> ContainerImage {
    let repo = parsed.repository();
    let mut registry = repo.registry().to_owned();
    if registry == DOCKER_HUB && !image.starts_with(DOCKER_HUB) {
        registry.clear();
    }
    let mut name = repo.path().to_owned();
    if repo.registry() == DOCKER_HUB
        && !image.starts_with("library/")
        && let Some(rest) = name.strip_prefix("library/")
    {
        name = rest.to_owned();
    }
    let tag = match (parsed.tag(), parsed.digest()) {
        (None, None) => None,
        (t, d) => Some(ImageTag {
            name: t.map(|t| t.as_str().to_owned()).unwrap_or_default(),
            digest: d.map(|d| d.as_str().to_owned()).unwrap_or_default(),
        }),
    };
    ContainerImage {
        registry,
        name,
        tag,
        ..ContainerImage::default()
    }
}

/// Image Updater's fallback parser, for entries the reference grammar refuses
/// (constraints such as `~1.26`, malformed digests).
fn legacy_parse(image: &str) -> ContainerImage {
    let (registry, mut rest) = match image.split_once('/') {
        Some((first, rest)) if first.contains('.') => (first.to_owned(), rest.to_owned()),
        _ => (String::new(), image.to_owned()),
    };
    let tag = if let Some((before, digest)) = rest.clone().split_once('@') {
        let colon = before.rfind(':');
        let slash = before.rfind('/');
        match colon {
            Some(c) if slash.is_none_or(|s| c > s) => {
                rest = before[..c].to_owned();
                Some(ImageTag {
                    name: before[c + 1..].to_owned(),
                    digest: digest.to_owned(),
                })
            }
            _ => {
                rest = before.to_owned();
                Some(ImageTag {
                    name: String::new(),
                    digest: digest.to_owned(),
                })
            }
        }
    } else if let Some((name, tag)) = rest.clone().split_once(':') {
        rest = name.to_owned();
        let (tag_name, digest) = split_tag_digest(tag);
        Some(ImageTag {
            name: tag_name,
            digest,
        })
    } else {
        None
    };
    ContainerImage {
        registry,
        name: rest,
        tag,
        ..ContainerImage::default()
    }
}

/// `tag@digest` → (`tag`, `digest`); anything else → (input, "").
pub fn split_tag_digest(input: &str) -> (String, String) {
    let parts: Vec<&str> = input.split('@').collect();
    match parts.as_slice() {
        [name, digest] => ((*name).to_owned(), (*digest).to_owned()),
        _ => (input.to_owned(), String::new()),
    }
}

/// A comma-separated image list, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerImageList(pub Vec<ContainerImage>);

impl ContainerImageList {
    /// Parses `a=img:1,b=other:~2` (spaces around entries ignored, empty entries skipped).
    pub fn parse(list: &str) -> Self {
        Self(
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(ContainerImage::parse)
                .collect(),
        )
    }

    /// The entries as they were written.
    pub fn originals(&self) -> Vec<String> {
        self.0.iter().map(|i| i.original().to_owned()).collect()
    }

    /// The entry matching `image` by registry and name (and tag with `check_version`);
    /// a Kustomize override of `image` is tried first.
    pub fn find(&self, image: &ContainerImage, check_version: bool) -> Option<&ContainerImage> {
        if let Some(k) = &image.kustomize_image
            && let Some(found) = self.find(k, check_version)
        {
            return Some(found);
        }
        self.0.iter().find(|candidate| {
            candidate.name == image.name
                && candidate.registry == image.registry
                && (!check_version || candidate.tag_name() == image.tag_name())
        })
    }
}

impl fmt::Display for ContainerImageList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&all.join(","))
    }
}

/// Whether an image name starts with a registry host (its first element contains a `.`).
/// Image Updater's write-back heuristic: `localhost:5000/x` is *not* detected.
pub fn has_registry_prefix(name: &str) -> bool {
    match name.split_once('/') {
        Some((first, _)) => first.contains('.'),
        None => false,
    }
}

/// The name without its registry prefix, when [`has_registry_prefix`] finds one.
pub fn extract_short_form(name: &str) -> &str {
    if has_registry_prefix(name) {
        name.split_once('/').map_or(name, |(_, rest)| rest)
    } else {
        name
    }
}
