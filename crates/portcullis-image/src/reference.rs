//! Docker/containerd image references: `[registry[:port]/]path[:tag][@digest]`, normalised.
//!
//! The grammar is the distribution project's reference grammar; normalisation is Docker's
//! (`ParseNormalizedNamed`): a first path element is a registry only when it contains `.` or
//! `:`, is `localhost`, or has upper-case letters; otherwise the image lives on Docker Hub
//! (`docker.io`) and a single-element path gets `library/` in front. `index.docker.io` is
//! Docker Hub too. Written by hand rather than with a regex crate because the grammar is
//! small, the crate stays dependency-free, and each rejection can say exactly which part
//! of the input is wrong.

use std::fmt;
use std::str::FromStr;

use crate::{Digest, DigestError, Tag, TagError};

/// The registry host Docker Hub images are normalised to.
pub const DOCKER_HUB: &str = "docker.io";
const LEGACY_DOCKER_HUB: &str = "index.docker.io";
const MAX_NAME_LEN: usize = 255;

/// A repository: registry host (with port) and path, without tag or digest.
///
/// `Display` prints `registry/path`, e.g. `docker.io/library/nginx`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Repository {
    registry: String,
    path: String,
}

/// A fully normalised image reference: repository plus an optional tag and digest.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    repository: Repository,
    tag: Option<Tag>,
    digest: Option<Digest>,
}

/// Why a string is not an image reference. Each variant names the input and the part at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// Empty input.
    #[error("invalid image reference: empty (expected e.g. 'nginx', 'ghcr.io/org/app:1.2')")]
    Empty,
    /// The name part is longer than 255 characters.
    #[error(
        "invalid image reference '{input}': repository name is {len} characters, at most 255 allowed"
    )]
    NameTooLong {
        /// The rejected input.
        input: String,
        /// The length of the name.
        len: usize,
    },
    /// A bare 64-hex string, which Docker refuses as a name because it looks like an image ID.
    #[error(
        "invalid image reference '{input}': a 64-character hex string is an image ID, not a name (write 'repo@sha256:<hex>' to pin a digest)"
    )]
    HexIdentifier {
        /// The rejected input.
        input: String,
    },
    /// Upper-case letters in the repository path.
    #[error("invalid image reference '{input}': repository path '{path}' must be lowercase")]
    Uppercase {
        /// The rejected input.
        input: String,
        /// The path at fault.
        path: String,
    },
    /// The registry part is not a host name, IPv4 or bracketed IPv6 address with optional port.
    #[error("invalid image reference '{input}': registry '{registry}' is not a valid host[:port]")]
    InvalidRegistry {
        /// The rejected input.
        input: String,
        /// The registry part.
        registry: String,
    },
    /// A path component outside `[a-z0-9]+` joined by `.`, `_`, `__` or dashes.
    #[error(
        "invalid image reference '{input}': path component '{component}' is not allowed (use lowercase letters and digits, joined by '.', '_', '__' or '-')"
    )]
    InvalidPathComponent {
        /// The rejected input.
        input: String,
        /// The component at fault (may be empty, e.g. for `a//b`).
        component: String,
    },
    /// The tag part is malformed.
    #[error("invalid image reference '{input}': bad tag")]
    InvalidTag {
        /// The rejected input.
        input: String,
        /// What is wrong with the tag.
        #[source]
        source: TagError,
    },
    /// The digest part is malformed.
    #[error("invalid image reference '{input}': bad digest")]
    InvalidDigest {
        /// The rejected input.
        input: String,
        /// What is wrong with the digest.
        #[source]
        source: DigestError,
    },
    /// A tag or digest where only a repository was expected.
    #[error(
        "invalid repository '{input}': remove the tag or digest (a repository is 'registry/path')"
    )]
    NotARepository {
        /// The rejected input.
        input: String,
    },
}

impl Repository {
    /// Builds a repository from a registry host and a path, validating both.
    pub fn new(registry: &str, path: &str) -> Result<Self, ReferenceError> {
        format!("{registry}/{path}").parse()
    }

    /// The registry host with port, e.g. `docker.io`, `localhost:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The path inside the registry, e.g. `library/nginx`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The short form Docker prints: `nginx` for `docker.io/library/nginx`. Unlike Docker,
    /// `docker.io/` stays when the first path element would read as a registry (`a.b/c`),
    /// so the short form always parses back to the same repository.
    pub fn familiar(&self) -> String {
        let first = self.path.split('/').next().unwrap_or_default();
        let ambiguous = first.contains(['.', ':']) || first == "localhost";
        if self.registry == DOCKER_HUB && !ambiguous {
            self.path
                .strip_prefix("library/")
                .filter(|rest| !rest.contains('/'))
                .unwrap_or(&self.path)
                .to_owned()
        } else {
            self.to_string()
        }
    }
}

impl FromStr for Repository {
    type Err = ReferenceError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let r: ImageRef = input.parse()?;
        if r.tag.is_some() || r.digest.is_some() {
            return Err(ReferenceError::NotARepository {
                input: input.to_owned(),
            });
        }
        Ok(r.repository)
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.path)
    }
}

impl fmt::Debug for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Repository({self})")
    }
}

impl ImageRef {
    /// Assembles a reference from validated parts.
    pub fn new(repository: Repository, tag: Option<Tag>, digest: Option<Digest>) -> Self {
        Self {
            repository,
            tag,
            digest,
        }
    }

    /// The repository (registry and path).
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// The tag, if one was given.
    pub fn tag(&self) -> Option<&Tag> {
        self.tag.as_ref()
    }

    /// The digest, if one was given.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// A copy with another tag (the digest is dropped: it belonged to the old tag).
    #[must_use]
    pub fn with_tag(&self, tag: Tag) -> Self {
        Self::new(self.repository.clone(), Some(tag), None)
    }

    /// A copy pinned to a digest, keeping the tag for humans.
    #[must_use]
    pub fn with_digest(&self, digest: Digest) -> Self {
        Self::new(self.repository.clone(), self.tag.clone(), Some(digest))
    }

    /// The short form Docker prints (`nginx:1.2` for `docker.io/library/nginx:1.2`).
    pub fn familiar(&self) -> String {
        let mut s = self.repository.familiar();
        self.push_suffix(&mut s);
        s
    }

    fn push_suffix(&self, s: &mut String) {
        if let Some(tag) = &self.tag {
            s.push(':');
            s.push_str(tag.as_str());
        }
        if let Some(digest) = &self.digest {
            s.push('@');
            s.push_str(digest.as_str());
        }
    }
}

impl FromStr for ImageRef {
    type Err = ReferenceError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        parse(input)
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = self.repository.to_string();
        self.push_suffix(&mut s);
        f.write_str(&s)
    }
}

impl fmt::Debug for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImageRef({self})")
    }
}

impl serde::Serialize for ImageRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl serde::Serialize for Repository {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn parse(input: &str) -> Result<ImageRef, ReferenceError> {
    if input.is_empty() {
        return Err(ReferenceError::Empty);
    }
    let (rest, digest) = match input.split_once('@') {
        Some((rest, d)) => {
            let digest = d
                .parse::<Digest>()
                .map_err(|source| ReferenceError::InvalidDigest {
                    input: input.to_owned(),
                    source,
                })?;
            (rest, Some(digest))
        }
        None => (input, None),
    };
    let last_slash = rest.rfind('/');
    let (name, tag) = match rest.rfind(':') {
        Some(colon) if last_slash.is_none_or(|slash| colon > slash) => {
            let tag =
                rest[colon + 1..]
                    .parse::<Tag>()
                    .map_err(|source| ReferenceError::InvalidTag {
                        input: input.to_owned(),
                        source,
                    })?;
            (&rest[..colon], Some(tag))
        }
        _ => (rest, None),
    };
    if name.len() > MAX_NAME_LEN {
        return Err(ReferenceError::NameTooLong {
            input: input.to_owned(),
            len: name.len(),
        });
    }
    if name.len() == 64
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(ReferenceError::HexIdentifier {
            input: input.to_owned(),
        });
    }
    let (registry, path) = split_registry(name);
    if registry != DOCKER_HUB {
        validate_registry(input, &registry)?;
    }
    if path.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(ReferenceError::Uppercase {
            input: input.to_owned(),
            path,
        });
    }
    for component in path.split('/') {
        if !is_path_component(component) {
            return Err(ReferenceError::InvalidPathComponent {
                input: input.to_owned(),
                component: component.to_owned(),
            });
        }
    }
    Ok(ImageRef {
        repository: Repository { registry, path },
        tag,
        digest,
    })
}

/// Docker's `splitDockerDomain`.
fn split_registry(name: &str) -> (String, String) {
    let (mut registry, mut path) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (first.to_owned(), rest.to_owned())
        }
        _ => (DOCKER_HUB.to_owned(), name.to_owned()),
    };
    if registry == LEGACY_DOCKER_HUB {
        registry = DOCKER_HUB.to_owned();
    }
    if registry == DOCKER_HUB && !path.contains('/') {
        path = format!("library/{path}");
    }
    (registry, path)
}

fn validate_registry(input: &str, registry: &str) -> Result<(), ReferenceError> {
    let bad = || ReferenceError::InvalidRegistry {
        input: input.to_owned(),
        registry: registry.to_owned(),
    };
    let (host, port) = if let Some(rest) = registry.strip_prefix('[') {
        // Bracketed IPv6 literal, optionally followed by :port.
        let (addr, after) = rest.split_once(']').ok_or_else(bad)?;
        if addr.is_empty() || !addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return Err(bad());
        }
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or_else(bad)?),
        };
        (None, port)
    } else {
        match registry.split_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(registry), None),
        }
    };
    if let Some(port) = port
        && (port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    if let Some(host) = host {
        let valid = !host.is_empty()
            && host.split('.').all(|label| {
                let b = label.as_bytes();
                !b.is_empty()
                    && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                    && b[0] != b'-'
                    && b[b.len() - 1] != b'-'
            });
        if !valid {
            return Err(bad());
        }
    }
    Ok(())
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn is_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator run: '.', '_', '__' or one or more '-'.
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests;
