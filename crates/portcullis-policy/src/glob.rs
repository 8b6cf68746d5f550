//! Shell patterns with Go's `path/filepath.Match` syntax and semantics, which Image
//! Updater's `ignore-tags` uses.
//!
//! `*` any run of characters except `/`, `?` one character except `/`, `[...]` a class
//! (`[^...]` negated, `a-z` ranges, `\` escapes), `\c` the character `c`; the pattern must
//! match the whole name. Malformed: an unclosed or empty class, a class item starting with
//! `-` or `]` (unless escaped), a trailing `\`. No `{a,b}`, no `**`, no `[!...]`: those are
//! literal characters here, as in Go. Written by hand because glob crates accept a wider
//! syntax (`{a,b}`, `!`-negation) and so would read the same annotation differently.

/// A compiled pattern.
#[derive(Clone, Debug)]
pub(crate) struct Glob {
    tokens: Vec<Token>,
}

#[derive(Clone, Debug)]
enum Token {
    Literal(char),
    AnyChar,
    Star,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// Why a pattern is malformed (Go's `ErrBadPattern`, with the detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GlobError(pub(crate) &'static str);

impl Glob {
    pub(crate) fn parse(pattern: &str) -> Result<Self, GlobError> {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' => {
                    if !matches!(tokens.last(), Some(Token::Star)) {
                        tokens.push(Token::Star);
                    }
                }
                '?' => tokens.push(Token::AnyChar),
                '\\' => {
                    let escaped = chars.next().ok_or(GlobError("trailing '\\'"))?;
                    tokens.push(Token::Literal(escaped));
                }
                '[' => {
                    let negated = chars.next_if_eq(&'^').is_some();
                    let mut ranges = Vec::new();
                    loop {
                        if !ranges.is_empty() && chars.next_if_eq(&']').is_some() {
                            break;
                        }
                        let lo = class_char(&mut chars)?;
                        let hi = if chars.next_if_eq(&'-').is_some() {
                            class_char(&mut chars)?
                        } else {
                            lo
                        };
                        ranges.push((lo, hi));
                    }
                    tokens.push(Token::Class { negated, ranges });
                }
                other => tokens.push(Token::Literal(other)),
            }
        }
        Ok(Self { tokens })
    }

    /// Whether the pattern matches all of `name`.
    pub(crate) fn is_match(&self, name: &str) -> bool {
        if name.is_ascii() && !name.contains('/') {
            // Tags are ASCII without `/`: every `*` may absorb any character, so the
            // allocation-free backtracking matcher is exact.
            let bytes = name.as_bytes();
            return self.match_anything_stars(bytes.len(), |i| char::from(bytes[i]));
        }
        let chars: Vec<char> = name.chars().collect();
        self.match_general(&chars)
    }

    /// Two-pointer matching with backtracking to the last `*`; valid when `*` can absorb
    /// every character of the name.
    fn match_anything_stars(&self, len: usize, at: impl Fn(usize) -> char) -> bool {
        let (mut t, mut n) = (0, 0);
        // After the last `*` seen: the token that follows it, and where its run ends.
        let mut star: Option<(usize, usize)> = None;
        while n < len {
            match self.tokens.get(t) {
                Some(Token::Star) => {
                    star = Some((t + 1, n));
                    t += 1;
                    continue;
                }
                Some(token) if token.matches_one(at(n)) => {
                    t += 1;
                    n += 1;
                    continue;
                }
                _ => {}
            }
            match star {
                Some((after, end)) => {
                    star = Some((after, end + 1));
                    t = after;
                    n = end + 1;
                }
                None => return false,
            }
        }
        self.tokens[t..]
            .iter()
            .all(|tok| matches!(tok, Token::Star))
    }

    /// Dynamic programming over (token, position), honouring that `*` and `?` never match
    /// `/`.
    fn match_general(&self, name: &[char]) -> bool {
        // can[j]: the tokens from the current one on match name[j..]. Filled from the end.
        let mut can = vec![false; name.len() + 1];
        if let Some(last) = can.last_mut() {
            *last = true;
        }
        for token in self.tokens.iter().rev() {
            let mut next = vec![false; name.len() + 1];
            for j in (0..=name.len()).rev() {
                next[j] = match token {
                    // Empty run, or one more non-separator character.
                    Token::Star => can[j] || (j < name.len() && name[j] != '/' && next[j + 1]),
                    _ => j < name.len() && token.matches_one(name[j]) && can[j + 1],
                };
            }
            can = next;
        }
        can[0]
    }
}

impl Token {
    fn matches_one(&self, c: char) -> bool {
        match self {
            Self::Literal(l) => *l == c,
            Self::AnyChar => c != '/',
            Self::Class { negated, ranges } => {
                ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *negated
            }
            Self::Star => false,
        }
    }
}

/// One (possibly escaped) class character; something must follow it (at least the `]`).
fn class_char(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<char, GlobError> {
    let c = match chars.next() {
        None => return Err(GlobError("unclosed '['")),
        Some('-' | ']') => return Err(GlobError("'-' or ']' must be escaped inside '[...]'")),
        Some('\\') => chars.next().ok_or(GlobError("unclosed '['"))?,
        Some(c) => c,
    };
    if chars.peek().is_none() {
        return Err(GlobError("unclosed '['"));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, name: &str) -> bool {
        Glob::parse(pattern)
            .unwrap_or_else(|e| panic!("{pattern}: {e:?}"))
            .is_match(name)
    }

    /// Rows in the spirit of Go's own `filepath.Match` table.
    #[test]
    fn matches_as_go_filepath_match() {
        let table: &[(&str, &str, bool)] = &[
            ("abc", "abc", true),
            ("*", "abc", true),
            ("*c", "abc", true),
            ("a*", "a", true),
            ("a*", "abc", true),
            ("a*", "ab/c", false),
            ("a*/b", "abc/b", true),
            ("a*/b", "a/c/b", false),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false),
            ("a*b?c*x", "abxbbxdbxebxczzx", true),
            ("a*b?c*x", "abxbbxdbxebxczzy", false),
            ("ab[c]", "abc", true),
            ("ab[b-d]", "abc", true),
            ("ab[e-g]", "abc", false),
            ("ab[^c]", "abc", false),
            ("ab[^b-d]", "abc", false),
            ("ab[^e-g]", "abc", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "ab", false),
            ("a?b", "a☺b", true),
            ("a[^a]b", "a☺b", true),
            ("a???b", "a☺b", false),
            ("a[^a][^a][^a]b", "a☺b", false),
            ("[a-ζ]*", "α", true),
            ("*[a-ζ]", "A", false),
            ("a?b", "a/b", false),
            ("a*b", "a/b", false),
            ("[\\]a]", "]", true),
            ("[\\-]", "-", true),
            ("[x\\-]", "x", true),
            ("[x\\-]", "-", true),
            ("[x\\-]", "z", false),
            ("[\\-x]", "x", true),
            ("[\\-x]", "a", false),
            ("*x", "xxx", true),
            // Go has no brace alternation and no `!` negation: these are literals.
            ("{1,2}.0", "1.0", false),
            ("{1,2}.0", "{1,2}.0", true),
            ("[!a]", "!", true),
            ("[!a]", "b", false),
            ("", "", true),
            ("", "x", false),
            ("tag?", "tag1", true),
            ("tag?", "tag10", false),
            ("*-debug", "1.0-debug", true),
            ("*-debug", "1.0-debug-x", false),
        ];
        for (p, n, want) in table {
            assert_eq!(m(p, n), *want, "pattern {p:?} against {n:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn both_matchers_agree_on_tags(
            pattern in "([a-c.*?-]|\\[\\^?[a-c](-[b-d])?\\]){0,8}",
            name in "[a-d.-]{0,10}",
        ) {
            if let Ok(g) = Glob::parse(&pattern) {
                let chars: Vec<char> = name.chars().collect();
                proptest::prop_assert_eq!(g.is_match(&name), g.match_general(&chars), "{} on {}", pattern, name);
            }
        }
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in [
            "[]a]", "[-]", "[x-]", "[", "[^", "[^bc", "a[", "a\\", "[a-", "[a-b", "\\", "[\\",
            "ab[", "*[", "a[]",
        ] {
            assert!(Glob::parse(bad).is_err(), "{bad:?} must be malformed");
        }
    }
}
