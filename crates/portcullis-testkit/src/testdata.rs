//! Where the shared third-party test data lives: `$PORTCULLIS_TESTDATA`, else
//! `../shared/testdata` beside the checkout.

use std::path::PathBuf;

/// The test-data directory. Panics, naming the public sources, when it is missing: a test
/// that cannot find its data must fail, not pass by skipping.
pub fn testdata_dir() -> PathBuf {
    let dir = match std::env::var_os("PORTCULLIS_TESTDATA") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata"),
    };
    assert!(
        dir.is_dir(),
        "test data not found at {}: set PORTCULLIS_TESTDATA to the directory holding \
         image-updater-compat.json (facts from argoproj-labs/argocd-image-updater's tests), \
         sigstore-conformance/ (cases of sigstore/sigstore-conformance) and cosign-real/ \
         (real cosign signatures of public images)",
        dir.display()
    );
    dir
}
