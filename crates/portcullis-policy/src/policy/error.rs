//! What loading a policy reports: every problem at once, each with its line and column, the
//! field it concerns, what is wrong and, when known, how to fix it; and the warnings that
//! come with a valid policy.

use std::fmt;

/// A position in the policy file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Location {
    /// Line, from 1.
    pub line: u64,
    /// Column, from 1 (characters, not bytes).
    pub column: u64,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One problem found in a policy file.
///
/// `Display` prints `FILE:LINE:COL: field.path: message (hint: ...)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct Diagnostic {
    /// The file (or other origin) the policy came from, as given to the loader.
    pub origin: String,
    /// Where the problem is; `None` when the reader could not tell.
    pub location: Option<Location>,
    /// The field concerned, e.g. `rules[0].authorities[1].keyless.identities[0].subjectRegExp`.
    pub field: String,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// How to fix it, when known (a did-you-mean, the accepted values...).
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(at) = self.location {
            write!(f, ":{at}")?;
        }
        write!(f, ": {}: {}", self.field, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

/// Why a policy could not be loaded: the file could not be read, or it holds one or more
/// problems (all of them, in document order).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The policy file cannot be read.
    #[error("cannot read policy file '{path}'")]
    Read {
        /// The path as given.
        path: String,
        /// What the operating system reported.
        #[source]
        source: std::io::Error,
    },
    /// The file was read and holds problems; each one is a [`Diagnostic`].
    #[error("{} has {} problem{}", origin, problems.len(), if problems.len() == 1 { "" } else { "s" })]
    Invalid {
        /// The file, as given.
        origin: String,
        /// Every problem found, in document order.
        problems: Vec<Diagnostic>,
    },
}

impl PolicyError {
    /// The problems found (empty for [`PolicyError::Read`]).
    pub fn problems(&self) -> &[Diagnostic] {
        match self {
            Self::Invalid { problems, .. } => problems,
            Self::Read { .. } => &[],
        }
    }
}

/// A problem not serious enough to refuse the policy (an unanchored identity pattern, a
/// danger switch, a deprecated name). Same shape and `Display` as a [`Diagnostic`].
pub type Warning = Diagnostic;
