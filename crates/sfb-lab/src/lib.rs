//! sfb-lab: an emulated Skype for Business deployment on loopback, so that every step of the
//! sign-in can be tried and tested with no SfB server.
//!
//! `contoso.test`: DNS (in-process hickory-server), autodiscover over HTTPS and HTTP, the
//! WebTicket service, an Access Edge, a Director and two home pools with registrars over TLS,
//! users with home pools, and named fault [`scenario`]s that reproduce real sign-in failures.
//!
//! Layout:
//! - [`directory`]: the users (logins, passwords, home pools, account states);
//! - [`scenario`]: the fault scenarios, by name;
//! - [`sip`]: the SIP roles as sans-IO cores (one [`sip::SipConnection`] per accepted TLS
//!   connection: framed messages in, encoded messages out): the server side of MS-SIPAE
//!   (NTLM, Kerberos with a keytab), signing every response, redirects, the settings replies
//!   and the SIP-level faults;
//! - the tokio side starts it all: [`lab`] ([`Lab::start`], [`RunningLab`], [`LabInfo`]),
//!   [`pki`] (root, intermediate, role certificates and their defects), [`dns`] (the zone),
//!   [`web`] (autodiscover, the WebTicket service), [`listener`] (TLS listeners with limits).

pub mod directory;
pub mod dns;
pub mod lab;
pub mod listener;
pub mod pki;
pub mod scenario;
pub mod sip;
pub mod web;

pub use lab::{Lab, LabConfig, LabInfo, RunningLab, UserInfo};
pub use listener::ListenerLimits;
pub use scenario::Scenario;

/// Why the lab could not start.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// The lab only binds loopback addresses (it prints its users' passwords).
    #[error("{0} is not a loopback address: the lab binds loopback only")]
    NotLoopback(std::net::IpAddr),
    /// The PKI could not be set up.
    #[error("pki: {0}")]
    Pki(#[from] pki::PkiError),
    /// The DNS server could not start.
    #[error("dns: {0}")]
    Dns(#[from] dns::DnsError),
    /// The WebTicket service could not start.
    #[error("web ticket service: {0}")]
    WebTicket(#[from] sfb_certprov::test_service::TestServiceError),
    /// The SIP roles could not be built.
    #[error("sip roles: {0}")]
    Sip(#[from] sip::SipLabError),
    /// Binding a listener failed.
    #[error("bind: {0}")]
    Bind(#[from] std::io::Error),
    /// A file could not be written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A bug in the lab.
    #[error("internal error: {0}")]
    Internal(&'static str),
}
