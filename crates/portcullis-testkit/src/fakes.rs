//! Small spec-following HTTP endpoints for registry behaviour Debian's `docker-registry` 2.8
//! does not have (pagination with `Link`, `429 Retry-After`, a bearer-token front) or that no
//! honest registry shows (garbage answers). Each is a fake, on loopback, and says so where a
//! test uses it; everything they do not fake they forward to a real registry.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
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

/// A tag-list endpoint that paginates per the OCI distribution spec: honours `n` and `last`,
/// and sends `Link: <...>; rel="next"` while tags remain. Fake because Debian's registry 2.8
/// ignores `n` and never sends `Link`.
pub async fn paginating_registry(tags: Vec<String>) -> FakeServer {
    let hits = Arc::new(AtomicUsize::new(0));
    let mut sorted = tags;
    sorted.sort();
    sorted.dedup();
    let state = (Arc::new(sorted), hits.clone());
    let router = Router::new().fallback(
        |State((tags, hits)): State<(Arc<Vec<String>>, Arc<AtomicUsize>)>, req: Request| async move {
            hits.fetch_add(1, Ordering::SeqCst);
            let path = req.uri().path().to_owned();
            let Some(name) = path.strip_prefix("/v2/").and_then(|p| p.strip_suffix("/tags/list")) else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let query = req.uri().query().unwrap_or("");
            let mut n: Option<usize> = None;
            let mut last: Option<String> = None;
            for kv in query.split('&') {
                match kv.split_once('=') {
                    Some(("n", v)) => n = v.parse().ok(),
                    Some(("last", v)) => last = Some(v.to_owned()),
                    _ => {}
                }
            }
            let start = last.map_or(0, |l| tags.partition_point(|t| *t <= l));
            let end = n.map_or(tags.len(), |n| (start + n).min(tags.len()));
            let page: Vec<&String> = tags[start..end].iter().collect();
            let body = serde_json::json!({"name": name, "tags": page}).to_string();
            let mut resp = (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response();
            if end < tags.len()
                && let (Some(n), Some(last)) = (n, page.last())
            {
                let link = format!("</v2/{name}/tags/list?n={n}&last={last}>; rel=\"next\"");
                if let Ok(v) = HeaderValue::from_str(&link) {
                    resp.headers_mut().insert(header::LINK, v);
                }
            }
            resp
        },
    );
    serve(router.with_state(state), hits).await
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

#[derive(Clone)]
struct TokenFront {
    upstream: String,
    expected_basic: String,
    issued: Arc<Mutex<HashSet<String>>>,
    tokens: Arc<AtomicUsize>,
    hits: Arc<AtomicUsize>,
    self_url: Arc<Mutex<String>>,
    http: reqwest::Client,
}

/// The bearer-token flow in front of a real registry: `401` with a `WWW-Authenticate: Bearer`
/// challenge, a `/token` endpoint that checks basic credentials and issues tokens, and
/// forwarding for requests that carry an issued token. Fake because configuring Debian's
/// registry for token auth needs a JWT-signing token service; this speaks the same protocol.
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
            if auth != s.expected_basic {
                return StatusCode::UNAUTHORIZED.into_response();
            }
            let n = s.tokens.fetch_add(1, Ordering::SeqCst);
            let token = format!("token-{n}");
            s.issued.lock().expect("lock").insert(token.clone());
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::json!({"token": token, "expires_in": 300}).to_string(),
            )
                .into_response();
        }
        let valid = auth
            .strip_prefix("Bearer ")
            .is_some_and(|t| s.issued.lock().expect("lock").contains(t));
        if !valid {
            let name = req
                .uri()
                .path()
                .strip_prefix("/v2/")
                .and_then(|p| p.split("/tags/").next())
                .and_then(|p| p.split("/manifests/").next())
                .and_then(|p| p.split("/blobs/").next())
                .unwrap_or("")
                .to_owned();
            let realm = s.self_url.lock().expect("lock").clone();
            let challenge = format!(
                "Bearer realm=\"{realm}/token\",service=\"testkit\",scope=\"repository:{name}:pull\""
            );
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, challenge)], "").into_response();
        }
        forward(&s.http, &s.upstream, req).await
    });
    let server = serve(router.with_state(state), hits).await;
    *self_url.lock().expect("lock") = server.url();
    (server, tokens)
}

/// A registry that answers garbage, chosen by repository name under `/v2/garbage/<kind>/`:
/// `notjson` (HTML for everything), `wrongdigest` (a manifest whose announced digest is not
/// its sha256), `huge` (a 6 MiB manifest), `error500` (500 forever), `nochallenge` (401
/// without `WWW-Authenticate`), `badindex` (an index entry with a malformed digest),
/// `badconfig` (a manifest whose config blob is not JSON). Fake by nature.
pub async fn garbage_registry() -> FakeServer {
    let hits = Arc::new(AtomicUsize::new(0));
    let router = Router::new().fallback(|State(hits): State<Arc<AtomicUsize>>, method: Method, req: Request| async move {
        hits.fetch_add(1, Ordering::SeqCst);
        let path = req.uri().path().to_owned();
        let kind = path.strip_prefix("/v2/garbage/").and_then(|p| p.split('/').next()).unwrap_or("");
        let json = [(header::CONTENT_TYPE, "application/json")];
        match kind {
            "notjson" => (StatusCode::OK, [(header::CONTENT_TYPE, "text/html")], "<html>hello</html>").into_response(),
            "wrongdigest" => {
                let body = manifest_body("sha256:1111111111111111111111111111111111111111111111111111111111111111");
                let mut r = (StatusCode::OK, json, body).into_response();
                r.headers_mut().insert(
                    "docker-content-digest",
                    HeaderValue::from_static("sha256:2222222222222222222222222222222222222222222222222222222222222222"),
                );
                r
            }
            "huge" => (StatusCode::OK, json, Bytes::from(vec![b' '; 6 * 1024 * 1024])).into_response(),
            "error500" => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            "nochallenge" => StatusCode::UNAUTHORIZED.into_response(),
            "badindex" => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/vnd.oci.image.index.v1+json")],
                r#"{"schemaVersion":2,"manifests":[{"digest":"sha256:xyz","platform":{"os":"linux","architecture":"amd64"}}]}"#,
            )
                .into_response(),
            "badconfig" if path.contains("/blobs/") => (StatusCode::OK, "not json").into_response(),
            "badconfig" if method == Method::HEAD || path.contains("/manifests/") => {
                let config = crate::push::sha256(b"not json");
                (StatusCode::OK, json, manifest_body(&config)).into_response()
            }
            _ => StatusCode::NOT_FOUND.into_response(),
        }
    });
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
