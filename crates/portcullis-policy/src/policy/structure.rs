//! The shape check: walks a document against the JSON Schema generated from the wire types
//! and reports *every* unknown field (with a did-you-mean), missing field, value of the
//! wrong type and value outside an enumeration, each at its line and column.
//!
//! serde stops at the first problem; this walk does not, and because it reads the schema
//! generated from the same types serde decodes into, the two cannot disagree on what a
//! field is called. It also returns a *cleaned* copy of the document, with what it refused
//! left out and missing required fields filled with empty values, so validation can go on
//! and report the document's other problems in the same run. Findings of validation about
//! a field the shape check already refused ([`Shape::refused`]) are dropped: they would
//! only repeat it.

use serde_json::{Map, Value};

use super::path::FieldPath;
use super::report::Findings;
use super::schema;
use super::suggest;
use super::yaml::{Entry, Located, Node};

/// What the shape check produced.
pub(crate) struct Shape {
    /// The document with refused values left out and missing fields filled in.
    pub(crate) cleaned: Value,
    /// Fields refused or filled in.
    pub(crate) refused: Vec<FieldPath>,
}

/// Checks `doc` against the policy document schema, reporting into `findings`.
pub(crate) fn check(doc: &Located<Node>, findings: &mut Findings) -> Shape {
    let root = schema::document_schema();
    let mut walker = Walker {
        root,
        out: findings,
        refused: Vec::new(),
    };
    let cleaned = walker
        .walk(root, doc, &FieldPath::root())
        .unwrap_or(Value::Object(Map::new()));
    Shape {
        cleaned,
        refused: walker.refused,
    }
}

struct Walker<'s, 'f> {
    root: &'s Value,
    out: &'f mut Findings,
    refused: Vec<FieldPath>,
}

impl<'s> Walker<'s, '_> {
    /// Follows `$ref`s (to `#/$defs/...`) to the schema they name; a dangling reference
    /// (which would be a bug in the generated schema) accepts anything.
    fn resolve(&self, mut schema: &'s Value) -> &'s Value {
        for _ in 0..16 {
            let Some(target) = schema.get("$ref").and_then(Value::as_str) else {
                return schema;
            };
            match self.root.pointer(target.trim_start_matches('#')) {
                Some(next) => schema = next,
                None => return &Value::Bool(true),
            }
        }
        schema
    }

    /// The string values an enumeration allows: `enum`, `const`, or a `oneOf`/`anyOf` of
    /// constants (as schemars writes enums whose variants have doc comments).
    fn enumeration(&self, schema: &'s Value) -> Option<Vec<&'s str>> {
        let schema = self.resolve(schema);
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            return Some(values.iter().filter_map(Value::as_str).collect());
        }
        if let Some(c) = schema.get("const").and_then(Value::as_str) {
            return Some(vec![c]);
        }
        let branches = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array)?;
        let mut all = Vec::new();
        for b in branches {
            all.extend(self.enumeration(b)?);
        }
        Some(all)
    }

    fn refuse(&mut self, path: &FieldPath, message: String, hint: Option<String>) -> Option<Value> {
        self.out.error(path, message, hint);
        self.refused.push(path.clone());
        None
    }

    fn walk(&mut self, schema: &'s Value, node: &Located<Node>, path: &FieldPath) -> Option<Value> {
        let schema = self.resolve(schema);
        if let Some(allowed) = self.enumeration(schema) {
            return match &node.value {
                Node::Str(s) if allowed.contains(&s.as_str()) => Some(Value::String(s.clone())),
                Node::Str(s) => self.refuse(
                    path,
                    format!("unknown value '{s}'"),
                    suggest::hint(s, allowed.iter().copied()),
                ),
                other => self.refuse(
                    path,
                    format!(
                        "expected one of {}, found {}",
                        allowed.join(", "),
                        other.kind()
                    ),
                    None,
                ),
            };
        }
        if let Some(branches) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Value::as_array)
        {
            return self.walk_branches(branches, node, path);
        }
        let types = types_of(schema);
        if !types.is_empty() && !types.iter().any(|t| accepts(t, &node.value)) {
            return self.refuse(
                path,
                format!(
                    "expected {}, found {}",
                    describe_types(&types),
                    node.value.kind()
                ),
                type_hint(&types, &node.value),
            );
        }
        match &node.value {
            Node::Map(entries) => Some(self.walk_map(schema, entries, path)),
            Node::Seq(items) => {
                let item_schema = schema.get("items");
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let value = match item_schema {
                        Some(s) => self.walk(s, item, &path.index(i)),
                        None => Some(item.value.to_json()),
                    };
                    // A refused item is replaced by an empty one so the indices of the others
                    // (which later messages use) stay as written.
                    out.push(value.unwrap_or_else(|| self.placeholder(item_schema)));
                }
                Some(Value::Array(out))
            }
            Node::Int(n) => match schema.get("minimum").and_then(Value::as_i64) {
                Some(min) if *n < i128::from(min) => {
                    self.refuse(path, format!("must be at least {min}, found {n}"), None)
                }
                _ if schema.get("format").and_then(Value::as_str) == Some("uint32")
                    && u32::try_from(*n).is_err() =>
                {
                    self.refuse(path, format!("{n} is too large"), None)
                }
                _ => Some(node.value.to_json()),
            },
            _ => Some(node.value.to_json()),
        }
    }

    fn walk_branches(
        &mut self,
        branches: &'s [Value],
        node: &Located<Node>,
        path: &FieldPath,
    ) -> Option<Value> {
        let fitting = branches.iter().find(|b| {
            if self.enumeration(b).is_some() {
                return matches!(node.value, Node::Str(_));
            }
            types_of(self.resolve(b))
                .iter()
                .any(|t| accepts(t, &node.value))
        });
        if let Some(branch) = fitting {
            return self.walk(branch, node, path);
        }
        let mut all: Vec<&str> = Vec::new();
        for b in branches {
            let types = if self.enumeration(b).is_some() {
                vec!["string"]
            } else {
                types_of(self.resolve(b))
            };
            for t in types {
                if !all.contains(&t) {
                    all.push(t);
                }
            }
        }
        self.refuse(
            path,
            format!(
                "expected {}, found {}",
                describe_types(&all),
                node.value.kind()
            ),
            None,
        )
    }

    fn walk_map(&mut self, schema: &'s Value, entries: &[Entry], path: &FieldPath) -> Value {
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        let mut out = Map::new();
        // Required fields an unknown field was probably meant to be: reported once, as the
        // unknown field with its did-you-mean, not again as missing.
        let mut misspelt: Vec<&str> = Vec::new();
        for entry in entries {
            let field = path.key(&entry.key);
            if let Some(property) = properties.and_then(|p| p.get(&entry.key)) {
                if let Some(v) = self.walk(property, &entry.value, &field) {
                    out.insert(entry.key.clone(), v);
                }
                continue;
            }
            match additional {
                Some(Value::Bool(false)) => {
                    let known: Vec<&str> = properties
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    if let Some(meant) = suggest::closest(&entry.key, known.iter().copied()) {
                        misspelt.push(meant);
                    }
                    self.out.error(
                        &field,
                        format!("unknown field '{}'", entry.key),
                        suggest::hint(&entry.key, known.iter().copied()),
                    );
                }
                Some(value_schema @ Value::Object(_)) => {
                    if let Some(v) = self.walk(value_schema, &entry.value, &field) {
                        out.insert(entry.key.clone(), v);
                    }
                }
                _ => {
                    out.insert(entry.key.clone(), entry.value.value.to_json());
                }
            }
        }
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if out.contains_key(name) {
                    continue;
                }
                if !entries.iter().any(|e| e.key == name) && !misspelt.contains(&name) {
                    self.out
                        .error(path, format!("missing field '{name}'"), None);
                }
                self.refused.push(path.key(name));
                let property = properties.and_then(|p| p.get(name));
                out.insert(name.to_owned(), self.placeholder(property));
            }
        }
        Value::Object(out)
    }

    /// An empty value of the property's type, standing in for a missing required field.
    fn placeholder(&self, property: Option<&'s Value>) -> Value {
        let Some(property) = property else {
            return Value::Null;
        };
        if let Some(first) = self.enumeration(property).and_then(|v| v.first().copied()) {
            return Value::String(first.to_owned());
        }
        match types_of(self.resolve(property)).first().copied() {
            Some("array") => Value::Array(Vec::new()),
            Some("object") => Value::Object(Map::new()),
            Some("integer" | "number") => Value::from(0),
            Some("boolean") => Value::Bool(false),
            _ => Value::String(String::new()),
        }
    }
}

fn types_of(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn accepts(schema_type: &str, node: &Node) -> bool {
    matches!(
        (schema_type, node),
        ("object", Node::Map(_))
            | ("array", Node::Seq(_))
            | ("string", Node::Str(_))
            | ("boolean", Node::Bool(_))
            | ("integer", Node::Int(_))
            | ("number", Node::Int(_) | Node::Float(_))
            | ("null", Node::Null)
    )
}

fn describe_types(types: &[&str]) -> String {
    let words: Vec<&str> = types
        .iter()
        .map(|t| match *t {
            "object" => "a mapping",
            "array" => "a list",
            "string" => "a string",
            "boolean" => "true or false",
            "integer" => "a whole number",
            "number" => "a number",
            "null" => "nothing",
            other => other,
        })
        .collect();
    match words.as_slice() {
        [] => "nothing".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn type_hint(types: &[&str], node: &Node) -> Option<String> {
    match node {
        Node::Int(_) | Node::Float(_) | Node::Bool(_) if types.contains(&"string") => {
            Some("quote the value so YAML reads it as text".to_owned())
        }
        Node::Null if types.contains(&"object") => {
            Some("write '{}' for an empty mapping, or leave the field out".to_owned())
        }
        Node::Null if types.contains(&"array") => {
            Some("write '[]' for an empty list, or leave the field out".to_owned())
        }
        Node::Null => Some("give a value, or leave the field out".to_owned()),
        Node::Str(_) if types.contains(&"array") => {
            Some("write a list: '[value]' or '- value' lines".to_owned())
        }
        _ => None,
    }
}
