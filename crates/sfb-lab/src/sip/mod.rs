//! The SIP roles of the lab as sans-IO cores.
//!
//! PLACEHOLDER interface (being implemented on its own branch): every request is answered
//! 501. The listeners feed one [`SipConnection`] per accepted TLS connection.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::SystemTime;

use crate::directory::{Directory, PoolId};
use crate::scenario::Scenario;

/// A server role at a name and an address.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Its FQDN (what its certificate carries).
    pub fqdn: String,
    /// Where it listens (TLS).
    pub addr: SocketAddr,
}

/// A home pool.
#[derive(Debug, Clone)]
pub struct Pool {
    /// Its FQDN and address.
    pub endpoint: Endpoint,
    /// Its backup pool, if paired.
    pub backup: Option<PoolId>,
}

/// Where every role is (known once the listeners are bound).
#[derive(Debug, Clone)]
pub struct Topology {
    /// The SIP domain.
    pub sip_domain: String,
    /// The Access Edge (the `_sip._tls` target, external users).
    pub edge: Endpoint,
    /// The Director (the `_sipinternaltls._tcp` target).
    pub director: Endpoint,
    /// The home pools; [`PoolId`] indexes this.
    pub pools: Vec<Pool>,
}

/// Which role a connection was accepted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The Access Edge.
    Edge,
    /// The Director.
    Director,
    /// A home pool's registrar.
    Pool(PoolId),
}

/// The Kerberos service side, for a real KDC.
#[derive(Debug, Clone)]
pub struct KerberosConfig {
    /// The keytab holding the `sip/<pool fqdn>` keys.
    pub keytab: PathBuf,
    /// The realm, e.g. `CONTOSO.TEST`.
    pub realm: String,
}

/// What the SIP roles are built from.
#[derive(Debug, Clone)]
pub struct SipConfig {
    /// Where every role is.
    pub topology: Topology,
    /// The users.
    pub directory: Directory,
    /// The fault scenario.
    pub scenario: Scenario,
    /// Kerberos, when a keytab is given.
    pub kerberos: Option<KerberosConfig>,
}

/// Why the SIP roles could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SipLabError {
    /// The keytab could not be read.
    #[error("keytab {path}: {reason}")]
    Keytab {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// The SIP roles, shared by every connection (cheap to clone).
#[derive(Debug, Clone)]
pub struct SipLab {
    _config: std::sync::Arc<SipConfig>,
}

impl SipLab {
    /// Builds the roles.
    pub fn new(config: SipConfig) -> Result<Self, SipLabError> {
        Ok(Self {
            _config: std::sync::Arc::new(config),
        })
    }

    /// A new connection accepted on `role` from `peer`.
    pub fn accept(&self, role: Role, peer: SocketAddr) -> SipConnection {
        SipConnection {
            _role: role,
            _peer: peer,
        }
    }
}

/// One accepted connection's SIP state.
#[derive(Debug)]
pub struct SipConnection {
    _role: Role,
    _peer: SocketAddr,
}

impl SipConnection {
    /// One complete framed message received (a request, or a response to a request the lab
    /// sent); returns the encoded messages to send, in order.
    pub fn on_message(&mut self, message: &[u8], now: SystemTime) -> Vec<Vec<u8>> {
        let _ = (message, now);
        vec![b"SIP/2.0 501 Not Implemented\r\nContent-Length: 0\r\n\r\n".to_vec()]
    }

    /// A CRLF keep-alive ping received; returns the pong to send.
    pub fn on_keepalive(&mut self, now: SystemTime) -> Vec<u8> {
        let _ = now;
        b"\r\n".to_vec()
    }
}
