//! Encoding: [`encode`] writes a parsed message back without rewriting any header value;
//! [`RequestBuilder`] and [`ResponseBuilder`] make new messages with a computed Content-Length.

use crate::scan::{is_token, name_matches};
use crate::{Limits, Message, OwnedMessage, ParseError, ParseErrorKind, StartLine};

/// Encode a message: start line, each header as `name: value` (name and value exactly as
/// parsed, folds included), the empty line, the body. Only the separator around the colon and
/// the line endings are normalised; nothing is added (no Content-Length is invented).
pub fn encode(msg: &Message<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.as_bytes().len() + 16);
    write_start(&mut out, msg.start_line());
    for h in msg.headers() {
        write_header(&mut out, h.name, h.value);
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(msg.body());
    out
}

fn write_start(out: &mut Vec<u8>, s: StartLine<'_>) {
    match s {
        StartLine::Request {
            method,
            uri,
            version,
        } => {
            for (i, part) in [method, uri, version].iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(part.as_bytes());
            }
        }
        StartLine::Response {
            version,
            code,
            reason,
        } => {
            out.extend_from_slice(version.as_bytes());
            out.extend_from_slice(format!(" {code:03} ").as_bytes());
            out.extend_from_slice(reason.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
}

fn write_header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

impl Message<'_> {
    /// Same start line, same headers (names and values byte for byte, in order) and same body;
    /// positions are ignored.
    pub fn same_content(&self, other: &Message<'_>) -> bool {
        self.start_line() == other.start_line()
            && self.body() == other.body()
            && self.header_slice().len() == other.header_slice().len()
            && self
                .headers()
                .zip(other.headers())
                .all(|(a, b)| a.name == b.name && a.value == b.value)
    }
}

/// Shared header and body handling of the two builders.
#[derive(Debug, Clone, Default)]
struct Parts {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Parts {
    fn finish(self, start: String) -> Result<OwnedMessage, ParseError> {
        let mut out = start.into_bytes();
        out.extend_from_slice(b"\r\n");
        for (i, (name, value)) in self.headers.iter().enumerate() {
            let line = u32::try_from(i + 2).unwrap_or(u32::MAX);
            if !is_token(name) {
                return Err(ParseError::new(ParseErrorKind::InvalidHeaderName, line, 1));
            }
            if let Some(p) = value.find(['\r', '\n']) {
                let c = u32::try_from(name.len() + 3 + p).unwrap_or(u32::MAX);
                return Err(ParseError::new(ParseErrorKind::BareCr, line, c));
            }
            if name_matches(name, "Content-Length") {
                continue;
            }
            write_header(&mut out, name, value.trim_matches([' ', '\t']));
        }
        write_header(&mut out, "Content-Length", &self.body.len().to_string());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        let limits = Limits {
            max_message: usize::MAX,
            max_headers: usize::MAX,
            max_line: usize::MAX,
            max_body: usize::MAX,
        };
        OwnedMessage::from_bytes(out, limits)
    }
}

/// Builds a request. Headers keep their order; any Content-Length given is dropped and the
/// real one is appended last. Values must be single-line (no CR or LF).
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    method: String,
    uri: String,
    parts: Parts,
}

impl RequestBuilder {
    /// Start a `SIP/2.0` request.
    pub fn new(method: &str, uri: &str) -> Self {
        Self {
            method: method.to_owned(),
            uri: uri.to_owned(),
            parts: Parts::default(),
        }
    }

    /// Append a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.parts.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Set the body.
    pub fn body(mut self, body: &[u8]) -> Self {
        self.parts.body = body.to_vec();
        self
    }

    /// Encode and check the result parses; the error names the faulty part.
    pub fn build(self) -> Result<OwnedMessage, ParseError> {
        if !is_token(&self.method) {
            return Err(ParseError::new(ParseErrorKind::InvalidMethod, 1, 1));
        }
        self.parts
            .finish(format!("{} {} SIP/2.0", self.method, self.uri))
    }
}

/// Builds a response (see [`RequestBuilder`] for the header rules).
#[derive(Debug, Clone)]
pub struct ResponseBuilder {
    code: u16,
    reason: String,
    parts: Parts,
}

impl ResponseBuilder {
    /// Start a `SIP/2.0` response.
    pub fn new(code: u16, reason: &str) -> Self {
        Self {
            code,
            reason: reason.to_owned(),
            parts: Parts::default(),
        }
    }

    /// Append a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.parts.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Copy headers from a request in order (e.g. Via, From, To, Call-ID, CSeq), values
    /// byte for byte.
    pub fn copy_headers(mut self, req: &Message<'_>, names: &[&str]) -> Self {
        for h in req.headers().filter(|h| names.iter().any(|n| h.is(n))) {
            self.parts
                .headers
                .push((h.name.to_owned(), h.value.to_owned()));
        }
        self
    }

    /// Set the body.
    pub fn body(mut self, body: &[u8]) -> Self {
        self.parts.body = body.to_vec();
        self
    }

    /// Encode and check the result parses.
    pub fn build(self) -> Result<OwnedMessage, ParseError> {
        if !(100..=999).contains(&self.code) {
            return Err(ParseError::new(ParseErrorKind::InvalidStatusCode, 1, 9));
        }
        self.parts
            .finish(format!("SIP/2.0 {} {}", self.code, self.reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_datagram;

    #[test]
    fn encode_keeps_values() {
        let raw = b"INVITE sip:a@b SIP/2.0\r\nTO :\r\n sip:x@y ;  tag = 1\r\nv:  SIP  / 2.0  / TCP  h ;\r\n  branch=z\r\nl: 2\r\n\r\nhiXX";
        let m = parse_datagram(raw, &Limits::default()).unwrap();
        let out = encode(&m);
        let m2 = parse_datagram(&out, &Limits::default()).unwrap();
        assert!(m.same_content(&m2));
        assert_eq!(
            m2.header("v").unwrap().value,
            "SIP  / 2.0  / TCP  h ;\r\n  branch=z"
        );
        assert_eq!(encode(&m2), out);
    }

    #[test]
    fn builders() {
        let r = RequestBuilder::new("REGISTER", "sip:contoso.com")
            .header("Via", "SIP/2.0/TLS 10.0.0.1:5061;branch=z9hG4bK1")
            .header("Content-Length", "99")
            .body(b"xyz")
            .build()
            .unwrap();
        let m = r.message();
        assert_eq!(m.content_length().unwrap().unwrap(), 3);
        assert_eq!(m.header_slice().len(), 2);
        assert_eq!(m.body(), b"xyz");
        assert!(
            RequestBuilder::new("REGISTER", "sip:c")
                .header("X", "a\r\nB: c")
                .build()
                .is_err()
        );
        assert!(RequestBuilder::new("BAD METHOD", "sip:c").build().is_err());
        let resp = ResponseBuilder::new(200, "OK")
            .copy_headers(&m, &["v"])
            .build()
            .unwrap();
        assert_eq!(
            resp.message().via().unwrap().unwrap().branch(),
            Some("z9hG4bK1")
        );
        assert!(ResponseBuilder::new(2000, "x").build().is_err());
    }
}
