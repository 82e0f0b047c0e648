//! A JSON-able summary of a message for `sfb sip parse --json` (derive `Serialize` with the
//! `serde` feature). Raw values only; typed views are left to the caller.

use crate::{Message, StartLine, ValidationError, validate};

/// One header in a [`Summary`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct HeaderSummary<'a> {
    /// Name as on the wire.
    pub name: &'a str,
    /// Raw value.
    pub value: &'a str,
    /// 1-based line.
    pub line: u32,
}

/// A summary of a parsed message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Summary<'a> {
    /// Method of a request.
    pub method: Option<&'a str>,
    /// Request-URI of a request.
    pub request_uri: Option<&'a str>,
    /// Status code of a response.
    pub status: Option<u16>,
    /// Reason phrase of a response.
    pub reason: Option<&'a str>,
    /// Headers in wire order.
    pub headers: Vec<HeaderSummary<'a>>,
    /// Body length in bytes.
    pub body_len: usize,
    /// The validation result.
    pub validation: Result<(), ValidationError>,
}

/// Summarise a message.
pub fn summary<'a>(msg: &Message<'a>) -> Summary<'a> {
    let (method, request_uri, status, reason) = match msg.start_line() {
        StartLine::Request { method, uri, .. } => (Some(method), Some(uri), None, None),
        StartLine::Response { code, reason, .. } => (None, None, Some(code), Some(reason)),
    };
    Summary {
        method,
        request_uri,
        status,
        reason,
        headers: msg
            .headers()
            .map(|h| HeaderSummary {
                name: h.name,
                value: h.value,
                line: h.line,
            })
            .collect(),
        body_len: msg.body().len(),
        validation: validate(msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises() {
        let raw = b"SIP/2.0 200 OK\r\nCall-ID: x\r\nContent-Length: 2\r\n\r\nok";
        let m = crate::parse_datagram(raw, &crate::Limits::default()).unwrap();
        let s = summary(&m);
        assert_eq!(
            (s.status, s.reason, s.body_len, s.headers.len()),
            (Some(200), Some("OK"), 2, 2)
        );
        assert_eq!(
            s.headers[1],
            HeaderSummary {
                name: "Content-Length",
                value: "2",
                line: 3
            }
        );
        assert!(s.validation.is_err());
    }
}
