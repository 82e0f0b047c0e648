//! TLS evidence: the handshake outcome, the presented chain and the classified failure.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// Where the name checked against the certificate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameSource {
    /// The target of an SRV record.
    SrvTarget,
    /// An A/AAAA fallback name (`sipinternal.<d>`, `sip.<d>`, `sipexternal.<d>`).
    AFallback,
    /// The bare SIP domain.
    BareDomain,
    /// An autodiscover document.
    Autodiscover,
    /// A 301 redirect from another registrar.
    Redirect,
    /// Configured by hand.
    Manual,
}

/// How a TLS handshake ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsOutcome {
    /// The handshake completed and the certificate was accepted.
    Established,
    /// The handshake failed (see `failure`).
    Failed,
    /// No answer within the timeout.
    Timeout,
}

/// What one certificate of the presented chain says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateEvidence {
    /// Subject (RFC 4514 string).
    pub subject: String,
    /// Issuer (RFC 4514 string).
    pub issuer: String,
    /// Serial number, hex, colon-separated.
    pub serial: String,
    /// Start of validity.
    pub not_before: Timestamp,
    /// End of validity.
    pub not_after: Timestamp,
    /// DNS names and IP addresses of the subjectAltName extension.
    #[serde(default)]
    pub sans: Vec<String>,
    /// Extended key usages by name (`server_auth`, `client_auth`, ...) or dotted OID.
    #[serde(default)]
    pub extended_key_usages: Vec<String>,
    /// Is it a CA (basicConstraints cA)?
    pub is_ca: bool,
    /// Is the subject equal to the issuer?
    pub self_issued: bool,
    /// AIA caIssuers URLs (where the issuer certificate can be downloaded).
    #[serde(default)]
    pub aia_ca_issuers: Vec<String>,
    /// AIA OCSP responder URLs.
    #[serde(default)]
    pub ocsp_urls: Vec<String>,
    /// CRL distribution point URLs.
    #[serde(default)]
    pub crl_distribution_points: Vec<String>,
    /// SHA-256 of the DER, hex, colon-separated.
    pub sha256_fingerprint: String,
    /// SHA-1 of the DER (the thumbprint Windows shows), hex, colon-separated.
    pub sha1_fingerprint: String,
}

/// Why the certificate (or the handshake) was refused, in the words a support engineer needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TlsFailure {
    /// The chain ends in a root we do not trust: install `issuer` as a trusted root.
    UntrustedRoot {
        /// The root (or the issuer of the last presented certificate) to install.
        issuer: String,
    },
    /// The server did not send the intermediate that links its certificate to a trusted root.
    /// Windows fetches it from the AIA URL; we do not.
    IncompleteChain {
        /// The issuer that is missing.
        missing_issuer: String,
        /// Where it can be downloaded (AIA caIssuers of the last presented certificate).
        #[serde(default)]
        aia_ca_issuers: Vec<String>,
    },
    /// The certificate does not name the host we connected to.
    NameMismatch {
        /// The name checked.
        expected: String,
        /// Where that name came from.
        name_source: NameSource,
        /// The names the certificate carries (SANs; the subject CN when there are none).
        presented: Vec<String>,
    },
    /// The certificate is expired.
    Expired {
        /// Its end of validity.
        not_after: Timestamp,
        /// The time of the check.
        now: Timestamp,
    },
    /// The certificate is not yet valid (often a wrong clock).
    NotYetValid {
        /// Its start of validity.
        not_before: Timestamp,
        /// The time of the check.
        now: Timestamp,
    },
    /// The certificate is not for TLS servers (an EKU without serverAuth).
    NoServerAuthUsage {
        /// The EKUs it has.
        extended_key_usages: Vec<String>,
    },
    /// Another certificate problem (bad signature, revoked, unsupported algorithm, ...).
    BadCertificate {
        /// What rustls said.
        detail: String,
    },
    /// The handshake failed before or apart from the certificate (alert, protocol mismatch).
    Handshake {
        /// What rustls or the socket said.
        detail: String,
    },
}

impl TlsFailure {
    /// A stable cause code (`tls.untrusted_root`, `tls.incomplete_chain`, ...).
    pub fn cause_code(&self) -> &'static str {
        match self {
            Self::UntrustedRoot { .. } => "tls.untrusted_root",
            Self::IncompleteChain { .. } => "tls.incomplete_chain",
            Self::NameMismatch { .. } => "tls.name_mismatch",
            Self::Expired { .. } => "tls.expired",
            Self::NotYetValid { .. } => "tls.not_yet_valid",
            Self::NoServerAuthUsage { .. } => "tls.no_server_auth_usage",
            Self::BadCertificate { .. } => "tls.bad_certificate",
            Self::Handshake { .. } => "tls.handshake",
        }
    }
}

/// One TLS handshake on one connected address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsEvidence {
    /// The host name the address belongs to.
    pub host: String,
    /// The address.
    pub address: IpAddr,
    /// The port.
    pub port: u16,
    /// The name sent in SNI and checked against the certificate.
    pub expected_name: String,
    /// Where that name came from.
    pub name_source: NameSource,
    /// When the handshake started.
    pub started_at: Timestamp,
    /// How long it took, milliseconds.
    pub elapsed_ms: u64,
    /// How it ended.
    pub outcome: TlsOutcome,
    /// The negotiated protocol version (`TLSv1.3`, `TLSv1.2`), if the handshake got that far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
    /// The negotiated cipher suite, if the handshake got that far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher_suite: Option<String>,
    /// The time the certificate was checked against (the injected clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<Timestamp>,
    /// The presented chain, leaf first, as sent (even when verification failed).
    #[serde(default)]
    pub chain: Vec<CertificateEvidence>,
    /// Certificates of the chain that could not be parsed, by position.
    #[serde(default)]
    pub unparsable: Vec<u32>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<TlsFailure>,
    /// The failure as rustls worded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
