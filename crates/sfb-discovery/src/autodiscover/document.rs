//! The autodiscover document model shared by the XML and JSON readers, and their limits.
//!
//! [MS-OCDISCWS] 2.2: an `AutodiscoverResponse` holds a `Root`, `User` or `Domain` resource made
//! of `Link token=".." href=".."` elements and, for `User` (and possibly `Domain`), the
//! `Sip{Server,Client}{Internal,External}Access fqdn=".." port=".."` elements.

use serde::Serialize;
use thiserror::Error;

use super::url::{HostName, UrlError};
use super::{json, xml};

/// Media type of the XML document ([MS-OCDISCWS] 2.2.1).
pub const MEDIA_TYPE_XML: &str = "application/vnd.microsoft.rtc.autodiscover+xml;v=1";
/// Media type of the JSON document ([MS-OCDISCWS] 2.2.1).
pub const MEDIA_TYPE_JSON: &str = "application/vnd.microsoft.rtc.autodiscover+json;v=1";

/// Explicit limits applied to every document before and while it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DocumentLimits {
    /// Largest body accepted, in bytes (real documents are a few KiB).
    pub max_bytes: usize,
    /// Deepest element (XML) or object/array (JSON) nesting accepted.
    pub max_depth: usize,
    /// Most elements (XML) or values (JSON) accepted in one document.
    pub max_nodes: usize,
    /// Most `Link` entries accepted in one document.
    pub max_links: usize,
    /// Most attributes accepted on one XML element.
    pub max_attributes: usize,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        DocumentLimits {
            max_bytes: 256 * 1024,
            max_depth: 16,
            max_nodes: 4096,
            max_links: 256,
            max_attributes: 32,
        }
    }
}

/// Why a document was rejected. Each variant names one fault.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DocumentError {
    /// The body is larger than [`DocumentLimits::max_bytes`].
    #[error("document is {size} bytes, limit is {limit}")]
    TooLarge {
        /// Body size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The body is not UTF-8.
    #[error("document is not utf-8")]
    NotUtf8,
    /// The body is not well-formed XML.
    #[error("malformed xml at byte {position}: {message}")]
    MalformedXml {
        /// Byte offset reported by the reader.
        position: u64,
        /// The reader's description.
        message: String,
    },
    /// The body is not valid JSON.
    #[error("malformed json at line {line} column {column}")]
    MalformedJson {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The XML has a document type declaration (rejected: it is the vehicle of entity expansion).
    #[error("xml document type declarations are not accepted")]
    DoctypeRejected,
    /// The XML refers to an entity other than the five predefined ones.
    #[error("xml refers to an undeclared entity")]
    UnknownEntity,
    /// Nesting is deeper than [`DocumentLimits::max_depth`].
    #[error("nesting deeper than {limit}")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// More elements or values than [`DocumentLimits::max_nodes`].
    #[error("more than {limit} elements")]
    TooManyNodes {
        /// The limit.
        limit: usize,
    },
    /// More links than [`DocumentLimits::max_links`].
    #[error("more than {limit} links")]
    TooManyLinks {
        /// The limit.
        limit: usize,
    },
    /// More attributes on one element than [`DocumentLimits::max_attributes`].
    #[error("element `{element}` has more than {limit} attributes")]
    TooManyAttributes {
        /// The element's local name.
        element: String,
        /// The limit.
        limit: usize,
    },
    /// The top-level element or value is not an autodiscover response.
    #[error("top-level element `{found}` is not AutodiscoverResponse")]
    UnexpectedRoot {
        /// What was found instead.
        found: String,
    },
    /// The response holds none of the `Root`, `User` or `Domain` resources.
    #[error("response holds no Root, User or Domain resource")]
    NoResource,
    /// A `Link` has no `token` or no `href`.
    #[error("link without {missing}")]
    IncompleteLink {
        /// `token` or `href`.
        missing: &'static str,
    },
    /// A SIP access element has an invalid or missing `fqdn`.
    #[error("{element} has an invalid fqdn")]
    InvalidFqdn {
        /// The element name.
        element: &'static str,
    },
    /// A SIP access element has an invalid or missing `port`.
    #[error("{element} has an invalid port")]
    InvalidPort {
        /// The element name.
        element: &'static str,
    },
    /// The content type is neither autodiscover media type.
    #[error("content type `{content_type}` is not an autodiscover document")]
    UnsupportedContentType {
        /// The content type received (possibly truncated).
        content_type: String,
    },
}

/// Document encodings: [MS-OCDISCWS] 2.2.1 defines an XML and a JSON form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentFormat {
    /// `application/vnd.microsoft.rtc.autodiscover+xml;v=1`, what the desktop client asks for.
    #[default]
    Xml,
    /// `application/vnd.microsoft.rtc.autodiscover+json;v=1`.
    Json,
}

impl DocumentFormat {
    /// The media type sent in `Accept`.
    pub fn media_type(self) -> &'static str {
        match self {
            DocumentFormat::Xml => MEDIA_TYPE_XML,
            DocumentFormat::Json => MEDIA_TYPE_JSON,
        }
    }

    /// The format named by a `Content-Type` value, ignoring case and parameters.
    ///
    /// Captive portals and web-server defaults answer 200 with HTML; only the two autodiscover
    /// media types are documents.
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case("application/vnd.microsoft.rtc.autodiscover+xml") {
            Some(DocumentFormat::Xml)
        } else if essence.eq_ignore_ascii_case("application/vnd.microsoft.rtc.autodiscover+json") {
            Some(DocumentFormat::Json)
        } else {
            None
        }
    }
}

/// Which resource a document describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// [MS-OCDISCWS] 3.1.5.2: links to `User`, `Domain` (and `OAuth`), or a single `Redirect`.
    Root,
    /// [MS-OCDISCWS] 3.1.5.3: the authenticated user's SIP access and web service links.
    User,
    /// [MS-OCDISCWS] 3.1.5.4: anonymous domain-wide links.
    Domain,
}

/// `AccessLocation`: where the server thinks the request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessLocation {
    /// Inside the corporate network.
    Internal,
    /// From the Internet, usually through the reverse proxy.
    External,
}

/// A `Link` element: a token naming the resource and its `href`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// The token as sent (`Redirect`, `User`, `Domain`, `OAuth`, `External/Ucwa`, ...).
    pub token: String,
    /// The target, as sent (validated only when the walker follows it).
    pub href: String,
}

impl Link {
    /// Whether the token equals `token`, ignoring ASCII case (JSON uses lower-case keys).
    pub fn is(&self, token: &str) -> bool {
        self.token.eq_ignore_ascii_case(token)
    }
}

/// The four SIP access elements of a User (or Domain) resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessKind {
    /// `SipServerInternalAccess` (reserved, not used by clients).
    ServerInternal,
    /// `SipClientInternalAccess`: what a client inside the network connects to.
    ClientInternal,
    /// `SipServerExternalAccess` (reserved, not used by clients).
    ServerExternal,
    /// `SipClientExternalAccess`: what a client on the Internet connects to.
    ClientExternal,
}

impl AccessKind {
    /// Every kind, in document order.
    pub const ALL: [AccessKind; 4] = [
        AccessKind::ServerInternal,
        AccessKind::ClientInternal,
        AccessKind::ServerExternal,
        AccessKind::ClientExternal,
    ];

    /// The element name in the XML document.
    pub fn element(self) -> &'static str {
        match self {
            AccessKind::ServerInternal => "SipServerInternalAccess",
            AccessKind::ClientInternal => "SipClientInternalAccess",
            AccessKind::ServerExternal => "SipServerExternalAccess",
            AccessKind::ClientExternal => "SipClientExternalAccess",
        }
    }

    /// The kind named by an element (or JSON key), ignoring ASCII case.
    pub fn from_element(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.element().eq_ignore_ascii_case(name))
    }
}

/// A SIP access point: where to connect with TLS.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SipAccess {
    /// Which of the four elements it came from.
    pub kind: AccessKind,
    /// The pool, Director or Edge FQDN.
    pub fqdn: HostName,
    /// The TCP port.
    pub port: u16,
}

impl SipAccess {
    pub(crate) fn parse(
        kind: AccessKind,
        fqdn: Option<&str>,
        port: Option<&str>,
    ) -> Result<Self, DocumentError> {
        let element = kind.element();
        let fqdn = fqdn
            .ok_or(DocumentError::InvalidFqdn { element })
            .and_then(|f| {
                HostName::parse(f.trim())
                    .map_err(|_: UrlError| DocumentError::InvalidFqdn { element })
            })?;
        let port = port
            .and_then(|p| p.trim().parse::<u16>().ok())
            .filter(|p| *p != 0)
            .ok_or(DocumentError::InvalidPort { element })?;
        Ok(SipAccess { kind, fqdn, port })
    }
}

/// A parsed autodiscover document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    /// The resource described.
    pub resource: ResourceKind,
    /// The `AccessLocation` attribute, when present and recognised.
    pub access_location: Option<AccessLocation>,
    /// Every link, in document order.
    pub links: Vec<Link>,
    /// Every SIP access element, in document order.
    pub sip_access: Vec<SipAccess>,
}

impl Document {
    /// Reads a document in the given format, applying `limits`.
    pub fn parse(
        format: DocumentFormat,
        body: &[u8],
        limits: &DocumentLimits,
    ) -> Result<Self, DocumentError> {
        if body.len() > limits.max_bytes {
            return Err(DocumentError::TooLarge {
                size: body.len(),
                limit: limits.max_bytes,
            });
        }
        match format {
            DocumentFormat::Xml => xml::parse(body, limits),
            DocumentFormat::Json => json::parse(body, limits),
        }
    }

    /// The first link with this token, ignoring ASCII case.
    pub fn link(&self, token: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.is(token))
    }

    /// The SIP access point of this kind, if the document has one.
    pub fn access(&self, kind: AccessKind) -> Option<&SipAccess> {
        self.sip_access.iter().find(|a| a.kind == kind)
    }
}

pub(crate) fn parse_access_location(value: &str) -> Option<AccessLocation> {
    if value.trim().eq_ignore_ascii_case("internal") {
        Some(AccessLocation::Internal)
    } else if value.trim().eq_ignore_ascii_case("external") {
        Some(AccessLocation::External)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_recognition() {
        assert_eq!(
            DocumentFormat::from_content_type(
                "Application/vnd.microsoft.rtc.autodiscover+xml; v=1; charset=utf-8"
            ),
            Some(DocumentFormat::Xml)
        );
        assert_eq!(
            DocumentFormat::from_content_type(MEDIA_TYPE_JSON),
            Some(DocumentFormat::Json)
        );
        assert_eq!(
            DocumentFormat::from_content_type("text/html; charset=utf-8"),
            None
        );
        assert_eq!(DocumentFormat::from_content_type("application/json"), None);
    }

    #[test]
    fn size_limit_is_checked_first() {
        let limits = DocumentLimits {
            max_bytes: 10,
            ..DocumentLimits::default()
        };
        let err = Document::parse(DocumentFormat::Xml, &[b'<'; 11], &limits).unwrap_err();
        assert_eq!(
            err,
            DocumentError::TooLarge {
                size: 11,
                limit: 10
            }
        );
    }

    #[test]
    fn sip_access_validation() {
        let ok = SipAccess::parse(
            AccessKind::ClientExternal,
            Some("Sip.Contoso.com"),
            Some("443"),
        )
        .unwrap();
        assert_eq!(ok.fqdn.as_str(), "sip.contoso.com");
        assert_eq!(ok.port, 443);
        assert_eq!(
            SipAccess::parse(
                AccessKind::ClientExternal,
                Some("sip.contoso.com"),
                Some("0")
            ),
            Err(DocumentError::InvalidPort {
                element: "SipClientExternalAccess"
            })
        );
        assert_eq!(
            SipAccess::parse(AccessKind::ClientInternal, Some("bad host"), Some("5061")),
            Err(DocumentError::InvalidFqdn {
                element: "SipClientInternalAccess"
            })
        );
        assert_eq!(
            SipAccess::parse(AccessKind::ClientInternal, None, Some("5061")),
            Err(DocumentError::InvalidFqdn {
                element: "SipClientInternalAccess"
            })
        );
    }
}
