//! Authentication headers (RFC 3261 20.7, 20.27, 20.28, 20.44, 22; [MS-SIPAE] 2.2):
//! a scheme and an ORDERED list of auth-params, values kept raw.

use crate::scan::{is_lws, is_token_byte};
use crate::typed::ParamValue;
use crate::{Header, Message, ParseError, ParseErrorKind};

/// Which header an [`AuthHeader`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum AuthHeaderKind {
    /// WWW-Authenticate (challenge).
    WwwAuthenticate,
    /// Proxy-Authenticate (challenge).
    ProxyAuthenticate,
    /// Authorization (credentials).
    Authorization,
    /// Proxy-Authorization (credentials).
    ProxyAuthorization,
    /// Authentication-Info.
    AuthenticationInfo,
    /// Proxy-Authentication-Info ([MS-SIPAE]).
    ProxyAuthenticationInfo,
}

impl AuthHeaderKind {
    /// All kinds with their header names.
    pub const ALL: [(AuthHeaderKind, &'static str); 6] = [
        (AuthHeaderKind::WwwAuthenticate, "WWW-Authenticate"),
        (AuthHeaderKind::ProxyAuthenticate, "Proxy-Authenticate"),
        (AuthHeaderKind::Authorization, "Authorization"),
        (AuthHeaderKind::ProxyAuthorization, "Proxy-Authorization"),
        (AuthHeaderKind::AuthenticationInfo, "Authentication-Info"),
        (
            AuthHeaderKind::ProxyAuthenticationInfo,
            "Proxy-Authentication-Info",
        ),
    ];

    /// The kind for a header name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        // The names are 13, 16, 18, 19 or 25 bytes long: most headers are rejected here.
        if !matches!(name.len(), 13 | 16 | 18 | 19 | 25) {
            return None;
        }
        Self::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(k, _)| *k)
    }
}

/// One `name=value` auth-param.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AuthParam<'a> {
    /// The name, case preserved.
    pub name: &'a str,
    /// The value: token, or the raw text between the quotes (may be empty: `gssapi-data=""`).
    pub value: ParamValue<'a>,
}

/// A parsed auth header.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AuthHeader<'a> {
    /// Which header.
    pub kind: AuthHeaderKind,
    /// The scheme (`NTLM`, `Kerberos`, `TLS-DSK`, `Digest`, ...); empty for the -Info headers,
    /// which carry only params.
    pub scheme: &'a str,
    /// The params in wire order.
    pub params: Vec<AuthParam<'a>>,
    /// The raw header value.
    pub raw: &'a str,
}

impl<'a> AuthHeader<'a> {
    /// The first param with this name (case-insensitive).
    pub fn param(&self, name: &str) -> Option<ParamValue<'a>> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value)
    }
}

/// Parse `challenge = auth-scheme LWS auth-param *(COMMA auth-param)` (also credentials),
/// `auth-param = auth-param-name EQUAL ( token / quoted-string )`. A value with no leading
/// scheme (Authentication-Info style, `name=value, ...`) gives an empty scheme. Errors carry
/// line 1 and the 1-based byte column inside `value`.
pub fn parse_auth_value(value: &str) -> Result<(&str, Vec<AuthParam<'_>>), ParseError> {
    parse_at(value).map_err(|(k, at)| ParseError::new(k, 1, col(at)))
}

fn col(at: usize) -> u32 {
    u32::try_from(at + 1).unwrap_or(u32::MAX)
}

fn parse_at(v: &str) -> Result<(&str, Vec<AuthParam<'_>>), (ParseErrorKind, usize)> {
    let b = v.as_bytes();
    let bad = |at| (ParseErrorKind::InvalidAuth, at);
    let skip = |mut i: usize| {
        while b.get(i).is_some_and(|c| is_lws(*c)) {
            i += 1;
        }
        i
    };
    let mut i = skip(0);
    let tok_end = |mut j: usize| {
        while b.get(j).is_some_and(|c| is_token_byte(*c)) {
            j += 1;
        }
        j
    };
    let first_end = tok_end(i);
    let first = v.get(i..first_end).unwrap_or_default();
    if first.is_empty() {
        return Err(bad(i));
    }
    // A scheme is followed by LWS then a param name, or by the end; a param name by '='.
    let after = skip(first_end);
    let scheme = if b.get(after) == Some(&b'=') {
        ""
    } else {
        i = after;
        first
    };
    // Lync challenges carry about seven params: one allocation instead of three.
    let mut params = Vec::with_capacity(8);
    while i < b.len() {
        let ns = i;
        let ne = tok_end(ns);
        let name = v.get(ns..ne).unwrap_or_default();
        // tok_end stops at the first non-token byte: only emptiness is left to check.
        if name.is_empty() {
            return Err(bad(ns));
        }
        i = skip(ne);
        if b.get(i) != Some(&b'=') {
            return Err(bad(i));
        }
        i = skip(i + 1);
        let value = if b.get(i) == Some(&b'"') {
            let n = crate::scan::quoted_len(v.get(i..).unwrap_or_default()).map_err(|k| (k, i))?;
            let inner = v.get(i + 1..i + n - 1).unwrap_or_default();
            i += n;
            ParamValue::Quoted(inner)
        } else {
            let s = i;
            while b
                .get(i)
                .is_some_and(|c| !is_lws(*c) && *c != b',' && *c != b'"')
            {
                i += 1;
            }
            if s == i {
                return Err(bad(s));
            }
            ParamValue::Token(v.get(s..i).unwrap_or_default())
        };
        params.push(AuthParam { name, value });
        i = skip(i);
        match b.get(i) {
            None => break,
            Some(b',') => {
                i = skip(i + 1);
                if i >= b.len() {
                    return Err(bad(i));
                }
            }
            Some(_) => return Err(bad(i)),
        }
    }
    Ok((scheme, params))
}

fn header_auth<'a>(kind: AuthHeaderKind, h: Header<'a>) -> Result<AuthHeader<'a>, ParseError> {
    match parse_at(h.value) {
        Ok((scheme, params)) => Ok(AuthHeader {
            kind,
            scheme,
            params,
            raw: h.value,
        }),
        Err((k, at)) => {
            let column = h
                .column
                .saturating_add(u32::try_from(at).unwrap_or(u32::MAX));
            Err(ParseError::new(k, h.line, column))
        }
    }
}

impl<'a> Message<'a> {
    /// Every auth header (all six kinds) in wire order.
    pub fn auth_headers(&self) -> impl Iterator<Item = Result<AuthHeader<'a>, ParseError>> + '_ {
        self.headers()
            .filter_map(|h| AuthHeaderKind::from_name(h.name).map(|k| header_auth(k, h)))
    }

    /// The auth headers of one kind in wire order.
    pub fn auth_headers_of(
        &self,
        kind: AuthHeaderKind,
    ) -> impl Iterator<Item = Result<AuthHeader<'a>, ParseError>> + '_ {
        self.auth_headers()
            .filter(move |r| r.as_ref().map_or(true, |a| a.kind == kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lync_challenge() {
        let v = r#"NTLM qop="auth", opaque="ACDC123", srand="3F1E2D0A", snum="1", rspauth="0100", targetname="fe.contoso.com", realm="SIP Communications Service""#;
        let (scheme, p) = parse_auth_value(v).unwrap();
        assert_eq!(scheme, "NTLM");
        let names: Vec<_> = p.iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "qop",
                "opaque",
                "srand",
                "snum",
                "rspauth",
                "targetname",
                "realm"
            ]
        );
        assert_eq!(p[6].value, ParamValue::Quoted("SIP Communications Service"));
    }

    #[test]
    fn empty_quoted_tokens_and_spaces() {
        let (s, p) =
            parse_auth_value(r#"Kerberos realm = "R", gssapi-data="", version=4"#).unwrap();
        assert_eq!(s, "Kerberos");
        assert_eq!(p[1].value, ParamValue::Quoted(""));
        assert_eq!(p[2].value, ParamValue::Token("4"));
        let (s, p) = parse_auth_value(r#"qop="auth", rspauth="01""#).unwrap();
        assert_eq!((s, p.len()), ("", 2));
        assert_eq!(parse_auth_value("NTLM").unwrap().1.len(), 0);
    }

    #[test]
    fn kind_from_name_any_case() {
        for (k, n) in AuthHeaderKind::ALL {
            assert_eq!(AuthHeaderKind::from_name(&n.to_ascii_lowercase()), Some(k));
            assert_eq!(AuthHeaderKind::from_name(&n.to_ascii_uppercase()), Some(k));
        }
        assert_eq!(AuthHeaderKind::from_name("Authorizatio"), None);
        assert_eq!(AuthHeaderKind::from_name("Authorizationx"), None);
    }

    #[test]
    fn errors_point_at_the_fault() {
        let e = parse_auth_value(r#"NTLM realm="x", "#).unwrap_err();
        assert_eq!((e.kind, e.column), (ParseErrorKind::InvalidAuth, 17));
        let e = parse_auth_value(r#"NTLM realm="x"#).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::UnterminatedQuote);
        assert!(parse_auth_value("NTLM realm").is_err());
        assert!(parse_auth_value("").is_err());
    }
}
