#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Opening pull/merge requests on GitHub, GitLab and Gitea, and GitHub App tokens.
//!
//! Why a fake: the forges' REST APIs are hosted services that cannot run here (no network,
//! no accounts, no self-hosted GitLab or Gitea in the test environment). So the HTTP
//! boundary is faked on loopback by a scripted axum server that answers with the providers'
//! documented response bodies (`tests/fixtures/forge/*.json`, sources in the README there)
//! and records every request for the assertions. Everything on our side of the boundary
//! (reqwest, headers, JSON, JWT signing with aws-lc-rs) is the real code.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portcullis_gitops::forge::{
    Auth, ForgeClient, ForgeError, GitHubApp, Provider, PullRequest, PullRequestSpec,
};
use serde_json::Value;

const TOKEN: &str = "glpat-SECRET-token-value-1234";

/// One request the fake saw.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Value,
}

#[derive(Default)]
struct Script {
    answers: Mutex<VecDeque<(u16, String)>>,
    seen: Mutex<Vec<Seen>>,
}

/// A loopback server answering each request with the next scripted `(status, body)`.
struct Fake {
    url: String,
    script: Arc<Script>,
    _server: tokio::task::JoinHandle<()>,
}

impl Fake {
    async fn start(answers: Vec<(u16, String)>) -> Self {
        let script = Arc::new(Script {
            answers: Mutex::new(answers.into()),
            seen: Mutex::default(),
        });
        let app = Router::new().fallback(answer).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url,
            script,
            _server: server,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.script.seen.lock().unwrap().clone()
    }

    fn left(&self) -> usize {
        self.script.answers.lock().unwrap().len()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self._server.abort();
    }
}

async fn answer(
    State(script): State<Arc<Script>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    script.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let (status, body) = script
        .answers
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or((599, "unscripted request".to_owned()));
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body,
    )
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/forge")
        .join(name);
    std::fs::read_to_string(&path).unwrap()
}

fn token_file(dir: &Path) -> PathBuf {
    let path = dir.join("token");
    std::fs::write(&path, format!("{TOKEN}\n")).unwrap();
    path
}

fn spec(head: &str, base: &str) -> PullRequestSpec {
    PullRequestSpec {
        head: head.to_owned(),
        base: base.to_owned(),
        title: "chore: update images".to_owned(),
        body: "Verified by Portcullis.".to_owned(),
    }
}

fn client(provider: Provider, fake: &Fake, repo: &str, auth: Auth) -> ForgeClient {
    ForgeClient::new(provider, Some(&fake.url), repo, auth).unwrap()
}

fn header<'a>(s: &'a Seen, name: &str) -> &'a str {
    s.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn github_creates_a_pull_request_with_a_bearer_token() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(vec![(201, fixture("github-pull-created.json"))]).await;
    let gh = client(
        Provider::GitHub,
        &fake,
        "octocat/Hello-World",
        Auth::TokenFile(token_file(dir.path())),
    );
    let pr = gh
        .open_pull_request(&spec("new-topic", "master"))
        .await
        .unwrap();
    assert_eq!(
        pr,
        PullRequest {
            number: 1347,
            url: "https://github.com/octocat/Hello-World/pull/1347".to_owned()
        }
    );
    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path, "/repos/octocat/Hello-World/pulls");
    assert_eq!(header(&seen[0], "authorization"), format!("Bearer {TOKEN}"));
    assert_eq!(header(&seen[0], "accept"), "application/vnd.github+json");
    assert_eq!(seen[0].body["head"], "new-topic");
    assert_eq!(seen[0].body["base"], "master");
    assert_eq!(seen[0].body["title"], "chore: update images");
    assert_eq!(seen[0].body["body"], "Verified by Portcullis.");
}

#[tokio::test]
async fn github_already_exists_returns_the_open_one() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(vec![
        (422, fixture("github-pull-exists-422.json")),
        (200, fixture("github-pulls-list.json")),
    ])
    .await;
    let gh = client(
        Provider::GitHub,
        &fake,
        "octocat/Hello-World",
        Auth::TokenFile(token_file(dir.path())),
    );
    let pr = gh
        .open_pull_request(&spec("new-topic", "master"))
        .await
        .unwrap();
    assert_eq!(pr.number, 1347);
    let seen = fake.seen();
    assert_eq!(seen[1].method, "GET");
    assert_eq!(seen[1].path, "/repos/octocat/Hello-World/pulls");
    assert!(
        seen[1].query.contains("head=octocat%3Anew-topic"),
        "{}",
        seen[1].query
    );
    assert!(seen[1].query.contains("base=master"));
    assert!(seen[1].query.contains("state=open"));
}

#[tokio::test]
async fn github_other_validation_failures_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let body = r#"{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"No commits between master and new-topic"}]}"#;
    let fake = Fake::start(vec![(422, body.to_owned())]).await;
    let gh = client(
        Provider::GitHub,
        &fake,
        "octocat/Hello-World",
        Auth::TokenFile(token_file(dir.path())),
    );
    let e = gh
        .open_pull_request(&spec("new-topic", "master"))
        .await
        .unwrap_err();
    assert!(matches!(e, ForgeError::Status { status: 422, .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("No commits between master and new-topic"),
        "{e}"
    );
    assert_eq!(fake.seen().len(), 1, "no list call for a different failure");
}

#[tokio::test]
async fn unauthorized_is_a_clear_error_without_the_token() {
    let dir = tempfile::tempdir().unwrap();
    // A forge that quotes the token back must not get it into the error.
    let echo = format!(r#"{{"message":"401 Unauthorized: token {TOKEN} is revoked"}}"#);
    for (status, body) in [
        (401, fixture("github-bad-credentials-401.json")),
        (403, echo),
    ] {
        let fake = Fake::start(vec![(status, body)]).await;
        let gh = client(
            Provider::GitHub,
            &fake,
            "octocat/Hello-World",
            Auth::TokenFile(token_file(dir.path())),
        );
        let e = gh
            .open_pull_request(&spec("new-topic", "master"))
            .await
            .unwrap_err();
        assert!(e.is_auth(), "{e:?}");
        assert!(!e.is_retryable());
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(TOKEN), "token leaked: {shown}");
        assert!(shown.contains(&format!("HTTP {status}")), "{shown}");
        assert!(shown.contains("refused the credentials"), "{shown}");
    }
}

#[tokio::test]
async fn server_errors_are_retryable_status_errors() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(vec![(502, "<html>Bad Gateway</html>".to_owned())]).await;
    let gl = client(
        Provider::GitLab,
        &fake,
        "my-group/my-project",
        Auth::TokenFile(token_file(dir.path())),
    );
    let e = gl
        .open_pull_request(&spec("test1", "main"))
        .await
        .unwrap_err();
    assert!(matches!(e, ForgeError::Status { status: 502, .. }), "{e:?}");
    assert!(e.is_retryable());
    assert!(e.to_string().contains("Bad Gateway"), "{e}");
}

#[tokio::test]
async fn a_malformed_body_is_a_body_error() {
    let dir = tempfile::tempdir().unwrap();
    for body in [
        r#"{"number": "not a number"}"#,
        "{\"number\": 1, \"html_u",
        "",
    ] {
        let fake = Fake::start(vec![(201, body.to_owned())]).await;
        let gt = client(
            Provider::Gitea,
            &fake,
            "acme/deploy",
            Auth::TokenFile(token_file(dir.path())),
        );
        let e = gt
            .open_pull_request(&spec("portcullis/update", "main"))
            .await
            .unwrap_err();
        assert!(matches!(e, ForgeError::Body { .. }), "{body}: {e:?}");
        assert!(e.to_string().contains("unexpected response body"), "{e}");
    }
}

#[tokio::test]
async fn gitlab_creates_a_merge_request_on_the_encoded_project_path() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(vec![(201, fixture("gitlab-merge-request-created.json"))]).await;
    let gl = client(
        Provider::GitLab,
        &fake,
        "my-group/my-project",
        Auth::TokenFile(token_file(dir.path())),
    );
    let pr = gl.open_pull_request(&spec("test1", "main")).await.unwrap();
    assert_eq!(
        pr,
        PullRequest {
            number: 1,
            url: "http://gitlab.example.com/my-group/my-project/merge_requests/1".to_owned()
        }
    );
    let seen = fake.seen();
    assert_eq!(
        seen[0].path,
        "/projects/my-group%2Fmy-project/merge_requests"
    );
    assert_eq!(header(&seen[0], "private-token"), TOKEN);
    assert_eq!(header(&seen[0], "authorization"), "");
    assert_eq!(seen[0].body["source_branch"], "test1");
    assert_eq!(seen[0].body["target_branch"], "main");
    assert_eq!(seen[0].body["description"], "Verified by Portcullis.");
}

#[tokio::test]
async fn gitlab_conflict_returns_the_open_merge_request() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(vec![
        (409, fixture("gitlab-merge-request-exists-409.json")),
        (200, fixture("gitlab-merge-requests-list.json")),
    ])
    .await;
    let gl = client(
        Provider::GitLab,
        &fake,
        "my-group/my-project",
        Auth::TokenFile(token_file(dir.path())),
    );
    let pr = gl.open_pull_request(&spec("test1", "main")).await.unwrap();
    assert_eq!(pr.number, 1);
    let list = &fake.seen()[1];
    assert_eq!(list.method, "GET");
    assert_eq!(list.path, "/projects/my-group%2Fmy-project/merge_requests");
    assert!(list.query.contains("source_branch=test1"));
    assert!(list.query.contains("target_branch=main"));
    assert!(list.query.contains("state=opened"));
}

#[tokio::test]
async fn gitlab_conflict_without_an_open_one_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(vec![
        (409, fixture("gitlab-merge-request-exists-409.json")),
        (200, "[]".to_owned()),
    ])
    .await;
    let gl = client(
        Provider::GitLab,
        &fake,
        "my-group/my-project",
        Auth::TokenFile(token_file(dir.path())),
    );
    let e = gl
        .open_pull_request(&spec("test1", "main"))
        .await
        .unwrap_err();
    assert!(matches!(e, ForgeError::ExistingNotFound { .. }), "{e:?}");
}

#[tokio::test]
async fn gitea_creates_and_finds_existing_pull_requests() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(vec![
        (201, fixture("gitea-pull-created.json")),
        (409, fixture("gitea-pull-exists-409.json")),
        (200, fixture("gitea-pulls-list.json")),
    ])
    .await;
    let gt = client(
        Provider::Gitea,
        &fake,
        "acme/deploy",
        Auth::TokenFile(token_file(dir.path())),
    );
    let want = PullRequest {
        number: 5,
        url: "https://gitea.example.com/acme/deploy/pulls/5".to_owned(),
    };
    assert_eq!(
        gt.open_pull_request(&spec("portcullis/update", "main"))
            .await
            .unwrap(),
        want
    );
    // The second time the forge says it exists; the list holds an unrelated one first.
    assert_eq!(
        gt.open_pull_request(&spec("portcullis/update", "main"))
            .await
            .unwrap(),
        want
    );
    let seen = fake.seen();
    assert_eq!(seen[0].path, "/repos/acme/deploy/pulls");
    assert_eq!(header(&seen[0], "authorization"), format!("token {TOKEN}"));
    assert_eq!(seen[0].body["head"], "portcullis/update");
    assert_eq!(seen[2].method, "GET");
    assert!(seen[2].query.contains("state=open"));
}

#[tokio::test]
async fn the_token_file_is_read_on_every_call() {
    let dir = tempfile::tempdir().unwrap();
    let path = token_file(dir.path());
    let fake = Fake::start(vec![
        (201, fixture("gitea-pull-created.json")),
        (201, fixture("gitea-pull-created.json")),
    ])
    .await;
    let gt = client(
        Provider::Gitea,
        &fake,
        "acme/deploy",
        Auth::TokenFile(path.clone()),
    );
    gt.open_pull_request(&spec("portcullis/update", "main"))
        .await
        .unwrap();
    std::fs::write(&path, "rotated").unwrap();
    gt.open_pull_request(&spec("portcullis/update", "main"))
        .await
        .unwrap();
    assert_eq!(header(&fake.seen()[1], "authorization"), "token rotated");
}

/// An RSA key made by `openssl genrsa`: `(private key PEM, public key PKCS#1 DER)`.
fn openssl_key(dir: &Path, pkcs1: bool) -> (PathBuf, Vec<u8>) {
    let key = dir.join(if pkcs1 {
        "app-pkcs1.pem"
    } else {
        "app-pkcs8.pem"
    });
    let mut genrsa = Command::new("openssl");
    genrsa.arg("genrsa");
    if pkcs1 {
        genrsa.arg("-traditional");
    }
    let out = genrsa.arg("-out").arg(&key).arg("2048").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let header = std::fs::read_to_string(&key).unwrap();
    let label = if pkcs1 {
        "BEGIN RSA PRIVATE KEY"
    } else {
        "BEGIN PRIVATE KEY"
    };
    assert!(header.contains(label), "openssl wrote {header:.40}");
    let public = dir.join("public.der");
    let out = Command::new("openssl")
        .args(["rsa", "-RSAPublicKey_out", "-outform", "DER", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(&public)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (key, std::fs::read(public).unwrap())
}

/// The installation token fixture with `expires_at` set `secs` from now.
fn installation_token(secs: i64) -> String {
    let mut v: Value = serde_json::from_str(&fixture("github-installation-token.json")).unwrap();
    let at = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(secs);
    v["expires_at"] = Value::String(at.to_string());
    v.to_string()
}

fn check_jwt(jwt: &str, public_der: &[u8], app_id: &str) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    let decode =
        |p: &str| -> Value { serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap() };
    let header = decode(parts[0]);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    let claims = decode(parts[1]);
    assert_eq!(claims["iss"], app_id);
    let now = jiff::Timestamp::now().as_second();
    let iat = claims["iat"].as_i64().unwrap();
    let exp = claims["exp"].as_i64().unwrap();
    assert!((now - 60 - iat).abs() <= 5, "iat {iat} vs now {now}");
    assert_eq!(exp - iat, 600, "nine minutes after now, one minute before");
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_der)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("the JWT verifies against the openssl public key");
}

#[tokio::test]
async fn github_app_jwt_is_rs256_signed_and_the_token_is_cached() {
    for pkcs1 in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let (key, public) = openssl_key(dir.path(), pkcs1);
        let fake = Fake::start(vec![
            (201, installation_token(3600)),
            (201, fixture("github-pull-created.json")),
            (201, fixture("github-pull-created.json")),
        ])
        .await;
        let app = GitHubApp::new("12345", 987, key);
        let gh = client(
            Provider::GitHub,
            &fake,
            "octocat/Hello-World",
            Auth::GitHubApp(app),
        );
        gh.open_pull_request(&spec("new-topic", "master"))
            .await
            .unwrap();
        gh.open_pull_request(&spec("new-topic", "master"))
            .await
            .unwrap();
        let seen = fake.seen();
        assert_eq!(fake.left(), 0);
        assert_eq!(seen.len(), 3, "one token exchange for two calls");
        assert_eq!(seen[0].method, "POST");
        assert_eq!(seen[0].path, "/app/installations/987/access_tokens");
        let jwt = header(&seen[0], "authorization")
            .strip_prefix("Bearer ")
            .unwrap();
        check_jwt(jwt, &public, "12345");
        for s in &seen[1..] {
            assert_eq!(s.path, "/repos/octocat/Hello-World/pulls");
            assert_eq!(
                header(s, "authorization"),
                "Bearer ghs_16C7e42F292c6912E7710c838347Ae178B4a"
            );
        }
    }
}

#[tokio::test]
async fn github_app_token_is_minted_again_near_or_past_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = openssl_key(dir.path(), true);
    let fake = Fake::start(vec![
        // The documentation's own example expired in 2016.
        (201, fixture("github-installation-token.json")),
        (201, fixture("github-pull-created.json")),
        // Four minutes left is inside the five-minute refresh margin.
        (201, installation_token(240)),
        (201, fixture("github-pull-created.json")),
        (201, installation_token(3600)),
        (201, fixture("github-pull-created.json")),
    ])
    .await;
    let gh = client(
        Provider::GitHub,
        &fake,
        "octocat/Hello-World",
        Auth::GitHubApp(GitHubApp::new("12345", 987, key)),
    );
    for _ in 0..3 {
        gh.open_pull_request(&spec("new-topic", "master"))
            .await
            .unwrap();
    }
    let exchanges = fake
        .seen()
        .iter()
        .filter(|s| s.path.ends_with("/access_tokens"))
        .count();
    assert_eq!(exchanges, 3);
    assert_eq!(fake.left(), 0);
}

#[tokio::test]
async fn github_app_refused_installation_is_an_auth_error() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = openssl_key(dir.path(), true);
    let fake = Fake::start(vec![(401, fixture("github-bad-credentials-401.json"))]).await;
    let gh = client(
        Provider::GitHub,
        &fake,
        "octocat/Hello-World",
        Auth::GitHubApp(GitHubApp::new("12345", 987, key)),
    );
    let e = gh
        .open_pull_request(&spec("new-topic", "master"))
        .await
        .unwrap_err();
    assert!(e.is_auth(), "{e:?}");
    assert!(e.to_string().contains("Bad credentials"), "{e}");
    assert!(
        !format!("{e:?}").contains("eyJ"),
        "no JWT in the error: {e:?}"
    );
}

#[test]
fn github_app_is_refused_for_other_providers() {
    let e = ForgeClient::new(
        Provider::GitLab,
        None,
        "g/p",
        Auth::GitHubApp(GitHubApp::new("1", 2, PathBuf::from("k.pem"))),
    );
    assert!(matches!(
        e,
        Err(ForgeError::GitHubAppOnly(Provider::GitLab))
    ));
}
