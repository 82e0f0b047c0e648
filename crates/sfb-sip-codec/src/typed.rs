//! Typed, lazy access to header values: generic parameters (RFC 3261 25.1 `generic-param`),
//! and the small headers (CSeq, Expires, Warning, option-tag lists, value-with-params
//! headers such as Event, Subscription-State, Content-Type, ms-keep-alive).

use std::borrow::Cow;

use crate::scan::{is_token, quoted_len, split_top, trim, unquote};
use crate::{Header, Message, ParseError, ParseErrorKind};

/// A parameter value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum ParamValue<'a> {
    /// A token, host or other unquoted value, raw.
    Token(&'a str),
    /// A quoted string: the raw text between the quotes (escapes kept).
    Quoted(&'a str),
}

impl<'a> ParamValue<'a> {
    /// The raw text (between the quotes for a quoted value).
    pub fn raw(&self) -> &'a str {
        match self {
            ParamValue::Token(s) | ParamValue::Quoted(s) => s,
        }
    }

    /// The value with quoted-pair escapes removed.
    pub fn unescaped(&self) -> Cow<'a, str> {
        match self {
            ParamValue::Token(s) => Cow::Borrowed(s),
            ParamValue::Quoted(s) => unquote(s),
        }
    }
}

/// One `name[=value]` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Param<'a> {
    /// The name, case preserved.
    pub name: &'a str,
    /// The value, absent for a flag parameter.
    pub value: Option<ParamValue<'a>>,
}

/// An ordered parameter list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Params<'a>(pub Vec<Param<'a>>);

impl<'a> Params<'a> {
    /// The first parameter with this name (case-insensitive): `Some(None)` for a flag.
    pub fn get(&self, name: &str) -> Option<Option<ParamValue<'a>>> {
        self.0
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value)
    }

    /// The raw value of a parameter, if present with a value.
    pub fn value(&self, name: &str) -> Option<&'a str> {
        self.get(name).flatten().map(|v| v.raw())
    }

    /// True if the parameter is present (with or without a value).
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Iterate in order.
    pub fn iter(&self) -> impl Iterator<Item = &Param<'a>> {
        self.0.iter()
    }
}

/// Parse one parameter: `generic-param = token [ EQUAL gen-value ]`,
/// `gen-value = token / host / quoted-string` (LWS allowed around `=`).
pub(crate) fn parse_param(s: &str) -> Result<Param<'_>, ParseErrorKind> {
    let s = trim(s);
    let (name, value) = match memchr::memchr(b'=', s.as_bytes()) {
        None => (s, None),
        Some(eq) => (
            trim(s.get(..eq).unwrap_or_default()),
            Some(parse_gen_value(trim(s.get(eq + 1..).unwrap_or_default()))?),
        ),
    };
    if !is_token(name) {
        return Err(ParseErrorKind::InvalidParam);
    }
    Ok(Param { name, value })
}

fn parse_gen_value(v: &str) -> Result<ParamValue<'_>, ParseErrorKind> {
    if v.starts_with('"') {
        let n = quoted_len(v)?;
        if n != v.len() {
            return Err(ParseErrorKind::InvalidParam);
        }
        return Ok(ParamValue::Quoted(v.get(1..n - 1).unwrap_or_default()));
    }
    // token / host (IPv6 references use `[`, `]`, `:`)
    let ok = !v.is_empty()
        && v.bytes()
            .all(|b| crate::scan::is_token_byte(b) || matches!(b, b'[' | b']' | b':'));
    if ok {
        Ok(ParamValue::Token(v))
    } else {
        Err(ParseErrorKind::InvalidParam)
    }
}

/// Parse `*( SEMI generic-param )` where `s` is the text after the first `;`-separated item.
pub(crate) fn parse_params<'a, I: Iterator<Item = &'a str>>(
    it: I,
) -> Result<Params<'a>, ParseErrorKind> {
    let mut v = Vec::new();
    for p in it {
        v.push(parse_param(p)?);
    }
    Ok(Params(v))
}

/// A header value of the form `value *( ";" param )` (Event, Subscription-State,
/// Content-Type, Retry-After, ms-keep-alive, presence-state, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ValueWithParams<'a> {
    /// The leading value, trimmed.
    pub value: &'a str,
    /// The parameters in order.
    pub params: Params<'a>,
}

impl<'a> ValueWithParams<'a> {
    /// Parse `value *(SEMI generic-param)`.
    pub fn parse(s: &'a str) -> Result<Self, ParseErrorKind> {
        let mut it = split_top(s, b';');
        let value = trim(it.next().unwrap_or_default());
        if value.is_empty() && !s.is_empty() && s.trim_start().starts_with(';') {
            return Err(ParseErrorKind::EmptyValue);
        }
        Ok(Self {
            value,
            params: parse_params(it)?,
        })
    }
}

/// RFC 3261 20.16: `CSeq = "CSeq" HCOLON 1*DIGIT LWS Method`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CSeq<'a> {
    /// The sequence number (RFC 3261 8.1.1.5: less than 2^31).
    pub seq: u32,
    /// The method.
    pub method: &'a str,
}

impl<'a> CSeq<'a> {
    /// Parse a CSeq value.
    pub fn parse(s: &'a str) -> Result<Self, ParseErrorKind> {
        let s = trim(s);
        let split = s.find(|c: char| c.is_ascii() && crate::scan::is_lws(c as u8));
        let (n, m) = split
            .map(|i| (s.get(..i), s.get(i..)))
            .ok_or(ParseErrorKind::InvalidCSeq)?;
        let (n, m) = (n.unwrap_or_default(), trim(m.unwrap_or_default()));
        let seq = crate::scan::parse_u64(n).map_err(|_| ParseErrorKind::InvalidCSeq)?;
        let seq = u32::try_from(seq)
            .ok()
            .filter(|v| *v < 1 << 31)
            .ok_or(ParseErrorKind::InvalidNumber)?;
        if !is_token(m) {
            return Err(ParseErrorKind::InvalidCSeq);
        }
        Ok(Self { seq, method: m })
    }
}

/// RFC 3261 20.43: `warning-value = warn-code SP warn-agent SP warn-text`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Warning<'a> {
    /// Three-digit code.
    pub code: u16,
    /// The agent (`host[:port]` or pseudonym).
    pub agent: &'a str,
    /// The text between the quotes, escapes kept.
    pub text: &'a str,
}

impl<'a> Warning<'a> {
    /// Parse one warning-value.
    pub fn parse(s: &'a str) -> Result<Self, ParseErrorKind> {
        let s = trim(s);
        let mut it = s.splitn(3, ' ');
        let (code, agent, text) = (it.next(), it.next(), it.next());
        let (Some(code), Some(agent), Some(text)) = (code, agent, text.map(trim)) else {
            return Err(ParseErrorKind::InvalidWarning);
        };
        if code.len() != 3
            || !text.starts_with('"')
            || quoted_len(text)? != text.len()
            || agent.is_empty()
        {
            return Err(ParseErrorKind::InvalidWarning);
        }
        let code = crate::scan::parse_u64(code).map_err(|_| ParseErrorKind::InvalidWarning)?;
        Ok(Self {
            code: u16::try_from(code).unwrap_or(0),
            agent,
            text: text.get(1..text.len() - 1).unwrap_or_default(),
        })
    }
}

fn num(h: Header<'_>) -> Result<u32, ParseError> {
    let n = crate::scan::parse_u64(trim(h.value)).map_err(|k| h.error(k))?;
    u32::try_from(n).map_err(|_| h.error(ParseErrorKind::InvalidNumber))
}

fn with_params(h: Header<'_>) -> Result<ValueWithParams<'_>, ParseError> {
    ValueWithParams::parse(h.value).map_err(|k| h.error(k))
}

/// Typed accessors. Each parses its header only when called; `None` means absent.
impl<'a> Message<'a> {
    /// Call-ID (RFC 3261 20.8), trimmed.
    pub fn call_id(&self) -> Option<&'a str> {
        self.header("Call-ID").map(|h| trim(h.value))
    }

    /// CSeq (RFC 3261 20.16).
    pub fn cseq(&self) -> Option<Result<CSeq<'a>, ParseError>> {
        self.header("CSeq")
            .map(|h| CSeq::parse(h.value).map_err(|k| h.error(k)))
    }

    /// Expires (RFC 3261 20.19) in seconds.
    pub fn expires(&self) -> Option<Result<u32, ParseError>> {
        self.header("Expires").map(num)
    }

    /// Min-Expires (RFC 3261 20.23) in seconds.
    pub fn min_expires(&self) -> Option<Result<u32, ParseError>> {
        self.header("Min-Expires").map(num)
    }

    /// Max-Forwards (RFC 3261 20.22).
    pub fn max_forwards(&self) -> Option<Result<u32, ParseError>> {
        self.header("Max-Forwards").map(num)
    }

    /// Content-Length (RFC 3261 20.14).
    pub fn content_length(&self) -> Option<Result<u32, ParseError>> {
        self.header("Content-Length").map(num)
    }

    /// ms-piggyback-cseq (MS-SIPRE), a number.
    pub fn ms_piggyback_cseq(&self) -> Option<Result<u32, ParseError>> {
        self.header("ms-piggyback-cseq").map(num)
    }

    /// Retry-After (RFC 3261 20.33): seconds plus parameters (value kept raw).
    pub fn retry_after(&self) -> Option<Result<ValueWithParams<'a>, ParseError>> {
        self.header("Retry-After").map(with_params)
    }

    /// Content-Type (RFC 3261 20.15): media type plus parameters.
    pub fn content_type(&self) -> Option<Result<ValueWithParams<'a>, ParseError>> {
        self.header("Content-Type").map(with_params)
    }

    /// Event (RFC 6665 8.2.1).
    pub fn event(&self) -> Option<Result<ValueWithParams<'a>, ParseError>> {
        self.header("Event").map(with_params)
    }

    /// Subscription-State (RFC 6665 8.2.3).
    pub fn subscription_state(&self) -> Option<Result<ValueWithParams<'a>, ParseError>> {
        self.header("Subscription-State").map(with_params)
    }

    /// ms-keep-alive (MS-SIPRE), e.g. `UAS; tcp=no; hop-hop=yes; end-end=no; timeout=300`.
    pub fn ms_keep_alive(&self) -> Option<Result<ValueWithParams<'a>, ParseError>> {
        self.header("ms-keep-alive").map(with_params)
    }

    /// presence-state (MS-PRES).
    pub fn presence_state(&self) -> Option<Result<ValueWithParams<'a>, ParseError>> {
        self.header("presence-state").map(with_params)
    }

    /// ms-user-logon-data (MS-SIPRE), raw and trimmed.
    pub fn ms_user_logon_data(&self) -> Option<&'a str> {
        self.header("ms-user-logon-data").map(|h| trim(h.value))
    }

    /// Date (RFC 3261 20.17), raw.
    pub fn date(&self) -> Option<&'a str> {
        self.header("Date").map(|h| trim(h.value))
    }

    /// Server (RFC 3261 20.35), raw.
    pub fn server(&self) -> Option<&'a str> {
        self.header("Server").map(|h| trim(h.value))
    }

    /// User-Agent (RFC 3261 20.41), raw.
    pub fn user_agent(&self) -> Option<&'a str> {
        self.header("User-Agent").map(|h| trim(h.value))
    }

    /// Every Warning value across all Warning headers.
    pub fn warnings(&self) -> impl Iterator<Item = Result<Warning<'a>, ParseError>> + '_ {
        self.list("Warning")
            .map(|(h, v)| Warning::parse(v).map_err(|k| h.error(k)))
    }

    /// Every token of a comma-separated token list header (Supported, Require,
    /// Proxy-Require, Allow-Events, Allow, Unsupported, ...), across all instances.
    pub fn tokens<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.list(name)
            .map(|(_, v)| trim(v))
            .filter(|v| !v.is_empty())
    }

    /// Every top-level comma-separated element of every header with this name.
    pub fn list<'s>(&'s self, name: &'s str) -> impl Iterator<Item = (Header<'a>, &'a str)> + 's {
        self.headers_named(name)
            .flat_map(|h| split_top(h.value, b',').map(move |v| (h, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_with_spaces() {
        let v = ValueWithParams::parse("presence ; id = \"a;b\" ;flag").unwrap();
        assert_eq!(v.value, "presence");
        assert_eq!(v.params.get("ID"), Some(Some(ParamValue::Quoted("a;b"))));
        assert!(v.params.has("flag"));
        assert_eq!(parse_param(""), Err(ParseErrorKind::InvalidParam));
    }

    #[test]
    fn cseq_ranges() {
        assert_eq!(
            CSeq::parse("0009\r\n  INVITE"),
            Ok(CSeq {
                seq: 9,
                method: "INVITE"
            })
        );
        assert_eq!(
            CSeq::parse("2147483648 INVITE"),
            Err(ParseErrorKind::InvalidNumber)
        );
        assert_eq!(
            CSeq::parse("36893488147419103232 INVITE"),
            Err(ParseErrorKind::InvalidCSeq)
        );
        assert!(CSeq::parse("1").is_err());
    }

    #[test]
    fn warning() {
        let w = Warning::parse(r#"399 fe.contoso.com "a \"b\"""#).unwrap();
        assert_eq!(
            (w.code, w.agent, w.text),
            (399, "fe.contoso.com", r#"a \"b\""#)
        );
        assert!(Warning::parse(r#"1812 overture "In Progress""#).is_err());
    }
}
