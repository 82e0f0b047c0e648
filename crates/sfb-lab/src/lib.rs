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
//!   [`web`] (autodiscover, the WebTicket service), [`listener`] (TLS listeners with limits);
//! - [`kdc`]: a throw-away MIT KDC ([`kdc::MitKdc`]) the lab starts when asked
//!   ([`LabConfig::mit_kdc`]), and tests use directly.

pub mod directory;
pub mod dns;
pub mod kdc;
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
    /// The lab's MIT KDC could not start.
    #[error("kdc: {0}")]
    Kdc(#[from] kdc::KdcError),
    /// The configuration asks for two Kerberos sources at once.
    #[error("config: {0}")]
    Config(&'static str),
    /// A bug in the lab.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

#[doc(hidden)]
pub mod fuzzing {
    //! Entry points for the fuzz targets: each takes arbitrary bytes and must never panic.

    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use crate::directory::{Directory, PoolId};
    use crate::scenario::Scenario;
    use crate::sip::{Endpoint, Pool, Role, SipConfig, SipLab, Topology};

    fn topology() -> Topology {
        let ep = |fqdn: &str, port: u16| Endpoint {
            fqdn: fqdn.to_owned(),
            addr: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        };
        Topology {
            sip_domain: "contoso.test".to_owned(),
            edge: ep("sip.contoso.test", 5061),
            director: ep("dir01.contoso.test", 5062),
            pools: vec![
                Pool {
                    endpoint: ep("pool01.contoso.test", 5063),
                    backup: Some(PoolId(1)),
                },
                Pool {
                    endpoint: ep("pool02.contoso.test", 5064),
                    backup: Some(PoolId(0)),
                },
            ],
        }
    }

    /// Feeds the messages in `data` (separated by two NUL bytes) to one connection of each
    /// role, the way the listener does: whatever arrives, the roles answer or close, never
    /// panic, and what they return stays bounded.
    pub fn sip_connection(data: &[u8]) {
        let Ok(lab) = SipLab::with_seed(
            SipConfig {
                topology: topology(),
                directory: Directory::contoso(),
                scenario: Scenario::Healthy,
                kerberos: None,
            },
            7,
        ) else {
            return;
        };
        let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let peer = std::net::SocketAddr::from(([127, 0, 0, 9], 40000));
        for role in [Role::Edge, Role::Director, Role::Pool(PoolId(0))] {
            let mut conn = lab.accept(role, peer);
            for (i, message) in data.split_inclusive_nul_pairs().enumerate() {
                let at: SystemTime = now + Duration::from_secs(i as u64);
                let out = conn.on_message(message, at);
                assert!(out.iter().map(Vec::len).sum::<usize>() < 1 << 20);
                if conn.is_closed() {
                    break;
                }
            }
        }
    }

    trait SplitNul {
        fn split_inclusive_nul_pairs(&self) -> impl Iterator<Item = &[u8]>;
    }

    impl SplitNul for [u8] {
        fn split_inclusive_nul_pairs(&self) -> impl Iterator<Item = &[u8]> {
            let mut rest = self;
            std::iter::from_fn(move || {
                if rest.is_empty() {
                    return None;
                }
                let end = rest.windows(2).position(|w| w == [0, 0]);
                let (head, tail) = match end {
                    Some(i) => (&rest[..i], &rest[i + 2..]),
                    None => (rest, &[][..]),
                };
                rest = tail;
                Some(head)
            })
            .take(16)
        }
    }
}
