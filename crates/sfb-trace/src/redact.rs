//! The redaction policy: what a trace may carry.
//!
//! Secret (removed unless `--raw-trace`): raw `gssapi-data` tokens (NTLM responses allow offline
//! password guessing, Kerberos tickets allow replay), passwords, keys. Never secret and always
//! kept, because support engineers need them (ARCHITECTURE.md, "What bad input gets"): `opaque`,
//! `response`, `rspauth`, `crand`, `cnum`, `srand`, `snum`, `realm`, `targetname`, `version`.
//!
//! Passwords and keys never reach a trace at all: they live in zeroizing types in sfb-auth, and
//! no evidence type has a field for them. The textual scrubber below handles the one secret that
//! travels inside SIP text: `gssapi-data` in `Authorization`, `Proxy-Authorization`,
//! `WWW-Authenticate`, `Proxy-Authenticate` and `Authentication-Info`.

use serde::{Deserialize, Serialize};

/// Auth parameters whose values are secret.
pub const SECRET_PARAMS: &[&str] = &["gssapi-data"];

/// Auth parameters that stay visible, whatever the policy (not secrets).
pub const KEPT_PARAMS: &[&str] = &[
    "opaque",
    "response",
    "rspauth",
    "crand",
    "cnum",
    "srand",
    "snum",
    "realm",
    "targetname",
    "version",
    "qop",
];

/// What replaces a secret value.
pub const REDACTED: &str = "<redacted>";

/// What replaces a personal value (a contact URI or display name).
pub const REDACTED_PERSONAL: &str = "<personal>";

/// The redaction policy, from the command-line flags; recorded in the trace itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionPolicy {
    /// `--raw-trace`: keep auth tokens verbatim (explicit and warned: they allow offline
    /// password guessing).
    #[serde(default)]
    pub raw_trace: bool,
    /// `--redact-personal`: hide contact URIs and display names (default in `--html`).
    #[serde(default)]
    pub redact_personal: bool,
}

impl RedactionPolicy {
    /// Is this auth parameter's value secret (to be replaced unless `raw_trace`)?
    pub fn is_secret_param(&self, name: &str) -> bool {
        !self.raw_trace && SECRET_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(name))
    }
}

/// Replaces the value of every secret auth parameter (`gssapi-data="..."` or an unquoted token)
/// in SIP text by [`REDACTED`], unless the policy says `raw_trace`. Returns the new text and
/// whether anything was replaced.
///
/// Linear in the input; works on any text (a quoted value without its closing quote is redacted
/// to the end of the line).
pub fn redact_sip_text(text: &str, policy: &RedactionPolicy) -> (String, bool) {
    if policy.raw_trace {
        return (text.to_owned(), false);
    }
    // ASCII lower-casing keeps every byte offset, so offsets into `lower` are offsets into `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut cursor = 0;
    let mut from = 0;
    while let Some(value_start) = find_secret(&lower, &mut from) {
        out.push_str(text.get(cursor..value_start).unwrap_or_default());
        let value = text.get(value_start..).unwrap_or_default();
        let extent = value_extent(value);
        if extent.quoted {
            out.push('"');
        }
        out.push_str(REDACTED);
        if extent.closed {
            out.push('"');
        }
        changed = true;
        cursor = value_start + extent.len;
        from = cursor;
    }
    out.push_str(text.get(cursor..).unwrap_or_default());
    (out, changed)
}

/// Finds, from `*from`, the next `<secret-param> =` (optional blanks around `=`, preceded by the
/// start, a blank, a comma or a colon) in the lower-cased text, and returns the offset where its
/// value starts. Advances `*from` past every non-match, so a whole scan is linear.
fn find_secret(lower: &str, from: &mut usize) -> Option<usize> {
    let bytes = lower.as_bytes();
    while *from < lower.len() {
        let (pos, name) = SECRET_PARAMS
            .iter()
            .filter_map(|p| lower.get(*from..)?.find(p).map(|i| (*from + i, *p)))
            .min_by_key(|(i, _)| *i)?;
        let boundary_before =
            pos == 0 || matches!(bytes.get(pos - 1), Some(b' ' | b',' | b'\t' | b':'));
        let mut i = pos + name.len();
        *from = i;
        while matches!(bytes.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        if boundary_before && bytes.get(i) == Some(&b'=') {
            i += 1;
            while matches!(bytes.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
            return Some(i);
        }
    }
    None
}

/// The extent of a parameter value.
struct Extent {
    /// Did it start with a quote?
    quoted: bool,
    /// Did a closing quote end it (on the same line)?
    closed: bool,
    /// Its length in bytes, quotes included.
    len: usize,
}

/// How far a value extends: for `"..."` through the closing quote (or to the end of the line);
/// otherwise up to a comma, a blank or the end of the line.
fn value_extent(value: &str) -> Extent {
    let bytes = value.as_bytes();
    if bytes.first() == Some(&b'"') {
        let end = bytes
            .iter()
            .skip(1)
            .position(|&b| b == b'"' || b == b'\r' || b == b'\n')
            .map_or(bytes.len(), |p| p + 1);
        let closed = bytes.get(end) == Some(&b'"');
        Extent {
            quoted: true,
            closed,
            len: if closed { end + 1 } else { end },
        }
    } else {
        let len = bytes
            .iter()
            .position(|&b| matches!(b, b',' | b' ' | b'\t' | b'\r' | b'\n'))
            .unwrap_or(bytes.len());
        Extent {
            quoted: false,
            closed: false,
            len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTHZ: &str = "REGISTER sip:contoso.com SIP/2.0\r\n\
        Authorization: NTLM qop=\"auth\", opaque=\"3D8E6B0A\", realm=\"SIP Communications Service\", \
        targetname=\"fe01.contoso.com\", crand=\"1bd07d89\", cnum=\"1\", \
        response=\"0100000029618e9651b65a7764000000\", GSSAPI-Data = \"TlRMTVNTUAADAAAAGAAYAEgAAAA=\"\r\n\
        Proxy-Authorization: Kerberos gssapi-data=YIIFoAYJKoZIhvcSAQICAQBuggWP, version=4\r\n\r\n";

    #[test]
    fn gssapi_data_is_replaced_and_the_rest_kept() {
        let (out, changed) = redact_sip_text(AUTHZ, &RedactionPolicy::default());
        assert!(changed);
        assert!(!out.contains("TlRMTVNTUAAD"), "{out}");
        assert!(!out.contains("YIIFoAYJ"), "{out}");
        assert!(out.contains("GSSAPI-Data = \"<redacted>\"\r\n"), "{out}");
        assert!(out.contains("gssapi-data=<redacted>, version=4"), "{out}");
        for kept in [
            "opaque=\"3D8E6B0A\"",
            "crand=\"1bd07d89\"",
            "cnum=\"1\"",
            "response=\"01000000",
        ] {
            assert!(out.contains(kept), "{kept} lost: {out}");
        }
    }

    #[test]
    fn raw_trace_keeps_everything() {
        let policy = RedactionPolicy {
            raw_trace: true,
            redact_personal: false,
        };
        assert_eq!(redact_sip_text(AUTHZ, &policy), (AUTHZ.to_owned(), false));
        assert!(!policy.is_secret_param("gssapi-data"));
        assert!(RedactionPolicy::default().is_secret_param("GSSAPI-DATA"));
        assert!(!RedactionPolicy::default().is_secret_param("rspauth"));
    }

    #[test]
    fn hostile_text_does_not_leak_or_panic() {
        let p = RedactionPolicy::default();
        let (out, _) = redact_sip_text("gssapi-data=\"unterminated secret\r\nnext", &p);
        assert_eq!(out, "gssapi-data=\"<redacted>\r\nnext");
        assert_eq!(
            redact_sip_text("xgssapi-data=keep", &p).0,
            "xgssapi-data=keep"
        );
        assert_eq!(redact_sip_text("gssapi-data", &p).0, "gssapi-data");
        assert_eq!(
            redact_sip_text("gssapi-data=", &p).0,
            "gssapi-data=<redacted>"
        );
        assert_eq!(
            redact_sip_text("é gssapi-data=é", &p).0,
            "é gssapi-data=<redacted>"
        );
        let big = "gssapi-data=".repeat(10_000);
        let (out, _) = redact_sip_text(&big, &p);
        assert!(!out.is_empty());
    }
}
