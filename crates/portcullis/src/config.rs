//! The standalone configuration (`portcullis.yaml`): applications, their Git repositories and
//! write-back targets, and the images each watches, in Argo CD Image Updater's vocabulary,
//! for running Portcullis without Kubernetes. Strict: an unknown field is an error with its
//! line and column. Relative paths resolve against the file's directory.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use portcullis_gate::WatchedImage;
use portcullis_gitops::forge::{Auth, ForgeClient, GitHubApp, Provider};
use portcullis_gitops::template::Template;
use portcullis_image::ImageRef;
use portcullis_image::aiu::ContainerImage;
use portcullis_policy::Strategy;
use serde::Deserialize;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Config {
    /// `portcullis.dev/v1alpha1`.
    pub(crate) api_version: String,
    /// `Config`.
    pub(crate) kind: String,
    /// A registries configuration (Image Updater's `registries.conf`).
    #[serde(default)]
    pub(crate) registries_conf: Option<PathBuf>,
    /// Commit identity and signing, and how to push.
    #[serde(default)]
    pub(crate) git: Option<GitSettings>,
    /// The applications.
    #[serde(default)]
    pub(crate) applications: Vec<Application>,
    /// The file's directory, for relative paths (not in the file).
    #[serde(skip)]
    pub(crate) base: PathBuf,
}

/// Commit author and signing, push credentials.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct GitSettings {
    /// Author (and committer, unless given) of Portcullis' commits.
    #[serde(default)]
    pub(crate) author: Option<Identity>,
    /// The committer, when not the author.
    #[serde(default)]
    pub(crate) committer: Option<Identity>,
    /// How commits are signed.
    #[serde(default)]
    pub(crate) signing: Option<Signing>,
    /// A file holding an HTTPS token for pushes.
    #[serde(default)]
    pub(crate) token_file: Option<PathBuf>,
    /// An SSH private key for pushes.
    #[serde(default)]
    pub(crate) ssh_key: Option<PathBuf>,
    /// The `known_hosts` SSH host keys are checked against.
    #[serde(default)]
    pub(crate) known_hosts: Option<PathBuf>,
    /// A GitHub App whose installation tokens authenticate HTTPS fetches and pushes.
    #[serde(default)]
    pub(crate) github_app: Option<GitHubAppGit>,
}

/// A GitHub App installation that fetches and pushes over HTTPS.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct GitHubAppGit {
    /// The app's id.
    pub(crate) app_id: u64,
    /// The installation's id (in the installation's settings URL).
    pub(crate) installation_id: u64,
    /// The app's private key (PEM, as GitHub hands it out, or PKCS#8).
    pub(crate) private_key_file: PathBuf,
    /// The API that mints installation tokens (GitHub Enterprise Server:
    /// `https://HOST/api/v3`); default `https://api.github.com`.
    #[serde(default)]
    pub(crate) api_url: Option<String>,
}

/// A name and an email.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Identity {
    pub(crate) name: String,
    pub(crate) email: String,
}

/// Commit signing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Signing {
    /// `openpgp`, `x509`, `keyless`, or `none` (only with `allowUnsigned: true`).
    pub(crate) format: String,
    /// OpenPGP: the key's fingerprint or id.
    #[serde(default)]
    pub(crate) key: Option<String>,
    /// OpenPGP: the GnuPG home holding the key.
    #[serde(default)]
    pub(crate) gnupg_home: Option<PathBuf>,
    /// OpenPGP: an armoured secret key file (instead of a GnuPG home).
    #[serde(default)]
    pub(crate) key_file: Option<PathBuf>,
    /// OpenPGP: a file with the key's passphrase.
    #[serde(default)]
    pub(crate) passphrase_file: Option<PathBuf>,
    /// X.509: the signing certificate (PEM).
    #[serde(default)]
    pub(crate) certificate: Option<PathBuf>,
    /// X.509: its private key (PKCS#8 PEM).
    #[serde(default)]
    pub(crate) private_key: Option<PathBuf>,
    /// X.509: intermediate certificates (PEM).
    #[serde(default)]
    pub(crate) chain: Option<PathBuf>,
    /// Keyless: the Fulcio instance issuing the short-lived certificates.
    #[serde(default)]
    pub(crate) fulcio_url: Option<String>,
    /// Keyless: the Rekor instance logging each signature.
    #[serde(default)]
    pub(crate) rekor_url: Option<String>,
    /// Keyless: the file holding the OIDC identity token (re-read at each signature).
    #[serde(default)]
    pub(crate) oidc_token_file: Option<PathBuf>,
    /// Explicitly allow unsigned commits (`format: none`).
    #[serde(default)]
    pub(crate) allow_unsigned: bool,
}

/// One application.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Application {
    /// Its name (Argo CD's application name).
    pub(crate) name: String,
    /// Its namespace, for `.argocd-source-<namespace>_<name>.yaml`.
    #[serde(default)]
    pub(crate) namespace: Option<String>,
    /// The Git repository: a URL, or a path to a local repository.
    pub(crate) repository: String,
    /// The branch to read (default `main`).
    #[serde(default = "main")]
    pub(crate) branch: String,
    /// The application's source path in the repository.
    #[serde(default)]
    pub(crate) path: String,
    /// Where and how updates are written.
    #[serde(default)]
    pub(crate) write_back: WriteBack,
    /// The images.
    pub(crate) images: Vec<Image>,
}

fn main() -> String {
    "main".to_owned()
}

/// Write-back settings (Image Updater's `write-back-target`, `git-branch`, commit message).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct WriteBack {
    /// `kustomization[:dir]`, `helmvalues[:file]`; default the `.argocd-source-<app>.yaml`
    /// parameter override file.
    #[serde(default)]
    pub(crate) target: Option<String>,
    /// The branch to push to; `base:target` pushes to a separate branch (templates allowed).
    #[serde(default)]
    pub(crate) branch: Option<String>,
    /// The commit message template.
    #[serde(default)]
    pub(crate) commit_message: Option<String>,
    /// `digest` writes the digest alone; default both tag and digest (`1.4.2@sha256:…`,
    /// or a separate digest field where the target has one).
    #[serde(default)]
    pub(crate) pin: Option<PinMode>,
    /// Open a pull/merge request after a push to a separate write branch.
    #[serde(default)]
    pub(crate) pull_request: Option<PullRequestSettings>,
}

/// Where and how a pull/merge request is opened for a separate write branch.
#[derive(Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct PullRequestSettings {
    /// `github`, `gitlab` or `gitea`.
    pub(crate) provider: ForgeProvider,
    /// The API root; default `https://api.github.com` (github), `https://gitlab.com/api/v4`
    /// (gitlab); required for gitea (`https://gitea.example.com/api/v1`).
    #[serde(default)]
    pub(crate) api_url: Option<String>,
    /// `owner/name` (GitLab: the project path, `group/subgroup/name`).
    pub(crate) repository: String,
    /// A file holding the API token (GitLab: a project access token); read on every use.
    #[serde(default)]
    pub(crate) token_file: Option<PathBuf>,
    /// GitHub only: authenticate as a GitHub App installation instead of with a token file.
    #[serde(default)]
    pub(crate) github_app: Option<GitHubAppSettings>,
}

/// A forge with a pull/merge request API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ForgeProvider {
    /// GitHub or GitHub Enterprise Server.
    Github,
    /// GitLab.
    Gitlab,
    /// Gitea or Forgejo.
    Gitea,
}

/// A GitHub App installation.
#[derive(Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct GitHubAppSettings {
    /// The app's id.
    pub(crate) app_id: u64,
    /// The installation's id (in the installation's settings URL).
    pub(crate) installation_id: u64,
    /// The app's private key (PEM, as GitHub hands it out, or PKCS#8).
    pub(crate) private_key_file: PathBuf,
}

impl PullRequestSettings {
    /// The client these settings describe, paths resolved against the configuration.
    pub(crate) fn client(&self, config: &Config) -> anyhow::Result<ForgeClient> {
        let provider = match self.provider {
            ForgeProvider::Github => Provider::GitHub,
            ForgeProvider::Gitlab => Provider::GitLab,
            ForgeProvider::Gitea => Provider::Gitea,
        };
        let auth = match (&self.token_file, &self.github_app) {
            (Some(token), None) => Auth::TokenFile(config.resolve(token)),
            (None, Some(app)) => Auth::GitHubApp(GitHubApp::new(
                app.app_id.to_string(),
                app.installation_id,
                config.resolve(&app.private_key_file),
            )),
            _ => bail!("pullRequest: give exactly one of tokenFile and githubApp"),
        };
        Ok(ForgeClient::new(
            provider,
            self.api_url.as_deref(),
            &self.repository,
            auth,
        )?)
    }
}

/// How a written image is pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum PinMode {
    /// Tag and digest (the default).
    TagAndDigest,
    /// The digest alone.
    Digest,
}

/// One image of an application.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Image {
    /// The image: `ghcr.io/acme/web`, or Image Updater's `alias=image[:constraint]`.
    pub(crate) image: String,
    /// Its alias (for Helm and Kustomize parameter names).
    #[serde(default)]
    pub(crate) alias: Option<String>,
    /// `semver` (default), `newest-build`, `digest`, `alphabetical` (and Image Updater's
    /// deprecated names).
    #[serde(default)]
    pub(crate) strategy: Option<String>,
    /// A semver constraint, or the tag to follow with `digest`.
    #[serde(default)]
    pub(crate) constraint: Option<String>,
    /// `allow-tags`: `regexp:<expression>`.
    #[serde(default)]
    pub(crate) allow_tags: Option<String>,
    /// `ignore-tags`: globs or `regexp:` entries.
    #[serde(default)]
    pub(crate) ignore_tags: Vec<String>,
    /// Platforms (`linux/amd64`).
    #[serde(default)]
    pub(crate) platforms: Vec<String>,
    /// The deployed tag, when it cannot be read from the write-back target.
    #[serde(default)]
    pub(crate) current: Option<String>,
    /// A version to pin: Portcullis leaves the image alone.
    #[serde(default)]
    pub(crate) pin: Option<String>,
    /// Helm parameter names (`helm.image-name`, `helm.image-tag`, `helm.image-spec`).
    #[serde(default)]
    pub(crate) helm: Option<HelmNames>,
    /// The Kustomize image name to set (`kustomize.image-name`).
    #[serde(default)]
    pub(crate) kustomize_image: Option<String>,
}

/// Helm value paths an image is written to.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct HelmNames {
    #[serde(default)]
    pub(crate) image_name: Option<String>,
    #[serde(default)]
    pub(crate) image_tag: Option<String>,
    #[serde(default)]
    pub(crate) image_spec: Option<String>,
    /// Where the digest goes on its own (Image Updater's `helm.image-digest`); the tag path
    /// then receives the bare tag.
    #[serde(default)]
    pub(crate) image_digest: Option<String>,
}

impl Config {
    /// Reads and checks `path`.
    pub(crate) fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read configuration {}", path.display()))?;
        let mut config: Config = serde_saphyr::from_str(&text).map_err(|e| {
            let location = e
                .location()
                .filter(|l| l.line() > 0)
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            anyhow::anyhow!(
                "{}{location}: {}",
                path.display(),
                one_line(&e.without_snippet().to_string())
            )
        })?;
        if config.api_version != "portcullis.dev/v1alpha1" || config.kind != "Config" {
            bail!(
                "{}: expected apiVersion portcullis.dev/v1alpha1 and kind Config, found {} {}",
                path.display(),
                config.api_version,
                config.kind
            );
        }
        config.base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let mut names = std::collections::BTreeSet::new();
        for app in &config.applications {
            if portcullis_gitops::git::url_has_credentials(&app.repository) {
                bail!(
                    "{}: application '{}': the repository URL carries credentials; remove them and \
                     give git.tokenFile (or git.sshKey) instead",
                    path.display(),
                    app.name
                );
            }
            if !names.insert(app.name.as_str()) {
                bail!(
                    "{}: application '{}' is listed twice",
                    path.display(),
                    app.name
                );
            }
            if app.images.is_empty() {
                bail!(
                    "{}: application '{}' watches no image (add images: [{{image: …}}])",
                    path.display(),
                    app.name
                );
            }
            if let Some(pr) = &app.write_back.pull_request {
                pr.client(&config).with_context(|| {
                    format!(
                        "{}: application '{}', writeBack.pullRequest",
                        path.display(),
                        app.name
                    )
                })?;
            }
            for image in &app.images {
                app.watched(image).with_context(|| {
                    format!(
                        "{}: application '{}', image '{}'",
                        path.display(),
                        app.name,
                        image.image
                    )
                })?;
            }
        }
        if let Some(git) = &config.git {
            let given = [
                git.token_file.is_some(),
                git.ssh_key.is_some(),
                git.github_app.is_some(),
            ];
            if given.iter().filter(|g| **g).count() > 1 {
                bail!(
                    "{}: git: give at most one of tokenFile, sshKey and githubApp (one way to \
                     authenticate fetches and pushes)",
                    path.display()
                );
            }
        }
        // Templates are parsed now, so a mistake is reported before any cycle runs.
        for app in &config.applications {
            if let Some(message) = &app.write_back.commit_message {
                Template::parse("commit-message", message).with_context(|| {
                    format!(
                        "{}: application '{}': writeBack.commitMessage",
                        path.display(),
                        app.name
                    )
                })?;
            }
            if app.templated_branch() {
                Template::parse("branch", &app.branches().1).with_context(|| {
                    format!(
                        "{}: application '{}': writeBack.branch",
                        path.display(),
                        app.name
                    )
                })?;
            }
        }
        // One commit per repository and branch: its applications must agree on how it is
        // written (the message template and the pull request), or one would silently win.
        // A templated write branch is rendered, and committed, per application.
        let mut groups: std::collections::BTreeMap<CommitGroup, &Application> =
            std::collections::BTreeMap::new();
        for app in &config.applications {
            let key = app.commit_group();
            match groups.get(&key) {
                None => {
                    groups.insert(key, app);
                }
                Some(first)
                    if first.write_back.commit_message != app.write_back.commit_message
                        || first.write_back.pull_request != app.write_back.pull_request =>
                {
                    bail!(
                        "{}: applications '{}' and '{}' write to the same repository and branch in \
                         one commit but set different writeBack.commitMessage or \
                         writeBack.pullRequest; give them the same",
                        path.display(),
                        first.name,
                        app.name
                    );
                }
                Some(_) => {}
            }
        }
        Ok(config)
    }

    /// A path of the file, resolved against its directory.
    pub(crate) fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_owned()
        } else {
            self.base.join(path)
        }
    }
}

/// Repository, base branch, write branch (or its template), and the application when the
/// write branch is rendered per application: the applications of one group share a commit.
pub(crate) type CommitGroup = (String, String, String, String);

impl Application {
    /// The base branch and the write branch: `writeBack.branch` is `base[:write]`, either
    /// part defaulting to `branch`; the write branch may be a template.
    pub(crate) fn branches(&self) -> (String, String) {
        match self.write_back.branch.as_deref() {
            Some(spec) => {
                let (base, write) = spec.split_once(':').unwrap_or((spec, ""));
                let base = if base.is_empty() { &self.branch } else { base };
                let write = if write.is_empty() { base } else { write };
                (base.to_owned(), write.to_owned())
            }
            None => (self.branch.clone(), self.branch.clone()),
        }
    }

    /// Whether the write branch is a template (rendered for each application's changes).
    pub(crate) fn templated_branch(&self) -> bool {
        self.branches().1.contains("{{")
    }

    /// The commit this application's updates go into: repository, base branch, write branch
    /// (or its template), and the application's name when the write branch is rendered per
    /// application (empty otherwise).
    pub(crate) fn commit_group(&self) -> CommitGroup {
        let (base, write) = self.branches();
        let own = if self.templated_branch() {
            self.name.clone()
        } else {
            String::new()
        };
        (self.repository.clone(), base, write, own)
    }

    /// What the gate is asked about `image`.
    pub(crate) fn watched(&self, image: &Image) -> anyhow::Result<WatchedImage> {
        // Image Updater's image-list entry: `alias=image[:constraint]`.
        let entry = ContainerImage::parse(&image.image);
        let reference: ImageRef = entry
            .to_image_ref()
            .with_context(|| format!("'{}' is not an image reference", image.image))?;
        let strategy = match &image.strategy {
            Some(s) => Strategy::parse_name(s)?.strategy,
            None => Strategy::Semver,
        };
        let mut watched = WatchedImage::new(self.name.clone(), reference, strategy)
            .with_ignore_tags(image.ignore_tags.clone())
            .with_platforms(image.platforms.clone());
        let entry_alias = Some(entry.alias.clone()).filter(|a| !a.is_empty());
        if let Some(alias) = image.alias.clone().or(entry_alias) {
            watched = watched.with_alias(alias);
        }
        if let Some(c) = image
            .constraint
            .clone()
            .or_else(|| entry.constraint().map(str::to_owned))
        {
            watched = watched.with_constraint(c);
        }
        if let Some(a) = &image.allow_tags {
            watched = watched.with_allow_tags(a.clone());
        }
        if let Some(current) = &image.current {
            watched = watched.with_current(current.clone(), None);
        }
        if let Some(pin) = &image.pin {
            watched = watched.pinned(pin.clone());
        }
        Ok(watched)
    }
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pull_request: &str) -> anyhow::Result<Config> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("portcullis.yaml");
        std::fs::write(
            &path,
            format!(
                "apiVersion: portcullis.dev/v1alpha1\nkind: Config\napplications:\n- name: web\n  \
                 repository: https://git.example.com/acme/deploy.git\n  writeBack:\n    \
                 branch: main:portcullis/update\n    pullRequest: {pull_request}\n  \
                 images: [{{image: ghcr.io/acme/web}}]\n"
            ),
        )?;
        Config::load(&path)
    }

    #[test]
    fn applications_sharing_a_commit_must_agree_on_how_it_is_written() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("portcullis.yaml");
        let app = |name: &str, message: &str| {
            format!(
                "- name: {name}\n  repository: https://git.example.com/acme/deploy.git\n  \
                 writeBack: {{commitMessage: \"{message}\"}}\n  images: [{{image: ghcr.io/acme/{name}}}]\n"
            )
        };
        let head = "apiVersion: portcullis.dev/v1alpha1\nkind: Config\napplications:\n";
        std::fs::write(&path, format!("{head}{}{}", app("a", "m"), app("b", "m")))?;
        Config::load(&path)?;
        std::fs::write(
            &path,
            format!("{head}{}{}", app("a", "m"), app("b", "other")),
        )?;
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("'a' and 'b'") && err.contains("commitMessage"),
            "{err}"
        );
        // `writeBack.branch: main:main` is the same commit as the default branch `main`.
        let same = "- name: c\n  repository: https://git.example.com/acme/deploy.git\n  \
                    writeBack: {branch: \"main:main\", commitMessage: \"other\"}\n  \
                    images: [{image: ghcr.io/acme/c}]\n";
        std::fs::write(&path, format!("{head}{}{same}", app("a", "m")))?;
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(err.contains("'a' and 'c'"), "{err}");
        Ok(())
    }

    #[test]
    fn templates_are_checked_when_the_file_loads() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("portcullis.yaml");
        let app = |name: &str, write_back: &str| {
            format!(
                "- name: {name}\n  repository: https://git.example.com/acme/deploy.git\n  \
                 writeBack: {write_back}\n  images: [{{image: ghcr.io/acme/{name}}}]\n"
            )
        };
        let head = "apiVersion: portcullis.dev/v1alpha1\nkind: Config\napplications:\n";
        std::fs::write(
            &path,
            format!(
                "{head}{}",
                app("a", "{commitMessage: \"update {{ .AppName \"}")
            ),
        )?;
        let err = format!("{:#}", Config::load(&path).unwrap_err());
        assert!(
            err.contains("application 'a'") && err.contains("writeBack.commitMessage"),
            "{err}"
        );
        std::fs::write(
            &path,
            format!(
                "{head}{}",
                app("a", "{branch: \"main:portcullis/{{ .AppName\"}")
            ),
        )?;
        let err = format!("{:#}", Config::load(&path).unwrap_err());
        assert!(err.contains("writeBack.branch"), "{err}");
        // A branch rendered per application: the applications are committed apart and need
        // not agree on their messages.
        let templated = |m: &str| {
            format!("{{branch: \"main:portcullis/{{{{.AppName}}}}\", commitMessage: \"{m}\"}}")
        };
        std::fs::write(
            &path,
            format!(
                "{head}{}{}",
                app("a", &templated("one")),
                app("b", &templated("two"))
            ),
        )?;
        Config::load(&path)?;
        Ok(())
    }

    #[test]
    fn one_way_to_authenticate_git() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("portcullis.yaml");
        let with_git = |git: &str| {
            format!(
                "apiVersion: portcullis.dev/v1alpha1\nkind: Config\ngit:\n{git}applications:\n- name: a\n  repository: https://git.example.com/acme/deploy.git\n  images: [{{image: ghcr.io/acme/a}}]\n"
            )
        };
        let app = "  githubApp: {appId: 1, installationId: 2, privateKeyFile: app.pem}\n";
        std::fs::write(&path, with_git(app))?;
        Config::load(&path)?;
        std::fs::write(&path, with_git(&format!("{app}  tokenFile: token\n")))?;
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("at most one of tokenFile, sshKey and githubApp"),
            "{err}"
        );
        std::fs::write(&path, with_git("  tokenFile: token\n  sshKey: id\n"))?;
        assert!(Config::load(&path).is_err());
        Ok(())
    }

    #[test]
    fn pull_request_settings_are_strict() -> anyhow::Result<()> {
        load("{provider: github, repository: acme/deploy, tokenFile: t}")?;
        load(
            "{provider: github, repository: acme/deploy, \
             githubApp: {appId: 1, installationId: 2, privateKeyFile: k.pem}}",
        )?;
        load("{provider: gitlab, repository: acme/infra/deploy, tokenFile: t}")?;
        for (bad, why) in [
            ("{provider: github, repository: acme/deploy}", "exactly one"),
            (
                "{provider: gitea, repository: acme/deploy, tokenFile: t}",
                "apiUrl is required",
            ),
            (
                "{provider: bitbucket, repository: a/b, tokenFile: t}",
                "bitbucket",
            ),
            (
                "{provider: github, repository: a/b, tokenFile: t, token: x}",
                "token",
            ),
            (
                "{provider: gitlab, repository: a/b, \
                 githubApp: {appId: 1, installationId: 2, privateKeyFile: k}}",
                "github only",
            ),
        ] {
            let e = load(bad)
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_default();
            assert!(e.contains(why), "{bad}: {e}");
        }
        Ok(())
    }
}
