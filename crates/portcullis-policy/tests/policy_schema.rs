//! `policies/schema.json` is generated from the policy's wire types. When the types change,
//! regenerate it with
//!
//! ```text
//! PORTCULLIS_BLESS=1 cargo test -p portcullis-policy --test policy_schema
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::path::Path;

#[test]
fn checked_in_schema_matches_the_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/schema.json");
    let generated = portcullis_policy::policy::json_schema();
    if std::env::var_os("PORTCULLIS_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "policies/schema.json is out of date; regenerate it with \
         PORTCULLIS_BLESS=1 cargo test -p portcullis-policy --test policy_schema"
    );
}

#[test]
fn schema_describes_the_format() {
    let schema: serde_json::Value =
        serde_json::from_str(&portcullis_policy::policy::json_schema()).unwrap();
    assert_eq!(schema["title"], "Portcullis VerificationPolicy");
    assert_eq!(schema["additionalProperties"], false);
    let rule = &schema["$defs"]["Rule"];
    assert_eq!(rule["additionalProperties"], false);
    assert_eq!(
        rule["required"],
        serde_json::json!(["name", "images", "authorities"])
    );
    // No explicit nulls: optional fields are left out, never written as null.
    assert!(!portcullis_policy::policy::json_schema().contains("\"null\""));
}

/// The checked-in schema, compiled by an independent JSON Schema validator (`boon`).
fn compiled_schema() -> (boon::Schemas, boon::SchemaIndex) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("https://portcullis.dev/schema.json", schema)
        .unwrap();
    let index = compiler
        .compile("https://portcullis.dev/schema.json", &mut schemas)
        .unwrap();
    (schemas, index)
}

/// Every YAML document in `path`, as JSON.
fn as_json(path: &Path) -> Vec<serde_json::Value> {
    serde_saphyr::from_str_multiple(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every VerificationPolicy example under `policies/` is valid against `schema.json` as an
/// editor or a CI linter would check it, so the schema accepts what the loader accepts.
#[test]
fn every_example_policy_validates_against_the_schema() {
    let (schemas, index) = compiled_schema();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        for doc in as_json(&path) {
            if doc["kind"] != "VerificationPolicy" {
                continue;
            }
            if let Err(e) = schemas.validate(&doc, index) {
                panic!("{}: {e:#}", path.display());
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 3,
        "only {checked} example policies found in {}",
        dir.display()
    );
}

/// What the loader refuses for its shape, the schema refuses too: an unknown field, a
/// missing required one, a value of the wrong type.
#[test]
fn the_schema_refuses_what_the_loader_refuses_for_its_shape() {
    let (schemas, index) = compiled_schema();
    let broken = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../policies/examples/broken/unknown-field.yaml");
    assert!(schemas.validate(&as_json(&broken)[0], index).is_err());
    let head = "apiVersion: portcullis.dev/v1alpha1\nkind: VerificationPolicy\n";
    for (what, body) in [
        (
            "no authorities",
            "rules:\n  - name: r\n    images: ['**']\n",
        ),
        (
            "require is a number",
            "rules:\n  - name: r\n    images: ['**']\n    require: two\n    authorities: [{static: allow}]\n",
        ),
        (
            "unknown mode",
            "rules:\n  - name: r\n    images: ['**']\n    mode: audit\n    authorities: [{static: allow}]\n",
        ),
    ] {
        let doc: serde_json::Value = serde_saphyr::from_str(&format!("{head}{body}")).unwrap();
        assert!(schemas.validate(&doc, index).is_err(), "{what}");
        assert!(
            portcullis_policy::policy::Policy::from_yaml(&format!("{head}{body}"), "p.yaml")
                .is_err(),
            "{what}: the loader too"
        );
    }
    // And a minimal valid policy passes both.
    let ok = format!(
        "{head}rules:\n  - name: r\n    images: ['**']\n    authorities: [{{static: allow}}]\n"
    );
    let doc: serde_json::Value = serde_saphyr::from_str(&ok).unwrap();
    schemas.validate(&doc, index).unwrap();
    portcullis_policy::policy::Policy::from_yaml(&ok, "p.yaml").unwrap();
}
