//! The gate: one watched image in, one [`Decision`] out.
//!
//! Owns: the whole path from a watched image to a decision — the registry lookup (tags,
//! creation dates, digests; [`lookup`]), the strategy and the policy's update limits
//! (ceilings, registries, minimum age, downgrades), signature and attestation verification
//! against every matching rule of the policy ([`evaluate`]), external HTTP gates
//! ([`external`]), the verification cache keyed by image digest and policy revision
//! ([`cache`]), and the decision with its stable reason code ([`decision`]).
//!
//! Must not: touch Git or emit events (the run loop does both with the decision), or parse
//! policy files (the policy crate does). It never builds an update without a
//! [`portcullis_verify::VerifiedImage`]: a rule in `warn` mode turns a failed requirement into
//! a note, never an unsigned image into a commit.

pub mod cache;
pub mod decision;
pub mod evaluate;
pub mod external;
mod gate;
pub mod lookup;
mod signers;
mod trust;
pub mod watched;

pub use decision::{Decision, Note, Reason};
pub use gate::{Gate, GateOptions};
pub use watched::{Current, WatchedImage};
