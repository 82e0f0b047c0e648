//! The WS-Trust 1.3 RequestSecurityToken for a SAML web ticket ([MS-OCAUTHWS] 3.1.4.1.1,
//! WS-Trust 1.3 §4.1), in a SOAP 1.1 envelope, and its reader (for the test service).

use base64::prelude::{BASE64_STANDARD, Engine as _};

use crate::secret::Entropy;
use crate::xml::{self, XmlError, XmlLimits};

/// `SOAPAction` of the Issue request.
pub const SOAP_ACTION_ISSUE: &str =
    "\"http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue\"";
/// Token type asked for: SAML 1.1.
pub const TOKEN_TYPE_SAML11: &str =
    "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1";
/// The Issue request type (the WS-Trust Feb 2005 URI that Lync servers expect).
pub const REQUEST_TYPE_ISSUE: &str = "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue";
/// Symmetric proof key.
pub const KEY_TYPE_SYMMETRIC: &str =
    "http://docs.oasis-open.org/ws-sx/ws-trust/200512/SymmetricKey";
/// The claims dialect of Lync web authentication.
pub const CLAIMS_DIALECT: &str = "urn:component:Microsoft.Rtc.WebAuthentication.2010:authclaims";
/// The `uri` claim type.
pub const CLAIM_URI: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/uri";
/// Length of the client entropy this client sends (a 256-bit proof key).
pub const CLIENT_ENTROPY_LEN: usize = 32;
/// Longest SIP URI or AppliesTo address accepted.
const MAX_URI: usize = 2048;

/// Why an RST cannot be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RstError {
    /// The user URI does not start with `sip:` or is unusable.
    #[error("user uri is not a sip: uri")]
    NotSipUri,
    /// The AppliesTo address is empty, too long or has control characters.
    #[error("appliesto address is empty, too long or has control characters")]
    BadAppliesTo,
    /// The RST is not well-formed or exceeds limits.
    #[error("rst xml: {0}")]
    Xml(#[from] XmlError),
    /// A required element is missing.
    #[error("rst has no {0}")]
    Missing(&'static str),
    /// The entropy is not base64.
    #[error("rst entropy is not base64")]
    BadEntropy,
}

/// A `sip:` URI (the identity claim).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri(String);

impl SipUri {
    /// Parses `sip:user@domain` (case-insensitive scheme, no whitespace or controls).
    pub fn parse(s: &str) -> Result<Self, RstError> {
        let ok = s.len() <= MAX_URI
            && s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("sip:"))
            && s.len() > 4
            && !s.chars().any(|c| c.is_control() || c.is_whitespace());
        if ok {
            Ok(SipUri(s.to_owned()))
        } else {
            Err(RstError::NotSipUri)
        }
    }

    /// The URI text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What to ask the web ticket service for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RstRequest {
    /// The user (the `uri` claim).
    pub sip_uri: SipUri,
    /// The service the ticket is for (`wsp:AppliesTo`), e.g. the autodiscover User URL.
    pub applies_to: String,
    /// The `Context` attribute (echoed by the service).
    pub context: String,
    /// The client entropy.
    pub client_entropy: Entropy,
}

fn check_address(s: &str) -> Result<(), RstError> {
    if s.is_empty() || s.len() > MAX_URI || s.chars().any(char::is_control) {
        Err(RstError::BadAppliesTo)
    } else {
        Ok(())
    }
}

/// XML-escapes text for element content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A UUID-shaped string (RFC 9562 version 4 layout) from 16 random bytes.
pub fn uuid_from(bytes: [u8; 16]) -> String {
    let mut b = bytes;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        h.get(..8).unwrap_or_default(),
        h.get(8..12).unwrap_or_default(),
        h.get(12..16).unwrap_or_default(),
        h.get(16..20).unwrap_or_default(),
        h.get(20..).unwrap_or_default()
    )
}

impl RstRequest {
    /// A request with fresh context and entropy from `rng` (48 bytes drawn: 16 for the
    /// context, [`CLIENT_ENTROPY_LEN`] for the entropy).
    pub fn new(
        sip_uri: SipUri,
        applies_to: &str,
        rng: &mut (dyn FnMut(&mut [u8]) + Send),
    ) -> Result<Self, RstError> {
        check_address(applies_to)?;
        let mut ctx = [0u8; 16];
        rng(&mut ctx);
        let mut entropy = vec![0u8; CLIENT_ENTROPY_LEN];
        rng(&mut entropy);
        Ok(RstRequest {
            sip_uri,
            applies_to: applies_to.to_owned(),
            context: uuid_from(ctx),
            client_entropy: Entropy::new(entropy),
        })
    }

    /// [MS-OCAUTHWS] 3.1.4.1.1: the SOAP 1.1 envelope with the RST as its body.
    pub fn to_xml(&self) -> Vec<u8> {
        let entropy = BASE64_STANDARD.encode(self.client_entropy.expose());
        format!(
            concat!(
                r#"<?xml version="1.0" encoding="utf-8"?>"#,
                r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/""#,
                r#" xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512""#,
                r#" xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion""#,
                r#" xmlns:auth="http://schemas.xmlsoap.org/ws/2006/12/authorization""#,
                r#" xmlns:wsa="http://www.w3.org/2005/08/addressing""#,
                r#" xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy""#,
                r#" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd""#,
                r#" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">"#,
                "<soap:Body>",
                r#"<wst:RequestSecurityToken Context="{ctx}">"#,
                "<wst:TokenType>{tt}</wst:TokenType>",
                "<wst:RequestType>{rt}</wst:RequestType>",
                "<wsp:AppliesTo><wsa:EndpointReference><wsa:Address>{to}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>",
                r#"<wst:Claims Dialect="{dialect}">"#,
                r#"<auth:ClaimType Uri="{claim}" Optional="false"><auth:Value>{uri}</auth:Value></auth:ClaimType>"#,
                "</wst:Claims>",
                "<wst:Entropy><wst:BinarySecret>{entropy}</wst:BinarySecret></wst:Entropy>",
                "<wst:KeyType>{kt}</wst:KeyType>",
                "</wst:RequestSecurityToken>",
                "</soap:Body></soap:Envelope>"
            ),
            ctx = escape(&self.context),
            tt = TOKEN_TYPE_SAML11,
            rt = REQUEST_TYPE_ISSUE,
            to = escape(&self.applies_to),
            dialect = CLAIMS_DIALECT,
            claim = CLAIM_URI,
            uri = escape(self.sip_uri.as_str()),
            entropy = entropy,
            kt = KEY_TYPE_SYMMETRIC,
        )
        .into_bytes()
    }

    /// Reads an RST envelope (what the test service does with a request body).
    pub fn parse(body: &[u8], limits: &XmlLimits) -> Result<Self, RstError> {
        let t = xml::parse(body, limits)?;
        let rst = t
            .find(0, "RequestSecurityToken")
            .ok_or(RstError::Missing("RequestSecurityToken"))?;
        let context = t
            .get(rst)
            .and_then(|e| e.attr("Context"))
            .unwrap_or_default()
            .to_owned();
        let applies_to = t
            .find(rst, "AppliesTo")
            .and_then(|a| t.find(a, "Address"))
            .and_then(|a| t.text(a))
            .ok_or(RstError::Missing("AppliesTo/EndpointReference/Address"))?
            .to_owned();
        check_address(&applies_to)?;
        let uri = t
            .all("ClaimType")
            .find(|&c| t.get(c).and_then(|e| e.attr("Uri")) == Some(CLAIM_URI))
            .and_then(|c| t.child(c, "Value"))
            .and_then(|v| t.text(v))
            .ok_or(RstError::Missing("uri claim"))?;
        let entropy = t
            .child(rst, "Entropy")
            .and_then(|e| t.child(e, "BinarySecret"))
            .and_then(|b| t.text(b))
            .ok_or(RstError::Missing("Entropy/BinarySecret"))?;
        let entropy = BASE64_STANDARD
            .decode(entropy)
            .map_err(|_| RstError::BadEntropy)?;
        Ok(RstRequest {
            sip_uri: SipUri::parse(uri)?,
            applies_to,
            context,
            client_entropy: Entropy::new(entropy),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter() -> impl FnMut(&mut [u8]) {
        let mut n = 0u8;
        move |b: &mut [u8]| {
            for x in b {
                *x = n;
                n = n.wrapping_add(1);
            }
        }
    }

    /// Golden: the exact bytes of the envelope for a fixed RNG (testdata/rst-golden.xml).
    #[test]
    fn golden_envelope() {
        let mut rng = counter();
        let r = RstRequest::new(
            SipUri::parse("sip:alice@contoso.com").unwrap(),
            "https://lyncweb.contoso.com/Autodiscover/AutodiscoverService.svc/root/user?a=1&b=2",
            &mut rng,
        )
        .unwrap();
        let xml = String::from_utf8(r.to_xml()).unwrap();
        let golden = include_str!("../testdata/rst-golden.xml").trim_end();
        assert_eq!(xml, golden);
        assert_eq!(r.context, "00010203-0405-4607-8809-0a0b0c0d0e0f");
        let back = RstRequest::parse(xml.as_bytes(), &XmlLimits::default()).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.client_entropy.expose(), (16u8..48).collect::<Vec<_>>());
    }

    #[test]
    fn inputs_are_checked() {
        assert_eq!(SipUri::parse("alice@contoso.com"), Err(RstError::NotSipUri));
        assert_eq!(SipUri::parse("sip:"), Err(RstError::NotSipUri));
        assert_eq!(SipUri::parse("sip:a b@c"), Err(RstError::NotSipUri));
        assert!(SipUri::parse("SIP:a@c").is_ok());
        let uri = SipUri::parse("sip:a@c").unwrap();
        assert_eq!(
            RstRequest::new(uri.clone(), "", &mut counter()),
            Err(RstError::BadAppliesTo)
        );
        assert_eq!(
            RstRequest::new(uri, "https://x/\n", &mut counter()),
            Err(RstError::BadAppliesTo)
        );
        // Markup in the uri is escaped, not injected.
        let r = RstRequest::new(
            SipUri::parse("sip:a<b>@c").unwrap(),
            "https://x/\"'",
            &mut counter(),
        )
        .unwrap();
        let back = RstRequest::parse(&r.to_xml(), &XmlLimits::default()).unwrap();
        assert_eq!(back.sip_uri.as_str(), "sip:a<b>@c");
        assert_eq!(back.applies_to, "https://x/\"'");
    }

    #[test]
    fn rst_reader_names_what_is_missing() {
        let l = XmlLimits::default();
        assert_eq!(
            RstRequest::parse(b"<Envelope/>", &l),
            Err(RstError::Missing("RequestSecurityToken"))
        );
        let no_entropy = br#"<E><RequestSecurityToken><AppliesTo><Address>https://x</Address></AppliesTo>
            <ClaimType Uri="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/uri"><Value>sip:a@b</Value></ClaimType></RequestSecurityToken></E>"#;
        assert_eq!(
            RstRequest::parse(no_entropy, &l),
            Err(RstError::Missing("Entropy/BinarySecret"))
        );
        assert!(matches!(
            RstRequest::parse(b"<!DOCTYPE x><x/>", &l),
            Err(RstError::Xml(XmlError::DoctypeRejected))
        ));
    }
}
