//! The error type of the mechanism-independent layer (the [`crate::SecurityContext`] trait).

use crate::Scheme;
use crate::ntlm::NtlmError;
use crate::sipae::SipaeError;

/// A failure of an authentication mechanism or of the MS-SIPAE layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The NTLM mechanism failed.
    #[error("ntlm: {0}")]
    Ntlm(#[from] NtlmError),
    /// The MS-SIPAE layer (headers, association) failed.
    #[error("sipae: {0}")]
    Sipae(#[from] SipaeError),
    /// Another mechanism (Kerberos, TLS-DSK) failed; it carries its own typed error.
    #[error("{scheme}: {source}")]
    Mechanism {
        /// The mechanism that failed.
        scheme: Scheme,
        /// Its typed error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A method was called in a state where it is not allowed.
    #[error("{operation} is not allowed before the security context is established")]
    NotEstablished {
        /// The refused operation.
        operation: &'static str,
    },
    /// `step` was called after the context was complete.
    #[error("the security context is already established")]
    AlreadyEstablished,
    /// A peer signature did not verify.
    #[error("message signature does not verify")]
    BadSignature,
}
