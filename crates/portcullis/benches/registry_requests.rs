//! Requests per cycle against the real registry: 200 repositories × 50 tags, one cycle of
//! lookups for semver and for newest-build, then a second cycle to show what the caches save.
//! Prints a table; run with `cargo bench -p portcullis --bench registry_requests`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench fails by panicking

use std::time::Instant;

use portcullis_image::{PlatformFilter, Repository};
use portcullis_policy::{SelectionOptions, Strategy, TagInfo, UpdateSpec};
use portcullis_registry::{CredentialStore, RegistriesConfig, RegistryClient, RegistryEndpoint};
use portcullis_testkit::{ImageSpec, TestRegistry};

const REPOSITORIES: usize = 200;
const IMAGES_PER_REPOSITORY: usize = 5;
const TAGS_PER_IMAGE: usize = 10;

async fn populate(reg: &TestRegistry) {
    let mut set = tokio::task::JoinSet::new();
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
    for r in 0..REPOSITORIES {
        let push = reg.pusher();
        let limit = limit.clone();
        set.spawn(async move {
            let _p = limit.acquire_owned().await.unwrap();
            for i in 0..IMAGES_PER_REPOSITORY {
                let names: Vec<String> =
                    (0..TAGS_PER_IMAGE).map(|t| format!("{i}.{t}.0")).collect();
                let spec = ImageSpec::new(
                    &format!("2026-01-{:02}T00:00:00Z", i + 1),
                    &format!("repo{r}-image{i}"),
                );
                push.push_many_tags(&format!("bench/app{r}"), &spec, &names)
                    .await;
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
) -> (u64, u64, u64, f64) {
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
    let s = client.stats().total();
    (
        s.requests,
        s.manifest_fetches,
        s.blob_fetches,
        started.elapsed().as_secs_f64(),
    )
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let reg = TestRegistry::start();
        let t = Instant::now();
        populate(&reg).await;
        eprintln!(
            "pushed {} repositories x {} tags in {:.1}s",
            REPOSITORIES,
            IMAGES_PER_REPOSITORY * TAGS_PER_IMAGE,
            t.elapsed().as_secs_f64()
        );
        let mut config = RegistriesConfig::default();
        let mut endpoint = RegistryEndpoint::inferred(&reg.host()).with_api_url(&reg.url(), true);
        endpoint.limit_rps = 100_000;
        endpoint.max_concurrent = 32;
        config.upsert(endpoint);
        let client = RegistryClient::new(config, CredentialStore::new());
        let repos: Vec<Repository> = (0..REPOSITORIES)
            .map(|r| Repository::new(&reg.host(), &format!("bench/app{r}")).unwrap())
            .collect();

        println!("| strategy | cycle | requests | manifest GET/HEAD | config blobs | seconds |");
        println!("|---|---|---|---|---|---|");
        for strategy in [Strategy::Semver, Strategy::NewestBuild] {
            for n in 1..=2 {
                let (req, man, blobs, secs) = cycle(&client, &repos, strategy).await;
                println!("| {strategy} | {n} | {req} | {man} | {blobs} | {secs:.2} |");
            }
        }
    });
}
