//! Image tags, validated per the distribution reference grammar.

use std::fmt;
use std::str::FromStr;

/// A tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

/// Why a string is not a [`Tag`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TagError {
    /// Empty string.
    #[error("invalid tag: empty (a tag is 1 to 128 characters of [A-Za-z0-9_.-])")]
    Empty,
    /// Longer than 128 characters.
    #[error("invalid tag '{input}': {len} characters, at most 128 allowed")]
    TooLong {
        /// The rejected input.
        input: String,
        /// Its length.
        len: usize,
    },
    /// A character outside the grammar, or a leading `.`/`-`.
    #[error(
        "invalid tag '{input}': character {position} ('{found}') not allowed (tags use [A-Za-z0-9_.-] and cannot start with '.' or '-')"
    )]
    BadCharacter {
        /// The rejected input.
        input: String,
        /// 1-based position of the first bad character.
        position: usize,
        /// The character.
        found: char,
    },
}

impl Tag {
    /// The tag as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Tag {
    type Err = TagError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if input.is_empty() {
            return Err(TagError::Empty);
        }
        let len = input.chars().count();
        for (i, c) in input.chars().enumerate() {
            let word = c.is_ascii_alphanumeric() || c == '_';
            let ok = if i == 0 {
                word
            } else {
                word || c == '.' || c == '-'
            };
            if !ok {
                return Err(TagError::BadCharacter {
                    input: input.to_owned(),
                    position: i + 1,
                    found: c,
                });
            }
        }
        if len > 128 {
            return Err(TagError::TooLong {
                input: input.to_owned(),
                len,
            });
        }
        Ok(Self(input.to_owned()))
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({})", self.0)
    }
}

impl serde::Serialize for Tag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_grammar() {
        for t in [
            "latest",
            "1.2.3",
            "v1.0.0-rc.1",
            "_x",
            "A_b-c.d",
            &"a".repeat(128),
        ] {
            assert_eq!(t.parse::<Tag>().unwrap().as_str(), t);
        }
    }

    #[test]
    fn rejects_outside_the_grammar() {
        assert_eq!("".parse::<Tag>(), Err(TagError::Empty));
        assert!(matches!(
            "-x".parse::<Tag>(),
            Err(TagError::BadCharacter {
                position: 1,
                found: '-',
                ..
            })
        ));
        assert!(matches!(
            ".x".parse::<Tag>(),
            Err(TagError::BadCharacter { position: 1, .. })
        ));
        assert!(matches!(
            "~1.2".parse::<Tag>(),
            Err(TagError::BadCharacter { found: '~', .. })
        ));
        assert!(matches!(
            "a".repeat(129).parse::<Tag>(),
            Err(TagError::TooLong { len: 129, .. })
        ));
    }
}
