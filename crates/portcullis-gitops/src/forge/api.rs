//! The providers' REST calls: create, and on "already exists" list the open requests and take
//! the one from the same head branch of the same repository (never a fork's branch of the same
//! name) into the same base. Response bodies are parsed leniently (unknown fields kept out,
//! only the fields used are read; `Pull::is_ours` says what an absent one means).

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::secret::Secret;
use super::{ForgeError, Provider, PullRequest, PullRequestSpec};
use crate::http_body::BodyError;

/// How many pages of open requests are searched for an existing one (Gitea lists all of a
/// repository's open requests; GitHub and GitLab filter by branch on the server).
const MAX_LIST_PAGES: u32 = 10;
/// Requests per listed page.
const PAGE_SIZE: u32 = 50;
/// The longest answer read from a forge (a page of 50 requests is far less).
pub(super) const MAX_BODY: usize = 8 * 1024 * 1024;
/// How much of an error body is quoted.
const MAX_MESSAGE: usize = 300;

/// One authenticated call context.
pub(super) struct Call<'a> {
    pub(super) http: &'a reqwest::Client,
    pub(super) provider: Provider,
    pub(super) api: &'a str,
    pub(super) repository: &'a str,
    pub(super) token: &'a Secret,
}

/// A GitHub or Gitea pull request, as much of it as is used.
#[derive(Debug, Deserialize)]
struct Pull {
    number: u64,
    html_url: String,
    #[serde(default)]
    head: Option<BranchRef>,
    #[serde(default)]
    base: Option<BranchRef>,
}

#[derive(Debug, Deserialize)]
struct BranchRef {
    #[serde(rename = "ref")]
    name: String,
    /// The repository holding the branch. Both forges send `null` once a fork is deleted
    /// (recorded in GitHub's list), which is not the same as not sending the field.
    #[serde(default)]
    repo: Field<RepoRef>,
}

#[derive(Debug, Deserialize)]
struct RepoRef {
    #[serde(default)]
    full_name: Option<String>,
}

/// A field that may be absent, `null`, or hold a value.
#[derive(Debug, Default)]
enum Field<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.map_or(Self::Null, Self::Value))
    }
}

/// How much a listed pull's own fields must prove that it is the one from our head into
/// our base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listing {
    /// The server filtered by `owner:branch` and base (GitHub): a field the answer lacks is
    /// left to that filter, and only a field that contradicts it rules the pull out.
    Filtered,
    /// Every open request of the repository, forks' included (Gitea): the branches and the
    /// head repository must be present and match.
    Unfiltered,
}

/// A GitLab merge request, as much of it as is used.
#[derive(Debug, Deserialize)]
struct MergeRequest {
    iid: u64,
    web_url: String,
    #[serde(default)]
    source_branch: Option<String>,
    #[serde(default)]
    target_branch: Option<String>,
    #[serde(default)]
    source_project_id: Option<u64>,
    #[serde(default)]
    target_project_id: Option<u64>,
    #[serde(default)]
    project_id: Option<u64>,
}

/// An answer: status and body.
struct Answer {
    method: &'static str,
    url: String,
    status: StatusCode,
    body: Vec<u8>,
}

impl Call<'_> {
    /// Creates the request, or finds the open one when the forge says it exists.
    pub(super) async fn open(&self, spec: &PullRequestSpec) -> Result<PullRequest, ForgeError> {
        let (url, body) = match self.provider {
            Provider::GitHub | Provider::Gitea => (
                format!("{}/repos/{}/pulls", self.api, self.repository),
                json!({"title": spec.title, "head": spec.head, "base": spec.base, "body": spec.body}),
            ),
            Provider::GitLab => (
                format!("{}/merge_requests", self.project_url()),
                json!({"source_branch": spec.head, "target_branch": spec.base,
                       "title": spec.title, "description": spec.body}),
            ),
        };
        let answer = self.send(Method::POST, url, &[], Some(&body)).await?;
        if answer.status.is_success() {
            return self.created(&answer);
        }
        if self.already_exists(&answer) {
            tracing::debug!(
                status = answer.status.as_u16(),
                "request exists, looking it up"
            );
            return match self.find_open(spec).await? {
                Some(pr) => Ok(pr),
                // Gitea answers 422 for other validation failures too: report the answer.
                None if self.provider == Provider::Gitea => Err(self.status_error(answer)),
                None => Err(ForgeError::ExistingNotFound {
                    provider: self.provider,
                    head: spec.head.clone(),
                    base: spec.base.clone(),
                }),
            };
        }
        Err(self.status_error(answer))
    }

    fn created(&self, answer: &Answer) -> Result<PullRequest, ForgeError> {
        match self.provider {
            Provider::GitHub | Provider::Gitea => {
                let p: Pull = answer.parse()?;
                Ok(PullRequest {
                    number: p.number,
                    url: p.html_url,
                })
            }
            Provider::GitLab => {
                let m: MergeRequest = answer.parse()?;
                Ok(PullRequest {
                    number: m.iid,
                    url: m.web_url,
                })
            }
        }
    }

    /// Whether the forge's answer says a request from head to base exists already.
    fn already_exists(&self, answer: &Answer) -> bool {
        match (self.provider, answer.status.as_u16()) {
            (Provider::GitLab, 409) | (Provider::Gitea, 409 | 422) => true,
            // GitHub answers 422 for every validation failure ("No commits between ..."
            // too); only the "already exists" one means there is a request to find.
            (Provider::GitHub, 422) => serde_json::from_slice::<Value>(&answer.body)
                .ok()
                .and_then(|v| v.get("errors").and_then(Value::as_array).cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|e| e.get("message").and_then(Value::as_str))
                .any(|m| m.starts_with("A pull request already exists")),
            _ => false,
        }
    }

    /// The open request from `spec.head` into `spec.base`, if any.
    async fn find_open(&self, spec: &PullRequestSpec) -> Result<Option<PullRequest>, ForgeError> {
        match self.provider {
            Provider::GitHub => {
                let owner = self.repository.split('/').next().unwrap_or_default();
                let url = format!("{}/repos/{}/pulls", self.api, self.repository);
                let query = [
                    ("head", format!("{owner}:{}", spec.head)),
                    ("base", spec.base.clone()),
                    ("state", "open".to_owned()),
                ];
                let pulls: Vec<Pull> = self.list(url, &query).await?;
                Ok(pick_pull(pulls, spec, self.repository, Listing::Filtered))
            }
            Provider::GitLab => {
                let url = format!("{}/merge_requests", self.project_url());
                let query = [
                    ("source_branch", spec.head.clone()),
                    ("target_branch", spec.base.clone()),
                    ("state", "opened".to_owned()),
                ];
                let mrs: Vec<MergeRequest> = self.list(url, &query).await?;
                Ok(mrs
                    .into_iter()
                    .find(|m| {
                        m.source_branch.as_deref().is_none_or(|b| b == spec.head)
                            && m.target_branch.as_deref().is_none_or(|b| b == spec.base)
                            && m.is_from_the_project_itself()
                    })
                    .map(|m| PullRequest {
                        number: m.iid,
                        url: m.web_url,
                    }))
            }
            Provider::Gitea => {
                let url = format!("{}/repos/{}/pulls", self.api, self.repository);
                for page in 1..=MAX_LIST_PAGES {
                    let query = [
                        ("state", "open".to_owned()),
                        ("page", page.to_string()),
                        ("limit", PAGE_SIZE.to_string()),
                    ];
                    let pulls: Vec<Pull> = self.list(url.clone(), &query).await?;
                    let last = pulls.len() < PAGE_SIZE as usize;
                    // Gitea cannot filter by branch or head repository.
                    let found = pick_pull(pulls, spec, self.repository, Listing::Unfiltered);
                    if found.is_some() {
                        return Ok(found);
                    }
                    if last {
                        break;
                    }
                }
                Ok(None)
            }
        }
    }

    async fn list<T: DeserializeOwned>(
        &self,
        url: String,
        query: &[(&str, String)],
    ) -> Result<T, ForgeError> {
        let answer = self.send(Method::GET, url, query, None).await?;
        if !answer.status.is_success() {
            return Err(self.status_error(answer));
        }
        answer.parse()
    }

    /// `{api}/projects/{url-encoded path}`.
    fn project_url(&self) -> String {
        format!(
            "{}/projects/{}",
            self.api,
            encode_component(self.repository)
        )
    }

    async fn send(
        &self,
        method: Method,
        url: String,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Answer, ForgeError> {
        let name: &'static str = if method == Method::POST {
            "POST"
        } else {
            "GET"
        };
        let mut request = self.http.request(method, &url).query(query);
        request = match self.provider {
            Provider::GitHub => request
                .header(
                    AUTHORIZATION,
                    header_value(&format!("Bearer {}", self.token.expose()))?,
                )
                .header(ACCEPT, "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28"),
            Provider::GitLab => request.header(
                HeaderName::from_static("private-token"),
                header_value(self.token.expose())?,
            ),
            Provider::Gitea => request
                .header(
                    AUTHORIZATION,
                    header_value(&format!("token {}", self.token.expose()))?,
                )
                .header(ACCEPT, "application/json"),
        };
        if let Some(b) = body {
            request = request.json(b);
        }
        let response = request.send().await.map_err(|source| ForgeError::Request {
            method: name,
            url: url.clone(),
            source: source.without_url(),
        })?;
        let status = response.status();
        let body = crate::http_body::read_capped(response, MAX_BODY)
            .await
            .map_err(|e| match e {
                BodyError::Transfer(source) => ForgeError::Request {
                    method: name,
                    url: url.clone(),
                    source: source.without_url(),
                },
                BodyError::TooLarge(limit) => ForgeError::TooLarge {
                    method: name,
                    url: url.clone(),
                    limit,
                },
            })?;
        tracing::debug!(method = name, %url, status = status.as_u16(), "forge answered");
        Ok(Answer {
            method: name,
            url,
            status,
            body,
        })
    }

    fn status_error(&self, answer: Answer) -> ForgeError {
        let message = self.token.mask(&message_of(&answer.body));
        let status = answer.status.as_u16();
        if status == 401 || status == 403 {
            ForgeError::Unauthorized {
                method: answer.method,
                url: answer.url,
                status,
                message,
            }
        } else {
            ForgeError::Status {
                method: answer.method,
                url: answer.url,
                status,
                message,
            }
        }
    }
}

impl Answer {
    fn parse<T: DeserializeOwned>(&self) -> Result<T, ForgeError> {
        serde_json::from_slice(&self.body).map_err(|source| ForgeError::Body {
            method: self.method,
            url: self.url.clone(),
            source,
        })
    }
}

fn pick_pull(
    pulls: Vec<Pull>,
    spec: &PullRequestSpec,
    repository: &str,
    listing: Listing,
) -> Option<PullRequest> {
    pulls
        .into_iter()
        .find(|p| p.is_ours(spec, repository, listing))
        .map(|p| PullRequest {
            number: p.number,
            url: p.html_url,
        })
}

impl Pull {
    /// Whether this is the request from `spec.head` in `repository` itself (not a fork's
    /// branch of the same name) into `spec.base`. Forge repository names are compared ASCII
    /// case-insensitively, as both forges resolve them; branch names exactly.
    ///
    /// The head repository is judged by `head.repo.full_name` against the configured
    /// `owner/name` (not Gitea's `head.repo_id == base.repo_id`, which GitHub lacks), so one
    /// rule serves both forges; a repository configured under a name it no longer has finds
    /// no request, which fails safe. `null` (a deleted fork) is never ours. Whether an absent
    /// field can count depends on the listing: Gitea's is unfiltered, so a request is taken
    /// only when its head repository is named and is ours; GitHub's server filter already
    /// restricted the list to our owner's branch, so an absent field leaves that filter to
    /// decide and only a named other repository rules a pull out.
    fn is_ours(&self, spec: &PullRequestSpec, repository: &str, listing: Listing) -> bool {
        let unsaid = listing == Listing::Filtered;
        let branch = |b: Option<&BranchRef>, want: &str| b.map_or(unsaid, |b| b.name == want);
        let head_repo = match self.head.as_ref().map(|h| &h.repo) {
            Some(Field::Value(RepoRef {
                full_name: Some(name),
            })) => name.eq_ignore_ascii_case(repository),
            Some(Field::Null) => false,
            None | Some(Field::Absent) | Some(Field::Value(RepoRef { full_name: None })) => unsaid,
        };
        branch(self.head.as_ref(), &spec.head)
            && branch(self.base.as_ref(), &spec.base)
            && head_repo
    }
}

impl MergeRequest {
    /// Whether the request comes from a branch of the project it is in. GitLab's
    /// `source_branch` filter does not restrict the source project, so a fork's request
    /// from a branch of the same name is listed too (`source_project_id` is the fork's).
    /// Without both ids to compare a request is not taken: a fork's must never be.
    fn is_from_the_project_itself(&self) -> bool {
        match (
            self.source_project_id,
            self.target_project_id.or(self.project_id),
        ) {
            (Some(source), Some(target)) => source == target,
            _ => false,
        }
    }
}

/// A header value marked sensitive (kept out of the HTTP client's debug output).
pub(super) fn header_value(text: &str) -> Result<HeaderValue, ForgeError> {
    let mut v = HeaderValue::from_str(text).map_err(|_| ForgeError::InvalidToken)?;
    v.set_sensitive(true);
    Ok(v)
}

/// The forge's own message (`message`, GitLab's `error`, GitHub's `errors[].message`), or
/// the body itself, on one line and shortened.
pub(super) fn message_of(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(v) => {
            let mut parts: Vec<String> = Vec::new();
            for key in ["message", "error"] {
                match v.get(key) {
                    Some(Value::String(s)) => parts.push(s.clone()),
                    Some(other @ (Value::Array(_) | Value::Object(_))) => {
                        parts.push(other.to_string());
                    }
                    _ => {}
                }
            }
            if let Some(errors) = v.get("errors").and_then(Value::as_array) {
                parts.extend(
                    errors
                        .iter()
                        .filter_map(|e| e.get("message").and_then(Value::as_str))
                        .map(str::to_owned),
                );
            }
            if parts.is_empty() {
                v.to_string()
            } else {
                parts.join(": ")
            }
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.trim();
    if trimmed.is_empty() {
        return "(empty body)".to_owned();
    }
    match trimmed.char_indices().nth(MAX_MESSAGE) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_owned(),
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (`/` included, as GitLab's
/// `:id` path parameter wants).
fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitlab_project_paths_are_encoded_whole() {
        assert_eq!(
            encode_component("acme/infra/deploy"),
            "acme%2Finfra%2Fdeploy"
        );
        assert_eq!(encode_component("a.b-c_d~e"), "a.b-c_d~e");
    }

    fn spec() -> PullRequestSpec {
        PullRequestSpec {
            head: "b".to_owned(),
            base: "m".to_owned(),
            title: String::new(),
            body: String::new(),
        }
    }

    /// `(Filtered, Unfiltered)` verdicts for a pull whose `head` is `head`.
    fn ours(head: &str) -> (bool, bool) {
        let text = format!(r#"{{"number":1,"html_url":"u",{head}"base":{{"ref":"m"}}}}"#);
        let pull: Pull = serde_json::from_str(&text).unwrap();
        (
            pull.is_ours(&spec(), "acme/deploy", Listing::Filtered),
            pull.is_ours(&spec(), "acme/deploy", Listing::Unfiltered),
        )
    }

    #[test]
    fn a_pull_is_ours_only_from_our_own_repository() {
        let named = |n: &str| format!(r#""head":{{"ref":"b","repo":{{"full_name":"{n}"}}}},"#);
        assert_eq!(ours(&named("acme/deploy")), (true, true));
        assert_eq!(ours(&named("Acme/DEPLOY")), (true, true));
        assert_eq!(ours(&named("fork/deploy")), (false, false));
        assert_eq!(ours(&named("acme/deploy2")), (false, false));
        // A deleted fork.
        assert_eq!(ours(r#""head":{"ref":"b","repo":null},"#), (false, false));
        // Not said: GitHub's server filter decides, Gitea's unfiltered list cannot.
        assert_eq!(ours(r#""head":{"ref":"b"},"#), (true, false));
        assert_eq!(ours(r#""head":{"ref":"b","repo":{}},"#), (true, false));
        assert_eq!(ours(""), (true, false));
        // Another branch, whoever's.
        assert_eq!(
            ours(r#""head":{"ref":"c","repo":{"full_name":"acme/deploy"}},"#),
            (false, false)
        );
    }

    #[test]
    fn a_merge_request_is_ours_only_from_the_project_itself() {
        let from = |ids: &str| {
            serde_json::from_str::<MergeRequest>(&format!(r#"{{"iid":1,"web_url":"u"{ids}}}"#))
                .unwrap()
                .is_from_the_project_itself()
        };
        assert!(from(
            r#","source_project_id":3,"target_project_id":3,"project_id":3"#
        ));
        assert!(from(r#","source_project_id":3,"project_id":3"#));
        assert!(!from(
            r#","source_project_id":4,"target_project_id":3,"project_id":3"#
        ));
        assert!(!from(r#","source_project_id":4,"project_id":3"#));
        assert!(!from(r#","target_project_id":3,"project_id":3"#));
        assert!(!from(r#","source_project_id":3"#));
        assert!(!from(""));
    }

    #[test]
    fn messages_come_from_the_documented_fields() {
        assert_eq!(
            message_of(br#"{"message":"Bad credentials"}"#),
            "Bad credentials"
        );
        assert_eq!(message_of(br#"{"error":"invalid_token"}"#), "invalid_token");
        assert_eq!(message_of(b"<html>\nboom</html>"), "<html> boom</html>");
        assert_eq!(message_of(b""), "(empty body)");
        assert!(message_of(&[b'x'; 1000]).chars().count() <= MAX_MESSAGE + 1);
    }
}
