//! `rsip` 0.4.0: `SipMessage::try_from(&[u8])`, then the `HeadersExt` accessors and the typed
//! `Via` and `CSeq` (`.typed()`); the auth headers are split as strings.

use crate::{AuthKind, Input, Sink, TaskError, split};
use rsip::prelude::*;
use rsip::{Header, Method, SipMessage};

/// Where this adapter leaves the typed API.
pub const NOTE: &str = "typed Via/CSeq/Call-ID (`.typed()` clones the header string first); \
    the typed Authorization/WWW-Authenticate/Authentication-Info are Digest-only (they require \
    username/nonce/nextnonce) and the generic auth tokenizer is #[doc(hidden)], so every auth \
    param is found by string splitting of the raw value; Method is a closed enum, so a BENOTIFY \
    request is rejected";

/// The task on one message.
pub fn run<S: Sink>(input: &Input, sink: &mut S) -> Result<(), TaskError> {
    let msg = SipMessage::try_from(&input.raw[..]).map_err(|e| TaskError::Parse(e.to_string()))?;
    let via = msg
        .via_header()
        .map_err(|_| TaskError::MissingHeader("Via"))?
        .typed()
        .map_err(|e| TaskError::BadHeader("Via", e.to_string()))?;
    if let Some(b) = via.branch() {
        sink.branch(b.value().as_bytes());
    }
    let cseq = msg
        .cseq_header()
        .map_err(|_| TaskError::MissingHeader("CSeq"))?
        .typed()
        .map_err(|e| TaskError::BadHeader("CSeq", e.to_string()))?;
    sink.cseq(cseq.seq, method_name(cseq.method).as_bytes());
    let call_id = msg
        .call_id_header()
        .map_err(|_| TaskError::MissingHeader("Call-ID"))?;
    sink.call_id(call_id.value().as_bytes());
    for h in msg.headers().iter() {
        let (kind, value) = match h {
            Header::Authorization(a) => (AuthKind::Authorization, a.value()),
            Header::WwwAuthenticate(a) => (AuthKind::WwwAuthenticate, a.value()),
            Header::AuthenticationInfo(a) => (AuthKind::AuthenticationInfo, a.value()),
            _ => continue,
        };
        split::auth_header(kind, value.as_bytes(), sink);
    }
    Ok(())
}

/// The method's name without allocating (its `Display` writes the same text).
fn method_name(m: Method) -> &'static str {
    match m {
        Method::Ack => "ACK",
        Method::Bye => "BYE",
        Method::Cancel => "CANCEL",
        Method::Info => "INFO",
        Method::Invite => "INVITE",
        Method::Message => "MESSAGE",
        Method::Notify => "NOTIFY",
        Method::Options => "OPTIONS",
        Method::PRack => "PRACK",
        Method::Publish => "PUBLISH",
        Method::Refer => "REFER",
        Method::Register => "REGISTER",
        Method::Subscribe => "SUBSCRIBE",
        Method::Update => "UPDATE",
    }
}
