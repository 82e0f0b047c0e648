//! The RequestSecurityTokenResponse ([MS-OCAUTHWS] 3.1.4.1.2, WS-Trust 1.3 §4.2) and SOAP
//! faults with `OCSDiagnosticsFault` ([MS-OCAUTHWS] 2.2.4.1).
//!
//! Read, under [`XmlLimits`]: `Envelope/Body/[RequestSecurityTokenResponseCollection/]
//! RequestSecurityTokenResponse/{RequestedSecurityToken/Assertion, Lifetime/{Created,Expires},
//! Entropy/BinarySecret}`. The assertion is kept byte-exact (its span in the input).

use base64::prelude::{BASE64_STANDARD, Engine as _};

use crate::psha1;
use crate::secret::{Assertion, Entropy, ProofKey};
use crate::time::UtcTime;
use crate::xml::{self, Tree, XmlError, XmlLimits};

/// Largest server entropy accepted (bytes, decoded).
const MAX_ENTROPY: usize = 512;
/// Longest fault text kept.
const MAX_FAULT_TEXT: usize = 512;

/// Why an RSTR was not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RstrError {
    /// Not well-formed or over the limits.
    #[error("rstr xml: {0}")]
    Xml(#[from] XmlError),
    /// The document is a SOAP fault.
    #[error("soap fault: {0}")]
    Fault(Box<SoapFault>),
    /// A required element is missing.
    #[error("rstr has no {0}")]
    Missing(&'static str),
    /// The server entropy is not base64 or too long.
    #[error("rstr server entropy is not base64 of at most {MAX_ENTROPY} bytes")]
    BadEntropy,
    /// A lifetime timestamp is unreadable.
    #[error("rstr lifetime {which} is not an xs:dateTime in utc")]
    BadLifetime {
        /// `Created` or `Expires`.
        which: &'static str,
    },
}

/// A SOAP fault, with the Lync diagnostics when present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapFault {
    /// `faultcode` (SOAP 1.1) or `Code/Value` (SOAP 1.2).
    pub code: String,
    /// `faultstring` or `Reason/Text`.
    pub reason: String,
    /// `OCSDiagnosticsFault/Ms-Diagnostics-Fault/ErrorId`.
    pub error_id: Option<u32>,
    /// `OCSDiagnosticsFault/Ms-Diagnostics-Fault/Reason`.
    pub diagnostics_reason: Option<String>,
}

impl std::fmt::Display for SoapFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.code, self.reason)?;
        if let Some(id) = self.error_id {
            write!(f, ", ms-diagnostics {id}")?;
        }
        if let Some(r) = &self.diagnostics_reason {
            write!(f, " ({r})")?;
        }
        Ok(())
    }
}

/// The ticket lifetime (`wst:Lifetime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    /// `wsu:Created`.
    pub created: UtcTime,
    /// `wsu:Expires`.
    pub expires: UtcTime,
}

/// An issued web ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The SAML assertion, byte-exact.
    pub assertion: Assertion,
    /// Its `AssertionID` attribute (SAML 1.1) or `ID` (SAML 2.0), if any.
    pub assertion_id: Option<String>,
    /// The lifetime, if sent.
    pub lifetime: Option<Lifetime>,
    /// The server entropy, if sent.
    pub server_entropy: Option<Entropy>,
}

impl IssuedToken {
    /// The proof key: `P_SHA1(client entropy, server entropy)`, if the server sent entropy.
    pub fn proof_key(&self, client_entropy: &Entropy) -> Option<ProofKey> {
        self.server_entropy
            .as_ref()
            .map(|s| psha1::proof_key(client_entropy, s))
    }
}

fn clip(s: &str) -> String {
    s.chars().take(MAX_FAULT_TEXT).collect()
}

/// Reads a SOAP fault from a parsed tree, if the body holds one.
fn fault_in(t: &Tree) -> Option<SoapFault> {
    let f = t.find(0, "Fault")?;
    let code = t
        .child(f, "faultcode")
        .or_else(|| t.path(f, &["Code", "Value"]))
        .and_then(|c| t.text(c))
        .unwrap_or_default();
    let reason = t
        .child(f, "faultstring")
        .or_else(|| t.path(f, &["Reason", "Text"]))
        .and_then(|c| t.text(c))
        .unwrap_or_default();
    let diag = t.find(f, "Ms-Diagnostics-Fault");
    Some(SoapFault {
        code: clip(code),
        reason: clip(reason),
        error_id: diag
            .and_then(|d| t.child(d, "ErrorId"))
            .and_then(|e| t.text(e))
            .and_then(|e| e.parse().ok()),
        diagnostics_reason: diag
            .and_then(|d| t.child(d, "Reason"))
            .and_then(|e| t.text(e))
            .map(clip),
    })
}

/// Reads a SOAP fault document (for error bodies that are not RSTRs).
pub fn parse_fault(body: &[u8], limits: &XmlLimits) -> Option<SoapFault> {
    xml::parse(body, limits).ok().as_ref().and_then(fault_in)
}

/// Reads an RSTR envelope.
pub fn parse_rstr(body: &[u8], limits: &XmlLimits) -> Result<IssuedToken, RstrError> {
    let t = xml::parse(body, limits)?;
    if let Some(f) = fault_in(&t) {
        return Err(RstrError::Fault(Box::new(f)));
    }
    let r = t
        .find(0, "RequestSecurityTokenResponse")
        .ok_or(RstrError::Missing("RequestSecurityTokenResponse"))?;
    let a = t
        .child(r, "RequestedSecurityToken")
        .and_then(|s| t.child(s, "Assertion"))
        .ok_or(RstrError::Missing("RequestedSecurityToken/Assertion"))?;
    let el = t.get(a).ok_or(RstrError::Missing("Assertion"))?;
    let bytes = body
        .get(el.span.0..el.span.1)
        .ok_or(RstrError::Missing("Assertion"))?;
    let assertion_id = el.attr("AssertionID").or_else(|| el.attr("ID"));
    let lifetime = match t.child(r, "Lifetime") {
        None => None,
        Some(l) => {
            let get = |which: &'static str| {
                t.child(l, which)
                    .and_then(|c| t.text(c))
                    .and_then(|s| UtcTime::parse(s).ok())
                    .ok_or(RstrError::BadLifetime { which })
            };
            Some(Lifetime {
                created: get("Created")?,
                expires: get("Expires")?,
            })
        }
    };
    let server_entropy = match t
        .child(r, "Entropy")
        .and_then(|e| t.child(e, "BinarySecret"))
        .and_then(|b| t.text(b))
    {
        None => None,
        Some(b64) => {
            if b64.len() > MAX_ENTROPY * 2 {
                return Err(RstrError::BadEntropy);
            }
            let v = BASE64_STANDARD
                .decode(b64)
                .map_err(|_| RstrError::BadEntropy)?;
            if v.is_empty() || v.len() > MAX_ENTROPY {
                return Err(RstrError::BadEntropy);
            }
            Some(Entropy::new(v))
        }
    };
    Ok(IssuedToken {
        assertion: Assertion::new(bytes.to_vec()),
        assertion_id: assertion_id.map(clip),
        lifetime,
        server_entropy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSTR: &[u8] = include_bytes!("../testdata/rstr.xml");
    const FAULT: &[u8] = include_bytes!("../testdata/fault.xml");

    #[test]
    fn reads_the_rstr() {
        let t = parse_rstr(RSTR, &XmlLimits::default()).unwrap();
        let a = std::str::from_utf8(t.assertion.expose()).unwrap();
        assert!(a.starts_with("<saml:Assertion MajorVersion=\"1\""), "{a}");
        assert!(a.ends_with("</saml:Assertion>"));
        // Byte-exact: the span is a verbatim slice of the input (whitespace and entity kept).
        let text = std::str::from_utf8(RSTR).unwrap();
        assert!(text.contains(a));
        assert!(a.contains("a&amp;b"));
        assert_eq!(
            t.assertion_id.as_deref(),
            Some("SamlSecurityToken-5b3f4f8e")
        );
        let l = t.lifetime.unwrap();
        assert_eq!(l.created.format(), "2026-11-27T06:00:00Z");
        assert_eq!(l.expires.format(), "2026-11-27T14:00:00Z");
        let e = t.server_entropy.clone().unwrap();
        assert_eq!(e.expose(), &[0xffu8; 32][..]);
        let key = t.proof_key(&Entropy::new((0u8..32).collect())).unwrap();
        assert_eq!(key.expose().len(), 32);
    }

    #[test]
    fn reads_the_fault() {
        let Err(RstrError::Fault(f)) = parse_rstr(FAULT, &XmlLimits::default()) else {
            panic!("fault expected")
        };
        assert_eq!(f.code, "s:Receiver");
        assert_eq!(f.error_id, Some(28032));
        assert_eq!(
            f.diagnostics_reason.as_deref(),
            Some("The user is not SIP enabled.")
        );
        assert!(f.to_string().contains("28032"));
        assert_eq!(parse_fault(FAULT, &XmlLimits::default()), Some(*f));
        assert_eq!(parse_fault(b"not xml <", &XmlLimits::default()), None);
    }

    #[test]
    fn names_what_is_wrong() {
        let l = XmlLimits::default();
        let rstr = |inner: &str| {
            format!(
                "<Envelope><Body><RequestSecurityTokenResponse>{inner}</RequestSecurityTokenResponse></Body></Envelope>"
            )
        };
        assert_eq!(
            parse_rstr(b"<Envelope><Body/></Envelope>", &l),
            Err(RstrError::Missing("RequestSecurityTokenResponse"))
        );
        assert_eq!(
            parse_rstr(rstr("").as_bytes(), &l),
            Err(RstrError::Missing("RequestedSecurityToken/Assertion"))
        );
        let a = "<RequestedSecurityToken><Assertion/></RequestedSecurityToken>";
        let ok = parse_rstr(rstr(a).as_bytes(), &l).unwrap();
        assert_eq!(ok.assertion.expose(), b"<Assertion/>");
        assert_eq!((ok.lifetime, ok.server_entropy), (None, None));
        assert_eq!(
            parse_rstr(
                rstr(&format!("{a}<Lifetime><Created>x</Created></Lifetime>")).as_bytes(),
                &l
            ),
            Err(RstrError::BadLifetime { which: "Created" })
        );
        assert_eq!(
            parse_rstr(
                rstr(&format!(
                    "{a}<Entropy><BinarySecret>!!</BinarySecret></Entropy>"
                ))
                .as_bytes(),
                &l
            ),
            Err(RstrError::BadEntropy)
        );
        let long = BASE64_STANDARD.encode(vec![1u8; 600]);
        assert_eq!(
            parse_rstr(
                rstr(&format!(
                    "{a}<Entropy><BinarySecret>{long}</BinarySecret></Entropy>"
                ))
                .as_bytes(),
                &l
            ),
            Err(RstrError::BadEntropy)
        );
        assert!(matches!(
            parse_rstr(b"<!DOCTYPE e><e/>", &l),
            Err(RstrError::Xml(XmlError::DoctypeRejected))
        ));
    }
}
