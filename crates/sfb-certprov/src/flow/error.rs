//! The errors of the WebTicket exchange: each names the HTTP status and the server's
//! `X-Ms-diagnostics` or SOAP fault when there was one.

use crate::diagnostics::MsDiagnostics;
use crate::mex::MexError;
use crate::rst::RstError;
use crate::rstr::{RstrError, SoapFault};

/// Most HTTP round trips in one exchange (mex, anonymous, NEGOTIATE, AUTHENTICATE, slack).
pub const MAX_ROUND_TRIPS: usize = 6;

/// A failure of the client-side authentication mechanism (it is injected).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthClientError {
    /// The mechanism refused the server token or could not build its own.
    #[error("authentication mechanism failed: {detail}")]
    MechanismFailed {
        /// What the mechanism said.
        detail: String,
    },
}

/// Why no ticket was obtained. Each variant names the HTTP status and the server's
/// `X-Ms-diagnostics` or SOAP fault when there was one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebTicketError {
    /// The request could not be built.
    #[error("cannot build the rst: {0}")]
    Rst(#[from] RstError),
    /// The mex GET did not answer 200.
    #[error("mex request failed: http {status}")]
    MexStatus {
        /// HTTP status.
        status: u16,
    },
    /// The mex document had no usable port.
    #[error("mex document unusable: {0}")]
    Mex(#[from] MexError),
    /// The 401 offered none of the mechanism's schemes (NTLM and Negotiate for NTLM, Negotiate
    /// for Kerberos).
    #[error(
        "web ticket service offers no http authentication scheme this mechanism speaks (offered: {offered})"
    )]
    NoSupportedScheme {
        /// The schemes offered.
        offered: String,
    },
    /// A 401 after the NEGOTIATE carried no challenge token.
    #[error("web ticket service sent no ntlm challenge (http {status}){}", diag(.diagnostics))]
    NoChallenge {
        /// HTTP status.
        status: u16,
        /// `X-Ms-diagnostics`, if any.
        diagnostics: Option<Box<MsDiagnostics>>,
    },
    /// The challenge token is not base64 or too long.
    #[error("web ticket service sent a malformed authentication token")]
    BadToken,
    /// The injected mechanism failed.
    #[error(transparent)]
    AuthClient(#[from] AuthClientError),
    /// The credentials were refused (401 after the AUTHENTICATE).
    #[error("web ticket service refused the credentials: http {status}{}", diag(.diagnostics))]
    Refused {
        /// HTTP status.
        status: u16,
        /// `X-Ms-diagnostics`, if any.
        diagnostics: Option<Box<MsDiagnostics>>,
    },
    /// Another HTTP failure status.
    #[error("web ticket request failed: http {status}{}{}", diag(.diagnostics), fault_text(.fault))]
    HttpStatus {
        /// HTTP status.
        status: u16,
        /// `X-Ms-diagnostics`, if any.
        diagnostics: Option<Box<MsDiagnostics>>,
        /// SOAP fault in the body, if any.
        fault: Option<Box<SoapFault>>,
    },
    /// The 200 body was not a usable RSTR (or was a fault).
    #[error("web ticket response unusable: {0}")]
    Rstr(#[from] RstrError),
    /// Too many round trips.
    #[error("web ticket exchange exceeded {MAX_ROUND_TRIPS} round trips")]
    TooManyRoundTrips,
    /// A response arrived after the exchange ended.
    #[error("web ticket exchange already finished")]
    Finished,
}

fn diag(d: &Option<Box<MsDiagnostics>>) -> String {
    d.as_ref()
        .map(|d| format!(", x-ms-diagnostics {d}"))
        .unwrap_or_default()
}

fn fault_text(f: &Option<Box<SoapFault>>) -> String {
    f.as_ref()
        .map(|f| format!(", soap fault {f}"))
        .unwrap_or_default()
}
