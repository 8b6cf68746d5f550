//! The registry client against Debian's real `docker-registry` on loopback, and against the
//! testkit's small fakes for what that registry lacks (each test says which and why).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::time::Duration;

use portcullis_image::{PlatformFilter, Repository};
use portcullis_registry::{
    ClientOptions, CredentialSource, CredentialStore, RegistriesConfig, RegistryClient,
    RegistryEndpoint, RegistryError,
};
use portcullis_testkit::{ImageSpec, TestRegistry, fakes};

fn config_for(host: &str, url: &str) -> RegistriesConfig {
    let mut c = RegistriesConfig::default();
    c.upsert(RegistryEndpoint::inferred(host).with_api_url(url, true));
    c
}

fn quick() -> ClientOptions {
    ClientOptions {
        backoff: Duration::from_millis(10),
        ..ClientOptions::default()
    }
}

fn client(host: &str, url: &str) -> RegistryClient {
    RegistryClient::with_options(config_for(host, url), CredentialStore::new(), quick())
}

fn repo(host: &str, path: &str) -> Repository {
    Repository::new(host, path).unwrap()
}

fn env_creds(host: &str, value: &str) -> CredentialStore {
    let value = value.to_owned();
    CredentialStore::new()
        .with_env(move |k| (k == "REG_CREDS").then(|| value.clone()))
        .with_override(
            host,
            CredentialSource::parse("env:REG_CREDS", false).unwrap(),
        )
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
    let c = client(&reg.host(), &reg.url());
    let r = repo(&reg.host(), "team/app");
    let tags = c.list_tags(&r).await.unwrap();
    assert_eq!(tags.len(), 151);
    assert!(tags.contains(&"1.14.9".to_owned()));
    assert_eq!(c.tag_digest(&r, "1.3.4").await.unwrap().as_str(), shared);
    assert_eq!(c.tag_digest(&r, "2.0.0").await.unwrap().as_str(), distinct);
    let resolved = c
        .resolve(&r, "2.0.0", &PlatformFilter::any())
        .await
        .unwrap();
    assert_eq!(resolved.digest.as_str(), distinct);
    assert!(resolved.platform_manifest.is_none());
    let missing = c.tag_digest(&r, "9.9.9").await.unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn index_resolves_to_the_wanted_platform() {
    let reg = TestRegistry::start();
    let (index, children) = reg
        .pusher()
        .push_index(
            "multi/app",
            "1.0.0",
            &[
                ImageSpec {
                    platform: "linux/amd64".into(),
                    ..ImageSpec::new("2026-01-01T00:00:00Z", "amd")
                },
                ImageSpec {
                    platform: "linux/arm64/v8".into(),
                    ..ImageSpec::new("2026-01-02T00:00:00Z", "arm")
                },
            ],
        )
        .await;
    let c = client(&reg.host(), &reg.url());
    let r = repo(&reg.host(), "multi/app");
    let arm = c
        .resolve(&r, "1.0.0", &PlatformFilter::from_specs(&["linux/arm64"]))
        .await
        .unwrap();
    assert_eq!(
        arm.digest.as_str(),
        index,
        "the tag's digest is the index digest"
    );
    let (child, platform) = arm.platform_manifest.unwrap();
    assert_eq!(child.as_str(), children[1].1);
    assert_eq!(platform.unwrap().to_string(), "linux/arm64/v8");
    let created = c
        .created(
            &r,
            &arm.digest,
            &PlatformFilter::from_specs(&["linux/amd64"]),
        )
        .await
        .unwrap();
    assert_eq!(created.unwrap().to_string(), "2026-01-01T00:00:00Z");
    let err = c
        .resolve(&r, "1.0.0", &PlatformFilter::from_specs(&["linux/s390x"]))
        .await
        .unwrap_err();
    match err {
        RegistryError::NoPlatform { available, .. } => {
            assert!(
                available.contains("linux/amd64") && available.contains("linux/arm64/v8"),
                "{available}"
            );
        }
        other => panic!("expected NoPlatform, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn creation_dates_are_cached_by_digest_across_cycles() {
    let reg = TestRegistry::start();
    let push = reg.pusher();
    for (tag, day) in [("a", "01"), ("b", "02"), ("c", "03")] {
        push.push_image(
            "dated/app",
            tag,
            &ImageSpec::new(&format!("2026-03-{day}T00:00:00Z"), tag),
        )
        .await;
    }
    let c = client(&reg.host(), &reg.url());
    let r = repo(&reg.host(), "dated/app");
    let tags: Vec<String> = c.list_tags(&r).await.unwrap().to_vec();
    let first = c
        .tag_infos(&r, &tags, &PlatformFilter::any(), true)
        .await
        .unwrap();
    let b = first.iter().find(|t| t.name == "b").unwrap();
    assert_eq!(b.created.unwrap().to_string(), "2026-03-02T00:00:00Z");
    let cost = c.stats().total();
    assert_eq!(cost.blob_fetches, 3);

    c.new_cycle();
    let second = c
        .tag_infos(&r, &tags, &PlatformFilter::any(), true)
        .await
        .unwrap();
    assert_eq!(first, second);
    let cost = c.stats().total();
    assert_eq!(cost.blob_fetches, 0, "dates come from the digest cache");
    assert_eq!(
        cost.manifest_fetches, 3,
        "one HEAD per tag to see whether it moved"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_lookups_share_one_listing_per_cycle() {
    let reg = TestRegistry::start();
    reg.pusher()
        .push_image(
            "shared/app",
            "1.0.0",
            &ImageSpec::new("2026-01-01T00:00:00Z", "x"),
        )
        .await;
    let c = client(&reg.host(), &reg.url());
    let r = repo(&reg.host(), "shared/app");
    let mut handles = Vec::new();
    for _ in 0..10 {
        let (c, r) = (c.clone(), r.clone());
        handles.push(tokio::spawn(async move { c.list_tags(&r).await.unwrap() }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap().as_slice(), ["1.0.0"]);
    }
    assert_eq!(c.stats().total().tag_list_pages, 1);
    c.new_cycle();
    c.list_tags(&r).await.unwrap();
    assert_eq!(
        c.stats().total().tag_list_pages,
        1,
        "a new cycle lists again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_auth_with_htpasswd() {
    let reg = TestRegistry::start_with_htpasswd("alice", "s3cret-pass");
    reg.pusher()
        .push_image(
            "private/app",
            "1.0.0",
            &ImageSpec::new("2026-01-01T00:00:00Z", "p"),
        )
        .await;
    let r = repo(&reg.host(), "private/app");

    let ok = RegistryClient::with_options(
        config_for(&reg.host(), &reg.url()),
        env_creds(&reg.host(), "alice:s3cret-pass"),
        quick(),
    );
    assert_eq!(ok.list_tags(&r).await.unwrap().as_slice(), ["1.0.0"]);

    let wrong = RegistryClient::with_options(
        config_for(&reg.host(), &reg.url()),
        env_creds(&reg.host(), "alice:nope"),
        quick(),
    );
    let err = wrong.list_tags(&r).await.unwrap_err();
    assert!(err.is_auth(), "{err:?}");
    assert!(
        !format!("{err} {err:?}").contains("nope"),
        "no secret in errors"
    );

    let anonymous = client(&reg.host(), &reg.url());
    assert!(anonymous.list_tags(&r).await.unwrap_err().is_auth());
}

#[tokio::test(flavor = "multi_thread")]
async fn bearer_token_flow() {
    // Fake token front (see testkit::fakes::token_front) over the real registry.
    let reg = TestRegistry::start();
    reg.pusher()
        .push_image(
            "tok/app",
            "1.0.0",
            &ImageSpec::new("2026-01-01T00:00:00Z", "t"),
        )
        .await;
    let (front, tokens) = fakes::token_front(&reg.url(), "bob", "pw").await;
    let r = repo(&front.host(), "tok/app");
    let c = RegistryClient::with_options(
        config_for(&front.host(), &front.url()),
        env_creds(&front.host(), "bob:pw"),
        quick(),
    );
    assert_eq!(c.list_tags(&r).await.unwrap().as_slice(), ["1.0.0"]);
    c.tag_digest(&r, "1.0.0").await.unwrap();
    assert_eq!(
        tokens.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the token is reused"
    );
    assert_eq!(c.stats().total().token_requests, 1);

    let anonymous = client(&front.host(), &front.url());
    let err = anonymous.list_tags(&r).await.unwrap_err();
    assert!(err.is_auth(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn follows_link_pagination() {
    // Fake: Debian's registry 2.8 ignores `n` and sends no Link header.
    let tags: Vec<String> = (0..25).map(|i| format!("t{i:02}")).collect();
    let fake = fakes::paginating_registry(tags.clone()).await;
    let c = RegistryClient::with_options(
        config_for(&fake.host(), &fake.url()),
        CredentialStore::new(),
        ClientOptions {
            page_size: 10,
            ..quick()
        },
    );
    let listed = c.list_tags(&repo(&fake.host(), "paged/app")).await.unwrap();
    assert_eq!(listed.as_slice(), tags.as_slice());
    assert_eq!(fake.hits(), 3);
    assert_eq!(c.stats().total().tag_list_pages, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn honours_429_retry_after() {
    // Fake proxy: the real registry never answers 429.
    let reg = TestRegistry::start();
    reg.pusher()
        .push_image(
            "busy/app",
            "1.0.0",
            &ImageSpec::new("2026-01-01T00:00:00Z", "b"),
        )
        .await;
    let proxy = fakes::throttling_proxy(&reg.url(), 2, "1").await;
    let c = client(&proxy.host(), &proxy.url());
    let started = std::time::Instant::now();
    let tags = c.list_tags(&repo(&proxy.host(), "busy/app")).await.unwrap();
    assert_eq!(tags.as_slice(), ["1.0.0"]);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited Retry-After twice"
    );
    let s = c.stats().total();
    assert_eq!(s.throttled, 2);
    assert_eq!(s.retries, 2);

    let stubborn = fakes::throttling_proxy(&reg.url(), 100, "0").await;
    let c = RegistryClient::with_options(
        config_for(&stubborn.host(), &stubborn.url()),
        CredentialStore::new(),
        ClientOptions {
            retries: 2,
            ..quick()
        },
    );
    let err = c
        .list_tags(&repo(&stubborn.host(), "busy/app"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::RateLimited { attempts: 3, .. }),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_answers_are_typed_errors() {
    // Fake by nature: no honest registry answers like this.
    let g = fakes::garbage_registry().await;
    let c = RegistryClient::with_options(
        config_for(&g.host(), &g.url()),
        CredentialStore::new(),
        ClientOptions {
            retries: 2,
            ..quick()
        },
    );
    let r = |kind: &str| repo(&g.host(), &format!("garbage/{kind}"));
    let any = PlatformFilter::any();

    let e = c.list_tags(&r("notjson")).await.unwrap_err();
    assert!(
        matches!(
            e,
            RegistryError::Malformed {
                what: "tag list",
                ..
            }
        ),
        "{e:?}"
    );
    let e = c.resolve(&r("wrongdigest"), "1.0", &any).await.unwrap_err();
    assert!(matches!(e, RegistryError::DigestMismatch { .. }), "{e:?}");
    let e = c.resolve(&r("huge"), "1.0", &any).await.unwrap_err();
    assert!(matches!(e, RegistryError::TooLarge { .. }), "{e:?}");
    let e = c.resolve(&r("badindex"), "1.0", &any).await.unwrap_err();
    assert!(
        matches!(
            e,
            RegistryError::Malformed {
                what: "manifest",
                ..
            }
        ),
        "{e:?}"
    );
    let e = c.list_tags(&r("nochallenge")).await.unwrap_err();
    assert!(e.is_auth(), "{e:?}");
    let digest = c
        .resolve(&r("badconfig"), "1.0", &any)
        .await
        .unwrap()
        .digest;
    let e = c.created(&r("badconfig"), &digest, &any).await.unwrap_err();
    assert!(
        matches!(
            e,
            RegistryError::DigestMismatch { .. } | RegistryError::Malformed { .. }
        ),
        "{e:?}"
    );

    let before = g.hits();
    let e = c.list_tags(&r("error500")).await.unwrap_err();
    assert!(
        matches!(e, RegistryError::Status { status: 500, .. }),
        "{e:?}"
    );
    assert!(e.is_retryable());
    assert_eq!(g.hits() - before, 3, "one try and two retries");
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
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_registry_is_a_retryable_connect_error() {
    let port = portcullis_testkit::free_port();
    let c = client(
        &format!("127.0.0.1:{port}"),
        &format!("http://127.0.0.1:{port}"),
    );
    let e = c
        .list_tags(&repo(&format!("127.0.0.1:{port}"), "x/y"))
        .await
        .unwrap_err();
    assert!(matches!(e, RegistryError::Connect { .. }), "{e:?}");
    assert!(e.is_retryable());
}
