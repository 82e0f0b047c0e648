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
//! - **Summary**: [`summary`] gives a JSON-able view (`Serialize` with the `serde` feature).
//!
//! Errors: [`ParseError`] (grammar and typed values) and [`ValidationError`] are `Copy` and
//! carry a 1-based line and column.
//!
//! Decisions worth knowing:
//! - Header values are `&str`: the header section must be UTF-8 (RFC 3261 allows UTF-8 text
//!   there); the body is `&[u8]`. Lines must end in CRLF (bare LF or CR is an error).
//! - A raw [`Header::value`] runs from the first non-blank byte after the colon to the last
//!   non-blank byte of its last continuation line; folds stay inside, byte for byte.
//! - [`validate`] requires To, From, CSeq, Call-ID and Via; Max-Forwards is optional (Lync
//!   and RFC 2543 peers omit it) but must be 0..=255 when present.
//! - A stream keep-alive is reported per CRLF ([`Frame::KeepAlive`]), so a CRLFCRLF ping is
//!   two frames however the bytes arrive.
//!
//! ```
//! use sfb_sip_codec::{Frame, Framer, Limits, Status, parse_datagram, validate};
//!
//! let raw = b"SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/TLS 10.0.0.1:5061;branch=z9hG4bK1\r\n\
//! From: <sip:a@contoso.com>;tag=1\r\nTo: <sip:a@contoso.com>;tag=2\r\nCall-ID: c\r\n\
//! CSeq: 1 REGISTER\r\nWWW-Authenticate: NTLM realm=\"SIP Communications Service\", gssapi-data=\"\"\r\n\
//! ms-diagnostics: 1000;reason=\"Final handshake failed\";source=\"fe.contoso.com\"\r\n\
//! Content-Length: 0\r\n\r\n";
//! let msg = parse_datagram(raw, &Limits::default())?;
//! validate(&msg)?;
//! let auth = msg.auth_headers().next().unwrap()?;
//! assert_eq!((auth.scheme, auth.params[1].name), ("NTLM", "gssapi-data"));
//! assert_eq!(msg.ms_diagnostics().next().unwrap()?.code, 1000);
//!
//! let mut framer = Framer::new(Limits::default());
//! framer.push(b"\r\n");
//! framer.push(raw);
//! assert_eq!(framer.next()?, Status::Complete(Frame::KeepAlive));
//! let Status::Complete(Frame::Message(owned)) = framer.next()? else { panic!() };
//! assert_eq!(owned.message().status_code(), Some(401));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod auth;
mod diag;
mod encode;
mod error;
mod framer;
mod head;
mod limits;
mod message;
mod nameaddr;
mod scan;
mod summary;
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
pub use summary::{HeaderSummary, Summary, summary};
pub use typed::{CSeq, Param, ParamValue, Params, ValueWithParams, Warning};
pub use uri::{Scheme, SipUri, percent_decode};
pub use validate::validate;
pub use via::Via;
