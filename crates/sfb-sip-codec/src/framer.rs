//! Stream framing for TCP/TLS (RFC 3261 18.3, RFC 5626 3.5.1): push bytes, then poll for
//! complete messages or keep-alives. Content-Length is required on a stream.

use crate::head::{find_head_end, parse_head};
use crate::message::{Message, parse_datagram};
use crate::{Limits, ParseError, ParseErrorKind};

/// The result of polling: not enough bytes yet, or a complete item (style of httparse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status<T> {
    /// More bytes are needed.
    Partial,
    /// A complete item.
    Complete(T),
}

/// One item taken off a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A complete SIP message.
    Message(OwnedMessage),
    /// One CRLF between messages: RFC 5626 3.5.1 keep-alive. A ping (CRLFCRLF) is two of
    /// these in a row, a pong (CRLF) one; the count does not depend on how bytes arrive.
    KeepAlive,
}

/// A complete message owning its bytes; [`OwnedMessage::message`] re-parses it cheaply.
#[derive(Clone, PartialEq, Eq)]
pub struct OwnedMessage {
    bytes: Vec<u8>,
    limits: Limits,
}

impl core::fmt::Debug for OwnedMessage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OwnedMessage")
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl OwnedMessage {
    /// Take ownership of bytes that parse as one complete message (no excess bytes allowed
    /// beyond Content-Length when present).
    pub fn from_bytes(bytes: Vec<u8>, limits: Limits) -> Result<Self, ParseError> {
        let len = parse_datagram(&bytes, &limits)?.as_bytes().len();
        let mut bytes = bytes;
        bytes.truncate(len);
        Ok(Self { bytes, limits })
    }

    /// The parsed view.
    pub fn message(&self) -> Message<'_> {
        match parse_datagram(&self.bytes, &self.limits) {
            Ok(m) => m,
            // The bytes were parsed with the same limits when this value was made.
            Err(e) => unreachable!("owned message no longer parses: {e}"),
        }
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Give back the raw bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// A push parser for a byte stream.
#[derive(Debug, Clone)]
pub struct Framer {
    buf: Vec<u8>,
    start: usize,
    limits: Limits,
    failed: Option<ParseError>,
    /// Bytes after `start` already searched for the end of the header section.
    scanned: usize,
    /// Total length of the message being received, once its header section parsed.
    pending: Option<usize>,
}

impl Framer {
    /// A framer with these limits.
    pub fn new(limits: Limits) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            limits,
            failed: None,
            scanned: 0,
            pending: None,
        }
    }

    /// Append received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes held that are not yet part of a returned frame.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Take the next complete frame. After an error the stream cannot be resynchronised and
    /// every later call returns the same error.
    #[allow(clippy::should_implement_trait)] // the API contract names it `next`, like httparse-style pollers
    pub fn next(&mut self) -> Result<Status<Frame>, ParseError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let r = self.next_inner();
        if let Err(e) = r {
            self.failed = Some(e);
        }
        r
    }

    fn next_inner(&mut self) -> Result<Status<Frame>, ParseError> {
        let data = self.buf.get(self.start..).unwrap_or_default();
        let total = match self.pending {
            Some(total) => total,
            None => {
                match data {
                    [] | [b'\r'] => return Ok(Status::Partial),
                    [b'\r', b'\n', ..] => {
                        self.start += 2;
                        return Ok(Status::Complete(Frame::KeepAlive));
                    }
                    [b'\r', ..] => {
                        return Err(ParseError::new(ParseErrorKind::InvalidKeepAlive, 1, 2));
                    }
                    _ => {}
                }
                let found = find_head_end(data, self.limits.max_message, self.scanned)?;
                let Some(head_end) = found else {
                    self.scanned = data.len();
                    return self.check_partial_line(data).map(|()| Status::Partial);
                };
                let head = parse_head(data.get(..head_end).unwrap_or(data), &self.limits)?;
                let Some(cl) = head.content_length else {
                    let kind = ParseErrorKind::MissingContentLength;
                    return Err(ParseError::new(kind, head.body_line, 1));
                };
                self.pending = Some(head_end + cl);
                head_end + cl
            }
        };
        let Some(bytes) = data.get(..total) else {
            return Ok(Status::Partial);
        };
        let msg = OwnedMessage {
            bytes: bytes.to_vec(),
            limits: self.limits,
        };
        self.start += total;
        self.scanned = 0;
        self.pending = None;
        Ok(Status::Complete(Frame::Message(msg)))
    }

    /// Reject an incomplete line that is already over `max_line`, so a peer cannot make us
    /// buffer a huge line.
    fn check_partial_line(&self, data: &[u8]) -> Result<(), ParseError> {
        let last_nl = memchr::memrchr(b'\n', data).map_or(0, |i| i + 1);
        if data.len() - last_nl <= self.limits.max_line {
            return Ok(());
        }
        let line = u32::try_from(memchr::memchr_iter(b'\n', data).count() + 1).unwrap_or(u32::MAX);
        let (limit, max) = (crate::Limit::Line, self.limits.max_line);
        let column = u32::try_from(max).unwrap_or(u32::MAX);
        Err(ParseError::new(
            ParseErrorKind::LimitExceeded { limit, max },
            line,
            column,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"OPTIONS sip:a SIP/2.0\r\nCall-ID: x\r\nContent-Length: 3\r\n\r\nabc";

    fn drain(f: &mut Framer) -> Vec<Frame> {
        let mut out = Vec::new();
        while let Status::Complete(fr) = f.next().unwrap() {
            out.push(fr);
        }
        out
    }

    #[test]
    fn frames_messages_and_keepalives() {
        let mut f = Framer::new(Limits::default());
        let mut input = b"\r\n\r\n".to_vec();
        input.extend_from_slice(MSG);
        input.extend_from_slice(b"\r\n");
        input.extend_from_slice(MSG);
        f.push(&input);
        let frames = drain(&mut f);
        assert_eq!(frames.len(), 5);
        assert_eq!(frames[0], Frame::KeepAlive);
        let Frame::Message(m) = &frames[2] else {
            panic!("expected a message")
        };
        assert_eq!(m.message().body(), b"abc");
        assert_eq!(m.as_bytes(), MSG);
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn byte_by_byte() {
        let mut f = Framer::new(Limits::default());
        let mut got = Vec::new();
        for b in MSG {
            f.push(&[*b]);
            got.extend(drain(&mut f));
        }
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn stream_requires_content_length() {
        let mut f = Framer::new(Limits::default());
        f.push(b"OPTIONS sip:a SIP/2.0\r\nCall-ID: x\r\n\r\n");
        let e = f.next().unwrap_err();
        assert_eq!((e.kind, e.line), (ParseErrorKind::MissingContentLength, 4));
        assert_eq!(f.next().unwrap_err(), e);
    }

    #[test]
    fn long_line_rejected_before_end_of_head() {
        let mut f = Framer::new(Limits {
            max_line: 64,
            ..Limits::default()
        });
        f.push(b"OPTIONS sip:a SIP/2.0\r\nX: ");
        f.push(&[b'a'; 100]);
        let e = f.next().unwrap_err();
        assert!(
            matches!(e.kind, ParseErrorKind::LimitExceeded { .. }),
            "{e}"
        );
    }

    #[test]
    fn endless_header_section_is_bounded() {
        let lim = Limits::default();
        let mut f = Framer::new(lim);
        f.push(b"OPTIONS sip:a SIP/2.0\r\n");
        let line = b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        let mut err = None;
        for _ in 0..10_000 {
            f.push(line);
            match f.next() {
                Ok(Status::Partial) => assert!(f.buffered() <= lim.max_message + 2 * line.len()),
                Ok(Status::Complete(_)) => panic!("no frame can be complete"),
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        let e = err.expect("the header-section limit must trip");
        assert_eq!(
            e.kind,
            ParseErrorKind::LimitExceeded {
                limit: crate::Limit::Message,
                max: lim.max_message
            }
        );
    }

    #[test]
    fn bad_keepalive() {
        let mut f = Framer::new(Limits::default());
        f.push(b"\rX");
        assert_eq!(f.next().unwrap_err().kind, ParseErrorKind::InvalidKeepAlive);
    }
}
