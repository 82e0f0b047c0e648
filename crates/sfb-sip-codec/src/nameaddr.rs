//! `name-addr` / `addr-spec` values with header parameters (RFC 3261 20.10, 25.1): From, To,
//! Contact, Route, Record-Route, P-Asserted-Identity, P-Preferred-Identity.

use std::borrow::Cow;

use crate::scan::{is_token_byte, quoted_len, split_top, trim, unquote};
use crate::typed::{Params, parse_params};
use crate::{Message, ParseError, ParseErrorKind, SipUri};

/// A display name, URI and header parameters.
///
/// RFC 3261 25.1: `name-addr = [ display-name ] LAQUOT addr-spec RAQUOT`,
/// `display-name = *(token LWS) / quoted-string`. RFC 3261 20.10: when the URI is not in
/// angle brackets, everything after the first `;` is a header parameter, not a URI parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct NameAddr<'a> {
    /// The display name: the raw text between the quotes for a quoted name, else the tokens.
    pub display_name: Option<&'a str>,
    /// True if the display name was quoted.
    pub display_quoted: bool,
    /// The URI text (any scheme), without angle brackets.
    pub uri: &'a str,
    /// Header parameters (`tag`, `epid`, `expires`, ...).
    pub params: Params<'a>,
}

impl<'a> NameAddr<'a> {
    /// Parse one name-addr or addr-spec with parameters.
    pub fn parse(s: &'a str) -> Result<Self, ParseErrorKind> {
        let s = trim(s);
        if s.is_empty() {
            return Err(ParseErrorKind::EmptyValue);
        }
        let (display_name, display_quoted, rest) = if s.starts_with('"') {
            let n = quoted_len(s)?;
            let rest = trim(s.get(n..).unwrap_or_default());
            if !rest.starts_with('<') {
                return Err(ParseErrorKind::InvalidAddress);
            }
            (s.get(1..n - 1), true, rest)
        } else if let Some(lt) = s.find('<') {
            let dn = trim(s.get(..lt).unwrap_or_default());
            if !dn
                .bytes()
                .all(|b| is_token_byte(b) || crate::scan::is_lws(b))
            {
                return Err(ParseErrorKind::InvalidDisplayName);
            }
            (
                if dn.is_empty() { None } else { Some(dn) },
                false,
                s.get(lt..).unwrap_or_default(),
            )
        } else {
            // addr-spec: the URI ends at the first ';' (header params follow); it may not
            // contain ',', '?' or LWS.
            let mut it = split_top(s, b';');
            let uri = trim(it.next().unwrap_or_default());
            if uri.is_empty()
                || uri.bytes().any(|b| {
                    matches!(b, b',' | b'?' | b'<' | b'>' | b'"') || crate::scan::is_lws(b)
                })
            {
                return Err(ParseErrorKind::InvalidAddress);
            }
            check_scheme(uri)?;
            return Ok(Self {
                display_name: None,
                display_quoted: false,
                uri,
                params: parse_params(it)?,
            });
        };
        let gt = rest.find('>').ok_or(ParseErrorKind::UnterminatedAngle)?;
        let uri = rest.get(1..gt).unwrap_or_default();
        if uri.is_empty() || uri.bytes().any(|b| crate::scan::is_lws(b) || b == b'<') {
            return Err(ParseErrorKind::InvalidAddress);
        }
        check_scheme(uri)?;
        let after = trim(rest.get(gt + 1..).unwrap_or_default());
        let params = if after.is_empty() {
            Params::default()
        } else {
            let tail = after
                .strip_prefix(';')
                .ok_or(ParseErrorKind::InvalidAddress)?;
            parse_params(split_top(tail, b';'))?
        };
        Ok(Self {
            display_name,
            display_quoted,
            uri,
            params,
        })
    }

    /// The display name with quoted-pair escapes removed.
    pub fn display_name_unescaped(&self) -> Option<Cow<'a, str>> {
        self.display_name.map(|d| {
            if self.display_quoted {
                unquote(d)
            } else {
                Cow::Borrowed(d)
            }
        })
    }

    /// The URI parsed as sip/sips/tel.
    pub fn sip_uri(&self) -> Result<SipUri<'a>, ParseErrorKind> {
        SipUri::parse(self.uri)
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&'a str> {
        self.params.value("tag")
    }

    /// The `epid` parameter (MS-SIPRE endpoint id).
    pub fn epid(&self) -> Option<&'a str> {
        self.params.value("epid")
    }
}

/// RFC 3261 25.1 `absoluteURI` starts with `scheme ":"`.
fn check_scheme(uri: &str) -> Result<(), ParseErrorKind> {
    let (scheme, _) = uri.split_once(':').ok_or(ParseErrorKind::InvalidUri)?;
    let b = scheme.as_bytes();
    let ok = b.first().is_some_and(u8::is_ascii_alphabetic)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(ParseErrorKind::InvalidUri)
    }
}

/// One Contact value (RFC 3261 20.10).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Contact<'a> {
    /// `Contact: *` (remove all bindings).
    Star,
    /// An address with parameters (`expires`, `q`, `+sip.instance`, `gruu`, `ms-opaque`, ...).
    Addr(NameAddr<'a>),
}

impl<'a> Contact<'a> {
    /// Parse one Contact element.
    pub fn parse(s: &'a str) -> Result<Self, ParseErrorKind> {
        if trim(s) == "*" {
            Ok(Contact::Star)
        } else {
            NameAddr::parse(s).map(Contact::Addr)
        }
    }

    /// The address, unless `*`.
    pub fn addr(&self) -> Option<&NameAddr<'a>> {
        match self {
            Contact::Star => None,
            Contact::Addr(a) => Some(a),
        }
    }

    /// The `expires` parameter.
    pub fn expires(&self) -> Option<Result<u32, ParseErrorKind>> {
        let v = self.addr()?.params.value("expires")?;
        Some(
            crate::scan::parse_u64(v)
                .and_then(|n| u32::try_from(n).map_err(|_| ParseErrorKind::InvalidNumber)),
        )
    }

    /// The `q` parameter, raw.
    pub fn q(&self) -> Option<&'a str> {
        self.addr()?.params.value("q")
    }

    /// The `+sip.instance` parameter (quoted inner text).
    pub fn sip_instance(&self) -> Option<&'a str> {
        self.addr()?.params.value("+sip.instance")
    }

    /// The `gruu` parameter (quoted inner text).
    pub fn gruu(&self) -> Option<&'a str> {
        self.addr()?.params.value("gruu")
    }

    /// The `ms-opaque` parameter: a header parameter, or else a URI parameter (where Lync
    /// puts it).
    pub fn ms_opaque(&self) -> Option<&'a str> {
        let a = self.addr()?;
        a.params
            .value("ms-opaque")
            .or_else(|| a.sip_uri().ok()?.param("ms-opaque"))
    }
}

impl<'a> Message<'a> {
    fn name_addr(&self, name: &str) -> Option<Result<NameAddr<'a>, ParseError>> {
        self.header(name)
            .map(|h| NameAddr::parse(h.value).map_err(|k| h.error(k)))
    }

    fn name_addrs<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Iterator<Item = Result<NameAddr<'a>, ParseError>> + 's {
        self.list(name)
            .map(|(h, v)| NameAddr::parse(v).map_err(|k| h.error(k)))
    }

    /// From (RFC 3261 20.20).
    pub fn from(&self) -> Option<Result<NameAddr<'a>, ParseError>> {
        self.name_addr("From")
    }

    /// To (RFC 3261 20.39).
    pub fn to(&self) -> Option<Result<NameAddr<'a>, ParseError>> {
        self.name_addr("To")
    }

    /// Every Contact value across all Contact headers.
    pub fn contacts(&self) -> impl Iterator<Item = Result<Contact<'a>, ParseError>> + '_ {
        self.list("Contact")
            .map(|(h, v)| Contact::parse(v).map_err(|k| h.error(k)))
    }

    /// Every Route value in order.
    pub fn routes(&self) -> impl Iterator<Item = Result<NameAddr<'a>, ParseError>> + '_ {
        self.name_addrs("Route")
    }

    /// Every Record-Route value in order.
    pub fn record_routes(&self) -> impl Iterator<Item = Result<NameAddr<'a>, ParseError>> + '_ {
        self.name_addrs("Record-Route")
    }

    /// Every P-Asserted-Identity value (RFC 3325: a sip and a tel value may both appear).
    pub fn p_asserted_identities(
        &self,
    ) -> impl Iterator<Item = Result<NameAddr<'a>, ParseError>> + '_ {
        self.name_addrs("P-Asserted-Identity")
    }

    /// Every P-Preferred-Identity value.
    pub fn p_preferred_identities(
        &self,
    ) -> impl Iterator<Item = Result<NameAddr<'a>, ParseError>> + '_ {
        self.name_addrs("P-Preferred-Identity")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn un_bracketed_params_are_header_params() {
        let a = NameAddr::parse("sip:a@b;tag=x").unwrap();
        assert_eq!((a.uri, a.tag()), ("sip:a@b", Some("x")));
        let a =
            NameAddr::parse("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n").unwrap();
        assert_eq!(a.tag(), Some("1918181833n"));
    }

    #[test]
    fn display_names() {
        let a = NameAddr::parse(
            r#""J Rosenberg \\\""       <sip:jdrosen@example.com>
  ;
  tag = 98asjd8"#,
        )
        .unwrap();
        assert_eq!(a.display_name_unescaped().unwrap(), r#"J Rosenberg \""#);
        assert_eq!(a.tag(), Some("98asjd8"));
        let a = NameAddr::parse("caller<sip:caller@example.com>;tag=323;epid=01").unwrap();
        assert_eq!((a.display_name, a.epid()), (Some("caller"), Some("01")));
        assert_eq!(
            NameAddr::parse("Bell, Alexander <sip:a@b>").unwrap_err(),
            ParseErrorKind::InvalidDisplayName
        );
        assert_eq!(
            NameAddr::parse(r#""Mr. J. User <sip:j@b>"#).unwrap_err(),
            ParseErrorKind::UnterminatedQuote
        );
        assert!(NameAddr::parse("\"W\" < sip:t@example.org >").is_err());
        assert!(NameAddr::parse("sip:user@example.com?Route=%3Csip:sip.example.com%3E").is_err());
    }

    #[test]
    fn contacts() {
        let c = Contact::parse(r#"<sip:a@1.2.3.4:5061;transport=tls;ms-opaque=d3>;expires=7200;+sip.instance="<urn:uuid:1>";gruu="sip:a@b;gr=1""#).unwrap();
        assert_eq!(c.expires(), Some(Ok(7200)));
        assert_eq!(c.sip_instance(), Some("<urn:uuid:1>"));
        assert_eq!(c.gruu(), Some("sip:a@b;gr=1"));
        assert_eq!(c.ms_opaque(), Some("d3"));
        assert_eq!(Contact::parse(" * "), Ok(Contact::Star));
        assert!(Contact::parse("\"Joe\" <sip:joe@example.org>;;;;").is_err());
        let c = Contact::parse("<sip:a@b>;expires=280297596632815").unwrap();
        assert_eq!(c.expires(), Some(Err(ParseErrorKind::InvalidNumber)));
    }
}
