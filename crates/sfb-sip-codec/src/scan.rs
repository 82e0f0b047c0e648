//! Lexical helpers shared by the typed parsers: character classes (RFC 3261 25.1),
//! header-name comparison with compact forms (RFC 3261 7.3.3), LWS trimming and
//! top-level splitting that respects quoted strings and `<...>`.

use crate::ParseErrorKind;

/// RFC 3261 25.1: `token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" )`
#[inline]
pub(crate) fn is_token_byte(b: u8) -> bool {
    TOKEN[usize::from(b)]
}

/// Lookup table for [`is_token_byte`].
pub(crate) static TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0u8;
    loop {
        t[i as usize] = i.is_ascii_alphanumeric()
            || matches!(
                i,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        if i == 255 {
            break;
        }
        i += 1;
    }
    t
};

/// True when `s` is a non-empty token.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_byte)
}

/// Linear white space as found in raw values: SP, HT and the CRLF of a fold.
#[inline]
pub(crate) fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Trim LWS (including folds) on both sides. Byte-wise: LWS bytes are ASCII, so the first and
/// last non-LWS bytes bound a slice on char boundaries.
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let Some(start) = b.iter().position(|c| !is_lws(*c)) else {
        return s.get(s.len()..).unwrap_or_default();
    };
    let end = b.iter().rposition(|c| !is_lws(*c)).map_or(start, |e| e + 1);
    s.get(start..end).unwrap_or_default()
}

/// RFC 3261 7.3.3 compact forms, plus the ones registered later (RFC 3515, 3892, 4028, 4474, 3841).
const COMPACT: &[(u8, &str)] = &[
    (b'a', "Accept-Contact"),
    (b'b', "Referred-By"),
    (b'c', "Content-Type"),
    (b'd', "Request-Disposition"),
    (b'e', "Content-Encoding"),
    (b'f', "From"),
    (b'i', "Call-ID"),
    (b'j', "Reject-Contact"),
    (b'k', "Supported"),
    (b'l', "Content-Length"),
    (b'm', "Contact"),
    (b'n', "Identity-Info"),
    (b'o', "Event"),
    (b'r', "Refer-To"),
    (b's', "Subject"),
    (b't', "To"),
    (b'u', "Allow-Events"),
    (b'v', "Via"),
    (b'x', "Session-Expires"),
    (b'y', "Identity"),
];

/// The long form of a header name (compact forms expanded), unchanged otherwise.
pub(crate) fn long_name(name: &str) -> &str {
    if let [c] = name.as_bytes() {
        let c = c.to_ascii_lowercase();
        for (k, long) in COMPACT {
            if *k == c {
                return long;
            }
        }
    }
    name
}

/// Case-insensitive header name equality, compact forms equal to long forms.
/// `wanted_long` must already be passed through [`long_name`].
#[inline]
pub(crate) fn name_matches(wire: &str, wanted_long: &str) -> bool {
    if wire.len() == 1 {
        long_name(wire).eq_ignore_ascii_case(wanted_long)
    } else {
        // The exact comparison is a memcmp and covers the usual canonical spelling.
        wire.len() == wanted_long.len()
            && (wire == wanted_long || wire.eq_ignore_ascii_case(wanted_long))
    }
}

/// Iterator over the pieces of `s` separated by `sep` at top level: a separator inside a
/// quoted string (with `\` escapes) or inside `<...>` does not split.
pub(crate) struct SplitTop<'a> {
    rest: Option<&'a str>,
    sep: u8,
}

/// Split `s` on top-level `sep` (see [`SplitTop`]).
/// `sep` is never `"`, `<` or `>` (the callers split on `,` and `;`).
pub(crate) fn split_top(s: &str, sep: u8) -> SplitTop<'_> {
    debug_assert!(!matches!(sep, b'"' | b'<' | b'>'));
    SplitTop { rest: Some(s), sep }
}

impl<'a> Iterator for SplitTop<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        let b = s.as_bytes();
        // Fast path: up to the first separator, quote or `<`, nothing can hide a separator.
        let mut i = match memchr::memchr3(self.sep, b'"', b'<', b) {
            None => {
                self.rest = None;
                return Some(s);
            }
            Some(i) if b.get(i) == Some(&self.sep) => {
                self.rest = s.get(i + 1..);
                return s.get(..i);
            }
            Some(i) => i,
        };
        let mut in_quote = false;
        let mut in_angle = false;
        while i < b.len() {
            let c = b[i];
            if in_quote {
                if c == b'\\' {
                    i += 1;
                } else if c == b'"' {
                    in_quote = false;
                }
            } else if c == b'"' {
                in_quote = true;
            } else if c == b'<' {
                in_angle = true;
            } else if c == b'>' {
                in_angle = false;
            } else if c == self.sep && !in_angle {
                self.rest = s.get(i + 1..);
                return s.get(..i);
            }
            i += 1;
        }
        self.rest = None;
        Some(s)
    }
}

/// Length of a quoted string at the start of `s` (which must begin with `"`), closing quote
/// included. RFC 3261 25.1: `quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE`.
pub(crate) fn quoted_len(s: &str) -> Result<usize, ParseErrorKind> {
    let b = s.as_bytes();
    let mut i = 1;
    while let Some(off) = b.get(i..).and_then(|r| memchr::memchr2(b'\\', b'"', r)) {
        i += off;
        if b.get(i) == Some(&b'"') {
            return Ok(i + 1);
        }
        i += 2;
    }
    Err(ParseErrorKind::UnterminatedQuote)
}

/// Remove `\` escapes from the inside of a quoted string.
pub(crate) fn unquote(inner: &str) -> std::borrow::Cow<'_, str> {
    if !inner.contains('\\') {
        return std::borrow::Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Parse a decimal number of at most `max_digits` digits (leading zeros allowed) into a u64.
pub(crate) fn parse_u64(s: &str) -> Result<u64, ParseErrorKind> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseErrorKind::InvalidNumber);
    }
    s.parse::<u64>().map_err(|_| ParseErrorKind::InvalidNumber)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_respects_quotes_and_angles() {
        let v: Vec<_> = split_top(r#""a,\"b" <sip:x;y,z>;p=1, c"#, b',').collect();
        assert_eq!(v, vec![r#""a,\"b" <sip:x;y,z>;p=1"#, " c"]);
        let v: Vec<_> = split_top("a;b;;", b';').collect();
        assert_eq!(v, vec!["a", "b", "", ""]);
    }

    #[test]
    fn byte_trim_matches_char_trim() {
        for s in [
            "",
            " \t\r\n ",
            " a ",
            "\r\n é x\t",
            "ü",
            " \u{a0}b\u{a0} ",
            "a\r\n b",
        ] {
            let want = s.trim_matches(|c: char| c.is_ascii() && is_lws(c as u8));
            assert_eq!(trim(s), want, "{s:?}");
        }
    }

    #[test]
    fn split_fast_path_and_late_quotes() {
        let v: Vec<_> = split_top("a;b=\"x;y\";c", b';').collect();
        assert_eq!(v, vec!["a", "b=\"x;y\"", "c"]);
        let v: Vec<_> = split_top("x>y;z", b';').collect();
        assert_eq!(v, vec!["x>y", "z"]);
        let v: Vec<_> = split_top("<a;b>;c", b';').collect();
        assert_eq!(v, vec!["<a;b>", "c"]);
        assert_eq!(quoted_len(r#""a\"#), Err(ParseErrorKind::UnterminatedQuote));
        assert_eq!(quoted_len(r#""a\\" b"#), Ok(5));
    }

    #[test]
    fn compact_names() {
        assert!(name_matches("i", "Call-ID"));
        assert!(name_matches("CALL-id", "Call-ID"));
        assert!(!name_matches("t", "From"));
        assert!(name_matches("Via", "Via") && name_matches("vIA", "Via"));
        assert!(!name_matches("Vias", "Via") && !name_matches("Vi", "Via"));
        assert_eq!(long_name("V"), "Via");
    }

    #[test]
    fn quoted() {
        assert_eq!(quoted_len(r#""a\"b" x"#), Ok(6));
        assert_eq!(
            quoted_len(r#""abc"#),
            Err(ParseErrorKind::UnterminatedQuote)
        );
        assert_eq!(unquote(r#"a\"b"#), "a\"b");
    }
}
