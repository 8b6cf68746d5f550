//! Exit codes shared by every command.

/// Success: for `test`, a tag was selected.
pub(crate) const OK: u8 = 0;
/// An error: bad input, an unreachable registry, a refused credential. The message says which.
pub(crate) const ERROR: u8 = 1;
/// The command worked but found nothing: for `test`, no tag matches.
pub(crate) const NO_MATCH: u8 = 2;
/// The command worked and refused: for `verify-bundle`, the signature did not verify.
pub(crate) const REJECTED: u8 = 3;
