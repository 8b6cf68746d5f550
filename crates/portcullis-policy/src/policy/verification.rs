//! sigstore policy-controller's `policy.Verification` file, the form its `policy-tester` and
//! other tools outside admission control read: `no-match-policy: allow|deny|warn` and
//! `policies: [{data: <ClusterImagePolicy YAML>} | {path: FILE} | {url: URL}]`.
//!
//! It is turned into the documents it stands for (each source's `ClusterImagePolicy`
//! documents, then a native document with the `defaults.noMatch` it sets), which the loader
//! reads as any multi-document policy. A `url` source is refused: loading a policy reads
//! files, never the network (download it and name it with `path`).

use std::path::Path;

use serde_json::Value;

use super::error::{Diagnostic, PolicyError};
use super::wire;

/// `Some(documents)` when `text` is a `policy.Verification` file; `None` when it is not.
pub(crate) fn convert(
    text: &str,
    origin: &str,
    base_dir: &Path,
) -> Result<Option<String>, PolicyError> {
    let Ok(Value::Object(map)) = serde_saphyr::from_str::<Value>(text) else {
        return Ok(None);
    };
    if map.contains_key("apiVersion")
        || !(map.contains_key("policies") || map.contains_key("no-match-policy"))
    {
        return Ok(None);
    }
    let problem = |field: &str, message: String, hint: Option<&str>| PolicyError::Invalid {
        origin: origin.to_owned(),
        problems: vec![Diagnostic {
            origin: origin.to_owned(),
            location: None,
            field: field.to_owned(),
            message,
            hint: hint.map(str::to_owned),
        }],
    };
    if let Some(unknown) = map
        .keys()
        .find(|k| !["policies", "no-match-policy"].contains(&k.as_str()))
    {
        return Err(problem(
            unknown,
            format!("unknown field '{unknown}' of a policy-controller Verification file"),
            Some("the fields are no-match-policy and policies"),
        ));
    }
    let no_match = match map.get("no-match-policy").and_then(Value::as_str) {
        Some(v @ ("allow" | "deny" | "warn")) => v,
        Some(other) => {
            return Err(problem(
                "no-match-policy",
                format!("'{other}' is not a no-match policy"),
                Some("allow, deny or warn"),
            ));
        }
        None => {
            return Err(problem(
                "no-match-policy",
                "missing".to_owned(),
                Some("allow, deny or warn"),
            ));
        }
    };
    let Some(sources) = map.get("policies").and_then(Value::as_array) else {
        return Err(problem(
            "policies",
            "missing, or not a list".to_owned(),
            Some("a list of {data: …}, {path: …}"),
        ));
    };
    let mut documents = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        let field = format!("policies[{i}]");
        let data = source.get("data").and_then(Value::as_str);
        let path = source.get("path").and_then(Value::as_str);
        let url = source.get("url").and_then(Value::as_str);
        let text = match (data, path, url) {
            (Some(d), None, None) => d.to_owned(),
            (None, Some(p), None) => {
                let file = base_dir.join(p);
                std::fs::read_to_string(&file).map_err(|e| {
                    problem(
                        &format!("{field}.path"),
                        format!("cannot read {}: {e}", file.display()),
                        None,
                    )
                })?
            }
            (None, None, Some(u)) => {
                return Err(problem(
                    &format!("{field}.url"),
                    format!(
                        "'{u}' would be fetched from the network, which loading a policy never does"
                    ),
                    Some("download it and name the file with path:"),
                ));
            }
            _ => {
                return Err(problem(
                    &field,
                    "exactly one of data, path or url is needed".to_owned(),
                    None,
                ));
            }
        };
        documents.push(text.trim().trim_start_matches("---").to_owned());
    }
    documents.push(format!(
        "apiVersion: {}\nkind: {}\ndefaults:\n  noMatch: {no_match}\n",
        wire::API_VERSION,
        wire::KIND
    ));
    Ok(Some(documents.join("\n---\n")))
}
