//! A temporary GnuPG home with a fresh passphrase-protected OpenPGP key for the bot; its
//! agent is stopped on drop.

use std::path::{Path, PathBuf};

use portcullis_gitops::sign::{OpenPgpConfig, OpenPgpKeySource, Signer, SigningConfig};

use super::{BOT_EMAIL, run};

pub(crate) const PASSPHRASE: &str = "correct horse battery staple";

pub(crate) struct GpgHome {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) fingerprint: String,
}

impl GpgHome {
    /// A home with one ed25519 signing key for `Portcullis Bot <bot@example.test>`,
    /// protected by [`PASSPHRASE`]; the agent is restarted so no passphrase is cached.
    pub(crate) fn with_key() -> Self {
        super::require_tools(&["gpg", "gpgconf", "git"]);
        let dir = tempfile::Builder::new().prefix("gh").tempdir().unwrap();
        let home = dir.path();
        let uid = format!("Portcullis Bot <{BOT_EMAIL}>");
        gpg(
            home,
            &[
                "--batch",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                PASSPHRASE,
                "--quick-gen-key",
                &uid,
                "ed25519",
                "sign",
                "never",
            ],
        );
        let listing = gpg(home, &["--with-colons", "--list-secret-keys"]);
        let fingerprint = listing
            .lines()
            .find_map(|l| {
                l.strip_prefix("fpr:")
                    .map(|r| r.trim_matches(':').to_owned())
            })
            .expect("gpg lists the new key's fingerprint");
        let this = Self { dir, fingerprint };
        this.forget_passphrase();
        this
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Stops the agent, dropping any cached passphrase.
    pub(crate) fn forget_passphrase(&self) {
        run(
            self.path(),
            "gpgconf",
            &[
                "--homedir",
                &self.path().to_string_lossy(),
                "--kill",
                "gpg-agent",
            ],
            &[],
        );
    }

    /// The armoured secret key.
    pub(crate) fn export_secret_key(&self) -> String {
        gpg(
            self.path(),
            &[
                "--batch",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                PASSPHRASE,
                "--armor",
                "--export-secret-keys",
                &self.fingerprint,
            ],
        )
    }

    /// A file holding [`PASSPHRASE`] (with a trailing newline, as editors write it).
    pub(crate) fn passphrase_file(&self) -> PathBuf {
        let path = self.path().join("passphrase.txt");
        std::fs::write(&path, format!("{PASSPHRASE}\n")).unwrap();
        path
    }

    /// The crate's OpenPGP signer for this home's key, with its passphrase file.
    pub(crate) fn signer(&self) -> Signer {
        let config = OpenPgpConfig::new(
            OpenPgpKeySource::HomeDir(self.path().to_path_buf()),
            &self.fingerprint,
        )
        .with_passphrase_file(self.passphrase_file());
        Signer::from_config(&SigningConfig::OpenPgp(config), None).unwrap()
    }
}

impl Drop for GpgHome {
    fn drop(&mut self) {
        let _ = std::process::Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.dir.path())
            .args(["--kill", "all"])
            .output();
    }
}

fn gpg(home: &Path, args: &[&str]) -> String {
    let mut all = vec!["--homedir", home.to_str().unwrap()];
    all.extend_from_slice(args);
    run(home, "gpg", &all, &[])
}
