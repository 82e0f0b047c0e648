//! Steps of a sign-in and their verdicts.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::evidence::EvidenceId;
use crate::time::Timestamp;

/// The steps of a sign-in, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// DNS and autodiscover: where to connect.
    Discovery,
    /// TCP and TLS to the candidate endpoints.
    Connectivity,
    /// The REGISTER / 401 / MS-SIPAE loop.
    Authentication,
    /// A 301 to the home pool.
    Redirection,
    /// In-band provisioning and the first subscriptions.
    Settings,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 5] = [
        Step::Discovery,
        Step::Connectivity,
        Step::Authentication,
        Step::Redirection,
        Step::Settings,
    ];
}

/// The status of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It worked.
    Pass,
    /// It worked, but something deserves attention (a dead pool member, a near expiry).
    Warn,
    /// It failed.
    Fail,
    /// It did not run (an earlier step failed, or the user asked not to).
    Skipped,
}

/// The longest cause code accepted.
const MAX_CAUSE: usize = 64;

/// A stable, machine-readable cause: dot-separated lower-case words, e.g. `tls.name_mismatch`.
///
/// Codes are part of the JSON contract: rename one only with a schema version bump.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CauseCode(String);

impl CauseCode {
    /// Checks the form: 1 to 64 bytes of `[a-z0-9_.]`, starting with a letter, no empty segment.
    pub fn new(code: &str) -> Option<Self> {
        let ok = !code.is_empty()
            && code.len() <= MAX_CAUSE
            && code.starts_with(|c: char| c.is_ascii_lowercase())
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
            && code.split('.').all(|s| !s.is_empty());
        ok.then(|| Self(code.to_owned()))
    }

    /// A code written in the source (checked in debug builds; the producers' tests cover them).
    pub fn from_static(code: &'static str) -> Self {
        debug_assert!(Self::new(code).is_some(), "malformed cause code {code:?}");
        Self(code.to_owned())
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CauseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CauseCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::new(&text).ok_or_else(|| serde::de::Error::custom("malformed cause code"))
    }
}

/// The verdict on one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepVerdict {
    /// The step judged.
    pub step: Step,
    /// Pass, warn, fail or skipped.
    pub status: Status,
    /// The stable cause code.
    pub cause: CauseCode,
    /// One sentence for a human, e.g. "The certificate of sip.contoso.com expired on ...".
    pub sentence: String,
    /// What to do about it, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
    /// The evidence that supports it.
    #[serde(default)]
    pub evidence: Vec<EvidenceId>,
}

/// One step as it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Which step.
    pub step: Step,
    /// When it started (absent when skipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    /// How long it took, milliseconds.
    #[serde(default)]
    pub elapsed_ms: u64,
    /// The evidence it gathered, in order.
    #[serde(default)]
    pub evidence: Vec<EvidenceId>,
    /// The verdicts on it (usually one; rules may add warnings).
    #[serde(default)]
    pub verdicts: Vec<StepVerdict>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cause_codes_have_a_stable_form() {
        assert!(CauseCode::new("tls.name_mismatch").is_some());
        assert!(CauseCode::new("tcp.refused2").is_some());
        for bad in [
            "",
            "Tls.x",
            "tls..x",
            "tls.",
            ".tls",
            "tls x",
            "1tls",
            &"a".repeat(65),
        ] {
            assert!(CauseCode::new(bad).is_none(), "{bad:?}");
        }
        let err = serde_json::from_str::<CauseCode>("\"TLS\"");
        assert!(err.is_err());
    }

    #[test]
    fn statuses_serialise_snake_case() {
        let v = serde_json::to_string(&[Status::Pass, Status::Skipped]).unwrap();
        assert_eq!(v, r#"["pass","skipped"]"#);
        assert_eq!(
            serde_json::to_string(&Step::Connectivity).unwrap(),
            "\"connectivity\""
        );
    }
}
