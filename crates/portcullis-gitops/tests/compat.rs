//! Argo CD Image Updater behaviour cases (`image-updater-compat.json`, transcribed from
//! argoproj-labs/argocd-image-updater's own tests), run generically: every case of the
//! write-back, Kustomize matching and template categories, whatever their number. A case
//! whose input or expectation has a shape this file does not know fails, rather than
//! passing without being checked.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::collections::BTreeMap;

use portcullis_gitops::target::{
    AppSource, HelmParameter, HelmValueWrite, KustomizeImage, TargetSpec, WriteBackConfig,
    WriteBackMethod, WriteBackSettings, WriteBackTarget, merge_helm_parameters,
    merge_kustomize_images, set_helm_values,
};
use portcullis_gitops::template::{
    BranchContext, ChangeSummary, Template, branch_name, commit_message, fallback_commit_message,
};
use portcullis_image::aiu::ContainerImage;
use portcullis_testkit::{case_id, compat_cases, error_substrings, expects_error};
use serde_json::Value;

fn s<'a>(v: &'a Value, key: &str, id: &str) -> &'a str {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{id}: '{key}' missing or not a string in {v}"))
}

fn opt_s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn list<'a>(v: &'a Value, key: &str, id: &str) -> &'a Vec<Value> {
    v.get(key)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{id}: '{key}' missing or not a list in {v}"))
}

fn check_error(id: &str, expected: &Value, got: &Result<String, String>) -> bool {
    if !expects_error(expected) {
        return false;
    }
    let Err(msg) = got else {
        panic!("{id}: expected an error, got {got:?}");
    };
    for sub in error_substrings(id, expected) {
        assert!(msg.contains(&sub), "{id}: error '{msg}' lacks '{sub}'");
    }
    true
}

#[test]
fn writeback_target_path() {
    for case in compat_cases(&["writeback_target_path"]) {
        let id = case_id(&case);
        let input = &case["input"];
        let cases = list(input, "cases", id);
        let resolved = list(&case["expected"], "resolved", id);
        assert_eq!(
            cases.len(),
            resolved.len(),
            "{id}: cases and resolved differ in length"
        );
        for (pair, want) in cases.iter().zip(resolved) {
            let target = pair[0].as_str().unwrap();
            let source = pair[1].as_str().unwrap();
            let got = target
                .parse::<TargetSpec>()
                .and_then(|t| t.resolve(&AppSource::new("app", source)))
                .unwrap_or_else(|e| panic!("{id}: {target} from {source:?}: {e}"));
            assert_eq!(
                got.path(),
                want.as_str().unwrap(),
                "{id}: {target} from {source:?}"
            );
        }
    }
}

#[test]
fn writeback_config() {
    for case in compat_cases(&["writeback_config"]) {
        let id = case_id(&case);
        let cases = list(&case["input"], "cases", id);
        let results = list(&case["expected"], "results", id);
        assert_eq!(
            cases.len(),
            results.len(),
            "{id}: cases and results differ in length"
        );
        for (input, want) in cases.iter().zip(results) {
            let settings = WriteBackSettings {
                method: opt_s(input, "method"),
                branch: opt_s(input, "branch"),
                target: opt_s(input, "writeBackTarget"),
            };
            let app = AppSource::new(
                opt_s(input, "app_name").unwrap_or("app"),
                opt_s(input, "source_path").unwrap_or(""),
            );
            let got = WriteBackConfig::from_settings(&settings, &app);
            let Value::Object(fields) = want else {
                panic!("{id}: result {want} is not an object")
            };
            if want.get("error").and_then(Value::as_bool) == Some(true) {
                assert!(got.is_err(), "{id}: {input} must be refused, got {got:?}");
                continue;
            }
            let cfg = got.unwrap_or_else(|e| panic!("{id}: {input}: {e}"));
            for (key, value) in fields {
                let value = value
                    .as_str()
                    .unwrap_or_else(|| panic!("{id}: {key} is not a string"));
                match key.as_str() {
                    "git_branch" => assert_eq!(cfg.branch.base, value, "{id}: {input}"),
                    "git_write_branch" => assert_eq!(
                        cfg.branch.write.as_deref().unwrap_or(""),
                        value,
                        "{id}: {input}"
                    ),
                    "kustomize_base" => {
                        assert!(
                            matches!(&cfg.target, WriteBackTarget::Kustomization { dir } if dir == value),
                            "{id}: {input} -> {:?}",
                            cfg.target
                        );
                    }
                    "target" => {
                        assert!(
                            !matches!(cfg.target, WriteBackTarget::Kustomization { .. }),
                            "{id}: {input}"
                        );
                        assert_eq!(cfg.target.path(), value, "{id}: {input}");
                    }
                    "method" => match value {
                        "argocd" => {
                            assert_eq!(cfg.method, WriteBackMethod::Argocd, "{id}: {input}")
                        }
                        "git" => assert!(
                            matches!(cfg.method, WriteBackMethod::Git { .. }),
                            "{id}: {input}"
                        ),
                        other => panic!("{id}: unknown method expectation '{other}'"),
                    },
                    other => panic!("{id}: expectation '{other}' is not handled by this test"),
                }
            }
        }
    }
}

fn existing(input: &Value) -> Option<&str> {
    opt_s(input, "existing_file")
}

/// The override-file merge of Kustomize images (over as many update cycles as the case
/// lists: the result must be stable).
fn kustomize_override(id: &str, input: &Value) -> Vec<(u64, Result<String, String>)> {
    let images: Vec<String> = list(input, "app_kustomize_images", id)
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let cycles: Vec<u64> = input
        .get("cycles")
        .and_then(Value::as_array)
        .map_or(vec![1], |c| c.iter().filter_map(Value::as_u64).collect());
    let mut out = Vec::new();
    let mut text = existing(input).map(str::to_owned);
    for n in 1..=cycles.iter().copied().max().unwrap_or(1) {
        let r = merge_kustomize_images(text.as_deref(), &images).map_err(|e| e.to_string());
        text = r.clone().ok();
        if cycles.contains(&n) {
            out.push((n, r));
        }
    }
    out
}

/// The override-file merge of Helm parameters: only the parameters the tracked image
/// manages (its name/tag or spec parameters, by default `image.name`/`image.tag`).
fn helm_override(id: &str, input: &Value) -> Result<String, String> {
    let mut managed = Vec::new();
    match opt_s(input, "helm_spec_param") {
        Some(spec) => managed.push(spec),
        None => {
            managed.push(opt_s(input, "helm_name_param").unwrap_or("image.name"));
            managed.push(opt_s(input, "helm_tag_param").unwrap_or("image.tag"));
        }
    }
    let params: Vec<HelmParameter> = list(input, "app_helm_parameters", id)
        .iter()
        .map(|p| HelmParameter {
            name: s(p, "name", id).to_owned(),
            value: s(p, "value", id).to_owned(),
            force_string: p
                .get("forceString")
                .or_else(|| p.get("forcestring"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
        .filter(|p| managed.contains(&p.name.as_str()))
        .collect();
    merge_helm_parameters(existing(input), &params).map_err(|e| e.to_string())
}

/// A Helm values file: the tag, name and spec parameters in Image Updater's order, then
/// any other value of the case.
fn helm_values(id: &str, input: &Value) -> Result<String, String> {
    let Some(Value::Object(values)) = input.get("new_values") else {
        panic!("{id}: new_values is not an object")
    };
    let mut writes = Vec::new();
    let mut done = Vec::new();
    for key in ["helm_tag_param", "helm_name_param", "helm_spec_param"] {
        if let Some(path) = opt_s(input, key) {
            let value = values
                .get(path)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{id}: no new value for {path}"));
            writes.push(if key == "helm_name_param" {
                HelmValueWrite::image_name(path, value)
            } else {
                HelmValueWrite::new(path, value)
            });
            done.push(path.to_owned());
        }
    }
    for (path, value) in values {
        if !done.contains(path) {
            writes.push(HelmValueWrite::new(path.as_str(), value.as_str().unwrap()));
        }
    }
    set_helm_values(existing(input), &writes).map_err(|e| e.to_string())
}

#[test]
fn writeback_file_format() {
    for case in compat_cases(&["writeback_file_format"]) {
        let id = case_id(&case);
        let input = &case["input"];
        let expected = &case["expected"];
        let results: Vec<(u64, Result<String, String>)> =
            if input.get("app_kustomize_images").is_some() {
                kustomize_override(id, input)
            } else if input.get("app_helm_parameters").is_some() {
                vec![(1, helm_override(id, input))]
            } else if input.get("new_values").is_some() {
                vec![(1, helm_values(id, input))]
            } else {
                panic!("{id}: input shape not handled by this test: {input}")
            };
        for (cycle, got) in results {
            if check_error(id, expected, &got) {
                continue;
            }
            let got = got.unwrap_or_else(|e| panic!("{id} (cycle {cycle}): {e}"));
            let want = s(expected, "file", id);
            // Image Updater's tests compare with surrounding whitespace trimmed.
            assert_eq!(got.trim(), want.trim(), "{id} (cycle {cycle})");
        }
    }
}

#[test]
fn kustomize_image_match() {
    for case in compat_cases(&["kustomize_image_match"]) {
        let id = case_id(&case);
        let input = &case["input"];
        let expected = &case["expected"];
        let k = |v: &Value| KustomizeImage(v.as_str().unwrap().to_owned());
        if let Some(pairs) = input.get("match_pairs").and_then(Value::as_array) {
            let want = list(expected, "match", id);
            assert_eq!(
                pairs.len(),
                want.len(),
                "{id}: match_pairs and match differ in length"
            );
            for (pair, w) in pairs.iter().zip(want) {
                assert_eq!(
                    k(&pair[0]).matches(&k(&pair[1])),
                    w.as_bool().unwrap(),
                    "{id}: {pair}"
                );
            }
        }
        if let Some(queries) = input.get("find_queries").and_then(Value::as_array) {
            let images: Vec<KustomizeImage> = list(input, "find_in", id).iter().map(k).collect();
            let want = list(expected, "found", id);
            assert_eq!(
                queries.len(),
                want.len(),
                "{id}: find_queries and found differ in length"
            );
            for (q, w) in queries.iter().zip(want) {
                assert_eq!(
                    k(q).find_in(&images).is_some(),
                    w.as_bool().unwrap(),
                    "{id}: {q}"
                );
            }
        }
    }
}

fn summaries(id: &str, input: &Value) -> Vec<ChangeSummary> {
    list(input, "changes", id)
        .iter()
        .map(|c| {
            let image = ContainerImage::parse(s(c, "image", id));
            let labels: BTreeMap<String, String> = c
                .get("labels")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            ChangeSummary {
                alias: (!image.alias.is_empty()).then(|| image.alias.clone()),
                labels,
                ..ChangeSummary::new(
                    &image.name,
                    opt_s(c, "old").unwrap_or(""),
                    opt_s(c, "new").unwrap_or(""),
                )
            }
        })
        .collect()
}

#[test]
fn commit_message_template() {
    for case in compat_cases(&["commit_message_template"]) {
        let id = case_id(&case);
        let input = &case["input"];
        let app = opt_s(input, "app_name").unwrap_or("");
        let changes = summaries(id, input);
        let tpl =
            Template::parse(id, s(input, "template", id)).unwrap_or_else(|e| panic!("{id}: {e}"));
        // Image Updater falls back to a fixed message when the template fails.
        let got =
            commit_message(&tpl, app, &changes).unwrap_or_else(|_| fallback_commit_message(app));
        assert_eq!(got, s(&case["expected"], "message", id), "{id}");
    }
}

#[test]
fn branch_name_template() {
    for case in compat_cases(&["branch_name_template"]) {
        let id = case_id(&case);
        let input = &case["input"];
        let ctx = BranchContext {
            app_namespace: opt_s(input, "app_namespace").unwrap_or("").to_owned(),
            app_name: opt_s(input, "app_name").unwrap_or("").to_owned(),
            target_key: opt_s(input, "target_key").unwrap_or("").to_owned(),
        };
        let changes = summaries(id, input);
        // Image Updater renders an empty branch name when the template fails.
        let got = Template::parse(id, s(input, "template", id))
            .and_then(|tpl| branch_name(&tpl, &ctx, &changes))
            .unwrap_or_default();
        assert_eq!(got, s(&case["expected"], "branch", id), "{id}");
    }
}
