//! Registry credentials: the sources they come from, parsing source specs, and resolving
//! them ([`CredentialStore`]).
//!
//! Specs use Image Updater's syntax `[registry=]type:definition`: `pullsecret:ns/name` and
//! `secret:ns/name#field` (Kubernetes secrets, resolved only through a [`SecretReader`] the
//! in-cluster controller provides), `env:VAR` (`user:password`), `ext:/abs/script` (prints
//! `user:password`); and Portcullis' own `file:/path` (`user:password` or a bare token) and
//! `dockerconfig:/path/config.json` (`auths`, `credHelpers`, `credsStore`).
//!
//! Resolved credentials are cached per endpoint until its `credsexpire` elapses; concurrent
//! requests for the same endpoint share one resolution. No credential value ever reaches
//! an error message, a log line or `Debug`.

mod docker_config;
mod helper;
mod kubernetes;
mod store;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

pub use docker_config::pull_secret_credentials;
pub use helper::CommandError;
pub use kubernetes::{SecretFuture, SecretReadError, SecretReader};
pub use store::CredentialStore;

use crate::secret::Secret;

/// Credentials for one registry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// Username and password. The username [`Credentials::IDENTITY_TOKEN_USER`] marks an
    /// identity token (an OAuth2 refresh token) in `password`; see
    /// [`Credentials::identity_token`].
    Basic {
        /// The user.
        username: String,
        /// The password.
        password: Secret,
    },
    /// A bearer token sent to the registry as is (a `file:` holding a bare token, a docker
    /// config `registrytoken`).
    Token(Secret),
}

impl Credentials {
    /// The username docker's credential helpers use to say "the secret is an identity token".
    pub const IDENTITY_TOKEN_USER: &'static str = "<token>";

    /// Username and password.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self::Basic {
            username: username.into(),
            password: Secret::new(password),
        }
    }

    /// The identity token, when these credentials are one: docker's `identitytoken`, or a
    /// helper's answer with username `<token>`. It is an OAuth2 refresh token, to be
    /// exchanged at the registry's token endpoint (`grant_type=refresh_token`), not sent
    /// as a password.
    pub fn identity_token(&self) -> Option<&Secret> {
        match self {
            Self::Basic { username, password } if username == Self::IDENTITY_TOKEN_USER => {
                Some(password)
            }
            _ => None,
        }
    }
}

/// A parsed credential source. `Display` writes it back as a spec (specs hold no secret).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialSource {
    /// A Kubernetes pull secret; its `.dockerconfigjson` field is read.
    PullSecret {
        /// Registry prefix, empty when not given.
        registry: String,
        /// Namespace.
        namespace: String,
        /// Secret name.
        name: String,
    },
    /// A field of a Kubernetes secret holding `user:password`.
    Secret {
        /// Registry prefix, empty when not given.
        registry: String,
        /// Namespace.
        namespace: String,
        /// Secret name.
        name: String,
        /// The field.
        field: String,
    },
    /// An environment variable holding `user:password`.
    Env {
        /// Registry prefix, empty when not given.
        registry: String,
        /// Variable name.
        var: String,
    },
    /// An executable (run directly, no shell) printing `user:password`.
    Ext {
        /// Registry prefix, empty when not given.
        registry: String,
        /// Absolute path.
        script: PathBuf,
    },
    /// A file holding `user:password`, or a bare token.
    File {
        /// Registry prefix, empty when not given.
        registry: String,
        /// The file.
        path: PathBuf,
    },
    /// A docker `config.json`.
    DockerConfig {
        /// Registry prefix, empty when not given.
        registry: String,
        /// The file.
        path: PathBuf,
    },
}

/// The field of a pull secret that holds the docker config.
pub const PULL_SECRET_FIELD: &str = ".dockerconfigjson";

impl CredentialSource {
    /// Parses a spec `[registry=]type:definition` as Image Updater does: the type is
    /// case-insensitive, the definition has no further `:`, namespace, name and field are
    /// non-empty. With `require_registry` (Image Updater's `pull-secret` annotation) the
    /// `registry=` part is mandatory. Unlike Image Updater, an `ext:` path must be absolute
    /// already when parsed.
    pub fn parse(spec: &str, require_registry: bool) -> Result<Self, CredentialError> {
        let spec = spec.trim();
        let (registry, definition) = match spec.split_once('=') {
            Some((r, d)) if !r.is_empty() && !d.is_empty() => (r.to_owned(), d),
            _ if require_registry => {
                return Err(CredentialError::Spec {
                    problem: "the registry= part is missing or empty",
                });
            }
            _ => (String::new(), spec),
        };
        let parts: Vec<&str> = definition.split(':').collect();
        let (kind, def) = match parts.as_slice() {
            [k, d] if !k.is_empty() && !d.is_empty() => (k.to_ascii_lowercase(), *d),
            _ => {
                return Err(CredentialError::Spec {
                    problem: "it must be type:definition with exactly one ':' and both parts non-empty",
                });
            }
        };
        let bad = |kind: &'static str, expected: &'static str| CredentialError::Definition {
            kind,
            definition: def.to_owned(),
            expected,
        };
        let ns_name =
            |kind: &'static str, s: &str, expected| match s.split('/').collect::<Vec<_>>()[..] {
                [ns, name] if !ns.is_empty() && !name.is_empty() => {
                    Ok((ns.to_owned(), name.to_owned()))
                }
                _ => Err(bad(kind, expected)),
            };
        match kind.as_str() {
            "pullsecret" => {
                let (namespace, name) = ns_name("pullsecret", def, "namespace/name")?;
                Ok(Self::PullSecret {
                    registry,
                    namespace,
                    name,
                })
            }
            "secret" => {
                let expected = "namespace/name#field";
                let (location, field) = match def.split('#').collect::<Vec<_>>()[..] {
                    [l, f] if !l.is_empty() && !f.is_empty() => (l, f.to_owned()),
                    _ => return Err(bad("secret", expected)),
                };
                let (namespace, name) = ns_name("secret", location, expected)?;
                Ok(Self::Secret {
                    registry,
                    namespace,
                    name,
                    field,
                })
            }
            "env" => Ok(Self::Env {
                registry,
                var: def.to_owned(),
            }),
            "ext" if def.starts_with('/') => Ok(Self::Ext {
                registry,
                script: PathBuf::from(def),
            }),
            "ext" => Err(bad("ext", "an absolute path to an executable")),
            "file" => Ok(Self::File {
                registry,
                path: PathBuf::from(def),
            }),
            "dockerconfig" => Ok(Self::DockerConfig {
                registry,
                path: PathBuf::from(def),
            }),
            _ => Err(CredentialError::UnknownType {
                kind: printable_kind(&kind),
            }),
        }
    }

    /// The registry prefix the spec names, empty when none.
    pub fn registry(&self) -> &str {
        match self {
            Self::PullSecret { registry, .. }
            | Self::Secret { registry, .. }
            | Self::Env { registry, .. }
            | Self::Ext { registry, .. }
            | Self::File { registry, .. }
            | Self::DockerConfig { registry, .. } => registry,
        }
    }

    /// The type as written in specs: `pullsecret`, `secret`, `env`, `ext`, `file`,
    /// `dockerconfig`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PullSecret { .. } => "pullsecret",
            Self::Secret { .. } => "secret",
            Self::Env { .. } => "env",
            Self::Ext { .. } => "ext",
            Self::File { .. } => "file",
            Self::DockerConfig { .. } => "dockerconfig",
        }
    }
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.registry().is_empty() {
            write!(f, "{}=", self.registry())?;
        }
        match self {
            Self::PullSecret {
                namespace, name, ..
            } => write!(f, "pullsecret:{namespace}/{name}"),
            Self::Secret {
                namespace,
                name,
                field,
                ..
            } => write!(f, "secret:{namespace}/{name}#{field}"),
            Self::Env { var, .. } => write!(f, "env:{var}"),
            Self::Ext { script, .. } => write!(f, "ext:{}", script.display()),
            Self::File { path, .. } => write!(f, "file:{}", path.display()),
            Self::DockerConfig { path, .. } => write!(f, "dockerconfig:{}", path.display()),
        }
    }
}

/// An unknown type is echoed only when it looks like a type name: a spec that does not
/// parse may be a pasted secret.
fn printable_kind(kind: &str) -> String {
    if kind.len() <= 24
        && kind
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        kind.to_owned()
    } else {
        "<not shown>".to_owned()
    }
}

/// Why credentials cannot be parsed or resolved. Never contains a credential value, nor
/// the output of a script or helper.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// The spec does not have the `[registry=]type:definition` shape.
    #[error(
        "invalid credential spec: {problem} (expected [registry=]type:definition, e.g. env:REGISTRY_CREDS or ghcr.io=file:/etc/portcullis/ghcr)"
    )]
    Spec {
        /// What is wrong.
        problem: &'static str,
    },
    /// An unknown type.
    #[error(
        "unknown credential source type '{kind}' (use pullsecret, secret, env, ext, file or dockerconfig)"
    )]
    UnknownType {
        /// The type (or `<not shown>`).
        kind: String,
    },
    /// A bad definition for a known type.
    #[error("invalid {kind} credential definition '{definition}': expected {expected}")]
    Definition {
        /// The type.
        kind: &'static str,
        /// The definition.
        definition: String,
        /// What it should look like.
        expected: &'static str,
    },
    /// A Kubernetes source without a Kubernetes secret reader.
    #[error(
        "{kind}:{namespace}/{name} reads a Kubernetes secret, which only the in-cluster controller can do; outside a cluster use env:, file: or dockerconfig: instead"
    )]
    NeedsKubernetes {
        /// The type.
        kind: &'static str,
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
    },
    /// A Kubernetes secret could not be read.
    #[error("cannot read field '{field}' of Kubernetes secret {namespace}/{name}")]
    KubernetesSecret {
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
        /// Field.
        field: String,
        /// Why.
        #[source]
        source: SecretReadError,
    },
    /// An environment variable is unset or empty.
    #[error("environment variable {var} is not set or empty: set it to user:password")]
    EnvMissing {
        /// The variable.
        var: String,
    },
    /// A value that should be `user:password` is not.
    #[error("{origin} is not in the form user:password: {problem}")]
    Malformed {
        /// Where the value came from (`environment variable X`, `output of /path`).
        origin: String,
        /// What is wrong (never the value).
        problem: &'static str,
    },
    /// A file cannot be read.
    #[error("cannot read credentials file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file is larger than credentials can be.
    #[error("{path} is larger than {limit} bytes, too large for credentials: check the path")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: usize,
    },
    /// An `ext:` script or a credential helper failed.
    #[error("credential command {program} failed")]
    Command {
        /// The program.
        program: PathBuf,
        /// What happened.
        #[source]
        source: CommandError,
    },
    /// A credential helper named by a docker config is not installed.
    #[error(
        "docker credential helper docker-credential-{helper} (named in {config}) not found in {searched}: install it, or remove it from the file"
    )]
    HelperNotFound {
        /// The helper name.
        helper: String,
        /// The docker config.
        config: String,
        /// The directories searched, `:`-separated.
        searched: String,
    },
    /// A helper name that is not a plain name.
    #[error(
        "docker credential helper name '{helper}' in {config} is not a plain name (letters, digits, '.', '_', '-')"
    )]
    HelperName {
        /// The name (echoed only if short and printable).
        helper: String,
        /// The docker config.
        config: String,
    },
    /// A helper's answer is not the helper-protocol JSON.
    #[error(
        "docker credential helper docker-credential-{helper} answered something other than {{\"ServerURL\": ..., \"Username\": ..., \"Secret\": ...}}"
    )]
    HelperAnswer {
        /// The helper name.
        helper: String,
    },
    /// A docker config (file or pull secret) that is not JSON.
    #[error("{origin} is not valid JSON (line {line}, column {column}): fix it or log in again")]
    DockerConfigSyntax {
        /// The file or secret.
        origin: String,
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
    },
    /// A docker config whose shape is wrong.
    #[error("{origin}: {problem}")]
    DockerConfigShape {
        /// The file or secret.
        origin: String,
        /// What is wrong (names keys, never values).
        problem: String,
    },
    /// No entry matches the registry.
    #[error(
        "no valid auth entry for registry {registry} found in {origin}: log in with 'docker login {registry}', or add it to 'auths'"
    )]
    NoEntry {
        /// The file or secret.
        origin: String,
        /// The registry.
        registry: String,
    },
}

/// How long an `ext:` script or a credential helper may run (Image Updater's `ext:` limit).
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// Splits `user:password`. With `strict`, both parts must be non-empty (Image Updater's
/// rule for `env:`); otherwise only the `:` is required (its rule for scripts and secrets).
fn user_password(value: &str, origin: &str, strict: bool) -> Result<Credentials, CredentialError> {
    let malformed = |problem| CredentialError::Malformed {
        origin: origin.to_owned(),
        problem,
    };
    let value = value.trim_end_matches(['\n', '\r']);
    if value.contains(['\n', '\r']) {
        return Err(malformed("it must be a single line"));
    }
    let (user, password) = value
        .split_once(':')
        .ok_or_else(|| malformed("there is no ':'"))?;
    if strict && (user.is_empty() || password.is_empty()) {
        return Err(malformed("user and password must both be non-empty"));
    }
    Ok(Credentials::basic(user, password))
}

#[cfg(test)]
mod tests;
