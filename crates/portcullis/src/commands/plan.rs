//! `portcullis plan`: every image of every application of a standalone configuration through
//! the gate, once, against the real registries; a table of what `run` would do and why.

use std::sync::Arc;

use anyhow::Context;
use portcullis_gate::{Decision, Gate, GateOptions};
use portcullis_registry::{CredentialStore, RegistriesConfig, RegistryClient};
use serde::Serialize;

use super::run as run_loop;
use super::{authority, policy};
use crate::cli::{GateArgs, OutputFormat, PlanArgs};
use crate::config::Application;
use crate::config::Config;
use crate::exit;
use crate::output::{self, outln};

/// One row of the plan.
#[derive(Debug, Serialize)]
pub(crate) struct Row {
    pub(crate) application: String,
    pub(crate) image: String,
    pub(crate) alias: Option<String>,
    pub(crate) current: Option<String>,
    pub(crate) candidate: Option<String>,
    pub(crate) digest: Option<String>,
    pub(crate) decision: &'static str,
    pub(crate) reason: &'static str,
    pub(crate) detail: String,
    pub(crate) notes: Vec<portcullis_gate::Note>,
}

pub(crate) async fn run(args: &PlanArgs) -> anyhow::Result<u8> {
    let config = Config::load(&args.config)?;
    let (gate, _) = gate(&config, &args.gate).await?;
    let watched = deployed(&config, args.workdir.as_deref()).await?;
    let rows = evaluate(watched, &gate).await?;
    output::emit(&match args.output {
        OutputFormat::Json => output::json(&rows)?,
        OutputFormat::Text => table(&rows),
    })?;
    Ok(if rows.iter().any(|r| r.decision == "failed") {
        exit::ERROR
    } else {
        exit::OK
    })
}

/// The gate a configuration and policy describe.
pub(crate) async fn gate(config: &Config, args: &GateArgs) -> anyhow::Result<(Arc<Gate>, usize)> {
    let loaded = policy::load(&args.policy)?;
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    let registries = match args
        .registries_conf
        .clone()
        .or_else(|| config.registries_conf.as_deref().map(|p| config.resolve(p)))
    {
        Some(path) => RegistriesConfig::load(&path)?,
        None => RegistriesConfig::default(),
    };
    let client = RegistryClient::new(registries, CredentialStore::new());
    let cache = match &args.tuf_cache {
        Some(dir) => dir.clone(),
        None => authority::default_cache_dir()?,
    };
    let mut options = GateOptions::new(cache);
    options.offline = args.offline;
    let warnings = loaded.warnings.len();
    Ok((
        Arc::new(Gate::new(loaded.policy, client, options)),
        warnings,
    ))
}

/// Every watched image of the configuration, with what its write-back target records as
/// deployed when its repository can be read (else the configuration's `current`, with a
/// warning), in configuration order.
async fn deployed(
    config: &Config,
    workdir: Option<&std::path::Path>,
) -> anyhow::Result<Vec<portcullis_gate::WatchedImage>> {
    let workdir = run_loop::workdir(workdir)?;
    let (credentials, app_token) = run_loop::credentials(config, config.git.as_ref())?;
    if let Some(token) = &app_token
        && let Err(e) = token.refresh().await
    {
        eprintln!(
            "warning: git.githubApp: no installation token ({}); repositories are read without it",
            run_loop::chain(&e)
        );
    }
    let mut read: std::collections::HashMap<(String, String), portcullis_gate::WatchedImage> =
        std::collections::HashMap::new();
    for ((repository, base, write, _), apps) in run_loop::groups(config) {
        let invalid = |app: &Application, image: &crate::config::Image, detail: String| {
            eprintln!(
                "warning: application '{}', image '{}': {detail}",
                app.name, image.image
            );
        };
        match run_loop::read_back(
            config,
            &credentials,
            &workdir,
            &repository,
            &base,
            &write,
            &apps,
            &invalid,
        )
        .await
        {
            Ok((_, _, entries)) => {
                for e in entries {
                    read.insert(
                        (e.watched.app.clone(), e.configured().to_owned()),
                        e.watched,
                    );
                }
            }
            Err(e) => eprintln!(
                "warning: cannot read what is deployed from {repository} ({e}); using each image's configured current"
            ),
        }
    }
    let mut watched = Vec::new();
    for app in &config.applications {
        for image in &app.images {
            match read.remove(&(app.name.clone(), image.image.clone())) {
                Some(w) => watched.push(w),
                None => watched.push(app.watched(image).with_context(|| {
                    format!("application '{}', image '{}'", app.name, image.image)
                })?),
            }
        }
    }
    Ok(watched)
}

/// Every watched image through `gate`, a bounded number at a time, in the order given.
pub(crate) async fn evaluate(
    watched: Vec<portcullis_gate::WatchedImage>,
    gate: &Arc<Gate>,
) -> anyhow::Result<Vec<Row>> {
    let decisions = run_loop::decide_all(gate, watched.clone()).await?;
    Ok(watched
        .iter()
        .zip(&decisions)
        .map(|(w, d)| row(w, d))
        .collect())
}

fn row(w: &portcullis_gate::WatchedImage, decision: &Decision) -> Row {
    let (candidate, digest) = match decision {
        Decision::Update { image, .. } => (
            Some(image.tag().as_str().to_owned()),
            Some(image.digest().to_string()),
        ),
        _ => (None, None),
    };
    Row {
        application: w.app.clone(),
        image: w.image.repository().to_string(),
        alias: w.alias.clone(),
        current: w.current.as_ref().map(|c| c.tag.clone()),
        candidate,
        digest,
        decision: decision.kind(),
        reason: decision.reason().code(),
        detail: decision.detail(),
        notes: decision.notes().to_vec(),
    }
}

fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    let header = [
        "APPLICATION",
        "IMAGE",
        "CURRENT",
        "CANDIDATE",
        "DECISION",
        "REASON",
    ];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.application.clone(),
                r.alias
                    .as_ref()
                    .map_or_else(|| r.image.clone(), |a| format!("{a}={}", r.image)),
                r.current.clone().unwrap_or_else(|| "-".to_owned()),
                r.candidate.clone().unwrap_or_else(|| "-".to_owned()),
                r.decision.to_owned(),
                r.reason.to_owned(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.len());
        }
    }
    let line = |row: &[String]| {
        row.iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    outln!(out, "{}", line(&header.map(str::to_owned)));
    for (row, r) in cells.iter().zip(rows) {
        outln!(out, "{}", line(row));
        outln!(out, "    {}", r.detail);
        for note in &r.notes {
            outln!(out, "    note ({}): {}", note.code, note.message);
        }
    }
    out
}
