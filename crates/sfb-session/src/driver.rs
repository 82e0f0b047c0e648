//! The tokio driver of the connectivity step: TCP to every address of each target, in order,
//! then TLS through the recording verifier. The only code here that touches sockets and the
//! clock; the decisions are in `classify` and `verdict`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::time_provider::TimeProvider;
use rustls::{ClientConfig, RootCertStore, SupportedProtocolVersion};
use serde::Serialize;
use sfb_trace::{CertificateEvidence, TcpEvidence, TcpOutcome, Timestamp, TlsEvidence, TlsOutcome};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::certinfo::certificate_evidence;
use crate::classify::{Facts, classify};
use crate::error::ConnectError;
use crate::target::ConnectTarget;
use crate::tcp::classify_connect_error;
use crate::verifier::RecordingVerifier;

/// How far to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProbeMode {
    /// Like the client: stop at the first address that completes TLS.
    FirstSuccess,
    /// Every address of each target in order, stopping after the first target where at least
    /// one address completed TLS (so a dead member of a DNS-balanced pool shows).
    #[default]
    WholePool,
    /// Every address of every target.
    Everything,
}

/// Timeouts and bounds.
#[derive(Debug, Clone, Copy)]
pub struct ConnectOptions {
    /// TCP connect timeout per address.
    pub tcp_timeout: Duration,
    /// TLS handshake timeout per address.
    pub tls_timeout: Duration,
    /// How far to go.
    pub mode: ProbeMode,
    /// The most addresses tried per target (the rest are counted as skipped).
    pub max_addresses: usize,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            tcp_timeout: Duration::from_secs(5),
            tls_timeout: Duration::from_secs(10),
            mode: ProbeMode::default(),
            max_addresses: 16,
        }
    }
}

/// Trust anchors, crypto provider (ring), protocol versions and the injected clock.
#[derive(Debug, Clone)]
pub struct TlsSettings {
    roots: Arc<RootCertStore>,
    anchors: Vec<CertificateEvidence>,
    provider: Arc<CryptoProvider>,
    time: Arc<dyn TimeProvider>,
    versions: Vec<&'static SupportedProtocolVersion>,
}

impl TlsSettings {
    /// Trusts these roots (DER), with TLS 1.3 and 1.2, checking certificates at the time
    /// `time` gives (rustls's `DefaultTimeProvider` for the real clock).
    pub fn new(
        roots: &[CertificateDer<'static>],
        time: Arc<dyn TimeProvider>,
    ) -> Result<Self, ConnectError> {
        if roots.is_empty() {
            return Err(ConnectError::NoTrustAnchors);
        }
        let mut store = RootCertStore::empty();
        let mut anchors = Vec::with_capacity(roots.len());
        for (index, der) in roots.iter().enumerate() {
            store
                .add(der.clone())
                .map_err(|e| ConnectError::BadTrustAnchor {
                    index,
                    detail: e.to_string(),
                })?;
            let parsed = certificate_evidence(der).map_err(|e| ConnectError::BadTrustAnchor {
                index,
                detail: e.to_string(),
            })?;
            anchors.push(parsed);
        }
        Ok(Self {
            roots: Arc::new(store),
            anchors,
            provider: Arc::new(rustls::crypto::ring::default_provider()),
            time,
            versions: vec![&rustls::version::TLS13, &rustls::version::TLS12],
        })
    }

    /// Restricts the protocol versions offered (e.g. TLS 1.2 only).
    pub fn with_versions(mut self, versions: &[&'static SupportedProtocolVersion]) -> Self {
        self.versions = versions.to_vec();
        self
    }

    /// A client configuration with a fresh recording verifier.
    fn client_config(&self) -> Result<(Arc<ClientConfig>, Arc<RecordingVerifier>), ConnectError> {
        let webpki =
            WebPkiServerVerifier::builder_with_provider(self.roots.clone(), self.provider.clone())
                .build()?;
        let verifier = Arc::new(RecordingVerifier::new(webpki));
        let config = ClientConfig::builder_with_details(self.provider.clone(), self.time.clone())
            .with_protocol_versions(&self.versions)?
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth();
        Ok((Arc::new(config), verifier))
    }

    fn now(&self) -> Timestamp {
        self.time
            .current_time()
            .and_then(|t| Timestamp::from_unix_secs(i64::try_from(t.as_secs()).ok()?))
            .unwrap_or(Timestamp::EPOCH)
    }
}

/// One address tried: TCP, then TLS if TCP connected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressAttempt {
    /// The TCP attempt.
    pub tcp: TcpEvidence,
    /// The TLS handshake, if TCP connected.
    pub tls: Option<TlsEvidence>,
}

impl AddressAttempt {
    /// Did TLS complete with an accepted certificate?
    pub fn established(&self) -> bool {
        self.tls
            .as_ref()
            .is_some_and(|t| t.outcome == TlsOutcome::Established)
    }
}

/// Every attempt on one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetReport {
    /// The host.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The attempts, in order.
    pub attempts: Vec<AddressAttempt>,
    /// Addresses not tried (over the bound, or the probe stopped).
    pub skipped_addresses: usize,
}

/// What the probe found, and the first established connection (for the session to continue).
#[derive(Debug)]
pub struct Probe {
    /// One report per target tried, in order.
    pub reports: Vec<TargetReport>,
    /// The first established connection: (target index, attempt index, stream).
    pub connection: Option<(usize, usize, TlsStream<TcpStream>)>,
}

/// Tries the targets in order (see [`ProbeMode`]).
pub async fn probe(
    targets: &[ConnectTarget],
    settings: &TlsSettings,
    opts: &ConnectOptions,
) -> Result<Probe, ConnectError> {
    // Every name is checked before the first packet, so an error never hides evidence.
    let names = targets
        .iter()
        .map(|t| {
            ServerName::try_from(t.expected_name.clone()).map_err(|_| {
                ConnectError::InvalidServerName {
                    name: t.expected_name.clone(),
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Probe {
        reports: Vec::new(),
        connection: None,
    };
    for (ti, (target, server_name)) in targets.iter().zip(&names).enumerate() {
        let mut report = TargetReport {
            host: target.host.clone(),
            port: target.port,
            attempts: Vec::new(),
            skipped_addresses: 0,
        };
        let tried = target.addresses.len().min(opts.max_addresses);
        for (ai, addr) in target.addresses.iter().take(tried).enumerate() {
            let sock = SocketAddr::new(*addr, target.port);
            let (attempt, stream) =
                try_address(target, ai, sock, server_name, settings, opts).await?;
            report.attempts.push(attempt);
            if let Some(stream) = stream
                && out.connection.is_none()
            {
                out.connection = Some((ti, ai, stream));
            }
            if opts.mode == ProbeMode::FirstSuccess && out.connection.is_some() {
                break;
            }
        }
        report.skipped_addresses = target.addresses.len() - report.attempts.len();
        out.reports.push(report);
        if opts.mode != ProbeMode::Everything && out.connection.is_some() {
            break;
        }
    }
    Ok(out)
}

/// TCP then TLS on one address.
async fn try_address(
    target: &ConnectTarget,
    index: usize,
    sock: SocketAddr,
    server_name: &ServerName<'static>,
    settings: &TlsSettings,
    opts: &ConnectOptions,
) -> Result<(AddressAttempt, Option<TlsStream<TcpStream>>), ConnectError> {
    let started_at = settings.now();
    let t0 = Instant::now();
    let connected = tokio::time::timeout(opts.tcp_timeout, TcpStream::connect(sock)).await;
    let mut tcp = TcpEvidence {
        host: target.host.clone(),
        address: sock.ip(),
        port: sock.port(),
        address_index: u32::try_from(index).unwrap_or(u32::MAX),
        started_at,
        elapsed_ms: millis(t0.elapsed()),
        timeout_ms: millis(opts.tcp_timeout),
        outcome: TcpOutcome::Connected,
        os_error: None,
        os_error_code: None,
        local_address: None,
    };
    let stream = match connected {
        Ok(Ok(stream)) => {
            tcp.local_address = stream.local_addr().ok().map(|a| a.to_string());
            stream
        }
        Ok(Err(e)) => {
            let (outcome, text, code) = classify_connect_error(&e);
            (tcp.outcome, tcp.os_error, tcp.os_error_code) = (outcome, Some(text), code);
            return Ok((AddressAttempt { tcp, tls: None }, None));
        }
        Err(_) => {
            tcp.outcome = TcpOutcome::Timeout;
            return Ok((AddressAttempt { tcp, tls: None }, None));
        }
    };
    let (config, verifier) = settings.client_config()?;
    let mut tls = TlsEvidence {
        host: target.host.clone(),
        address: sock.ip(),
        port: sock.port(),
        expected_name: target.expected_name.clone(),
        name_source: target.name_source,
        started_at: settings.now(),
        elapsed_ms: 0,
        outcome: TlsOutcome::Failed,
        protocol_version: None,
        cipher_suite: None,
        verified_at: None,
        chain: Vec::new(),
        unparsable: Vec::new(),
        failure: None,
        error: None,
    };
    let t1 = Instant::now();
    let handshake = tokio::time::timeout(
        opts.tls_timeout,
        TlsConnector::from(config).connect(server_name.clone(), stream),
    )
    .await;
    tls.elapsed_ms = millis(t1.elapsed());
    if let Some(presented) = verifier.presented() {
        tls.verified_at =
            Timestamp::from_unix_secs(i64::try_from(presented.now.as_secs()).unwrap_or(0));
        for (i, der) in presented.chain.iter().enumerate() {
            match certificate_evidence(der) {
                Ok(c) => tls.chain.push(c),
                Err(_) => tls.unparsable.push(u32::try_from(i).unwrap_or(u32::MAX)),
            }
        }
    }
    let established = match handshake {
        Ok(Ok(stream)) => {
            let conn = &stream.get_ref().1;
            tls.outcome = TlsOutcome::Established;
            tls.protocol_version = conn.protocol_version().map(version_name);
            tls.cipher_suite = conn
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite()));
            Some(stream)
        }
        Ok(Err(e)) => {
            let rustls_error = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>());
            let facts = Facts {
                chain: &tls.chain,
                anchors: &settings.anchors,
                expected_name: &target.expected_name,
                name_source: target.name_source,
                now: tls.verified_at.unwrap_or(tls.started_at),
            };
            tls.failure = Some(match rustls_error {
                Some(re) => classify(re, &facts),
                None => sfb_trace::TlsFailure::Handshake {
                    detail: e.to_string(),
                },
            });
            tls.error = Some(e.to_string());
            None
        }
        Err(_) => {
            tls.outcome = TlsOutcome::Timeout;
            None
        }
    };
    Ok((
        AddressAttempt {
            tcp,
            tls: Some(tls),
        },
        established,
    ))
}

/// `TLSv1.3`, `TLSv1.2`, ...
fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_owned(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_owned(),
        rustls::ProtocolVersion::TLSv1_1 => "TLSv1.1".to_owned(),
        rustls::ProtocolVersion::TLSv1_0 => "TLSv1.0".to_owned(),
        other => format!("{other:?}"),
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
