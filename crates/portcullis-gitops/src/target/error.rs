//! Why a file could not be edited for a write-back. Every variant names what was being
//! written and, where the file is at fault, the line; nothing is written when one occurs.

use super::yaml::YamlError;

/// Why a write-back edit was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    /// The file is not YAML the editor can change without reformatting it.
    #[error("cannot edit the file as YAML")]
    Yaml(#[from] YamlError),
    /// A key the target format defines holds the wrong kind of value.
    #[error("line {line}: '{key}' must be {expected}")]
    UnexpectedValue {
        /// The dotted key.
        key: String,
        /// 1-based line.
        line: usize,
        /// What the format expects there.
        expected: &'static str,
    },
    /// A Helm value path that cannot be followed or created.
    #[error("helm value '{path}': {reason}")]
    HelmPath {
        /// The dotted path as configured.
        path: String,
        /// Why it cannot be set.
        reason: String,
    },
    /// A file with several YAML documents (which one to edit would be a guess).
    #[error("the file holds several YAML documents; write-back edits single-document files only")]
    MultipleDocuments,
    /// A kustomization target whose file does not exist.
    #[error("no kustomization.yaml, kustomization.yml or Kustomization in '{dir}'")]
    MissingKustomization {
        /// The directory searched.
        dir: String,
    },
    /// An image change whose kind does not fit the target (Helm parameters for a
    /// kustomization, a Kustomize image for a values file).
    #[error("image '{image}' is configured for {placement}, which the {target} target cannot hold")]
    WrongPlacement {
        /// The image.
        image: String,
        /// `Kustomize` or `Helm`.
        placement: &'static str,
        /// The target kind.
        target: &'static str,
    },
    /// Digest-only pinning where the only place for the version is a tag field.
    #[error(
        "image '{image}': digest-only pinning needs a field that takes a digest (set helm.image-spec or helm.image-digest, or pin tag and digest)"
    )]
    DigestNeedsField {
        /// The image.
        image: String,
    },
    /// An image name that is not a valid reference.
    #[error("image '{image}' is not a valid image name")]
    BadImage {
        /// The name as given.
        image: String,
    },
    /// The existing file given is not the target's.
    #[error("existing file '{given}' is not the target file '{expected}'")]
    WrongFile {
        /// The target's file.
        expected: String,
        /// The file given.
        given: String,
    },
}
