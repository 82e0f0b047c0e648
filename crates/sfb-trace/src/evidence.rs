//! Evidence: what was observed, with an id that verdicts refer to.
//!
//! Every kind is a plain serialisable record; the crates that observe (discovery, session)
//! convert their own types into these (sfb-trace depends on no observer).

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

mod tls;

pub use tls::{CertificateEvidence, NameSource, TlsEvidence, TlsFailure, TlsOutcome};

/// The id of one piece of evidence inside a trace (its index in [`crate::SignInTrace::evidence`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EvidenceId(pub u32);

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Its id (referenced by steps and verdicts).
    pub id: EvidenceId,
    /// What it is.
    #[serde(flatten)]
    pub kind: EvidenceKind,
}

/// The kinds of evidence, tagged by `"kind"` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum EvidenceKind {
    /// One DNS query and its answer.
    Dns(DnsEvidence),
    /// One HTTP exchange (autodiscover, certificate provisioning).
    Http(HttpEvidence),
    /// One TCP connection attempt to one address.
    Tcp(TcpEvidence),
    /// One TLS handshake on a connected address.
    Tls(TlsEvidence),
    /// One SIP message, sent or received.
    Sip(SipEvidence),
    /// The safe fields of one decoded authentication token.
    AuthToken(AuthTokenEvidence),
    /// Facts a step extracted (offers of a 401, the registration, a redirect, settings).
    Fact(FactEvidence),
}

impl EvidenceKind {
    /// The JSON tag: `dns`, `http`, `tcp`, `tls`, `sip`, `auth_token` or `fact`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Dns(_) => "dns",
            Self::Http(_) => "http",
            Self::Tcp(_) => "tcp",
            Self::Tls(_) => "tls",
            Self::Sip(_) => "sip",
            Self::AuthToken(_) => "auth_token",
            Self::Fact(_) => "fact",
        }
    }
}

/// One DNS query (converted from `sfb_discovery::QueryEvidence` by sfb-session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsEvidence {
    /// The name asked.
    pub name: String,
    /// The record type asked (`SRV`, `A`, `AAAA`, `CNAME`, ...).
    pub rtype: String,
    /// Why it was asked.
    pub purpose: String,
    /// How it ended (`answer`, `nxdomain`, `nodata`, `servfail`, `timeout`, ...).
    pub outcome: String,
    /// A detail of the outcome (transport error text), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The response code, when a response came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rcode: Option<String>,
    /// The answers in presentation form, in wire order.
    #[serde(default)]
    pub answers: Vec<String>,
    /// The CNAME chain followed, first alias first.
    #[serde(default)]
    pub cname_chain: Vec<String>,
    /// The smallest TTL of the used answers (or the negative TTL), seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    /// Round trip, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
}

/// One HTTP exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpEvidence {
    /// The method.
    pub method: String,
    /// The URL (query strings that carry tickets are removed by the producer).
    pub url: String,
    /// When the request was sent.
    pub started_at: Timestamp,
    /// The status code, when a response came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Response headers worth keeping (name, value), in order.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The start of the response body (bounded by the producer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_start: Option<String>,
    /// Why no response came, if none did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Round trip, milliseconds.
    pub elapsed_ms: u64,
}

/// How a TCP connection attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TcpOutcome {
    /// The three-way handshake completed.
    Connected,
    /// The peer answered with a reset (nothing listens, or a firewall rejects).
    Refused,
    /// No answer within the timeout (a firewall drops, or the host is down).
    Timeout,
    /// No route to the host or network.
    Unreachable,
    /// Another local or remote error (see `os_error`).
    Error,
}

/// One TCP connection attempt to one address of a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpEvidence {
    /// The host name the address belongs to.
    pub host: String,
    /// The address tried.
    pub address: IpAddr,
    /// The port.
    pub port: u16,
    /// The address's position among the host's addresses (0-based).
    pub address_index: u32,
    /// When the attempt started.
    pub started_at: Timestamp,
    /// How long it took, milliseconds.
    pub elapsed_ms: u64,
    /// The timeout applied, milliseconds.
    pub timeout_ms: u64,
    /// How it ended.
    pub outcome: TcpOutcome,
    /// The operating system's error text, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_error: Option<String>,
    /// The operating system's error number, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_error_code: Option<i32>,
    /// The local address of a connected socket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_address: Option<String>,
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From us to the server.
    Sent,
    /// From the server to us.
    Received,
}

/// One SIP message as it went over the wire.
///
/// Kept as raw text; the typed view (start line, headers) comes from `sfb-sip-codec` later.
/// Before it enters a trace, [`crate::redact::redact_sip_text`] replaces `gssapi-data` values
/// unless the policy asks for raw traces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SipEvidence {
    /// Sent or received.
    pub direction: Direction,
    /// When it was sent or received.
    pub at: Timestamp,
    /// The peer's address and port (`ip:port`).
    pub peer: String,
    /// The message (UTF-8, invalid bytes replaced), possibly redacted.
    pub text: String,
    /// Its length on the wire, bytes.
    pub wire_len: u64,
    /// Was `text` cut short (bounded by the producer)?
    #[serde(default)]
    pub truncated: bool,
    /// Was anything replaced by the redaction policy?
    #[serde(default)]
    pub redacted: bool,
}

/// The security package of an authentication token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthProtocol {
    /// NTLM.
    Ntlm,
    /// Kerberos.
    Kerberos,
    /// TLS-DSK.
    TlsDsk,
}

/// The safe fields of a decoded `gssapi-data` token (message type, flags, names, realm, SPN,
/// enctype): never the token itself unless the policy asks for raw traces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthTokenEvidence {
    /// The package.
    pub protocol: AuthProtocol,
    /// Sent or received.
    pub direction: Direction,
    /// The message type (`challenge`, `authenticate`, `ap_req`, ...).
    pub message_type: String,
    /// Decoded safe fields by name.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// The raw token (base64), only with `--raw-trace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// The SIP message evidence that carried it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carried_by: Option<EvidenceId>,
}

/// Facts extracted during a step, by name: what a 401 offered (realm, targetname, `Server`,
/// clock skew), why a scheme was chosen, what the registrar granted, where a redirect pointed,
/// what each settings request returned (location profile rules, contact count, provisioning
/// URLs, presence). Producers document their `source` names and field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactEvidence {
    /// What the facts came from (`first_401`, `registered`, `redirect`, `setting:provisioning`, ...).
    pub source: String,
    /// When they were observed.
    pub at: Timestamp,
    /// A simple status of what was observed (`pass`, `warn`, `fail`), when the producer judges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::step::Status>,
    /// One sentence, when the producer says one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentence: Option<String>,
    /// Named facts.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Listed facts (URLs, dial-plan rules), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
}
