//! Splitting a template into text and `{{ actions }}` (with Go's `{{- ` / ` -}}` trimming
//! and `{{/* comments */}}`), and actions into tokens with their positions.

use super::error::{Problem, TemplateError};

/// A piece of the template source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    /// Literal text, already trimmed by neighbouring trim markers.
    Text(String),
    /// The tokens of one action, and the byte offset of its `{{`.
    Action { tokens: Vec<Token>, at: usize },
}

/// One token of an action. `start..end` are byte offsets in the template source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: Tok,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// `.` alone.
    Dot,
    /// `.Name`.
    Field(String),
    /// `$` or `$name`.
    Var(String),
    /// A name: a keyword, function, `true`, `false` or `nil`.
    Ident(String),
    /// A string literal, unquoted.
    Str(String),
    /// An integer literal.
    Int(i64),
    LParen,
    RParen,
    Pipe,
    Declare,
    Assign,
    Comma,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Splits `src` into text and actions.
pub(crate) fn split(name: &str, src: &str) -> Result<Vec<Item>, TemplateError> {
    let b = src.as_bytes();
    let mut items = Vec::new();
    let mut pos = 0;
    let mut trim_next = false;
    while pos <= b.len() {
        let open = src.get(pos..).and_then(|s| s.find("{{")).map(|i| pos + i);
        let text_end = open.unwrap_or(b.len());
        let mut text = src.get(pos..text_end).unwrap_or("");
        if trim_next {
            text = text.trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
        }
        let Some(open) = open else {
            if !text.is_empty() {
                items.push(Item::Text(text.to_owned()));
            }
            break;
        };
        let mut inner = open + 2;
        let trim_left =
            b.get(inner) == Some(&b'-') && b.get(inner + 1).is_some_and(|c| is_space(*c));
        if trim_left {
            text = text.trim_end_matches(|c: char| c.is_ascii() && is_space(c as u8));
            inner += 2;
        }
        if !text.is_empty() {
            items.push(Item::Text(text.to_owned()));
        }
        let close = find_close(name, src, open, inner)?;
        let trim_right = close >= 2
            && close - 2 >= inner
            && b.get(close - 1) == Some(&b'-')
            && b.get(close - 2).is_some_and(|c| is_space(*c));
        let body_end = if trim_right { close - 1 } else { close };
        let body = src.get(inner..body_end).unwrap_or("");
        let trimmed = body.trim_matches(|c: char| c.is_ascii() && is_space(c as u8));
        if trimmed.starts_with("/*") {
            if !trimmed.ends_with("*/") || trimmed.len() < 4 {
                return Err(TemplateError::at(name, src, open, Problem::UnclosedComment));
            }
        } else {
            let tokens = tokenize(name, src, inner, body_end)?;
            items.push(Item::Action { tokens, at: open });
        }
        trim_next = trim_right;
        pos = close + 2;
    }
    Ok(items)
}

/// The offset of the `}}` closing an action whose content starts at `from`, skipping
/// string literals and comments.
fn find_close(name: &str, src: &str, open: usize, from: usize) -> Result<usize, TemplateError> {
    let b = src.as_bytes();
    let mut i = from;
    let rest = src.get(from..).unwrap_or("").trim_start();
    if rest.starts_with("/*") {
        return match src.get(from..).and_then(|s| s.find("*/")) {
            Some(c) => {
                let after = from + c + 2;
                src.get(after..)
                    .and_then(|s| s.find("}}"))
                    .map(|k| after + k)
                    .ok_or_else(|| TemplateError::at(name, src, open, Problem::UnclosedAction))
            }
            None => Err(TemplateError::at(name, src, open, Problem::UnclosedComment)),
        };
    }
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    if b[i.min(b.len() - 1)] == b'\n' {
                        return Err(TemplateError::at(name, src, i, Problem::UnclosedString));
                    }
                    i += 1;
                }
                if i >= b.len() {
                    return Err(TemplateError::at(name, src, open, Problem::UnclosedString));
                }
            }
            b'`' => {
                i += 1;
                while i < b.len() && b[i] != b'`' {
                    i += 1;
                }
                if i >= b.len() {
                    return Err(TemplateError::at(name, src, open, Problem::UnclosedString));
                }
            }
            b'}' if b.get(i + 1) == Some(&b'}') => return Ok(i),
            _ => {}
        }
        i += 1;
    }
    Err(TemplateError::at(name, src, open, Problem::UnclosedAction))
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn tokenize(name: &str, src: &str, from: usize, to: usize) -> Result<Vec<Token>, TemplateError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = from;
    let word_end = |mut j: usize| {
        while j < to && is_ident(b[j]) {
            j += 1;
        }
        j
    };
    while i < to {
        let c = b[i];
        let start = i;
        let kind = match c {
            c if is_space(c) => {
                i += 1;
                continue;
            }
            b'.' => {
                let e = word_end(i + 1);
                if e == i + 1 {
                    if b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                        return Err(TemplateError::at(
                            name,
                            src,
                            i,
                            Problem::Unsupported("floating-point numbers"),
                        ));
                    }
                    i += 1;
                    Tok::Dot
                } else {
                    let f = src.get(i + 1..e).unwrap_or("").to_owned();
                    i = e;
                    Tok::Field(f)
                }
            }
            b'$' => {
                let e = word_end(i + 1);
                let v = src.get(i + 1..e).unwrap_or("").to_owned();
                i = e;
                Tok::Var(v)
            }
            b'"' => {
                let mut j = i + 1;
                let mut s = String::new();
                while j < to && b[j] != b'"' {
                    if b[j] == b'\\' {
                        let (ch, len) = unescape(src, j)
                            .ok_or_else(|| TemplateError::at(name, src, j, Problem::BadEscape))?;
                        s.push(ch);
                        j += len;
                    } else {
                        let ch = src
                            .get(j..)
                            .and_then(|r| r.chars().next())
                            .unwrap_or('\u{fffd}');
                        s.push(ch);
                        j += ch.len_utf8();
                    }
                }
                if j >= to {
                    return Err(TemplateError::at(name, src, i, Problem::UnclosedString));
                }
                i = j + 1;
                Tok::Str(s)
            }
            b'`' => {
                let rest = src.get(i + 1..to).unwrap_or("");
                let Some(e) = rest.find('`') else {
                    return Err(TemplateError::at(name, src, i, Problem::UnclosedString));
                };
                i = i + 1 + e + 1;
                Tok::Str(rest[..e].to_owned())
            }
            b'-' | b'0'..=b'9' => {
                let mut j = if c == b'-' { i + 1 } else { i };
                while j < to && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.') {
                    j += 1;
                }
                let text = src.get(i..j).unwrap_or("");
                let n = text.replace('_', "").parse::<i64>().map_err(|_| {
                    TemplateError::at(name, src, i, Problem::BadNumber(text.to_owned()))
                })?;
                i = j;
                Tok::Int(n)
            }
            b'(' => {
                i += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                Tok::RParen
            }
            b'|' => {
                i += 1;
                Tok::Pipe
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            b':' if b.get(i + 1) == Some(&b'=') => {
                i += 2;
                Tok::Declare
            }
            b'=' => {
                i += 1;
                Tok::Assign
            }
            c if is_ident(c) => {
                let e = word_end(i);
                let w = src.get(i..e).unwrap_or("").to_owned();
                i = e;
                Tok::Ident(w)
            }
            _ => {
                let ch = src.get(i..).and_then(|r| r.chars().next()).unwrap_or('?');
                return Err(TemplateError::at(name, src, i, Problem::BadCharacter(ch)));
            }
        };
        out.push(Token {
            kind,
            start,
            end: i,
        });
    }
    Ok(out)
}

/// A Go escape sequence at `at` (the backslash): the character and the bytes it spans.
fn unescape(src: &str, at: usize) -> Option<(char, usize)> {
    let b = src.as_bytes();
    let e = *b.get(at + 1)?;
    let hex = |n: usize| -> Option<(char, usize)> {
        let h = src.get(at + 2..at + 2 + n)?;
        Some((char::from_u32(u32::from_str_radix(h, 16).ok()?)?, n + 2))
    };
    Some(match e {
        b'n' => ('\n', 2),
        b't' => ('\t', 2),
        b'r' => ('\r', 2),
        b'\\' => ('\\', 2),
        b'"' => ('"', 2),
        b'\'' => ('\'', 2),
        b'a' => ('\x07', 2),
        b'b' => ('\x08', 2),
        b'f' => ('\x0c', 2),
        b'v' => ('\x0b', 2),
        b'x' => return hex(2),
        b'u' => return hex(4),
        b'U' => return hex(8),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_around_dashed_delimiters() {
        let items = split("t", "a \n{{- .X -}}\n b{{/* c */}}").unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0], Item::Text("a".into()));
        assert_eq!(items[2], Item::Text("b".into()));
    }

    #[test]
    fn reports_unclosed_actions_with_a_position() {
        let err = split("t", "ok\n  {{ .X").unwrap_err();
        assert_eq!(err.to_string(), "template t:2:3: unclosed action");
    }
}
