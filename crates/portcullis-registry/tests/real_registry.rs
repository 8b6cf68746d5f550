//! The registry client against Debian's real `docker-registry` (distribution 2.8) on
//! loopback: listing, digests, image indexes, creation dates, caches, basic auth.
//! Behaviour that registry lacks is tested against the testkit's fakes in `spec_fakes.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use std::time::Duration;

use common::{client, client_with_creds, config_for, quick, repo};
use portcullis_image::PlatformFilter;
use portcullis_registry::{
    AuthFailure, ClientOptions, CredentialStore, RegistriesConfig, RegistryClient,
    RegistryEndpoint, RegistryError,
};
use portcullis_testkit::{ImageSpec, TestRegistry};

fn platforms(specs: &[&str]) -> PlatformFilter {
    PlatformFilter::from_specs(specs)
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_every_tag_and_resolves_digests() {
    let reg = TestRegistry::start();
    let push = reg.pusher();
    let names: Vec<String> = (0..150)
        .map(|i| format!("1.{}.{}", i / 10, i % 10))
        .collect();
    let shared = push
        .push_many_tags(
            "team/app",
            &ImageSpec::new("2026-01-01T00:00:00Z", "shared"),
            &names,
        )
        .await;
    let distinct = push
        .push_image(
            "team/app",
            "2.0.0",
            &ImageSpec::new("2026-02-01T00:00:00Z", "two"),
        )
        .await;
    // A page size below the tag count: distribution 2.8 ignores `n` and answers all 151 at
    // once, which must end the listing after one request rather than ask again with `last`.
    let c = RegistryClient::with_options(
        config_for(&reg.host(), &reg.url()),
        CredentialStore::new(),
        ClientOptions {
            page_size: 100,
            ..quick()
        },
    );
    let r = repo(&reg.host(), "team/app");
    let tags = c.list_tags(&r).await.unwrap();
    assert_eq!(tags.len(), 151);
    assert!(tags.contains(&"1.14.9".to_owned()) && tags.contains(&"2.0.0".to_owned()));
    assert_eq!(c.stats().registry(&reg.host()).tag_list_pages, 1);

    assert_eq!(c.tag_digest(&r, "1.3.4").await.unwrap().as_str(), shared);
    assert_eq!(c.tag_digest(&r, "2.0.0").await.unwrap().as_str(), distinct);
    let resolved = c
        .resolve(&r, "2.0.0", &PlatformFilter::any())
        .await
        .unwrap();
    assert_eq!(resolved.digest.as_str(), distinct);
    assert_eq!(resolved.platform_manifest, None);
    let s = c.stats().registry(&reg.host());
    assert_eq!(
        (s.manifest_heads, s.manifest_gets),
        (2, 1),
        "resolve reuses the digest this cycle already knows"
    );

    let missing = c.tag_digest(&r, "9.9.9").await.unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
    assert!(
        missing
            .to_string()
            .contains("manifest 9.9.9 not found in team/app"),
        "{missing}"
    );
    let no_repo = c
        .list_tags(&repo(&reg.host(), "team/nothing"))
        .await
        .unwrap_err();
    assert!(no_repo.is_not_found(), "{no_repo:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn index_resolves_to_the_first_wanted_platform() {
    let reg = TestRegistry::start();
    let push = reg.pusher();
    let amd = ImageSpec::new("2026-01-01T00:00:00Z", "amd");
    let arm = ImageSpec::new("2026-01-02T00:00:00Z", "arm").on("linux/arm64/v8");
    let attestation = ImageSpec::new("2026-01-03T00:00:00Z", "provenance").on("unknown/unknown");
    let mut children = Vec::new();
    for spec in [&attestation, &amd, &arm] {
        let m = push.image_manifest("multi/app", spec).await;
        let d = portcullis_testkit::sha256(&m);
        push.push_manifest("multi/app", &d, portcullis_registry::OCI_MANIFEST, &m)
            .await;
        children.push(d);
    }
    let index = push
        .push_index_of(
            "multi/app",
            "1.0.0",
            &[
                ("unknown/unknown", children[0].as_str()),
                ("linux/amd64", children[1].as_str()),
                ("linux/arm64/v8", children[2].as_str()),
            ],
        )
        .await;
    let c = client(&reg.host(), &reg.url());
    let r = repo(&reg.host(), "multi/app");

    let on_arm = c
        .resolve(&r, "1.0.0", &platforms(&["linux/arm64"]))
        .await
        .unwrap();
    assert_eq!(
        on_arm.digest.as_str(),
        index,
        "the tag's digest is the index digest"
    );
    let (child, platform) = on_arm.platform_manifest.unwrap();
    assert_eq!(child.as_str(), children[2]);
    assert_eq!(platform.unwrap().to_string(), "linux/arm64/v8");

    let on_amd = c
        .resolve(&r, "1.0.0", &platforms(&["linux/amd64"]))
        .await
        .unwrap();
    assert_eq!(on_amd.platform_manifest.unwrap().0.as_str(), children[1]);
    let any = c
        .resolve(&r, "1.0.0", &PlatformFilter::any())
        .await
        .unwrap();
    assert_eq!(
        any.platform_manifest.unwrap().0.as_str(),
        children[1],
        "any platform: the first image in index order, never the attestation"
    );

    let created_amd = c
        .created(&r, &on_amd.digest, &platforms(&["linux/amd64"]))
        .await
        .unwrap();
    assert_eq!(created_amd.unwrap().to_string(), "2026-01-01T00:00:00Z");
    let created_arm = c
        .created(&r, &on_amd.digest, &platforms(&["linux/arm64/v8"]))
        .await
        .unwrap();
    assert_eq!(created_arm.unwrap().to_string(), "2026-01-02T00:00:00Z");

    let err = c
        .resolve(&r, "1.0.0", &platforms(&["linux/s390x"]))
        .await
        .unwrap_err();
    match &err {
        RegistryError::NoPlatform {
            wanted, available, ..
        } => {
            assert_eq!(wanted, "linux/s390x");
            assert_eq!(available, "unknown/unknown, linux/amd64, linux/arm64/v8");
        }
        other => panic!("expected NoPlatform, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("has no manifest for platform(s) linux/s390x"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn creation_dates_come_from_the_config_and_are_cached_across_cycles() {
    let reg = TestRegistry::start();
    let push = reg.pusher();
    let mut first = String::new();
    for (tag, day) in [("a", "01"), ("b", "02"), ("c", "03")] {
        let d = push
            .push_image(
                "dated/app",
                tag,
                &ImageSpec::new(&format!("2026-03-{day}T00:00:00Z"), tag),
            )
            .await;
        if tag == "a" {
            first = d;
        }
    }
    let undated = ImageSpec {
        created: None,
        ..ImageSpec::new("", "undated")
    };
    push.push_image("dated/app", "d", &undated).await;
    push.retag("dated/app", "e", &first).await; // same image as "a"

    let c = client(&reg.host(), &reg.url());
    let r = repo(&reg.host(), "dated/app");
    let mut tags: Vec<String> = c.list_tags(&r).await.unwrap().to_vec();
    tags.sort(); // distribution lists in storage order
    assert_eq!(tags, ["a", "b", "c", "d", "e"]);
    let infos = c
        .tag_infos(&r, &tags, &PlatformFilter::any(), true)
        .await
        .unwrap();
    let dates: Vec<(String, Option<String>)> = infos
        .iter()
        .map(|t| (t.name.clone(), t.created.map(|c| c.to_string())))
        .collect();
    assert_eq!(
        dates,
        [
            ("a".to_owned(), Some("2026-03-01T00:00:00Z".to_owned())),
            ("b".to_owned(), Some("2026-03-02T00:00:00Z".to_owned())),
            ("c".to_owned(), Some("2026-03-03T00:00:00Z".to_owned())),
            ("d".to_owned(), None),
            ("e".to_owned(), Some("2026-03-01T00:00:00Z".to_owned())),
        ]
    );
    assert_eq!(infos[4].digest.as_str(), first);
    let cycle1 = c.stats().registry(&reg.host());
    assert_eq!(cycle1.tag_list_pages, 1);
    assert_eq!(cycle1.manifest_heads, 5, "one HEAD per tag");
    assert_eq!(cycle1.manifest_gets, 4, "one GET per distinct image");
    assert_eq!(cycle1.blob_fetches, 4, "one config blob per distinct image");
    assert_eq!(cycle1.requests, 14);

    c.new_cycle();
    assert_eq!(
        c.stats().registry(&reg.host()).requests,
        0,
        "counters reset"
    );
    let mut tags: Vec<String> = c.list_tags(&r).await.unwrap().to_vec();
    tags.sort();
    let again = c
        .tag_infos(&r, &tags, &PlatformFilter::any(), true)
        .await
        .unwrap();
    assert_eq!(again, infos);
    let cycle2 = c.stats().registry(&reg.host());
    assert_eq!(cycle2.blob_fetches, 0, "dates come from the digest cache");
    assert_eq!(
        cycle2.manifest_gets, 0,
        "manifests come from the digest cache"
    );
    assert_eq!(
        cycle2.manifest_heads, 5,
        "a tag may have moved: one HEAD per tag per cycle"
    );
    assert_eq!(cycle2.requests, 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_moved_tag_is_seen_in_the_next_cycle_not_within_one() {
    let reg = TestRegistry::start();
    let push = reg.pusher();
    let old = push
        .push_image(
            "moving/app",
            "stable",
            &ImageSpec::new("2026-05-01T00:00:00Z", "old"),
        )
        .await;
    let new = push
        .push_image(
            "moving/app",
            "candidate",
            &ImageSpec::new("2026-05-02T00:00:00Z", "new"),
        )
        .await;
    let c = client(&reg.host(), &reg.url());
    let r = repo(&reg.host(), "moving/app");
    assert_eq!(c.tag_digest(&r, "stable").await.unwrap().as_str(), old);

    push.retag("moving/app", "stable", &new).await;
    assert_eq!(
        c.tag_digest(&r, "stable").await.unwrap().as_str(),
        old,
        "within a cycle a tag has one digest"
    );
    assert_eq!(c.stats().registry(&reg.host()).manifest_heads, 1);

    c.new_cycle();
    let infos = c
        .tag_infos(&r, &["stable".to_owned()], &PlatformFilter::any(), true)
        .await
        .unwrap();
    assert_eq!(infos[0].digest.as_str(), new);
    assert_eq!(
        infos[0].created.unwrap().to_string(),
        "2026-05-02T00:00:00Z"
    );

    push.delete_manifest("moving/app", &new).await;
    c.new_cycle();
    let gone = c.tag_digest(&r, "stable").await.unwrap_err();
    assert!(gone.is_not_found(), "{gone:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_lookups_share_one_listing_and_one_fetch_per_digest() {
    let reg = TestRegistry::start();
    let names: Vec<String> = ["1.0.0", "1.0", "latest"].map(str::to_owned).to_vec();
    let digest = reg
        .pusher()
        .push_many_tags(
            "shared/app",
            &ImageSpec::new("2026-01-01T00:00:00Z", "x"),
            &names,
        )
        .await;
    let c = client(&reg.host(), &reg.url());
    let r = repo(&reg.host(), "shared/app");
    let mut handles = Vec::new();
    for _ in 0..20 {
        let (c, r) = (c.clone(), r.clone());
        handles.push(tokio::spawn(async move {
            let tags = c.list_tags(&r).await.unwrap();
            c.tag_infos(&r, &tags, &PlatformFilter::any(), true)
                .await
                .unwrap()
        }));
    }
    for h in handles {
        let infos = h.await.unwrap();
        assert_eq!(infos.len(), 3);
        assert!(infos.iter().all(|t| t.digest.as_str() == digest));
    }
    let s = c.stats().registry(&reg.host());
    assert_eq!(s.tag_list_pages, 1, "20 lookups, one listing");
    assert_eq!(s.manifest_heads, 3, "one HEAD per tag");
    assert_eq!(s.manifest_gets, 1, "one manifest for the one digest");
    assert_eq!(s.blob_fetches, 1, "one config blob for the one digest");

    c.new_cycle();
    c.list_tags(&r).await.unwrap();
    assert_eq!(
        c.stats().registry(&reg.host()).tag_list_pages,
        1,
        "a new cycle lists again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tag_infos_leaves_out_tags_without_the_wanted_platform() {
    let reg = TestRegistry::start();
    let push = reg.pusher();
    push.push_index(
        "multi/app",
        "1.0",
        &[ImageSpec::new("2026-01-01T00:00:00Z", "a1")],
    )
    .await;
    let (both, children) = push
        .push_index(
            "multi/app",
            "2.0",
            &[
                ImageSpec::new("2026-02-01T00:00:00Z", "a2"),
                ImageSpec::new("2026-02-02T00:00:00Z", "r2").on("linux/arm64/v8"),
            ],
        )
        .await;
    let c = client(&reg.host(), &reg.url());
    let r = repo(&reg.host(), "multi/app");
    let tags = ["1.0".to_owned(), "2.0".to_owned()];
    let arm = c
        .tag_infos(&r, &tags, &platforms(&["linux/arm64"]), true)
        .await
        .unwrap();
    assert_eq!(arm.len(), 1, "{arm:?}");
    assert_eq!(arm[0].name, "2.0");
    assert_eq!(arm[0].digest.as_str(), both);
    assert_eq!(arm[0].created.unwrap().to_string(), "2026-02-02T00:00:00Z");
    assert_eq!(children[1].0, "linux/arm64/v8");
    let amd = c
        .tag_infos(&r, &tags, &platforms(&["linux/amd64"]), true)
        .await
        .unwrap();
    assert_eq!(
        amd.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["1.0", "2.0"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_auth_with_htpasswd() {
    let reg = TestRegistry::start_with_htpasswd("alice", "s3cret-pass");
    let digest = reg
        .pusher()
        .push_image(
            "private/app",
            "1.0.0",
            &ImageSpec::new("2026-01-01T00:00:00Z", "p"),
        )
        .await;
    let r = repo(&reg.host(), "private/app");

    let ok = client_with_creds(&reg.host(), &reg.url(), "alice:s3cret-pass");
    assert_eq!(ok.list_tags(&r).await.unwrap().as_slice(), ["1.0.0"]);
    assert_eq!(
        ok.stats().registry(&reg.host()).requests,
        2,
        "anonymous first, then basic after the challenge"
    );
    let infos = ok
        .tag_infos(&r, &["1.0.0".to_owned()], &PlatformFilter::any(), true)
        .await
        .unwrap();
    assert_eq!(infos[0].digest.as_str(), digest);
    assert_eq!(
        infos[0].created.unwrap().to_string(),
        "2026-01-01T00:00:00Z"
    );
    assert_eq!(
        ok.stats().registry(&reg.host()).requests,
        5,
        "later requests carry the credentials from the start"
    );

    let wrong = client_with_creds(&reg.host(), &reg.url(), "alice:nope-wrong");
    let err = wrong.list_tags(&r).await.unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::Unauthorized {
                status: 401,
                reason: AuthFailure::Refused,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_auth() && !err.is_retryable());
    assert!(
        !format!("{err} {err:?}").contains("nope-wrong"),
        "no secret in errors"
    );

    let anonymous = client(&reg.host(), &reg.url());
    let err = anonymous.list_tags(&r).await.unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::Unauthorized {
                reason: AuthFailure::NoCredentials,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_needs_insecure() {
    let mut config = RegistriesConfig::default();
    config.upsert(
        RegistryEndpoint::inferred("127.0.0.1:9").with_api_url("http://127.0.0.1:9", false),
    );
    let c = RegistryClient::new(config, CredentialStore::new());
    let e = c.list_tags(&repo("127.0.0.1:9", "x/y")).await.unwrap_err();
    assert!(matches!(e, RegistryError::PlainHttp { .. }), "{e:?}");
    assert!(e.to_string().contains("insecure: true"));
    assert_eq!(c.stats().total().requests, 0, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_registry_is_a_retryable_connect_error_after_bounded_retries() {
    let port = portcullis_testkit::free_port();
    let host = format!("127.0.0.1:{port}");
    let c = RegistryClient::with_options(
        config_for(&host, &format!("http://{host}")),
        CredentialStore::new(),
        ClientOptions {
            retries: 2,
            backoff: Duration::from_millis(5),
            ..ClientOptions::default()
        },
    );
    let e = c.list_tags(&repo(&host, "x/y")).await.unwrap_err();
    assert!(matches!(e, RegistryError::Connect { .. }), "{e:?}");
    assert!(e.is_retryable());
    let s = c.stats().registry(&host);
    assert_eq!((s.requests, s.retries), (3, 2));
}
