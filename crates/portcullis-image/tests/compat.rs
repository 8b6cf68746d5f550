//! Argo CD Image Updater's own test facts for image references and platforms, run generically
//! from `image-updater-compat.json` (see `portcullis-testkit`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use portcullis_image::aiu::{
    ContainerImage, ContainerImageList, ImageTag, extract_short_form, has_registry_prefix,
    split_tag_digest,
};
use portcullis_image::{Platform, PlatformFilter};
use portcullis_testkit::{case_id, compat_cases};
use serde_json::Value;

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

/// Checks each expected field the upstream test asserts against the parsed entry.
fn check_parsed(id: &str, img: &ContainerImage, expected: &Value) {
    let fields = expected.as_object().unwrap();
    for (field, want) in fields {
        let got: Value = match field.as_str() {
            "registry" => img.registry.clone().into(),
            "alias" => img.alias.clone().into(),
            "image_name" => img.name.clone().into(),
            "tag_name" => img
                .tag
                .as_ref()
                .map(|t| t.name.clone())
                .unwrap_or_default()
                .into(),
            "tag_digest" => img
                .tag
                .as_ref()
                .map(|t| t.digest.clone())
                .unwrap_or_default()
                .into(),
            "image_tag" => {
                assert!(want.is_null(), "{id}: image_tag is only asserted as null");
                if img.tag.is_none() {
                    Value::Null
                } else {
                    "<some>".into()
                }
            }
            "tag_with_digest" => img.tag_with_digest().into(),
            "full_name_with_tag" => img.full_name_with_tag().into(),
            "full_name_without_tag" => img.full_name_without_tag().into(),
            "string" => img.to_string().into(),
            "original" => img.original().into(),
            other => panic!("{id}: unknown expected field '{other}' — extend this test"),
        };
        assert_eq!(&got, want, "{id}: field {field}");
    }
}

fn container(v: &Value) -> ContainerImage {
    match v {
        Value::String(id) => ContainerImage::parse(id),
        Value::Object(o) => {
            let mut img = ContainerImage::parse(s(&o["image"]));
            if let Some(k) = o.get("kustomize_image") {
                img.kustomize_image = Some(Box::new(ContainerImage::parse(s(k))));
            }
            img
        }
        other => panic!("unexpected image spec {other}"),
    }
}

#[test]
fn image_reference_cases() {
    for case in compat_cases(&["image_ref_parse", "image_ref_string", "image_ref_render"]) {
        let id = case_id(&case);
        let input = &case["input"];
        let expected = &case["expected"];
        match (case["category"].as_str().unwrap(), input) {
            (_, Value::String(identifier)) => {
                check_parsed(id, &ContainerImage::parse(identifier), expected);
            }
            ("image_ref_parse", Value::Object(o)) if o.contains_key("tag_and_digest") => {
                let got: Vec<Value> = o["tag_and_digest"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| {
                        let (name, digest) = split_tag_digest(s(t));
                        serde_json::json!([name, digest])
                    })
                    .collect();
                assert_eq!(Value::Array(got), expected["results"], "{id}");
            }
            ("image_ref_string", Value::Object(o)) if o.contains_key("with_tag") => {
                let img = ContainerImage::parse(s(&o["image"]));
                let moved = img.with_tag(ImageTag {
                    name: s(&o["with_tag"]).to_owned(),
                    digest: String::new(),
                });
                check_parsed(id, &moved, expected);
            }
            ("image_ref_string", Value::Object(o)) if o.contains_key("list") => {
                let entries: Vec<&str> = o["list"].as_array().unwrap().iter().map(s).collect();
                let list = ContainerImageList::parse(&entries.join(","));
                if let Some(want) = expected.get("string") {
                    assert_eq!(list.to_string(), s(want), "{id}");
                }
                if let Some(want) = expected.get("originals") {
                    assert_eq!(serde_json::json!(list.originals()), *want, "{id}");
                }
            }
            ("image_ref_render", Value::Object(o)) => {
                let img = ContainerImage::new(
                    s(&o["registry"]),
                    s(&o["image_name"]),
                    o.get("tag_name").map(|t| ImageTag {
                        name: s(t).to_owned(),
                        digest: String::new(),
                    }),
                );
                check_parsed(id, &img, expected);
            }
            (cat, other) => {
                panic!("{id}: {cat} input shape {other} not handled — extend this test")
            }
        }
    }
}

#[test]
fn image_comparison_cases() {
    for case in compat_cases(&["image_ref_compare"]) {
        let id = case_id(&case);
        let input = &case["input"];
        if let Some(pairs) = input.get("pairs") {
            let got: Vec<bool> = pairs
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    let a = ContainerImage::parse(s(&p[0]));
                    let b = ContainerImage::parse(s(&p[1]));
                    a.differs_from(&b, p[2].as_bool().unwrap())
                })
                .collect();
            assert_eq!(serde_json::json!(got), case["expected"]["differs"], "{id}");
        } else if let Some(list) = input.get("list") {
            let list = ContainerImageList(list.as_array().unwrap().iter().map(container).collect());
            let check_version = input["check_version"].as_bool().unwrap_or(false);
            let lookups: Vec<ContainerImage> = input["lookups"]
                .as_array()
                .unwrap()
                .iter()
                .map(container)
                .collect();
            let found: Vec<bool> = lookups
                .iter()
                .map(|l| list.find(l, check_version).is_some())
                .collect();
            assert_eq!(serde_json::json!(found), case["expected"]["found"], "{id}");
            if let Some(want) = case["expected"].get("last_lookup_returns") {
                let last = lookups.last().unwrap();
                let hit = list.find(last, check_version).expect("last lookup found");
                assert_eq!(hit.original(), s(want), "{id}");
            }
        } else {
            panic!("{id}: input shape not handled — extend this test");
        }
    }
}

#[test]
fn registry_prefix_cases() {
    for case in compat_cases(&["registry_prefix"]) {
        let id = case_id(&case);
        let inputs: Vec<&str> = case["input"]["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(s)
            .collect();
        let expected = &case["expected"];
        if let Some(want) = expected.get("has_registry_prefix") {
            let got: Vec<bool> = inputs.iter().map(|i| has_registry_prefix(i)).collect();
            assert_eq!(serde_json::json!(got), *want, "{id}");
        }
        if let Some(want) = expected.get("short_form") {
            let got: Vec<&str> = inputs.iter().map(|i| extract_short_form(i)).collect();
            assert_eq!(serde_json::json!(got), *want, "{id}");
        }
        assert!(
            expected.get("has_registry_prefix").is_some() || expected.get("short_form").is_some(),
            "{id}: nothing asserted — extend this test"
        );
    }
}

fn offered(triple: &Value) -> Platform {
    let t = triple.as_array().unwrap();
    Platform::new(s(&t[0]), s(&t[1]), Some(s(&t[2])))
}

#[test]
fn platform_cases() {
    for case in compat_cases(&["platform_match"]) {
        let id = case_id(&case);
        let input = &case["input"];
        let expected = &case["expected"];
        if let Some(pairs) = input.get("pairs") {
            let got: Vec<String> = pairs
                .as_array()
                .unwrap()
                .iter()
                .map(|p| offered(p).to_string())
                .collect();
            assert_eq!(serde_json::json!(got), expected["keys"], "{id}");
            continue;
        }
        let requested = input
            .get("requested")
            .or_else(|| input.get("requested_strings"))
            .unwrap_or_else(|| panic!("{id}: no requested platforms"));
        let specs: Vec<&str> = requested.as_array().unwrap().iter().map(s).collect();
        let filter = PlatformFilter::from_specs(&specs);
        let got: Vec<bool> = input["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| filter.wants(&offered(c)))
            .collect();
        assert_eq!(serde_json::json!(got), expected["wanted"], "{id}");
    }
}
