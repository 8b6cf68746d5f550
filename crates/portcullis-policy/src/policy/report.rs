//! Collecting problems while a policy is checked: each one names the document and the
//! field it concerns; line, column and the path as the user wrote it are filled in at the
//! end from the document (see [`super::source`]).

use super::path::FieldPath;

/// One problem, before it is located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub(crate) doc: usize,
    pub(crate) path: FieldPath,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

/// Errors and warnings found so far.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub(crate) errors: Vec<Finding>,
    pub(crate) warnings: Vec<Finding>,
    doc: usize,
}

impl Findings {
    /// Later findings concern document `doc` (0-based, in file order).
    pub(crate) fn in_doc(&mut self, doc: usize) {
        self.doc = doc;
    }

    pub(crate) fn error(
        &mut self,
        path: &FieldPath,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.errors.push(Finding {
            doc: self.doc,
            path: path.clone(),
            message: message.into(),
            hint,
        });
    }

    pub(crate) fn warn(
        &mut self,
        path: &FieldPath,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.warnings.push(Finding {
            doc: self.doc,
            path: path.clone(),
            message: message.into(),
            hint,
        });
    }

    pub(crate) fn error_count(&self) -> usize {
        self.errors.len()
    }
}
