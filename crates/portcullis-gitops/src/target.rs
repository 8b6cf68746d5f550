//! Write-back targets, as Argo CD Image Updater users configure them, and the edits that
//! put a verified image into them.
//!
//! - [`TargetSpec`] / [`WriteBackTarget`]: the `write-back-target` grammar (`kustomization[:dir]`,
//!   `helmvalues[:file]`, a plain override file, the default `.argocd-source-<app>.yaml`),
//!   placed in the repository relative to the Application's source path or, with a leading
//!   `/`, the repository root. [`WriteBackConfig`] adds the method and branch settings.
//! - [`write_back`]: the entry point for the run loop. It accepts only
//!   [`portcullis_verify::VerifiedImage`]s (through [`ImageChange`]) and returns a
//!   [`FileEdit`] that pins the verified digest ([`Pinning`]).
//! - [`edit_file`] and the per-format functions: the same edits over plain strings, pure
//!   functions from the file's text to its new text. Each keeps every byte it does not
//!   change (comments, key order, quoting, indentation, blank lines, document markers); the
//!   YAML is edited by a small format-preserving editor (see `yaml`), which refuses what it
//!   cannot edit safely rather than reformat.

mod change;
mod config;
mod current;
mod error;
mod helm_values;
mod kustomization;
mod kustomize_image;
mod source_override;
mod spec;
mod yaml;

pub use change::{
    ChangeError, ExistingFile, FileEdit, HelmParams, ImageChange, ImageUpdate, Pinning, Placement,
    edit_file, write_back,
};
pub use config::{BranchSpec, GitCredentials, WriteBackConfig, WriteBackMethod, WriteBackSettings};
pub use current::{Deployed, read_deployed};
pub use error::EditError;
pub use helm_values::{HelmValueWrite, set_helm_values};
pub use kustomization::{KustomizeImageEdit, set_kustomization_image};
pub use kustomize_image::KustomizeImage;
pub use source_override::{HelmParameter, merge_helm_parameters, merge_kustomize_images};
pub use spec::{
    AppSource, KUSTOMIZATION_FILE_NAMES, OVERRIDE_FILE_PREFIX, TargetError, TargetSpec,
    WriteBackTarget,
};
pub use yaml::YamlError;
