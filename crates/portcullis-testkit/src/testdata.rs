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

/// `cosign-real/` in the test data: real cosign signatures of public images. Panics, naming
/// its source, when `cases.json` is not there.
pub fn cosign_real_dir() -> PathBuf {
    let dir = testdata_dir().join("cosign-real");
    assert!(
        dir.join("cases.json").is_file(),
        "{} has no cases.json: it holds real cosign signatures of public images (see its \
         README.md); set PORTCULLIS_TESTDATA to the directory that contains cosign-real/",
        dir.display()
    );
    dir
}

/// Reads a test-data file, panicking with the path and a pointer to the data's source.
pub fn read_cosign_real(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): test data missing; see cosign-real/README.md for its source",
            path.display()
        )
    })
}
