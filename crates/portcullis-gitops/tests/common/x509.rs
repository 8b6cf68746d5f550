//! A throwaway X.509 CA (made with openssl) that issues the bot an ECDSA P-256 leaf
//! certificate with its email in the SAN and the email-protection and code-signing EKUs, and
//! a GnuPG home where gpgsm trusts that CA (`trustlist.txt` with `S relax`, no CRL or OCSP
//! checks, which a throwaway CA cannot serve).

use std::path::{Path, PathBuf};

use portcullis_testsign::{CertificateAuthority, LeafSpec, TransparencyLog};

use super::{BOT_EMAIL, run};

pub(crate) struct X509Fixture {
    pub(crate) dir: tempfile::TempDir,
}

impl X509Fixture {
    pub(crate) fn new() -> Self {
        super::require_tools(&["openssl", "gpgsm", "gpgconf", "git"]);
        let dir = tempfile::Builder::new().prefix("x5").tempdir().unwrap();
        let d = dir.path();
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=Portcullis Test CA/O=portcullis-test",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        let this = Self { dir };
        this.issue_leaf("leaf", BOT_EMAIL);
        let home = this.gpgsm_home();
        std::fs::create_dir(&home).unwrap();
        std::fs::write(
            home.join("gpgsm.conf"),
            "disable-crl-checks\ndisable-ocsp\n",
        )
        .unwrap();
        let d = this.dir.path();
        let fpr = openssl(
            d,
            &["x509", "-in", "ca.pem", "-noout", "-fingerprint", "-sha1"],
        );
        let fpr = fpr.trim().split_once('=').unwrap().1.to_owned();
        std::fs::write(home.join("trustlist.txt"), format!("{fpr} S relax\n")).unwrap();
        run(
            d,
            "gpgsm",
            &[
                "--homedir",
                home.to_str().unwrap(),
                "--batch",
                "--import",
                "ca.pem",
            ],
            &[],
        );
        this
    }

    /// Issues `<name>.key` (PKCS#8 PEM) and `<name>.pem` for `email` from the CA.
    pub(crate) fn issue_leaf(&self, name: &str, email: &str) {
        self.issue_leaf_for(name, email, "emailProtection,codeSigning");
    }

    /// [`Self::issue_leaf`] with these extended key usages (OpenSSL names).
    pub(crate) fn issue_leaf_for(&self, name: &str, email: &str, usages: &str) {
        let d = self.dir.path();
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let ext = format!("{name}.ext");
        let pem = format!("{name}.pem");
        openssl(
            d,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                &key,
            ],
        );
        openssl(
            d,
            &[
                "req",
                "-new",
                "-key",
                &key,
                "-out",
                &csr,
                "-subj",
                &format!("/CN=Portcullis Bot/emailAddress={email}"),
            ],
        );
        std::fs::write(
            d.join(&ext),
            format!(
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n\
                 extendedKeyUsage={usages}\nsubjectAltName=email:{email}\n"
            ),
        )
        .unwrap();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "1",
                "-extfile",
                &ext,
                "-out",
                &pem,
            ],
        );
    }

    pub(crate) fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// The GnuPG home where gpgsm trusts the CA.
    pub(crate) fn gpgsm_home(&self) -> PathBuf {
        self.dir.path().join("gnupg")
    }

    /// A leaf from the Fulcio-like test CA (empty subject, code-signing EKU, email SAN), with
    /// `spec` adjusted by `adjust`, written as `<name>.pem` for the fixture's `leaf.key`.
    ///
    /// Only for refusals: libksba (under gpgsm) cannot parse these certificates ("TLV length too
    /// large"), so a commit signed with one cannot be verified by `git verify-commit`.
    pub(crate) fn fulcio_like_leaf(
        &self,
        ca: &CertificateAuthority,
        name: &str,
        adjust: impl FnOnce(&mut LeafSpec),
    ) {
        let d = self.dir.path();
        openssl(
            d,
            &[
                "pkey",
                "-in",
                "leaf.key",
                "-pubout",
                "-outform",
                "DER",
                "-out",
                "leaf.spki",
            ],
        );
        let spki = std::fs::read(d.join("leaf.spki")).unwrap();
        let mut spec = LeafSpec::email(BOT_EMAIL, "https://issuer.example.test").without_sct();
        adjust(&mut spec);
        let ct = TransparencyLog::new("ct.example.test").unwrap();
        let der = ca.issue(&spki, &spec, &ct).unwrap();
        std::fs::write(d.join(format!("{name}.der")), der).unwrap();
        openssl(
            d,
            &[
                "x509",
                "-inform",
                "DER",
                "-in",
                &format!("{name}.der"),
                "-out",
                &format!("{name}.pem"),
            ],
        );
    }
}

impl Drop for X509Fixture {
    fn drop(&mut self) {
        let _ = std::process::Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.gpgsm_home())
            .args(["--kill", "all"])
            .output();
    }
}

pub(crate) fn openssl(dir: &Path, args: &[&str]) -> String {
    run(dir, "openssl", args, &[])
}
