//! The message model ([`Message`], [`StartLine`], [`Header`]) and datagram framing
//! (RFC 3261 18.3). The header-section grammar lives in [`crate::head`].
//!
//! Header values are kept raw, exactly as on the wire (folds included, outer LWS trimmed),
//! and are only parsed into typed values on access (see [`crate::typed`]).

use crate::head::{limit_err, parse_head};
use crate::scan::{long_name, name_matches};
use crate::{Limit, Limits, ParseError, ParseErrorKind};

/// The first line of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// RFC 3261 25.1: `Request-Line = Method SP Request-URI SP SIP-Version CRLF`
    Request {
        /// The method token, case preserved.
        method: &'a str,
        /// The Request-URI, raw.
        uri: &'a str,
        /// The version, e.g. `SIP/2.0`.
        version: &'a str,
    },
    /// RFC 3261 25.1: `Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF`
    Response {
        /// The version, e.g. `SIP/2.0`.
        version: &'a str,
        /// The three-digit status code.
        code: u16,
        /// The reason phrase (may be empty).
        reason: &'a str,
    },
}

/// One header field as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The name as on the wire (case and compact form preserved).
    pub name: &'a str,
    /// The raw value: from the first non-blank byte after the colon to the last non-blank byte
    /// of the last continuation line, folds (CRLF + WSP) included.
    pub value: &'a str,
    /// 1-based line of the header name.
    pub line: u32,
    /// 1-based column of the first byte of the value (on `line` unless the value starts on a fold).
    pub column: u32,
}

impl<'a> Header<'a> {
    /// True if this header has the given name (case-insensitive, compact forms equal long forms).
    pub fn is(&self, name: &str) -> bool {
        name_matches(self.name, long_name(name))
    }

    /// A [`ParseError`] positioned at this header's value.
    pub fn error(&self, kind: ParseErrorKind) -> ParseError {
        ParseError::new(kind, self.line, self.column)
    }
}

/// A parsed SIP message borrowing its bytes. Cheap: one `Vec` of headers; typed values are
/// parsed on access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    bytes: &'a [u8],
    start: StartLine<'a>,
    headers: Vec<Header<'a>>,
    body: &'a [u8],
}

impl<'a> Message<'a> {
    /// The start line.
    pub fn start_line(&self) -> StartLine<'a> {
        self.start
    }

    /// True for a request.
    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    /// The method of a request.
    pub fn method(&self) -> Option<&'a str> {
        match self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code of a response.
    pub fn status_code(&self) -> Option<u16> {
        match self.start {
            StartLine::Response { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }

    /// Every header in wire order.
    pub fn headers(&self) -> impl Iterator<Item = Header<'a>> + '_ {
        self.headers.iter().copied()
    }

    /// The header list as a slice.
    pub fn header_slice(&self) -> &[Header<'a>] {
        &self.headers
    }

    /// The first header with this name (case-insensitive, compact forms equal long forms).
    pub fn header(&self, name: &str) -> Option<Header<'a>> {
        self.headers_named(name).next()
    }

    /// Every header with this name, in wire order.
    pub fn headers_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = Header<'a>> + 's {
        let want = long_name(name);
        self.headers
            .iter()
            .copied()
            .filter(move |h| name_matches(h.name, want))
    }

    /// The body (exactly Content-Length bytes when the header is present).
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// The bytes of the whole message (excess datagram bytes excluded).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

/// Parse one message from a datagram or a file (RFC 3261 18.3): Content-Length is optional
/// (absent: the body is the rest); bytes beyond Content-Length are ignored; a shortfall is
/// [`ParseErrorKind::BodyTruncated`].
pub fn parse_datagram<'a>(buf: &'a [u8], limits: &Limits) -> Result<Message<'a>, ParseError> {
    let head = parse_head(buf, limits)?;
    let rest = buf.get(head.len..).unwrap_or_default();
    let body = match head.content_length {
        Some(n) => rest.get(..n).ok_or(ParseError::new(
            ParseErrorKind::BodyTruncated,
            head.body_line,
            1,
        ))?,
        None => {
            if rest.len() > limits.max_body {
                return Err(limit_err(Limit::Body, limits.max_body, head.body_line, 1));
            }
            rest
        }
    };
    let total = head.len + body.len();
    Ok(Message {
        bytes: buf.get(..total).unwrap_or(buf),
        start: head.start,
        headers: head.headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &[u8]) -> Result<Message<'_>, ParseError> {
        parse_datagram(s, &Limits::default())
    }

    #[test]
    fn request_with_fold_and_compact() {
        let m =
            p(b"INVITE sip:a@b SIP/2.0\r\ni: x\r\nSubject : a\r\n  b  \r\nl: 3\r\n\r\nabcEXTRA")
                .unwrap();
        assert_eq!(m.method(), Some("INVITE"));
        assert_eq!(m.header("call-id").unwrap().value, "x");
        assert_eq!(m.header("s").unwrap().value, "a\r\n  b");
        assert_eq!(m.body(), b"abc");
        assert_eq!(m.as_bytes().len(), m.as_bytes().len());
        assert!(m.as_bytes().ends_with(b"abc"));
    }

    #[test]
    fn value_starting_on_fold() {
        let m = p(b"OPTIONS sip:a SIP/2.0\r\nTo:\r\n   sip:x@y\r\n\r\n").unwrap();
        let h = m.header("t").unwrap();
        assert_eq!((h.value, h.line, h.column), ("sip:x@y", 3, 4));
    }

    #[test]
    fn response_line() {
        let m = p(b"SIP/2.0 100 \r\n\r\n").unwrap();
        assert_eq!(
            m.start_line(),
            StartLine::Response {
                version: "SIP/2.0",
                code: 100,
                reason: ""
            }
        );
        let e = p(b"SIP/2.0 4294967301 big\r\n\r\n").unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::InvalidStatusCode);
    }

    #[test]
    fn errors_have_positions() {
        let e = p(b"OPTIONS sip:a SIP/2.0\r\nTo: x\r\nbad line\r\n\r\n").unwrap_err();
        assert_eq!((e.kind, e.line), (ParseErrorKind::MissingColon, 3));
        let e = p(b"OPTIONS sip:a SIP/2.0\r\nTo: x\nA: b\r\n\r\n").unwrap_err();
        assert_eq!((e.kind, e.line, e.column), (ParseErrorKind::BareLf, 2, 6));
        let e = p(b"OPTIONS sip:a SIP/2.0\r\nTo: x\r\nA: b\rc\r\n\r\n").unwrap_err();
        assert_eq!((e.kind, e.line, e.column), (ParseErrorKind::BareCr, 3, 5));
        let e = p(b"INVITE <sip:a> SIP/2.0\r\n\r\n").unwrap_err();
        assert_eq!((e.kind, e.column), (ParseErrorKind::InvalidRequestUri, 8));
        let e = p(b"INVITE sip:a  SIP/2.0\r\n\r\n").unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::InvalidRequestUri);
        let e = p(b"OPTIONS sip:a SIP/2.0\r\nl: 10\r\n\r\nabc").unwrap_err();
        assert_eq!((e.kind, e.line), (ParseErrorKind::BodyTruncated, 4));
        let e = p(b"OPTIONS sip:a SIP/2.0\r\nl: -1\r\n\r\n").unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::InvalidContentLength);
        let e = p(b"OPTIONS sip:a SIP/2.0\r\nl: 0\r\nContent-Length: 2\r\n\r\nab").unwrap_err();
        assert_eq!(
            (e.kind, e.line),
            (ParseErrorKind::ConflictingContentLength, 3)
        );
    }

    #[test]
    fn limits_are_named() {
        let lim = Limits {
            max_headers: 2,
            ..Limits::default()
        };
        let e = parse_datagram(
            b"OPTIONS sip:a SIP/2.0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
            &lim,
        )
        .unwrap_err();
        assert_eq!(
            e.kind,
            ParseErrorKind::LimitExceeded {
                limit: Limit::Headers,
                max: 2
            }
        );
        assert_eq!(e.line, 4);
        let lim = Limits {
            max_line: 10,
            ..Limits::default()
        };
        let e = parse_datagram(b"OPTIONS sip:a SIP/2.0\r\n\r\n", &lim).unwrap_err();
        assert_eq!(
            e.kind,
            ParseErrorKind::LimitExceeded {
                limit: Limit::Line,
                max: 10
            }
        );
        let lim = Limits {
            max_message: 20,
            ..Limits::default()
        };
        let e = parse_datagram(b"OPTIONS sip:a SIP/2.0\r\nA: 1\r\n\r\n", &lim).unwrap_err();
        assert!(matches!(
            e.kind,
            ParseErrorKind::LimitExceeded {
                limit: Limit::Message,
                ..
            }
        ));
        let lim = Limits {
            max_body: 2,
            ..Limits::default()
        };
        let e = parse_datagram(b"OPTIONS sip:a SIP/2.0\r\n\r\nabc", &lim).unwrap_err();
        assert!(matches!(
            e.kind,
            ParseErrorKind::LimitExceeded {
                limit: Limit::Body,
                ..
            }
        ));
    }

    #[test]
    fn long_heads_and_binary_bodies() {
        // A header section longer than the first UTF-8 window, with multi-byte characters
        // straddling every window edge, and a non-UTF-8 body.
        let mut raw = b"MESSAGE sip:a SIP/2.0\r\n".to_vec();
        for i in 0..60 {
            raw.extend_from_slice(format!("X-{i}: {}\r\n", "\u{e9}".repeat(60)).as_bytes());
        }
        raw.extend_from_slice(b"Content-Length: 3\r\n\r\n\xff\xfe\x00");
        let m = p(&raw).unwrap();
        assert_eq!(m.header_slice().len(), 61);
        assert_eq!(m.body(), b"\xff\xfe\x00");
        let mut bad = raw.clone();
        let at = bad.len() - 40;
        bad[at] = 0xff;
        assert_eq!(p(&bad).unwrap_err().kind, ParseErrorKind::NotUtf8);
    }

    #[test]
    fn not_utf8_is_reported() {
        let e = p(b"OPTIONS sip:a SIP/2.0\r\nA: \xff\r\n\r\n").unwrap_err();
        assert_eq!((e.kind, e.line, e.column), (ParseErrorKind::NotUtf8, 2, 4));
    }
}
