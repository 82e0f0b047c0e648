//! `sfb-certprov`: the [MS-OCAUTHWS] WebTicket client for Skype for Business / Lync sign-in.
//!
//! - [`rst`]: the WS-Trust RequestSecurityToken (SAML 1.1 token, `sip:` uri claim, AppliesTo,
//!   client entropy, symmetric key) in a SOAP 1.1 envelope.
//! - [`rstr`]: the response (assertion kept byte-exact, lifetime, server entropy) and SOAP
//!   faults with `OCSDiagnosticsFault`.
//! - [`psha1`]: the WS-Trust CK/PSHA1 proof key.
//! - [`diagnostics`]: `X-Ms-diagnostics` header values.
//! - [`mex`]: the `WebTicketServiceWinNegotiate` port address from the service metadata.
//! - [`flow`]: the sans-IO exchange (mex, anonymous POST, HTTP NTLM handshake, RSTR).
//! - [`ntlm`]: the HTTP NTLM client mechanism (sspi's connection-oriented NTLM).
//! - [`negotiate`]: HTTP Negotiate with Kerberos (SPNEGO around an AP-REQ for `HTTP/<host>`,
//!   obtained through the injected [`negotiate::KerberosTokenSource`]).
//! - [`driver`]: the tokio driver (HTTP/1.1 keep-alive on one rustls connection).
//! - `test_service` (feature `test-service`): an in-process HTTPS web ticket service for tests
//!   and the lab.
//!
//! The crate depends on no other `sfb-*` crate: the application glues the ticket into
//! discovery (`WebTicket::new(ticket.token.assertion.into_vec())`).

pub mod diagnostics;
pub mod driver;
pub mod flow;
mod http1;
pub mod mex;
pub mod negotiate;
pub mod ntlm;
pub mod psha1;
pub mod rst;
pub mod rstr;
pub mod secret;
#[cfg(feature = "test-service")]
pub mod test_service;
pub mod time;
pub mod xml;

pub use diagnostics::MsDiagnostics;
pub use flow::{
    AuthClientError, AuthScheme, HttpAuthClient, Output, Response, WebTicket, WebTicketConfig,
    WebTicketError, WebTicketFlow,
};
pub use rst::{RstRequest, SipUri};
pub use rstr::{IssuedToken, Lifetime, SoapFault};
pub use secret::{Assertion, Entropy, Password, ProofKey};
pub use xml::XmlLimits;

/// Entry points for the fuzz targets: each takes arbitrary bytes and must never panic.
#[doc(hidden)]
pub mod fuzzing {
    use crate::xml::XmlLimits;

    /// Fuzz target `rstr`: the RSTR / fault reader.
    pub fn rstr(data: &[u8]) {
        let _ = crate::rstr::parse_rstr(data, &XmlLimits::default());
    }

    /// Fuzz target `mex`: the metadata reader.
    pub fn mex(data: &[u8]) {
        let _ =
            crate::mex::port_location(data, crate::mex::PORT_WIN_NEGOTIATE, &XmlLimits::default());
    }

    /// Fuzz target `diagnostics`: the `X-Ms-diagnostics` reader.
    pub fn diagnostics(data: &[u8]) {
        if let Ok(s) = std::str::from_utf8(data) {
            let _ = crate::diagnostics::MsDiagnostics::parse(s);
        }
    }

    /// Fuzz target `spnego` (no target file yet): the Negotiate token reader.
    pub fn spnego(data: &[u8]) {
        let _ = crate::negotiate::mech_token(data);
    }

    /// Fuzz target `rst`: the RST reader of the test service.
    pub fn rst(data: &[u8]) {
        let _ = crate::rst::RstRequest::parse(data, &XmlLimits::default());
    }
}
