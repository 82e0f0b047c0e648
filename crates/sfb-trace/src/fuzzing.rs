//! Entry points for the fuzz targets: each takes arbitrary bytes and must never panic.

use crate::redact::{RedactionPolicy, redact_sip_text};
use crate::{SignInTrace, Timestamp};

/// Reads a trace from JSON and, if it parses, writes it again and reads that back.
pub fn trace_json(data: &[u8]) {
    if let Ok(trace) = SignInTrace::from_json(data) {
        let again = SignInTrace::from_json(trace.to_json().as_bytes());
        assert!(again.is_ok(), "a trace we wrote must read back");
    }
}

/// Redacts arbitrary text; the output must not contain a secret value that was redacted.
pub fn redact(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (out, _) = redact_sip_text(&text, &RedactionPolicy::default());
    let (again, _) = redact_sip_text(&out, &RedactionPolicy::default());
    assert_eq!(out, again, "redaction must be idempotent");
}

/// Parses an RFC 3339 timestamp and round-trips it.
pub fn timestamp(data: &[u8]) {
    if let Ok(ts) = Timestamp::parse(&String::from_utf8_lossy(data)) {
        assert_eq!(Timestamp::parse(&ts.to_rfc3339()).ok(), Some(ts));
    }
}
