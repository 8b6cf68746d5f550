//! Commit message and branch name templates: a subset of Go's `text/template` that renders
//! exactly as Go does for what Argo CD Image Updater documents, plus Portcullis's fields
//! and a machine-readable trailer block.
//!
//! Supported: `{{ .Field }}` chains, `$`, `{{-`/`-}}` trimming, comments, `if`/`else
//! if`/`else`, `range`/`else`, `with`, `end`, pipelines with `|`, parentheses, and the
//! functions `index`, `len`, `not`, `and`, `or`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`,
//! `print`, `printf`, `println`. Unknown functions fail at parse time, unknown fields when
//! rendering; both name the position. Templates are parsed once, at configuration time
//! ([`Template::parse`]); the variables each kind sees are in [`data`].

mod data;
mod error;
mod exec;
mod lex;
mod parse;
mod trailer;

pub use data::{
    BranchContext, ChangeSummary, DEFAULT_COMMIT_MESSAGE, branch_data, branch_name, commit_data,
    commit_message, fallback_commit_message, target_key,
};
pub use error::{Problem, TemplateError};
pub use exec::Value;
pub use trailer::{ChangeTrailer, append_trailers, parse_trailers, trailer_block};

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    name: String,
    src: String,
    nodes: Vec<parse::Node>,
}

impl Template {
    /// Parses `src`; `name` appears in error messages.
    pub fn parse(name: &str, src: &str) -> Result<Self, TemplateError> {
        let items = lex::split(name, src)?;
        let nodes = parse::Parser::new(name, src, items).parse()?;
        Ok(Self {
            name: name.to_owned(),
            src: src.to_owned(),
            nodes,
        })
    }

    /// The template text.
    pub fn source(&self) -> &str {
        &self.src
    }

    /// Renders the template with `data` as `.` and `$`.
    pub fn render(&self, data: &Value) -> Result<String, TemplateError> {
        let exec = exec::Exec {
            name: &self.name,
            src: &self.src,
            root: data,
        };
        let mut out = String::new();
        exec.run(&self.nodes, data, &mut out)?;
        Ok(out)
    }
}
