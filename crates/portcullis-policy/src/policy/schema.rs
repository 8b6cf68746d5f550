//! The JSON Schema of the policy format, generated from the wire types. `policies/schema.json`
//! is this text; a test fails when the two differ (`PORTCULLIS_BLESS=1` rewrites the file).
//!
//! schemars describes an `Option` field as "the value or null"; the policy format has no use
//! for an explicit null (leave the field out instead), so nulls are removed from the schema,
//! which makes editors and the shape check refuse `field:` with no value.

use std::sync::LazyLock;

use serde_json::{Map, Value};

use super::wire::PolicyDocument;

static SCHEMA: LazyLock<Value> = LazyLock::new(|| {
    let schema = schemars::schema_for!(PolicyDocument);
    let mut value = serde_json::to_value(&schema).unwrap_or(Value::Bool(true));
    remove_null(&mut value);
    value
});

/// The schema as a value, for the shape check.
pub(crate) fn document_schema() -> &'static Value {
    &SCHEMA
}

/// The JSON Schema of a `VerificationPolicy` document, pretty-printed with a trailing
/// newline: what `policies/schema.json` holds.
pub fn json_schema() -> String {
    let mut text = serde_json::to_string_pretty(document_schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// `type: [X, "null"]` becomes `type: X`; `anyOf: [S, {type: null}]` becomes `S` (keeping the
/// field's description).
fn remove_null(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".to_owned(), only);
                }
            }
            if let Some(Value::Array(branches)) = map.get("anyOf") {
                let kept: Vec<Value> = branches
                    .iter()
                    .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
                    .cloned()
                    .collect();
                if kept.len() == 1
                    && let Some(Value::Object(only)) = kept.into_iter().next()
                {
                    map.remove("anyOf");
                    merge(map, only);
                }
            }
            for v in map.values_mut() {
                remove_null(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(remove_null),
        _ => {}
    }
}

fn merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (k, v) in from {
        into.entry(k).or_insert(v);
    }
}
