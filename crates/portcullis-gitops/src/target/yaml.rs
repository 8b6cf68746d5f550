//! A small, line- and indent-aware YAML editor: it reads the block structure of a document
//! with the byte span of every node, and edits by splicing text into the original, so
//! everything it does not touch (comments, key order, quoting, indentation, blank lines,
//! document markers, anchors) stays byte-for-byte as it was.
//!
//! Why not a YAML crate: the maintained Rust YAML libraries (serde-saphyr, saphyr,
//! yaml-rust2) parse into values or events and re-emit from scratch, which drops comments,
//! blank lines and quoting; none offers a format-preserving edit API. GitOps files are
//! read by people, so the diff of a write-back must be exactly the changed values. The
//! editor supports the block YAML that values files and kustomizations use (block mappings
//! and sequences, compact sequences, plain/quoted/block scalars, flow collections as opaque
//! values, anchors, aliases, tags, comments, document markers). Anything else is refused
//! with an error naming the line: it never guesses, and never panics on any input.

mod edit;
mod parse;
mod scalar;

pub(crate) use edit::{Editor, NewValue, Owner, Splice};
pub use parse::YamlError;
pub(crate) use parse::{Document, Entry, Kind, Node};
