//! The example policies under `policies/`: every good one loads, and every one under
//! `examples/broken/` fails with exactly the problems its `# expect:` lines list.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::path::{Path, PathBuf};

use portcullis_policy::{Policy, PolicyError};

fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_policy_is_valid_without_warnings() {
    let files = yaml_files(&policies_dir());
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "cluster-image-policy.yaml",
        "development.yaml",
        "migrate-from-image-updater.yaml",
        "production.yaml",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected} missing");
    }
    for file in files {
        let loaded = Policy::load(&file).unwrap_or_else(|e| {
            let problems: Vec<String> = e.problems().iter().map(ToString::to_string).collect();
            panic!("{}: {e}\n{}", file.display(), problems.join("\n"))
        });
        assert!(
            loaded.warnings.is_empty(),
            "{}: {:?}",
            file.display(),
            loaded.warnings
        );
        assert!(!loaded.policy.rules().is_empty(), "{}", file.display());
    }
}

#[test]
fn every_broken_example_fails_with_its_expected_problems() {
    let files = yaml_files(&policies_dir().join("examples/broken"));
    assert!(files.len() >= 8, "only {} broken examples", files.len());
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let expected: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .collect();
        assert!(
            !expected.is_empty(),
            "{} has no '# expect:' line",
            file.display()
        );
        let origin = file.display().to_string();
        let err = match Policy::load(&file) {
            Ok(_) => panic!("{origin} loaded, but should fail"),
            Err(e @ PolicyError::Invalid { .. }) => e,
            Err(e) => panic!("{origin}: {e}"),
        };
        let got: Vec<String> = err
            .problems()
            .iter()
            .map(|d| {
                let line = d.to_string();
                line.strip_prefix(&format!("{origin}:"))
                    .unwrap_or(&line)
                    .to_owned()
            })
            .collect();
        assert_eq!(got, expected, "{origin}");
    }
}
