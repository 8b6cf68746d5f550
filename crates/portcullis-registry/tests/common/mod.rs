//! Helpers shared by the client's end-to-end tests.
#![allow(dead_code, unreachable_pub)] // each test binary uses a different subset

use std::time::Duration;

use portcullis_image::Repository;
use portcullis_registry::{
    ClientOptions, CredentialSource, CredentialStore, RegistriesConfig, RegistryClient,
    RegistryEndpoint,
};

/// A configuration that reaches `host` at `url` over plain HTTP (loopback).
pub fn config_for(host: &str, url: &str) -> RegistriesConfig {
    let mut c = RegistriesConfig::default();
    c.upsert(RegistryEndpoint::inferred(host).with_api_url(url, true));
    c
}

/// Default options with short back-offs.
pub fn quick() -> ClientOptions {
    ClientOptions {
        backoff: Duration::from_millis(10),
        ..ClientOptions::default()
    }
}

/// An anonymous client for one loopback registry.
pub fn client(host: &str, url: &str) -> RegistryClient {
    RegistryClient::with_options(config_for(host, url), CredentialStore::new(), quick())
}

/// A client for one loopback registry with `user:password` credentials (through an `env:`
/// source read from a fake environment).
pub fn client_with_creds(host: &str, url: &str, pair: &str) -> RegistryClient {
    RegistryClient::with_options(config_for(host, url), env_creds(host, pair), quick())
}

/// Credentials `value` for `host`, through `env:REG_CREDS`.
pub fn env_creds(host: &str, value: &str) -> CredentialStore {
    let value = value.to_owned();
    CredentialStore::new()
        .with_env(move |k| (k == "REG_CREDS").then(|| value.clone()))
        .with_override(
            host,
            CredentialSource::parse("env:REG_CREDS", false).unwrap(),
        )
}

pub fn repo(host: &str, path: &str) -> Repository {
    Repository::new(host, path).unwrap()
}
