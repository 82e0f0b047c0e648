//! [`Lab::start`]: the whole emulated deployment on loopback (the tokio shell around the
//! sans-IO SIP roles): PKI, one TLS listener per SIP role, the DNS zone, autodiscover and the
//! WebTicket service; [`RunningLab::info`] tells a client where everything is.
//!
//! Topology (every name resolves to the bind address; every port is ephemeral):
//!
//! | role | FQDN | published by |
//! | --- | --- | --- |
//! | Access Edge | `sip.contoso.test` | `_sip._tls.contoso.test` SRV, autodiscover external access |
//! | Director | `dir01.contoso.test` | `_sipinternaltls._tcp.contoso.test` SRV, autodiscover internal access |
//! | home pool 0 (alice) | `pool01.contoso.test` | the Director's 301 |
//! | home pool 1 (bob) | `pool02.contoso.test` | the Director's 301 |
//! | autodiscover | `lyncdiscoverinternal.` / `lyncdiscover.contoso.test` | A records (HTTPS and HTTP on ephemeral ports: see [`LabInfo::resolve`]) |
//! | WebTicket service | `lyncweb.contoso.test` | the User resource's 401 |

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use sfb_auth::kerberos::ServiceKey;
use sfb_auth::kerberos::keytab::Keytab;
use sfb_certprov::test_service::TestService;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::LabError;
use crate::directory::{Directory, PoolId};
use crate::dns::{self, DnsServer, ZoneInput};
use crate::kdc::{KdcSpec, MitKdc};
use crate::listener::{ListenerLimits, SipListener};
use crate::pki::{Defect, Pki};
use crate::scenario::Scenario;
use crate::sip::{Endpoint, KerberosConfig, Pool, Role, SipConfig, SipLab, Topology};
use crate::web::{self, AutodiscoverServer, AutodiscoverTargets};

/// Schema version of [`LabInfo`] (`sfb lab --json`).
pub const INFO_SCHEMA: u32 = 1;

/// The Access Edge's FQDN.
pub const EDGE_FQDN: &str = "sip.contoso.test";
/// The Director's FQDN.
pub const DIRECTOR_FQDN: &str = "dir01.contoso.test";
/// The home pools' FQDNs; [`PoolId`] indexes this.
pub const POOL_FQDNS: [&str; 2] = ["pool01.contoso.test", "pool02.contoso.test"];

/// How to start a lab.
#[derive(Debug, Clone)]
pub struct LabConfig {
    /// The fault scenario.
    pub scenario: Scenario,
    /// Where the root CA is kept (created if absent); `None`: a fresh root in a temporary
    /// directory removed at shutdown.
    pub state_dir: Option<PathBuf>,
    /// Kerberos for the SIP roles (a keytab for an external KDC).
    pub kerberos: Option<KerberosConfig>,
    /// Start the lab's own MIT KDC ([`MitKdc`], realm `CONTOSO.TEST` on the bind address's
    /// loopback, with the lab's users and the `sip/` principals of the Director and pools)
    /// and give the SIP roles its keytab. Exclusive with [`LabConfig::kerberos`].
    pub mit_kdc: bool,
    /// The address every listener binds and every name resolves to; must be a loopback address
    /// (the lab prints its users' passwords).
    pub bind: IpAddr,
    /// The SIP listeners' limits.
    pub limits: ListenerLimits,
    /// Seed of the injected randomness (NTLM challenges, ticket entropy); `None`: from the OS.
    pub seed: Option<u64>,
    /// DNS as the Internet sees it: only the external records (`_sip._tls` to the Access Edge,
    /// `sipexternal.`, `lyncdiscover.`), so clients sign in as remote users through the Edge.
    /// The Edge scenarios (`remote-access-disabled`, `edge-next-hop-down`) always are.
    pub external_view: bool,
}

impl LabConfig {
    /// `scenario` on 127.0.0.1 with a fresh root and default limits.
    pub fn new(scenario: Scenario) -> Self {
        Self {
            scenario,
            state_dir: None,
            kerberos: None,
            mit_kdc: false,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            limits: ListenerLimits::default(),
            seed: None,
            external_view: false,
        }
    }
}

/// One user, as `sfb lab --json` prints it. `Debug` hides the password.
#[derive(Clone, serde::Serialize)]
pub struct UserInfo {
    /// `sip:alice@contoso.test`.
    pub sip_uri: String,
    /// `CONTOSO\alice`.
    pub login: String,
    /// The throw-away lab password.
    pub password: String,
    /// The home pool's FQDN.
    pub home_pool: String,
}

impl std::fmt::Debug for UserInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserInfo")
            .field("sip_uri", &self.sip_uri)
            .field("login", &self.login)
            .field("home_pool", &self.home_pool)
            .finish_non_exhaustive()
    }
}

/// One SIP role as the lab publishes it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RoleInfo {
    /// `edge`, `director`, `pool01`, ...
    pub role: String,
    /// Its FQDN.
    pub fqdn: String,
    /// The address it is published at (in some scenarios nothing listens there).
    pub addr: SocketAddr,
    /// Whether a listener answers there.
    pub listening: bool,
}

/// Where everything is: what a client needs to use the lab.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LabInfo {
    /// [`INFO_SCHEMA`].
    pub schema: u32,
    /// The name server (UDP and TCP).
    pub dns: SocketAddr,
    /// Absolute path of the PEM file to trust: the lab's root and the WebTicket service's CA.
    pub ca_file: PathBuf,
    /// `contoso.test`.
    pub sip_domain: String,
    /// The users.
    pub users: Vec<UserInfo>,
    /// The scenario's name.
    pub scenario: String,
    /// The SIP roles.
    pub roles: Vec<RoleInfo>,
    /// The autodiscover HTTPS listener.
    pub autodiscover_https: SocketAddr,
    /// The autodiscover HTTP listener.
    pub autodiscover_http: SocketAddr,
    /// The WebTicket service URL.
    pub web_ticket_url: String,
    /// `HOST:PORT:ADDR` pins (`sfb discover --resolve`): the web names on their well-known
    /// ports (443, 80) to the lab's ephemeral listeners, and the WebTicket service.
    pub resolve: Vec<String>,
    /// The Kerberos realm the SIP roles accept tickets of, when Kerberos is configured
    /// (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kerberos_realm: Option<String>,
    /// The lab's own KDC, `127.0.0.1:PORT` (TCP and UDP), when it runs one (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kdc: Option<String>,
}

/// A running lab. Stop it with [`RunningLab::shutdown`].
#[derive(Debug)]
pub struct RunningLab {
    info: LabInfo,
    dns: DnsServer,
    web: AutodiscoverServer,
    sip: Vec<SipListener>,
    _web_ticket: TestService,
    temp_dir: Option<PathBuf>,
    pki: Pki,
    kdc: Option<MitKdc>,
}

/// The lab.
#[derive(Debug)]
pub struct Lab;

/// A port on `ip` where nothing listens (bound, then released).
async fn dead_port(ip: IpAddr) -> std::io::Result<SocketAddr> {
    let l = TcpListener::bind((ip, 0)).await?;
    l.local_addr()
}

fn os_seed() -> u64 {
    use std::io::Read as _;
    let mut b = [0u8; 8];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .is_err()
    {
        let t = SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        b = (t as u64 ^ u64::from(std::process::id())).to_le_bytes();
    }
    u64::from_le_bytes(b)
}

fn pem_cert(der: &[u8]) -> String {
    let b64 = BASE64_STANDARD.encode(der);
    let mut s = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(&String::from_utf8_lossy(chunk));
        s.push('\n');
    }
    s.push_str("-----END CERTIFICATE-----\n");
    s
}

fn defect(scenario: Scenario) -> Defect {
    match scenario {
        Scenario::TlsUntrustedRoot => Defect::UntrustedRoot,
        Scenario::TlsIncompleteChain => Defect::IncompleteChain,
        Scenario::TlsNameMismatch => Defect::NameMismatch,
        Scenario::TlsExpired => Defect::Expired,
        _ => Defect::None,
    }
}

impl Lab {
    /// Starts everything (on the current tokio runtime).
    pub async fn start(config: LabConfig) -> Result<RunningLab, LabError> {
        if !config.bind.is_loopback() {
            return Err(LabError::NotLoopback(config.bind));
        }
        let ip = config.bind;
        let scenario = config.scenario;
        let now = SystemTime::now();
        let seed = config.seed.unwrap_or_else(os_seed);
        let directory = Directory::contoso();
        let pki = Pki::new(config.state_dir.as_deref(), now)?;
        // The KDC first: the SIP roles read its keytab.
        let kdc = if config.mit_kdc {
            if config.kerberos.is_some() {
                return Err(LabError::Config(
                    "mit_kdc and kerberos (an external keytab) are exclusive",
                ));
            }
            let mut fqdns = vec![DIRECTOR_FQDN];
            fqdns.extend(POOL_FQDNS);
            // The SIP roles' `sip/` principals, and `HTTP/` of the WebTicket service
            // (Negotiate/Kerberos there, as a domain-joined client uses inside the network).
            let spec = KdcSpec::lab(&directory, &fqdns)
                .service(sfb_certprov::negotiate::http_spn(web::WEB_TICKET_HOST));
            let kdc = tokio::task::spawn_blocking(move || MitKdc::start(&spec))
                .await
                .map_err(|_| LabError::Internal("the KDC start-up task failed"))??;
            Some(kdc)
        } else {
            None
        };
        let kerberos = match &kdc {
            Some(k) => Some(k.kerberos_config()),
            None => config.kerberos.clone(),
        };
        let defect = defect(scenario);

        // Bind (or reserve a dead port for) every SIP role first: the topology needs the ports.
        let outside = scenario == Scenario::SrvOutsideDomain;
        let mut roles: Vec<(Role, String, Vec<String>, bool)> = vec![
            (
                Role::Edge,
                EDGE_FQDN.to_owned(),
                vec![EDGE_FQDN.to_owned(), "sipexternal.contoso.test".to_owned()],
                scenario != Scenario::TcpRefused,
            ),
            (
                Role::Director,
                DIRECTOR_FQDN.to_owned(),
                vec![
                    DIRECTOR_FQDN.to_owned(),
                    "sipinternal.contoso.test".to_owned(),
                ],
                scenario != Scenario::TcpRefused,
            ),
        ];
        if outside {
            roles[0].2.push(dns::FOREIGN_EDGE.to_owned());
            roles[1].2.push(dns::FOREIGN_DIRECTOR.to_owned());
        }
        for (i, fqdn) in POOL_FQDNS.iter().enumerate() {
            let down = scenario == Scenario::HomePoolUnreachableAfter301 && i == 0;
            roles.push((
                Role::Pool(PoolId(i)),
                (*fqdn).to_owned(),
                vec![(*fqdn).to_owned()],
                !down,
            ));
        }
        let mut bound = Vec::new();
        for (role, fqdn, sans, listening) in roles {
            let (listener, addr) = if listening {
                let l = TcpListener::bind((ip, 0)).await?;
                let a = l.local_addr()?;
                (Some(l), a)
            } else {
                (None, dead_port(ip).await?)
            };
            bound.push((role, fqdn, sans, listener, addr));
        }
        let endpoint = |role: Role| {
            bound
                .iter()
                .find(|b| b.0 == role)
                .map(|b| Endpoint {
                    fqdn: b.1.clone(),
                    addr: b.4,
                })
                .ok_or(LabError::Internal("a role was not bound"))
        };
        let topology = Topology {
            sip_domain: directory.sip_domain.clone(),
            edge: endpoint(Role::Edge)?,
            director: endpoint(Role::Director)?,
            pools: (0..POOL_FQDNS.len())
                .map(|i| {
                    Ok(Pool {
                        endpoint: endpoint(Role::Pool(PoolId(i)))?,
                        backup: Some(PoolId((i + 1) % POOL_FQDNS.len())),
                    })
                })
                .collect::<Result<_, LabError>>()?,
        };
        let sip_lab = SipLab::with_seed(
            SipConfig {
                topology: topology.clone(),
                directory: directory.clone(),
                scenario,
                kerberos: kerberos.clone(),
            },
            seed,
        )?;
        let mut sip = Vec::new();
        let mut role_info = Vec::new();
        for (role, fqdn, sans, listener, addr) in bound {
            role_info.push(RoleInfo {
                role: match role {
                    Role::Edge => "edge".to_owned(),
                    Role::Director => "director".to_owned(),
                    Role::Pool(_) => fqdn.split('.').next().unwrap_or_default().to_owned(),
                },
                fqdn,
                addr,
                listening: listener.is_some(),
            });
            if let Some(listener) = listener {
                let identity = pki.server_identity(&sans, defect)?;
                let acceptor = TlsAcceptor::from(identity.server_config()?);
                sip.push(SipListener::spawn(
                    role,
                    listener,
                    acceptor,
                    sip_lab.clone(),
                    config.limits,
                )?);
            }
        }

        // Web: the WebTicket service, then autodiscover pointing at it and at the roles.
        let rng = web::shared_rng(seed);
        let http_keys = match &kdc {
            Some(k) => Some(http_service_keys(k)?),
            None => None,
        };
        let web_ticket =
            web::start_web_ticket(&directory, rng, web::filetime(now), http_keys).await?;
        let web_identity = pki.server_identity(
            &[
                web::AUTODISCOVER_INTERNAL.to_owned(),
                web::AUTODISCOVER_EXTERNAL.to_owned(),
            ],
            Defect::None,
        )?;
        let web = AutodiscoverServer::start(
            ip,
            &web_identity,
            AutodiscoverTargets {
                director: (
                    topology.director.fqdn.clone(),
                    topology.director.addr.port(),
                ),
                edge: (topology.edge.fqdn.clone(), topology.edge.addr.port()),
                web_ticket_url: web_ticket.url.clone(),
            },
        )
        .await?;

        // DNS last: a client that can resolve finds everything up.
        let zone = dns::zone_records(
            &ZoneInput {
                ip,
                director: (
                    topology.director.fqdn.clone(),
                    topology.director.addr.port(),
                ),
                edge: (topology.edge.fqdn.clone(), topology.edge.addr.port()),
                pools: POOL_FQDNS.iter().map(|s| (*s).to_owned()).collect(),
                web: vec![
                    web::AUTODISCOVER_INTERNAL.to_owned(),
                    web::AUTODISCOVER_EXTERNAL.to_owned(),
                    web::WEB_TICKET_HOST.to_owned(),
                ],
                external_view: config.external_view,
                kdc_port: kdc.as_ref().map(|k| k.addr().port()),
            },
            scenario,
        );
        let dns = DnsServer::start(ip, &zone).await?;

        // The trust file: the lab's root and the WebTicket service's own CA.
        let (dir, temp_dir) = match &config.state_dir {
            Some(d) => (d.clone(), None),
            None => {
                // Unique per lab, also for several labs in one process.
                static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let d = std::env::temp_dir().join(format!(
                    "sfb-lab-{}-{n}-{}",
                    std::process::id(),
                    dns.addr.port()
                ));
                (d.clone(), Some(d))
            }
        };
        std::fs::create_dir_all(&dir).map_err(|e| LabError::Io {
            path: dir.clone(),
            source: e,
        })?;
        let dir = std::path::absolute(&dir).map_err(|e| LabError::Io {
            path: dir.clone(),
            source: e,
        })?;
        let ca_file = dir.join("ca.pem");
        let bundle = format!("{}{}", pki.root_pem(), pem_cert(web_ticket.ca.as_ref()));
        std::fs::write(&ca_file, bundle).map_err(|e| LabError::Io {
            path: ca_file.clone(),
            source: e,
        })?;

        let ticket_port = web_ticket.addr.port();
        let mut resolve = Vec::new();
        for host in [web::AUTODISCOVER_INTERNAL, web::AUTODISCOVER_EXTERNAL] {
            resolve.push(format!("{host}:443:{}", web.https));
            resolve.push(format!("{host}:80:{}", web.http));
        }
        resolve.push(format!(
            "{}:{ticket_port}:{}",
            web::WEB_TICKET_HOST,
            web_ticket.addr
        ));
        let users = directory
            .users
            .iter()
            .map(|u| UserInfo {
                sip_uri: u.sip_uri.clone(),
                login: u.login.clone(),
                password: u.password.clone(),
                home_pool: POOL_FQDNS
                    .get(u.home_pool.0)
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
            })
            .collect();
        let info = LabInfo {
            schema: INFO_SCHEMA,
            dns: dns.addr,
            ca_file,
            sip_domain: directory.sip_domain.clone(),
            users,
            scenario: scenario.name().to_owned(),
            roles: role_info,
            autodiscover_https: web.https,
            autodiscover_http: web.http,
            web_ticket_url: web_ticket.url.clone(),
            resolve,
            kerberos_realm: kerberos.map(|k| k.realm),
            kdc: kdc.as_ref().map(|k| k.addr().to_string()),
        };
        tracing::info!(scenario = %scenario, dns = %info.dns, "lab started");
        Ok(RunningLab {
            info,
            dns,
            web,
            sip,
            _web_ticket: web_ticket,
            temp_dir,
            pki,
            kdc,
        })
    }
}

/// The keys of `HTTP/<WEB_TICKET_HOST>` in the lab KDC's keytab.
fn http_service_keys(kdc: &MitKdc) -> Result<Vec<ServiceKey>, LabError> {
    let path = kdc.keytab_path();
    let bytes = std::fs::read(&path).map_err(|e| LabError::Io {
        path: path.clone(),
        source: e,
    })?;
    let keytab = Keytab::parse(&bytes).map_err(|e| LabError::Io {
        path: path.clone(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
    })?;
    let keys = ServiceKey::from_keytab(
        &keytab,
        &sfb_certprov::negotiate::http_spn(web::WEB_TICKET_HOST),
    );
    if keys.is_empty() {
        return Err(LabError::Internal(
            "the KDC's keytab holds no AES key of the WebTicket service's HTTP/ principal",
        ));
    }
    Ok(keys)
}

impl RunningLab {
    /// Where everything is.
    pub fn info(&self) -> &LabInfo {
        &self.info
    }

    /// The lab's PKI (tests use its certificates).
    pub fn pki(&self) -> &Pki {
        &self.pki
    }

    /// The lab's own MIT KDC, when [`LabConfig::mit_kdc`] started one.
    pub fn kdc(&self) -> Option<&MitKdc> {
        self.kdc.as_ref()
    }

    /// The published address of a role (`edge`, `director`, `pool01`, `pool02`).
    pub fn role_addr(&self, role: &str) -> Option<SocketAddr> {
        self.info
            .roles
            .iter()
            .find(|r| r.role == role)
            .map(|r| r.addr)
    }

    /// Stops DNS, autodiscover and the SIP listeners (their connections too) and removes the
    /// temporary directory, if the lab made one, and the lab's KDC if it runs one. The WebTicket service (sfb-certprov's test
    /// service has no stop) ends with the tokio runtime.
    pub async fn shutdown(self) {
        for l in self.sip {
            l.shutdown().await;
        }
        self.web.shutdown().await;
        self.dns.shutdown().await;
        if let Some(kdc) = self.kdc {
            // Kills krb5kdc and waits for it: off the async threads.
            let _ = tokio::task::spawn_blocking(move || drop(kdc)).await;
        }
        if let Some(d) = &self.temp_dir {
            remove_dir(d);
        }
    }
}

fn remove_dir(d: &Path) {
    if let Err(e) = std::fs::remove_dir_all(d) {
        tracing::warn!(dir = %d.display(), error = %e, "cannot remove the lab's temporary directory");
    }
}
