//! `portcullis run --once` end to end with real components only: Debian's `docker-registry`
//! on loopback, images signed for real by `portcullis-testsign`, a bare Git repository on
//! disk, a GnuPG home with a fresh OpenPGP key, and `git verify-commit` to check the result.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use portcullis_testkit::{ImageSpec, Pusher, TestRegistry};
use portcullis_testsign::{TestSigstore, sign_keyless};
use serde_json::Value;

const ISSUER: &str = "https://issuer.portcullis.test";
const RELEASE: &str = "release@acme.test";
const PASSPHRASE: &str = "portcullis test passphrase";

fn sh(dir: &Path, program: &str, args: &[&str], env: &[(&str, &Path)]) -> String {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e} (install it: scripts/install-deps.sh)"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn git(dir: &Path, args: &[&str]) -> String {
    sh(dir, "git", args, &[])
}

struct World {
    reg: TestRegistry,
    push: Pusher,
    sigstore: TestSigstore,
    dir: tempfile::TempDir,
    gnupg: PathBuf,
    fingerprint: String,
    remote: PathBuf,
}

impl World {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let sigstore = TestSigstore::new().unwrap();
        sigstore.write_trusted_root(dir.path()).unwrap();
        let reg = TestRegistry::start();
        let push = reg.pusher();
        // The bot's OpenPGP key, passphrase-protected.
        let gnupg = dir.path().join("gnupg");
        std::fs::create_dir_all(&gnupg).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&gnupg, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let home: &Path = &gnupg;
        sh(
            dir.path(),
            "gpg",
            &[
                "--homedir",
                home.to_str().unwrap(),
                "--batch",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                PASSPHRASE,
                "--quick-gen-key",
                "Portcullis Bot <bot@portcullis.test>",
                "ed25519",
                "sign",
                "never",
            ],
            &[],
        );
        let listing = sh(
            dir.path(),
            "gpg",
            &[
                "--homedir",
                home.to_str().unwrap(),
                "--with-colons",
                "--list-secret-keys",
            ],
            &[],
        );
        let fingerprint = listing
            .lines()
            .find_map(|l| {
                l.strip_prefix("fpr:")
                    .map(|r| r.trim_matches(':').to_owned())
            })
            .unwrap();
        std::fs::write(dir.path().join("passphrase"), PASSPHRASE).unwrap();
        // The GitOps repository: bare, seeded from a clone.
        let remote = dir.path().join("deploy.git");
        git(
            dir.path(),
            &[
                "init",
                "--quiet",
                "--bare",
                "-b",
                "main",
                remote.to_str().unwrap(),
            ],
        );
        Self {
            reg,
            push,
            sigstore,
            dir,
            gnupg,
            fingerprint,
            remote,
        }
    }

    async fn image(&self, repo: &str, tag: &str, signed: bool) -> String {
        let digest = self
            .push
            .push_image(
                repo,
                tag,
                &ImageSpec::new("2026-01-01T00:00:00Z", &format!("{repo}:{tag}")),
            )
            .await;
        if signed {
            let host = self.reg.host();
            sign_keyless(
                &self.sigstore,
                &self.push,
                &host,
                repo,
                &digest,
                RELEASE,
                ISSUER,
            )
            .await
            .unwrap();
        }
        digest
    }

    /// One application `web` whose kustomization deploys `acme/web:1.0.0`, with a signed
    /// `1.1.0` waiting: returns that digest and the application's configuration entry.
    async fn one_web_app(&self) -> (String, String) {
        let host = self.reg.host();
        self.image("acme/web", "1.0.0", true).await;
        let web = self.image("acme/web", "1.1.0", true).await;
        self.seed(&[(
            "apps/web/kustomization.yaml",
            format!("images:\n- name: {host}/acme/web\n  newTag: 1.0.0\n"),
        )]);
        let remote = self.remote.display();
        let app = format!(
            "  - name: web\n    repository: {remote}\n    path: apps/web\n    writeBack: {{target: kustomization}}\n    images: [{{image: \"{host}/acme/web\"}}]\n"
        );
        (web, app)
    }

    /// Commits `files` to the remote's main branch as a person would.
    fn seed(&self, files: &[(&str, String)]) {
        let work = self.dir.path().join("seed");
        if !work.exists() {
            git(
                self.dir.path(),
                &["clone", "--quiet", self.remote.to_str().unwrap(), "seed"],
            );
        }
        for (path, text) in files {
            let p = work.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        git(&work, &["checkout", "--quiet", "-B", "main"]);
        git(&work, &["add", "-A"]);
        git(
            &work,
            &[
                "-c",
                "user.name=Dev",
                "-c",
                "user.email=dev@acme.test",
                "commit",
                "--quiet",
                "-m",
                "seed",
            ],
        );
        git(&work, &["push", "--quiet", "origin", "HEAD:main"]);
    }

    /// The configuration with the bot's OpenPGP key signing.
    fn write_config(&self, apps: &str) {
        self.write_config_signed(
            apps,
            &format!(
                "{{format: openpgp, gnupgHome: gnupg, key: {}, passphraseFile: passphrase}}",
                self.fingerprint
            ),
        );
    }

    /// The policy, registries and `portcullis.yaml` with `git.signing` set to `signing`.
    fn write_config_signed(&self, apps: &str, signing: &str) {
        let host = self.reg.host();
        std::fs::write(
            self.dir.path().join("policy.yaml"),
            format!(
                "apiVersion: portcullis.dev/v1alpha1\nkind: VerificationPolicy\ntrust:\n  roots:\n    test: {{path: trusted_root.json}}\nrules:\n  - name: acme\n    images: [\"{host}/acme/**\"]\n    authorities:\n      - keyless:\n          trustedRoot: test\n          identities: [{{subject: {RELEASE}, issuer: {ISSUER}}}]\n"
            ),
        )
        .unwrap();
        std::fs::write(
            self.dir.path().join("registries.conf"),
            format!(
                "registries:\n- name: test\n  prefix: {host}\n  api_url: {}\n  insecure: true\n",
                self.reg.url()
            ),
        )
        .unwrap();
        std::fs::write(
            self.dir.path().join("portcullis.yaml"),
            format!(
                "apiVersion: portcullis.dev/v1alpha1\nkind: Config\nregistriesConf: registries.conf\ngit:\n  author: {{name: Portcullis Bot, email: bot@portcullis.test}}\n  signing: {signing}\napplications:\n{apps}"
            ),
        )
        .unwrap();
    }

    fn run(&self) -> (Output, Vec<Value>) {
        let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .args(["run", "--once", "--config"])
            .arg(self.dir.path().join("portcullis.yaml"))
            .arg("--policy")
            .arg(self.dir.path().join("policy.yaml"))
            .arg("--workdir")
            .arg(self.dir.path().join("work"))
            .arg("--tuf-cache")
            .arg(self.dir.path().join("tuf"))
            .output()
            .unwrap();
        let events = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        (out, events)
    }

    /// `portcullis run` as a long-running loop (no `--once`), its events on a pipe.
    fn spawn_loop(&self) -> std::process::Child {
        Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .args(["run", "--interval", "1h", "--config"])
            .arg(self.dir.path().join("portcullis.yaml"))
            .arg("--policy")
            .arg(self.dir.path().join("policy.yaml"))
            .arg("--workdir")
            .arg(self.dir.path().join("work"))
            .arg("--tuf-cache")
            .arg(self.dir.path().join("tuf"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// The remote's main branch, checked out fresh.
    fn checkout(&self) -> PathBuf {
        let dir = self.dir.path().join(format!("check-{}", rand_suffix()));
        git(
            self.dir.path(),
            &[
                "clone",
                "--quiet",
                self.remote.to_str().unwrap(),
                dir.to_str().unwrap(),
            ],
        );
        dir
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn decisions(events: &[Value]) -> Vec<(String, String, String)> {
    events
        .iter()
        .filter(|e| e["kind"] == "decision")
        .map(|e| {
            (
                e["application"].as_str().unwrap().to_owned(),
                e["decision"].as_str().unwrap().to_owned(),
                e["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn one_signed_commit_for_every_verified_update_and_none_for_the_rest() {
    let w = World::new().await;
    let host = w.reg.host();
    w.image("acme/web", "1.0.0", true).await;
    let web = w.image("acme/web", "1.1.0", true).await;
    w.image("acme/api", "2.0.0", true).await;
    let api = w.image("acme/api", "2.1.0", true).await;
    w.image("acme/worker", "3.0.0", true).await;
    w.image("acme/worker", "3.1.0", false).await;
    let values = "# API chart values\nreplicaCount: 2   # keep two\nimage:\n  repository: REPO\n  # the deployed version\n  tag: \"2.0.0\"\n  pullPolicy: IfNotPresent\n".replace("REPO", &format!("{host}/acme/api"));
    let mut seed = vec![("apps/api/values.yaml", values.clone())];
    let kustomizations: Vec<(String, String)> = (1..=5)
        .map(|i| {
            (
                format!("apps/shop{i}/kustomization.yaml"),
                format!("resources: [deployment.yaml]\nimages:\n- name: {host}/acme/web\n  newTag: 1.0.0\n"),
            )
        })
        .collect();
    for (p, t) in &kustomizations {
        seed.push((p.as_str(), t.clone()));
    }
    w.seed(&seed);
    let remote = w.remote.display().to_string();
    let mut apps = String::new();
    for i in 1..=5 {
        // shop5 pins the digest alone.
        let pin = if i == 5 { ", pin: digest" } else { "" };
        apps.push_str(&format!(
            "  - name: shop{i}\n    repository: {remote}\n    path: apps/shop{i}\n    writeBack: {{target: kustomization{pin}}}\n    images: [{{image: \"{host}/acme/web\"}}]\n"
        ));
    }
    apps.push_str(&format!(
        "  - name: api\n    repository: {remote}\n    path: apps/api\n    writeBack: {{target: \"helmvalues:values.yaml\"}}\n    images: [{{image: \"{host}/acme/api\", helm: {{imageName: image.repository, imageTag: image.tag}}}}]\n"
    ));
    apps.push_str(&format!(
        "  - name: worker\n    repository: {remote}\n    images: [{{image: \"{host}/acme/worker\", current: 3.0.0}}]\n"
    ));
    w.write_config(&apps);

    let (out, events) = w.run();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let mut got = decisions(&events);
    got.sort();
    let mut want: Vec<(String, String, String)> = (1..=5)
        .map(|i| {
            (
                format!("shop{i}"),
                "update".to_owned(),
                "verified".to_owned(),
            )
        })
        .collect();
    want.push(("api".into(), "update".into(), "verified".into()));
    want.push((
        "worker".into(),
        "skipped".into(),
        "signature_missing".into(),
    ));
    want.sort();
    assert_eq!(got, want, "{}", describe(&out));
    let commits: Vec<&Value> = events.iter().filter(|e| e["kind"] == "commit").collect();
    assert_eq!(
        commits.len(),
        1,
        "one commit for the repository: {}",
        describe(&out)
    );

    // The remote: exactly one new commit, signed, verified by git with the bot's key.
    let check = w.checkout();
    let log = git(&check, &["log", "--format=%H %s"]);
    assert_eq!(log.lines().count(), 2, "{log}");
    let verify = Command::new("git")
        .args(["verify-commit", "--raw", "HEAD"])
        .current_dir(&check)
        .env("GNUPGHOME", &w.gnupg)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(String::from_utf8_lossy(&verify.stderr).contains("GOODSIG"));
    // Pinned to the verified digests; the message lists every change.
    for i in 1..=4 {
        let k = std::fs::read_to_string(check.join(format!("apps/shop{i}/kustomization.yaml")))
            .unwrap();
        assert!(k.contains("newTag: 1.1.0") && k.contains(&web), "{k}");
    }
    let k = std::fs::read_to_string(check.join("apps/shop5/kustomization.yaml")).unwrap();
    assert!(
        k.contains(&web) && !k.contains("newTag"),
        "digest only: {k}"
    );
    let v = std::fs::read_to_string(check.join("apps/api/values.yaml")).unwrap();
    let changed: Vec<(&str, &str)> = values
        .lines()
        .zip(v.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed.len(), 1, "only the tag line changes:\n{v}");
    assert!(
        changed[0].1.contains("2.1.0") && changed[0].1.contains(&api),
        "{v}"
    );
    assert!(v.contains("# the deployed version") && v.contains("replicaCount: 2   # keep two"));
    let message = git(&check, &["log", "-1", "--format=%B"]);
    assert!(
        message.contains("shop3") && message.contains("api"),
        "{message}"
    );
    assert!(
        message.contains(&web),
        "trailers carry the digests: {message}"
    );
    assert!(!check.join(".argocd-source-worker.yaml").exists());

    // Again: what is deployed is read back from the files; nothing to do, no commit.
    let (out, events) = w.run();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        events.iter().all(|e| e["kind"] != "commit"),
        "{}",
        describe(&out)
    );
    assert!(
        decisions(&events)
            .iter()
            .filter(|(a, _, _)| a.starts_with("shop"))
            .all(|(_, _, r)| r == "up_to_date"),
        "{}",
        describe(&out)
    );

    // The tag moves to an unsigned image: refused, no commit.
    w.push
        .push_image(
            "acme/web",
            "1.1.0",
            &ImageSpec::new("2026-03-01T00:00:00Z", "something else"),
        )
        .await;
    let (out, events) = w.run();
    assert!(
        events.iter().all(|e| e["kind"] != "commit"),
        "{}",
        describe(&out)
    );
    assert!(
        decisions(&events)
            .iter()
            .filter(|(a, _, _)| a.starts_with("shop"))
            .all(|(_, d, r)| d == "skipped" && r == "signature_missing"),
        "{}",
        describe(&out)
    );
    let check = w.checkout();
    assert_eq!(git(&check, &["log", "--format=%H"]).lines().count(), 2);
}

#[test]
fn unsigned_commits_are_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        "apiVersion: portcullis.dev/v1alpha1\nkind: VerificationPolicy\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("portcullis.yaml"),
        "apiVersion: portcullis.dev/v1alpha1\nkind: Config\napplications:\n  - name: a\n    repository: https://git.example/x.git\n    images: [{image: nginx}]\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["run", "--once", "--config"])
        .arg(dir.path().join("portcullis.yaml"))
        .arg("--policy")
        .arg(dir.path().join("policy.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("commits must be signed"));
}

/// Kubernetes stops a pod with SIGTERM, a person with Ctrl-C (SIGINT): either way the loop
/// finishes what it is doing, does not start another cycle, and exits 0 with every event of
/// the finished cycle written.
#[tokio::test(flavor = "multi_thread")]
async fn a_stop_signal_ends_the_loop_after_the_cycle_under_way() {
    use std::io::{BufRead, BufReader, Read};

    let w = World::new().await;
    let (web, app) = w.one_web_app().await;
    w.write_config(&app);

    // The first run commits; the second finds nothing to do. Each is stopped once its
    // cycle has spoken, with a different signal.
    for (signal, wait_for) in [("-TERM", "commit"), ("-INT", "decision")] {
        let mut child = w.spawn_loop();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut events: Vec<Value> = Vec::new();
        for line in lines.by_ref() {
            let event: Value = serde_json::from_str(&line.unwrap()).unwrap();
            let seen = event["kind"] == wait_for;
            events.push(event);
            if seen {
                break;
            }
        }
        assert!(
            events.iter().any(|e| e["kind"] == wait_for),
            "{signal}: the loop ended before a {wait_for} event: {events:?}"
        );
        let kill = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        // The loop sleeps for an hour between cycles: only the signal can end it now.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{signal}: still running 60 s after the signal"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        events.extend(lines.map(|l| serde_json::from_str::<Value>(&l.unwrap()).unwrap()));
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert_eq!(status.code(), Some(0), "{signal}: {stderr}");
        assert!(
            stderr.contains("finishing the current commit, then stopping"),
            "{signal}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(
            decisions(&events).len(),
            1,
            "{signal}: one cycle, one decision: {events:?}"
        );
    }
    let check = w.checkout();
    assert_eq!(git(&check, &["log", "--format=%H"]).lines().count(), 2);
    let k = std::fs::read_to_string(check.join("apps/web/kustomization.yaml")).unwrap();
    assert!(k.contains(&web), "{k}");
}

/// `git.signing.format: x509` in the configuration: the loop's commit carries a detached CMS
/// signature (gitsign-style) that `portcullis verify-commit` accepts under the CA that issued
/// the bot's certificate and refuses under another.
#[tokio::test(flavor = "multi_thread")]
async fn an_x509_signing_configuration_signs_the_commit_with_cms() {
    let w = World::new().await;
    let (web, app) = w.one_web_app().await;
    let ca = portcullis_testsign::CertificateAuthority::new("Acme Bots CA").unwrap();
    let (certificate, key) = common::x509_signing_files(w.dir.path(), &ca, "bot@portcullis.test");
    w.write_config_signed(
        &app,
        &format!(
            "{{format: x509, certificate: {}, privateKey: {}}}",
            certificate.display(),
            key.display()
        ),
    );
    let (out, events) = w.run();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(
        events.iter().filter(|e| e["kind"] == "commit").count(),
        1,
        "{}",
        describe(&out)
    );
    let check = w.checkout();
    let raw = git(&check, &["cat-file", "commit", "HEAD"]);
    assert!(
        raw.contains("gpgsig -----BEGIN SIGNED MESSAGE-----"),
        "{raw}"
    );
    let verify = |ca_pem: String| {
        let file = w.dir.path().join(format!("ca-{}.pem", rand_suffix()));
        std::fs::write(&file, ca_pem).unwrap();
        Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .args(["verify-commit", "--repo"])
            .arg(&check)
            .arg("--ca")
            .arg(&file)
            .output()
            .unwrap()
    };
    let ok = verify(ca.certificate_pem());
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{}", describe(&ok));
    assert!(stdout.contains("format:   x509"), "{stdout}");
    assert!(stdout.contains("bot@portcullis.test"), "{stdout}");
    assert!(stdout.contains(&web), "the recorded change: {stdout}");
    let other = portcullis_testsign::CertificateAuthority::new("Someone Else").unwrap();
    let refused = verify(other.certificate_pem());
    assert_eq!(refused.status.code(), Some(3), "{}", describe(&refused));
}

/// A write branch given as a template is rendered for each application, as Image Updater
/// does: two applications of one repository with `main:portcullis/{{.AppName}}`, of which
/// only `web` has an update, give one commit on `portcullis/web` and nothing else; `main`
/// is untouched.
#[tokio::test(flavor = "multi_thread")]
async fn a_templated_write_branch_is_rendered_per_application() {
    let w = World::new().await;
    let host = w.reg.host();
    let (web, app) = w.one_web_app().await;
    w.image("acme/api", "2.0.0", true).await;
    w.seed(&[(
        "apps/api/kustomization.yaml",
        format!("images:\n- name: {host}/acme/api\n  newTag: 2.0.0\n"),
    )]);
    let remote = w.remote.display().to_string();
    let branch = "branch: \"main:portcullis/{{.AppName}}\"";
    let app = app.replace(
        "writeBack: {target: kustomization}",
        &format!("writeBack: {{target: kustomization, {branch}}}"),
    );
    assert!(app.contains("portcullis/"), "{app}");
    // `api` comes first: the branch must still be named after the application that changed.
    w.write_config(&format!(
        "  - name: api\n    repository: {remote}\n    path: apps/api\n    writeBack: {{target: kustomization, {branch}}}\n    images: [{{image: \"{host}/acme/api\"}}]\n{app}"
    ));
    let main_before = git(&w.remote, &["rev-parse", "main"]);
    let (out, events) = w.run();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let commits: Vec<&Value> = events.iter().filter(|e| e["kind"] == "commit").collect();
    assert_eq!(commits.len(), 1, "{}", describe(&out));
    assert_eq!(commits[0]["branch"], "portcullis/web", "{}", describe(&out));
    assert_eq!(commits[0]["applications"], serde_json::json!(["web"]));
    let branches = git(&w.remote, &["branch", "--format=%(refname:short)"]);
    let mut branches: Vec<&str> = branches.lines().collect();
    branches.sort_unstable();
    assert_eq!(branches, ["main", "portcullis/web"]);
    assert_eq!(git(&w.remote, &["rev-parse", "main"]), main_before);
    let file = git(
        &w.remote,
        &["show", "portcullis/web:apps/web/kustomization.yaml"],
    );
    assert!(file.contains(&web), "{file}");
}

/// Image Updater's `helm.image-digest`: the digest goes to its own value path and the tag
/// path gets the bare tag; nothing else in the values file changes.
#[tokio::test(flavor = "multi_thread")]
async fn a_helm_digest_path_gets_the_digest_and_the_tag_path_the_bare_tag() {
    let w = World::new().await;
    let host = w.reg.host();
    w.image("acme/api", "2.0.0", true).await;
    let api = w.image("acme/api", "2.1.0", true).await;
    let values = format!(
        "image:\n  repository: {host}/acme/api\n  tag: 2.0.0   # bumped by Portcullis\n  digest: \"\"\nreplicas: 2\n"
    );
    w.seed(&[("apps/api/values.yaml", values.clone())]);
    let remote = w.remote.display().to_string();
    w.write_config(&format!(
        "  - name: api\n    repository: {remote}\n    path: apps/api\n    writeBack: {{target: \"helmvalues:values.yaml\"}}\n    images: [{{image: \"{host}/acme/api\", helm: {{imageName: image.repository, imageTag: image.tag, imageDigest: image.digest}}}}]\n"
    ));
    let (out, events) = w.run();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(
        events.iter().filter(|e| e["kind"] == "commit").count(),
        1,
        "{}",
        describe(&out)
    );
    let written = git(&w.remote, &["show", "main:apps/api/values.yaml"]);
    let changed: Vec<(&str, &str)> = values
        .lines()
        .zip(written.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(
        changed.len(),
        2,
        "the tag and digest lines only:\n{written}"
    );
    assert!(
        written.contains("  tag: 2.1.0   # bumped by Portcullis\n"),
        "{written}"
    );
    assert!(
        written.contains(&format!("  digest: {api}"))
            || written.contains(&format!("  digest: \"{api}\"")),
        "{written}"
    );
}

/// A loopback HTTP/1.1 server that records each request's first line and `Authorization`
/// header and answers with `answer(first line, authorization)` (a whole response), one
/// request per connection. Small and fake because GitHub's API cannot run here; the bodies it
/// is given are recorded real answers.
#[allow(clippy::type_complexity)]
fn recording_server(
    answer: impl Fn(&str, Option<&str>) -> String + Send + 'static,
) -> (
    u16,
    std::sync::Arc<std::sync::Mutex<Vec<(String, Option<String>)>>>,
) {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut first, mut auth, mut length) = (String::new(), None, 0usize);
            let _ = reader.read_line(&mut first);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                let lower = line.to_ascii_lowercase();
                if lower.starts_with("authorization:") {
                    auth = Some(line[14..].trim().to_owned());
                } else if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let first = first.trim().to_owned();
            let response = answer(&first, auth.as_deref());
            record.lock().unwrap().push((first, auth));
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (port, seen)
}

/// `git.githubApp`: the installation token is minted from the app's key (a JWT to the API)
/// and handed to git over HTTPS as `x-access-token`, never printed. The Git server here only
/// records what it is sent and refuses, so the run ends with `write_failed`.
#[tokio::test(flavor = "multi_thread")]
async fn a_github_app_token_authenticates_git_over_https() {
    use base64::Engine as _;

    let w = World::new().await;
    let host = w.reg.host();
    w.image("acme/web", "1.0.0", true).await;
    // The recorded answer of POST /app/installations/{id}/access_tokens, with an expiry an
    // hour ahead (the recording's is in 2021).
    let recorded = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../portcullis-gitops/tests/fixtures/forge/github-installation-token.json"),
    )
    .unwrap();
    let mut token_answer: Value = serde_json::from_str(&recorded).unwrap();
    let token = token_answer["token"].as_str().unwrap().to_owned();
    token_answer["expires_at"] =
        Value::String((jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1)).to_string());
    let body = token_answer.to_string();
    let (api, api_seen) = recording_server(move |first, _| {
        if first.starts_with("POST /app/installations/42/access_tokens ") {
            format!(
                "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        } else {
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
        }
    });
    let (git_port, git_seen) = recording_server(|_, auth| {
        match auth {
        None => "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned(),
        Some(_) => "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned(),
    }
    });
    let key = w.dir.path().join("app.pem");
    let out = Command::new("openssl")
        .args(["genrsa", "-traditional", "-out"])
        .arg(&key)
        .arg("2048")
        .output()
        .expect("openssl is required: run scripts/install-deps.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    w.write_config(&format!(
        "  - name: web\n    repository: http://127.0.0.1:{git_port}/acme/deploy.git\n    path: apps/web\n    writeBack: {{target: kustomization}}\n    images: [{{image: \"{host}/acme/web\"}}]\n"
    ));
    let config = w.dir.path().join("portcullis.yaml");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "git:\n",
        &format!(
            "git:\n  githubApp: {{appId: 1, installationId: 42, privateKeyFile: app.pem, apiUrl: \"http://127.0.0.1:{api}\"}}\n"
        ),
    );
    std::fs::write(&config, text).unwrap();

    let (out, events) = w.run();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        events.iter().any(|e| e["kind"] == "write_failed"),
        "{}",
        describe(&out)
    );
    let api_seen = api_seen.lock().unwrap().clone();
    assert_eq!(api_seen.len(), 1, "one token minted: {api_seen:?}");
    assert!(
        api_seen[0]
            .1
            .as_deref()
            .is_some_and(|a| a.starts_with("Bearer ey")),
        "a JWT: {api_seen:?}"
    );
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"))
    );
    let git_seen = git_seen.lock().unwrap().clone();
    assert!(
        git_seen
            .iter()
            .any(|(_, a)| a.as_deref() == Some(expected.as_str())),
        "{git_seen:?}"
    );
    let printed = describe(&out);
    assert!(
        !printed.contains(&token),
        "the token was printed: {printed}"
    );
}
