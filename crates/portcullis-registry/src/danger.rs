//! Insecure switches, kept in one module so a reviewer can find every one of them.
//!
//! `insecure: true` on a registry allows plain HTTP to its API and accepts any TLS
//! certificate from it. Meant for loopback test registries; a registry reached this way can
//! be impersonated by anyone on the path, so what it serves is only as trustworthy as the
//! signature verification that follows.

/// Applies a registry's `insecure` setting to its HTTP client. Loud when it weakens TLS;
/// plain HTTP (where there is no TLS to weaken) is logged at debug level.
pub(crate) fn apply_insecure(
    builder: reqwest::ClientBuilder,
    insecure: bool,
    api_url: &str,
) -> reqwest::ClientBuilder {
    if !insecure {
        return builder;
    }
    if api_url.starts_with("https://") {
        tracing::warn!(
            api_url,
            "TLS certificate verification disabled for an insecure registry"
        );
    } else {
        tracing::debug!(api_url, "plain HTTP to an insecure registry");
    }
    builder.danger_accept_invalid_certs(true)
}

/// Whether a URL may be used: `https://` always, `http://` only when insecure.
pub(crate) fn scheme_allowed(url: &str, insecure: bool) -> bool {
    url.starts_with("https://") || (insecure && url.starts_with("http://"))
}
