//! Edits as splices: each operation reads the current text, computes byte ranges to
//! replace, and leaves every other byte alone.
//!
//! New content follows the file's own habits: its line break, the indentation step of its
//! nested mappings, and whether its sequences sit at their key's column or are indented.

use super::parse::{Document, Entry, Kind, Node, Style, YamlError};
use super::scalar::{render_key, render_scalar};

/// A value to write where none was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NewValue {
    /// A scalar string.
    Scalar(String),
    /// A mapping, keys in order.
    Map(Vec<(String, NewValue)>),
    /// A sequence.
    Seq(Vec<NewValue>),
    /// Text written as is (`true`, `false`).
    Literal(&'static str),
}

/// Where something is added: the top level of the document, the value of an entry, or a
/// block collection found elsewhere (a sequence item, an anchored node).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Owner<'n> {
    Root,
    Entry(&'n Entry),
    Node(&'n Node),
}

/// Replace `start..end` with `text`.
#[derive(Debug, Clone)]
pub(crate) struct Splice {
    start: usize,
    end: usize,
    text: String,
}

/// Text being edited, one operation at a time.
#[derive(Debug, Clone)]
pub(crate) struct Editor {
    text: String,
}

impl Editor {
    pub(crate) fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
        }
    }

    #[cfg(test)]
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn into_text(self) -> String {
        self.text
    }

    /// The current text, parsed.
    pub(crate) fn doc(&self) -> Result<Document<'_>, YamlError> {
        Document::parse(&self.text)
    }

    /// Applies non-overlapping splices computed from the current text.
    pub(crate) fn apply(&mut self, mut splices: Vec<Splice>) -> Result<(), YamlError> {
        splices.sort_by_key(|s| std::cmp::Reverse(s.start));
        let mut limit = self.text.len();
        for s in &splices {
            if s.start > s.end
                || s.end > limit
                || !self.text.is_char_boundary(s.start)
                || !self.text.is_char_boundary(s.end)
            {
                return Err(YamlError::Unsupported {
                    line: 0,
                    construct: "an overlapping edit",
                });
            }
            limit = s.start;
        }
        for s in splices {
            self.text.replace_range(s.start..s.end, &s.text);
        }
        Ok(())
    }
}

impl Document<'_> {
    fn line_no(&self, offset: usize) -> usize {
        self.line_at(offset) + 1
    }

    fn unsupported(&self, offset: usize, construct: &'static str) -> YamlError {
        YamlError::Unsupported {
            line: self.line_no(offset),
            construct,
        }
    }

    /// Sets a scalar (or empty) node to `value`, keeping its quoting style.
    pub(crate) fn set_scalar(&self, node: &Node, value: &str) -> Result<Vec<Splice>, YamlError> {
        match &node.kind {
            Kind::Scalar { style, .. } => Ok(vec![Splice {
                start: node.start,
                end: node.end,
                text: render_scalar(value, *style),
            }]),
            Kind::Null => {
                let rendered = render_scalar(value, Style::Plain);
                let b = self.text.as_bytes();
                let li = self.line_at(node.start);
                let line_end = self.lines.get(li).map_or(self.text.len(), |l| l.end);
                let text = if node.start < line_end {
                    format!("{rendered} ")
                } else if node.start > 0 && !matches!(b.get(node.start - 1), Some(b' ' | b'\t')) {
                    format!(" {rendered}")
                } else {
                    rendered
                };
                Ok(vec![Splice {
                    start: node.start,
                    end: node.start,
                    text,
                }])
            }
            Kind::Alias(_) => Err(self.unsupported(node.start, "replacing an alias")),
            Kind::Map { .. } | Kind::Seq { .. } | Kind::Flow { .. } => {
                Err(self.unsupported(node.start, "replacing a collection with a scalar"))
            }
        }
    }

    /// Adds `key: value` at the end of the mapping `owner` holds (creating the mapping
    /// when the owner's value is empty or `{}`).
    pub(crate) fn insert_entry(
        &self,
        owner: Owner<'_>,
        key: &str,
        value: &NewValue,
    ) -> Result<Vec<Splice>, YamlError> {
        let (node, base_indent) = match owner {
            Owner::Root => (&self.root, 0),
            Owner::Entry(e) => (&e.value, e.key_col + self.step),
            Owner::Node(n) => (n, 0),
        };
        match &node.kind {
            Kind::Map { indent, .. } => {
                let mut lines = Vec::new();
                self.render_entry(key, value, *indent, &mut lines);
                Ok(vec![self.insert_after_line(node.last_line, &lines)])
            }
            Kind::Null if !matches!(owner, Owner::Node(_)) => {
                let mut lines = Vec::new();
                self.render_entry(key, value, base_indent, &mut lines);
                Ok(vec![self.insert_under(owner, &lines)])
            }
            Kind::Flow {
                map: true,
                empty: true,
            } if !matches!(owner, Owner::Node(_)) => {
                let mut lines = Vec::new();
                self.render_entry(key, value, base_indent, &mut lines);
                self.replace_empty_flow(owner, node, &lines)
            }
            _ => Err(self.unsupported(
                node.start,
                "adding a key to a value that is not a block mapping",
            )),
        }
    }

    /// Appends `item` to the sequence `owner` holds (creating it when the owner's value is
    /// empty or `[]`).
    pub(crate) fn append_item(
        &self,
        owner: Owner<'_>,
        item: &NewValue,
    ) -> Result<Vec<Splice>, YamlError> {
        let (node, base_indent) = match owner {
            Owner::Root => (&self.root, 0),
            Owner::Entry(e) => (&e.value, e.key_col + self.seq_offset),
            Owner::Node(n) => (n, 0),
        };
        match &node.kind {
            Kind::Seq { indent, items, .. } => {
                let offset = match items.first().map(|i| &i.kind) {
                    Some(Kind::Map { indent: k, .. }) if *k > *indent => k - indent,
                    _ => 2,
                };
                let mut lines = Vec::new();
                self.render_item(item, *indent, offset, &mut lines);
                Ok(vec![self.insert_after_line(node.last_line, &lines)])
            }
            Kind::Null if !matches!(owner, Owner::Node(_)) => {
                let mut lines = Vec::new();
                self.render_item(item, base_indent, 2, &mut lines);
                Ok(vec![self.insert_under(owner, &lines)])
            }
            Kind::Flow {
                map: false,
                empty: true,
            } if !matches!(owner, Owner::Node(_)) => {
                let mut lines = Vec::new();
                self.render_item(item, base_indent, 2, &mut lines);
                self.replace_empty_flow(owner, node, &lines)
            }
            _ => Err(self.unsupported(
                node.start,
                "appending to a value that is not a block sequence",
            )),
        }
    }

    /// Writes `literal` (`true`, `false`) verbatim in place of a scalar node.
    pub(crate) fn set_literal(&self, node: &Node, literal: &str) -> Result<Vec<Splice>, YamlError> {
        match &node.kind {
            Kind::Scalar { .. } => Ok(vec![Splice {
                start: node.start,
                end: node.end,
                text: literal.to_owned(),
            }]),
            _ => Err(self.unsupported(node.start, "replacing a non-scalar with a literal")),
        }
    }

    /// Inserts `item` before item `index` of the block sequence `seq`.
    pub(crate) fn insert_item_before(
        &self,
        seq: &Node,
        index: usize,
        item: &NewValue,
    ) -> Result<Vec<Splice>, YamlError> {
        let Kind::Seq {
            indent,
            items,
            dashes,
        } = &seq.kind
        else {
            return Err(self.unsupported(seq.start, "inserting into a non-sequence"));
        };
        let (Some(before), Some(&dash_line)) = (items.get(index), dashes.get(index)) else {
            return self.append_item(Owner::Node(seq), item);
        };
        let offset = match items.first().map(|i| &i.kind) {
            Some(Kind::Map { indent: k, .. }) if *k > *indent => k - indent,
            _ => 2,
        };
        let Some(line) = self.lines.get(dash_line) else {
            return self.append_item(Owner::Node(seq), item);
        };
        if line.indent != *indent {
            return Err(self.unsupported(
                before.start,
                "inserting before an item that shares its line",
            ));
        }
        let mut lines = Vec::new();
        self.render_item(item, *indent, offset, &mut lines);
        let mut text = String::new();
        for l in &lines {
            text.push_str(l);
            text.push_str(self.newline);
        }
        Ok(vec![Splice {
            start: line.start,
            end: line.start,
            text,
        }])
    }

    /// Removes entry `index` of the mapping `map`, with its value.
    pub(crate) fn remove_entry(&self, map: &Node, index: usize) -> Result<Vec<Splice>, YamlError> {
        let Kind::Map { entries, .. } = &map.kind else {
            return Err(self.unsupported(map.start, "removing a key from a non-mapping"));
        };
        let Some(e) = entries.get(index) else {
            return Ok(Vec::new());
        };
        let Some(line) = self.lines.get(e.key_line) else {
            return Ok(Vec::new());
        };
        if e.key_start == line.start + line.indent {
            let last = e.value.last_line.max(e.key_line);
            let end = self.lines.get(last).map_or(self.text.len(), |l| l.next);
            return Ok(vec![Splice {
                start: line.start,
                end,
                text: String::new(),
            }]);
        }
        match entries.get(index + 1) {
            Some(next) => Ok(vec![Splice {
                start: e.key_start,
                end: next.key_start,
                text: String::new(),
            }]),
            None => Err(self.unsupported(e.key_start, "removing the only key of a sequence item")),
        }
    }

    fn insert_under(&self, owner: Owner<'_>, lines: &[String]) -> Splice {
        match owner {
            Owner::Entry(e) => self.insert_after_line(e.key_line, lines),
            Owner::Node(n) => self.insert_after_line(n.last_line, lines),
            Owner::Root => {
                let at = self.body_end;
                let needs_break = at > 0 && !self.text.get(..at).is_some_and(|t| t.ends_with('\n'));
                let mut text = String::new();
                if needs_break {
                    text.push_str(self.newline);
                }
                for l in lines {
                    text.push_str(l);
                    text.push_str(self.newline);
                }
                Splice {
                    start: at,
                    end: at,
                    text,
                }
            }
        }
    }

    fn replace_empty_flow(
        &self,
        owner: Owner<'_>,
        node: &Node,
        lines: &[String],
    ) -> Result<Vec<Splice>, YamlError> {
        match owner {
            Owner::Entry(e) => {
                let mut start = node.start;
                let b = self.text.as_bytes();
                while start > e.colon_end && matches!(b.get(start - 1), Some(b' ' | b'\t')) {
                    start -= 1;
                }
                if node.anchor.is_some() {
                    return Err(self.unsupported(node.start, "an anchored empty flow collection"));
                }
                Ok(vec![
                    Splice {
                        start,
                        end: node.end,
                        text: String::new(),
                    },
                    self.insert_after_line(e.key_line, lines),
                ])
            }
            Owner::Node(_) => {
                Err(self.unsupported(node.start, "filling an empty flow collection here"))
            }
            Owner::Root => {
                let li = self.line_at(node.start);
                let at_line_start = self.lines.get(li).is_some_and(|l| l.start == node.start);
                if !at_line_start {
                    return Err(
                        self.unsupported(node.start, "an indented top-level flow collection")
                    );
                }
                Ok(vec![Splice {
                    start: node.start,
                    end: node.end,
                    text: lines.join(self.newline),
                }])
            }
        }
    }

    /// Inserts whole lines after line `li` (0-based).
    fn insert_after_line(&self, li: usize, lines: &[String]) -> Splice {
        let (at, terminated) = self
            .lines
            .get(li)
            .map_or((self.text.len(), true), |l| (l.next, l.terminated()));
        let mut text = String::new();
        if terminated {
            for l in lines {
                text.push_str(l);
                text.push_str(self.newline);
            }
        } else {
            for l in lines {
                text.push_str(self.newline);
                text.push_str(l);
            }
        }
        Splice {
            start: at,
            end: at,
            text,
        }
    }

    fn render_entry(&self, key: &str, value: &NewValue, indent: usize, out: &mut Vec<String>) {
        let sp = " ".repeat(indent);
        let key = render_key(key);
        match value {
            NewValue::Scalar(v) => {
                out.push(format!("{sp}{key}: {}", render_scalar(v, Style::Plain)))
            }
            NewValue::Literal(v) => out.push(format!("{sp}{key}: {v}")),
            NewValue::Map(children) if children.is_empty() => out.push(format!("{sp}{key}: {{}}")),
            NewValue::Seq(items) if items.is_empty() => out.push(format!("{sp}{key}: []")),
            NewValue::Map(children) => {
                out.push(format!("{sp}{key}:"));
                for (k, v) in children {
                    self.render_entry(k, v, indent + self.step, out);
                }
            }
            NewValue::Seq(items) => {
                out.push(format!("{sp}{key}:"));
                for item in items {
                    self.render_item(item, indent + self.seq_offset, 2, out);
                }
            }
        }
    }

    fn render_item(&self, value: &NewValue, dash: usize, offset: usize, out: &mut Vec<String>) {
        let sp = " ".repeat(dash);
        let offset = offset.max(2);
        match value {
            NewValue::Scalar(v) => out.push(format!("{sp}- {}", render_scalar(v, Style::Plain))),
            NewValue::Literal(v) => out.push(format!("{sp}- {v}")),
            NewValue::Map(children) if children.is_empty() => out.push(format!("{sp}- {{}}")),
            NewValue::Seq(items) if items.is_empty() => out.push(format!("{sp}- []")),
            NewValue::Map(children) => {
                let mut inner = Vec::new();
                for (k, v) in children {
                    self.render_entry(k, v, dash + offset, &mut inner);
                }
                for (i, line) in inner.into_iter().enumerate() {
                    if i == 0 {
                        let rest = line.get(dash + offset..).unwrap_or("");
                        out.push(format!("{sp}-{}{rest}", " ".repeat(offset - 1)));
                    } else {
                        out.push(line);
                    }
                }
            }
            NewValue::Seq(items) => {
                out.push(format!("{sp}-"));
                for item in items {
                    self.render_item(item, dash + 2, 2, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_entry<'d>(doc: &'d Document<'_>, key: &str) -> &'d Entry {
        let Kind::Map { entries, .. } = &doc.root.kind else {
            panic!("root is not a map")
        };
        entries.iter().find(|e| e.key == key).unwrap()
    }

    #[test]
    fn replaces_a_scalar_and_nothing_else() {
        let mut ed = Editor::new("a: 1 # one\nb: 'x'   # keep\n");
        let doc = ed.doc().unwrap();
        let s = doc
            .set_scalar(&root_entry(&doc, "b").value, "it's")
            .unwrap();
        ed.apply(s).unwrap();
        assert_eq!(ed.text(), "a: 1 # one\nb: 'it''s'   # keep\n");
    }

    #[test]
    fn inserts_nested_keys_with_the_file_indentation() {
        let mut ed = Editor::new("image:\n    repo: x\n");
        let doc = ed.doc().unwrap();
        let s = doc
            .insert_entry(
                Owner::Root,
                "other",
                &NewValue::Map(vec![("tag".into(), NewValue::Scalar("1.20".into()))]),
            )
            .unwrap();
        ed.apply(s).unwrap();
        assert_eq!(
            ed.text(),
            "image:\n    repo: x\nother:\n    tag: \"1.20\"\n"
        );
    }

    #[test]
    fn appends_map_items_like_the_existing_ones() {
        let mut ed = Editor::new("images:\n  - name: a\n    newTag: b\n");
        let doc = ed.doc().unwrap();
        let item = NewValue::Map(vec![
            ("name".into(), NewValue::Scalar("c".into())),
            ("newTag".into(), NewValue::Scalar("d".into())),
        ]);
        let s = doc
            .append_item(Owner::Entry(root_entry(&doc, "images")), &item)
            .unwrap();
        ed.apply(s).unwrap();
        assert_eq!(
            ed.text(),
            "images:\n  - name: a\n    newTag: b\n  - name: c\n    newTag: d\n"
        );
    }

    #[test]
    fn fills_an_empty_value_and_keeps_a_missing_final_newline() {
        let mut ed = Editor::new("a: 1\nimages:");
        let doc = ed.doc().unwrap();
        let s = doc
            .append_item(
                Owner::Entry(root_entry(&doc, "images")),
                &NewValue::Scalar("x".into()),
            )
            .unwrap();
        ed.apply(s).unwrap();
        assert_eq!(ed.text(), "a: 1\nimages:\n- x");
    }

    #[test]
    fn removes_an_entry_with_its_lines() {
        let mut ed = Editor::new("- name: a\n  newTag: b\n  digest: c\n");
        let doc = ed.doc().unwrap();
        let Kind::Seq { items, .. } = &doc.root.kind else {
            panic!("not a seq")
        };
        let s = doc.remove_entry(&items[0], 1).unwrap();
        ed.apply(s).unwrap();
        assert_eq!(ed.text(), "- name: a\n  digest: c\n");
    }
}
