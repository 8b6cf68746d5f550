//! Commit message and branch templates render as Go's `text/template` does for the
//! documented variables; errors name the position; Portcullis's fields and trailers carry
//! the verified digest and signer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::collections::BTreeMap;

use portcullis_gitops::template::{
    BranchContext, ChangeSummary, DEFAULT_COMMIT_MESSAGE, Problem, Template, append_trailers,
    branch_name, commit_data, commit_message, parse_trailers, target_key, trailer_block,
};

const DIGEST: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

fn change() -> ChangeSummary {
    ChangeSummary {
        alias: Some("web".into()),
        repository: "ghcr.io/acme/web".into(),
        old_digest: Some("sha256:11".into()),
        digest: Some(DIGEST.into()),
        labels: BTreeMap::from([
            (
                "org.opencontainers.image.revision".to_owned(),
                "abc123".to_owned(),
            ),
            ("team".to_owned(), "shop".to_owned()),
        ]),
        signer: Some(
            "https://github.com/acme/web/.github/workflows/release.yml@refs/tags/v1.4.2".into(),
        ),
        rule: Some("prod/acme-release".into()),
        ..ChangeSummary::new("acme/web", "1.4.1", "1.4.2")
    }
}

fn render(src: &str) -> String {
    let tpl = Template::parse("t", src).unwrap_or_else(|e| panic!("{e}"));
    commit_message(&tpl, "shop", &[change()]).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn default_template_matches_image_updater() {
    let tpl = Template::parse("default", DEFAULT_COMMIT_MESSAGE).unwrap();
    let msg = commit_message(
        &tpl,
        "shop",
        &[change(), ChangeSummary::new("redis", "7.2", "7.4")],
    )
    .unwrap();
    assert_eq!(
        msg,
        "build: automatic update of shop\n\nupdates image acme/web tag '1.4.1' to '1.4.2'\nupdates image redis tag '7.2' to '7.4'\n"
    );
}

#[test]
fn portcullis_fields_carry_the_pin_and_the_signer() {
    assert_eq!(
        render(
            "{{range .AppChanges}}{{.Alias}} {{.Repository}} {{.OldTag}}@{{.OldDigest}} -> {{.NewTag}}@{{.Digest}} by {{.Signer}} ({{.Rule}}){{end}}"
        ),
        format!(
            "web ghcr.io/acme/web 1.4.1@sha256:11 -> 1.4.2@{DIGEST} by https://github.com/acme/web/.github/workflows/release.yml@refs/tags/v1.4.2 (prod/acme-release)"
        )
    );
}

#[test]
fn go_semantics_for_missing_keys_truth_and_printing() {
    assert_eq!(
        render("{{range .AppChanges}}[{{.Labels.nope}}]{{end}}"),
        "[<no value>]"
    );
    assert_eq!(
        render(r#"{{range .AppChanges}}[{{index .Labels "nope"}}]{{end}}"#),
        "[]"
    );
    assert_eq!(
        render("{{range .AppChanges}}{{.Labels}}{{end}}"),
        "map[org.opencontainers.image.revision:abc123 team:shop]"
    );
    assert_eq!(render("{{if .AppChanges}}some{{else}}none{{end}}"), "some");
    assert_eq!(
        render("{{range .AppChanges}}{{if .OldDigest}}pinned{{end}}{{end}}"),
        "pinned"
    );
}

#[test]
fn control_flow_trimming_and_functions() {
    let src = "{{- range .AppChanges }}\n  {{- if eq .NewTag \"1.4.1\" }}same\n  {{- else if ne .Alias \"\" }}{{ .Alias }}\n  {{- else }}none{{ end }}\n{{- end }} {{ len .AppChanges }} {{ printf \"%s=%d%%\" $.AppName 5 }} {{ with .AppName }}{{ . }}{{ end }} {{ not false }} {{ and 1 0 }} {{ or \"\" \"x\" }} {{ index .AppChanges 0 | printf \"%v\" | len | printf \"%d\" }}";
    let tpl = Template::parse("t", src).unwrap();
    let out = commit_message(&tpl, "shop", &[change()]).unwrap();
    assert!(out.starts_with("web 1 shop=5% shop true 0 x "), "{out}");
}

#[test]
fn unknown_fields_and_functions_name_the_position() {
    let err = Template::parse("msg", "build {{ .AppName }}\n  {{ upper .AppName }}").unwrap_err();
    assert_eq!(err.problem, Problem::UnknownFunction("upper".into()));
    assert_eq!(
        err.to_string(),
        "template msg:2:6: function \"upper\" not defined"
    );

    let tpl = Template::parse("msg", "{{ range .AppChanges }}\n{{ .Tag }}{{ end }}").unwrap();
    let err = commit_message(&tpl, "shop", &[change()]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "template msg:2:4: can't evaluate field Tag in type commitMessageChange"
    );

    let err = Template::parse("msg", "{{ if .AppName }}open").unwrap_err();
    assert_eq!(err.problem, Problem::MissingEnd("if"));
    let err = Template::parse("msg", "{{ end }}").unwrap_err();
    assert_eq!(err.problem, Problem::Unexpected("end"));
    let err = Template::parse("msg", "{{ $x := 1 }}").unwrap_err();
    assert!(matches!(err.problem, Problem::Unsupported(_)), "{err}");
    assert!(Template::parse("msg", "{{ .A ").is_err());
}

#[test]
fn branch_names_hash_the_changes_and_stop_at_255_bytes() {
    let ctx = BranchContext {
        app_namespace: "argocd".into(),
        app_name: "shop".into(),
        target_key: target_key(
            "https://git.example/acme/deploy.git",
            "main",
            "apps/shop/.argocd-source-shop.yaml",
        ),
    };
    assert_eq!(ctx.target_key, "7ba9ff2c");
    let tpl = Template::parse(
        "b",
        "image-updater-{{.AppNamespace}}-{{.AppName}}-{{.TargetKey}}-{{.SHA256}}",
    )
    .unwrap();
    let name = branch_name(&tpl, &ctx, &[ChangeSummary::new("foo/bar", "1.0", "1.1")]).unwrap();
    assert_eq!(
        name,
        "image-updater-argocd-shop-7ba9ff2c-0fcc2782543e4bb067c174c21bf44eb947f3e55c0d62c403e359c1c209cbd041"
    );
    let long = Template::parse("b", "{{range .Images}}{{.Name}}{{end}}").unwrap();
    let many: Vec<ChangeSummary> = (0..60)
        .map(|i| ChangeSummary::new(&format!("img{i:03}"), "1", "2"))
        .collect();
    assert_eq!(branch_name(&long, &ctx, &many).unwrap().len(), 255);
    // A character across the limit is dropped whole.
    let wide = Template::parse("b", &format!("{}é", "x".repeat(254))).unwrap();
    assert_eq!(branch_name(&wide, &ctx, &[]).unwrap(), "x".repeat(254));
}

#[test]
fn trailers_follow_the_message_and_parse_back() {
    let mut evil = change();
    evil.alias = Some("web\nPortcullis-Policy: forged".into());
    let msg = append_trailers(
        "build: update shop\n\n",
        &[evil, ChangeSummary::new("redis", "", "7.4")],
        "sha256:feed",
    );
    assert_eq!(
        msg,
        format!(
            "build: update shop\n\nPortcullis-Change: web_Portcullis-Policy:_forged ghcr.io/acme/web 1.4.1@sha256:11 -> 1.4.2@{DIGEST}\nPortcullis-Change: - redis - -> 7.4\nPortcullis-Policy: sha256:feed\n"
        )
    );
    let (changes, policy) = parse_trailers(&msg);
    assert_eq!(policy.as_deref(), Some("sha256:feed"));
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0].new, format!("1.4.2@{DIGEST}"));
    assert_eq!(changes[1].alias, None);
    assert_eq!(trailer_block(&[], "h"), "Portcullis-Policy: h\n");
}

#[test]
fn commit_data_lists_every_documented_variable() {
    let tpl = Template::parse(
        "t",
        "{{.AppName}}{{range .AppChanges}}{{.Image}}{{.OldTag}}{{.NewTag}}{{.Labels}}{{.Alias}}{{.Repository}}{{.Digest}}{{.OldDigest}}{{.Signer}}{{.Rule}}{{end}}",
    )
    .unwrap();
    assert!(tpl.render(&commit_data("shop", &[change()])).is_ok());
}

mod robustness {
    use super::*;
    use proptest::prelude::*;

    fn templateish() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                "[ -~\n]{0,6}",
                Just("{{".to_owned()),
                Just("}}".to_owned()),
                Just("{{- ".to_owned()),
                Just(" -}}".to_owned()),
                "(range|if|else|end|with|index|len|eq|printf|not|and) ",
                "\\.(AppName|AppChanges|Image|Labels|Nope)",
                "(\\(|\\)|\\||\\$|\"x\"|`y`|1|-2|\\.)",
            ],
            0..24,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn parsing_and_rendering_never_panic(src in templateish()) {
            if let Ok(tpl) = Template::parse("p", &src) {
                let _ = commit_message(&tpl, "shop", &[change()]);
            }
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "{{ if 1 }}".repeat(10_000);
        assert!(Template::parse("d", &deep).is_err());
        let parens = format!("{{{{ {}1{} }}}}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(Template::parse("d", &parens).is_err());
    }
}
