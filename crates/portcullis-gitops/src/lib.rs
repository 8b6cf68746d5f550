//! Git write-back for Portcullis: turns verified images into file changes in a GitOps
//! repository and records them in one signed commit per repository and branch.
//!
//! Owns: the write-back targets Argo CD Image Updater users know (`.argocd-source-<app>.yaml`
//! parameter overrides, `kustomization.yaml` images, Helm values files) and their target
//! grammar ([`target`]); Go-template-like commit message and branch templates ([`template`]);
//! building, signing (OpenPGP through gpgme, X.509/CMS gitsign-style) and pushing commits
//! with retry ([`git`], [`sign`]); one commit per repository and branch per cycle
//! ([`batch`]); verifying such a commit's signature and trailers ([`verify_commit`]).
//!
//! Must not: verify images or decide policy. The write-back API accepts only
//! [`portcullis_verify::VerifiedImage`]s, whose constructor is private to the verifier: an
//! unverified image cannot reach a commit through this crate.

pub mod batch;
pub mod forge;
pub mod git;
mod http_body;
mod oid;
pub mod sign;
pub mod target;
pub mod template;
pub mod verify_commit;
