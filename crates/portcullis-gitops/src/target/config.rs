//! The write-back settings of an Application (`write-back-method`, `git-branch`,
//! `write-back-target`), parsed as Image Updater reads them.
//!
//! `argocd` (or nothing) patches the Application through the API and writes no file; `git`
//! and `git:<credentials>` write to the repository, with credentials `repocreds` (the
//! default) or `secret:[<namespace>/]<name>`. The branch is `<base>` or
//! `<base>:<write branch>` (an empty base is the Application's target revision; the write
//! branch may be a branch template).

use std::str::FromStr;

use super::spec::{AppSource, TargetError, TargetSpec, WriteBackTarget};

/// How changes reach the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteBackMethod {
    /// Patch the Application's parameters through the Argo CD API; no file is written.
    Argocd,
    /// Commit to the Application's Git repository.
    Git {
        /// Where the push credentials come from.
        credentials: GitCredentials,
    },
}

/// Where Git credentials come from (names only; no secret material here).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GitCredentials {
    /// The repository credentials configured in Argo CD.
    RepoCreds,
    /// A Kubernetes secret.
    Secret {
        /// Its namespace, when not the Application's.
        namespace: Option<String>,
        /// Its name.
        name: String,
    },
}

impl FromStr for WriteBackMethod {
    type Err = TargetError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let m = input.trim();
        if m == "argocd" {
            return Ok(Self::Argocd);
        }
        let (method, creds) = match m.find(':') {
            Some(i) if i > 0 => (&m[..i], Some(&m[i + 1..])),
            _ => (m, None),
        };
        if method != "git" {
            return Err(TargetError::UnknownMethod {
                method: m.to_owned(),
            });
        }
        let credentials = match creds {
            None | Some("repocreds") => GitCredentials::RepoCreds,
            Some(c) => match c.strip_prefix("secret:") {
                Some(s) if !s.is_empty() => match s.split_once('/') {
                    Some((ns, name))
                        if !ns.is_empty() && !name.is_empty() && !name.contains('/') =>
                    {
                        GitCredentials::Secret {
                            namespace: Some(ns.to_owned()),
                            name: name.to_owned(),
                        }
                    }
                    None => GitCredentials::Secret {
                        namespace: None,
                        name: s.to_owned(),
                    },
                    Some(_) => {
                        return Err(TargetError::BadCredentials {
                            credentials: c.to_owned(),
                        });
                    }
                },
                _ => {
                    return Err(TargetError::BadCredentials {
                        credentials: c.to_owned(),
                    });
                }
            },
        };
        Ok(Self::Git { credentials })
    }
}

/// `git-branch`: the branch to check out and, optionally, another one to push to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BranchSpec {
    /// The branch to start from; empty for the Application's target revision.
    pub base: String,
    /// The branch to push to (possibly a branch template); `None` pushes to `base`.
    pub write: Option<String>,
}

impl FromStr for BranchSpec {
    type Err = TargetError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = input.trim().split(':').collect();
        match parts.as_slice() {
            [base] => Ok(Self {
                base: (*base).to_owned(),
                write: None,
            }),
            [base, write] => Ok(Self {
                base: (*base).to_owned(),
                write: (!write.is_empty()).then(|| (*write).to_owned()),
            }),
            _ => Err(TargetError::BadBranch {
                branch: input.to_owned(),
            }),
        }
    }
}

/// The write-back settings as written on an Application (annotations or the
/// `ImageUpdater` resource); `None` for settings not given.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteBackSettings<'a> {
    /// `write-back-method`.
    pub method: Option<&'a str>,
    /// `git-branch`.
    pub branch: Option<&'a str>,
    /// `write-back-target`.
    pub target: Option<&'a str>,
}

/// The validated write-back configuration of one Application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteBackConfig {
    /// How changes are written.
    pub method: WriteBackMethod,
    /// The branches (Git only; default otherwise).
    pub branch: BranchSpec,
    /// The file or directory written (the default override file for `argocd`, which the
    /// Argo CD method does not write but Image Updater still computes).
    pub target: WriteBackTarget,
}

impl WriteBackConfig {
    /// Validates the settings of `app`. The target and branch are read for `git` only,
    /// as Image Updater does.
    pub fn from_settings(
        settings: &WriteBackSettings<'_>,
        app: &AppSource,
    ) -> Result<Self, TargetError> {
        let method = match settings.method {
            None => WriteBackMethod::Argocd,
            Some(m) => m.parse()?,
        };
        let default_target = TargetSpec::Default.resolve(app)?;
        if method == WriteBackMethod::Argocd {
            return Ok(Self {
                method,
                branch: BranchSpec::default(),
                target: default_target,
            });
        }
        let target = match settings.target {
            Some(t) => t.parse::<TargetSpec>()?.resolve(app)?,
            None => default_target,
        };
        let branch = match settings.branch {
            Some(b) => b.parse()?,
            None => BranchSpec::default(),
        };
        Ok(Self {
            method,
            branch,
            target,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_methods_and_credentials() {
        assert_eq!(
            "argocd".parse::<WriteBackMethod>(),
            Ok(WriteBackMethod::Argocd)
        );
        assert_eq!(
            "git".parse::<WriteBackMethod>(),
            Ok(WriteBackMethod::Git {
                credentials: GitCredentials::RepoCreds
            })
        );
        assert_eq!(
            "git:secret:argocd/git-creds".parse::<WriteBackMethod>(),
            Ok(WriteBackMethod::Git {
                credentials: GitCredentials::Secret {
                    namespace: Some("argocd".into()),
                    name: "git-creds".into()
                }
            })
        );
        assert!(matches!(
            "git:error:x/y".parse::<WriteBackMethod>(),
            Err(TargetError::BadCredentials { .. })
        ));
        assert!(matches!(
            "unknown".parse::<WriteBackMethod>(),
            Err(TargetError::UnknownMethod { .. })
        ));
    }

    #[test]
    fn splits_base_and_write_branches() {
        let b: BranchSpec = "main:image-updater".parse().unwrap();
        assert_eq!(
            (b.base.as_str(), b.write.as_deref()),
            ("main", Some("image-updater"))
        );
        assert!("a:b:c".parse::<BranchSpec>().is_err());
    }
}
