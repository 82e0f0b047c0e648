//! `sfb signin` end to end: the binary against an in-process TLS server (rcgen CA, certificate
//! for 127.0.0.1) in front of the scripted registrar of sfb-session's tests; usage errors.

#[path = "../../../crates/sfb-session/tests/support/registrar.rs"]
mod registrar;

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use registrar::{Behaviour, PASSWORD, Registrar};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// A CA (PEM written to a temp file) and a TLS registrar on 127.0.0.1 whose certificate names
/// the address.
async fn server(b: Behaviour) -> (SocketAddr, std::path::PathBuf) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Signin Test Root");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let dir = std::env::temp_dir().join(format!(
        "sfb-signin-cli-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca_cert.pem()).unwrap();
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(leaf.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            )
            .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let b = b.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(sock).await else {
                    return;
                };
                let mut reg = Registrar::new(Behaviour {
                    fqdn: "127.0.0.1".into(),
                    ..b
                });
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    let n = match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    let out = reg.push(&buf[..n]);
                    if !out.is_empty() && tls.write_all(&out).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, ca_file)
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()))
}

async fn sfb(args: Vec<String>, env: Vec<(&'static str, &'static str)>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sfb"));
        c.args(&args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    })
    .await
    .unwrap()
}

fn args(addr: SocketAddr, ca: &std::path::Path, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "signin",
        "sip:alice@contoso.test",
        "--server",
        &addr.to_string(),
        "--dns",
        "127.0.0.1:9",
        "--ca",
        ca.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signs_in_with_ntlm_and_prints_the_trace() {
    let (addr, ca) = server(Behaviour::default()).await;
    let out = sfb(
        args(
            addr,
            &ca,
            &[
                "--user",
                "CONTOSO\\alice",
                "--password-env",
                "SFB_TEST_PW",
                "--auth",
                "ntlm",
                "--json",
            ],
        ),
        vec![("SFB_TEST_PW", PASSWORD)],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let trace: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(trace["schema"], "sfb.sign-in-trace/1");
    let steps: Vec<&str> = trace["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert!(
        steps.contains(&"authentication") && steps.contains(&"settings"),
        "{steps:?}"
    );
    assert!(
        stderr.contains("[ok  ] Authentication: signed in after 3 REGISTER transactions"),
        "{stderr}"
    );
    // The password is nowhere in the output.
    assert!(!String::from_utf8_lossy(&out.stdout).contains(PASSWORD));
    assert!(!stderr.contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_auth_reports_the_offers_and_exits_0() {
    let (addr, ca) = server(Behaviour::default()).await;
    let out = sfb(args(addr, &ca, &["--no-auth"]), vec![]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("401 offers NTLM"), "{stderr}");
    assert!(
        stdout.contains("-> REGISTER sip:contoso.test SIP/2.0"),
        "{stdout}"
    );
    assert!(stdout.contains("<- SIP/2.0 401 Unauthorized"), "{stdout}");
    assert!(stdout.contains("result: --no-auth"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_exits_1_at_authentication() {
    let (addr, ca) = server(Behaviour::default()).await;
    let out = sfb(
        args(
            addr,
            &ca,
            &["--password-env", "SFB_TEST_PW", "--auth", "ntlm"],
        ),
        vec![("SFB_TEST_PW", "not-the-password")],
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAILED at Authentication (auth.credentials_refused)"),
        "{stdout}"
    );
}

#[test]
fn usage_errors_exit_2() {
    for extra in [
        vec!["--auth", "tls-dsk", "--no-auth"],
        vec!["--kdc", "a b"],
        vec!["--server", ""],
    ] {
        let mut a = vec!["signin", "sip:alice@contoso.test", "--dns", "127.0.0.1:9"];
        a.extend(extra.iter());
        let out = Command::new(env!("CARGO_BIN_EXE_sfb"))
            .args(&a)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{a:?}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_sfb"))
        .args([
            "signin",
            "sip:alice@contoso.test",
            "--auth",
            "tls-dsk",
            "--no-auth",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("not yet supported"));
    // No password source and no terminal: a usage error, not a hang.
    let out = Command::new(env!("CARGO_BIN_EXE_sfb"))
        .args(["signin", "sip:alice@contoso.test", "--dns", "127.0.0.1:9"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
