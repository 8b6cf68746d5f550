//! `portcullis test`: which tag would an image move to, and why.

use anyhow::Context;
use portcullis_image::aiu::ContainerImage;
use portcullis_image::{Digest, ImageRef, PlatformFilter};
use portcullis_policy::{AllowTags, Selection, SelectionOptions, Strategy, TagInfo, UpdateSpec};
use portcullis_registry::RegistryClient;
use serde::Serialize;

use crate::cli::{OutputFormat, TestArgs};
use crate::output::{self, outln};
use crate::{exit, tags_file};

/// The chosen tag, with what the registry says about it.
#[derive(Debug, Serialize)]
struct Selected {
    tag: String,
    digest: Option<Digest>,
    platform_digest: Option<Digest>,
    platform: Option<String>,
    created: Option<jiff::Timestamp>,
}

#[derive(Debug, Serialize)]
struct Report {
    image: String,
    strategy: Strategy,
    constraint: Option<String>,
    current: Option<String>,
    platforms: String,
    source: &'static str,
    selected: Option<Selected>,
    considered: usize,
    eligible: usize,
    filtered: portcullis_policy::FilterCounts,
    warnings: Vec<String>,
    explanation: String,
    registry_requests: Option<u64>,
}

pub(crate) async fn run(args: TestArgs) -> anyhow::Result<u8> {
    // The image, Image Updater style: the part after ':' is the constraint unless one is given.
    let entry = ContainerImage::parse(&args.image);
    let image: ImageRef = entry
        .to_image_ref()
        .with_context(|| format!("cannot use image '{}'", args.image))?;
    let (constraint, current) = match &args.semver_constraint {
        Some(c) => (Some(c.clone()), image.tag().map(|t| t.as_str().to_owned())),
        None => (entry.constraint().map(str::to_owned), None),
    };
    let mut spec = UpdateSpec::named(&args.update_strategy)?.with_ignore_tags(&args.ignore_tags);
    if let Some(c) = &constraint {
        spec = spec.with_constraint(c.clone());
    }
    if let Some(a) = &args.allow_tags {
        spec = spec.with_allow_tags(AllowTags::parse(a));
    }
    let strategy = spec.strategy;
    let options = SelectionOptions::new(spec)
        .with_context(|| format!("cannot select tags for '{}'", args.image))?;
    let platforms = portcullis_gate::lookup::platform_filter(&args.platform);
    let repository = image.repository();

    let (tags, client, source) = match &args.tags_file {
        Some(path) => {
            let listed = tags_file::read(path)?;
            let tags: Vec<TagInfo> = listed
                .into_iter()
                .map(|t| TagInfo {
                    name: t.name,
                    created: t.created,
                    digest: None,
                })
                .collect();
            (tags, None, "tags-file")
        }
        None => {
            let client = super::registry::client(
                args.registries_conf.as_deref(),
                args.credentials.as_deref(),
                repository.registry(),
            )?;
            let tags =
                portcullis_gate::lookup::tags(&client, repository, &options, strategy, &platforms)
                    .await?;
            (tags, Some(client), "registry")
        }
    };

    let selection = options.select(&tags);
    let selected = match (&selection.chosen, &client) {
        (None, _) => None,
        (Some(chosen), None) => Some(Selected {
            tag: chosen.name.clone(),
            digest: None,
            platform_digest: None,
            platform: None,
            created: chosen.created,
        }),
        (Some(chosen), Some(client)) => {
            let resolved = client
                .resolve(repository, &chosen.name, &platforms)
                .await
                .with_context(|| format!("cannot resolve the chosen tag '{}'", chosen.name))?;
            let (platform_digest, platform) = match resolved.platform_manifest {
                Some((d, p)) => (Some(d), p.map(|p| p.to_string())),
                None => (None, None),
            };
            Some(Selected {
                tag: chosen.name.clone(),
                digest: Some(resolved.digest),
                platform_digest,
                platform,
                created: chosen.created,
            })
        }
    };
    let report = build_report(
        &image,
        &selection,
        selected,
        current,
        &platforms,
        source,
        client.as_ref(),
    );
    output::emit(&match args.output {
        OutputFormat::Json => output::json(&report)?,
        OutputFormat::Text => text(&report),
    })?;
    Ok(if report.selected.is_some() {
        exit::OK
    } else {
        exit::NO_MATCH
    })
}

fn build_report(
    image: &ImageRef,
    selection: &Selection,
    selected: Option<Selected>,
    current: Option<String>,
    platforms: &PlatformFilter,
    source: &'static str,
    client: Option<&RegistryClient>,
) -> Report {
    let mut warnings = selection.warnings.clone();
    for invalid in platforms.invalid() {
        warnings.push(format!(
            "platform '{invalid}' is not os/arch[/variant]; it matches nothing"
        ));
    }
    Report {
        image: image.repository().to_string(),
        strategy: selection.strategy,
        constraint: selection.constraint.clone(),
        current,
        platforms: platforms.to_string(),
        source,
        selected,
        considered: selection.considered,
        eligible: selection.eligible,
        filtered: selection.dropped.clone(),
        warnings,
        explanation: selection.explain(),
        registry_requests: client.map(|c| c.stats().total().requests),
    }
}

fn text(r: &Report) -> String {
    let mut out = String::new();
    outln!(out, "image      {}", r.image);
    match &r.constraint {
        Some(c) => outln!(out, "strategy   {} (constraint {c})", r.strategy),
        None => outln!(out, "strategy   {}", r.strategy),
    }
    if let Some(c) = &r.current {
        outln!(out, "current    {c}");
    }
    outln!(out, "platforms  {}", r.platforms);
    let from = if r.source == "registry" {
        "listed by the registry"
    } else {
        "read from the tags file"
    };
    outln!(out, "tags       {} {from}", r.considered);
    outln!(
        out,
        "why        {}",
        r.explanation.replace('\n', "\n         ")
    );
    for w in r
        .warnings
        .iter()
        .filter(|w| !r.explanation.contains(w.as_str()))
    {
        outln!(out, "warning    {w}");
    }
    match &r.selected {
        Some(s) => {
            let digest = s.digest.as_ref().map_or_else(
                || "(digest not resolved: offline)".to_owned(),
                ToString::to_string,
            );
            outln!(out, "selected   {}  {digest}", s.tag);
            if let (Some(pd), Some(p)) = (&s.platform_digest, &s.platform) {
                outln!(out, "           {p} manifest {pd}");
            }
            if let Some(c) = s.created {
                outln!(out, "created    {c}");
            }
        }
        None => outln!(out, "selected   none: no tag qualifies"),
    }
    if let Some(n) = r.registry_requests {
        outln!(out, "requests   {n} to the registry");
    }
    out
}
