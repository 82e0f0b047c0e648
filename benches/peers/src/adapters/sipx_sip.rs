//! `sipx-sip` 1.0.1: `parse_datagram(Bytes, &Limits::datagram())`, then the lazy typed headers
//! (`headers().typed::<Via>()`, `CSeq`, `CallId`); the auth headers are split as strings.

use crate::{AuthKind, Input, Sink, TaskError, split};
use sipx_sip::{CSeq, CallId, HeaderName, Limits, Via, parse_datagram};

/// Where this adapter leaves the typed API.
pub const NOTE: &str = "typed Via/CSeq/Call-ID (lazy `headers().typed::<H>()`; CallId copies \
    the value into a Vec); its only typed auth parser, auth::Challenge::parse, is Digest-only \
    and there is no typed Authorization/Authentication-Info, so every auth param is found by \
    string splitting of `Header::value()`";

/// The task on one message.
pub fn run<S: Sink>(input: &Input, sink: &mut S) -> Result<(), TaskError> {
    let msg = parse_datagram(input.bytes.clone(), &Limits::datagram())
        .map_err(|e| TaskError::Parse(e.to_string()))?;
    let headers = msg.headers();
    let via: Via = headers
        .typed()
        .ok_or(TaskError::MissingHeader("Via"))?
        .map_err(|e| TaskError::BadHeader("Via", e.to_string()))?;
    if let Some(b) = via.branch() {
        sink.branch(b);
    }
    let cseq: CSeq = headers
        .typed()
        .ok_or(TaskError::MissingHeader("CSeq"))?
        .map_err(|e| TaskError::BadHeader("CSeq", e.to_string()))?;
    sink.cseq(cseq.sequence, cseq.method.as_bytes());
    let call_id: CallId = headers
        .typed()
        .ok_or(TaskError::MissingHeader("Call-ID"))?
        .map_err(|e| TaskError::BadHeader("Call-ID", e.to_string()))?;
    sink.call_id(&call_id.0);
    for h in headers.iter() {
        let kind = match h.name() {
            HeaderName::Authorization => AuthKind::Authorization,
            HeaderName::WwwAuthenticate => AuthKind::WwwAuthenticate,
            HeaderName::AuthenticationInfo => AuthKind::AuthenticationInfo,
            _ => continue,
        };
        split::auth_header(kind, &h.value(), sink);
    }
    Ok(())
}
