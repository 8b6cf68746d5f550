//! The documents of a policy file as read, and turning a finding about a field into a
//! [`Diagnostic`] with the line, column and field path the user wrote. A translated
//! `ClusterImagePolicy` keeps a map from the fields of its translation back to its own, so
//! its problems point at its own lines.

use super::error::Diagnostic;
use super::path::FieldPath;
use super::report::Finding;
use super::yaml::{Located, Node};

/// One document of the file.
#[derive(Debug)]
pub(crate) struct Document {
    pub(crate) tree: Located<Node>,
    /// For a translated document: (field of the translation, field of the original), most
    /// specific first is not required; the longest matching prefix wins.
    pub(crate) remap: Option<Vec<(FieldPath, FieldPath)>>,
    /// Fields the shape check refused or filled in (see `structure`).
    pub(crate) refused: Vec<FieldPath>,
}

impl Document {
    pub(crate) fn native(tree: Located<Node>, refused: Vec<FieldPath>) -> Self {
        Self {
            tree,
            remap: None,
            refused,
        }
    }

    /// The field as the user wrote it.
    fn original(&self, path: &FieldPath) -> FieldPath {
        let Some(remap) = &self.remap else {
            return path.clone();
        };
        // The translator reports in the original's own terms (under `spec`, or the root).
        let own = match path.segments().first() {
            None => true,
            Some(super::path::Segment::Key(k)) => k == "spec",
            Some(super::path::Segment::Index(_)) => false,
        };
        if own {
            return path.clone();
        }
        remap
            .iter()
            .filter(|(wire, _)| path.starts_with(wire))
            .max_by_key(|(wire, _)| wire.segments().len())
            .map_or_else(
                || FieldPath::root().key("spec"),
                |(wire, original)| original.join(&path.strip(wire)),
            )
    }
}

/// Locates every finding; findings about a document that does not exist (cannot happen)
/// are reported without a position.
pub(crate) fn diagnostics(
    origin: &str,
    documents: &[Document],
    findings: &[Finding],
) -> Vec<Diagnostic> {
    let mut located: Vec<(usize, Diagnostic)> = findings
        .iter()
        .map(|f| {
            let (location, field) = match documents.get(f.doc) {
                Some(doc) => {
                    let original = doc.original(&f.path);
                    (Some(doc.tree.locate(&original)), original.to_string())
                }
                None => (None, f.path.to_string()),
            };
            (
                f.doc,
                Diagnostic {
                    origin: origin.to_owned(),
                    location,
                    field,
                    message: f.message.clone(),
                    hint: f.hint.clone(),
                },
            )
        })
        .collect();
    // Document order, then position; the sort is stable, so findings at one position keep
    // the order they were found in.
    located.sort_by_key(|(doc, d)| (*doc, d.location));
    located.into_iter().map(|(_, d)| d).collect()
}
