//! Argo CD Image Updater's own test facts for strategies, tag filters and tag equality, run
//! generically from `image-updater-compat.json` (see `portcullis-testkit`). Categories the
//! shipped sample lacks (`tag_selection`, `tag_sort`, `tag_filter`) run whenever a copy of
//! the file carries them; an input shape this test does not know fails loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use portcullis_policy::{
    AllowTags, IgnorePattern, SelectionOptions, Strategy, TagInfo, tags_equal,
};
use portcullis_testkit::{case_id, compat_cases, compat_cases_if_present};
use serde_json::Value;

fn tag_list(v: &Value) -> Vec<TagInfo> {
    v.as_array()
        .unwrap_or_else(|| panic!("tags must be a list, got {v}"))
        .iter()
        .map(|t| match t {
            Value::String(name) => TagInfo::named(name.clone()),
            Value::Object(o) => TagInfo {
                name: o["name"].as_str().unwrap().to_owned(),
                created: o
                    .get("created_unix")
                    .and_then(Value::as_i64)
                    .map(|s| jiff::Timestamp::from_second(s).unwrap()),
                digest: o
                    .get("digest")
                    .and_then(Value::as_str)
                    .and_then(|d| d.parse().ok()),
            },
            other => panic!("tag entry {other} not understood"),
        })
        .collect()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
        Some(other) => panic!("expected a string or list, got {other}"),
    }
}

#[test]
fn tag_equality_cases() {
    for case in compat_cases(&["tag_equality"]) {
        let id = case_id(&case);
        let side = |k: &str| {
            let o = &case["input"][k];
            (
                o["name"].as_str().unwrap().to_owned(),
                o["digest"].as_str().unwrap_or_default().to_owned(),
            )
        };
        let (an, ad) = side("a");
        let (bn, bd) = side("b");
        let want = case["expected"]["equal"].as_bool().unwrap();
        assert_eq!(tags_equal(&an, Some(&ad), &bn, Some(&bd)), want, "{id}");
        if case["expected"]["symmetric"].as_bool() == Some(true) {
            assert_eq!(
                tags_equal(&bn, Some(&bd), &an, Some(&ad)),
                want,
                "{id} (swapped)"
            );
        }
    }
}

#[test]
fn strategy_property_cases() {
    for case in compat_cases(&["strategy_properties"]) {
        let id = case_id(&case);
        let names = strings(case["input"].get("strategies"));
        let parsed: Vec<Strategy> = names.iter().map(|n| n.parse().unwrap()).collect();
        let expected = case["expected"].as_object().unwrap();
        for (field, want) in expected {
            let got: Vec<Value> = parsed
                .iter()
                .map(|s| match field.as_str() {
                    "string" => Value::from(s.as_str()),
                    "is_cacheable" => Value::from(s.is_cacheable()),
                    "needs_metadata" => Value::from(s.needs_metadata()),
                    "needs_version_constraint" => Value::from(s.needs_version_constraint()),
                    "wants_only_constraint_tag" => Value::from(s.wants_only_constraint_tag()),
                    other => panic!("{id}: unknown property '{other}' — extend this test"),
                })
                .collect();
            assert_eq!(Value::Array(got), *want, "{id}: {field}");
        }
    }
}

#[test]
fn tag_selection_cases_when_present() {
    for case in compat_cases_if_present(&["tag_selection", "update_decision"]) {
        let id = case_id(&case);
        let input = &case["input"];
        let Some(tags) = input.get("tags") else {
            panic!("{id}: no tags in input — extend this test");
        };
        let strategy: Strategy = input
            .get("strategy")
            .and_then(Value::as_str)
            .unwrap_or("semver")
            .parse()
            .unwrap();
        let constraint = input.get("constraint").and_then(Value::as_str);
        let allow = input
            .get("allow_tags")
            .or_else(|| input.get("match"))
            .and_then(Value::as_str);
        let ignore = strings(input.get("ignore_tags").or_else(|| input.get("ignore")));
        let options = SelectionOptions::new(strategy, constraint, allow, &ignore);
        if case["expected"].get("error").and_then(Value::as_bool) == Some(true) {
            assert!(options.is_err(), "{id}: expected an error");
            continue;
        }
        let current = input.get("current").and_then(Value::as_str);
        let result = options.and_then(|o| o.select(current, &tag_list(tags)));
        let want = &case["expected"]["tag"];
        match result {
            Ok(sel) => {
                let got = sel
                    .chosen
                    .map(|t| Value::from(t.name))
                    .unwrap_or(Value::Null);
                assert_eq!(&got, want, "{id}");
            }
            Err(e) => panic!("{id}: unexpected error {e}"),
        }
    }
}

#[test]
fn tag_filter_cases_when_present() {
    for case in compat_cases_if_present(&["tag_filter"]) {
        let id = case_id(&case);
        let input = &case["input"];
        let tags = strings(input.get("tags"));
        let expected = &case["expected"];
        let matched: Vec<bool> =
            if let Some(allow) = input.get("allow_tags").or_else(|| input.get("match")) {
                let f = AllowTags::parse(allow.as_str().unwrap());
                tags.iter().map(|t| f.allows(t)).collect()
            } else if let Some(ignore) = input.get("ignore_tags").or_else(|| input.get("ignore")) {
                let patterns: Vec<IgnorePattern> = strings(Some(ignore))
                    .iter()
                    .map(|p| IgnorePattern::parse(p))
                    .collect();
                tags.iter()
                    .map(|t| !patterns.iter().any(|p| p.ignores(t)))
                    .collect()
            } else {
                panic!("{id}: filter input shape not understood — extend this test");
            };
        let want = expected
            .get("matched")
            .or_else(|| expected.get("kept"))
            .or_else(|| expected.get("allowed"))
            .unwrap_or_else(|| panic!("{id}: expected shape not understood — extend this test"));
        let got: Value = match want {
            Value::Array(a) if a.first().is_some_and(Value::is_boolean) => {
                serde_json::json!(matched)
            }
            _ => serde_json::json!(
                tags.iter()
                    .zip(&matched)
                    .filter(|(_, m)| **m)
                    .map(|(t, _)| t.clone())
                    .collect::<Vec<_>>()
            ),
        };
        assert_eq!(&got, want, "{id}");
    }
}
