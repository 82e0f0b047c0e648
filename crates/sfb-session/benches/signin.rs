//! The sign-in benchmark, in one criterion run, on loopback against the embedded `sfb-lab`
//! (scenario `healthy`).
//!
//! - group `signin-ntlm`: full NTLM sign-ins of alice through [`sfb_session::sign_in`] (DNS
//!   discovery, the Director's 301, the home pool, NTLM, settings, un-REGISTER), with `N`
//!   sign-ins started together per iteration for `N` in [`CONCURRENCY`]. `N = 1` is the
//!   latency of one sign-in; the others give sign-ins per second (`Throughput::Elements(N)`).
//! - group `tls-handshake`: the ceiling, full TCP + TLS handshakes between a rustls client and
//!   a rustls server (the lab's PKI, ring, the same protocol versions, no resumption) on the
//!   same machine, in the same runtime, at the same concurrencies; each handshake ends with a
//!   one-byte echo so both sides are done when it counts.
//!
//! Runtime: the lab's servers (and the handshake server) run on a multi-thread tokio runtime;
//! the clients of one iteration run concurrently on one thread (a `LocalSet`: the sign-in
//! future is not `Send`), in both groups alike.
//!
//! The lab's SIP listeners allow 32 connections per client IP by default; here the per-IP and
//! total caps are raised to [`MAX_CONNECTIONS`] so that 64 concurrent clients from 127.0.0.1
//! are not refused. Before timing anything one sign-in must end `SignedIn`, else the bench
//! fails. `SFB_BENCH_QUICK=1` shortens warm-up and measurement (`cargo xtask bench signin`
//! reads criterion's estimates and prints the table).

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use sfb_discovery::DiscoveryConfig;
use sfb_discovery::SipDomain;
use sfb_lab::pki::Defect;
use sfb_lab::{Lab, LabConfig, LabInfo, ListenerLimits, RunningLab, Scenario};
use sfb_session::run::machine_name;
use sfb_session::signin::Outcome;
use sfb_session::{SchemeChoice, SignInRequest, TlsSettings, sign_in};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::task::{JoinSet, LocalSet};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Sign-ins (and handshakes) started together per iteration.
const CONCURRENCY: &[u64] = &[1, 16, 64];

/// The lab's raised per-IP and total connection caps (default: 32 per IP, 1024 in all).
const MAX_CONNECTIONS: usize = 4096;

/// The name the handshake server's certificate carries.
const HANDSHAKE_NAME: &str = "bench.contoso.test";

fn main() {
    if let Err(e) = run() {
        #[allow(
            clippy::print_stderr,
            reason = "a bench binary reports its failure on stderr"
        )]
        {
            eprintln!("signin bench: {e}");
        }
        std::process::exit(1);
    }
}

fn run() -> Result<(), BoxError> {
    let quick = std::env::var_os("SFB_BENCH_QUICK").is_some_and(|v| v == "1");
    let mut c = if quick {
        Criterion::default()
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1))
            .sample_size(10)
            .without_plots()
    } else {
        Criterion::default()
            .warm_up_time(Duration::from_secs(2))
            .measurement_time(Duration::from_secs(5))
            .sample_size(30)
    }
    .configure_from_args();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut config = LabConfig::new(Scenario::Healthy);
    config.limits = ListenerLimits {
        max_connections_per_ip: MAX_CONNECTIONS,
        max_connections: MAX_CONNECTIONS,
        ..ListenerLimits::default()
    };
    let lab = rt.block_on(Lab::start(config))?;
    let result = bench_all(&mut c, &rt, &lab);
    rt.block_on(lab.shutdown());
    result?;
    c.final_summary();
    Ok(())
}

fn bench_all(c: &mut Criterion, rt: &Runtime, lab: &RunningLab) -> Result<(), BoxError> {
    let template = Arc::new(Template::new(lab.info())?);
    // One checked sign-in first: timing failures would be meaningless.
    let report = rt.block_on(sign_in(template.request()?));
    match report.outcome {
        Some(Outcome::SignedIn) => {}
        other => {
            return Err(format!(
                "the check sign-in did not succeed: outcome {other:?}, error {:?}",
                report.error
            )
            .into());
        }
    }

    let mut g = c.benchmark_group("signin-ntlm");
    // Iterations take milliseconds to a second: the same count in every sample.
    g.sampling_mode(SamplingMode::Flat);
    for &n in CONCURRENCY {
        g.throughput(Throughput::Elements(n));
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter_custom(|iters| {
                rt.block_on(LocalSet::new().run_until(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        sign_ins(&template, n).await;
                    }
                    start.elapsed()
                }))
            });
        });
    }
    g.finish();

    let tls = rt.block_on(HandshakePeer::start(lab))?;
    // And one checked handshake.
    rt.block_on(handshake(tls.addr, tls.client.clone()))?;
    let mut g = c.benchmark_group("tls-handshake");
    // Iterations take milliseconds to a second: the same count in every sample.
    g.sampling_mode(SamplingMode::Flat);
    for &n in CONCURRENCY {
        g.throughput(Throughput::Elements(n));
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter_custom(|iters| {
                rt.block_on(LocalSet::new().run_until(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        handshakes(&tls, n).await;
                    }
                    start.elapsed()
                }))
            });
        });
    }
    g.finish();
    rt.block_on(tls.shutdown());
    Ok(())
}

/// What every sign-in request shares (built once, outside the timing).
struct Template {
    info: LabInfo,
    tls: TlsSettings,
    machine: String,
}

impl Template {
    fn new(info: &LabInfo) -> Result<Self, BoxError> {
        let roots: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(&info.ca_file)?.collect::<Result<_, _>>()?;
        let tls = TlsSettings::new(&roots, Arc::new(rustls::time_provider::DefaultTimeProvider))?;
        Ok(Self {
            info: info.clone(),
            tls,
            machine: machine_name(),
        })
    }

    /// Alice's NTLM sign-in, shaped as `sfb-probe --lab` builds it.
    fn request(&self) -> Result<SignInRequest, BoxError> {
        let user = self.info.users.first().ok_or("the lab has no user")?;
        let domain = SipDomain::from_sip_uri(&user.sip_uri)?;
        Ok(SignInRequest {
            sip_uri: user.sip_uri.clone(),
            discovery: DiscoveryConfig::new(domain),
            dns_server: self.info.dns,
            dns_for_targets: true,
            login: Some(user.login.clone()),
            password: Some(sfb_certprov::Password::new(user.password.as_str())),
            scheme: SchemeChoice::Ntlm,
            realm: None,
            kdcs: Vec::new(),
            tls: self.tls.clone(),
            user_agent: None,
            stay: false,
            external: false,
            tool: "sfb-session bench".to_owned(),
            policy: sfb_trace::RedactionPolicy::default(),
            machine_name: self.machine.clone(),
            progress: None,
            cancel: None,
        })
    }
}

/// `n` sign-ins at once; any failure aborts the bench (a failed sign-in is not a sign-in).
async fn sign_ins(template: &Arc<Template>, n: u64) {
    let mut set = JoinSet::new();
    for _ in 0..n {
        let template = template.clone();
        set.spawn_local(async move {
            let request = template.request().expect("the request built before");
            sign_in(request).await.outcome
        });
    }
    while let Some(joined) = set.join_next().await {
        let outcome = joined.expect("a sign-in task panicked");
        assert!(
            matches!(outcome, Some(Outcome::SignedIn)),
            "a benchmarked sign-in failed: {outcome:?}"
        );
        black_box(outcome);
    }
}

/// A rustls server on loopback presenting a certificate from the lab's PKI, and the client
/// side's configuration.
struct HandshakePeer {
    addr: SocketAddr,
    client: tokio_rustls::TlsConnector,
    server: tokio::task::JoinHandle<()>,
}

impl HandshakePeer {
    async fn start(lab: &RunningLab) -> Result<Self, BoxError> {
        let pki = lab.pki();
        let identity = pki.server_identity(&[HANDSHAKE_NAME.to_owned()], Defect::None)?;
        let acceptor = tokio_rustls::TlsAcceptor::from(identity.server_config()?);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(pki.roots())
            .with_no_client_auth();
        // Every sign-in connection is a full handshake: so is every one measured here.
        client.resumption = rustls::client::Resumption::disabled();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut byte = [0u8; 1];
                    if tls.read_exact(&mut byte).await.is_ok() {
                        let _ = tls.write_all(&byte).await;
                        let _ = tls.flush().await;
                    }
                    // The server closes first: TIME_WAIT stays on its side, not on the
                    // client's ephemeral ports.
                });
            }
        });
        Ok(Self {
            addr,
            client: tokio_rustls::TlsConnector::from(Arc::new(client)),
            server,
        })
    }

    async fn shutdown(self) {
        self.server.abort();
        let _ = self.server.await;
    }
}

/// One TCP connect, one full TLS handshake, one byte there and back.
async fn handshake(addr: SocketAddr, client: tokio_rustls::TlsConnector) -> Result<(), BoxError> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from(HANDSHAKE_NAME)?;
    let mut tls = client.connect(name, tcp).await?;
    tls.write_all(b"x").await?;
    tls.flush().await?;
    let mut byte = [0u8; 1];
    tls.read_exact(&mut byte).await?;
    if &byte != b"x" {
        return Err("the handshake server echoed the wrong byte".into());
    }
    Ok(())
}

/// `n` handshakes at once; any failure aborts the bench.
async fn handshakes(peer: &HandshakePeer, n: u64) {
    let mut set = JoinSet::new();
    for _ in 0..n {
        let addr = peer.addr;
        let client = peer.client.clone();
        set.spawn_local(handshake(addr, client));
    }
    while let Some(joined) = set.join_next().await {
        joined
            .expect("a handshake task panicked")
            .expect("a benchmarked handshake failed");
    }
}
