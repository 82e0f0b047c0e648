//! Shared fixtures: an rcgen PKI (root, intermediate, leaves), an injected clock and an
//! in-process tokio-rustls server.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part of the fixtures

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CrlDistributionPoint, CustomExtension, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::time_provider::TimeProvider;
use rustls::{ServerConfig, SupportedProtocolVersion};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// 2026-06-01T00:00:00Z: the injected "now" of every test.
pub const NOW_SECS: u64 = 1_780_272_000;

/// A clock that always says the same thing.
#[derive(Debug)]
pub struct FixedTime(pub u64);

impl TimeProvider for FixedTime {
    fn current_time(&self) -> Option<UnixTime> {
        Some(UnixTime::since_unix_epoch(Duration::from_secs(self.0)))
    }
}

pub fn now() -> Arc<dyn TimeProvider> {
    Arc::new(FixedTime(NOW_SECS))
}

pub const AIA_URL: &str = "http://pki.contoso.test/inter.crt";
pub const OCSP_URL: &str = "http://ocsp.contoso.test";
pub const CRL_URL: &str = "http://pki.contoso.test/inter.crl";

/// A root and an intermediate CA.
pub struct Pki {
    pub root: CertificateDer<'static>,
    pub root_pem: String,
    root_issuer: Issuer<'static, KeyPair>,
    pub inter: CertificateDer<'static>,
    pub inter_pem: String,
    inter_issuer: Issuer<'static, KeyPair>,
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.distinguished_name
        .push(DnType::OrganizationName, "Contoso Test");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p
}

impl Pki {
    pub fn new(root_cn: &str) -> Self {
        let root_key = KeyPair::generate().expect("key");
        let root_params = ca_params(root_cn);
        let root_cert = root_params.self_signed(&root_key).expect("root");
        let root_issuer = Issuer::new(root_params, root_key);
        let inter_key = KeyPair::generate().expect("key");
        let inter_params = ca_params("Contoso Test Issuing CA");
        let inter_cert = inter_params
            .signed_by(&inter_key, &root_issuer)
            .expect("inter");
        Self {
            root: root_cert.der().clone(),
            root_pem: root_cert.pem(),
            root_issuer,
            inter: inter_cert.der().clone(),
            inter_pem: inter_cert.pem(),
            inter_issuer: Issuer::new(inter_params, inter_key),
        }
    }

    /// A leaf issued by the intermediate.
    pub fn leaf(&self, spec: &LeafSpec) -> Leaf {
        let key = KeyPair::generate().expect("key");
        let mut p = CertificateParams::new(
            spec.sans
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<_>>(),
        )
        .expect("params");
        p.distinguished_name.push(
            DnType::CommonName,
            spec.sans.first().copied().unwrap_or("no-san"),
        );
        p.extended_key_usages = spec.ekus.clone();
        if let Some((from, to)) = spec.validity {
            p.not_before = rcgen::date_time_ymd(from, 1, 1);
            p.not_after = rcgen::date_time_ymd(to, 1, 1);
        }
        p.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec![CRL_URL.to_owned()],
        }];
        p.custom_extensions = vec![aia(&[(OCSP, OCSP_URL), (CA_ISSUERS, AIA_URL)])];
        let cert = p.signed_by(&key, &self.inter_issuer).expect("leaf");
        Leaf {
            cert: cert.der().clone(),
            cert_pem: cert.pem(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
            key_pem: key.serialize_pem(),
        }
    }
}

pub struct LeafSpec {
    pub sans: Vec<&'static str>,
    pub ekus: Vec<ExtendedKeyUsagePurpose>,
    pub validity: Option<(i32, i32)>,
}

impl LeafSpec {
    pub fn named(name: &'static str) -> Self {
        Self {
            sans: vec![name],
            ekus: vec![ExtendedKeyUsagePurpose::ServerAuth],
            validity: None,
        }
    }
}

pub struct Leaf {
    pub cert: CertificateDer<'static>,
    pub cert_pem: String,
    pub key: PrivateKeyDer<'static>,
    pub key_pem: String,
}

const OCSP: [u8; 8] = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01];
const CA_ISSUERS: [u8; 8] = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];

/// RFC 5280 §4.2.2.1 AuthorityInfoAccessSyntax, DER by hand (short URLs only).
fn aia(entries: &[([u8; 8], &str)]) -> CustomExtension {
    let mut seq = Vec::new();
    for (oid, url) in entries {
        let mut desc = vec![0x06, 0x08];
        desc.extend_from_slice(oid);
        desc.push(0x86);
        desc.push(u8::try_from(url.len()).expect("short url"));
        desc.extend_from_slice(url.as_bytes());
        seq.push(0x30);
        seq.push(u8::try_from(desc.len()).expect("short"));
        seq.extend(desc);
    }
    let mut content = vec![0x30, u8::try_from(seq.len()).expect("short")];
    content.extend(seq);
    CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], content)
}

/// Serves TLS on 127.0.0.1 with this chain until the test ends; returns the address.
pub async fn serve(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    versions: &[&'static SupportedProtocolVersion],
) -> SocketAddr {
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(versions)
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("server cert");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(sock).await {
                    let mut buf = [0u8; 64];
                    let _ = tls.read(&mut buf).await;
                }
            });
        }
    });
    addr
}
