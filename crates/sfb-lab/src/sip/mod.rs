//! The SIP roles of the lab as sans-IO cores: one [`SipConnection`] per accepted TLS
//! connection, fed complete framed messages, returning the encoded messages to send.
//!
//! - [`Role::Edge`]: the Access Edge proxies in process to the Director (module `edge`);
//! - [`Role::Director`] and [`Role::Pool`]: registrars (module `registrar`): the server side of
//!   MS-SIPAE (NTLM; Kerberos with a keytab), every response after the security association
//!   signed, every client signature verified, the 301 to the home pool, REGISTER, the settings
//!   replies (module `settings`) and the SIP-level fault scenarios.
//!
//! No sockets, no clock (`now` comes in), randomness from a seed ([`SipLab::with_seed`]).
//! Bounded per connection: one security association, at most eight failed authentications
//! (then [`SipConnection::is_closed`]), message limits from [`LIMITS`].
//! The wire response of each scenario is tabled in `docs/lab.md` (`## SIP scenarios`).

mod auth;
mod edge;
mod registrar;
mod reply;
mod settings;
mod util;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::SystemTime;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sfb_auth::kerberos::ServiceKey;
use sfb_auth::kerberos::keytab::Keytab;
use sfb_auth::ntlm::CredentialStore;
use sfb_sip_codec::Limits;

use crate::directory::{Directory, PoolId};
use crate::scenario::Scenario;

/// The limits every message to the SIP roles is parsed with: 64 KiB of headers, 128 header
/// fields, 8 KiB lines, 256 KiB of body (settings requests are small).
pub const LIMITS: Limits = Limits {
    max_message: 64 * 1024,
    max_headers: 128,
    max_line: 8 * 1024,
    max_body: 256 * 1024,
};

/// The default seed of [`SipLab::new`] (a throw-away lab; drivers pass an OS-random seed to
/// [`SipLab::with_seed`]).
pub const DEFAULT_SEED: u64 = 0x5EED_0F5F_B1AB_0000;

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
    /// The topology has no pool, or a user's home pool is not in it.
    #[error("topology: {0}")]
    Topology(String),
}

/// What every connection shares.
pub(crate) struct Shared {
    config: SipConfig,
    /// The NTLM credential store (the "domain controller"), built from the directory and the
    /// scenario.
    store: Arc<CredentialStore>,
    /// `(fqdn, keys of sip/<fqdn>)` for each registrar role with keys in the keytab.
    kerberos: Vec<(String, Vec<ServiceKey>)>,
    seed: u64,
    next: AtomicU64,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .field("store", &self.store)
            .field(
                "kerberos",
                &self
                    .kerberos
                    .iter()
                    .map(|(n, k)| (n, k.len()))
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// The Kerberos keys of `sip/<fqdn>`, if the keytab has any.
    fn kerberos_keys(&self, fqdn: &str) -> Option<&[ServiceKey]> {
        self.kerberos
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(fqdn))
            .map(|(_, k)| k.as_slice())
            .filter(|k| !k.is_empty())
    }
}

/// The SIP roles, shared by every connection (cheap to clone).
#[derive(Debug, Clone)]
pub struct SipLab {
    shared: Arc<Shared>,
}

impl SipLab {
    /// Builds the roles with [`DEFAULT_SEED`]. Reads the keytab when Kerberos is configured.
    pub fn new(config: SipConfig) -> Result<Self, SipLabError> {
        Self::with_seed(config, DEFAULT_SEED)
    }

    /// Builds the roles; `seed` drives every tag, opaque, nonce and NTLM server challenge.
    ///
    /// The scenario shapes the directory the roles see: `ntlm-wrong-password` stores another
    /// password than the users were given, `ad-account-disabled` leaves the accounts out of
    /// the credential store (the domain controller refuses them), `sfb-user-disabled`,
    /// `user-not-sip-enabled` and `remote-access-disabled` switch the matching
    /// [`crate::directory::AccountState`] field off for every user.
    pub fn with_seed(mut config: SipConfig, seed: u64) -> Result<Self, SipLabError> {
        if config.topology.pools.is_empty() {
            return Err(SipLabError::Topology("no pool".into()));
        }
        let pools = config.topology.pools.len();
        if let Some(u) = config
            .directory
            .users
            .iter()
            .find(|u| u.home_pool.0 >= pools)
        {
            return Err(SipLabError::Topology(format!(
                "{} has home pool {} of {pools}",
                u.sip_uri, u.home_pool.0
            )));
        }
        let sc = config.scenario;
        for u in &mut config.directory.users {
            match sc {
                Scenario::AdAccountDisabled => u.state.ad_enabled = false,
                Scenario::SfbUserDisabled => u.state.sfb_enabled = false,
                Scenario::UserNotSipEnabled => u.state.sip_enabled = false,
                Scenario::RemoteAccessDisabled => u.state.remote_access = false,
                _ => {}
            }
        }
        let mut store = CredentialStore::new();
        for u in config.directory.users.iter().filter(|u| u.state.ad_enabled) {
            let password = if sc == Scenario::NtlmWrongPassword {
                format!("{}-rotated", u.password)
            } else {
                u.password.clone()
            };
            let name = u
                .login
                .rsplit_once('\\')
                .map_or(u.login.as_str(), |(_, n)| n);
            store.add_password(name, &config.directory.netbios_domain, &password);
            store.add_password(&u.upn, &config.directory.netbios_domain, &password);
        }
        let mut kerberos = Vec::new();
        if let Some(k) = &config.kerberos {
            let bytes = std::fs::read(&k.keytab).map_err(|e| SipLabError::Keytab {
                path: k.keytab.clone(),
                reason: e.to_string(),
            })?;
            let keytab = Keytab::parse(&bytes).map_err(|e| SipLabError::Keytab {
                path: k.keytab.clone(),
                reason: e.to_string(),
            })?;
            let t = &config.topology;
            let names =
                std::iter::once(&t.director.fqdn).chain(t.pools.iter().map(|p| &p.endpoint.fqdn));
            for fqdn in names {
                let keys = ServiceKey::from_keytab(&keytab, &format!("sip/{fqdn}"));
                if keys.is_empty() {
                    tracing::warn!(%fqdn, "sip lab: no keys for sip/{fqdn} in the keytab: Kerberos not offered there");
                }
                kerberos.push((fqdn.clone(), keys));
            }
        }
        Ok(Self {
            shared: Arc::new(Shared {
                config,
                store: Arc::new(store),
                kerberos,
                seed,
                next: AtomicU64::new(0),
            }),
        })
    }

    /// A new connection accepted on `role` from `peer`.
    pub fn accept(&self, role: Role, peer: SocketAddr) -> SipConnection {
        let n = self.shared.next.fetch_add(1, Ordering::Relaxed);
        let rng = util::Rng::new(
            self.shared
                .seed
                .wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .rotate_left(17),
        );
        let inner = match role {
            Role::Edge => Inner::Edge(edge::Edge::new(self.shared.clone(), rng)),
            Role::Director => Inner::Registrar(registrar::Registrar::new(
                self.shared.clone(),
                registrar::Hop::Director,
                false,
                rng,
            )),
            Role::Pool(p) => Inner::Registrar(registrar::Registrar::new(
                self.shared.clone(),
                registrar::Hop::Pool(p),
                false,
                rng,
            )),
        };
        SipConnection { role, peer, inner }
    }
}

#[derive(Debug)]
enum Inner {
    Edge(edge::Edge),
    Registrar(registrar::Registrar),
}

/// One accepted connection's SIP state.
#[derive(Debug)]
pub struct SipConnection {
    role: Role,
    peer: SocketAddr,
    inner: Inner,
}

impl SipConnection {
    /// One complete framed message received (a request, or a response to a request the lab
    /// sent); returns the encoded messages to send, in order. Bytes that do not parse get a
    /// 400 naming the error and close the connection ([`Self::is_closed`]).
    pub fn on_message(&mut self, message: &[u8], now: SystemTime) -> Vec<Vec<u8>> {
        let out = match &mut self.inner {
            Inner::Edge(e) => e.handle(message, now),
            Inner::Registrar(r) => r.handle(message, now),
        };
        if self.is_closed() {
            tracing::debug!(role = ?self.role, peer = %self.peer, "sip lab: closing the connection");
        }
        out
    }

    /// A CRLF keep-alive ping received; returns the pong to send (RFC 5626 3.5.1: one CRLF).
    pub fn on_keepalive(&mut self, now: SystemTime) -> Vec<u8> {
        let _ = now;
        b"\r\n".to_vec()
    }

    /// True once the lab wants this connection closed (after sending what
    /// [`Self::on_message`] returned): unparsable input, or too many failed authentications.
    pub fn is_closed(&self) -> bool {
        match &self.inner {
            Inner::Edge(e) => e.is_closed(),
            Inner::Registrar(r) => r.is_closed(),
        }
    }

    /// The role this connection was accepted on.
    pub fn role(&self) -> Role {
        self.role
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SipConfig {
        let ep = |f: &str, a: &str| Endpoint {
            fqdn: f.into(),
            addr: a.parse().unwrap(),
        };
        SipConfig {
            topology: Topology {
                sip_domain: "contoso.test".into(),
                edge: ep("sip.contoso.test", "127.0.0.1:1"),
                director: ep("director.contoso.test", "127.0.0.1:2"),
                pools: vec![Pool {
                    endpoint: ep("pool0.contoso.test", "127.0.0.1:3"),
                    backup: None,
                }],
            },
            directory: Directory::contoso(),
            scenario: Scenario::Healthy,
            kerberos: None,
        }
    }

    #[test]
    fn bad_configurations_are_named() {
        // bob's home pool 1 does not exist.
        let e = SipLab::new(config()).unwrap_err();
        assert!(
            e.to_string()
                .contains("sip:bob@contoso.test has home pool 1 of 1"),
            "{e}"
        );
        let mut c = config();
        c.directory.users.retain(|u| u.home_pool.0 == 0);
        c.kerberos = Some(KerberosConfig {
            keytab: "/nonexistent/sip.keytab".into(),
            realm: "CONTOSO.TEST".into(),
        });
        let e = SipLab::new(c).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("keytab /nonexistent/sip.keytab: "),
            "{e}"
        );
        let mut c = config();
        c.topology.pools.clear();
        assert!(matches!(SipLab::new(c), Err(SipLabError::Topology(_))));
    }

    #[test]
    fn no_secret_in_debug() {
        let mut c = config();
        c.directory.users.retain(|u| u.home_pool.0 == 0);
        let lab = SipLab::new(c).unwrap();
        let conn = lab.accept(Role::Pool(PoolId(0)), "127.0.0.1:9".parse().unwrap());
        for dbg in [format!("{lab:?}"), format!("{conn:?}")] {
            assert!(!dbg.contains("Lab-Pass"), "{dbg}");
        }
        assert_eq!(conn.role(), Role::Pool(PoolId(0)));
    }
}
