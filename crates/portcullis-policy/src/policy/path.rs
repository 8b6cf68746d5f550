//! Field paths in a policy document (`rules[0].authorities[1].keyless`), as messages print
//! them and as the location lookup walks them.

use std::fmt;

/// One step: a mapping key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// A path from the document root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct FieldPath(Vec<Segment>);

impl FieldPath {
    pub(crate) fn root() -> Self {
        Self(Vec::new())
    }

    /// This path with a key appended.
    #[must_use]
    pub(crate) fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    /// This path with a list index appended.
    #[must_use]
    pub(crate) fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    pub(crate) fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Whether `prefix` is this path or one of its ancestors.
    pub(crate) fn starts_with(&self, prefix: &Self) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// What follows `prefix` in this path (all of it when `prefix` is not a prefix).
    pub(crate) fn strip(&self, prefix: &Self) -> Self {
        match self.0.strip_prefix(prefix.0.as_slice()) {
            Some(rest) => Self(rest.to_vec()),
            None => self.clone(),
        }
    }

    /// `self` followed by `tail`.
    #[must_use]
    pub(crate) fn join(&self, tail: &Self) -> Self {
        let mut next = self.clone();
        next.0.extend(tail.0.iter().cloned());
        next
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Key(k) if is_plain(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Key(k) => write!(f, "[{k:?}]")?,
            }
        }
        Ok(())
    }
}

/// Keys printed bare: identifiers such as `subjectRegExp`; anything else (an OID, a header
/// name with a dot) is printed quoted in brackets so the path stays unambiguous.
fn is_plain(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_reads_like_the_document() {
        let p = FieldPath::root()
            .key("rules")
            .index(0)
            .key("authorities")
            .index(2)
            .key("keyless")
            .key("extensions")
            .key("1.3.6.1.4.1.57264.1.5");
        assert_eq!(
            p.to_string(),
            r#"rules[0].authorities[2].keyless.extensions["1.3.6.1.4.1.57264.1.5"]"#
        );
        assert_eq!(FieldPath::root().to_string(), "(document)");
    }
}
