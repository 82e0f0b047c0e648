//! The validation tier above the grammar (RFC 3261 8.1.1, 8.2, 20): checks that a message
//! which parsed is also well-formed SIP. Usable separately from parsing.
//!
//! Choices: a request needs To, From, CSeq, Call-ID and at least one Via; Max-Forwards is
//! optional (Lync servers and RFC 2543 peers omit it) but checked when present. A response
//! needs the same except Max-Forwards.

use crate::scan::{long_name, name_matches, trim};
use crate::{Header, Message, StartLine, ValidationError, ValidationErrorKind};

/// Headers that may appear at most once (RFC 3261 7.3.1: not comma-list headers).
const SINGLE: &[&str] = &[
    "Call-ID",
    "CSeq",
    "From",
    "To",
    "Max-Forwards",
    "Content-Length",
    "Content-Type",
    "Expires",
    "Min-Expires",
    "Date",
    "Retry-After",
    "Subject",
    "Event",
    "Subscription-State",
];

fn at(kind: ValidationErrorKind, h: &Header<'_>) -> ValidationError {
    ValidationError {
        kind,
        line: h.line,
        column: h.column,
    }
}

fn start(kind: ValidationErrorKind) -> ValidationError {
    ValidationError {
        kind,
        line: 1,
        column: 1,
    }
}

fn malformed(header: &'static str, e: crate::ParseError) -> ValidationError {
    ValidationError {
        kind: ValidationErrorKind::Malformed {
            header,
            kind: e.kind,
        },
        line: e.line,
        column: e.column,
    }
}

/// Validate a parsed message; the first problem found is returned.
pub fn validate(msg: &Message<'_>) -> Result<(), ValidationError> {
    let version = match msg.start_line() {
        StartLine::Request { version, .. } => version,
        StartLine::Response { version, code, .. } => {
            if !(100..=699).contains(&code) {
                return Err(start(ValidationErrorKind::StatusOutOfRange));
            }
            version
        }
    };
    if version != "SIP/2.0" {
        return Err(start(ValidationErrorKind::UnsupportedVersion));
    }
    for name in SINGLE {
        let want = long_name(name);
        let mut it = msg.headers().filter(|h| name_matches(h.name, want));
        if let (Some(_), Some(second)) = (it.next(), it.next()) {
            return Err(at(ValidationErrorKind::DuplicateHeader(name), &second));
        }
    }
    for name in ["To", "From", "CSeq", "Call-ID", "Via"] {
        if msg.header(name).is_none() {
            return Err(start(ValidationErrorKind::MissingHeader(name)));
        }
    }
    if let Some(h) = msg.header("Call-ID")
        && trim(h.value).is_empty()
    {
        return Err(at(
            ValidationErrorKind::Malformed {
                header: "Call-ID",
                kind: crate::ParseErrorKind::EmptyValue,
            },
            &h,
        ));
    }
    if let Some(r) = msg.cseq() {
        let cseq = r.map_err(|e| malformed("CSeq", e))?;
        if let (Some(method), Some(h)) = (msg.method(), msg.header("CSeq"))
            && cseq.method != method
        {
            return Err(at(ValidationErrorKind::CSeqMethodMismatch, &h));
        }
    }
    for (name, r) in [
        ("Max-Forwards", msg.max_forwards()),
        ("Expires", msg.expires()),
        ("Min-Expires", msg.min_expires()),
    ] {
        if let Some(r) = r {
            let n = r.map_err(|e| ValidationError {
                kind: ValidationErrorKind::OutOfRange(name),
                line: e.line,
                column: e.column,
            })?;
            if name == "Max-Forwards"
                && n > 255
                && let Some(h) = msg.header(name)
            {
                return Err(at(ValidationErrorKind::OutOfRange(name), &h));
            }
        }
    }
    if let Some(r) = msg.content_length() {
        let n = r.map_err(|e| malformed("Content-Length", e))?;
        if usize::try_from(n).ok() != Some(msg.body().len())
            && let Some(h) = msg.header("Content-Length")
        {
            return Err(at(ValidationErrorKind::ContentLengthMismatch, &h));
        }
    }
    msg.to().transpose().map_err(|e| malformed("To", e))?;
    msg.from().transpose().map_err(|e| malformed("From", e))?;
    for v in msg.vias() {
        v.map_err(|e| malformed("Via", e))?;
    }
    for c in msg.contacts() {
        let c = c.map_err(|e| malformed("Contact", e))?;
        if let Some(Err(_)) = c.expires()
            && let Some(h) = msg.header("Contact")
        {
            return Err(at(ValidationErrorKind::OutOfRange("Contact expires"), &h));
        }
    }
    for w in msg.warnings() {
        w.map_err(|e| malformed("Warning", e))?;
    }
    if let Some(r) = msg.retry_after() {
        let v = r.map_err(|e| malformed("Retry-After", e))?;
        if crate::scan::parse_u64(v.value)
            .ok()
            .and_then(|n| u32::try_from(n).ok())
            .is_none()
            && let Some(h) = msg.header("Retry-After")
        {
            return Err(at(ValidationErrorKind::OutOfRange("Retry-After"), &h));
        }
    }
    if let Some(h) = msg.header("Date")
        && !is_rfc1123_gmt(trim(h.value))
    {
        return Err(at(ValidationErrorKind::InvalidDate, &h));
    }
    if let StartLine::Request { uri, .. } = msg.start_line()
        && let Ok(u) = crate::SipUri::parse(uri)
        && u.headers.is_some()
    {
        return Err(ValidationError {
            kind: ValidationErrorKind::RequestUriHeaders,
            line: 1,
            column: 1,
        });
    }
    Ok(())
}

/// RFC 3261 20.17 / RFC 1123: `wkday "," SP date1 SP time SP "GMT"`, e.g.
/// `Sat, 13 Nov 2010 23:29:00 GMT`.
fn is_rfc1123_gmt(s: &str) -> bool {
    let p: Vec<&str> = s.split(' ').collect();
    let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
    let time_ok = |t: &str| {
        let q: Vec<&str> = t.split(':').collect();
        q.len() == 3 && q.iter().all(|x| digits(x, 2))
    };
    p.len() == 6
        && p[0].len() == 4
        && p[0].ends_with(',')
        && digits(p[1], 2)
        && p[2].len() == 3
        && digits(p[3], 4)
        && time_ok(p[4])
        && p[5] == "GMT"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, ParseErrorKind, parse_datagram};

    const BASE: &str = "Via: SIP/2.0/TLS 10.0.0.1:5061;branch=z9hG4bK1\r\nTo: <sip:b@c>\r\nFrom: <sip:a@c>;tag=1\r\nCall-ID: x\r\n";

    fn check(start: &str, extra: &str) -> Result<(), ValidationError> {
        let s = format!("{start}\r\n{BASE}{extra}\r\n");
        let m = parse_datagram(s.as_bytes(), &Limits::default()).unwrap();
        validate(&m)
    }

    #[test]
    fn good_request_and_response() {
        check(
            "REGISTER sip:c SIP/2.0",
            "CSeq: 1 REGISTER\r\nContent-Length: 0\r\n",
        )
        .unwrap();
        check(
            "SIP/2.0 401 Unauthorized",
            "CSeq: 1 REGISTER\r\nDate: Sat, 13 Nov 2010 23:29:00 GMT\r\n",
        )
        .unwrap();
    }

    #[test]
    fn faults_are_named() {
        let k = |r: Result<(), ValidationError>| r.unwrap_err().kind;
        assert_eq!(
            k(check("OPTIONS sip:c SIP/2.0", "CSeq: 8 INVITE\r\n")),
            ValidationErrorKind::CSeqMethodMismatch
        );
        assert_eq!(
            k(check("OPTIONS sip:c SIP/7.0", "CSeq: 8 OPTIONS\r\n")),
            ValidationErrorKind::UnsupportedVersion
        );
        assert_eq!(
            k(check("SIP/2.0 099 x", "CSeq: 8 OPTIONS\r\n")),
            ValidationErrorKind::StatusOutOfRange
        );
        assert_eq!(
            k(check("OPTIONS sip:c SIP/2.0", "")),
            ValidationErrorKind::MissingHeader("CSeq")
        );
        let e = check("OPTIONS sip:c SIP/2.0", "CSeq: 1 OPTIONS\r\nCall-ID: y\r\n").unwrap_err();
        assert_eq!(
            (e.kind, e.line),
            (ValidationErrorKind::DuplicateHeader("Call-ID"), 7)
        );
        assert_eq!(
            k(check(
                "OPTIONS sip:c SIP/2.0",
                "CSeq: 1 OPTIONS\r\nMax-Forwards: 300\r\n"
            )),
            ValidationErrorKind::OutOfRange("Max-Forwards")
        );
        assert_eq!(
            k(check(
                "OPTIONS sip:c SIP/2.0",
                "CSeq: 36893488147419103232 OPTIONS\r\n"
            )),
            ValidationErrorKind::Malformed {
                header: "CSeq",
                kind: ParseErrorKind::InvalidCSeq
            }
        );
        assert_eq!(
            k(check(
                "OPTIONS sip:c SIP/2.0",
                "CSeq: 1 OPTIONS\r\nExpires: 10000000000000000000000\r\n"
            )),
            ValidationErrorKind::OutOfRange("Expires")
        );
        assert_eq!(
            k(check(
                "OPTIONS sip:c SIP/2.0",
                "CSeq: 1 OPTIONS\r\nDate: Fri, 01 Jan 2010 16:00:00 EST\r\n"
            )),
            ValidationErrorKind::InvalidDate
        );
        assert_eq!(
            k(check(
                "OPTIONS sip:c?Route=x SIP/2.0",
                "CSeq: 1 OPTIONS\r\n"
            )),
            ValidationErrorKind::RequestUriHeaders
        );
    }
}
