//! Scalar text: decoding quoted and folded scalars, and writing a value back so that every
//! YAML reader (1.1 as Helm's, 1.2 as kustomize's) reads the same string.
//!
//! A value is written plain only when no reader could take it for anything but that string
//! (`1.20`, `true`, `yes`, `~`, `0x1F`, `1:20` and dates are quoted); otherwise it is
//! double-quoted, or single-quoted when the original was single-quoted.

use super::parse::Style;

/// Renders `value` as a scalar, keeping the original quoting `style` when it can.
pub(crate) fn render_scalar(value: &str, style: Style) -> String {
    match style {
        Style::Plain | Style::Block if is_safe_plain(value) => value.to_owned(),
        Style::Single if !value.chars().any(char::is_control) => {
            format!("'{}'", value.replace('\'', "''"))
        }
        _ => double_quoted(value),
    }
}

/// Renders a mapping key: plain when safe, double-quoted otherwise.
pub(crate) fn render_key(key: &str) -> String {
    render_scalar(key, Style::Plain)
}

fn double_quoted(value: &str) -> String {
    let mut s = String::with_capacity(value.len() + 2);
    s.push('"');
    for c in value.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            '\r' => s.push_str("\\r"),
            '\0' => s.push_str("\\0"),
            c if c.is_control() => {
                let n = u32::from(c);
                if n <= 0xff {
                    s.push_str(&format!("\\x{n:02x}"));
                } else {
                    s.push_str(&format!("\\u{n:04x}"));
                }
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// Whether `s` can be written without quotes and still be read back as this string.
pub(crate) fn is_safe_plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.chars()
        .any(|c| c.is_control() || matches!(c, '[' | ']' | '{' | '}'))
        || s.starts_with(' ')
        || s.ends_with(' ')
        || s.ends_with(':')
        || s.contains(": ")
        || s.contains(" #")
        || "-?:,&*!|>'\"%@`#".contains(first)
    {
        return false;
    }
    !resolves_to_non_string(s)
}

/// Whether a YAML 1.1 or 1.2 reader would resolve the plain scalar `s` to null, a boolean,
/// a number or a timestamp.
fn resolves_to_non_string(s: &str) -> bool {
    const WORDS: [&str; 14] = [
        "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", "-.inf", "+.inf",
        ".nan",
    ];
    let lower = s.to_ascii_lowercase();
    WORDS.contains(&lower.as_str()) || is_number(s) || is_date(s)
}

fn is_number(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits =
        |t: &str, ok: fn(char) -> bool| !t.is_empty() && t.chars().all(|c| ok(c) || c == '_');
    if let Some(hex) = body.strip_prefix("0x") {
        return digits(hex, |c| c.is_ascii_hexdigit());
    }
    if let Some(oct) = body.strip_prefix("0o") {
        return digits(oct, |c| ('0'..='7').contains(&c));
    }
    if let Some(bin) = body.strip_prefix("0b") {
        return digits(bin, |c| c == '0' || c == '1');
    }
    // Sexagesimal (YAML 1.1): 1:20, 190:20:30.
    if body.contains(':') {
        let mut parts = body.split(':');
        let head = parts.next().unwrap_or("");
        return digits(head, |c| c.is_ascii_digit())
            && head.starts_with(|c: char| c.is_ascii_digit())
            && parts.all(|p| {
                let (int, _) = p.split_once('.').unwrap_or((p, ""));
                !int.is_empty() && int.len() <= 2 && int.chars().all(|c| c.is_ascii_digit())
            });
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    if let Some(exp) = exponent {
        let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if exp.is_empty() || !exp.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let int_ok = int.chars().all(|c| c.is_ascii_digit() || c == '_')
        && (int.is_empty() || int.starts_with(|c: char| c.is_ascii_digit()));
    match frac {
        None => !int.is_empty() && int_ok,
        Some(f) => {
            int_ok
                && f.chars().all(|c| c.is_ascii_digit() || c == '_')
                && !(int.is_empty() && f.is_empty())
        }
    }
}

/// `2001-12-14` and longer timestamps starting that way.
fn is_date(s: &str) -> bool {
    let mut parts = s.splitn(3, '-');
    let (Some(y), Some(m), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let d: String = rest.chars().take_while(char::is_ascii_digit).collect();
    y.len() == 4
        && y.chars().all(|c| c.is_ascii_digit())
        && (1..=2).contains(&m.len())
        && m.chars().all(|c| c.is_ascii_digit())
        && (1..=2).contains(&d.len())
}

/// Joins the lines of a multi-line scalar as YAML folds them: a line break is a space,
/// an empty line a line break.
pub(crate) fn fold_lines(parts: &[String]) -> String {
    let mut out = String::new();
    let mut after_break = true;
    for (i, p) in parts.iter().enumerate() {
        let p = p.trim_matches([' ', '\t']);
        if p.is_empty() {
            if i > 0 {
                out.push('\n');
                after_break = true;
            }
            continue;
        }
        if !after_break {
            out.push(' ');
        }
        out.push_str(p);
        after_break = false;
    }
    out
}

/// The value of a double-quoted scalar's content, `None` on a bad escape.
pub(crate) fn decode_double(raw: &str) -> Option<String> {
    let folded;
    let raw = if raw.contains('\n') {
        let lines: Vec<String> = raw
            .split('\n')
            .map(|l| l.trim_end_matches('\r').to_owned())
            .collect();
        let mut out = String::new();
        let mut joined_without_space = false;
        for (i, l) in lines.iter().enumerate() {
            let mut l = l.as_str();
            if i > 0 {
                l = l.trim_start_matches([' ', '\t']);
            }
            if i + 1 < lines.len() {
                l = l.trim_end_matches([' ', '\t']);
            }
            if i > 0 && !joined_without_space {
                out.push(if l.is_empty() { '\n' } else { ' ' });
            }
            let escaped_break =
                l.ends_with('\\') && (l.len() - l.trim_end_matches('\\').len()) % 2 == 1;
            joined_without_space = escaped_break;
            out.push_str(if escaped_break { &l[..l.len() - 1] } else { l });
        }
        folded = out;
        folded.as_str()
    } else {
        raw
    };
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        let hex = |chars: &mut std::str::Chars<'_>, n: usize| -> Option<char> {
            let h: String = chars.by_ref().take(n).collect();
            if h.len() != n {
                return None;
            }
            char::from_u32(u32::from_str_radix(&h, 16).ok()?)
        };
        out.push(match e {
            '0' => '\0',
            'a' => '\x07',
            'b' => '\x08',
            't' | '\t' => '\t',
            'n' => '\n',
            'v' => '\x0b',
            'f' => '\x0c',
            'r' => '\r',
            'e' => '\x1b',
            ' ' => ' ',
            '"' => '"',
            '/' => '/',
            '\\' => '\\',
            'N' => '\u{85}',
            '_' => '\u{a0}',
            'L' => '\u{2028}',
            'P' => '\u{2029}',
            'x' => hex(&mut chars, 2)?,
            'u' => hex(&mut chars, 4)?,
            'U' => hex(&mut chars, 8)?,
            _ => return None,
        });
    }
    Some(out)
}

/// The value of a single-quoted scalar's content.
pub(crate) fn decode_single(raw: &str) -> String {
    let raw = if raw.contains('\n') {
        let parts: Vec<String> = raw.split('\n').map(str::to_owned).collect();
        fold_lines(&parts)
    } else {
        raw.to_owned()
    };
    raw.replace("''", "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_a_reader_would_not_read_as_a_string() {
        for s in [
            "1.20",
            "123",
            "true",
            "Yes",
            "off",
            "~",
            "null",
            "0x1F",
            "1e3",
            ".5",
            "1:20",
            "2024-01-02",
            "",
            " a",
            "a: b",
            "#x",
            "-x",
            "@x",
            "a #b",
            "[x]",
        ] {
            assert!(!is_safe_plain(s), "{s:?} must be quoted");
        }
        for s in [
            "1.4.2",
            "v1.0.0",
            "nginx",
            "1.4.2@sha256:0123abcd",
            "ghcr.io/acme/app:1.2",
            "latest",
            "a-b_c.d",
        ] {
            assert!(is_safe_plain(s), "{s:?} can stay plain");
        }
    }

    #[test]
    fn renders_in_the_original_style() {
        assert_eq!(render_scalar("1.2.3", Style::Plain), "1.2.3");
        assert_eq!(render_scalar("1.20", Style::Plain), "\"1.20\"");
        assert_eq!(render_scalar("it's", Style::Single), "'it''s'");
        assert_eq!(render_scalar("a\"b", Style::Double), "\"a\\\"b\"");
    }

    #[test]
    fn decodes_escapes_and_folding() {
        assert_eq!(decode_double("a\\tb\\u0041").as_deref(), Some("a\tbA"));
        assert_eq!(decode_double("bad\\q"), None);
        assert_eq!(decode_double("one\n  two").as_deref(), Some("one two"));
        assert_eq!(decode_single("it''s"), "it's");
    }
}
