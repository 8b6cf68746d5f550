//! Small spec-following HTTP endpoints for registry behaviour Debian's `docker-registry` 2.8
//! does not have (pagination with `Link`, `429 Retry-After`, a bearer-token front, the OCI
//! 1.1 referrers API) or that no
//! honest registry shows (garbage, truncated bodies, silence). Each is a fake, on loopback,
//! and says so where a test uses it; the proxies forward what they do not fake to a real
//! registry. Each counts the requests (or connections, for the raw TCP ones) it served.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;

/// A running fake; stops when dropped.
#[derive(Debug)]
pub struct FakeServer {
    addr: SocketAddr,
    handle: JoinHandle<()>,
    hits: Arc<AtomicUsize>,
}

impl FakeServer {
    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests served so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

async fn serve(router: Router, hits: Arc<AtomicUsize>) -> FakeServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    FakeServer { addr, handle, hits }
}

/// Forwards a request to `upstream` (without its Authorization header) and relays the answer.
async fn forward(http: &reqwest::Client, upstream: &str, req: Request) -> Response {
    let method = req.method().clone();
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let accept = req.headers().get(header::ACCEPT).cloned();
    let content_type = req.headers().get(header::CONTENT_TYPE).cloned();
    let body = axum::body::to_bytes(req.into_body(), 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let mut rb = http.request(
        reqwest::Method::from_bytes(method.as_str().as_bytes()).expect("method"),
        format!("{upstream}{path}"),
    );
    if let Some(a) = accept {
        rb = rb.header("accept", a.to_str().unwrap_or_default());
    }
    if let Some(c) = content_type {
        rb = rb.header("content-type", c.to_str().unwrap_or_default());
    }
    let resp = match rb.body(body.to_vec()).send().await {
        Ok(r) => r,
        Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
    };
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut headers = HeaderMap::new();
    for name in ["content-type", "docker-content-digest", "link", "location"] {
        if let Some(v) = resp
            .headers()
            .get(name)
            .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok())
        {
            headers.insert(name, v);
        }
    }
    let bytes = resp.bytes().await.unwrap_or_default();
    let mut out = Response::new(Body::from(bytes));
    *out.status_mut() = status;
    *out.headers_mut() = headers;
    out
}

/// How [`paginating_registry_with`] points at the next page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paging {
    /// `Link: </v2/<name>/tags/list?n=..&last=..>; rel="next"` (relative, as distribution 3 does).
    RelativeLink,
    /// The same with an absolute `http://127.0.0.1:<port>/…` target.
    AbsoluteLink,
    /// No `Link` at all: honours `n` and `last`, so a client must continue with `last`.
    NoLink,
    /// A broken registry: every page links back to the first page.
    LinkToFirstPage,
}

/// A tag-list endpoint that paginates per the OCI distribution spec: honours `n` and `last`,
/// and sends `Link: <...>; rel="next"` (relative) while tags remain. Counts requests. Fake
/// because Debian's registry 2.8 ignores `n` and never sends `Link`.
pub async fn paginating_registry(tags: Vec<String>) -> FakeServer {
    paginating_registry_with(tags, Paging::RelativeLink).await
}

#[derive(Clone)]
struct Paginator {
    tags: Arc<Vec<String>>,
    hits: Arc<AtomicUsize>,
    paging: Paging,
    self_url: Arc<Mutex<String>>,
}

/// [`paginating_registry`] with a choice of how the next page is announced.
pub async fn paginating_registry_with(tags: Vec<String>, paging: Paging) -> FakeServer {
    let hits = Arc::new(AtomicUsize::new(0));
    let mut sorted = tags;
    sorted.sort();
    sorted.dedup();
    let state = Paginator {
        tags: Arc::new(sorted),
        hits: hits.clone(),
        paging,
        self_url: Arc::default(),
    };
    let self_url = state.self_url.clone();
    let router = Router::new().fallback(|State(s): State<Paginator>, req: Request| async move {
        s.hits.fetch_add(1, Ordering::SeqCst);
        let path = req.uri().path().to_owned();
        let Some(name) = path
            .strip_prefix("/v2/")
            .and_then(|p| p.strip_suffix("/tags/list"))
        else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let mut n: Option<usize> = None;
        let mut last: Option<String> = None;
        for kv in req.uri().query().unwrap_or("").split('&') {
            match kv.split_once('=') {
                Some(("n", v)) => n = v.parse().ok(),
                Some(("last", v)) => last = Some(v.to_owned()),
                _ => {}
            }
        }
        let tags = &s.tags;
        let start = last.map_or(0, |l| tags.partition_point(|t| *t <= l));
        let end = n.map_or(tags.len(), |n| (start + n).min(tags.len()));
        let page: Vec<&String> = tags[start..end].iter().collect();
        let body = serde_json::json!({"name": name, "tags": page}).to_string();
        let mut resp = (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
        let link = match (n, page.last()) {
            (Some(n), Some(last)) if end < tags.len() => match s.paging {
                Paging::RelativeLink => Some(format!(
                    "</v2/{name}/tags/list?n={n}&last={last}>; rel=\"next\""
                )),
                Paging::AbsoluteLink => {
                    let me = s.self_url.lock().expect("lock").clone();
                    Some(format!(
                        "<{me}/v2/{name}/tags/list?n={n}&last={last}>; rel=\"next\""
                    ))
                }
                Paging::NoLink => None,
                Paging::LinkToFirstPage => {
                    Some(format!("</v2/{name}/tags/list?n={n}>; rel=\"next\""))
                }
            },
            _ => None,
        };
        if let Some(v) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
            resp.headers_mut().insert(header::LINK, v);
        }
        resp
    });
    let server = serve(router.with_state(state), hits).await;
    *self_url.lock().expect("lock") = server.url();
    server
}

/// A proxy to a real registry that answers the first `throttled` requests with
/// `429 Retry-After: <retry_after>`. Fake because the real registry does not rate-limit.
pub async fn throttling_proxy(upstream: &str, throttled: usize, retry_after: &str) -> FakeServer {
    let hits = Arc::new(AtomicUsize::new(0));
    let state = (
        upstream.to_owned(),
        hits.clone(),
        throttled,
        retry_after.to_owned(),
        reqwest::Client::new(),
    );
    let router = Router::new().fallback(
        |State((upstream, hits, throttled, retry_after, http)): State<(
            String,
            Arc<AtomicUsize>,
            usize,
            String,
            reqwest::Client,
        )>,
         req: Request| async move {
            let n = hits.fetch_add(1, Ordering::SeqCst);
            if n < throttled {
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, retry_after)],
                    "slow down",
                )
                    .into_response();
            }
            forward(&http, &upstream, req).await
        },
    );
    serve(router.with_state(state), hits).await
}

/// A plain HTTP file server for `dir` (`GET /<path>` answers the file, anything else `404`),
/// for tests that need static content over HTTP, such as a TUF repository. Not a fake of
/// anything: TUF repositories are static files on any web server.
pub async fn file_server(dir: &std::path::Path) -> FakeServer {
    let hits = Arc::new(AtomicUsize::new(0));
    let state = (dir.to_owned(), hits.clone());
    let router = Router::new().fallback(
        |State((dir, hits)): State<(std::path::PathBuf, Arc<AtomicUsize>)>, req: Request| async move {
            hits.fetch_add(1, Ordering::SeqCst);
            let path = req.uri().path().trim_start_matches('/').to_owned();
            if path.split('/').any(|part| part == ".." || part.is_empty()) {
                return StatusCode::NOT_FOUND.into_response();
            }
            match tokio::fs::read(dir.join(&path)).await {
                Ok(bytes) => (StatusCode::OK, bytes).into_response(),
                Err(_) => StatusCode::NOT_FOUND.into_response(),
            }
        },
    );
    serve(router.with_state(state), hits).await
}

/// What [`faulty_proxy`] does to the requests it faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `500 Internal Server Error`.
    ServerError,
    /// `404 Not Found`, as if the object vanished between two requests.
    NotFound,
    /// `200` with the upstream body's last byte changed (content that does not match the
    /// digest it was asked by).
    Corrupt,
}

/// A proxy to a real registry that applies `fault` to every request whose path contains
/// `needle` (say `/blobs/` or `.sig`) and forwards the rest. Fake because a healthy real
/// registry does not fail on cue.
pub async fn faulty_proxy(upstream: &str, needle: &str, fault: Fault) -> FakeServer {
    let hits = Arc::new(AtomicUsize::new(0));
    let state = (
        upstream.to_owned(),
        hits.clone(),
        needle.to_owned(),
        fault,
        reqwest::Client::new(),
    );
    let router = Router::new().fallback(
        |State((upstream, hits, needle, fault, http)): State<(
            String,
            Arc<AtomicUsize>,
            String,
            Fault,
            reqwest::Client,
        )>,
         req: Request| async move {
            hits.fetch_add(1, Ordering::SeqCst);
            if !req.uri().path().contains(&needle) {
                return forward(&http, &upstream, req).await;
            }
            match fault {
                Fault::ServerError => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                Fault::NotFound => StatusCode::NOT_FOUND.into_response(),
                Fault::Corrupt => {
                    let resp = forward(&http, &upstream, req).await;
                    let (parts, body) = resp.into_parts();
                    let mut bytes = axum::body::to_bytes(body, 16 * 1024 * 1024)
                        .await
                        .map(|b| b.to_vec())
                        .unwrap_or_default();
                    if let Some(last) = bytes.last_mut() {
                        *last ^= 0x01;
                    }
                    Response::from_parts(parts, Body::from(bytes))
                }
            }
        },
    );
    serve(router.with_state(state), hits).await
}

#[derive(Clone)]
struct TokenFront {
    upstream: String,
    expected_basic: String,
    refresh_token: String,
    /// Issued token → the scope it grants.
    issued: Arc<Mutex<HashMap<String, String>>>,
    tokens: Arc<AtomicUsize>,
    hits: Arc<AtomicUsize>,
    self_url: Arc<Mutex<String>>,
    http: reqwest::Client,
}

/// `a=b&c=d` (form or query encoding) as a map.
fn form_params(encoded: &str) -> HashMap<String, String> {
    reqwest::Url::parse(&format!("http://form.invalid/?{encoded}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

/// The repository a `/v2/<name>/{tags,manifests,blobs,referrers}/…` path names.
fn repository_of(path: &str) -> String {
    let rest = path.strip_prefix("/v2/").unwrap_or("");
    for marker in ["/tags/", "/manifests/", "/blobs/", "/referrers/"] {
        if let Some(i) = rest.find(marker) {
            return rest[..i].to_owned();
        }
    }
    String::new()
}

/// The bearer-token flow in front of a real registry: `401` with
/// `WWW-Authenticate: Bearer realm="http://127.0.0.1:<p>/token",service="testkit",scope="repository:<name>:pull"`,
/// a `/token` endpoint that checks basic credentials (or, on `POST`, an OAuth2 refresh-token
/// grant whose refresh token is `password`) and issues a token for the scope asked
/// (`expires_in: 300`), and forwarding of requests whose token grants their repository.
/// Returns the server and the count of tokens issued. Fake because Debian's registry needs
/// a JWT-signing token service (a key pair and a cert bundle) for token auth; this speaks
/// the same protocol to the client.
pub async fn token_front(
    upstream: &str,
    user: &str,
    password: &str,
) -> (FakeServer, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let tokens = Arc::new(AtomicUsize::new(0));
    let state = TokenFront {
        upstream: upstream.to_owned(),
        expected_basic: format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        ),
        refresh_token: password.to_owned(),
        issued: Arc::default(),
        tokens: tokens.clone(),
        hits: hits.clone(),
        self_url: Arc::default(),
        http: reqwest::Client::new(),
    };
    let self_url = state.self_url.clone();
    let router = Router::new().fallback(|State(s): State<TokenFront>, req: Request| async move {
        s.hits.fetch_add(1, Ordering::SeqCst);
        let auth = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if req.uri().path() == "/token" {
            // GET with basic credentials, or POST with an OAuth2 refresh-token grant whose
            // refresh token is the password (docker's identity tokens).
            let params = if req.method() == axum::http::Method::POST {
                let body = axum::body::to_bytes(req.into_body(), 64 * 1024)
                    .await
                    .unwrap_or_default();
                let params = form_params(&String::from_utf8_lossy(&body));
                let refresh_ok = params.get("grant_type").map(String::as_str)
                    == Some("refresh_token")
                    && params.get("refresh_token") == Some(&s.refresh_token);
                if !refresh_ok {
                    return StatusCode::UNAUTHORIZED.into_response();
                }
                params
            } else {
                if auth != s.expected_basic {
                    return StatusCode::UNAUTHORIZED.into_response();
                }
                form_params(req.uri().query().unwrap_or(""))
            };
            let scope = params.get("scope").cloned().unwrap_or_default();
            let n = s.tokens.fetch_add(1, Ordering::SeqCst);
            let token = format!("token-{n}");
            s.issued.lock().expect("lock").insert(token.clone(), scope);
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::json!({"access_token": token, "expires_in": 300}).to_string(),
            )
                .into_response();
        }
        let name = repository_of(req.uri().path());
        let wanted = format!("repository:{name}:pull");
        let granted = auth
            .strip_prefix("Bearer ")
            .and_then(|t| s.issued.lock().expect("lock").get(t).cloned());
        if granted.as_deref() != Some(wanted.as_str()) {
            let realm = s.self_url.lock().expect("lock").clone();
            let challenge =
                format!("Bearer realm=\"{realm}/token\",service=\"testkit\",scope=\"{wanted}\"");
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, challenge)],
                "",
            )
                .into_response();
        }
        forward(&s.http, &s.upstream, req).await
    });
    let server = serve(router.with_state(state), hits).await;
    *self_url.lock().expect("lock") = server.url();
    (server, tokens)
}

/// `(repository, subject digest)` → descriptors of the manifests that name it.
type ReferrerTable = HashMap<(String, String), Vec<serde_json::Value>>;

#[derive(Clone)]
struct ReferrersFront {
    upstream: String,
    http: reqwest::Client,
    hits: Arc<AtomicUsize>,
    referrers: Arc<Mutex<ReferrerTable>>,
    page_size: Option<usize>,
}

/// The referrers API of the OCI distribution spec 1.1 in front of a real registry:
/// `GET /v2/<name>/referrers/<digest>` answers an image index of the descriptors (media
/// type, digest, size, `artifactType` — the config media type when the manifest has none —
/// and annotations) of every manifest pushed *through this front* whose `subject` is that
/// digest, filtered by the `artifactType` query parameter (then with
/// `OCI-Filters-Applied: artifactType`); a manifest `PUT` with a `subject` is answered with
/// `OCI-Subject`. Everything else is forwarded to `upstream`, where the manifests and blobs
/// live. Fake because Debian's registry 2.8 lacks the referrers API (it answers `404`).
pub async fn referrers_api(upstream: &str) -> FakeServer {
    referrers_api_paged(upstream, None).await
}

/// [`referrers_api`] answering at most `page_size` descriptors per page, with a
/// `Link: <…?page=N>; rel="next"` header to the next page, as the distribution spec allows
/// a registry to paginate the referrers list.
pub async fn referrers_api_paged(upstream: &str, page_size: Option<usize>) -> FakeServer {
    let hits = Arc::new(AtomicUsize::new(0));
    let state = ReferrersFront {
        upstream: upstream.to_owned(),
        http: reqwest::Client::new(),
        hits: hits.clone(),
        referrers: Arc::default(),
        page_size,
    };
    let router =
        Router::new().fallback(|State(s): State<ReferrersFront>, req: Request| async move {
            s.hits.fetch_add(1, Ordering::SeqCst);
            let path = req.uri().path().to_owned();
            let rest = path.strip_prefix("/v2/").unwrap_or("");
            if req.method() == axum::http::Method::GET
                && let Some(i) = rest.find("/referrers/")
            {
                let name = rest[..i].to_owned();
                let subject = rest[i + "/referrers/".len()..].to_owned();
                let params = form_params(req.uri().query().unwrap_or(""));
                let wanted = params.get("artifactType").cloned();
                let page: usize = params.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
                let all = s
                    .referrers
                    .lock()
                    .expect("lock")
                    .get(&(name, subject))
                    .cloned()
                    .unwrap_or_default();
                let mut manifests: Vec<serde_json::Value> = all
                    .into_iter()
                    .filter(|d| wanted.as_deref().is_none_or(|w| d["artifactType"] == w))
                    .collect();
                let mut next = None;
                if let Some(size) = s.page_size {
                    let total = manifests.len();
                    manifests = manifests.into_iter().skip(page * size).take(size).collect();
                    if (page + 1) * size < total {
                        let mut link = format!("</v2/{rest}?page={}", page + 1);
                        if let Some(w) = &wanted {
                            link.push_str(&format!("&artifactType={w}"));
                        }
                        link.push_str(">; rel=\"next\"");
                        next = HeaderValue::from_str(&link).ok();
                    }
                }
                let index = serde_json::json!({
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": manifests,
                });
                let mut resp = (
                    StatusCode::OK,
                    [(
                        header::CONTENT_TYPE,
                        "application/vnd.oci.image.index.v1+json",
                    )],
                    index.to_string(),
                )
                    .into_response();
                if wanted.is_some() {
                    resp.headers_mut().insert(
                        "oci-filters-applied",
                        HeaderValue::from_static("artifactType"),
                    );
                }
                if let Some(link) = next {
                    resp.headers_mut().insert(header::LINK, link);
                }
                return resp;
            }
            let is_manifest_put =
                req.method() == axum::http::Method::PUT && rest.contains("/manifests/");
            if !is_manifest_put {
                return forward(&s.http, &s.upstream, req).await;
            }
            let name = repository_of(&path);
            let (parts, body) = req.into_parts();
            let content_type = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
                .await
                .unwrap_or_default();
            let manifest: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let mut resp = forward(
                &s.http,
                &s.upstream,
                Request::from_parts(parts, Body::from(bytes.clone())),
            )
            .await;
            let subject = manifest["subject"]["digest"].as_str().map(str::to_owned);
            if let (Some(subject), true) = (subject, resp.status() == StatusCode::CREATED) {
                let digest = crate::push::sha256(&bytes);
                let media_type = manifest["mediaType"]
                    .as_str()
                    .map_or(content_type, str::to_owned);
                let artifact_type = manifest["artifactType"]
                    .as_str()
                    .or_else(|| manifest["config"]["mediaType"].as_str())
                    .map(str::to_owned);
                let mut descriptor = serde_json::json!({
                    "mediaType": media_type,
                    "digest": digest,
                    "size": bytes.len(),
                });
                if let Some(t) = artifact_type {
                    descriptor["artifactType"] = serde_json::json!(t);
                }
                if let Some(a) = manifest.get("annotations") {
                    descriptor["annotations"] = a.clone();
                }
                let mut referrers = s.referrers.lock().expect("lock");
                let list = referrers.entry((name, subject.clone())).or_default();
                if !list.iter().any(|d| d["digest"] == digest.as_str()) {
                    list.push(descriptor);
                }
                if let Ok(v) = HeaderValue::from_str(&subject) {
                    resp.headers_mut().insert("oci-subject", v);
                }
            }
            resp
        });
    serve(router.with_state(state), hits).await
}

/// The image config the `redirect` garbage repository serves (via a redirect).
const REDIRECTED_CONFIG: &str =
    r#"{"architecture":"amd64","os":"linux","created":"2026-04-01T12:00:00Z"}"#;

/// A registry that answers garbage, chosen by repository name `garbage/<kind>`:
/// - `notjson`: HTML with `text/html` for everything;
/// - `nulltags`: a tag list with `"tags": null` (valid: an empty repository);
/// - `wrongdigest`: a manifest whose announced `Docker-Content-Digest` is not its sha256;
/// - `huge`: a 6 MiB manifest;
/// - `error500`: `500` forever;
/// - `nochallenge`: `401` without `WWW-Authenticate`;
/// - `forbidden`: `403`;
/// - `badindex`: an index entry with a malformed digest;
/// - `badconfig`: a manifest whose config blob is not JSON;
/// - `wrongblob`: a config blob whose content does not match its digest;
/// - `redirect`: a sound manifest whose config blob answers `307` to `/storage/…` (as
///   registries on object storage do), created `2026-04-01T12:00:00Z`;
/// - `badreferrers`: a referrers API that answers an index that is not JSON (everything
///   else `404`: no legacy signature);
/// - `referrers500`: no referrers API (`404`) and `500` forever for the referrers tag
///   schema's index (`manifests/sha256-<hex>`; everything else `404`).
///
/// Fake by nature: no honest registry answers like this.
pub async fn garbage_registry() -> FakeServer {
    let hits = Arc::new(AtomicUsize::new(0));
    let router = Router::new().fallback(
        |State(hits): State<Arc<AtomicUsize>>, req: Request| async move {
            hits.fetch_add(1, Ordering::SeqCst);
            let path = req.uri().path().to_owned();
            if path.starts_with("/storage/") {
                return (StatusCode::OK, REDIRECTED_CONFIG).into_response();
            }
            let kind = path
                .strip_prefix("/v2/garbage/")
                .and_then(|p| p.split('/').next())
                .unwrap_or("");
            let json = [(header::CONTENT_TYPE, "application/json")];
            let is_blob = path.contains("/blobs/");
            match kind {
                "notjson" => (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "text/html")],
                    "<html>hello</html>",
                )
                    .into_response(),
                "nulltags" => (StatusCode::OK, json, r#"{"name":"garbage/nulltags","tags":null}"#).into_response(),
                "wrongdigest" => {
                    let body = manifest_body(
                        "sha256:1111111111111111111111111111111111111111111111111111111111111111",
                    );
                    let mut r = (StatusCode::OK, json, body).into_response();
                    r.headers_mut().insert(
                        "docker-content-digest",
                        HeaderValue::from_static(
                            "sha256:2222222222222222222222222222222222222222222222222222222222222222",
                        ),
                    );
                    r
                }
                "huge" => (StatusCode::OK, json, Bytes::from(vec![b' '; 6 * 1024 * 1024])).into_response(),
                "error500" => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                "nochallenge" => StatusCode::UNAUTHORIZED.into_response(),
                "forbidden" => StatusCode::FORBIDDEN.into_response(),
                "badindex" => (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/vnd.oci.image.index.v1+json")],
                    r#"{"schemaVersion":2,"manifests":[{"digest":"sha256:xyz","platform":{"os":"linux","architecture":"amd64"}}]}"#,
                )
                    .into_response(),
                "badconfig" if is_blob => (StatusCode::OK, "not json").into_response(),
                "badconfig" => (StatusCode::OK, json, manifest_body(&crate::push::sha256(b"not json"))).into_response(),
                "wrongblob" if is_blob => (StatusCode::OK, r#"{"created":"2026-01-01T00:00:00Z"}"#).into_response(),
                "wrongblob" => (StatusCode::OK, json, manifest_body(&crate::push::sha256(b"something else"))).into_response(),
                "redirect" if is_blob => {
                    let target = format!("/storage/{}", crate::push::sha256(REDIRECTED_CONFIG.as_bytes()));
                    (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, target)], "").into_response()
                }
                "redirect" => (
                    StatusCode::OK,
                    json,
                    manifest_body(&crate::push::sha256(REDIRECTED_CONFIG.as_bytes())),
                )
                    .into_response(),
                "badreferrers" if path.contains("/referrers/") => (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/vnd.oci.image.index.v1+json")],
                    "{\"manifests\": [not json",
                )
                    .into_response(),
                "referrers500"
                    if path.contains("/manifests/sha256-")
                        && !path.ends_with(".sig")
                        && !path.ends_with(".att") =>
                {
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                }
                _ => StatusCode::NOT_FOUND.into_response(),
            }
        },
    );
    serve(router.with_state(hits.clone()), hits).await
}

fn manifest_body(config_digest: &str) -> String {
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": 8},
        "layers": []
    })
    .to_string()
}

/// A raw TCP server that answers every request with `200`, a JSON content type and
/// `Content-Length: 100000`, sends 40 bytes of a manifest and closes the connection. Fake
/// by nature (a registry or proxy dying mid-body); raw TCP because an HTTP server library
/// will not send a body shorter than its length.
pub async fn truncating_server() -> FakeServer {
    raw_server(|mut socket| async move {
        let _ = read_request_head(&mut socket).await;
        let _ = socket
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 100000\r\n\r\n{\"schemaVersion\":2,\"mediaType\":\"applicat",
            )
            .await;
        let _ = socket.shutdown().await;
    })
    .await
}

/// A raw TCP server that accepts connections, reads the request and never answers: for
/// timeouts. Fake by nature.
pub async fn silent_server() -> FakeServer {
    raw_server(|mut socket| async move {
        let _ = read_request_head(&mut socket).await;
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        drop(socket);
    })
    .await
}

async fn raw_server<F, Fut>(handle: F) -> FakeServer
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let handle = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            connections.spawn(handle(socket));
        }
    });
    FakeServer { addr, handle, hits }
}

async fn read_request_head(socket: &mut tokio::net::TcpStream) -> std::io::Result<()> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buf[..n]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_repository() {
        assert_eq!(repository_of("/v2/team/app/tags/list"), "team/app");
        assert_eq!(repository_of("/v2/a/b/c/manifests/1.0"), "a/b/c");
        assert_eq!(repository_of("/v2/x/blobs/sha256:00"), "x");
        assert_eq!(repository_of("/token"), "");
    }

    #[test]
    fn form_parameters_are_decoded() {
        let p = form_params("grant_type=refresh_token&scope=repository%3Ateam%2Fapp%3Apull&x=a+b");
        assert_eq!(p["grant_type"], "refresh_token");
        assert_eq!(p["scope"], "repository:team/app:pull");
        assert_eq!(p["x"], "a b");
    }

    #[tokio::test]
    async fn the_paginating_fake_follows_the_spec() {
        let fake = paginating_registry(vec!["b".into(), "a".into(), "c".into()]).await;
        let http = reqwest::Client::new();
        let first = http
            .get(format!("{}/v2/x/tags/list?n=2", fake.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(
            first.headers()["link"],
            "</v2/x/tags/list?n=2&last=b>; rel=\"next\""
        );
        let body: serde_json::Value = first.json().await.unwrap();
        assert_eq!(body["tags"], serde_json::json!(["a", "b"]));
        let last = http
            .get(format!("{}/v2/x/tags/list?n=2&last=b", fake.url()))
            .send()
            .await
            .unwrap();
        assert!(last.headers().get("link").is_none());
        assert_eq!(fake.hits(), 2);
    }
}
