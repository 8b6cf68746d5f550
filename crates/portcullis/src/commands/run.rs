//! `portcullis run`: the loop. Each cycle evaluates every image of every application of the
//! standalone configuration through the gate, then, for each Git repository and branch,
//! writes every verified update in one signed commit and pushes it (re-rendering on a
//! concurrent push). Every decision and every commit is an event: a JSON line on stdout.
//!
//! Wiring only: the decisions are the gate's, the files and commits `portcullis-gitops`'.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use portcullis_gate::{Current, Decision, Gate, WatchedImage};
use portcullis_gitops::batch::{self, AppWrite};
use portcullis_gitops::forge::{
    ForgeClient, GitHubApp, GitHubAppToken, INSTALLATION_TOKEN_USER, PullRequestSpec,
};
use portcullis_gitops::git::{
    BranchName, CommitMeta, Credentials, Identity, PublishOutcome, PublishPlan, Repository,
};
use portcullis_gitops::sign::{
    KeylessConfig, OpenPgpConfig, OpenPgpKeySource, Signer, SigningConfig, X509Config, danger,
};
use portcullis_gitops::target::{
    AppSource, HelmParams, ImageChange, Pinning, Placement, TargetSpec, WriteBackTarget,
    read_deployed,
};
use portcullis_gitops::template::{BranchContext, ChangeSummary, Template, branch_name};
use portcullis_verify::VerifiedImage;
use serde_json::{Value, json};
use tracing::{info, warn};

use super::plan;
use crate::cli::RunArgs;
use crate::config::{Application, Config, GitSettings, Image};
use crate::exit;

/// How many images are evaluated at once.
const CONCURRENCY: usize = 8;

pub(crate) async fn run(args: &RunArgs) -> anyhow::Result<u8> {
    let config = Config::load(&args.config)?;
    let git = config.git.as_ref();
    let signer = Arc::new(signer(&config, git)?);
    let author = identity(git.and_then(|g| g.author.as_ref()))?;
    let committer = match git.and_then(|g| g.committer.as_ref()) {
        Some(c) => identity(Some(c))?,
        None => author.clone(),
    };
    let (credentials, app_token) = credentials(&config, git)?;
    let forges = Arc::new(forges(&config)?);
    let workdir = workdir(args.workdir.as_deref())?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        tokio::spawn(async move {
            if let Some(signal) = stop_signal().await {
                eprintln!("{signal}: finishing the current commit, then stopping");
                stop.store(true, Ordering::SeqCst);
            }
        });
    }
    let (gate, _) = plan::gate(&config, &args.gate).await?;
    let interval = parse_interval(&args.interval)?;
    let mut failed_any = false;
    let mut cycle = 0u64;
    loop {
        cycle += 1;
        gate.new_cycle().await;
        info!(cycle, "cycle started");
        let writer = Writer {
            signer: signer.clone(),
            author: author.clone(),
            committer: committer.clone(),
            credentials: credentials.clone(),
            workdir: workdir.clone(),
            policy_hash: gate.policy().hash().as_str().to_owned(),
            forges: forges.clone(),
        };
        failed_any |= !refresh_app_token(app_token.as_deref()).await;
        failed_any |= cycle_once(&config, &gate, &writer, &stop).await?;
        if args.once || stop.load(Ordering::SeqCst) {
            break;
        }
        let deadline = tokio::time::Instant::now() + interval;
        while tokio::time::Instant::now() < deadline && !stop.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
    }
    Ok(if failed_any || EVENTS_LOST.load(Ordering::SeqCst) {
        exit::ERROR
    } else {
        exit::OK
    })
}

/// Waits for Ctrl-C (SIGINT) or, on Unix, SIGTERM, which Kubernetes sends a pod it stops;
/// either ends the loop after the commit under way. `None` when no handler could be set up.
async fn stop_signal() -> Option<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            return tokio::select! {
                r = tokio::signal::ctrl_c() => r.ok().map(|()| "interrupted"),
                _ = terminate.recv() => Some("terminated"),
            };
        }
    }
    tokio::signal::ctrl_c().await.ok().map(|()| "interrupted")
}

/// What every repository write of a cycle shares.
#[derive(Clone)]
struct Writer {
    signer: Arc<Signer>,
    author: Identity,
    committer: Identity,
    credentials: Credentials,
    workdir: PathBuf,
    policy_hash: String,
    /// Pull request clients by application (kept across cycles: they cache app tokens).
    forges: Arc<BTreeMap<String, Arc<ForgeClient>>>,
}

/// One image of one application, with where it is written.
pub(crate) struct Entry<'c> {
    app: &'c Application,
    image: &'c Image,
    pub(crate) watched: WatchedImage,
    target: WriteBackTarget,
    placement: Placement,
    image_name: String,
}

impl Entry<'_> {
    /// The image as the configuration writes it.
    pub(crate) fn configured(&self) -> &str {
        &self.image.image
    }
}

/// A verified update waiting for its commit.
struct Pending {
    app: String,
    target: WriteBackTarget,
    image_name: String,
    alias: Option<String>,
    placement: Placement,
    from: Option<Current>,
    rules: Vec<String>,
    pinning: Pinning,
    verified: VerifiedImage,
}

/// One cycle; `Ok(true)` when something could not be decided or written.
async fn cycle_once(
    config: &Config,
    gate: &Arc<Gate>,
    writer: &Writer,
    stop: &AtomicBool,
) -> anyhow::Result<bool> {
    let mut failed = false;
    for ((repository, base, write, _), apps) in groups(config) {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        failed |= group(config, gate, writer, &repository, &base, &write, &apps).await;
    }
    Ok(failed)
}

#[allow(clippy::too_many_arguments)] // one call site
async fn group(
    config: &Config,
    gate: &Arc<Gate>,
    writer: &Writer,
    repository: &str,
    base: &str,
    write: &str,
    apps: &[&Application],
) -> bool {
    let shown = redact(repository);
    let fail = |detail: String| {
        emit(
            json!({"kind": "write_failed", "repository": shown, "branch": write,
                    "reason": "git_error", "detail": detail}),
        );
        true
    };
    let (repo, plan, entries) = match read_back(
        config,
        &writer.credentials,
        &writer.workdir,
        repository,
        base,
        write,
        apps,
        &|app, image, detail| {
            emit(
                json!({"kind": "decision", "application": app.name, "image": image.image,
                        "decision": "failed", "reason": "invalid_settings", "detail": detail}),
            );
        },
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let watched: Vec<WatchedImage> = entries.iter().map(|e| e.watched.clone()).collect();
    let decisions = match decide_all(gate, watched).await {
        Ok(d) => d,
        Err(e) => return fail(format!("{e:#}")),
    };
    let mut failed = false;
    let mut pending = Vec::new();
    for (e, decision) in entries.iter().zip(decisions) {
        emit(decision_event(e, &decision, &writer.policy_hash));
        match decision {
            Decision::Update {
                image, from, rules, ..
            } => pending.push(Pending {
                app: e.app.name.clone(),
                target: e.target.clone(),
                image_name: e.image_name.clone(),
                alias: e.watched.alias.clone(),
                placement: e.placement.clone(),
                from,
                rules,
                pinning: match e.app.write_back.pin {
                    Some(crate::config::PinMode::Digest) => Pinning::Digest,
                    _ => Pinning::TagAndDigest,
                },
                verified: *image,
            }),
            Decision::Failed { .. } => failed = true,
            _ => {}
        }
    }
    if pending.is_empty() {
        return failed;
    }
    let message_template = apps
        .iter()
        .find_map(|a| a.write_back.commit_message.as_deref())
        .map(|t| Template::parse("commit-message", t));
    let message_template = match message_template.transpose() {
        Ok(t) => t,
        Err(e) => return fail(format!("commit message template: {e}")),
    };
    let first = apps.first().map(|a| a.name.clone()).unwrap_or_default();
    let namespace = apps
        .first()
        .and_then(|a| a.namespace.clone())
        .unwrap_or_default();
    let forge = apps
        .iter()
        .find_map(|a| writer.forges.get(&a.name).cloned());
    let (writer, shown_for_task, write_spec) = (writer.clone(), shown.clone(), write.to_owned());
    let repository_url = repository.to_owned();
    let outcome = tokio::task::spawn_blocking(move || {
        let writes = app_writes(&pending)?;
        let message = batch::message(&writes, message_template.as_ref(), &writer.policy_hash);
        // A write branch given as a template is rendered from this batch's changes.
        let plan = if write_spec.contains("{{") {
            let summaries: Vec<ChangeSummary> = writes
                .iter()
                .flat_map(|w| w.changes.iter().map(ChangeSummary::from))
                .collect();
            let tpl = Template::parse("branch", &write_spec)?;
            let ctx = BranchContext {
                app_namespace: namespace,
                app_name: first,
                target_key: portcullis_gitops::template::target_key(
                    &repository_url,
                    &write_spec,
                    "",
                ),
            };
            let name = branch_name(&tpl, &ctx, &summaries)?;
            PublishPlan::to_separate_branch((*plan).base_branch().clone(), BranchName::new(&name)?)
        } else {
            (*plan).clone()
        };
        let meta = CommitMeta::new(&message, writer.author.clone(), writer.committer.clone())?;
        let outcome = repo.publish(&plan, &meta, &writer.signer, |worktree: &Path| {
            batch::render(worktree, &writes)
        })?;
        let names: Vec<String> = pending.iter().map(|p| p.app.clone()).collect();
        Ok::<_, anyhow::Error>((
            outcome,
            plan.write_branch().to_string(),
            names,
            pending.len(),
            message,
        ))
    })
    .await;
    match outcome {
        Ok(Ok((
            PublishOutcome::Pushed {
                commit,
                parent,
                attempts,
            },
            branch,
            apps,
            changes,
            message,
        ))) => {
            let mut event = json!({"kind": "commit", "repository": shown_for_task,
                    "branch": branch, "commit": commit.as_str(), "parent": parent.as_str(),
                    "attempts": attempts, "applications": apps, "changes": changes});
            // A separate write branch gets a pull request; the commit stays pushed either way.
            let opened = match forge.filter(|_| branch != base) {
                Some(f) => Some(
                    f.open_pull_request(&pull_request_spec(&branch, base, &message))
                        .await,
                ),
                None => None,
            };
            if let Some(Ok(pr)) = &opened {
                event["pullRequest"] = json!({"number": pr.number, "url": pr.url});
            }
            emit(event);
            if let Some(Err(e)) = &opened {
                emit(
                    json!({"kind": "pull_request_failed", "repository": shown_for_task,
                            "branch": branch, "base": base, "commit": commit.as_str(),
                            "detail": chain(e)}),
                );
                return true;
            }
            failed
        }
        Ok(Ok((PublishOutcome::Unchanged { head }, branch, apps, _, message))) => {
            let mut event = json!({"kind": "no_commit", "repository": shown_for_task,
                    "branch": branch, "head": head.as_str(), "applications": apps,
                    "detail": "the files already hold these images"});
            // The write branch holds the change already; its pull request may not exist yet
            // (an earlier attempt to open it failed): opening finds or creates it.
            if let Some(f) = forge.filter(|_| branch != base) {
                match f
                    .open_pull_request(&pull_request_spec(&branch, base, &message))
                    .await
                {
                    Ok(pr) => event["pullRequest"] = json!({"number": pr.number, "url": pr.url}),
                    Err(e) => {
                        emit(event);
                        emit(
                            json!({"kind": "pull_request_failed", "repository": shown_for_task,
                                    "branch": branch, "base": base, "detail": chain(&e)}),
                        );
                        return true;
                    }
                }
            }
            emit(event);
            failed
        }
        Ok(Err(e)) => fail(format!("{e:#}")),
        Err(e) => fail(e.to_string()),
    }
}

/// Where repositories are cloned: `dir`, else `$XDG_CACHE_HOME/portcullis/repos`.
pub(crate) fn workdir(dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    match dir {
        Some(d) => Ok(d.to_path_buf()),
        None => Ok(super::authority::default_cache_dir()?
            .parent()
            .map_or_else(|| PathBuf::from(".portcullis"), Path::to_path_buf)
            .join("repos")),
    }
}

/// Applications by the repository and the branches they read and write: one commit each.
pub(crate) fn groups(config: &Config) -> BTreeMap<GroupKey, Vec<&Application>> {
    let mut groups: BTreeMap<GroupKey, Vec<&Application>> = BTreeMap::new();
    for app in &config.applications {
        // A write branch given as a template is rendered for each application, as Image
        // Updater does: such an application is written on its own.
        groups.entry(app.commit_group()).or_default().push(app);
    }
    groups
}

pub(crate) use crate::config::CommitGroup as GroupKey;

/// Every image through `gate`, a bounded number at a time; decisions in the order given.
pub(crate) async fn decide_all(
    gate: &Arc<Gate>,
    watched: Vec<WatchedImage>,
) -> anyhow::Result<Vec<Decision>> {
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut set = tokio::task::JoinSet::new();
    for (i, w) in watched.into_iter().enumerate() {
        let (gate, limit) = (gate.clone(), limit.clone());
        set.spawn(async move {
            let _slot = limit.acquire_owned().await.ok();
            (i, gate.evaluate(&w).await)
        });
    }
    let mut decisions = Vec::new();
    while let Some(joined) = set.join_next().await {
        decisions.push(joined.context("an evaluation task failed")?);
    }
    decisions.sort_by_key(|(i, _)| *i);
    Ok(decisions.into_iter().map(|(_, d)| d).collect())
}

/// The clone of `repository`, the publish plan, and every image of `apps` with what its
/// write-back target records as deployed (read from the head the commit would build on).
#[allow(clippy::too_many_arguments)] // one concern, spelled out
pub(crate) async fn read_back<'c>(
    config: &Config,
    credentials: &Credentials,
    workdir: &Path,
    repository: &str,
    base: &str,
    write: &str,
    apps: &[&'c Application],
    invalid: &dyn Fn(&Application, &Image, String),
) -> Result<(Arc<Repository>, Arc<PublishPlan>, Vec<Entry<'c>>), String> {
    let repo = open_clone(config, credentials, workdir, repository)
        .map(Arc::new)
        .map_err(|e| format!("{e:#}"))?;
    let (plan, _) = publish_plan(base, write).map_err(|e| format!("{e:#}"))?;
    let plan = Arc::new(plan);
    let mut entries = Vec::new();
    for app in apps {
        for image in &app.images {
            match entry(app, image) {
                Ok(e) => entries.push(e),
                Err(e) => invalid(app, image, format!("{e:#}")),
            }
        }
    }
    let files: Vec<String> = entries
        .iter()
        .flat_map(|e| e.target.candidate_files())
        .collect();
    let contents = {
        let (repo, plan, files) = (repo.clone(), plan.clone(), files.clone());
        tokio::task::spawn_blocking(move || repo.read_head_files(&plan, &files)).await
    };
    let contents = match contents {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return Err(chain(&e)),
        Err(e) => return Err(e.to_string()),
    };
    let by_path: BTreeMap<&str, &Option<String>> = files
        .iter()
        .map(String::as_str)
        .zip(contents.iter())
        .collect();
    for e in &mut entries {
        let deployed = e.target.candidate_files().iter().find_map(|f| {
            by_path
                .get(f.as_str())
                .and_then(|c| c.as_deref())
                .and_then(|text| read_deployed(&e.target, text, &e.image_name, &e.placement))
        });
        if let Some(d) = deployed {
            let digest = d.digest.and_then(|d| d.parse().ok());
            // A digest-only pin records no tag: the digest alone says what runs.
            if d.tag.is_some() || digest.is_some() {
                let tag = d.tag.unwrap_or_default();
                e.watched = e.watched.clone().with_current(tag, digest);
            }
        }
    }
    Ok((repo, plan, entries))
}

fn app_writes(pending: &[Pending]) -> anyhow::Result<Vec<AppWrite<'_>>> {
    let mut writes: Vec<AppWrite<'_>> = Vec::new();
    for p in pending {
        let mut change = ImageChange::new(&p.image_name, &p.verified)?
            .with_old(
                p.from.as_ref().map(|c| c.tag.clone()),
                p.from.as_ref().and_then(|c| c.digest.clone()),
            )
            .with_placement(p.placement.clone());
        if let Some(alias) = &p.alias {
            change = change.with_alias(alias.clone());
        }
        if let Some(rule) = p.rules.first() {
            change = change.with_rule(rule.clone());
        }
        match writes
            .iter_mut()
            .find(|w| w.app == p.app && w.target == p.target)
        {
            Some(w) => w.changes.push(change),
            None => writes.push(AppWrite {
                app: p.app.clone(),
                target: p.target.clone(),
                changes: vec![change],
                pinning: p.pinning,
            }),
        }
    }
    Ok(writes)
}

fn entry<'c>(app: &'c Application, image: &'c Image) -> anyhow::Result<Entry<'c>> {
    let watched = app.watched(image)?;
    let source = match &app.namespace {
        Some(ns) => AppSource::new(app.name.clone(), app.path.clone()).in_namespace(ns.clone()),
        None => AppSource::new(app.name.clone(), app.path.clone()),
    };
    let spec = match &app.write_back.target {
        Some(t) => t
            .parse::<TargetSpec>()
            .with_context(|| format!("write-back target '{t}'"))?,
        None => TargetSpec::Default,
    };
    let target = spec.resolve(&source)?;
    let placement = match (&target, &image.helm) {
        (WriteBackTarget::HelmValues { .. }, helm) | (_, helm @ Some(_)) => {
            let h = helm.clone().unwrap_or_default();
            Placement::Helm(HelmParams {
                image_name: h.image_name,
                image_tag: h.image_tag,
                image_spec: h.image_spec,
                image_digest: h.image_digest,
            })
        }
        _ => Placement::Kustomize {
            image_name: image.kustomize_image.clone(),
        },
    };
    let image_name = watched.image.repository().to_string();
    Ok(Entry {
        app,
        image,
        watched,
        target,
        placement,
        image_name,
    })
}

/// `(base, write)` branches of an application: `writeBack.branch` is `base[:write]`.
fn publish_plan(base: &str, write: &str) -> anyhow::Result<(PublishPlan, bool)> {
    let base_branch = BranchName::new(base)?;
    if write == base {
        return Ok((PublishPlan::to_branch(base_branch), false));
    }
    if write.contains("{{") {
        // Rendered per batch; the base branch stands in until then.
        return Ok((PublishPlan::to_branch(base_branch), true));
    }
    Ok((
        PublishPlan::to_separate_branch(base_branch, BranchName::new(write)?),
        true,
    ))
}

/// The local clone of `repository` under the work directory: created empty with `origin`
/// set (the fetches, with credentials, happen when it is read or written).
fn open_clone(
    config: &Config,
    credentials: &Credentials,
    workdir: &Path,
    repository: &str,
) -> anyhow::Result<Repository> {
    let url = if repository.contains("://") || repository.contains('@') {
        repository.to_owned()
    } else {
        config
            .resolve(Path::new(repository))
            .canonicalize()
            .with_context(|| format!("repository {repository} is neither a URL nor a directory"))?
            .display()
            .to_string()
    };
    let dir = workdir.join(dir_name(&url));
    if !dir.join(".git").exists() {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let git = |args: &[&str]| -> anyhow::Result<()> {
            let out = std::process::Command::new("git")
                .args(args)
                .current_dir(&dir)
                .output()
                .context("cannot run git (install it: scripts/install-deps.sh)")?;
            if !out.status.success() {
                bail!(
                    "git {} failed: {}",
                    args[0],
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            Ok(())
        };
        git(&["init", "--quiet"])?;
        git(&["remote", "add", "origin", &url])?;
    }
    Ok(Repository::open(&dir)?.with_credentials(credentials.clone()))
}

fn dir_name(url: &str) -> String {
    url.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_matches('_')
        .chars()
        .take(120)
        .collect()
}

fn signer(config: &Config, git: Option<&GitSettings>) -> anyhow::Result<Signer> {
    let Some(s) = git.and_then(|g| g.signing.as_ref()) else {
        bail!(
            "{}: commits must be signed: set git.signing (format: openpgp, x509 or keyless), or \
             format: none with allowUnsigned: true",
            config.base.display()
        );
    };
    let cfg = match s.format.as_str() {
        "openpgp" => {
            let key = s
                .key
                .clone()
                .context("git.signing.key: the OpenPGP key's fingerprint is required")?;
            let keyring = match (&s.gnupg_home, &s.key_file) {
                (Some(home), _) => OpenPgpKeySource::HomeDir(config.resolve(home)),
                (None, Some(file)) => OpenPgpKeySource::ArmoredKeyFile(config.resolve(file)),
                (None, None) => bail!("git.signing: give gnupgHome or keyFile for openpgp"),
            };
            let mut c = OpenPgpConfig::new(keyring, key);
            if let Some(p) = &s.passphrase_file {
                c = c.with_passphrase_file(config.resolve(p));
            }
            SigningConfig::OpenPgp(c)
        }
        "x509" => {
            let cert = s
                .certificate
                .as_ref()
                .context("git.signing.certificate is required for x509")?;
            let key = s
                .private_key
                .as_ref()
                .context("git.signing.privateKey is required for x509")?;
            let mut c = X509Config::new(config.resolve(cert), config.resolve(key));
            if let Some(chain) = &s.chain {
                c = c.with_chain_file(config.resolve(chain));
            }
            SigningConfig::X509(c)
        }
        "keyless" => {
            let fulcio = s
                .fulcio_url
                .clone()
                .context("git.signing.fulcioUrl is required for keyless")?;
            let rekor = s
                .rekor_url
                .clone()
                .context("git.signing.rekorUrl is required for keyless")?;
            let token = s
                .oidc_token_file
                .as_ref()
                .context("git.signing.oidcTokenFile is required for keyless")?;
            SigningConfig::Keyless(KeylessConfig::new(fulcio, rekor, config.resolve(token)))
        }
        "none" => SigningConfig::Unsigned,
        other => bail!("git.signing.format '{other}': use openpgp, x509, keyless or none"),
    };
    let allow = s
        .allow_unsigned
        .then(danger::AllowUnsignedCommits::i_accept_unsigned_commits);
    if s.allow_unsigned {
        warn!("unsigned commits allowed by configuration");
    }
    Signer::from_config(&cfg, allow).map_err(|e| anyhow::anyhow!(chain(&e)))
}

/// A pull request client per application that asks for one.
fn forges(config: &Config) -> anyhow::Result<BTreeMap<String, Arc<ForgeClient>>> {
    let mut forges = BTreeMap::new();
    for app in &config.applications {
        if let Some(pr) = &app.write_back.pull_request {
            let client = pr
                .client(config)
                .with_context(|| format!("application '{}': writeBack.pullRequest", app.name))?;
            forges.insert(app.name.clone(), Arc::new(client));
        }
    }
    Ok(forges)
}

/// The request for a commit on `head`: titled with the message's first line, described by
/// the rest.
fn pull_request_spec(head: &str, base: &str, message: &str) -> PullRequestSpec {
    let (title, body) = message.split_once('\n').unwrap_or((message, ""));
    PullRequestSpec {
        head: head.to_owned(),
        base: base.to_owned(),
        title: title.trim().to_owned(),
        body: body.trim().to_owned(),
    }
}

fn identity(i: Option<&crate::config::Identity>) -> anyhow::Result<Identity> {
    Ok(match i {
        Some(i) => Identity::new(&i.name, &i.email)?,
        None => Identity::new("Portcullis", "portcullis@localhost")?,
    })
}

/// How git authenticates, and the GitHub App token file to keep current when the
/// configuration names an app (refresh it before each cycle).
pub(crate) fn credentials(
    config: &Config,
    git: Option<&GitSettings>,
) -> anyhow::Result<(Credentials, Option<Arc<GitHubAppToken>>)> {
    let Some(g) = git else {
        return Ok((Credentials::None, None));
    };
    if let Some(settings) = &g.github_app {
        let app = GitHubApp::new(
            settings.app_id.to_string(),
            settings.installation_id,
            config.resolve(&settings.private_key_file),
        );
        let token =
            GitHubAppToken::new(app, settings.api_url.as_deref()).context("git.githubApp")?;
        let credentials = Credentials::HttpsToken {
            username: INSTALLATION_TOKEN_USER.to_owned(),
            token_file: token.token_file(),
        };
        return Ok((credentials, Some(Arc::new(token))));
    }
    let credentials = match (&g.token_file, &g.ssh_key) {
        (Some(token), _) => Credentials::HttpsToken {
            username: INSTALLATION_TOKEN_USER.to_owned(),
            token_file: config.resolve(token),
        },
        (None, Some(key)) => Credentials::Ssh {
            private_key: config.resolve(key),
            known_hosts: g.known_hosts.as_deref().map_or_else(
                || PathBuf::from("~/.ssh/known_hosts"),
                |k| config.resolve(k),
            ),
        },
        _ => Credentials::None,
    };
    Ok((credentials, None))
}

/// Mints (or keeps) the GitHub App token git reads; a failure is an event, and the cycle's
/// fetches and pushes then fail on their own with the remote's answer.
pub(crate) async fn refresh_app_token(token: Option<&GitHubAppToken>) -> bool {
    let Some(token) = token else {
        return true;
    };
    match token.refresh().await {
        Ok(()) => true,
        Err(e) => {
            emit(
                json!({"kind": "credentials_failed", "reason": "github_app_token",
                        "detail": chain(&e)}),
            );
            false
        }
    }
}

fn decision_event(e: &Entry<'_>, decision: &Decision, policy: &str) -> Value {
    let (candidate, digest, signer) = match decision {
        Decision::Update { image, .. } => (
            Some(image.tag().as_str().to_owned()),
            Some(image.digest().to_string()),
            image
                .identity()
                .or(image.key_fingerprint())
                .map(str::to_owned),
        ),
        _ => (None, None, None),
    };
    json!({
        "kind": "decision",
        "application": e.app.name,
        "image": e.image_name,
        "alias": e.watched.alias,
        "configured": e.image.image,
        "current": e.watched.current.as_ref().map(|c| c.tag.clone()),
        "decision": decision.kind(),
        "reason": decision.reason().code(),
        "detail": decision.detail(),
        "candidate": candidate,
        "digest": digest,
        "signer": signer,
        "notes": decision.notes(),
        "policyRevision": policy,
    })
}

/// One event, one JSON line on stdout, with the time.
pub(crate) fn emit(mut event: Value) {
    if let Some(map) = event.as_object_mut() {
        map.insert(
            "time".to_owned(),
            Value::String(jiff::Timestamp::now().to_string()),
        );
    }
    // A closed or full stdout must not panic the loop, and a lost event is never silent:
    // it is reported on stderr and fails the run.
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{event}").and_then(|()| out.flush()) {
        EVENTS_LOST.store(true, Ordering::SeqCst);
        eprintln!("error: an event could not be written to stdout ({e}): {event}");
    }
}

/// Set when an event could not be written: the run then exits with an error.
static EVENTS_LOST: AtomicBool = AtomicBool::new(false);

pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A repository URL with any credentials masked (the configuration refuses them; a
/// message of git's may still quote one).
fn redact(url: &str) -> String {
    portcullis_gitops::git::redact_urls(url)
}

/// The longest `--interval`: a week.
const MAX_INTERVAL_SECS: u64 = 7 * 24 * 3600;

/// `2m`, `30s`, `1h`, `90` (seconds).
fn parse_interval(text: &str) -> anyhow::Result<Duration> {
    let t = text.trim();
    let (number, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = number
        .parse()
        .with_context(|| format!("--interval '{text}': expected a number with s, m or h"))?;
    let per_unit = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => bail!("--interval '{text}': the unit is s, m or h"),
    };
    let secs = n.saturating_mul(per_unit);
    if secs == 0 {
        bail!("--interval must be longer than zero");
    }
    if secs > MAX_INTERVAL_SECS {
        bail!(
            "--interval '{text}': at most 7 days (168h); use --once from a scheduler for rarer runs"
        );
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_and_absurd_ones_are_refused() {
        let ok = |t: &str| parse_interval(t).map(|d| d.as_secs()).ok();
        assert_eq!(ok("2m"), Some(120));
        assert_eq!(ok("90"), Some(90));
        assert_eq!(ok("1h"), Some(3600));
        assert_eq!(ok("168h"), Some(7 * 24 * 3600));
        for bad in [
            "0s",
            "169h",
            "99999999999999999h",
            "18446744073709551615s",
            "5d",
            "m",
            "",
        ] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
    }
}
