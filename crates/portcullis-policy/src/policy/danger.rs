//! The switches that weaken verification (`ignoreTlog`, `ignoreSct`). They live here so a
//! reviewer can find every one; each use is reported as a warning when the policy loads.

/// Checks an authority waives. Both `false` unless the policy says otherwise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Danger {
    /// Accept a signature without a transparency-log entry (`ignoreTlog`).
    pub ignore_tlog: bool,
    /// Accept a keyless certificate without a signed certificate timestamp (`ignoreSct`).
    pub ignore_sct: bool,
}

impl Danger {
    /// Whether any check is waived.
    pub fn any(self) -> bool {
        self.ignore_tlog || self.ignore_sct
    }

    /// The warnings this setting earns: (field, message).
    pub(crate) fn warnings(self) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        if self.ignore_tlog {
            out.push((
                "ignoreTlog",
                "danger: signatures without a transparency-log entry are accepted, so a leaked key or certificate can sign unnoticed",
            ));
        }
        if self.ignore_sct {
            out.push((
                "ignoreSct",
                "danger: certificates without a signed certificate timestamp are accepted, so a mis-issued certificate can go unnoticed",
            ));
        }
        out
    }
}
