//! The registry side of a lookup: the tags of a repository as the selection needs them
//! (names only, or with digest and creation date for strategies that sort by build time,
//! read only for tags that pass the filters), and the platform filter to read them with.
//! Shared by the gate and `portcullis test`, so both see the same tags.

use portcullis_image::{PlatformFilter, Repository};
use portcullis_policy::{SelectionOptions, Strategy, TagInfo};
use portcullis_registry::{RegistryClient, RegistryError};
use tracing::info;

/// `requested` platforms (`os/arch[/variant]`), or linux and this machine's architecture.
pub fn platform_filter(requested: &[String]) -> PlatformFilter {
    if requested.is_empty() {
        PlatformFilter::from_specs(&[format!("linux/{}", std::env::consts::ARCH)])
    } else {
        PlatformFilter::from_specs(requested)
    }
}

/// Every tag of `repository`; for a strategy that needs metadata, the digest and creation
/// date of each tag that passes `options`' filters (filtered-out tags still count as listed).
pub async fn tags(
    client: &RegistryClient,
    repository: &Repository,
    options: &SelectionOptions,
    strategy: Strategy,
    platforms: &PlatformFilter,
) -> Result<Vec<TagInfo>, RegistryError> {
    info!(repository = %repository, "listing tags");
    let names = client.list_tags(repository).await?;
    info!(count = names.len(), "tags listed");
    if !strategy.needs_metadata() {
        return Ok(names.iter().cloned().map(TagInfo::named).collect());
    }
    // Only tags that can still be chosen need their creation date.
    let (wanted, dropped): (Vec<String>, Vec<String>) = names
        .iter()
        .cloned()
        .partition(|n| options.passes_filters(n));
    info!(count = wanted.len(), "reading creation dates");
    let metas = client
        .tag_infos(repository, &wanted, platforms, true)
        .await?;
    let mut tags: Vec<TagInfo> = metas
        .into_iter()
        .map(|m| TagInfo {
            name: m.name,
            created: m.created,
            digest: Some(m.digest),
        })
        .collect();
    tags.extend(dropped.into_iter().map(TagInfo::named));
    Ok(tags)
}
