//! The one-pass grammar parser of the header section (RFC 3261 7, 7.3.1 folding, 25.1):
//! start line, header lines, limits, Content-Length.

use crate::message::{Header, StartLine};
use crate::scan::{TOKEN, is_token, name_matches};
use crate::{Limit, Limits, ParseError, ParseErrorKind};

/// The parsed header section.
pub(crate) struct Head<'a> {
    pub(crate) start: StartLine<'a>,
    pub(crate) headers: Vec<Header<'a>>,
    /// Header section length, empty line included.
    pub(crate) len: usize,
    pub(crate) content_length: Option<usize>,
    /// 1-based line where the body starts.
    pub(crate) body_line: u32,
}

pub(crate) fn limit_err(limit: Limit, max: usize, line: u32, column: u32) -> ParseError {
    ParseError::new(ParseErrorKind::LimitExceeded { limit, max }, line, column)
}

fn col(n: usize) -> u32 {
    u32::try_from(n.saturating_add(1)).unwrap_or(u32::MAX)
}

/// Find the end of the header section: the offset just past the first CRLFCRLF, searching at
/// most `max` bytes and starting at `from` (bytes before it are known not to hold the end).
/// `Ok(None)` means "not yet" (more bytes may complete it).
pub(crate) fn find_head_end(
    buf: &[u8],
    max: usize,
    from: usize,
) -> Result<Option<usize>, ParseError> {
    let window = buf.get(..max.min(buf.len())).unwrap_or(buf);
    let from = from.saturating_sub(3);
    for i in memchr::memchr_iter(b'\n', window.get(from..).unwrap_or_default()) {
        let i = from + i;
        if i >= 3 && window.get(i - 3..=i) == Some(b"\r\n\r\n".as_slice()) {
            return Ok(Some(i + 1));
        }
    }
    if buf.len() >= max.saturating_add(3) {
        return Err(limit_err(
            Limit::Message,
            max,
            line_of(window, window.len()),
            1,
        ));
    }
    Ok(None)
}

fn line_of(buf: &[u8], at: usize) -> u32 {
    let n = memchr::memchr_iter(b'\n', buf.get(..at).unwrap_or(buf)).count();
    u32::try_from(n + 1).unwrap_or(u32::MAX)
}

fn valid_prefix(buf: &[u8], n: usize) -> &str {
    core::str::from_utf8(buf.get(..n).unwrap_or_default()).unwrap_or_default()
}

/// A header whose value may still grow by continuation lines.
struct Pending<'a> {
    name: &'a str,
    vstart: usize,
    vend: usize,
    line: u32,
    column: u32,
}

impl<'a> Pending<'a> {
    // Called once per header from the line loop; left out of line it costs ~30 instructions
    // of moves per header (measured with callgrind).
    #[inline(always)]
    fn finish(self, text: &'a str) -> Header<'a> {
        let raw = text.get(self.vstart..self.vend).unwrap_or_default();
        if !raw
            .as_bytes()
            .first()
            .is_some_and(|b| crate::scan::is_lws(*b))
        {
            return Header {
                name: self.name,
                value: raw,
                line: self.line,
                column: self.column,
            };
        }
        // The value starts on a fold: trim it and point at its first byte.
        let value = crate::scan::trim(raw);
        let skipped = raw
            .as_bytes()
            .get(..raw.len() - raw.trim_start_matches([' ', '\t', '\r', '\n']).len());
        let skipped = skipped.unwrap_or_default();
        let folds = memchr::memchr_iter(b'\n', skipped).count();
        let (line, column) = match memchr::memrchr(b'\n', skipped) {
            Some(nl) => (
                self.line.saturating_add(u32::try_from(folds).unwrap_or(0)),
                col(skipped.len() - nl - 1),
            ),
            None => (self.line, self.column),
        };
        Header {
            name: self.name,
            value,
            line,
            column,
        }
    }
}

/// Parse the header section at the start of `buf` in one pass over its lines
/// (RFC 3261 7.1, 7.2, 7.3; folding per RFC 3261 7.3.1).
pub(crate) fn parse_head<'a>(buf: &'a [u8], limits: &Limits) -> Result<Head<'a>, ParseError> {
    if buf.is_empty() {
        return Err(ParseError::new(ParseErrorKind::Empty, 1, 1));
    }
    // UTF-8 is checked once over a window that grows until it holds the header section, so a
    // large body is not scanned.
    let mut window = buf.len().min(4096);
    loop {
        let all = buf.get(..window).unwrap_or(buf);
        let more = window < buf.len();
        let (text, utf8_err) = match core::str::from_utf8(all) {
            Ok(t) => (t, None),
            Err(e) if e.error_len().is_none() && more => (valid_prefix(all, e.valid_up_to()), None),
            Err(e) => (valid_prefix(all, e.valid_up_to()), Some(e.valid_up_to())),
        };
        match parse_lines(text, utf8_err, more, limits) {
            Err(e) if e == MORE => window = window.saturating_mul(4).min(buf.len()),
            r => return r,
        }
    }
}

/// Internal signal of [`parse_lines`]: the text ended inside the header section but the input
/// has more bytes. Line 0 never occurs in a real error (lines are 1-based).
const MORE: ParseError = ParseError {
    kind: ParseErrorKind::Unterminated,
    line: 0,
    column: 0,
};

/// The line loop of [`parse_head`] over a UTF-8 prefix of the input.
fn parse_lines<'a>(
    text: &'a str,
    utf8_err: Option<usize>,
    more: bool,
    limits: &Limits,
) -> Result<Head<'a>, ParseError> {
    let buf = text.as_bytes();
    let mut pos = 0usize;
    let mut lno = 0u32;
    let mut start: Option<StartLine<'a>> = None;
    // Lync messages carry 15 to 30 headers: one allocation for most.
    let mut headers: Vec<Header<'a>> = Vec::with_capacity(32);
    let mut cur: Option<Pending<'a>> = None;
    loop {
        lno = lno.saturating_add(1);
        let rest = buf.get(pos..).unwrap_or_default();
        let Some(nl) = memchr::memchr(b'\n', rest) else {
            if more && pos + rest.len() <= limits.max_message {
                return Err(MORE);
            }
            if let Some(at) = utf8_err {
                let ls = memchr::memrchr(b'\n', buf).map_or(0, |i| i + 1);
                return Err(ParseError::new(ParseErrorKind::NotUtf8, lno, col(at - ls)));
            }
            if rest.len() >= limits.max_line {
                return Err(limit_err(
                    Limit::Line,
                    limits.max_line,
                    lno,
                    col(limits.max_line),
                ));
            }
            if pos + rest.len() > limits.max_message {
                return Err(limit_err(Limit::Message, limits.max_message, lno, 1));
            }
            return Err(ParseError::new(
                ParseErrorKind::Unterminated,
                lno,
                col(rest.len()),
            ));
        };
        if nl == 0 || rest.get(nl - 1) != Some(&b'\r') {
            return Err(ParseError::new(ParseErrorKind::BareLf, lno, col(nl)));
        }
        let i = nl - 1;
        if i + 2 > limits.max_line {
            return Err(limit_err(
                Limit::Line,
                limits.max_line,
                lno,
                col(limits.max_line),
            ));
        }
        let line = rest.get(..i).unwrap_or_default();
        let line_start = pos;
        pos += i + 2;
        if pos > limits.max_message {
            return Err(limit_err(Limit::Message, limits.max_message, lno, 1));
        }
        if start.is_none() {
            start = Some(parse_start_line(
                text.get(line_start..line_start + i).unwrap_or_default(),
            )?);
            continue;
        }
        match line.first() {
            None => {
                if let Some(p) = cur.take() {
                    headers.push(p.finish(text));
                }
                break;
            }
            Some(b' ' | b'\t') => {
                let Some(p) = cur.as_mut() else {
                    return Err(ParseError::new(ParseErrorKind::OrphanContinuation, lno, 1));
                };
                if let Some(last) = line.iter().rposition(|b| *b != b' ' && *b != b'\t') {
                    p.vend = line_start + last + 1;
                }
                continue;
            }
            Some(_) => {}
        }
        if let Some(p) = cur.take() {
            headers.push(p.finish(text));
        }
        let name_len = line
            .iter()
            .position(|b| !TOKEN[usize::from(*b)])
            .unwrap_or(line.len());
        let mut colon = name_len;
        while matches!(line.get(colon), Some(b' ' | b'\t')) {
            colon += 1;
        }
        if name_len == 0 || line.get(colon) != Some(&b':') {
            return Err(if memchr::memchr(b':', line).is_some() {
                ParseError::new(ParseErrorKind::InvalidHeaderName, lno, col(name_len))
            } else {
                ParseError::new(ParseErrorKind::MissingColon, lno, 1)
            });
        }
        let name = text
            .get(line_start..line_start + name_len)
            .unwrap_or_default();
        if headers.len() >= limits.max_headers {
            return Err(limit_err(Limit::Headers, limits.max_headers, lno, 1));
        }
        let after = line.get(colon + 1..).unwrap_or_default();
        let lead = after
            .iter()
            .position(|b| *b != b' ' && *b != b'\t')
            .unwrap_or(after.len());
        let vcol = colon + 1 + lead;
        let vend = after
            .iter()
            .rposition(|b| *b != b' ' && *b != b'\t')
            .map_or(vcol, |e| colon + 2 + e);
        cur = Some(Pending {
            name,
            vstart: line_start + vcol,
            vend: line_start + vend,
            line: lno,
            column: col(vcol),
        });
    }
    // Every line ends in CRLF, so a header section without a bare CR has one CR per line.
    let head = buf.get(..pos).unwrap_or_default();
    if memchr::memchr_iter(b'\r', head).count() != usize::try_from(lno).unwrap_or(usize::MAX) {
        return Err(bare_cr(head));
    }
    let Some(start) = start else {
        return Err(ParseError::new(ParseErrorKind::Empty, 1, 1));
    };
    let mut content_length: Option<usize> = None;
    for h in &headers {
        if (h.name.len() == 14 || h.name.len() == 1) && name_matches(h.name, "Content-Length") {
            let n = parse_content_length(h.value).map_err(|k| h.error(k))?;
            if n > limits.max_body {
                return Err(limit_err(Limit::Body, limits.max_body, h.line, h.column));
            }
            match content_length {
                Some(prev) if prev != n => {
                    return Err(h.error(ParseErrorKind::ConflictingContentLength));
                }
                _ => content_length = Some(n),
            }
        }
    }
    Ok(Head {
        start,
        headers,
        len: pos,
        content_length,
        body_line: lno.saturating_add(1),
    })
}

/// The position of the first CR not followed by LF in `head`.
fn bare_cr(head: &[u8]) -> ParseError {
    let at = memchr::memchr_iter(b'\r', head)
        .find(|i| head.get(i + 1) != Some(&b'\n'))
        .unwrap_or(0);
    let ls = memchr::memrchr(b'\n', head.get(..at).unwrap_or_default()).map_or(0, |i| i + 1);
    ParseError::new(ParseErrorKind::BareCr, line_of(head, at), col(at - ls))
}

/// RFC 3261 20.14: `Content-Length = ( "Content-Length" / "l" ) HCOLON 1*DIGIT`
fn parse_content_length(v: &str) -> Result<usize, ParseErrorKind> {
    let v = crate::scan::trim(v);
    if v.is_empty() || v.len() > 18 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseErrorKind::InvalidContentLength);
    }
    v.parse::<usize>()
        .map_err(|_| ParseErrorKind::InvalidContentLength)
}

/// Parse the start line: a Status-Line if it begins with `SIP/`, else a Request-Line.
fn parse_start_line(line: &str) -> Result<StartLine<'_>, ParseError> {
    let err = |k, c: usize| ParseError::new(k, 1, col(c));
    if line.starts_with("SIP/") {
        let mut it = line.splitn(3, ' ');
        let version = it.next().unwrap_or_default();
        check_version(version).map_err(|k| err(k, 0))?;
        let code_s = it.next().unwrap_or_default();
        if code_s.len() != 3 || !code_s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(ParseErrorKind::InvalidStatusCode, version.len() + 1));
        }
        let code = code_s
            .parse::<u16>()
            .map_err(|_| err(ParseErrorKind::InvalidStatusCode, version.len() + 1))?;
        let reason = it.next().unwrap_or_default();
        if reason.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(err(ParseErrorKind::InvalidStartLine, version.len() + 5));
        }
        return Ok(StartLine::Response {
            version,
            code,
            reason,
        });
    }
    let (Some(sp1), Some(sp2)) = (
        memchr::memchr(b' ', line.as_bytes()),
        memchr::memrchr(b' ', line.as_bytes()),
    ) else {
        return Err(err(ParseErrorKind::InvalidStartLine, 0));
    };
    let method = line.get(..sp1).unwrap_or_default();
    if !is_token(method) {
        return Err(err(ParseErrorKind::InvalidMethod, 0));
    }
    if sp2 <= sp1 {
        return Err(err(ParseErrorKind::InvalidStartLine, sp1));
    }
    let uri = line.get(sp1 + 1..sp2).unwrap_or_default();
    check_request_uri(uri).map_err(|k| err(k, sp1 + 1))?;
    let version = line.get(sp2 + 1..).unwrap_or_default();
    check_version(version).map_err(|k| err(k, sp2 + 1))?;
    Ok(StartLine::Request {
        method,
        uri,
        version,
    })
}

/// RFC 3261 25.1: `SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT`
fn check_version(v: &str) -> Result<(), ParseErrorKind> {
    // The only version in use, valid by the rule below.
    if v == "SIP/2.0" {
        return Ok(());
    }
    let ok = v.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("SIP/"))
        && v.get(4..)
            .and_then(|r| r.split_once('.'))
            .is_some_and(|(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
            });
    if ok {
        Ok(())
    } else {
        Err(ParseErrorKind::InvalidVersion)
    }
}

/// The bytes [`check_request_uri`] allows after the scheme: no SP, CTL, DEL, `<`, `>` or `"`.
static URI_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0u8;
    loop {
        t[i as usize] = i > b' ' && i != 0x7f && !matches!(i, b'<' | b'>' | b'"');
        if i == 255 {
            break;
        }
        i += 1;
    }
    t
};

/// RFC 3261 25.1: `Request-URI = SIP-URI / SIPS-URI / absoluteURI`; here: a scheme
/// (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`), a colon, then no SP, CTL, `<`, `>` or `"`.
fn check_request_uri(u: &str) -> Result<(), ParseErrorKind> {
    let Some((scheme, rest)) = u.split_once(':') else {
        return Err(ParseErrorKind::InvalidRequestUri);
    };
    let sb = scheme.as_bytes();
    let scheme_ok = sb.first().is_some_and(u8::is_ascii_alphabetic)
        && sb
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    let rest_ok = !rest.is_empty() && rest.bytes().all(|b| URI_BYTE[usize::from(b)]);
    if scheme_ok && rest_ok {
        Ok(())
    } else {
        Err(ParseErrorKind::InvalidRequestUri)
    }
}
