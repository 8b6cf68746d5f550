//! Requests per cycle against the real registry: 200 repositories × 50 tags, cycles of
//! lookups the way `portcullis test` does them (list tags; for newest-build the digest and
//! creation date of every tag; select; resolve the chosen tag), each strategy run for two
//! cycles on a fresh client to show what the caches save. Two layouts: 5 images per repository, each under 10
//! tags (tags sharing images, as release tags do), and 50 images per repository, one per
//! tag (the worst case for config blobs).
//!
//! Prints a Markdown table; run with `cargo bench -p portcullis --bench registry_requests`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench fails by panicking

use std::sync::Arc;
use std::time::Instant;

use portcullis_image::{PlatformFilter, Repository};
use portcullis_policy::{SelectionOptions, Strategy, TagInfo, UpdateSpec};
use portcullis_registry::{
    CredentialStore, RegistriesConfig, RegistryClient, RegistryEndpoint, RegistryStats,
};
use portcullis_testkit::{ImageSpec, TestRegistry};

const REPOSITORIES: usize = 200;
const TAGS_PER_REPOSITORY: usize = 50;

/// How a repository's 50 tags map to images.
#[derive(Clone, Copy)]
enum Layout {
    /// 5 images, each under 10 tags.
    Shared,
    /// 50 images, one per tag.
    Distinct,
}

impl Layout {
    fn name(self) -> &'static str {
        match self {
            Self::Shared => "5 images × 10 tags",
            Self::Distinct => "50 images × 1 tag",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Self::Shared => "shared",
            Self::Distinct => "distinct",
        }
    }
}

async fn populate(reg: &TestRegistry, layout: Layout) {
    let mut set = tokio::task::JoinSet::new();
    let limit = Arc::new(tokio::sync::Semaphore::new(16));
    for r in 0..REPOSITORIES {
        let push = reg.pusher();
        let limit = limit.clone();
        let repo = format!("{}/app{r}", layout.prefix());
        set.spawn(async move {
            let _p = limit.acquire_owned().await.unwrap();
            match layout {
                Layout::Shared => {
                    for i in 0..5 {
                        let names: Vec<String> = (0..10).map(|t| format!("{i}.{t}.0")).collect();
                        let spec = ImageSpec::new(
                            &format!("2026-01-{:02}T00:00:00Z", i + 1),
                            &format!("repo{r}-image{i}"),
                        );
                        push.push_many_tags(&repo, &spec, &names).await;
                    }
                }
                Layout::Distinct => {
                    // One layer per repository; a distinct `created` gives each config
                    // (and so each manifest) its own digest.
                    let layer = format!("repo{r}-layer");
                    let images: Vec<(String, ImageSpec)> = (0..TAGS_PER_REPOSITORY)
                        .map(|t| {
                            let created = format!("2026-02-01T00:{:02}:{:02}Z", t / 60, t % 60);
                            (format!("1.{t}.0"), ImageSpec::new(&created, &layer))
                        })
                        .collect();
                    push.push_images(&repo, &images).await;
                }
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
}

async fn cycle(
    client: &RegistryClient,
    repos: &[Repository],
    strategy: Strategy,
) -> (RegistryStats, f64) {
    client.new_cycle();
    let started = Instant::now();
    let options = SelectionOptions::new(UpdateSpec::new(strategy)).unwrap();
    let any = PlatformFilter::any();
    let mut set = tokio::task::JoinSet::new();
    for repo in repos {
        let (client, repo, options, any) =
            (client.clone(), repo.clone(), options.clone(), any.clone());
        set.spawn(async move {
            let names = client.list_tags(&repo).await.unwrap();
            assert_eq!(names.len(), TAGS_PER_REPOSITORY);
            let tags: Vec<TagInfo> = if strategy.needs_metadata() {
                client
                    .tag_infos(&repo, &names, &any, true)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|m| TagInfo {
                        name: m.name,
                        created: m.created,
                        digest: Some(m.digest),
                    })
                    .collect()
            } else {
                names.iter().map(|n| TagInfo::named(n.clone())).collect()
            };
            let chosen = options.select(&tags).chosen.unwrap();
            client.resolve(&repo, &chosen.name, &any).await.unwrap();
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
    (client.stats().total(), started.elapsed().as_secs_f64())
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let reg = TestRegistry::start();
        let mut config = RegistriesConfig::default();
        let mut endpoint = RegistryEndpoint::inferred(&reg.host()).with_api_url(&reg.url(), true);
        endpoint.limit_rps = 100_000;
        endpoint.max_concurrent = 32;
        config.upsert(endpoint);

        println!(
            "| layout | strategy | cycle | requests | manifest HEAD | manifest GET | config blobs | seconds |"
        );
        println!("|---|---|---|---|---|---|---|---|");
        for layout in [Layout::Shared, Layout::Distinct] {
            let t = Instant::now();
            populate(&reg, layout).await;
            eprintln!(
                "pushed {REPOSITORIES} repositories x {TAGS_PER_REPOSITORY} tags ({}) in {:.1}s",
                layout.name(),
                t.elapsed().as_secs_f64()
            );
            let repos: Vec<Repository> = (0..REPOSITORIES)
                .map(|r| {
                    Repository::new(&reg.host(), &format!("{}/app{r}", layout.prefix())).unwrap()
                })
                .collect();
            for strategy in [Strategy::Semver, Strategy::NewestBuild] {
                // A fresh client per strategy: its first cycle starts with empty caches.
                let client = RegistryClient::new(config.clone(), CredentialStore::new());
                for n in 1..=2 {
                    let (s, secs) = cycle(&client, &repos, strategy).await;
                    println!(
                        "| {} | {strategy} | {n} | {} | {} | {} | {} | {secs:.2} |",
                        layout.name(),
                        s.requests,
                        s.manifest_heads,
                        s.manifest_gets,
                        s.blob_fetches
                    );
                }
            }
        }
    });
}
