//! Standard output for every command.
//!
//! `println!` panics when the reader has gone away (`portcullis plan | head -1`). Commands
//! therefore assemble their text into a `String` with [`outln!`] and hand it to [`emit`], which
//! treats a closed pipe as the reader's choice and any other write failure as an error.

use std::io::{ErrorKind, Write};

/// Appends one formatted line to a `String`.
///
/// Formatting into a `String` cannot fail, which is why the `fmt::Result` is dropped.
macro_rules! outln {
    ($buf:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($buf, $($arg)*);
    }};
}
pub(crate) use outln;

/// Writes `text` to standard output in one piece.
///
/// A reader that closed the pipe early (`| head`) wanted no more: that is not an error, and
/// the command's exit code still tells its outcome. Any other failure (a full disk behind a
/// redirect) is reported.
pub(crate) fn emit(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(anyhow::anyhow!("cannot write to standard output: {e}")),
    }
}

/// A value as pretty JSON followed by a newline, the way every `--output json` prints.
pub(crate) fn json(value: &impl serde::Serialize) -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
}
