//! The `write-back-target` grammar of Argo CD Image Updater, and where each form puts the
//! file in the repository.
//!
//! | written | file | relative to |
//! |---|---|---|
//! | (nothing) | `.argocd-source-<app>.yaml` (or `.argocd-source-<ns>_<app>.yaml`) | the source path |
//! | `kustomization`, `kustomization:<dir>` | `<dir>/kustomization.yaml` (`.yml`, `Kustomization`) | the source path |
//! | `helmvalues`, `helmvalues:<file>` | `<file>` (default `values.yaml`) | the source path |
//! | `<file>` | a parameter-override file, verbatim | the repository root |
//!
//! A path starting with `/` is relative to the repository root instead; paths are cleaned
//! like Go's `filepath.Join` (`bar/foo` + `../baz` = `bar/baz`). Unlike Image Updater, a
//! path that climbs out of the repository is refused, as are `kustomization.yaml`-named
//! override files and `kustomization<anything>` prefixes other than `kustomization:`.

use std::fmt;
use std::str::FromStr;

const KUSTOMIZATION: &str = "kustomization";
const HELM_VALUES: &str = "helmvalues";
const DEFAULT_VALUES_FILE: &str = "values.yaml";
/// File names kustomize recognises, in the order it looks for them.
pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];
/// The name prefix of Argo CD parameter-override files.
pub const OVERRIDE_FILE_PREFIX: &str = ".argocd-source-";

/// Why a write-back target or setting is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// An empty target.
    #[error("write-back target is empty (omit it for the default .argocd-source-<app>.yaml)")]
    Empty,
    /// `helmvalues:` with nothing after the colon.
    #[error(
        "write-back target '{target}' names no file after ':' (write 'helmvalues' for values.yaml)"
    )]
    MissingFile {
        /// The target as written.
        target: String,
    },
    /// A prefix that is almost `kustomization:`.
    #[error("write-back target '{target}' is not 'kustomization' or 'kustomization:<dir>'")]
    BadKustomizationPrefix {
        /// The target as written.
        target: String,
    },
    /// A plain override file named like a kustomization.
    #[error(
        "write-back target '{target}' looks like a kustomization file; writing parameter overrides to it would discard its content (use 'kustomization:<dir>' to edit it in place)"
    )]
    LooksLikeKustomization {
        /// The target as written.
        target: String,
    },
    /// A path that resolves outside the repository.
    #[error(
        "write-back target '{target}' resolves outside the repository (from source path '{source_path}')"
    )]
    OutsideRepository {
        /// The target as written.
        target: String,
        /// The Application's source path it was joined with.
        source_path: String,
    },
    /// An Application name that cannot be part of a file name.
    #[error(
        "application name '{name}' cannot name an override file (it must be non-empty, without '/')"
    )]
    BadAppName {
        /// The name.
        name: String,
    },
    /// A `write-back-method` other than `argocd` or `git[:<credentials>]`.
    #[error("invalid write-back method '{method}' (expected 'argocd' or 'git[:<credentials>]')")]
    UnknownMethod {
        /// The method as written.
        method: String,
    },
    /// Credentials other than `repocreds` or `secret:[<namespace>/]<name>`.
    #[error(
        "invalid git credentials '{credentials}' (expected 'repocreds', 'secret:<secret>' or 'secret:<namespace>/<secret>')"
    )]
    BadCredentials {
        /// The credentials part as written.
        credentials: String,
    },
    /// A `git-branch` with more than one `:`.
    #[error("invalid git branch '{branch}' (expected '<base>' or '<base>:<write branch>')")]
    BadBranch {
        /// The branch setting as written.
        branch: String,
    },
}

/// The Application a write-back is for: its name, its namespace when that differs from
/// the controller's (it then appears in the default file name), and its source path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSource {
    name: String,
    namespace: Option<String>,
    path: String,
}

impl AppSource {
    /// An Application in the controller's namespace, with its source path (`""` for the root).
    pub fn new(name: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            namespace: None,
            path: path.into(),
        }
    }

    /// Marks the Application as living in another namespace than the controller's: the
    /// default file is then `.argocd-source-<ns>_<app>.yaml`.
    #[must_use]
    pub fn in_namespace(mut self, namespace: impl Into<String>) -> Self {
        let ns = namespace.into();
        self.namespace = (!ns.is_empty()).then_some(ns);
        self
    }

    /// The Application name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace, when it is not the controller's.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The source path in the repository.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `.argocd-source-<app>.yaml` or `.argocd-source-<ns>_<app>.yaml`.
    pub fn default_file_name(&self) -> Result<String, TargetError> {
        let bad = |s: &str| s.is_empty() || s.contains(['/', '\\', '\0']);
        if bad(&self.name) || self.namespace.as_deref().is_some_and(bad) {
            return Err(TargetError::BadAppName {
                name: self.name.clone(),
            });
        }
        Ok(match &self.namespace {
            Some(ns) => format!("{OVERRIDE_FILE_PREFIX}{ns}_{}.yaml", self.name),
            None => format!("{OVERRIDE_FILE_PREFIX}{}.yaml", self.name),
        })
    }
}

/// A `write-back-target` as written, before it is placed in a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetSpec {
    /// No target: the default parameter-override file in the source path.
    Default,
    /// `kustomization[:<dir>]`: edit the kustomization in that directory.
    Kustomization(Option<String>),
    /// `helmvalues[:<file>]`: edit a Helm values file.
    HelmValues(Option<String>),
    /// Any other text: a parameter-override file at that path from the repository root.
    File(String),
}

impl FromStr for TargetSpec {
    type Err = TargetError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let t = input.trim();
        if t.is_empty() {
            return Err(TargetError::Empty);
        }
        if let Some(rest) = t.strip_prefix(KUSTOMIZATION) {
            return match rest.strip_prefix(':') {
                _ if rest.is_empty() => Ok(Self::Kustomization(None)),
                Some("") => Ok(Self::Kustomization(None)),
                Some(dir) => Ok(Self::Kustomization(Some(dir.to_owned()))),
                None if KUSTOMIZATION_FILE_NAMES.contains(&t) => {
                    Err(TargetError::LooksLikeKustomization {
                        target: t.to_owned(),
                    })
                }
                None => Err(TargetError::BadKustomizationPrefix {
                    target: t.to_owned(),
                }),
            };
        }
        if let Some(rest) = t.strip_prefix(HELM_VALUES) {
            match rest.strip_prefix(':') {
                _ if rest.is_empty() => return Ok(Self::HelmValues(None)),
                Some("") => {
                    return Err(TargetError::MissingFile {
                        target: t.to_owned(),
                    });
                }
                Some(file) => return Ok(Self::HelmValues(Some(file.to_owned()))),
                // `helmvalues.yaml` and the like are plain file names.
                None => {}
            }
        }
        let base = t.rsplit('/').next().unwrap_or(t);
        if KUSTOMIZATION_FILE_NAMES.contains(&base) {
            return Err(TargetError::LooksLikeKustomization {
                target: t.to_owned(),
            });
        }
        Ok(Self::File(t.to_owned()))
    }
}

impl fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => Ok(()),
            Self::Kustomization(None) => f.write_str(KUSTOMIZATION),
            Self::Kustomization(Some(d)) => write!(f, "{KUSTOMIZATION}:{d}"),
            Self::HelmValues(None) => f.write_str(HELM_VALUES),
            Self::HelmValues(Some(p)) => write!(f, "{HELM_VALUES}:{p}"),
            Self::File(p) => f.write_str(p),
        }
    }
}

impl TargetSpec {
    /// Places the target in the repository for `app`.
    pub fn resolve(&self, app: &AppSource) -> Result<WriteBackTarget, TargetError> {
        let written = self.to_string();
        let place = |p: &str, base: &str| {
            resolve_path(p, base).ok_or_else(|| TargetError::OutsideRepository {
                target: written.clone(),
                source_path: app.path.clone(),
            })
        };
        Ok(match self {
            Self::Default => WriteBackTarget::Override {
                path: place(&app.default_file_name()?, &app.path)?,
            },
            Self::Kustomization(dir) => WriteBackTarget::Kustomization {
                dir: place(dir.as_deref().unwrap_or("."), &app.path)?,
            },
            Self::HelmValues(file) => WriteBackTarget::HelmValues {
                file: place(file.as_deref().unwrap_or(DEFAULT_VALUES_FILE), &app.path)?,
            },
            Self::File(p) => WriteBackTarget::Override {
                path: place(p, "")?,
            },
        })
    }
}

/// A write-back target placed in a repository: paths are relative to its root, cleaned,
/// and never leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteBackTarget {
    /// A parameter-override file (`.argocd-source-<app>.yaml`, or a file named by the
    /// target). Kustomize images go to `kustomize.images`, Helm parameters to
    /// `helm.parameters`; a file whose name does not start with `.argocd-source-` receives
    /// Helm changes as a values file, as Image Updater does.
    Override {
        /// The file.
        path: String,
    },
    /// The kustomization in a directory, edited like `kustomize edit set image`.
    Kustomization {
        /// The directory (`.` for the root).
        dir: String,
    },
    /// A Helm values file.
    HelmValues {
        /// The file.
        file: String,
    },
}

impl WriteBackTarget {
    /// The files to look for, in order: one for a file target, the three kustomization
    /// names for a directory.
    pub fn candidate_files(&self) -> Vec<String> {
        match self {
            Self::Override { path } => vec![path.clone()],
            Self::HelmValues { file } => vec![file.clone()],
            Self::Kustomization { dir } => KUSTOMIZATION_FILE_NAMES
                .iter()
                .map(|f| {
                    if dir == "." {
                        (*f).to_owned()
                    } else {
                        format!("{dir}/{f}")
                    }
                })
                .collect(),
        }
    }

    /// The path as Image Updater reports it (`kustomize_base` for a kustomization).
    pub fn path(&self) -> &str {
        match self {
            Self::Override { path } => path,
            Self::Kustomization { dir } => dir,
            Self::HelmValues { file } => file,
        }
    }

    /// Whether the file is edited as a Helm values file for Helm changes.
    pub(crate) fn helm_values_file(&self) -> bool {
        match self {
            Self::HelmValues { .. } => true,
            Self::Override { path } => !path
                .rsplit('/')
                .next()
                .unwrap_or(path)
                .starts_with(OVERRIDE_FILE_PREFIX),
            Self::Kustomization { .. } => false,
        }
    }
}

/// `p` against `base` (or against the root when `p` starts with `/`), cleaned; `None` when
/// the result leaves the repository.
fn resolve_path(p: &str, base: &str) -> Option<String> {
    let (root_relative, p) = match p.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, p),
    };
    let mut parts: Vec<&str> = Vec::new();
    let joined = if root_relative {
        vec![p]
    } else {
        vec![base, p]
    };
    for piece in joined {
        for seg in piece.split('/') {
            match seg {
                "" | "." => {}
                ".." => {
                    parts.pop()?;
                }
                s => parts.push(s),
            }
        }
    }
    Some(if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_like_go_filepath_join() {
        assert_eq!(
            resolve_path("./values.yaml", "").as_deref(),
            Some("values.yaml")
        );
        assert_eq!(
            resolve_path("../baz", "bar/foo").as_deref(),
            Some("bar/baz")
        );
        assert_eq!(resolve_path("/foo", "bar").as_deref(), Some("foo"));
        assert_eq!(resolve_path(".", "").as_deref(), Some("."));
        assert_eq!(resolve_path("../../x", "a"), None);
    }

    #[test]
    fn names_the_default_file_with_the_namespace_when_given() {
        let app = AppSource::new("my-app", "deploy");
        assert_eq!(
            TargetSpec::Default.resolve(&app).unwrap().path(),
            "deploy/.argocd-source-my-app.yaml"
        );
        let app = app.in_namespace("team-a");
        assert_eq!(
            TargetSpec::Default.resolve(&app).unwrap().path(),
            "deploy/.argocd-source-team-a_my-app.yaml"
        );
    }

    #[test]
    fn refuses_misleading_targets() {
        assert!(matches!(
            "kustomization.yaml".parse::<TargetSpec>(),
            Err(TargetError::LooksLikeKustomization { .. })
        ));
        assert!(matches!(
            "a/Kustomization".parse::<TargetSpec>(),
            Err(TargetError::LooksLikeKustomization { .. })
        ));
        assert!(matches!(
            "kustomizationx".parse::<TargetSpec>(),
            Err(TargetError::BadKustomizationPrefix { .. })
        ));
        assert!(matches!(
            "helmvalues:".parse::<TargetSpec>(),
            Err(TargetError::MissingFile { .. })
        ));
        assert_eq!("".parse::<TargetSpec>(), Err(TargetError::Empty));
    }
}
