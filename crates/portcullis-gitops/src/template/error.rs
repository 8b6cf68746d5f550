//! Template errors: what went wrong and where (`template <name>:<line>:<column>`), at
//! parse time (syntax, unknown functions) or when rendering (unknown fields, bad
//! arguments). Positions are 1-based; columns count characters.

use std::fmt;

/// What is wrong at a position of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// `{{` without `}}`.
    UnclosedAction,
    /// `{{/*` without `*/}}`.
    UnclosedComment,
    /// A string literal without its closing quote.
    UnclosedString,
    /// A bad `\` escape in a string literal.
    BadEscape,
    /// A number that is not a 64-bit integer.
    BadNumber(String),
    /// A character that starts no token.
    BadCharacter(char),
    /// A function the template language here does not define.
    UnknownFunction(String),
    /// A field the data does not have.
    UnknownField {
        /// The field.
        field: String,
        /// The type it was looked up in.
        in_type: String,
    },
    /// A variable that was not declared (only `$` is).
    UnknownVariable(String),
    /// `{{ if }}`, `{{ range }}` or `{{ with }}` without `{{ end }}`.
    MissingEnd(&'static str),
    /// `{{ end }}` or `{{ else }}` with nothing to close.
    Unexpected(&'static str),
    /// Syntax the parser cannot read.
    Syntax(&'static str),
    /// A Go template feature not supported here.
    Unsupported(&'static str),
    /// A function called with the wrong arguments.
    BadArguments {
        /// The function.
        function: &'static str,
        /// What it expects.
        expected: &'static str,
    },
    /// `range` over something that is not a list or map.
    NotIterable(String),
    /// `index` past the end of a list.
    IndexOutOfRange {
        /// The index.
        index: i64,
        /// The list length.
        len: usize,
    },
    /// Values that cannot be compared.
    Incomparable,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnclosedAction => f.write_str("unclosed action"),
            Self::UnclosedComment => f.write_str("unclosed comment"),
            Self::UnclosedString => f.write_str("unterminated quoted string"),
            Self::BadEscape => f.write_str("invalid escape in string"),
            Self::BadNumber(n) => write!(f, "bad number syntax: {n:?}"),
            Self::BadCharacter(c) => write!(f, "unexpected {c:?} in command"),
            Self::UnknownFunction(n) => write!(f, "function {n:?} not defined"),
            Self::UnknownField { field, in_type } => {
                write!(f, "can't evaluate field {field} in type {in_type}")
            }
            Self::UnknownVariable(v) => write!(f, "undefined variable \"${v}\""),
            Self::MissingEnd(k) => write!(f, "unexpected EOF: {{{{{k}}}}} has no {{{{end}}}}"),
            Self::Unexpected(k) => write!(f, "unexpected {{{{{k}}}}}"),
            Self::Syntax(s) => f.write_str(s),
            Self::Unsupported(s) => write!(f, "{s} not supported"),
            Self::BadArguments { function, expected } => write!(f, "{function}: {expected}"),
            Self::NotIterable(t) => write!(f, "range can't iterate over {t}"),
            Self::IndexOutOfRange { index, len } => {
                write!(f, "index out of range: {index} (length {len})")
            }
            Self::Incomparable => f.write_str("incompatible types for comparison"),
        }
    }
}

/// A template error and its position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template {name}:{line}:{column}: {problem}")]
pub struct TemplateError {
    /// The template's name.
    pub name: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub problem: Problem,
}

impl TemplateError {
    /// An error at byte `offset` of `src`.
    pub(crate) fn at(name: &str, src: &str, offset: usize, problem: Problem) -> Self {
        let before = src.get(..offset.min(src.len())).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        Self {
            name: name.to_owned(),
            line,
            column,
            problem,
        }
    }
}
