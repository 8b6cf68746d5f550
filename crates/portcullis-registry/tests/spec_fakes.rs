//! The registry client against the testkit's small spec-following fakes, for behaviour
//! Debian's `docker-registry` 2.8 does not have (it ignores `n`, sends no `Link`, never
//! answers `429`, and needs a JWT-signing token service for bearer auth) or that no honest
//! registry shows (garbage, truncated bodies, silence). Each test says which fake and why.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use std::time::{Duration, Instant};

use common::{client, client_with_creds, config_for, quick, repo};
use portcullis_image::PlatformFilter;
use portcullis_registry::{
    AuthFailure, ClientOptions, CredentialStore, RegistryClient, RegistryError,
};
use portcullis_testkit::fakes::{self, Paging};
use portcullis_testkit::{ImageSpec, TestRegistry};

fn paged_client(host: &str, url: &str, page_size: usize) -> RegistryClient {
    RegistryClient::with_options(
        config_for(host, url),
        CredentialStore::new(),
        ClientOptions {
            page_size,
            ..quick()
        },
    )
}

fn numbered(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("t{i:02}")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn follows_relative_and_absolute_link_headers() {
    // Fake: distribution 2.8 ignores `n` and sends no Link header.
    for paging in [Paging::RelativeLink, Paging::AbsoluteLink] {
        let tags = numbered(25);
        let fake = fakes::paginating_registry_with(tags.clone(), paging).await;
        let c = paged_client(&fake.host(), &fake.url(), 10);
        let listed = c.list_tags(&repo(&fake.host(), "paged/app")).await.unwrap();
        assert_eq!(listed.as_slice(), tags.as_slice(), "{paging:?}");
        assert_eq!(fake.hits(), 3, "{paging:?}: pages of 10, 10, 5");
        assert_eq!(c.stats().total().tag_list_pages, 3);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_link_a_full_page_continues_with_last() {
    // Fake: a registry that honours `n` and `last` but sends no Link (the spec allows it).
    let tags = numbered(20);
    let fake = fakes::paginating_registry_with(tags.clone(), Paging::NoLink).await;
    let c = paged_client(&fake.host(), &fake.url(), 10);
    let listed = c.list_tags(&repo(&fake.host(), "paged/app")).await.unwrap();
    assert_eq!(listed.as_slice(), tags.as_slice());
    assert_eq!(fake.hits(), 3, "10, 10, then an empty page ends it");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_back_to_a_fetched_page_ends_the_listing() {
    // Fake: a broken registry whose every page links to the first one; the listing must
    // end, not loop until the page limit.
    let fake = fakes::paginating_registry_with(numbered(25), Paging::LinkToFirstPage).await;
    let c = paged_client(&fake.host(), &fake.url(), 10);
    let listed = c.list_tags(&repo(&fake.host(), "paged/app")).await.unwrap();
    assert_eq!(listed.as_slice(), numbered(10).as_slice());
    assert_eq!(fake.hits(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listing_longer_than_the_page_limit_is_an_error_not_a_cut() {
    // Fake paginating registry: 25 tags in pages of 10 need 3 pages; allow 2.
    let fake = fakes::paginating_registry(numbered(25)).await;
    let c = RegistryClient::with_options(
        config_for(&fake.host(), &fake.url()),
        CredentialStore::new(),
        ClientOptions {
            page_size: 10,
            max_pages: 2,
            ..quick()
        },
    );
    let e = c
        .list_tags(&repo(&fake.host(), "paged/app"))
        .await
        .unwrap_err();
    match &e {
        RegistryError::Malformed { what, detail, .. } => {
            assert_eq!(*what, "tag list");
            assert!(detail.starts_with("more than 2 pages"), "{detail}");
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
    assert_eq!(fake.hits(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn honours_429_retry_after() {
    // Fake proxy in front of the real registry: distribution never answers 429.
    let reg = TestRegistry::start();
    let digest = reg
        .pusher()
        .push_image(
            "busy/app",
            "1.0.0",
            &ImageSpec::new("2026-01-01T00:00:00Z", "b"),
        )
        .await;
    let proxy = fakes::throttling_proxy(&reg.url(), 1, "1").await;
    let c = client(&proxy.host(), &proxy.url());
    let r = repo(&proxy.host(), "busy/app");
    let started = Instant::now();
    let tags = c.list_tags(&r).await.unwrap();
    assert_eq!(tags.as_slice(), ["1.0.0"]);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited Retry-After: 1"
    );
    assert_eq!(c.tag_digest(&r, "1.0.0").await.unwrap().as_str(), digest);
    let s = c.stats().total();
    assert_eq!((s.throttled, s.retries), (1, 1));
    assert_eq!(s.requests, 3, "429, the retry, the HEAD");
    assert_eq!(proxy.hits(), 3);

    // A registry that never stops throttling: bounded attempts, then a typed error.
    let stubborn = fakes::throttling_proxy(&reg.url(), usize::MAX, "0").await;
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
    assert!(err.is_retryable());
    assert_eq!(stubborn.hits(), 3);
    assert_eq!(c.stats().total().throttled, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn bearer_token_flow() {
    // Fake token front (testkit::fakes::token_front) over the real registry: distribution's
    // own token auth needs a JWT-signing token service.
    let reg = TestRegistry::start();
    let push = reg.pusher();
    push.push_image(
        "tok/app",
        "1.0.0",
        &ImageSpec::new("2026-01-01T00:00:00Z", "t"),
    )
    .await;
    push.push_image(
        "tok/other",
        "2.0.0",
        &ImageSpec::new("2026-01-02T00:00:00Z", "o"),
    )
    .await;
    let (front, tokens) = fakes::token_front(&reg.url(), "bob", "pw").await;
    let c = client_with_creds(&front.host(), &front.url(), "bob:pw");
    let app = repo(&front.host(), "tok/app");

    assert_eq!(c.list_tags(&app).await.unwrap().as_slice(), ["1.0.0"]);
    let s = c.stats().total();
    assert_eq!((s.requests, s.token_requests), (3, 1), "401, token, retry");
    let infos = c
        .tag_infos(&app, &["1.0.0".to_owned()], &PlatformFilter::any(), true)
        .await
        .unwrap();
    assert_eq!(
        infos[0].created.unwrap().to_string(),
        "2026-01-01T00:00:00Z"
    );
    assert_eq!(
        c.stats().total().token_requests,
        1,
        "the token is reused for its scope"
    );

    // Another repository is another scope: its token is fetched before the first request,
    // since the realm is known by now (no second 401).
    let other = repo(&front.host(), "tok/other");
    let before = c.stats().total().requests;
    assert_eq!(c.list_tags(&other).await.unwrap().as_slice(), ["2.0.0"]);
    assert_eq!(
        c.stats().total().requests - before,
        2,
        "token, then the listing"
    );
    assert_eq!(tokens.load(std::sync::atomic::Ordering::SeqCst), 2);

    let wrong = client_with_creds(&front.host(), &front.url(), "bob:wrong-pw");
    let err = wrong.list_tags(&app).await.unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::Unauthorized {
                status: 401,
                reason: AuthFailure::TokenRefused,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains("wrong-pw"));

    let anonymous = client(&front.host(), &front.url());
    let err = anonymous.list_tags(&app).await.unwrap_err();
    assert!(err.is_auth(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_challenges_share_one_token_fetch() {
    // Fake token front over the real registry (see bearer_token_flow).
    let reg = TestRegistry::start();
    let names: Vec<String> = (0..12).map(|i| format!("1.{i}")).collect();
    reg.pusher()
        .push_many_tags(
            "tok/app",
            &ImageSpec::new("2026-01-01T00:00:00Z", "t"),
            &names,
        )
        .await;
    let (front, tokens) = fakes::token_front(&reg.url(), "bob", "pw").await;
    let c = client_with_creds(&front.host(), &front.url(), "bob:pw");
    let app = repo(&front.host(), "tok/app");
    let infos = c
        .tag_infos(&app, &names, &PlatformFilter::any(), false)
        .await
        .unwrap();
    assert_eq!(infos.len(), 12);
    assert_eq!(
        tokens.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "12 concurrent 401s, one token"
    );
    assert_eq!(c.stats().total().token_requests, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn identity_tokens_are_exchanged_not_sent_as_passwords() {
    // Fake token front over the real registry; its token endpoint also takes docker's
    // OAuth2 refresh-token grant (POST), with the password as the refresh token.
    let reg = TestRegistry::start();
    reg.pusher()
        .push_image(
            "tok/app",
            "1.0.0",
            &ImageSpec::new("2026-01-01T00:00:00Z", "t"),
        )
        .await;
    let (front, tokens) = fakes::token_front(&reg.url(), "bob", "refresh-secret").await;
    // `<token>` as the user marks an identity token (docker's credential helper protocol).
    let c = client_with_creds(&front.host(), &front.url(), "<token>:refresh-secret");
    let app = repo(&front.host(), "tok/app");
    assert_eq!(c.list_tags(&app).await.unwrap().as_slice(), ["1.0.0"]);
    assert_eq!(tokens.load(std::sync::atomic::Ordering::SeqCst), 1);

    let stale = client_with_creds(&front.host(), &front.url(), "<token>:expired");
    let err = stale.list_tags(&app).await.unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::Unauthorized {
                reason: AuthFailure::TokenRefused,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains("expired"));
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
    assert!(e.to_string().contains("not the tag-list JSON"), "{e}");
    assert!(
        c.list_tags(&r("nulltags")).await.unwrap().is_empty(),
        "null tags: none"
    );
    let e = c.resolve(&r("notjson"), "1.0", &any).await.unwrap_err();
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
    let e = c.resolve(&r("wrongdigest"), "1.0", &any).await.unwrap_err();
    match &e {
        RegistryError::DigestMismatch { expected, .. } => {
            assert!(expected.starts_with("sha256:2222"))
        }
        other => panic!("expected DigestMismatch, got {other:?}"),
    }
    let e = c.resolve(&r("huge"), "1.0", &any).await.unwrap_err();
    assert!(
        matches!(
            e,
            RegistryError::TooLarge {
                what: "manifest",
                limit: 4_194_304,
                ..
            }
        ),
        "{e:?}"
    );
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
    assert!(
        matches!(
            e,
            RegistryError::Unauthorized {
                reason: AuthFailure::NoChallenge,
                ..
            }
        ),
        "{e:?}"
    );
    let e = c.list_tags(&r("forbidden")).await.unwrap_err();
    assert!(
        matches!(
            e,
            RegistryError::Unauthorized {
                status: 403,
                reason: AuthFailure::Forbidden,
                ..
            }
        ),
        "{e:?}"
    );

    let digest = c
        .resolve(&r("badconfig"), "1.0", &any)
        .await
        .unwrap()
        .digest;
    let e = c.created(&r("badconfig"), &digest, &any).await.unwrap_err();
    assert!(
        matches!(
            e,
            RegistryError::Malformed {
                what: "image config",
                ..
            }
        ),
        "{e:?}"
    );
    let digest = c
        .resolve(&r("wrongblob"), "1.0", &any)
        .await
        .unwrap()
        .digest;
    let e = c.created(&r("wrongblob"), &digest, &any).await.unwrap_err();
    assert!(matches!(e, RegistryError::DigestMismatch { .. }), "{e:?}");

    let before = g.hits();
    let e = c.list_tags(&r("error500")).await.unwrap_err();
    assert!(
        matches!(e, RegistryError::Status { status: 500, .. }),
        "{e:?}"
    );
    assert!(e.is_retryable());
    assert_eq!(
        g.hits() - before,
        3,
        "one try and two retries, then the error"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn config_blobs_behind_a_redirect_are_followed_counted_and_checked() {
    // Fake: registries on object storage answer blob GETs with 307 to the storage URL.
    let g = fakes::garbage_registry().await;
    let c = client(&g.host(), &g.url());
    let r = repo(&g.host(), "garbage/redirect");
    let any = PlatformFilter::any();
    let digest = c.resolve(&r, "1.0", &any).await.unwrap().digest;
    let created = c.created(&r, &digest, &any).await.unwrap();
    assert_eq!(created.unwrap().to_string(), "2026-04-01T12:00:00Z");
    let s = c.stats().total();
    assert_eq!(
        (s.requests, s.redirects, s.blob_fetches),
        (4, 1, 1),
        "HEAD (no digest header), GET by tag, blob, redirect hop: {s:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_cut_short_is_malformed() {
    // Fake (raw TCP): a connection that dies mid-body.
    let t = fakes::truncating_server().await;
    let c = RegistryClient::with_options(
        config_for(&t.host(), &t.url()),
        CredentialStore::new(),
        ClientOptions {
            retries: 0,
            ..quick()
        },
    );
    let e = c
        .resolve(&repo(&t.host(), "cut/app"), "1.0", &PlatformFilter::any())
        .await
        .unwrap_err();
    match &e {
        RegistryError::Malformed { what, detail, .. } => {
            assert_eq!(*what, "manifest");
            assert!(
                detail.starts_with("body cut short after 40 bytes"),
                "{detail}"
            );
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_registry_times_out_after_bounded_retries() {
    // Fake (raw TCP): accepts and never answers.
    let s = fakes::silent_server().await;
    let mut config = config_for(&s.host(), &s.url());
    let mut endpoint = config.endpoint_for(&s.host());
    endpoint.timeout = Duration::from_millis(300);
    config.upsert(endpoint);
    let c = RegistryClient::with_options(
        config,
        CredentialStore::new(),
        ClientOptions {
            retries: 1,
            ..quick()
        },
    );
    let started = Instant::now();
    let e = c
        .list_tags(&repo(&s.host(), "quiet/app"))
        .await
        .unwrap_err();
    assert!(matches!(e, RegistryError::Connect { .. }), "{e:?}");
    assert!(e.is_retryable());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(s.hits(), 2, "one try, one retry");
    assert_eq!(c.stats().total().retries, 1);
}
