//! The variables templates see, and rendering of commit messages and branch names.
//!
//! Commit message (as Image Updater): `.AppName`; `.AppChanges`, each with `.Image` (the
//! image name without registry), `.OldTag`, `.NewTag` and `.Labels` (the new image's
//! labels). Portcullis adds to each change `.Alias`, `.Repository` (with registry),
//! `.Digest` (the verified digest that is committed), `.OldDigest`, `.Signer` (the
//! certificate identity, or the key fingerprint) and `.Rule` (the policy rule that allowed
//! it).
//!
//! Branch name (as Image Updater): `.AppNamespace`, `.AppName`, `.TargetKey`, `.SHA256`
//! (hex SHA-256 of `<Image>-<OldTag>-<NewTag>,` over all changes) and `.Images`, each with
//! `.Name`, `.Alias`, `.OldTag`, `.NewTag`; Portcullis adds `.Digest`. Branch names are cut
//! to 255 bytes.

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256};

use super::exec::Value;
use super::{Template, TemplateError};
use crate::target::ImageChange;

/// Image Updater's default commit message template.
pub const DEFAULT_COMMIT_MESSAGE: &str = "build: automatic update of {{ .AppName }}\n\n{{ range .AppChanges -}}\nupdates image {{ .Image }} tag '{{ .OldTag }}' to '{{ .NewTag }}'\n{{ end -}}\n";

const MAX_BRANCH_LEN: usize = 255;

/// One change as templates and trailers see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSummary {
    /// The image-list alias.
    pub alias: Option<String>,
    /// The image name without registry (`.Image`, `.Name`).
    pub image: String,
    /// The repository with registry, as configured.
    pub repository: String,
    /// The tag before.
    pub old_tag: Option<String>,
    /// The digest before, when known.
    pub old_digest: Option<String>,
    /// The new tag.
    pub new_tag: String,
    /// The new, verified digest.
    pub digest: Option<String>,
    /// The new image's labels.
    pub labels: BTreeMap<String, String>,
    /// Who signed the new image.
    pub signer: Option<String>,
    /// The policy rule that allowed the change.
    pub rule: Option<String>,
}

impl ChangeSummary {
    /// A summary from plain strings (templates tests, previews).
    pub fn new(image: &str, old_tag: &str, new_tag: &str) -> Self {
        Self {
            image: image.to_owned(),
            repository: image.to_owned(),
            old_tag: (!old_tag.is_empty()).then(|| old_tag.to_owned()),
            new_tag: new_tag.to_owned(),
            ..Self::default()
        }
    }

    /// What `.OldTag` prints: the old tag, or the old digest when there was no tag.
    fn old(&self) -> String {
        self.old_tag
            .clone()
            .or_else(|| self.old_digest.clone())
            .unwrap_or_default()
    }
}

impl From<&ImageChange<'_>> for ChangeSummary {
    fn from(c: &ImageChange<'_>) -> Self {
        let signer = c.signer();
        Self {
            alias: c.alias().map(str::to_owned),
            image: c.image_name().to_owned(),
            repository: c.image(),
            old_tag: c.old_tag().map(str::to_owned),
            old_digest: c.old_digest().map(|d| d.as_str().to_owned()),
            new_tag: c.verified().tag().as_str().to_owned(),
            digest: Some(c.verified().digest().as_str().to_owned()),
            labels: c.labels().clone(),
            signer: (!signer.is_empty()).then_some(signer),
            rule: c.rule().map(str::to_owned),
        }
    }
}

fn opt(s: &Option<String>) -> Value {
    Value::str(s.clone().unwrap_or_default())
}

/// The data of a commit message template.
pub fn commit_data(app_name: &str, changes: &[ChangeSummary]) -> Value {
    let list = changes
        .iter()
        .map(|c| Value::Record {
            type_name: "commitMessageChange",
            fields: vec![
                ("Image", Value::str(&c.image)),
                ("OldTag", Value::str(c.old())),
                ("NewTag", Value::str(&c.new_tag)),
                ("Labels", Value::string_map(&c.labels)),
                ("Alias", opt(&c.alias)),
                ("Repository", Value::str(&c.repository)),
                ("Digest", opt(&c.digest)),
                ("OldDigest", opt(&c.old_digest)),
                ("Signer", opt(&c.signer)),
                ("Rule", opt(&c.rule)),
            ],
        })
        .collect();
    Value::Record {
        type_name: "commitMessageTemplate",
        fields: vec![
            ("AppName", Value::str(app_name)),
            ("AppChanges", Value::List(list)),
        ],
    }
}

/// Renders a commit message. On error, callers that must commit anyway use
/// [`fallback_commit_message`], as Image Updater does.
pub fn commit_message(
    tpl: &Template,
    app_name: &str,
    changes: &[ChangeSummary],
) -> Result<String, TemplateError> {
    tpl.render(&commit_data(app_name, changes))
}

/// Image Updater's message when the template fails: `build: update of application <app>`.
pub fn fallback_commit_message(app_name: &str) -> String {
    format!("build: update of application {app_name}")
}

/// The Application facts a branch template sees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BranchContext {
    /// `.AppNamespace`.
    pub app_namespace: String,
    /// `.AppName`.
    pub app_name: String,
    /// `.TargetKey` (see [`target_key`]).
    pub target_key: String,
}

/// Image Updater's write-back target key: the first 8 hex digits of
/// SHA-256(`<repo>|<branch>|<target>`).
pub fn target_key(repo_url: &str, branch: &str, target: &str) -> String {
    let h = Sha256::digest(format!("{repo_url}|{branch}|{target}").as_bytes());
    let hex = hex_string(&h);
    hex.get(..8).unwrap_or(&hex).to_owned()
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The data of a branch name template.
pub fn branch_data(ctx: &BranchContext, changes: &[ChangeSummary]) -> Value {
    let mut hasher = Sha256::new();
    let mut images = Vec::new();
    for c in changes {
        hasher.update(format!("{}-{}-{},", c.image, c.old(), c.new_tag).as_bytes());
        images.push(Value::Record {
            type_name: "imageChange",
            fields: vec![
                ("Name", Value::str(&c.image)),
                ("Alias", opt(&c.alias)),
                ("OldTag", Value::str(c.old())),
                ("NewTag", Value::str(&c.new_tag)),
                ("Digest", opt(&c.digest)),
            ],
        });
    }
    Value::Record {
        type_name: "branchNameTemplate",
        fields: vec![
            ("AppNamespace", Value::str(&ctx.app_namespace)),
            ("AppName", Value::str(&ctx.app_name)),
            ("TargetKey", Value::str(&ctx.target_key)),
            ("Images", Value::List(images)),
            ("SHA256", Value::str(hex_string(&hasher.finalize()))),
        ],
    }
}

/// Renders a branch name, cut to 255 bytes (at a character boundary).
pub fn branch_name(
    tpl: &Template,
    ctx: &BranchContext,
    changes: &[ChangeSummary],
) -> Result<String, TemplateError> {
    let mut s = tpl.render(&branch_data(ctx, changes))?;
    if s.len() > MAX_BRANCH_LEN {
        let mut cut = MAX_BRANCH_LEN;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    Ok(s)
}
