//! Insecure registry settings, in one place so a reviewer can find them.
//!
//! `insecure: true` on a registry means two things: its `api_url` may be plain `http://`,
//! and over `https://` its TLS certificate is not verified. Anyone on the network path can
//! then impersonate the registry, so what it serves is only as trustworthy as the
//! signature verification that follows. It is meant for loopback test registries
//! (`localhost:5000`), which usually speak plain HTTP. A registry nobody configured is
//! always reached over verified HTTPS, loopback or not; there is no implicit downgrade.

use super::{ConfigError, RegistryEndpoint};

/// Whether `host` (optionally with `:port`) is this machine: `localhost`, `127.x.y.z`,
/// `::1` (bracketed or not).
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim().to_ascii_lowercase();
    let bare = if let Some(rest) = host.strip_prefix('[') {
        // [::1] or [::1]:5000
        rest.split(']').next().unwrap_or_default().to_owned()
    } else if host.matches(':').count() == 1 {
        host.split(':').next().unwrap_or_default().to_owned()
    } else {
        host
    };
    if bare == "localhost" || bare.ends_with(".localhost") {
        return true;
    }
    bare.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// A plain-HTTP API URL is allowed only with `insecure: true`.
pub(super) fn check_plain_http(name: &str, url: &str, insecure: bool) -> Result<(), ConfigError> {
    if insecure {
        Ok(())
    } else {
        Err(ConfigError::PlainHttp {
            name: name.to_owned(),
            url: url.to_owned(),
        })
    }
}

/// Logs every insecure registry when the configuration is loaded: loud for one that is not
/// on this machine.
pub(super) fn note_insecure(endpoint: &RegistryEndpoint) {
    if !endpoint.insecure {
        return;
    }
    if is_loopback_host(endpoint.host()) {
        tracing::debug!(
            registry = %endpoint.name,
            api_url = %endpoint.api_url,
            "insecure loopback registry: plain HTTP allowed, TLS not verified"
        );
    } else {
        tracing::warn!(
            registry = %endpoint.name,
            api_url = %endpoint.api_url,
            "insecure registry off this machine: plain HTTP allowed, TLS not verified; \
             only signature verification protects what it serves"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_with_and_without_ports() {
        for host in [
            "localhost",
            "localhost:5000",
            "LOCALHOST:5000",
            "127.0.0.1",
            "127.0.0.1:5000",
            "127.1.2.3:80",
            "[::1]:5000",
            "[::1]",
            "::1",
            "registry.localhost:5000",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "ghcr.io",
            "10.0.0.1:5000",
            "localhost.example.com",
            "[::2]:5000",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
