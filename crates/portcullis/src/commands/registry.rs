//! The registry client the registry-facing commands share: `--registries-conf` and
//! `--credentials` (an override for the image's registry).

use std::path::Path;

use anyhow::Context;
use portcullis_registry::{CredentialSource, CredentialStore, RegistriesConfig, RegistryClient};

pub(crate) fn client(
    registries_conf: Option<&Path>,
    credentials: Option<&str>,
    registry: &str,
) -> anyhow::Result<RegistryClient> {
    let config = match registries_conf {
        Some(path) => RegistriesConfig::load(path)?,
        None => RegistriesConfig::default(),
    };
    let mut creds = CredentialStore::new();
    if let Some(spec) = credentials {
        let source = CredentialSource::parse(spec, false).context("invalid --credentials")?;
        let target = config.endpoint_for(registry).prefix;
        creds = creds.with_override(&target, source);
    }
    Ok(RegistryClient::new(config, creds))
}
