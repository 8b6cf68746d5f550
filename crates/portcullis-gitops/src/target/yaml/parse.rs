//! Reads the block structure of the first YAML document of a text, recording for every node
//! where its text starts and ends (bytes) and which lines it occupies.
//!
//! Only the structure needed for editing is decoded: mapping keys and scalar values.
//! Constructs outside the supported subset (explicit `?` keys, flow or alias keys, content
//! on a `---` line, tab indentation) are refused with [`YamlError::Unsupported`]; text that
//! is not YAML at all with [`YamlError::Syntax`]. Recursion is bounded, so no input can
//! exhaust the stack.

use super::scalar::{decode_double, decode_single, fold_lines};

/// How deep block collections may nest before the document is refused.
const MAX_DEPTH: usize = 128;

/// Why a text cannot be edited as YAML. Lines are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum YamlError {
    /// The text is not well-formed YAML at this line.
    #[error("line {line}: {detail}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What is wrong there.
        detail: &'static str,
    },
    /// Valid YAML, but outside what the format-preserving editor handles.
    #[error(
        "line {line}: {construct} is not supported by the write-back editor (rewrite it in block style)"
    )]
    Unsupported {
        /// 1-based line number.
        line: usize,
        /// The construct found there.
        construct: &'static str,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Blank,
    Comment,
    Content,
}

/// One physical line: byte offsets of its start, the end of its content (before `\r\n` or
/// `\n`) and the start of the next line, and its indentation in spaces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) next: usize,
    pub(crate) indent: usize,
    kind: LineKind,
}

impl Line {
    /// Whether the line ends with a line break (the last line of a file may not).
    pub(crate) fn terminated(&self) -> bool {
        self.next > self.end
    }
}

/// The quoting style of a scalar as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Single,
    Double,
    Block,
}

/// What a node is.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// No value at all (`key:` with nothing after it, `-` alone, an empty document).
    Null,
    /// A scalar and its decoded value.
    Scalar { value: String, style: Style },
    /// A block mapping whose keys sit at column `indent`.
    Map { indent: usize, entries: Vec<Entry> },
    /// A block sequence whose dashes sit at column `indent`, on lines `dashes`.
    Seq {
        indent: usize,
        items: Vec<Node>,
        dashes: Vec<usize>,
    },
    /// A flow collection, kept opaque; `empty` when it is `{}` or `[]`.
    Flow { map: bool, empty: bool },
    /// `*name`.
    Alias(String),
}

/// A node and where its text is. For [`Kind::Null`], `start == end` is where a value would go.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) anchor: Option<String>,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) first_line: usize,
    pub(crate) last_line: usize,
}

/// One `key: value` of a block mapping.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_start: usize,
    pub(crate) key_col: usize,
    pub(crate) key_line: usize,
    pub(crate) colon_end: usize,
    pub(crate) value: Node,
}

/// The first document of a text, parsed.
#[derive(Debug)]
pub(crate) struct Document<'a> {
    pub(crate) text: &'a str,
    pub(crate) lines: Vec<Line>,
    pub(crate) root: Node,
    /// Byte offset where the document's content region ends (a `---`/`...` line or EOF).
    pub(crate) body_end: usize,
    /// Whether another document follows the first.
    pub(crate) more_documents: bool,
    /// The line break the file uses.
    pub(crate) newline: &'static str,
    /// Columns a nested mapping is indented by, as the file does it (default 2).
    pub(crate) step: usize,
    /// Columns a sequence under a key is indented by relative to the key (0 or `step`).
    pub(crate) seq_offset: usize,
}

impl<'a> Document<'a> {
    /// Parses the first document of `text`.
    pub(crate) fn parse(text: &'a str) -> Result<Self, YamlError> {
        let lines = split_lines(text);
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < lines.len() {
            let l = lines[i];
            let directive =
                l.kind == LineKind::Content && l.indent == 0 && byte(bytes, l.start) == b'%';
            if l.kind == LineKind::Content && !directive {
                break;
            }
            i += 1;
        }
        let mut body_start = i;
        if i < lines.len() && is_marker(bytes, lines[i], b"---") {
            let rest = text
                .get(lines[i].start + 3..lines[i].end)
                .unwrap_or("")
                .trim();
            if !rest.is_empty() && !rest.starts_with('#') {
                return Err(YamlError::Unsupported {
                    line: i + 1,
                    construct: "content on the '---' line",
                });
            }
            body_start = i + 1;
        }
        let mut body_end_line = lines.len();
        let mut more_documents = false;
        for (j, l) in lines.iter().enumerate().skip(body_start) {
            if is_marker(bytes, *l, b"---") || is_marker(bytes, *l, b"...") {
                body_end_line = j;
                // Another document: a `---`, or any content after a `...`.
                more_documents = is_marker(bytes, *l, b"---")
                    || lines
                        .get(j + 1..)
                        .unwrap_or_default()
                        .iter()
                        .any(|m| m.kind == LineKind::Content);
                break;
            }
        }
        let body_end = lines.get(body_end_line).map_or(text.len(), |l| l.start);
        let mut p = Parser {
            text,
            b: bytes,
            lines: &lines,
            end_line: body_end_line,
            depth: 0,
        };
        let root = match p.next_content(body_start) {
            None => Node {
                kind: Kind::Null,
                anchor: None,
                start: body_end,
                end: body_end,
                first_line: body_end_line.saturating_sub(1),
                last_line: body_end_line.saturating_sub(1),
            },
            Some(j) => {
                let node = p.parse_node(j, lines[j].indent, -1)?;
                if let Some(k) = p.next_content(node.last_line + 1) {
                    return Err(YamlError::Syntax {
                        line: k + 1,
                        detail: "content after the end of the top-level value",
                    });
                }
                node
            }
        };
        let (step, seq_offset) = detect_style(&root, &lines);
        Ok(Self {
            text,
            lines,
            root,
            body_end,
            more_documents,
            newline,
            step,
            seq_offset,
        })
    }

    /// The line holding byte `offset`.
    pub(crate) fn line_at(&self, offset: usize) -> usize {
        line_of(&self.lines, offset)
    }
}

/// Finds the indentation habits of a file: how far nested mappings are indented, and
/// whether sequences under a key are indented or written at the key's column.
impl Node {
    /// The entries, when this is a block mapping.
    pub(crate) fn entries(&self) -> Option<&[Entry]> {
        match &self.kind {
            Kind::Map { entries, .. } => Some(entries),
            _ => None,
        }
    }

    /// The first entry with this key, when this is a block mapping.
    pub(crate) fn get(&self, key: &str) -> Option<&Entry> {
        self.entries()?.iter().find(|e| e.key == key)
    }

    /// The items, when this is a block sequence.
    pub(crate) fn items(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq { items, .. } => Some(items),
            _ => None,
        }
    }

    /// The decoded value, when this is a scalar.
    pub(crate) fn scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Whether the node is empty: nothing, `{}` or `[]`.
    pub(crate) fn is_empty_value(&self) -> bool {
        matches!(self.kind, Kind::Null | Kind::Flow { empty: true, .. })
    }
}

impl Document<'_> {
    /// The node carrying `&name`, searched depth-first.
    pub(crate) fn anchored(&self, name: &str) -> Option<&Node> {
        let mut stack = vec![&self.root];
        while let Some(n) = stack.pop() {
            if n.anchor.as_deref() == Some(name) {
                return Some(n);
            }
            match &n.kind {
                Kind::Map { entries, .. } => stack.extend(entries.iter().rev().map(|e| &e.value)),
                Kind::Seq { items, .. } => stack.extend(items.iter().rev()),
                _ => {}
            }
        }
        None
    }

    /// `node`, or the node its alias names (one level, as Image Updater follows them).
    pub(crate) fn deref<'n>(&'n self, node: &'n Node) -> Option<&'n Node> {
        match &node.kind {
            Kind::Alias(name) => self.anchored(name),
            _ => Some(node),
        }
    }
}

fn detect_style(root: &Node, lines: &[Line]) -> (usize, usize) {
    let mut step = None;
    let mut seq = None;
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        match &n.kind {
            Kind::Map { entries, .. } => {
                for e in entries {
                    let below = e.value.first_line > e.key_line;
                    match &e.value.kind {
                        Kind::Map { indent, .. }
                            if below && step.is_none() && *indent > e.key_col =>
                        {
                            step = Some(indent - e.key_col);
                        }
                        Kind::Seq { indent, .. }
                            if below && seq.is_none() && *indent >= e.key_col =>
                        {
                            seq = Some(indent - e.key_col);
                        }
                        _ => {}
                    }
                }
                // Depth-first in document order: the first habit found wins.
                stack.extend(entries.iter().rev().map(|e| &e.value));
            }
            Kind::Seq { items, .. } => stack.extend(items.iter().rev()),
            _ => {}
        }
    }
    let _ = lines;
    (step.unwrap_or(2), seq.unwrap_or(0))
}

fn byte(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn is_marker(b: &[u8], l: Line, marker: &[u8; 3]) -> bool {
    l.indent == 0
        && b.get(l.start..l.start + 3) == Some(&marker[..])
        && (l.start + 3 >= l.end || matches!(byte(b, l.start + 3), b' ' | b'\t'))
}

fn split_lines(text: &str) -> Vec<Line> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    // A byte-order mark stays in the file but is no part of the first line's content.
    let mut start = if b.starts_with("\u{feff}".as_bytes()) {
        3
    } else {
        0
    };
    while start < b.len() {
        let nl = b[start..]
            .iter()
            .position(|&c| c == b'\n')
            .map(|p| start + p);
        let (mut end, next) = match nl {
            Some(p) => (p, p + 1),
            None => (b.len(), b.len()),
        };
        if end > start && b[end - 1] == b'\r' {
            end -= 1;
        }
        let indent = b[start..end].iter().take_while(|&&c| c == b' ').count();
        let rest = &b[start + indent..end];
        let first = rest.iter().find(|&&c| c != b' ' && c != b'\t').copied();
        let kind = match first {
            None => LineKind::Blank,
            Some(b'#') => LineKind::Comment,
            Some(_) => LineKind::Content,
        };
        out.push(Line {
            start,
            end,
            next,
            indent,
            kind,
        });
        start = next;
    }
    out
}

fn line_of(lines: &[Line], offset: usize) -> usize {
    lines
        .partition_point(|l| l.start <= offset)
        .saturating_sub(1)
}

struct Parser<'a, 'l> {
    text: &'a str,
    b: &'a [u8],
    lines: &'l [Line],
    end_line: usize,
    depth: usize,
}

impl Parser<'_, '_> {
    fn next_content(&self, from: usize) -> Option<usize> {
        (from..self.end_line).find(|&j| self.lines[j].kind == LineKind::Content)
    }

    fn line_end(&self, li: usize) -> usize {
        self.lines.get(li).map_or(self.b.len(), |l| l.end)
    }

    fn col(&self, li: usize, pos: usize) -> usize {
        pos.saturating_sub(self.lines.get(li).map_or(0, |l| l.start))
    }

    fn syntax(li: usize, detail: &'static str) -> YamlError {
        YamlError::Syntax {
            line: li + 1,
            detail,
        }
    }

    fn unsupported(li: usize, construct: &'static str) -> YamlError {
        YamlError::Unsupported {
            line: li + 1,
            construct,
        }
    }

    fn is_dash(&self, pos: usize, end: usize) -> bool {
        byte(self.b, pos) == b'-'
            && (pos + 1 >= end || matches!(byte(self.b, pos + 1), b' ' | b'\t'))
    }

    fn skip_blanks(&self, mut pos: usize, end: usize) -> usize {
        while pos < end && matches!(byte(self.b, pos), b' ' | b'\t') {
            pos += 1;
        }
        pos
    }

    /// Whether only blanks and a comment follow `pos` on its line.
    fn check_trailing(&self, li: usize, pos: usize) -> Result<(), YamlError> {
        let end = self.line_end(li);
        let p = self.skip_blanks(pos, end);
        if p >= end || (byte(self.b, p) == b'#' && p > pos) {
            Ok(())
        } else {
            Err(Self::syntax(li, "unexpected text after a value"))
        }
    }

    /// A node that starts at column `col` of line `li`. Continuation lines of a plain
    /// scalar there must be indented more than `parent`.
    fn parse_node(&mut self, li: usize, col: usize, parent: isize) -> Result<Node, YamlError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Self::unsupported(li, "nesting deeper than 128 levels"));
        }
        let result = self.parse_node_inner(li, col, parent);
        self.depth -= 1;
        result
    }

    fn parse_node_inner(
        &mut self,
        li: usize,
        col: usize,
        parent: isize,
    ) -> Result<Node, YamlError> {
        let line = self.lines[li];
        let pos = line.start + col;
        let c = byte(self.b, pos);
        if c == b'\t' {
            return Err(Self::unsupported(li, "tab indentation"));
        }
        if c == b'?' && (pos + 1 >= line.end || matches!(byte(self.b, pos + 1), b' ' | b'\t')) {
            return Err(Self::unsupported(li, "an explicit '?' key"));
        }
        if self.is_dash(pos, line.end) {
            return self.parse_seq(li, col);
        }
        if matches!(c, b'&' | b'!') {
            return self.parse_value(li, pos, parent, None, false);
        }
        if self.key_colon(li, pos)?.is_some() {
            return self.parse_map(li, col);
        }
        self.parse_inline(li, pos, parent)
    }

    /// Finds the `:` ending a mapping key that starts at `pos`: `(key_end, colon)`.
    fn key_colon(&self, li: usize, pos: usize) -> Result<Option<(usize, usize)>, YamlError> {
        let end = self.line_end(li);
        let c = byte(self.b, pos);
        let is_colon = |i: usize| {
            byte(self.b, i) == b':' && (i + 1 >= end || matches!(byte(self.b, i + 1), b' ' | b'\t'))
        };
        match c {
            b'"' | b'\'' => {
                let close = if c == b'"' {
                    scan_double(self.b, pos + 1, end)
                } else {
                    scan_single(self.b, pos + 1, end)
                };
                let Some(close) = close else { return Ok(None) };
                let after = self.skip_blanks(close + 1, end);
                Ok(is_colon(after).then_some((close + 1, after)))
            }
            b'[' | b'{' => {
                // A flow collection used as a key: refuse rather than misread.
                let body_end = self
                    .lines
                    .get(self.end_line)
                    .map_or(self.b.len(), |l| l.start);
                let after =
                    scan_flow(self.b, pos, body_end).map_or(end, |c| self.skip_blanks(c + 1, end));
                if is_colon(after) {
                    return Err(Self::unsupported(li, "a flow collection as a mapping key"));
                }
                Ok(None)
            }
            b'*' | b'&' | b'!' | b'|' | b'>' | b'#' => Ok(None),
            _ => {
                let mut i = pos;
                while i < end {
                    let ch = byte(self.b, i);
                    if ch == b'#' && i > pos && matches!(byte(self.b, i - 1), b' ' | b'\t') {
                        return Ok(None);
                    }
                    if is_colon(i) {
                        let mut k = i;
                        while k > pos && matches!(byte(self.b, k - 1), b' ' | b'\t') {
                            k -= 1;
                        }
                        return Ok(Some((k, i)));
                    }
                    i += 1;
                }
                Ok(None)
            }
        }
    }

    fn parse_map(&mut self, li: usize, col: usize) -> Result<Node, YamlError> {
        let mut entries = Vec::new();
        let mut cur = li;
        let start = self.lines[li].start + col;
        let mut last = li;
        loop {
            let key_start = self.lines[cur].start + col;
            let Some((key_end, colon)) = self.key_colon(cur, key_start)? else {
                return Err(Self::syntax(
                    cur,
                    "expected 'key: value' at this indentation",
                ));
            };
            let raw = self.text.get(key_start..key_end).unwrap_or("");
            let key = match byte(self.b, key_start) {
                b'"' => decode_double(raw.get(1..raw.len().saturating_sub(1)).unwrap_or(""))
                    .ok_or_else(|| Self::syntax(cur, "bad escape in a double-quoted key"))?,
                b'\'' => decode_single(raw.get(1..raw.len().saturating_sub(1)).unwrap_or("")),
                _ => raw.to_owned(),
            };
            // YAML forbids a key twice in one mapping, and readers disagree on which one wins
            // (Helm takes the last): an edit of either would be a guess.
            if key != "<<" && entries.iter().any(|e: &Entry| e.key == key) {
                return Err(Self::syntax(cur, "this key appears twice in the mapping"));
            }
            let value = self.parse_value(cur, colon + 1, col as isize, Some(col), false)?;
            last = last.max(value.last_line).max(cur);
            entries.push(Entry {
                key,
                key_start,
                key_col: col,
                key_line: cur,
                colon_end: colon + 1,
                value,
            });
            let Some(j) = self.next_content(last + 1) else {
                break;
            };
            let ind = self.lines[j].indent;
            if ind < col
                || (ind == col && self.is_dash(self.lines[j].start + ind, self.lines[j].end))
            {
                break;
            }
            if ind > col {
                return Err(Self::syntax(j, "unexpected indentation"));
            }
            cur = j;
        }
        Ok(Node {
            kind: Kind::Map {
                indent: col,
                entries,
            },
            anchor: None,
            start,
            end: self.line_end(last),
            first_line: li,
            last_line: last,
        })
    }

    fn parse_seq(&mut self, li: usize, col: usize) -> Result<Node, YamlError> {
        let mut items = Vec::new();
        let mut dashes = Vec::new();
        let mut cur = li;
        let start = self.lines[li].start + col;
        let mut last = li;
        loop {
            let dash = self.lines[cur].start + col;
            let item = self.parse_value(cur, dash + 1, col as isize, None, true)?;
            last = last.max(item.last_line).max(cur);
            items.push(item);
            dashes.push(cur);
            let Some(j) = self.next_content(last + 1) else {
                break;
            };
            let l = self.lines[j];
            if l.indent < col {
                break;
            }
            if l.indent > col {
                return Err(Self::syntax(j, "unexpected indentation"));
            }
            if !self.is_dash(l.start + col, l.end) {
                break;
            }
            cur = j;
        }
        Ok(Node {
            kind: Kind::Seq {
                indent: col,
                items,
                dashes,
            },
            anchor: None,
            start,
            end: self.line_end(last),
            first_line: li,
            last_line: last,
        })
    }

    /// The value after a `:` or `-` at `pos` on line `li` (properties, then an inline
    /// value, or a block value on the following lines, or nothing).
    fn parse_value(
        &mut self,
        li: usize,
        pos: usize,
        parent: isize,
        compact_col: Option<usize>,
        seq_item: bool,
    ) -> Result<Node, YamlError> {
        let end = self.line_end(li);
        let mut p = self.skip_blanks(pos, end);
        let mut anchor = None;
        while p < end && matches!(byte(self.b, p), b'&' | b'!') {
            let tok_start = p;
            while p < end && !matches!(byte(self.b, p), b' ' | b'\t') {
                p += 1;
            }
            if byte(self.b, tok_start) == b'&' {
                anchor = Some(self.text.get(tok_start + 1..p).unwrap_or("").to_owned());
            }
            p = self.skip_blanks(p, end);
        }
        let mut node = if p >= end || (byte(self.b, p) == b'#' && p > pos) {
            match self.next_content(li + 1) {
                Some(j)
                    if (self.lines[j].indent as isize) > parent
                        || (Some(self.lines[j].indent) == compact_col
                            && self.is_dash(
                                self.lines[j].start + self.lines[j].indent,
                                self.lines[j].end,
                            )) =>
                {
                    self.parse_node(j, self.lines[j].indent, parent)?
                }
                _ => Node {
                    kind: Kind::Null,
                    anchor: None,
                    start: p.min(end),
                    end: p.min(end),
                    first_line: li,
                    last_line: li,
                },
            }
        } else if seq_item && (self.is_dash(p, end) || self.key_colon(li, p)?.is_some()) {
            let c = self.col(li, p);
            self.parse_node(li, c, parent)?
        } else {
            self.parse_inline(li, p, parent)?
        };
        if anchor.is_some() {
            node.anchor = anchor;
        }
        Ok(node)
    }

    /// A scalar, flow collection or alias starting at `pos` (not a block collection).
    fn parse_inline(&mut self, li: usize, pos: usize, parent: isize) -> Result<Node, YamlError> {
        let b = self.b;
        let c = byte(b, pos);
        let body_end = self.lines.get(self.end_line).map_or(b.len(), |l| l.start);
        let (kind, end) = match c {
            b'"' => {
                let close = scan_double(b, pos + 1, body_end)
                    .ok_or_else(|| Self::syntax(li, "unterminated double-quoted string"))?;
                let raw = self.text.get(pos + 1..close).unwrap_or("");
                let value = decode_double(raw)
                    .ok_or_else(|| Self::syntax(li, "bad escape in a double-quoted string"))?;
                (
                    Kind::Scalar {
                        value,
                        style: Style::Double,
                    },
                    close + 1,
                )
            }
            b'\'' => {
                let close = scan_single(b, pos + 1, body_end)
                    .ok_or_else(|| Self::syntax(li, "unterminated single-quoted string"))?;
                let raw = self.text.get(pos + 1..close).unwrap_or("");
                (
                    Kind::Scalar {
                        value: decode_single(raw),
                        style: Style::Single,
                    },
                    close + 1,
                )
            }
            b'[' | b'{' => {
                let close = scan_flow(b, pos, body_end)
                    .ok_or_else(|| Self::syntax(li, "unterminated flow collection"))?;
                let inner = self.text.get(pos + 1..close).unwrap_or("");
                (
                    Kind::Flow {
                        map: c == b'{',
                        empty: inner.trim().is_empty(),
                    },
                    close + 1,
                )
            }
            b'*' => {
                let line_end = self.line_end(li);
                let mut e = pos + 1;
                while e < line_end && !matches!(byte(b, e), b' ' | b'\t' | b',' | b']' | b'}') {
                    e += 1;
                }
                (
                    Kind::Alias(self.text.get(pos + 1..e).unwrap_or("").to_owned()),
                    e,
                )
            }
            b'|' | b'>' => return self.parse_block_scalar(li, pos, parent),
            _ => return self.parse_plain(li, pos, parent),
        };
        let last_line = line_of(self.lines, end.saturating_sub(1)).max(li);
        self.check_trailing(last_line, end)?;
        Ok(Node {
            kind,
            anchor: None,
            start: pos,
            end,
            first_line: li,
            last_line,
        })
    }

    fn parse_block_scalar(
        &mut self,
        li: usize,
        pos: usize,
        parent: isize,
    ) -> Result<Node, YamlError> {
        let mut last = li;
        let mut j = li + 1;
        let mut body = Vec::new();
        while j < self.end_line {
            let l = self.lines[j];
            let blank = l.kind == LineKind::Blank;
            if !blank && (l.indent as isize) <= parent {
                break;
            }
            if !blank {
                last = j;
            }
            body.push(self.text.get(l.start..l.end).unwrap_or(""));
            j += 1;
        }
        let keep = last - li;
        body.truncate(keep);
        let indent = body
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.len() - s.trim_start_matches(' ').len())
            .min()
            .unwrap_or(0);
        let value = body
            .iter()
            .map(|s| s.get(indent..).unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        Ok(Node {
            kind: Kind::Scalar {
                value,
                style: Style::Block,
            },
            anchor: None,
            start: pos,
            end: self.line_end(last),
            first_line: li,
            last_line: last,
        })
    }

    fn parse_plain(&mut self, li: usize, pos: usize, parent: isize) -> Result<Node, YamlError> {
        let b = self.b;
        let first_end = plain_end(b, pos, self.line_end(li));
        let first = self.text.get(pos..first_end).unwrap_or("");
        if first.contains(": ") || first.ends_with(':') {
            return Err(Self::syntax(li, "a mapping value is not allowed here"));
        }
        let mut parts = vec![first.to_owned()];
        let mut end = first_end;
        let mut last = li;
        // The first line ended in a comment: the scalar cannot continue.
        let commented = {
            let p = self.skip_blanks(first_end, self.line_end(li));
            p < self.line_end(li) && byte(b, p) == b'#'
        };
        let mut j = li + 1;
        let mut blanks = 0;
        while !commented && j < self.end_line {
            let l = self.lines[j];
            match l.kind {
                LineKind::Blank => {
                    blanks += 1;
                    j += 1;
                    continue;
                }
                LineKind::Comment => break,
                LineKind::Content => {}
            }
            if (l.indent as isize) <= parent {
                break;
            }
            let s = l.start + l.indent;
            if self.key_colon(j, s)?.is_some() {
                return Err(Self::syntax(
                    j,
                    "a mapping key inside a multi-line plain scalar",
                ));
            }
            let e = plain_end(b, s, l.end);
            for _ in 0..blanks {
                parts.push(String::new());
            }
            blanks = 0;
            parts.push(self.text.get(s..e).unwrap_or("").to_owned());
            end = e;
            last = j;
            let p = self.skip_blanks(e, l.end);
            if p < l.end {
                // A comment ends the scalar.
                break;
            }
            j += 1;
        }
        Ok(Node {
            kind: Kind::Scalar {
                value: fold_lines(&parts),
                style: Style::Plain,
            },
            anchor: None,
            start: pos,
            end,
            first_line: li,
            last_line: last,
        })
    }
}

/// End of a plain scalar's text on one line: before ` #` or the line end, trailing blanks
/// dropped.
fn plain_end(b: &[u8], pos: usize, line_end: usize) -> usize {
    let mut i = pos;
    while i < line_end {
        if byte(b, i) == b'#' && i > pos && matches!(byte(b, i - 1), b' ' | b'\t') {
            break;
        }
        i += 1;
    }
    while i > pos && matches!(byte(b, i - 1), b' ' | b'\t') {
        i -= 1;
    }
    i
}

/// Index of the closing `"` of a double-quoted string whose content starts at `from`.
fn scan_double(b: &[u8], from: usize, limit: usize) -> Option<usize> {
    let mut i = from;
    while i < limit {
        match byte(b, i) {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Index of the closing `'` of a single-quoted string whose content starts at `from`.
fn scan_single(b: &[u8], from: usize, limit: usize) -> Option<usize> {
    let mut i = from;
    while i < limit {
        if byte(b, i) == b'\'' {
            if byte(b, i + 1) == b'\'' && i + 1 < limit {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Index of the bracket closing the flow collection opened at `open`.
fn scan_flow(b: &[u8], open: usize, limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < limit {
        match byte(b, i) {
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            b'"' => i = scan_double(b, i + 1, limit)?,
            b'\'' => i = scan_single(b, i + 1, limit)?,
            b'#' if matches!(byte(b, i.wrapping_sub(1)), b' ' | b'\t' | b'\n') => {
                while i < limit && byte(b, i) != b'\n' {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_keys(n: &Node) -> Vec<String> {
        match &n.kind {
            Kind::Map { entries, .. } => entries.iter().map(|e| e.key.clone()).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn reads_nested_maps_and_compact_sequences() {
        let text = "# head\n---\na: 1\nb:\n  c: \"x\" # note\n  d:\n  - e: 1\n    f: 2\n  - g\n\"h i\": 'j'\n";
        let doc = Document::parse(text).unwrap();
        assert_eq!(map_keys(&doc.root), ["a", "b", "h i"]);
        let Kind::Map { entries, .. } = &doc.root.kind else {
            panic!("root is not a map")
        };
        let Kind::Map { entries: inner, .. } = &entries[1].value.kind else {
            panic!("b is not a map")
        };
        assert!(
            matches!(&inner[0].value.kind, Kind::Scalar { value, style: Style::Double } if value == "x")
        );
        assert!(
            matches!(&inner[1].value.kind, Kind::Seq { indent: 2, items, .. } if items.len() == 2)
        );
        assert_eq!(doc.step, 2);
        assert_eq!(doc.seq_offset, 0);
    }

    #[test]
    fn block_scalars_keep_comment_like_lines_inside() {
        let text = "a: |\n  # not a comment\n  x: y\nb: 2\n";
        let doc = Document::parse(text).unwrap();
        assert_eq!(map_keys(&doc.root), ["a", "b"]);
    }

    #[test]
    fn refuses_what_it_cannot_edit_safely() {
        assert!(matches!(
            Document::parse("? a\n: b\n"),
            Err(YamlError::Unsupported { line: 1, .. })
        ));
        assert!(matches!(
            Document::parse("a: 1\n   b: 2\n"),
            Err(YamlError::Syntax { line: 2, .. })
        ));
        assert!(Document::parse("a: \"open\n").is_err());
    }

    #[test]
    fn stops_at_the_next_document() {
        let doc = Document::parse("a: 1\n---\nb: 2\n").unwrap();
        assert!(doc.more_documents);
        assert_eq!(map_keys(&doc.root), ["a"]);
    }
}
