//! A passphrase read from a file: kept only for one signature, never printed.

use std::fmt;
use std::path::Path;

use super::error::SignError;

/// Bytes that must not reach `Debug`, `Display`, logs or errors. Overwritten on drop.
pub(crate) struct Passphrase(Vec<u8>);

impl Passphrase {
    /// Reads the passphrase in `path`: the whole file less one trailing line ending.
    pub(crate) fn read(path: &Path) -> Result<Self, SignError> {
        let mut bytes = std::fs::read(path).map_err(|source| SignError::ReadFile {
            what: "passphrase file",
            path: path.to_path_buf(),
            source,
        })?;
        if bytes.ends_with(b"\n") {
            bytes.pop();
            if bytes.ends_with(b"\r") {
                bytes.pop();
            }
        }
        Ok(Self(bytes))
    }

    pub(crate) fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Passphrase {
    fn drop(&mut self) {
        // Best effort: the allocator may have copied it before, but this copy goes.
        for b in &mut self.0 {
            *b = 0;
        }
        std::hint::black_box(&self.0);
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_line_ending_is_dropped_and_debug_is_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pass");
        std::fs::write(&path, b"s3cret \r\n").unwrap();
        let p = Passphrase::read(&path).unwrap();
        assert_eq!(p.expose(), b"s3cret ");
        assert!(!format!("{p:?}").contains("s3cret"));
    }

    #[test]
    fn a_missing_file_names_the_path_not_the_content() {
        let err = Passphrase::read(Path::new("/nonexistent/pass")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/pass"), "{err}");
    }
}
