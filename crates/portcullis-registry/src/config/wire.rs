//! The registries file as written (strict: unknown fields are errors) and its validation
//! into [`RegistriesConfig`]. Field names are Image Updater's, exactly.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_saphyr::MessageFormatter;

use super::{
    ConfigError, DEFAULT_MAX_CONCURRENT, DEFAULT_RATE_LIMIT, DEFAULT_TIMEOUT, EndpointOrigin,
    RegistriesConfig, RegistryEndpoint, TagSortMode, danger,
};
use crate::credentials::CredentialSource;
use crate::duration::parse_go_duration;
use crate::secret::redact_url;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireFile {
    registries: Option<Vec<WireRegistry>>,
}

/// One entry. Booleans accept YAML 1.1 spellings (`ping: no`) as Image Updater's YAML
/// reader does.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireRegistry {
    name: Option<String>,
    api_url: Option<String>,
    ping: Option<bool>,
    credentials: Option<String>,
    credsexpire: Option<String>,
    tagsortmode: Option<String>,
    prefix: Option<String>,
    insecure: Option<bool>,
    ca_file: Option<PathBuf>,
    ca_data: Option<String>,
    defaultns: Option<String>,
    limit: Option<i64>,
    default: Option<bool>,
    // Portcullis' own fields.
    max_concurrent: Option<i64>,
    timeout: Option<String>,
}

/// Parses and validates `yaml`; `origin` names it in messages.
pub(super) fn parse(yaml: &str, origin: &str) -> Result<RegistriesConfig, ConfigError> {
    if yaml.trim().is_empty() {
        return Ok(RegistriesConfig::default());
    }
    let wire: WireFile = serde_saphyr::from_str(yaml).map_err(|e| yaml_error(&e, origin))?;
    let mut registries: Vec<RegistryEndpoint> = Vec::new();
    for (i, w) in wire.registries.unwrap_or_default().into_iter().enumerate() {
        let endpoint = validate(i + 1, w)?;
        check_against_earlier(&registries, &endpoint)?;
        registries.push(endpoint);
    }
    Ok(RegistriesConfig { registries })
}

fn yaml_error(e: &serde_saphyr::Error, origin: &str) -> ConfigError {
    let inner = e.without_snippet();
    let message: Cow<'_, str> = serde_saphyr::UserMessageFormatter.format_message(inner);
    // The reader's text may quote input; keep it on one line.
    let message: String = match message.as_ref() {
        "invalid i64" => "expected a whole number".to_owned(),
        "invalid boolean" => "expected true or false".to_owned(),
        other => other
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect(),
    };
    let location = e.location().filter(|l| l.line() > 0);
    ConfigError::Yaml {
        origin: origin.to_owned(),
        line: location.map(|l| l.line()),
        column: location.map(|l| l.column()).filter(|c| *c > 0),
        message,
    }
}

fn nonempty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn validate(index: usize, w: WireRegistry) -> Result<RegistryEndpoint, ConfigError> {
    let Some(name) = nonempty(w.name) else {
        return Err(ConfigError::MissingName {
            index,
            api_url: nonempty(w.api_url).map_or_else(|| "<none>".to_owned(), |u| redact_url(&u)),
        });
    };
    let api_url = nonempty(w.api_url)
        .map(|u| u.trim_end_matches('/').to_owned())
        .ok_or_else(|| ConfigError::MissingApiUrl { name: name.clone() })?;
    let insecure = w.insecure.unwrap_or(false);
    check_api_url(&name, &api_url, insecure)?;

    let prefix = w.prefix.unwrap_or_default().trim().to_owned();
    if prefix.contains("://") || prefix.contains(char::is_whitespace) {
        return Err(ConfigError::BadPrefix { name, prefix });
    }
    let prefix = prefix.trim_end_matches('/').to_owned();

    let raw_mode = w.tagsortmode.unwrap_or_default();
    let tag_sort =
        TagSortMode::from_name(raw_mode.trim()).ok_or_else(|| ConfigError::TagSortMode {
            name: name.clone(),
            mode: raw_mode.clone(),
        })?;

    // Image Updater: a zero duration means "never expires".
    let creds_expire = duration(&name, "credsexpire", w.credsexpire)?.filter(|d| !d.is_zero());
    let timeout = match duration(&name, "timeout", w.timeout)? {
        Some(d) if d.is_zero() => {
            return Err(ConfigError::Duration {
                name,
                field: "timeout",
                value: "0".to_owned(),
                problem: "a request needs time; write e.g. 30s",
            });
        }
        Some(d) => d,
        None => DEFAULT_TIMEOUT,
    };

    let credentials = nonempty(w.credentials)
        .map(|c| CredentialSource::parse(&c, false))
        .transpose()
        .map_err(|source| ConfigError::Credentials {
            name: name.clone(),
            source,
        })?;

    let limit_rps = match w.limit {
        None => DEFAULT_RATE_LIMIT,
        Some(n) if n >= 1 => u32::try_from(n).unwrap_or(u32::MAX),
        Some(n) => {
            return Err(ConfigError::Limit {
                name,
                field: "limit",
                value: n,
                fix: "Image Updater reads 0 as unlimited, Portcullis always limits; write a high value such as 1000 instead",
            });
        }
    };
    let max_concurrent = match w.max_concurrent {
        None => DEFAULT_MAX_CONCURRENT,
        Some(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
        Some(n) => {
            return Err(ConfigError::Limit {
                name,
                field: "max_concurrent",
                value: n,
                fix: "write how many requests may run at once, e.g. 8",
            });
        }
    };

    let ca_data = nonempty(w.ca_data);
    // Like Image Updater, CA settings are not checked for an insecure registry.
    if !insecure
        && let Some(pem) = &ca_data
        && !(pem.contains("-----BEGIN CERTIFICATE-----")
            && pem.contains("-----END CERTIFICATE-----"))
    {
        return Err(ConfigError::CaData { name });
    }

    let endpoint = RegistryEndpoint {
        name,
        prefix,
        api_url,
        insecure,
        ping: w.ping.unwrap_or(false),
        default: w.default.unwrap_or(false),
        defaultns: nonempty(w.defaultns),
        credentials,
        creds_expire,
        limit_rps,
        max_concurrent,
        tag_sort,
        timeout,
        ca_file: w.ca_file.filter(|p| !p.as_os_str().is_empty()),
        ca_data,
        origin: EndpointOrigin::Configured,
    };
    danger::note_insecure(&endpoint);
    Ok(endpoint)
}

/// Checks that involve earlier entries, in Image Updater's order and wording.
fn check_against_earlier(
    earlier: &[RegistryEndpoint],
    new: &RegistryEndpoint,
) -> Result<(), ConfigError> {
    if new.prefix.is_empty() {
        if let Some(first) = earlier.iter().find(|r| r.prefix.is_empty()) {
            return Err(ConfigError::TwoWithoutPrefix {
                first: first.name.clone(),
                second: new.name.clone(),
            });
        }
    } else if let Some(first) = earlier
        .iter()
        .find(|r| r.prefix.eq_ignore_ascii_case(&new.prefix))
    {
        return Err(ConfigError::DuplicatePrefix {
            first: first.name.clone(),
            second: new.name.clone(),
            prefix: new.prefix.clone(),
        });
    }
    if new.default
        && let Some(first) = earlier.iter().find(|r| r.default)
    {
        return Err(ConfigError::TwoDefaults {
            first: describe(first),
            second: describe(new),
        });
    }
    Ok(())
}

/// `Name (prefix)`, or the name alone for an entry without prefix.
fn describe(r: &RegistryEndpoint) -> String {
    if r.prefix.is_empty() {
        r.name.clone()
    } else {
        format!("{} ({})", r.name, r.prefix)
    }
}

fn check_api_url(name: &str, url: &str, insecure: bool) -> Result<(), ConfigError> {
    let bad = |problem: &'static str| ConfigError::BadApiUrl {
        name: name.to_owned(),
        url: redact_url(url),
        problem,
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| bad("it is not a URL"))?;
    match parsed.scheme() {
        "https" => {}
        "http" => danger::check_plain_http(name, &redact_url(url), insecure)?,
        _ => {
            return Err(bad(
                "the scheme must be https (or http with 'insecure: true')",
            ));
        }
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad(
            "it must not carry credentials; use the 'credentials' field",
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad("it must not have a query or fragment"));
    }
    Ok(())
}

fn duration(
    name: &str,
    field: &'static str,
    value: Option<String>,
) -> Result<Option<Duration>, ConfigError> {
    let Some(value) = nonempty(value) else {
        return Ok(None);
    };
    let error = |problem| ConfigError::Duration {
        name: name.to_owned(),
        field,
        value: value.clone(),
        problem,
    };
    if value.starts_with('-') {
        return Err(error("it must not be negative; write e.g. 5m"));
    }
    if value.chars().all(|c| c.is_ascii_digit()) && value != "0" {
        return Err(error(
            "a number needs a unit (Image Updater would read it as nanoseconds); write e.g. 300s or 5m",
        ));
    }
    let stripped = value.strip_prefix('+').unwrap_or(&value);
    parse_go_duration(stripped)
        .map(Some)
        .ok_or_else(|| error("write a duration such as 30s, 5m or 1h30m"))
}

/// Checks that a CA file can be read and holds a PEM certificate.
pub(super) fn check_ca_file(name: &str, path: &Path) -> Result<(), ConfigError> {
    let error = |problem| ConfigError::CaFile {
        name: name.to_owned(),
        path: path.to_owned(),
        problem,
    };
    let text = std::fs::read(path).map_err(|e| {
        error(if e.kind() == std::io::ErrorKind::NotFound {
            "does not exist (fix the path, or remove ca_file)"
        } else {
            "cannot be read (check its permissions)"
        })
    })?;
    let text = String::from_utf8_lossy(&text);
    if !text.contains("-----BEGIN CERTIFICATE-----") {
        return Err(error(
            "does not contain a valid PEM certificate (expected a -----BEGIN CERTIFICATE----- block)",
        ));
    }
    Ok(())
}
