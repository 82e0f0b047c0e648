//! The sign-in trace: what `sfb-probe --json` serialises.
//!
//! A [`SignInTrace`] holds every step of a sign-in ([`Step`]: discovery, connectivity,
//! authentication, redirection, settings), the evidence gathered along the way ([`Evidence`]:
//! DNS, HTTP, TCP, TLS, SIP messages, decoded auth tokens and extracted facts) and the verdict of each step
//! ([`StepVerdict`]: pass / warn / fail / skipped, a stable cause code, a sentence, the remedy and
//! references to the evidence).
//!
//! Serialisation rules (CLI.md): snake_case field names, times in RFC 3339 ([`Timestamp`]),
//! durations in milliseconds as numbers (fields ending in `_ms`), and a `"schema"` field
//! ([`SCHEMA_VERSION`]). The committed JSON Schema is `schema/sign-in-trace.schema.json`.
//!
//! Secrets never enter a trace unless the [`RedactionPolicy`] says `raw_trace`: see [`redact`].
//!
//! SIP messages are kept as raw text with a direction and a timestamp ([`SipEvidence`]); typed
//! views come from `sfb-sip-codec` later.

mod evidence;
pub mod redact;
mod step;
mod time;
mod trace;

pub use evidence::{
    AuthProtocol, AuthTokenEvidence, CertificateEvidence, Direction, DnsEvidence, Evidence,
    EvidenceId, EvidenceKind, FactEvidence, HttpEvidence, NameSource, SipEvidence, TcpEvidence,
    TcpOutcome, TlsEvidence, TlsFailure, TlsOutcome,
};
pub use redact::RedactionPolicy;
pub use step::{CauseCode, Status, Step, StepRecord, StepVerdict};
pub use time::{Timestamp, TimestampError};
pub use trace::{MAX_JSON, SCHEMA_VERSION, SignInTrace, TraceError};

#[doc(hidden)]
pub mod fuzzing;
