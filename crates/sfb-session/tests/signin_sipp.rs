//! The sign-in driver against a SIP stack we did not write: a sipp UAS (TCP) behind socat as
//! the TLS terminator (deps-and-peers.md §3.1, §3.5), with an rcgen certificate. `--no-auth`
//! reads sipp's 401 (offers, targetname, Server, Date); a 403 with ms-diagnostics is recorded
//! as a refusal. Missing sipp or socat fails the test under `SFB_REQUIRE_PEERS=1`.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::{LeafSpec, Pki, now};
use sfb_session::signin::{AuthMode, Endpoint, Outcome, SignIn, SignInConfig};
use sfb_session::{ConnectOptions, DriverOptions, TlsSettings, run_signin, system_resolver};
use sfb_trace::{EvidenceKind, NameSource, RedactionPolicy, SignInTrace, Step, Timestamp};

const NAME: &str = "sip.contoso.test";

/// Kills the peers (by their own pid) on drop.
struct Peers(Vec<Child>, PathBuf);

impl Drop for Peers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

fn have(cmd: &str) -> bool {
    ["/usr/bin", "/usr/local/bin", "/bin"]
        .iter()
        .any(|d| Path::new(d).join(cmd).exists())
}

#[allow(clippy::print_stderr, reason = "the skip note must be loud")]
fn missing(what: &str) -> bool {
    if std::env::var("SFB_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!("required test peer missing: {what} (SFB_REQUIRE_PEERS=1)");
    }
    eprintln!(
        "\n!!!!! SKIPPED: test peer missing: {what} (set SFB_REQUIRE_PEERS=1 to make this fail) !!!!!\n"
    );
    true
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_port(port: u16) {
    let t0 = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "port {port} never opened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// sipp playing `answer` to the first REGISTER, behind socat TLS; returns the TLS port.
fn start(pki: &Pki, tag: &str, answer: &str) -> Option<(Peers, u16)> {
    if !have("sipp") && missing("sipp") || !have("socat") && missing("socat") {
        return None;
    }
    let dir = std::env::temp_dir().join(format!("sfb-sipp-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = format!(
        r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="sfb registrar">
  <recv request="REGISTER" />
  <send>
    <![CDATA[
      {answer}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Server: RTC/7.0
      Date: Fri, 27 Nov 2026 08:00:00 GMT
      Content-Length: 0
    ]]>
  </send>
</scenario>
"#
    );
    std::fs::write(dir.join("uas.xml"), scenario).unwrap();
    let leaf = pki.leaf(&LeafSpec::named(NAME));
    std::fs::write(
        dir.join("both.pem"),
        format!("{}{}{}", leaf.cert_pem, pem(&pki.inter), leaf.key_pem),
    )
    .unwrap();
    let sip_port = free_port();
    let tls_port = free_port();
    let sipp = Command::new("sipp")
        .current_dir(&dir)
        .args(["-sf", "uas.xml", "-t", "t1", "-i", "127.0.0.1", "-p"])
        .arg(sip_port.to_string())
        .args(["-m", "1", "-nostdin"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut peers = Peers(vec![sipp], dir.clone());
    wait_port(sip_port);
    let socat = Command::new("socat")
        .arg(format!(
            "OPENSSL-LISTEN:{tls_port},reuseaddr,fork,bind=127.0.0.1,cert={},verify=0",
            dir.join("both.pem").display()
        ))
        .arg(format!("TCP:127.0.0.1:{sip_port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    peers.0.push(socat);
    wait_port(tls_port);
    Some((peers, tls_port))
}

fn pem(der: &rustls::pki_types::CertificateDer<'_>) -> String {
    use base64::Engine as _;
    let b = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let mut s = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap());
        s.push('\n');
    }
    s.push_str("-----END CERTIFICATE-----\n");
    s
}

async fn run(pki: &Pki, port: u16, auth: AuthMode) -> (Outcome, SignInTrace) {
    let cfg = SignInConfig::new(
        "sip:alice@contoso.test",
        auth,
        "WS01",
        (Instant::now(), SystemTime::now()),
    );
    let m = SignIn::new(
        cfg,
        vec![Endpoint::tls(NAME, port, "test")],
        Box::new(|b: &mut [u8]| b.fill(0x42)),
    )
    .unwrap();
    let mut t = SignInTrace::new(
        "test",
        "sip:alice@contoso.test",
        Timestamp::EPOCH,
        RedactionPolicy::default(),
    );
    let opts = DriverOptions {
        tls: TlsSettings::new(std::slice::from_ref(&pki.root), now()).unwrap(),
        connect: ConnectOptions::default(),
        resolver: system_resolver(),
        known: vec![(
            NAME.into(),
            vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            NameSource::Manual,
        )],
        kerberos: None,
        cancel: None,
        progress: None,
    };
    let o = run_signin(m, &mut t, opts).await;
    (o, t)
}

fn fact<'a>(t: &'a SignInTrace, source: &str) -> &'a std::collections::BTreeMap<String, String> {
    t.evidence
        .iter()
        .find_map(|e| match &e.kind {
            EvidenceKind::Fact(f) if f.source == source => Some(&f.fields),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no fact {source}: {}", t.to_json()))
}

#[tokio::test]
async fn no_auth_against_sipp_records_the_offers() {
    let pki = Pki::new("Sipp Test Root");
    let Some((_peers, port)) = start(
        &pki,
        "noauth",
        "SIP/2.0 401 Unauthorized\n      WWW-Authenticate: Kerberos realm=\"SIP Communications Service\", targetname=\"sip/sip.contoso.test\", version=4\n      WWW-Authenticate: NTLM realm=\"SIP Communications Service\", targetname=\"sip.contoso.test\", version=4",
    ) else {
        return;
    };
    let (o, t) = run(&pki, port, AuthMode::NoAuth).await;
    assert_eq!(o, Outcome::NoAuth, "{}", t.to_json());
    let f = fact(&t, "first_401");
    assert_eq!(f["offers"], "Kerberos,NTLM");
    assert_eq!(
        f["targetnames"],
        "Kerberos=sip/sip.contoso.test,NTLM=sip.contoso.test"
    );
    assert_eq!(f["server"], "RTC/7.0");
    assert!(f.contains_key("clock_skew_s"));
    let _: SocketAddr = f["endpoint"].replace(NAME, "127.0.0.1").parse().unwrap();
}

#[tokio::test]
async fn a_403_from_sipp_is_a_recorded_refusal() {
    let pki = Pki::new("Sipp Test Root");
    let Some((_peers, port)) = start(
        &pki,
        "forbidden",
        "SIP/2.0 403 Forbidden\n      ms-diagnostics: 4003;reason=\"User is not enabled for remote access\";source=\"edge.contoso.test\"",
    ) else {
        return;
    };
    let (o, t) = run(&pki, port, AuthMode::NoAuth).await;
    let Outcome::Failed { step, cause, .. } = o else {
        panic!("{}", t.to_json())
    };
    assert_eq!((step, cause), (Step::Authentication, "register.rejected"));
    let f = fact(&t, "refusal");
    assert_eq!(f["status"], "403");
    assert!(
        f["ms_diagnostics"].starts_with("4003;reason=\"User is not enabled for remote access\"")
    );
}
