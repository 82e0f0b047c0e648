//! sfb's own codec, `sfb-sip-codec`: `parse_datagram(&[u8], &Limits::default())`, then the lazy
//! typed accessors `via()`, `cseq()`, `call_id()` and `auth_headers()`.

use crate::{AuthKind, Input, Sink, TaskError};
use sfb_sip_codec::{AuthHeaderKind, Limits, parse_datagram};

/// Where this adapter leaves the typed API.
pub const NOTE: &str = "typed throughout, zero-copy: via()?.branch(), cseq(), call_id(), \
    auth_headers() (scheme + ordered params; a quoted value is its raw inner text, not \
    unescaped, like the peers); no string splitting in the adapter";

/// The task on one message.
pub fn run<S: Sink>(input: &Input, sink: &mut S) -> Result<(), TaskError> {
    let msg = parse_datagram(&input.raw, &Limits::default())
        .map_err(|e| TaskError::Parse(e.to_string()))?;
    let via = msg
        .via()
        .ok_or(TaskError::MissingHeader("Via"))?
        .map_err(|e| TaskError::BadHeader("Via", e.to_string()))?;
    if let Some(b) = via.branch() {
        sink.branch(b.as_bytes());
    }
    let cseq = msg
        .cseq()
        .ok_or(TaskError::MissingHeader("CSeq"))?
        .map_err(|e| TaskError::BadHeader("CSeq", e.to_string()))?;
    sink.cseq(cseq.seq, cseq.method.as_bytes());
    let call_id = msg.call_id().ok_or(TaskError::MissingHeader("Call-ID"))?;
    sink.call_id(call_id.as_bytes());
    for auth in msg.auth_headers() {
        let auth = auth.map_err(|e| TaskError::BadHeader("auth", e.to_string()))?;
        let kind = match auth.kind {
            AuthHeaderKind::Authorization => AuthKind::Authorization,
            AuthHeaderKind::WwwAuthenticate => AuthKind::WwwAuthenticate,
            AuthHeaderKind::AuthenticationInfo => AuthKind::AuthenticationInfo,
            // The Proxy-* kinds are outside the task (and absent from the inputs).
            _ => continue,
        };
        sink.auth_header(kind, auth.scheme.as_bytes());
        for p in &auth.params {
            sink.auth_param(p.name.as_bytes(), p.value.raw().as_bytes());
        }
    }
    Ok(())
}
