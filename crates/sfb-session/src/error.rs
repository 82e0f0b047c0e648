//! Errors of the connectivity step's setup (a failed connection is evidence, not an error).

/// Why the connectivity step could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// No trust anchor was given.
    #[error("no trusted root certificates configured")]
    NoTrustAnchors,
    /// A trust anchor could not be used.
    #[error("trusted root certificate {index} is unusable: {detail}")]
    BadTrustAnchor {
        /// Its position in the list given.
        index: usize,
        /// What rustls or x509-parser said.
        detail: String,
    },
    /// The WebPKI verifier could not be built.
    #[error("cannot build the certificate verifier: {0}")]
    Verifier(#[from] rustls::client::VerifierBuilderError),
    /// The TLS configuration was refused (no protocol version in common with the provider).
    #[error("tls configuration refused: {0}")]
    Config(#[from] rustls::Error),
    /// The name to check is not a DNS name or IP address.
    #[error("{name:?} is not a valid tls server name")]
    InvalidServerName {
        /// The name.
        name: String,
    },
}
