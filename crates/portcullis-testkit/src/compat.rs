//! The Argo CD Image Updater behaviour cases (`image-updater-compat.json`), by category.

use serde_json::Value;

/// Every case of the given categories, in file order. Panics when the file is missing or
/// malformed, or when a category has no case at all: a table that silently shrank to
/// nothing would let every test pass.
pub fn compat_cases(categories: &[&str]) -> Vec<Value> {
    let picked = compat_cases_if_present(categories);
    for cat in categories {
        let n = picked
            .iter()
            .filter(|c| c.get("category").and_then(Value::as_str) == Some(cat))
            .count();
        assert!(
            n > 0,
            "image-updater-compat.json has no case of category '{cat}'"
        );
    }
    picked
}

/// Like [`compat_cases`], for categories a given copy of the file may lack (the shipped
/// sample does not carry every family the full set has). Still panics when the file is
/// missing or malformed.
pub fn compat_cases_if_present(categories: &[&str]) -> Vec<Value> {
    let path = crate::testdata_dir().join("image-updater-compat.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): it holds behaviour facts transcribed from \
             argoproj-labs/argocd-image-updater's own tests",
            path.display()
        )
    });
    let doc: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let all = doc
        .get("cases")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{} has no 'cases' array", path.display()));
    let picked: Vec<Value> = all
        .iter()
        .filter(|c| {
            c.get("category")
                .and_then(Value::as_str)
                .is_some_and(|cat| categories.contains(&cat))
        })
        .cloned()
        .collect();
    picked
}

/// The case id, for assertion messages.
pub fn case_id(case: &Value) -> &str {
    case.get("id").and_then(Value::as_str).unwrap_or("<no id>")
}

/// Whether a case expects an error (`"error": true`, or a non-null `error_contains`).
pub fn expects_error(expected: &Value) -> bool {
    expected.get("error").and_then(Value::as_bool) == Some(true)
        || expected.get("error_contains").is_some_and(|v| !v.is_null())
}

/// The substrings an expected error message must contain (`error_contains`: a string or a
/// list), for case `id`.
pub fn error_substrings(id: &str, expected: &Value) -> Vec<String> {
    let text = |v: &Value| {
        v.as_str()
            .unwrap_or_else(|| panic!("{id}: error_contains entries must be strings, got {v}"))
            .to_owned()
    };
    match expected.get("error_contains") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().map(text).collect(),
        Some(v) => vec![text(v)],
    }
}
