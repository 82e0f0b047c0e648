//! The whole sign-in trace and its JSON form.

use serde::{Deserialize, Serialize};

use crate::evidence::{Evidence, EvidenceId, EvidenceKind};
use crate::redact::{REDACTED_PERSONAL, RedactionPolicy, redact_sip_text};
use crate::step::{Step, StepRecord};
use crate::time::Timestamp;

/// The schema identifier written in every trace's `"schema"` field. Bump the number on any
/// incompatible change (a renamed field, a renamed cause code).
pub const SCHEMA_VERSION: &str = "sfb.sign-in-trace/1";

/// The largest JSON document [`SignInTrace::from_json`] reads.
pub const MAX_JSON: usize = 64 * 1024 * 1024;

/// Why a trace could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The document is larger than [`MAX_JSON`].
    #[error("trace document larger than {MAX_JSON} bytes")]
    TooLarge,
    /// The document is not a trace.
    #[error("malformed trace: {0}")]
    Malformed(#[from] serde_json::Error),
    /// The document is a trace of another schema version.
    #[error("unsupported trace schema {found:?} (expected {SCHEMA_VERSION:?})")]
    UnsupportedSchema {
        /// The version found.
        found: String,
    },
    /// A step or verdict refers to evidence that is not in the trace.
    #[error("evidence {0} is referenced but absent")]
    DanglingEvidence(u32),
}

/// Everything observed during one sign-in attempt: the document behind `--json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignInTrace {
    /// Always [`SCHEMA_VERSION`].
    pub schema: String,
    /// The tool and its version, e.g. `sfb-probe 0.1.0`.
    pub tool: String,
    /// The SIP URI signed in (or `<personal>` under `redact_personal`).
    pub target: String,
    /// When the attempt started.
    pub started_at: Timestamp,
    /// How long it took, milliseconds.
    pub elapsed_ms: u64,
    /// The redaction policy the trace was written under.
    pub policy: RedactionPolicy,
    /// The steps, in the order they ran.
    pub steps: Vec<StepRecord>,
    /// Every piece of evidence; `evidence[i].id == i`.
    pub evidence: Vec<Evidence>,
}

impl SignInTrace {
    /// An empty trace. Under `redact_personal` the target URI is replaced by `<personal>`
    /// (SIP text is scrubbed of personal data only once the codec gives typed views).
    pub fn new(tool: &str, target: &str, started_at: Timestamp, policy: RedactionPolicy) -> Self {
        let target = if policy.redact_personal {
            REDACTED_PERSONAL
        } else {
            target
        };
        Self {
            schema: SCHEMA_VERSION.to_owned(),
            tool: tool.to_owned(),
            target: target.to_owned(),
            started_at,
            elapsed_ms: 0,
            policy,
            steps: Vec::new(),
            evidence: Vec::new(),
        }
    }

    /// Adds evidence (SIP text is redacted here under the trace's policy) and returns its id.
    /// If `step` is given, the evidence is also listed under that step (created if absent).
    pub fn push_evidence(&mut self, step: Option<Step>, mut kind: EvidenceKind) -> EvidenceId {
        if let EvidenceKind::Sip(sip) = &mut kind {
            let (text, changed) = redact_sip_text(&sip.text, &self.policy);
            sip.text = text;
            sip.redacted |= changed;
        }
        if let EvidenceKind::AuthToken(tok) = &mut kind
            && !self.policy.raw_trace
        {
            tok.raw = None;
        }
        let id = EvidenceId(u32::try_from(self.evidence.len()).unwrap_or(u32::MAX));
        self.evidence.push(Evidence { id, kind });
        if let Some(step) = step {
            self.step_mut(step).evidence.push(id);
        }
        id
    }

    /// The record of a step, created (empty) if it is not there yet.
    pub fn step_mut(&mut self, step: Step) -> &mut StepRecord {
        let index = match self.steps.iter().position(|s| s.step == step) {
            Some(i) => i,
            None => {
                self.steps.push(StepRecord {
                    step,
                    started_at: None,
                    elapsed_ms: 0,
                    evidence: Vec::new(),
                    verdicts: Vec::new(),
                });
                self.steps.len() - 1
            }
        };
        &mut self.steps[index]
    }

    /// The evidence with this id.
    pub fn evidence(&self, id: EvidenceId) -> Option<&Evidence> {
        self.evidence
            .get(usize::try_from(id.0).ok()?)
            .filter(|e| e.id == id)
    }

    /// Pretty JSON (what `--json` prints).
    pub fn to_json(&self) -> String {
        // Serialising these types cannot fail: no maps with non-string keys, no foreign types.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a trace back (bounded size, schema version checked, evidence references checked).
    pub fn from_json(json: &[u8]) -> Result<Self, TraceError> {
        if json.len() > MAX_JSON {
            return Err(TraceError::TooLarge);
        }
        let trace: Self = serde_json::from_slice(json)?;
        if trace.schema != SCHEMA_VERSION {
            return Err(TraceError::UnsupportedSchema {
                found: trace.schema,
            });
        }
        let known = |id: &EvidenceId| trace.evidence(*id).is_some();
        for step in &trace.steps {
            let refs = step
                .evidence
                .iter()
                .chain(step.verdicts.iter().flat_map(|v| &v.evidence));
            if let Some(bad) = refs.clone().find(|id| !known(id)) {
                return Err(TraceError::DanglingEvidence(bad.0));
            }
        }
        Ok(trace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_personal_hides_the_target() {
        let p = RedactionPolicy {
            raw_trace: false,
            redact_personal: true,
        };
        let t = SignInTrace::new("t", "sip:alice@contoso.com", Timestamp::EPOCH, p);
        assert!(!t.to_json().contains("alice"));
        let t = SignInTrace::new(
            "t",
            "sip:alice@contoso.com",
            Timestamp::EPOCH,
            RedactionPolicy::default(),
        );
        assert_eq!(t.target, "sip:alice@contoso.com");
    }
}
