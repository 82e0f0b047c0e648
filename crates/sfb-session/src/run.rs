//! A whole sign-in, steps 1 to 5, as one call: what `sfb signin` and `sfb-probe` share.
//!
//! [`sign_in`] runs DNS discovery (or takes `--server`), looks up the KDCs through our own
//! resolver when Kerberos may be used (`_kerberos._tcp.<REALM>`, then
//! `_kerberos._tcp.dc._msdcs.<domain>`, unless `--kdc` names them), then runs the sign-in
//! machine ([`crate::signin::SignIn`]) with its driver ([`crate::run_signin`]). Everything
//! observed goes into one [`SignInTrace`]; nothing here judges it (that is sfb-diagnose's
//! job), and nothing here prints.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use sfb_auth::Scheme;
use sfb_auth::kerberos::KdcAddress;
use sfb_auth::secret::{Credential, CredentialSecret};
use sfb_auth::sipae::{Network, SchemePolicy};
use sfb_discovery::driver::{discover, exchange};
use sfb_discovery::{
    DiscoveryConfig, DomainName, EndpointSource, Input, KdcOptions, Location, QueryId, RecordData,
    RecordType, SplitMix64, Transport as DiscoveryTransport, locate_kdcs,
};
use sfb_trace::{EvidenceKind, RedactionPolicy, SignInTrace, Step, Timestamp};

use crate::signin::{AuthMode, Endpoint, Outcome, SignIn, SignInConfig};
use crate::{
    ConnectOptions, DriverOptions, KerberosLogin, Progress, Resolver, TlsSettings, dns_evidence,
    name_source, run_signin, system_resolver,
};

/// Which schemes may be used (`--auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchemeChoice {
    /// Kerberos then NTLM inside the network, NTLM outside (what the desktop client does).
    #[default]
    Auto,
    /// NTLM only.
    Ntlm,
    /// Kerberos only.
    Kerberos,
}

/// Everything a sign-in needs, already parsed and checked by the app.
pub struct SignInRequest {
    /// `sip:alice@contoso.com`.
    pub sip_uri: String,
    /// The discovery plan's configuration (SIP domain, trusted domains, `--server`).
    pub discovery: DiscoveryConfig,
    /// The name server for discovery and the KDC lookup.
    pub dns_server: SocketAddr,
    /// Resolve redirect targets through `dns_server` too (`--dns` given), else the system's.
    pub dns_for_targets: bool,
    /// The login (`DOMAIN\user` or a UPN); default: the SIP URI's user@host.
    pub login: Option<String>,
    /// The password; `None` is `--no-auth` (stop after the first 401).
    pub password: Option<sfb_certprov::Password>,
    /// `--auth`.
    pub scheme: SchemeChoice,
    /// `--realm`.
    pub realm: Option<String>,
    /// `--kdc` (empty: look them up).
    pub kdcs: Vec<KdcAddress>,
    /// Trust anchors and the TLS clock.
    pub tls: TlsSettings,
    /// `--user-agent`.
    pub user_agent: Option<String>,
    /// `--stay`.
    pub stay: bool,
    /// `--external`: sign in as an external user does, through the Access Edge: only the
    /// external endpoints of discovery (or `--server`, taken as an Edge), NTLM by policy, and
    /// after a 301 the client stays on the Edge connection. Without it an endpoint found as
    /// external (`_sip._tls`, `sipexternal.`, `sip.` on 443, autodiscover's external access)
    /// or a `--server` on port 443 (the Edge's client port) is treated as an Edge anyway.
    pub external: bool,
    /// The tool named in the trace, e.g. `sfb-probe 0.1.0`.
    pub tool: String,
    /// The trace's redaction policy.
    pub policy: RedactionPolicy,
    /// The NetBIOS-style machine name sent in NTLM and the endpoint id.
    pub machine_name: String,
    /// Called with every event (progress lines).
    pub progress: Option<Progress>,
    /// Resolves when the run must stop (Ctrl-C).
    pub cancel: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl std::fmt::Debug for SignInRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInRequest")
            .field("sip_uri", &self.sip_uri)
            .field("dns_server", &self.dns_server)
            .field("login", &self.login)
            .field("no_auth", &self.password.is_none())
            .field("scheme", &self.scheme)
            .field("realm", &self.realm)
            .field("kdcs", &self.kdcs)
            .field("external", &self.external)
            .finish_non_exhaustive()
    }
}

/// What a sign-in produced.
#[derive(Debug)]
pub struct SignInReport {
    /// Everything observed.
    pub trace: SignInTrace,
    /// How the sign-in machine ended; `None` when it never started (nothing discovered, or
    /// the machine refused its configuration: see `error`).
    pub outcome: Option<Outcome>,
    /// Why the machine never started, if it did not.
    pub error: Option<String>,
}

/// Runs steps 1 to 5 (see the module docs).
pub async fn sign_in(mut req: SignInRequest) -> SignInReport {
    let started = Timestamp::from_system_time(SystemTime::now()).unwrap_or(Timestamp::EPOCH);
    let clock = Instant::now();
    let mut trace = SignInTrace::new(&req.tool, &req.sip_uri, started, req.policy);
    let domain = req.discovery.sip_domain.to_string();

    let discovery_started = Instant::now();
    let dns = discover(
        req.discovery.clone(),
        req.dns_server,
        Box::new(SplitMix64::from_entropy()),
    )
    .await;
    for q in &dns.evidence {
        trace.push_evidence(Some(Step::Discovery), EvidenceKind::Dns(dns_evidence(q)));
    }
    {
        let s = trace.step_mut(Step::Discovery);
        s.started_at = Some(started);
        s.elapsed_ms = ms(discovery_started.elapsed());
    }
    let tls_endpoints: Vec<_> = dns
        .endpoints
        .iter()
        .filter(|e| e.transport == DiscoveryTransport::Tls)
        .filter(|e| {
            !req.external || e.location == Location::External || e.source == EndpointSource::Manual
        })
        .collect();
    if tls_endpoints.is_empty() {
        trace.elapsed_ms = ms(clock.elapsed());
        let which = if req.external { "external " } else { "" };
        return SignInReport {
            trace,
            outcome: None,
            error: Some(format!("no {which}SIP endpoint found for {domain}")),
        };
    }
    let is_edge = |e: &sfb_discovery::Endpoint| {
        req.external
            || e.location == Location::External
            || (e.source == EndpointSource::Manual && e.port == 443)
    };
    let candidates: Vec<Endpoint> = tls_endpoints
        .iter()
        .map(|e| Endpoint::tls(&e.host, e.port, &e.record).with_edge(is_edge(e)))
        .collect();
    let known = tls_endpoints
        .iter()
        .map(|e| {
            (
                e.host.trim_end_matches('.').to_ascii_lowercase(),
                e.addresses.clone(),
                name_source(e.source),
            )
        })
        .collect();
    let network = if is_edge(tls_endpoints[0]) {
        Network::External
    } else {
        Network::Internal
    };
    let policy = match req.scheme {
        SchemeChoice::Auto => SchemePolicy::Auto(network),
        SchemeChoice::Ntlm => SchemePolicy::Only(Scheme::Ntlm),
        SchemeChoice::Kerberos => SchemePolicy::Only(Scheme::Kerberos),
    };
    let may_use_kerberos = req.password.is_some()
        && match req.scheme {
            SchemeChoice::Kerberos => true,
            SchemeChoice::Auto => network == Network::Internal,
            SchemeChoice::Ntlm => false,
        };
    let mut kdcs = req.kdcs.clone();
    if may_use_kerberos && kdcs.is_empty() {
        let realm = req
            .realm
            .clone()
            .unwrap_or_else(|| domain.to_ascii_uppercase());
        if let Ok(found) = locate_kdcs(&realm, Some(&domain), KdcOptions::new(req.dns_server)).await
        {
            for q in &found.evidence {
                trace.push_evidence(
                    Some(Step::Authentication),
                    EvidenceKind::Dns(dns_evidence(q)),
                );
            }
            kdcs = found
                .kdcs
                .iter()
                .map(|(_, addr)| KdcAddress {
                    host: match addr.ip() {
                        IpAddr::V4(ip) => ip.to_string(),
                        IpAddr::V6(ip) => format!("[{ip}]"),
                    },
                    port: addr.port(),
                })
                .collect();
        }
    }

    let login = req
        .login
        .clone()
        .unwrap_or_else(|| req.sip_uri.trim_start_matches("sip:").to_owned());
    let (auth, kerberos) = match &req.password {
        None => (AuthMode::NoAuth, None),
        Some(pw) => {
            let credential = Credential::from_login(
                &login,
                CredentialSecret::Password(sfb_auth::secret::Password::new(pw.expose())),
            );
            let user = login
                .split_once('\\')
                .map_or(login.clone(), |(_, u)| u.to_owned());
            (
                AuthMode::Credentials {
                    credential,
                    policy,
                    kerberos_realm: req.realm.clone(),
                    kdcs,
                },
                Some(KerberosLogin {
                    user,
                    password: sfb_certprov::Password::new(pw.expose()),
                }),
            )
        }
    };
    let mut cfg = SignInConfig::new(
        &req.sip_uri,
        auth,
        &req.machine_name,
        (Instant::now(), SystemTime::now()),
    );
    cfg.stay = req.stay;
    if let Some(ua) = &req.user_agent {
        cfg.user_agent = ua.clone();
    }
    let machine = match SignIn::new(cfg, candidates, Box::new(fill_random)) {
        Ok(m) => m,
        Err(e) => {
            trace.elapsed_ms = ms(clock.elapsed());
            return SignInReport {
                trace,
                outcome: None,
                error: Some(e.to_string()),
            };
        }
    };
    let resolver = if req.dns_for_targets {
        dns_resolver(req.dns_server)
    } else {
        system_resolver()
    };
    let opts = DriverOptions {
        tls: req.tls,
        connect: ConnectOptions::default(),
        resolver,
        known,
        kerberos,
        cancel: req.cancel.take(),
        progress: req.progress.take(),
    };
    let outcome = run_signin(machine, &mut trace, opts).await;
    trace.elapsed_ms = ms(clock.elapsed());
    SignInReport {
        trace,
        outcome: Some(outcome),
        error: None,
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A resolver asking `server` for A and AAAA records (the same name server as discovery).
pub fn dns_resolver(server: SocketAddr) -> Resolver {
    Arc::new(move |host: String| {
        Box::pin(async move {
            if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
                return Ok(vec![ip]);
            }
            let name = DomainName::parse(&host).map_err(|e| format!("{host}: {e}"))?;
            let mut out = Vec::new();
            for (i, rtype) in [RecordType::A, RecordType::Aaaa].into_iter().enumerate() {
                let id = QueryId(u64::try_from(i).unwrap_or(0));
                if let Input::Answer { answers, .. } =
                    exchange(server, id, name.clone(), rtype, Duration::from_secs(3)).await
                {
                    for r in answers {
                        match r.data {
                            RecordData::A { address } => out.push(IpAddr::V4(address)),
                            RecordData::Aaaa { address } => out.push(IpAddr::V6(address)),
                            _ => {}
                        }
                    }
                }
            }
            if out.is_empty() {
                Err(format!("{host}: no address from {server}"))
            } else {
                Ok(out)
            }
        })
    })
}

/// Fills `buf` from the operating system's randomness (crand, client challenges, tags).
pub fn fill_random(buf: &mut [u8]) {
    use std::io::Read as _;
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(buf))
        .is_err()
    {
        use sfb_discovery::SrvRng as _;
        let mut rng = SplitMix64::from_entropy();
        for b in buf.iter_mut() {
            *b = u8::try_from(rng.uniform_inclusive(255)).unwrap_or(0);
        }
    }
}

/// This machine's name as NTLM sends it (upper case, at most 15 characters), or `SFB-CLIENT`.
pub fn machine_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty() && s.len() <= 15)
        .unwrap_or_else(|| "SFB-CLIENT".into())
}
