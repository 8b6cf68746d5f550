//! `portcullis plan`: every image of every application of a standalone configuration through
//! the gate, once, against the real registries; a table of what `run` would do and why.

use std::sync::Arc;

use anyhow::Context;
use portcullis_gate::{Decision, Gate, GateOptions};
use portcullis_registry::{CredentialStore, RegistriesConfig, RegistryClient};
use serde::Serialize;

use super::{authority, policy};
use crate::cli::{GateArgs, OutputFormat, PlanArgs};
use crate::config::Config;
use crate::exit;

/// How many images are evaluated at once.
const CONCURRENCY: usize = 8;

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
    let rows = evaluate(&config, &gate).await?;
    match args.output {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
        OutputFormat::Text => print_table(&rows),
    }
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

/// Every watched image through `gate`, a bounded number at a time, in configuration order.
pub(crate) async fn evaluate(config: &Config, gate: &Arc<Gate>) -> anyhow::Result<Vec<Row>> {
    let mut watched = Vec::new();
    for app in &config.applications {
        for image in &app.images {
            watched.push(
                app.watched(image).with_context(|| {
                    format!("application '{}', image '{}'", app.name, image.image)
                })?,
            );
        }
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut set = tokio::task::JoinSet::new();
    for (i, w) in watched.into_iter().enumerate() {
        let gate = gate.clone();
        let limit = limit.clone();
        set.spawn(async move {
            let _slot = limit.acquire_owned().await.ok();
            let decision = gate.evaluate(&w).await;
            (i, row(&w, &decision))
        });
    }
    let mut rows: Vec<(usize, Row)> = Vec::new();
    while let Some(joined) = set.join_next().await {
        rows.push(joined.context("an evaluation task failed")?);
    }
    rows.sort_by_key(|(i, _)| *i);
    Ok(rows.into_iter().map(|(_, r)| r).collect())
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

fn print_table(rows: &[Row]) {
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
    println!("{}", line(&header.map(str::to_owned)));
    for (row, r) in cells.iter().zip(rows) {
        println!("{}", line(row));
        println!("    {}", r.detail);
        for note in &r.notes {
            println!("    note ({}): {}", note.code, note.message);
        }
    }
}
