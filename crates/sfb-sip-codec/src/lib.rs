//! `sfb-sip-codec`: a zero-copy SIP message codec (RFC 3261) with the Microsoft extensions
//! that Lync / Skype for Business sign-in uses.
//!
//! What it does:
//! - **Grammar tier**: [`parse_datagram`] parses one message (RFC 3261 18.3 datagram/file
//!   semantics) into a [`Message`] that borrows the input: start line plus a `Vec` of raw
//!   [`Header`]s (name and value as on the wire). Header sections must be UTF-8 (non-UTF-8
//!   header bytes are [`ParseErrorKind::NotUtf8`]); bodies are bytes.
//! - **Stream framing**: [`Framer`] (`push` bytes, then `next` until [`Status::Partial`])
//!   yields [`Frame::Message`] or [`Frame::KeepAlive`] (one per CRLF, RFC 5626 3.5.1).
//! - **Limits**: every parse is bounded by [`Limits`]; exceeding one names it.
//! - **Validation tier**: [`validate`] checks what the grammar does not (single-value headers,
//!   CSeq method, numeric ranges, required headers, `SIP/2.0`).
//! - **Typed, lazy access**: methods on [`Message`] (`vias()`, `from()`, `to()`, `cseq()`,
//!   `contacts()`, `auth_headers()`, `ms_diagnostics()`, ...) parse a header value only when
//!   called. [`SipUri`], [`NameAddr`], [`parse_auth_value`] are usable standalone.
//! - **Encoding**: [`encode`] writes a message back; header values are copied byte for byte,
//!   never rewritten. [`RequestBuilder`] / [`ResponseBuilder`] build new messages with a
//!   computed Content-Length.
//!
//! What it does not do: no sockets, no clock, no threads, no transactions or dialogs; it does
//! not unescape or normalise anything unless asked (e.g. [`SipUri::user_unescaped`]).
//!
//! Errors: [`ParseError`] (grammar and typed values) and [`ValidationError`] are `Copy` and
//! carry a 1-based line and column.
#![forbid(unsafe_code)]

mod auth;
mod diag;
mod encode;
mod error;
mod framer;
mod limits;
mod message;
mod nameaddr;
mod scan;
mod typed;
mod uri;
mod validate;
mod via;

#[doc(hidden)]
pub mod fuzzing;

pub use auth::{AuthHeader, AuthHeaderKind, AuthParam, parse_auth_value};
pub use diag::MsDiagnostic;
pub use encode::{RequestBuilder, ResponseBuilder, encode};
pub use error::{Limit, ParseError, ParseErrorKind, ValidationError, ValidationErrorKind};
pub use framer::{Frame, Framer, OwnedMessage, Status};
pub use limits::Limits;
pub use message::{Header, Message, StartLine, parse_datagram};
pub use nameaddr::{Contact, NameAddr};
pub use typed::{CSeq, Param, ParamValue, Params, ValueWithParams, Warning};
pub use uri::{Scheme, SipUri, percent_decode};
pub use validate::validate;
pub use via::Via;
