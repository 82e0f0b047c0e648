//! Absolute `http`/`https` URLs and SIP addresses, parsed once and then trusted.
//!
//! Autodiscover only ever needs absolute HTTP(S) URLs without user information, so this is a
//! deliberately small subset of RFC 3986 rather than a general URL parser.

use std::fmt;

use serde::{Serialize, Serializer};
use thiserror::Error;

/// Longest URL accepted, in bytes (an `href` longer than this is hostile or broken).
pub const MAX_URL_LEN: usize = 2048;
/// Longest host name accepted, in bytes (RFC 1035 §2.3.4).
pub const MAX_HOST_LEN: usize = 253;

/// Why a URL, a host name or a SIP address was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UrlError {
    /// The text is longer than [`MAX_URL_LEN`].
    #[error("url is {len} bytes long, limit is {limit}")]
    TooLong {
        /// Length of the text.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The scheme is neither `http` nor `https`.
    #[error("url scheme is not http or https")]
    UnsupportedScheme,
    /// The URL carries `user@` information, which autodiscover never uses.
    #[error("url carries user information")]
    UserInfo,
    /// The host name is empty or holds a character outside letters, digits, `-` and `.`.
    #[error("invalid host name")]
    InvalidHost,
    /// The port is not a number in 1..=65535.
    #[error("invalid port")]
    InvalidPort,
    /// The path or query holds a space or a control character.
    #[error("url holds a space or a control character")]
    InvalidCharacter,
    /// The SIP address has no `user@domain` form.
    #[error("sip address is not of the form user@domain")]
    InvalidSipAddress,
}

/// URL scheme: autodiscover runs over both HTTPS and HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// Plain HTTP (port 80 publishing is a supported design for the first hop).
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    /// The scheme's name as written in a URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The port used when the URL names none.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// A validated absolute `http`/`https` URL: lower-case host, optional port, path and query.
///
/// RFC 3986 §3: `scheme "://" host [ ":" port ] path-abempty [ "?" query ]`, without userinfo;
/// a fragment is dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpUrl {
    scheme: Scheme,
    host: String,
    port: Option<u16>,
    path_and_query: String,
}

impl HttpUrl {
    /// Parses an absolute `http`/`https` URL.
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        if text.len() > MAX_URL_LEN {
            return Err(UrlError::TooLong {
                len: text.len(),
                limit: MAX_URL_LEN,
            });
        }
        let text = text.trim();
        let (scheme, rest) = split_scheme(text).ok_or(UrlError::UnsupportedScheme)?;
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        if authority.contains('@') {
            return Err(UrlError::UserInfo);
        }
        let (host, port) = split_port(authority)?;
        let host = parse_host(host)?;
        let tail = tail.split('#').next().unwrap_or_default();
        if tail.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(UrlError::InvalidCharacter);
        }
        let path_and_query = if tail.starts_with('/') {
            tail.to_owned()
        } else {
            format!("/{tail}")
        };
        Ok(HttpUrl {
            scheme,
            host,
            port,
            path_and_query,
        })
    }

    /// Builds `scheme://host/path_and_query` from parts already validated.
    pub(crate) fn from_parts(scheme: Scheme, host: &HostName, path_and_query: String) -> Self {
        HttpUrl {
            scheme,
            host: host.as_str().to_owned(),
            port: None,
            path_and_query,
        }
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host, lower-case; the name HTTPS must validate the server certificate against.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port named in the URL, or the scheme's default.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(self.scheme.default_port())
    }

    /// Path and query, always starting with `/`.
    pub fn path_and_query(&self) -> &str {
        &self.path_and_query
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        f.write_str(&self.path_and_query)
    }
}

impl Serialize for HttpUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A DNS host name: 1..=253 bytes of letters, digits, `-`, `_` (seen in internal names) and `.`,
/// stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct HostName(String);

impl HostName {
    /// Parses a host name (RFC 1123 §2.1 letters, digits, hyphen, plus underscore; labels of
    /// 1..=63 bytes; one trailing dot is dropped).
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        let bytes = text.as_bytes();
        let text = text.strip_suffix('.').unwrap_or(text);
        if text.is_empty() || bytes.len() > MAX_HOST_LEN {
            return Err(UrlError::InvalidHost);
        }
        for label in text.split('.') {
            let ok = !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                return Err(UrlError::InvalidHost);
            }
        }
        Ok(HostName(text.to_ascii_lowercase()))
    }

    /// The name, lower-case, without a trailing dot.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A SIP address `user@domain` (an optional `sip:` prefix is removed).
///
/// [MS-OCDISCWS] 3.1.5.2: every Root request carries the `sipuri` query parameter; desktop
/// clients send it without the `sip:` prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SipAddress {
    user: String,
    domain: HostName,
}

impl SipAddress {
    /// Parses `user@domain` or `sip:user@domain`.
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        if text.len() > 256 {
            return Err(UrlError::TooLong {
                len: text.len(),
                limit: 256,
            });
        }
        let text = text.trim();
        let text = match text.get(..4) {
            Some(p) if p.eq_ignore_ascii_case("sip:") => text.get(4..).unwrap_or_default(),
            _ => text,
        };
        let (user, domain) = text.rsplit_once('@').ok_or(UrlError::InvalidSipAddress)?;
        if user.is_empty() || user.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(UrlError::InvalidSipAddress);
        }
        let domain = HostName::parse(domain).map_err(|_| UrlError::InvalidSipAddress)?;
        Ok(SipAddress {
            user: user.to_owned(),
            domain,
        })
    }

    /// The SIP domain.
    pub fn domain(&self) -> &HostName {
        &self.domain
    }

    /// The `sipuri` query value: `user@domain`, with characters outside RFC 3986 `unreserved`
    /// (and `@`) percent-encoded.
    pub fn query_value(&self) -> String {
        let mut out = String::with_capacity(self.user.len() + self.domain.0.len() + 1);
        for b in self.user.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out.push('@');
        out.push_str(self.domain.as_str());
        out
    }
}

impl fmt::Display for SipAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.user, self.domain)
    }
}

fn split_scheme(text: &str) -> Option<(Scheme, &str)> {
    let (scheme, rest) = text.split_once("://")?;
    if scheme.eq_ignore_ascii_case("https") {
        Some((Scheme::Https, rest))
    } else if scheme.eq_ignore_ascii_case("http") {
        Some((Scheme::Http, rest))
    } else {
        None
    }
}

fn split_port(authority: &str) -> Result<(&str, Option<u16>), UrlError> {
    // An IPv6 literal keeps its colons inside the brackets.
    let search_from = authority.rfind(']').unwrap_or(0);
    match authority.get(search_from..).and_then(|s| s.rfind(':')) {
        Some(i) => {
            let colon = search_from + i;
            let host = authority.get(..colon).unwrap_or_default();
            let port = authority.get(colon + 1..).unwrap_or_default();
            let port = port
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0 && port.bytes().all(|b| b.is_ascii_digit()))
                .ok_or(UrlError::InvalidPort)?;
            Ok((host, Some(port)))
        }
        None => Ok((authority, None)),
    }
}

fn parse_host(host: &str) -> Result<String, UrlError> {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let ok = !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        return if ok {
            Ok(host.to_ascii_lowercase())
        } else {
            Err(UrlError::InvalidHost)
        };
    }
    HostName::parse(host).map(|h| h.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_autodiscover_href() {
        let url = HttpUrl::parse(
            "https://LyncWebInt.contoso.com:4443/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=contoso.com#x",
        )
        .unwrap();
        assert_eq!(url.scheme(), Scheme::Https);
        assert_eq!(url.host(), "lyncwebint.contoso.com");
        assert_eq!(url.port(), 4443);
        assert_eq!(
            url.to_string(),
            "https://lyncwebint.contoso.com:4443/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=contoso.com"
        );
        let bare = HttpUrl::parse("http://lyncdiscover.contoso.com?sipuri=a@b.c").unwrap();
        assert_eq!(bare.port(), 80);
        assert_eq!(bare.path_and_query(), "/?sipuri=a@b.c");
    }

    #[test]
    fn rejects_bad_urls() {
        assert_eq!(HttpUrl::parse("ftp://x/"), Err(UrlError::UnsupportedScheme));
        assert_eq!(
            HttpUrl::parse("javascript:alert(1)"),
            Err(UrlError::UnsupportedScheme)
        );
        assert_eq!(HttpUrl::parse("https://u:p@evil/"), Err(UrlError::UserInfo));
        assert_eq!(HttpUrl::parse("https://a b/"), Err(UrlError::InvalidHost));
        assert_eq!(HttpUrl::parse("https:///x"), Err(UrlError::InvalidHost));
        assert_eq!(HttpUrl::parse("https://h:0/"), Err(UrlError::InvalidPort));
        assert_eq!(HttpUrl::parse("https://h:+80/"), Err(UrlError::InvalidPort));
        assert_eq!(
            HttpUrl::parse("https://h:99999/"),
            Err(UrlError::InvalidPort)
        );
        assert_eq!(
            HttpUrl::parse("https://h/a\r\nX: y"),
            Err(UrlError::InvalidCharacter)
        );
        let long = format!("https://h/{}", "a".repeat(MAX_URL_LEN));
        assert!(matches!(
            HttpUrl::parse(&long),
            Err(UrlError::TooLong { .. })
        ));
        assert!(HttpUrl::parse("https://[::1]:8443/").is_ok());
    }

    #[test]
    fn sip_address_forms() {
        let a = SipAddress::parse("sip:Alice.Smith@Contoso.com").unwrap();
        assert_eq!(a.domain().as_str(), "contoso.com");
        assert_eq!(a.query_value(), "Alice.Smith@contoso.com");
        let b = SipAddress::parse("o'neil+x@contoso.com").unwrap();
        assert_eq!(b.query_value(), "o%27neil%2Bx@contoso.com");
        assert_eq!(
            SipAddress::parse("contoso.com"),
            Err(UrlError::InvalidSipAddress)
        );
        assert_eq!(
            SipAddress::parse("@contoso.com"),
            Err(UrlError::InvalidSipAddress)
        );
        assert_eq!(
            SipAddress::parse("a@bad_host!"),
            Err(UrlError::InvalidSipAddress)
        );
    }
}
