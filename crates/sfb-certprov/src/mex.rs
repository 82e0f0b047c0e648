//! WS-MetadataExchange of the web ticket service ([MS-OCAUTHWS] 3.1.4, WSDL 1.1 §2.6 with the
//! SOAP binding §3.8): the `location` of `wsdl:port[@name=WebTicketServiceWinNegotiate]/soap:address`.

use crate::xml::{self, XmlError, XmlLimits};

/// The port that takes Integrated Windows authentication (Negotiate/NTLM/Kerberos).
pub const PORT_WIN_NEGOTIATE: &str = "WebTicketServiceWinNegotiate";

/// Why the metadata did not give an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MexError {
    /// Not well-formed or over the limits.
    #[error("mex xml: {0}")]
    Xml(#[from] XmlError),
    /// No port of that name with an address.
    #[error("mex has no port {port} with an address")]
    NoPort {
        /// The port looked for.
        port: String,
    },
    /// The address is not an https URL.
    #[error("mex port address is not an https url")]
    NotHttps,
}

/// Finds the address of `port` in a mex/WSDL document.
pub fn port_location(body: &[u8], port: &str, limits: &XmlLimits) -> Result<String, MexError> {
    let t = xml::parse(body, limits)?;
    let location = t
        .all("port")
        .find(|&p| t.get(p).and_then(|e| e.attr("name")) == Some(port))
        .and_then(|p| t.child(p, "address"))
        .and_then(|a| t.get(a))
        .and_then(|a| a.attr("location"))
        .map(str::trim)
        .ok_or_else(|| MexError::NoPort {
            port: port.chars().take(64).collect(),
        })?;
    let https = location
        .get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("https://"));
    if !https || location.len() > 2048 || location.chars().any(char::is_control) {
        return Err(MexError::NotHttps);
    }
    Ok(location.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEX: &[u8] = include_bytes!("../testdata/mex.xml");

    #[test]
    fn finds_the_negotiate_port() {
        let l = XmlLimits::default();
        assert_eq!(
            port_location(MEX, PORT_WIN_NEGOTIATE, &l).unwrap(),
            "https://lyncweb.contoso.com/WebTicket/WebTicketService.svc/Auth"
        );
        assert_eq!(
            port_location(MEX, "WsFedBearer", &l).unwrap(),
            "https://lyncweb.contoso.com/WebTicket/WebTicketService.svc/WsFed"
        );
        assert_eq!(
            port_location(MEX, "Nope", &l),
            Err(MexError::NoPort {
                port: "Nope".into()
            })
        );
        assert_eq!(port_location(MEX, "Plain", &l), Err(MexError::NotHttps));
        assert!(matches!(
            port_location(b"<!DOCTYPE a><a/>", "x", &l),
            Err(MexError::Xml(XmlError::DoctypeRejected))
        ));
    }
}
