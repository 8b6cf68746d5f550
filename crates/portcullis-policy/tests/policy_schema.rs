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
