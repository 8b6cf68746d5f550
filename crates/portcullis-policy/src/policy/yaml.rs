//! The policy file read into a tree of YAML nodes that remember where they were written, so
//! every later check (unknown fields, bad values, dangling references) can point at a line
//! and column, and so one pass can report every problem instead of the first.
//!
//! The YAML reader is `serde-saphyr` with its default budget: nesting deeper than 64, alias
//! expansion bombs and oversized documents are refused as parse errors, never a stack
//! overflow. Several documents (`---`) give several trees; empty documents are skipped.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::error::Location;
use super::path::{FieldPath, Segment};

/// A node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Located<T> {
    pub(crate) value: T,
    pub(crate) at: Location,
}

/// One YAML value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Located<Node>>),
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_at: Location,
    pub(crate) value: Located<Node>,
}

/// A parse error: what the reader said, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseFailure {
    pub(crate) at: Option<Location>,
    pub(crate) message: String,
}

/// Reads every non-empty document of `text`.
pub(crate) fn parse_documents(text: &str) -> Result<Vec<Located<Node>>, ParseFailure> {
    let docs: Vec<Spanned<Node>> = serde_saphyr::from_multiple(text).map_err(|e| failure(&e))?;
    Ok(docs.into_iter().map(located).collect())
}

fn located<T>(s: Spanned<T>) -> Located<T> {
    Located {
        at: location(s.referenced),
        value: s.value,
    }
}

fn location(l: serde_saphyr::Location) -> Location {
    Location {
        line: l.line(),
        column: l.column(),
    }
}

fn failure(e: &serde_saphyr::Error) -> ParseFailure {
    use serde_saphyr::MessageFormatter;
    let inner = e.without_snippet();
    let message = serde_saphyr::UserMessageFormatter.format_message(inner);
    // The reader's text may quote input over several lines; keep it on one.
    let message: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    ParseFailure {
        at: e.location().filter(|l| l.line() > 0).map(location),
        message,
    }
}

impl Node {
    /// What kind of value this is, for messages (`a mapping`, `a string`...).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Int(_) => "a whole number",
            Self::Float(_) => "a number",
            Self::Str(_) => "a string",
            Self::Seq(_) => "a list",
            Self::Map(_) => "a mapping",
        }
    }

    /// The value of `key` in a mapping.
    pub(crate) fn get(&self, key: &str) -> Option<&Located<Node>> {
        match self {
            Self::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }

    /// The text of a string scalar.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The same value as JSON (for typed decoding once the structure is known to be right).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Self::Null => Value::Null,
            Self::Bool(b) => Value::Bool(*b),
            Self::Int(i) => i64::try_from(*i)
                .map(Value::from)
                .or_else(|_| u64::try_from(*i).map(Value::from))
                .unwrap_or_else(|_| Value::String(i.to_string())),
            Self::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Self::Str(s) => Value::String(s.clone()),
            Self::Seq(items) => Value::Array(items.iter().map(|i| i.value.to_json()).collect()),
            Self::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.value.to_json()))
                    .collect(),
            ),
        }
    }
}

impl Located<Node> {
    /// Where the value at `path` (or the nearest existing ancestor) was written. For a
    /// mapping key that is the key's position, so "unknown field" points at the field.
    pub(crate) fn locate(&self, path: &FieldPath) -> Location {
        let mut node = self;
        let mut at = self.at;
        for segment in path.segments() {
            let next = match (segment, &node.value) {
                (Segment::Key(k), Node::Map(entries)) => entries.iter().find(|e| &e.key == k),
                _ => None,
            };
            if let Some(entry) = next {
                at = entry.key_at;
                node = &entry.value;
                continue;
            }
            match (segment, &node.value) {
                (Segment::Index(i), Node::Seq(items)) if *i < items.len() => {
                    node = &items[*i];
                    at = node.at;
                }
                _ => break,
            }
        }
        at
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        Ok(i128::try_from(v).map_or_else(|_| Node::Str(v.to_string()), Node::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Node, E> {
        Ok(Node::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(located(item));
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Node>>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            let key = located(key);
            entries.push(Entry {
                key: key_text(&key.value),
                key_at: key.at,
                value: located(value),
            });
        }
        Ok(Node::Map(entries))
    }
}

/// A mapping key as text: scalars as written, anything else as a marker that never
/// matches a field name (and is reported as unknown).
fn key_text(key: &Node) -> String {
    match key {
        Node::Str(s) => s.clone(),
        Node::Bool(b) => b.to_string(),
        Node::Int(i) => i.to_string(),
        Node::Float(f) => f.to_string(),
        Node::Null => "null".to_owned(),
        Node::Seq(_) | Node::Map(_) => "<complex key>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_know_their_line_and_column() {
        let docs = parse_documents("a: 1\nb:\n  - x\n  - {c: true}\n").unwrap();
        assert_eq!(docs.len(), 1);
        let root = &docs[0];
        let path = FieldPath::root().key("b").index(1).key("c");
        assert_eq!(root.locate(&path), Location { line: 4, column: 6 });
        let b = FieldPath::root().key("b");
        assert_eq!(root.locate(&b), Location { line: 2, column: 1 });
        // A missing tail resolves to the nearest ancestor that exists.
        let missing = FieldPath::root().key("b").index(7);
        assert_eq!(root.locate(&missing), Location { line: 2, column: 1 });
    }

    #[test]
    fn several_documents_are_read_and_empty_ones_skipped() {
        let docs = parse_documents("a: 1\n---\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].at.line, 4);
    }

    #[test]
    fn a_parse_error_has_a_position() {
        let err = parse_documents("a: [1, 2\n").unwrap_err();
        assert!(err.at.is_some(), "{err:?}");
        assert!(!err.message.contains('\n'));
    }
}
