//! Tokens: a type that never prints its value, read from a file on every use.

use std::fmt;
use std::path::Path;

use super::ForgeError;

/// A token. `Debug` prints `***`; the value leaves only through [`Secret::expose`].
#[derive(Clone)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: String) -> Self {
        Self(value)
    }

    /// The value, for an HTTP header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the token replaced by `***`.
    pub(crate) fn mask(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.0, "***")
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The token in `path`, whitespace trimmed.
pub(crate) fn read_token_file(path: &Path) -> Result<Secret, ForgeError> {
    let text = std::fs::read_to_string(path).map_err(|source| ForgeError::ReadToken {
        path: path.to_owned(),
        source,
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(ForgeError::EmptyToken {
            path: path.to_owned(),
        });
    }
    Ok(Secret::new(token.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_mask_hide_the_value() {
        let s = Secret::new("ghp_abc123".to_owned());
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(s.mask("bad token ghp_abc123!"), "bad token ***!");
    }

    #[test]
    fn token_file_is_trimmed_and_must_not_be_empty() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("token");
        std::fs::write(&path, "  tok\n")?;
        assert_eq!(read_token_file(&path)?.expose(), "tok");
        std::fs::write(&path, "\n")?;
        assert!(matches!(
            read_token_file(&path),
            Err(ForgeError::EmptyToken { .. })
        ));
        Ok(())
    }
}
