//! `sip:`, `sips:` and `tel:` URIs (RFC 3261 19.1, 25.1; RFC 3966), parsed zero-copy;
//! `%` escapes are validated and decoded only on request.

use std::borrow::Cow;

use crate::ParseErrorKind;
use crate::scan::split_top;
use crate::typed::{Params, parse_params};

/// The URI scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Scheme {
    /// `sip:`
    Sip,
    /// `sips:`
    Sips,
    /// `tel:` (RFC 3966)
    Tel,
}

/// A parsed SIP/SIPS/tel URI.
///
/// RFC 3261 25.1: `SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]`.
/// For `tel:` the number is in [`SipUri::host`] and `user` is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SipUri<'a> {
    /// The scheme.
    pub scheme: Scheme,
    /// The user part, raw (escapes kept).
    pub user: Option<&'a str>,
    /// The password, raw.
    pub password: Option<&'a str>,
    /// The host: a name, an IPv4 address, or an IPv6 reference with its brackets.
    pub host: &'a str,
    /// The port.
    pub port: Option<u16>,
    /// `;name[=value]` URI parameters in order.
    pub params: Params<'a>,
    /// The raw header part after `?`, without the `?`.
    pub headers: Option<&'a str>,
}

impl<'a> SipUri<'a> {
    /// Parse a URI.
    pub fn parse(s: &'a str) -> Result<Self, ParseErrorKind> {
        let (scheme, rest) = s.split_once(':').ok_or(ParseErrorKind::InvalidUri)?;
        let scheme = if scheme.eq_ignore_ascii_case("sip") {
            Scheme::Sip
        } else if scheme.eq_ignore_ascii_case("sips") {
            Scheme::Sips
        } else if scheme.eq_ignore_ascii_case("tel") {
            Scheme::Tel
        } else {
            return Err(ParseErrorKind::InvalidUri);
        };
        if rest
            .bytes()
            .any(|b| b <= b' ' || b == 0x7f || matches!(b, b'<' | b'>' | b'"'))
        {
            return Err(ParseErrorKind::InvalidUri);
        }
        check_escapes(rest)?;
        let (rest, headers) = match (scheme, rest.split_once('?')) {
            (Scheme::Tel, _) | (_, None) => (rest, None),
            (_, Some((a, h))) => {
                // '?' may occur in the user part (RFC 3261 user-unreserved); headers start
                // at the first '?' after the '@'.
                match rest.find('@') {
                    Some(at) if at > a.len() => match rest.get(at..).and_then(|r| r.find('?')) {
                        Some(q) => (rest.get(..at + q).unwrap_or(rest), rest.get(at + q + 1..)),
                        None => (rest, None),
                    },
                    _ => (a, Some(h)),
                }
            }
        };
        if scheme == Scheme::Tel {
            let mut it = split_top(rest, b';');
            let number = it.next().unwrap_or_default();
            if number.is_empty() {
                return Err(ParseErrorKind::InvalidUri);
            }
            let params = parse_params(it)?;
            return Ok(Self {
                scheme,
                user: None,
                password: None,
                host: number,
                port: None,
                params,
                headers,
            });
        }
        let (userinfo, hostpart) = match rest.find('@') {
            Some(at) => (rest.get(..at), rest.get(at + 1..).unwrap_or_default()),
            None => (None, rest),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(u) => match u.split_once(':') {
                Some((u, p)) => (Some(u), Some(p)),
                None => (Some(u), None),
            },
        };
        if user == Some("") {
            return Err(ParseErrorKind::InvalidUri);
        }
        let mut it = hostpart.split(';');
        let (host, port) = parse_hostport(it.next().unwrap_or_default())?;
        let params = parse_params(it)?;
        Ok(Self {
            scheme,
            user,
            password,
            host,
            port,
            params,
            headers,
        })
    }

    /// The user part with `%` escapes decoded.
    pub fn user_unescaped(&self) -> Option<Cow<'a, [u8]>> {
        self.user.map(percent_decode)
    }

    /// The value of a URI parameter (`transport`, `maddr`, `gr`, `lr`, ...).
    pub fn param(&self, name: &str) -> Option<&'a str> {
        self.params.value(name)
    }
}

/// RFC 3261 25.1: `hostport = host [ ":" port ]`, `host = hostname / IPv4address / IPv6reference`
pub(crate) fn parse_hostport(s: &str) -> Result<(&str, Option<u16>), ParseErrorKind> {
    let (host, port) = if s.starts_with('[') {
        let end = s.find(']').ok_or(ParseErrorKind::InvalidHostPort)?;
        let host = s.get(..=end).unwrap_or_default();
        let inner = host.get(1..host.len() - 1).unwrap_or_default();
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'))
        {
            return Err(ParseErrorKind::InvalidHostPort);
        }
        match s.get(end + 1..).unwrap_or_default() {
            "" => (host, None),
            p => (
                host,
                Some(p.strip_prefix(':').ok_or(ParseErrorKind::InvalidHostPort)?),
            ),
        }
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if host.is_empty()
        || !host.starts_with('[')
            && !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    {
        return Err(ParseErrorKind::InvalidHostPort);
    }
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => Some(
            p.parse::<u16>()
                .map_err(|_| ParseErrorKind::InvalidHostPort)?,
        ),
        Some(_) => return Err(ParseErrorKind::InvalidHostPort),
    };
    Ok((host, port))
}

fn check_escapes(s: &str) -> Result<(), ParseErrorKind> {
    let b = s.as_bytes();
    for i in memchr::memchr_iter(b'%', b) {
        let ok = b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if !ok {
            return Err(ParseErrorKind::InvalidEscape);
        }
    }
    Ok(())
}

/// Decode `%HH` escapes (RFC 3261 25.1 `escaped`); an invalid escape is kept as is.
pub fn percent_decode(s: &str) -> Cow<'_, [u8]> {
    if !s.contains('%') {
        return Cow::Borrowed(s.as_bytes());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        match (b[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push(u8::try_from(h * 16 + l).unwrap_or(0));
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_uri_parts() {
        let u =
            SipUri::parse("sips:alice:pw@[2001:db8::1]:5061;transport=tls;lr?subject=x").unwrap();
        assert_eq!(u.scheme, Scheme::Sips);
        assert_eq!(
            (u.user, u.password, u.host, u.port),
            (Some("alice"), Some("pw"), "[2001:db8::1]", Some(5061))
        );
        assert_eq!(u.param("transport"), Some("tls"));
        assert!(u.params.has("lr"));
        assert_eq!(u.headers, Some("subject=x"));
    }

    #[test]
    fn escapes_and_odd_users() {
        let u = SipUri::parse("sip:%75se%72@example.com").unwrap();
        assert_eq!(u.user_unescaped().unwrap().as_ref(), b"user");
        let u = SipUri::parse("sip:null-%00-null@example.com").unwrap();
        assert_eq!(u.user_unescaped().unwrap().as_ref(), b"null-\0-null");
        let u = SipUri::parse("sip:user;par=u%40example.net@example.com").unwrap();
        assert_eq!(u.host, "example.com");
        let u = SipUri::parse("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com").unwrap();
        assert_eq!(u.host, "example.com");
        assert_eq!(u.headers, None);
        assert_eq!(
            SipUri::parse("sip:a@b%zz").unwrap_err(),
            ParseErrorKind::InvalidEscape
        );
    }

    #[test]
    fn tel_and_bad() {
        let u = SipUri::parse("tel:+14255550100;ext=1").unwrap();
        assert_eq!(
            (u.scheme, u.host, u.param("ext")),
            (Scheme::Tel, "+14255550100", Some("1"))
        );
        assert!(SipUri::parse("http://x").is_err());
        assert!(SipUri::parse("sip:a@b:99999").is_err());
        assert!(SipUri::parse("sip:a@[::1").is_err());
        assert!(SipUri::parse("sip:a b@c").is_err());
    }
}
