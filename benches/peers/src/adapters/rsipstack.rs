//! `rsipstack` 0.7.14, its `sip` module (a vendored `rsip` fork): `SipMessage::try_from(&[u8])`,
//! then the typed `Via::parse`, `CSeq::parse` and the public `AuthTokenizer` for the auth
//! headers.

use crate::{AuthKind, Input, Sink, TaskError};
use rsipstack::sip::typed::tokenizers::AuthTokenizer;
use rsipstack::sip::typed::{CSeq, Via};
use rsipstack::sip::{HasHeaders, Header, HeadersExt, Method, SipMessage};

/// Where this adapter leaves the typed API.
pub const NOTE: &str = "typed Via/CSeq/Call-ID; the typed Authorization and WWW-Authenticate \
    are Digest-only (they require username/nonce) and there is no typed Authentication-Info, so \
    every auth header goes through the public AuthTokenizer (scheme + (name, value) pairs, \
    unquoted); Method is a closed enum, so a BENOTIFY request is rejected";

/// The task on one message.
pub fn run<S: Sink>(input: &Input, sink: &mut S) -> Result<(), TaskError> {
    let msg = SipMessage::try_from(&input.raw[..]).map_err(|e| TaskError::Parse(e.to_string()))?;
    let via = msg
        .via_header()
        .map_err(|_| TaskError::MissingHeader("Via"))?;
    let via = Via::parse(via.value()).map_err(|e| TaskError::BadHeader("Via", e.to_string()))?;
    if let Some(b) = via.branch() {
        sink.branch(b.value().as_bytes());
    }
    let cseq = msg
        .cseq_header()
        .map_err(|_| TaskError::MissingHeader("CSeq"))?;
    let cseq =
        CSeq::parse(cseq.value()).map_err(|e| TaskError::BadHeader("CSeq", e.to_string()))?;
    sink.cseq(cseq.seq, method_name(&cseq.method).as_bytes());
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
        let tok =
            AuthTokenizer::parse(value).map_err(|e| TaskError::BadHeader("auth", e.to_string()))?;
        sink.auth_header(kind, tok.scheme.as_bytes());
        for (n, v) in &tok.params {
            sink.auth_param(n.as_bytes(), v.as_bytes());
        }
    }
    Ok(())
}

/// The method's name without allocating (its `Display` writes the same text).
fn method_name(m: &Method) -> &'static str {
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
