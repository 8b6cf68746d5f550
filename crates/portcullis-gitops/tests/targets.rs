//! Write-back edits on real-world-style files: the diff is exactly the changed lines, the
//! result means what was written (checked with an independent YAML reader, serde-saphyr),
//! the public entry point takes only verified images, and no input makes the editor panic
//! or an edit drift when repeated.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::collections::BTreeMap;
use std::sync::OnceLock;

use portcullis_gitops::target::{
    AppSource, ChangeError, EditError, ExistingFile, HelmParameter, HelmParams, HelmValueWrite,
    ImageChange, ImageUpdate, KustomizeImageEdit, Pinning, Placement, TargetSpec, WriteBackTarget,
    edit_file, merge_helm_parameters, merge_kustomize_images, set_helm_values,
    set_kustomization_image, write_back,
};
use portcullis_image::{Candidate, Digest};
use portcullis_testsign::{LeafSpec, SigningOptions, TestSigstore};
use portcullis_verify::{
    BundlePolicy, Identity, TrustRoot, VerifiedImage, verify_candidate_legacy,
};
use proptest::prelude::*;
use serde_json::Value;

const VALUES: &str = include_str!("fixtures/values-umbrella.yaml");
const KUSTOMIZATION: &str = include_str!("fixtures/kustomization.yaml");
const OVERRIDE: &str = include_str!("fixtures/argocd-source-shop.yaml");
const DIGEST: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

/// Lines removed and added between `a` and `b` (longest common subsequence).
fn diff(a: &str, b: &str) -> (Vec<String>, Vec<String>) {
    let x: Vec<&str> = a.split_inclusive('\n').collect();
    let y: Vec<&str> = b.split_inclusive('\n').collect();
    let mut lcs = vec![vec![0usize; y.len() + 1]; x.len() + 1];
    for i in (0..x.len()).rev() {
        for j in (0..y.len()).rev() {
            lcs[i][j] = if x[i] == y[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    while i < x.len() || j < y.len() {
        if i < x.len() && j < y.len() && x[i] == y[j] {
            i += 1;
            j += 1;
        } else if j < y.len() && (i == x.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            added.push(y[j].to_owned());
            j += 1;
        } else {
            removed.push(x[i].to_owned());
            i += 1;
        }
    }
    (removed, added)
}

fn lines(ls: &[&str]) -> Vec<String> {
    ls.iter().map(|l| format!("{l}\n")).collect()
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str::<Value>(text).unwrap_or_else(|e| panic!("not YAML: {e}\n{text}"))
}

fn at<'v>(v: &'v Value, path: &[&str]) -> &'v Value {
    path.iter().fold(v, |v, k| &v[*k])
}

#[test]
fn helm_values_diff_is_exactly_the_changed_lines() {
    let tag = format!("1.4.2@{DIGEST}");
    let out = set_helm_values(
        Some(VALUES),
        &[
            HelmValueWrite::new("web.image.tag", tag.as_str()),
            HelmValueWrite::image_name("web.image.repository", "ghcr.io/acme/web"),
            HelmValueWrite::new("worker.image.tag", "2.1.0"),
            HelmValueWrite::new("sidecar.image.tag", "0.9.1"),
            HelmValueWrite::new("cron.image.tag", "1.20"),
        ],
    )
    .unwrap();
    let (removed, added) = diff(VALUES, &out);
    assert_eq!(
        removed,
        lines(&[
            "        tag: \"1.4.1\"",
            "    tag: 2.0.0 # pinned by release",
            "sidecar.image.tag: 0.9.0",
        ])
    );
    assert_eq!(
        added,
        lines(&[
            &format!("        tag: \"{tag}\""),
            "    tag: 2.1.0 # pinned by release",
            "sidecar.image.tag: 0.9.1",
            // The file's first nesting habit (two spaces, as under `global`).
            "cron:",
            "  image:",
            "    tag: \"1.20\"",
        ])
    );
    let v = yaml(&out);
    assert_eq!(at(&v, &["web", "image", "tag"]), &Value::from(tag));
    // The alias shares the anchored map: both read the new tag.
    assert_eq!(at(&v, &["api", "image", "tag"]), &Value::from("2.1.0"));
    assert_eq!(at(&v, &["worker", "image", "tag"]), &Value::from("2.1.0"));
    assert_eq!(at(&v, &["cron", "image", "tag"]), &Value::from("1.20"));
    assert_eq!(at(&v, &["sidecar.image.tag"]), &Value::from("0.9.1"));
    assert_eq!(
        at(&v, &["notes"]),
        &Value::from("Multi-line notes with a colon: here\nand # this is not a comment\n")
    );
}

#[test]
fn an_edit_that_changes_nothing_returns_the_file_unchanged() {
    let out = set_helm_values(
        Some(VALUES),
        &[
            HelmValueWrite::new("web.image.tag", "1.4.1"),
            HelmValueWrite::image_name("api.image.repository", "docker.io/acme/api"),
        ],
    )
    .unwrap();
    assert_eq!(out, VALUES);
}

#[test]
fn kustomization_diff_is_exactly_the_changed_lines() {
    let out = set_kustomization_image(
        KUSTOMIZATION,
        &KustomizeImageEdit {
            name: "redis".into(),
            new_name: None,
            new_tag: Some("7.4".into()),
            digest: Some(DIGEST.into()),
        },
    )
    .unwrap();
    let out = set_kustomization_image(
        &out,
        &KustomizeImageEdit {
            name: "worker".into(),
            new_name: Some("ghcr.io/acme/worker".into()),
            new_tag: Some("3.0.0".into()),
            digest: Some(DIGEST.into()),
        },
    )
    .unwrap();
    let (removed, added) = diff(KUSTOMIZATION, &out);
    assert_eq!(removed, lines(&["    newTag: \"7.2\""]));
    assert_eq!(
        added,
        lines(&[
            "    newTag: \"7.4\"",
            &format!("    digest: {DIGEST}"),
            "  - name: worker",
            "    newName: ghcr.io/acme/worker",
            "    newTag: 3.0.0",
            &format!("    digest: {DIGEST}"),
        ])
    );
    let v = yaml(&out);
    assert_eq!(v["images"][1]["digest"], Value::from(DIGEST));
    assert_eq!(v["images"][2]["name"], Value::from("worker"));
    assert_eq!(
        v["configMapGenerator"][0]["literals"][0],
        Value::from("LOG_LEVEL=info")
    );
}

#[test]
fn override_file_merges_keep_other_sections_and_comments() {
    let out =
        merge_kustomize_images(Some(OVERRIDE), &[format!("acme/cart:1.1.0@{DIGEST}")]).unwrap();
    let out = merge_helm_parameters(
        Some(&out),
        &[HelmParameter {
            name: "image.tag".into(),
            value: format!("2.1.0@{DIGEST}"),
            force_string: true,
        }],
    )
    .unwrap();
    let (removed, added) = diff(OVERRIDE, &out);
    assert_eq!(
        removed,
        lines(&["  - docker.io/acme/cart:1.0.0", "    value: 2.0.0"])
    );
    assert_eq!(
        added,
        lines(&[
            &format!("  - acme/cart:1.1.0@{DIGEST}"),
            &format!("    value: 2.1.0@{DIGEST}")
        ])
    );
}

/// A file that starts with a byte-order mark is edited as the same file: the mark stays,
/// the first key is found, nothing is appended twice.
#[test]
fn a_byte_order_mark_is_kept_and_read_past() {
    let text = "\u{feff}image:\n  repository: nginx\n  tag: 1.25.0\n";
    let out = set_helm_values(Some(text), &[HelmValueWrite::new("image.tag", "1.26.0")]).unwrap();
    assert_eq!(out, "\u{feff}image:\n  repository: nginx\n  tag: 1.26.0\n");
    let kustomization = "\u{feff}images:\n- name: redis\n  newTag: \"7.2\"\n";
    let edit = KustomizeImageEdit {
        name: "redis".into(),
        new_name: None,
        new_tag: Some("7.4".into()),
        digest: None,
    };
    let out = set_kustomization_image(kustomization, &edit).unwrap();
    assert_eq!(out, "\u{feff}images:\n- name: redis\n  newTag: \"7.4\"\n");
}

/// What the editor cannot change in place without losing something is refused, never
/// regenerated or appended to: an override file written as JSON or flow YAML (its other
/// pins would be dropped), a kustomization entry in flow style (a second entry for the same
/// image would be added).
#[test]
fn flow_style_that_would_lose_pins_is_refused() {
    let json = "{\"kustomize\": {\"images\": [\"other:1\"]}, \"helm\": {\"parameters\": []}}\n";
    let err = merge_kustomize_images(Some(json), &[format!("app:2@{DIGEST}")]).unwrap_err();
    assert!(err.to_string().contains("block YAML mapping"), "{err}");
    // An empty flow map holds nothing to lose: written anew.
    let out = merge_kustomize_images(Some("{}\n"), &[format!("app:2@{DIGEST}")]).unwrap();
    assert!(out.contains(&format!("- app:2@{DIGEST}")), "{out}");
    let flow_entry = "images:\n- {name: app, newTag: '1'}\n";
    let edit = KustomizeImageEdit {
        name: "app".into(),
        new_name: None,
        new_tag: Some("2".into()),
        digest: None,
    };
    let err = set_kustomization_image(flow_entry, &edit).unwrap_err();
    assert!(err.to_string().contains("images[]"), "{err}");
}

#[test]
fn crlf_files_stay_crlf() {
    let text = "image:\r\n  repository: nginx\r\n  tag: 1.25.0\r\n";
    let out = set_helm_values(
        Some(text),
        &[
            HelmValueWrite::new("image.tag", "1.26.0"),
            HelmValueWrite::new("image.digest", DIGEST),
        ],
    )
    .unwrap();
    assert_eq!(
        out,
        format!("image:\r\n  repository: nginx\r\n  tag: 1.26.0\r\n  digest: {DIGEST}\r\n")
    );
}

#[test]
fn digest_only_pinning_needs_a_field_that_takes_a_digest() {
    let update = ImageUpdate {
        image: "acme/api".into(),
        tag: None,
        digest: Some(DIGEST.into()),
        placement: Placement::Helm(HelmParams::default()),
    };
    let target = WriteBackTarget::HelmValues {
        file: "values.yaml".into(),
    };
    let err = edit_file(&target, Some(VALUES), std::slice::from_ref(&update)).unwrap_err();
    assert!(matches!(err, EditError::DigestNeedsField { .. }), "{err}");
    let with_spec = ImageUpdate {
        placement: Placement::Helm(HelmParams {
            image_spec: Some("api.image.spec".into()),
            ..HelmParams::default()
        }),
        ..update
    };
    let out = edit_file(&target, Some(VALUES), &[with_spec]).unwrap();
    assert_eq!(
        yaml(&out)["api"]["image"]["spec"],
        Value::from(format!("acme/api@{DIGEST}"))
    );
}

#[test]
fn placements_must_fit_the_target() {
    let helm = ImageUpdate {
        image: "nginx".into(),
        tag: Some("1.0".into()),
        digest: None,
        placement: Placement::Helm(HelmParams::default()),
    };
    let k = WriteBackTarget::Kustomization { dir: ".".into() };
    assert!(matches!(
        edit_file(&k, Some(KUSTOMIZATION), &[helm]),
        Err(EditError::WrongPlacement { .. })
    ));
    assert!(matches!(
        edit_file(&k, None, &[]),
        Err(EditError::MissingKustomization { .. })
    ));
    assert!(matches!(
        set_kustomization_image(
            "a: 1\n---\nb: 2\n",
            &KustomizeImageEdit {
                name: "x".into(),
                new_name: None,
                new_tag: None,
                digest: None,
            }
        ),
        Err(EditError::MultipleDocuments)
    ));
}

#[test]
fn unsupported_yaml_is_refused_with_its_line() {
    let err = set_helm_values(
        Some("a: 1\n? complex\n: key\n"),
        &[HelmValueWrite::new("a", "2")],
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "cannot edit the file as YAML");
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.starts_with("line 2:"), "{source}");
    // A key twice in one mapping: which one a reader takes differs (Helm: the last).
    let err = set_helm_values(
        Some("image:\n  tag: 1.0.0\nreplicas: 2\nimage:\n  tag: 2.0.0\n"),
        &[HelmValueWrite::new("image.tag", "3.0.0")],
    )
    .unwrap_err();
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(
        source.starts_with("line 4:") && source.contains("twice"),
        "{source}"
    );
}

// --- the typed entry point, with images verified in-process ---------------------------

const ISSUER: &str = "https://issuer.portcullis.test";
const EMAIL: &str = "release@acme.test";

struct World {
    sigstore: TestSigstore,
    trust: TrustRoot,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let sigstore = TestSigstore::new().unwrap();
        let trust =
            TrustRoot::from_json(&sigstore.trusted_root_json().unwrap(), "test sigstore").unwrap();
        World { sigstore, trust }
    })
}

/// `repository:tag` at `digest`, signed here and verified like the run loop verifies.
fn verified(repository: &str, tag: &str, digest: &str) -> VerifiedImage {
    let w = world();
    let candidate = Candidate::new(
        repository.parse().unwrap(),
        tag.parse().unwrap(),
        digest.parse().unwrap(),
        None,
    );
    let signer = w
        .sigstore
        .keyless_signer(&LeafSpec::email(EMAIL, ISSUER))
        .unwrap();
    let layer = w
        .sigstore
        .legacy_layer(&signer, repository, digest, &SigningOptions::default())
        .unwrap();
    let policy = BundlePolicy::keyless([Identity::exact(EMAIL, ISSUER).unwrap()]).unwrap();
    verify_candidate_legacy(
        &candidate,
        &[(layer.payload, layer.annotations)],
        &policy,
        &w.trust,
    )
    .unwrap()
}

#[test]
fn write_back_pins_the_verified_digest_in_each_target() {
    let redis = verified("docker.io/library/redis", "7.4.1", DIGEST);
    let api = verified("docker.io/acme/api", "2.1.0", DIGEST);

    let k = "kustomization"
        .parse::<TargetSpec>()
        .unwrap()
        .resolve(&AppSource::new("shop", ""))
        .unwrap();
    let change = ImageChange::new("redis", &redis).unwrap();
    let edit = write_back(
        &k,
        Some(ExistingFile {
            path: "kustomization.yaml",
            content: KUSTOMIZATION,
        }),
        &[change],
        Pinning::TagAndDigest,
    )
    .unwrap();
    assert_eq!(edit.path(), "kustomization.yaml");
    assert!(edit.is_change());
    let v = yaml(edit.content());
    assert_eq!(v["images"][1]["newTag"], Value::from("7.4.1"));
    assert_eq!(v["images"][1]["digest"], Value::from(DIGEST));

    let h = "helmvalues:values.yaml"
        .parse::<TargetSpec>()
        .unwrap()
        .resolve(&AppSource::new("shop", "charts/shop"))
        .unwrap();
    let change = ImageChange::new("acme/api", &api)
        .unwrap()
        .with_placement(Placement::Helm(HelmParams {
            image_name: Some("api.image.repository".into()),
            image_tag: Some("api.image.tag".into()),
            ..HelmParams::default()
        }));
    let edit = write_back(
        &h,
        Some(ExistingFile {
            path: "charts/shop/values.yaml",
            content: VALUES,
        }),
        std::slice::from_ref(&change),
        Pinning::TagAndDigest,
    )
    .unwrap();
    let (removed, added) = diff(VALUES, edit.content());
    assert_eq!(removed, lines(&["    tag: 2.0.0 # pinned by release"]));
    assert_eq!(
        added,
        lines(&[&format!("    tag: 2.1.0@{DIGEST} # pinned by release")])
    );

    // The default override file, created from nothing.
    let o = TargetSpec::Default
        .resolve(&AppSource::new("shop", "deploy"))
        .unwrap();
    let edit = write_back(&o, None, &[change], Pinning::TagAndDigest).unwrap();
    assert_eq!(edit.path(), "deploy/.argocd-source-shop.yaml");
    assert_eq!(edit.before(), None);
    assert_eq!(
        edit.content(),
        format!(
            "helm:\n  parameters:\n  - name: api.image.repository\n    value: acme/api\n    forcestring: true\n  - name: api.image.tag\n    value: 2.1.0@{DIGEST}\n    forcestring: true\n"
        )
    );
}

#[test]
fn a_change_must_name_the_verified_repository() {
    let redis = verified("docker.io/library/redis", "7.4.1", DIGEST);
    assert!(matches!(
        ImageChange::new("ghcr.io/acme/redis", &redis),
        Err(ChangeError::RepositoryMismatch { .. })
    ));
    assert!(matches!(
        ImageChange::new("a=redis", &redis),
        Err(ChangeError::BadImage { .. })
    ));
    let c = ImageChange::new("docker.io/redis", &redis)
        .unwrap()
        .with_old(Some("7.2".into()), Some(DIGEST.parse::<Digest>().unwrap()))
        .with_labels(BTreeMap::from([("a".to_owned(), "b".to_owned())]));
    assert_eq!(c.image(), "docker.io/redis");
    assert_eq!(c.image_name(), "redis");
    assert_eq!(c.signer(), EMAIL);
    let update = c.update(Pinning::Digest);
    assert_eq!(update.tag, None);
    assert_eq!(update.digest.as_deref(), Some(DIGEST));
}

// --- robustness ----------------------------------------------------------------------

fn yamlish_line() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[ ]{0,6}(- )?(image|tag|name|images|helm|parameters|kustomize|a\\.b|\"k: x\"|'q')(:( [a-z0-9.@:\"']{0,8}| &x| \\*x| \\||( \\{\\})| \\[\\])?)?( #c)?",
        1 => "[ ]{0,4}- [a-z0-9]{0,5}",
        1 => "[ ]{0,8}#[ a-z]{0,6}",
        1 => "(---|\\.\\.\\.|)",
        1 => "[ -~]{0,12}",
    ]
}

fn yamlish() -> impl Strategy<Value = String> {
    (prop::collection::vec(yamlish_line(), 0..14), any::<bool>()).prop_map(|(ls, crlf)| {
        let nl = if crlf { "\r\n" } else { "\n" };
        ls.join(nl)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn helm_edits_never_panic_and_are_idempotent(text in yamlish()) {
        let writes = [
            HelmValueWrite::new("image.tag", format!("1.2.3@{DIGEST}")),
            HelmValueWrite::image_name("image.name", "nginx"),
            HelmValueWrite::new("a.b", "1.20"),
        ];
        if let Ok(once) = set_helm_values(Some(&text), &writes) {
            let twice = set_helm_values(Some(&once), &writes);
            prop_assert_eq!(twice.as_deref(), Ok(once.as_str()));
            // What a real YAML reader sees is what was written.
            if serde_saphyr::from_str::<Value>(&text).is_ok_and(|v| v.is_object()) {
                let v = yaml(&once);
                prop_assert_eq!(&v["image"]["tag"], &Value::from(format!("1.2.3@{DIGEST}")));
            }
        }
    }

    #[test]
    fn kustomize_edits_never_panic_and_are_idempotent(text in yamlish()) {
        let edit = KustomizeImageEdit {
            name: "nginx".into(),
            new_name: Some("ghcr.io/acme/nginx".into()),
            new_tag: Some("1.0".into()),
            digest: Some(DIGEST.into()),
        };
        if let Ok(once) = set_kustomization_image(&text, &edit) {
            let twice = set_kustomization_image(&once, &edit);
            prop_assert_eq!(twice.as_deref(), Ok(once.as_str()));
        }
        let images = [format!("nginx:1.0@{DIGEST}"), "k=ghcr.io/x/y:2".to_owned()];
        if let Ok(once) = merge_kustomize_images(Some(&text), &images) {
            let twice = merge_kustomize_images(Some(&once), &images);
            prop_assert_eq!(twice.as_deref(), Ok(once.as_str()));
        }
        let params = [HelmParameter { name: "image.tag".into(), value: "1.0".into(), force_string: true }];
        if let Ok(once) = merge_helm_parameters(Some(&text), &params) {
            let twice = merge_helm_parameters(Some(&once), &params);
            prop_assert_eq!(twice.as_deref(), Ok(once.as_str()));
        }
    }
}

#[test]
fn a_batch_refuses_to_overwrite_a_file_that_moved_since_the_decision() {
    use portcullis_gitops::batch::{AppWrite, BatchError, render};
    let web = verified("docker.io/acme/web", "1.2.0", DIGEST);
    let dir = tempfile::tempdir().unwrap();
    let target = WriteBackTarget::Kustomization { dir: ".".into() };
    let write = |deployed: &str| {
        std::fs::write(
            dir.path().join("kustomization.yaml"),
            format!("images:\n- name: docker.io/acme/web\n  newTag: {deployed}\n"),
        )
        .unwrap();
    };
    let batch = |old: &str| {
        vec![AppWrite {
            app: "web".into(),
            target: target.clone(),
            changes: vec![
                ImageChange::new("docker.io/acme/web", &web)
                    .unwrap()
                    .with_old(Some(old.into()), None),
            ],
            pinning: Pinning::TagAndDigest,
        }]
    };
    // As decided: 1.0.0 was deployed, 1.2.0 is written.
    write("1.0.0");
    let changes = render(dir.path(), &batch("1.0.0")).unwrap();
    assert_eq!(changes.len(), 1);
    // Someone moved it to 1.3.0 meanwhile: nothing is written over it.
    write("1.3.0");
    let err = render(dir.path(), &batch("1.0.0")).unwrap_err();
    assert!(matches!(err, BatchError::Stale { .. }), "{err}");
    assert!(err.to_string().contains("1.3.0"), "{err}");
}

/// A target file that is a symbolic link (to `/dev/zero`, to a file of the host), or that
/// sits in a linked directory, is never read: anyone who can push could commit one.
#[test]
fn a_batch_reads_no_target_through_a_symbolic_link() {
    use portcullis_gitops::batch::{AppWrite, BatchError, render};
    let web = verified("docker.io/acme/web", "1.2.0", DIGEST);
    let batch = |dir: &str| {
        vec![AppWrite {
            app: "web".into(),
            target: WriteBackTarget::Kustomization { dir: dir.into() },
            changes: vec![ImageChange::new("docker.io/acme/web", &web).unwrap()],
            pinning: Pinning::TagAndDigest,
        }]
    };
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("kustomization.yaml"),
        "images:\n- name: docker.io/acme/web\n  newTag: 1.0.0\n",
    )
    .unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/dev/zero", repo.path().join("kustomization.yaml")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path().join("linked")).unwrap();
    for dir in [".", "linked"] {
        let err = render(repo.path(), &batch(dir)).unwrap_err();
        assert!(matches!(err, BatchError::Read { .. }), "{dir}: {err}");
        let chain = format!("{err}: {}", std::error::Error::source(&err).unwrap());
        assert!(chain.contains("symbolic link"), "{dir}: {chain}");
    }
}
