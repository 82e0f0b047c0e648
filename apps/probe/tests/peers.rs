//! The diagnosis matrix against peers we did not write: the real `sfb-probe` binary (`--json`)
//! against `openssl s_server` with bad certificates (expired, wrong name, untrusted root,
//! leaf-only with an AIA caIssuers URL), a closed port, dnsmasq zones (no records, an SRV
//! outside the domain) and a sipp registrar behind socat answering 404 with
//! `ms-diagnostics: 4005`. Each case asserts the step to blame, its status, the cause code and
//! the report's root cause.
//!
//! Every case names its server through a dnsmasq started here on a free port (`--dns`), so no
//! case depends on the machine's resolver. A missing peer (dnsmasq, openssl, sipp, socat) is a
//! loud skip, or a failure under `SFB_REQUIRE_PEERS=1`.

use std::io::Read as _;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use serde_json::Value;

/// The pool FQDN every TLS case connects to (mapped to 127.0.0.1 by the test's dnsmasq).
const POOL: &str = "sip.contoso.test";
/// Where the test PKI says its issuing CA is published (nothing serves it).
const AIA_URL: &str = "http://pki.contoso.test/aia/issuing.crt";
/// How long one probe run may take before the test calls it a hang.
const PROBE_DEADLINE: Duration = Duration::from_secs(90);

// ---------------------------------------------------------------------------------------------
// Peers: finding them, starting them, stopping them.

/// The path of `cmd`, or `None` after a loud skip note (a panic under `SFB_REQUIRE_PEERS=1`).
#[allow(clippy::print_stderr, reason = "the skip note must be loud")]
fn peer(cmd: &str) -> Option<PathBuf> {
    let found = ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin", "/sbin"]
        .iter()
        .map(|d| Path::new(d).join(cmd))
        .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var("SFB_REQUIRE_PEERS").as_deref() != Ok("1"),
            "required test peer missing: {cmd} (SFB_REQUIRE_PEERS=1)"
        );
        eprintln!(
            "\n!!!!! SKIPPED: test peer missing: {cmd} (set SFB_REQUIRE_PEERS=1 to make this fail) !!!!!\n"
        );
    }
    found
}

/// The peers a case needs, all present (or `None` after the skip notes).
fn peers(cmds: &[&str]) -> Option<Vec<PathBuf>> {
    // Check all of them, so one run names every missing peer.
    let found: Vec<Option<PathBuf>> = cmds.iter().map(|c| peer(c)).collect();
    found.into_iter().collect()
}

/// A case's scratch directory and its peer processes, killed (by their own pid) on drop.
struct Case {
    dir: PathBuf,
    children: Vec<Child>,
}

impl Case {
    fn new(tag: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("sfb-probe-peers-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            dir,
            children: Vec::new(),
        }
    }

    fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn spawn(&mut self, cmd: &mut Command) {
        let child = cmd
            .current_dir(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
        self.children.push(child);
    }

    /// Starts dnsmasq on a free port with these extra options (zones, records); returns the
    /// `--dns` value.
    fn dnsmasq(&mut self, bin: &Path, records: &[String]) -> String {
        let port = free_udp_port();
        let mut cmd = Command::new(bin);
        cmd.args([
            "-k",
            "--conf-file=/dev/null",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--no-resolv",
            "--no-hosts",
            "--log-facility=-",
            // Authoritative for the test zones: absent names are NXDOMAIN, not "refused".
            "--local=/contoso.test/",
            "--local=/fabrikam.test/",
        ])
        .arg(format!("--port={port}"))
        // Its own pid file: two instances would race for /var/run/dnsmasq.pid.
        .arg(format!(
            "--pid-file={}",
            self.dir.join("dnsmasq.pid").display()
        ))
        .args(records);
        self.spawn(&mut cmd);
        wait_dns(port);
        format!("127.0.0.1:{port}")
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// dnsmasq mapping the pool name to 127.0.0.1.
fn pool_zone() -> Vec<String> {
    vec![format!("--host-record={POOL},127.0.0.1")]
}

fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_tcp(port: u16) {
    let t0 = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "port {port} never opened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends a query (sip.contoso.test A) until dnsmasq answers anything.
fn wait_dns(port: u16) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut q = vec![0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in POOL.split('.') {
        q.push(u8::try_from(label.len()).unwrap());
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 512];
    while Instant::now() < deadline {
        let _ = sock.send_to(&q, ("127.0.0.1", port));
        if sock.recv_from(&mut buf).is_ok() {
            return;
        }
    }
    panic!("dnsmasq did not answer on 127.0.0.1:{port}");
}

// ---------------------------------------------------------------------------------------------
// Certificates.

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.distinguished_name
        .push(DnType::OrganizationName, "Peers Test");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p
}

/// A root and an issuing CA under it.
struct Pki {
    root_pem: String,
    inter_pem: String,
    inter: Issuer<'static, KeyPair>,
}

impl Pki {
    fn new(root_cn: &str, inter_cn: &str) -> Self {
        let root_key = KeyPair::generate().unwrap();
        let root_params = ca_params(root_cn);
        let root_cert = root_params.self_signed(&root_key).unwrap();
        let root = Issuer::new(root_params, root_key);
        let inter_key = KeyPair::generate().unwrap();
        let inter_params = ca_params(inter_cn);
        let inter_cert = inter_params.signed_by(&inter_key, &root).unwrap();
        Self {
            root_pem: root_cert.pem(),
            inter_pem: inter_cert.pem(),
            inter: Issuer::new(inter_params, inter_key),
        }
    }

    /// A server leaf for `names`, issued by the intermediate, naming the AIA caIssuers URL
    /// (as every enterprise CA does); `validity` in whole years.
    fn leaf(&self, names: &[&str], validity: Option<(i32, i32)>) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let mut p =
            CertificateParams::new(names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
                .unwrap();
        p.distinguished_name.push(DnType::CommonName, names[0]);
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        p.use_authority_key_identifier_extension = true;
        p.custom_extensions.push(aia_ca_issuers(AIA_URL));
        if let Some((from, to)) = validity {
            p.not_before = rcgen::date_time_ymd(from, 1, 1);
            p.not_after = rcgen::date_time_ymd(to, 1, 1);
        }
        let cert = p.signed_by(&key, &self.inter).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// The AIA extension (RFC 5280 §4.2.2.1) with one caIssuers URI, DER by hand (short URLs).
fn aia_ca_issuers(url: &str) -> CustomExtension {
    let method = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
    let mut access = method.to_vec();
    access.push(0x86);
    access.push(u8::try_from(url.len()).unwrap());
    access.extend_from_slice(url.as_bytes());
    let mut desc = vec![0x30, u8::try_from(access.len()).unwrap()];
    desc.extend(access);
    let mut content = vec![0x30, u8::try_from(desc.len()).unwrap()];
    content.extend(desc);
    CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], content)
}

// ---------------------------------------------------------------------------------------------
// The probe and its report.

/// Runs `sfb-probe <args> --json`; returns the exit code and the parsed report.
fn probe(args: &[&str]) -> (i32, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sfb-probe"))
        .args(args)
        .arg("--json")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let t0 = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if t0.elapsed() > PROBE_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sfb-probe {args:?} did not finish in {PROBE_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    let report: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("sfb-probe {args:?}: not JSON ({e}): {out}\nstderr: {err}"));
    (status.code().unwrap_or(-1), report)
}

/// Every verdict of the report, one line each (for failure messages).
fn summary(report: &Value) -> String {
    let mut lines = vec![format!("root_cause: {}", report["root_cause"])];
    for step in report["steps"].as_array().into_iter().flatten() {
        for v in step["verdicts"].as_array().into_iter().flatten() {
            lines.push(format!(
                "{} {} {}: {}",
                v["step"], v["status"], v["cause"], v["sentence"]
            ));
        }
    }
    lines.join("\n")
}

/// The report blames `step` with `status` and `cause`, names it as the root cause (when
/// `root` is set), and exits 1.
fn assert_blames(code: i32, report: &Value, step: &str, status: &str, cause: &str, root: bool) {
    let all = summary(report);
    let record = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == step)
        .unwrap_or_else(|| panic!("no step {step}:\n{all}"));
    let found = record["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["cause"] == cause)
        .unwrap_or_else(|| panic!("step {step} has no {cause} verdict:\n{all}"));
    assert_eq!(found["status"], status, "{all}");
    assert_eq!(record["status"], status, "the step's status:\n{all}");
    let sentence = found["sentence"].as_str().unwrap_or_default();
    assert!(!sentence.is_empty(), "a cause without a sentence:\n{all}");
    if root {
        assert_eq!(report["root_cause"]["step"], step, "{all}");
        assert_eq!(report["root_cause"]["cause"], cause, "{all}");
    }
    if status == "fail" {
        assert_eq!(code, 1, "a failed sign-in exits 1:\n{all}");
    }
}

// ---------------------------------------------------------------------------------------------
// openssl s_server with bad certificates.

/// How the TLS peer is set up.
enum Tls {
    /// Leaf valid 2019–2022, chain sent.
    Expired,
    /// Leaf for another name, chain sent.
    WrongName,
    /// Leaf and intermediate from a CA the client does not trust.
    UntrustedRoot,
    /// The leaf alone (it names the intermediate's AIA URL).
    LeafOnly,
}

/// `openssl s_server` serving `kind`'s certificate; the probe trusts the contoso root only.
fn tls_case(tag: &str, kind: &Tls) -> Option<(i32, Value, Case)> {
    let bins = peers(&["dnsmasq", "openssl"])?;
    let mut case = Case::new(tag);
    let dns = case.dnsmasq(&bins[0], &pool_zone());
    let trusted = Pki::new("Contoso Peers Root", "Contoso Peers Issuing CA");
    let rogue = Pki::new("Fabrikam Rogue Root", "Fabrikam Rogue Issuing CA");
    let (pki, names, validity, chain) = match kind {
        Tls::Expired => (&trusted, [POOL], Some((2019, 2022)), true),
        Tls::WrongName => (&trusted, ["lyncpool.contoso.test"], None, true),
        Tls::UntrustedRoot => (&rogue, [POOL], None, true),
        Tls::LeafOnly => (&trusted, [POOL], None, false),
    };
    let (cert, key) = pki.leaf(&names, validity);
    case.write("cert.pem", &cert);
    case.write("key.pem", &key);
    case.write("chain.pem", &pki.inter_pem);
    let ca = case.write("root.pem", &trusted.root_pem);
    let port = free_tcp_port();
    let mut cmd = Command::new(&bins[1]);
    cmd.args(["s_server", "-quiet", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-cert", "cert.pem", "-key", "key.pem"]);
    if chain {
        cmd.args(["-cert_chain", "chain.pem"]);
    }
    case.spawn(&mut cmd);
    wait_tcp(port);
    let server = format!("{POOL}:{port}");
    let (code, report) = probe(&[
        "sip:alice@contoso.test",
        "--server",
        &server,
        "--dns",
        &dns,
        "--ca",
        ca.to_str().unwrap(),
    ]);
    Some((code, report, case))
}

#[test]
fn openssl_expired_certificate_is_tls_expired() {
    let Some((code, report, _case)) = tls_case("expired", &Tls::Expired) else {
        return;
    };
    assert_blames(code, &report, "connectivity", "fail", "tls.expired", true);
}

#[test]
fn openssl_wrong_name_is_tls_name_mismatch() {
    let Some((code, report, _case)) = tls_case("name", &Tls::WrongName) else {
        return;
    };
    assert_blames(
        code,
        &report,
        "connectivity",
        "fail",
        "tls.name_mismatch",
        true,
    );
    assert!(
        summary(&report).contains("lyncpool.contoso.test"),
        "the presented name is told"
    );
}

#[test]
fn openssl_untrusted_root_is_tls_untrusted_root() {
    let Some((code, report, _case)) = tls_case("untrusted", &Tls::UntrustedRoot) else {
        return;
    };
    assert_blames(
        code,
        &report,
        "connectivity",
        "fail",
        "tls.untrusted_root",
        true,
    );
    assert!(
        summary(&report).contains("Fabrikam Rogue Root"),
        "the untrusted root is named"
    );
}

#[test]
fn openssl_leaf_only_is_tls_incomplete_chain() {
    let Some((code, report, _case)) = tls_case("leafonly", &Tls::LeafOnly) else {
        return;
    };
    assert_blames(
        code,
        &report,
        "connectivity",
        "fail",
        "tls.incomplete_chain",
        true,
    );
    assert!(
        summary(&report).contains("Contoso Peers Issuing CA"),
        "the missing intermediate is named"
    );
}

// ---------------------------------------------------------------------------------------------
// A closed port and dnsmasq zones.

#[test]
fn closed_port_is_tcp_refused() {
    let Some(bins) = peers(&["dnsmasq"]) else {
        return;
    };
    let mut case = Case::new("refused");
    let dns = case.dnsmasq(&bins[0], &pool_zone());
    // Bound, read and released: nothing listens there now.
    let server = format!("{POOL}:{}", free_tcp_port());
    let (code, report) = probe(&["sip:alice@contoso.test", "--server", &server, "--dns", &dns]);
    assert_blames(code, &report, "connectivity", "fail", "tcp.refused", true);
}

#[test]
fn dnsmasq_empty_zone_is_discovery_no_records() {
    let Some(bins) = peers(&["dnsmasq"]) else {
        return;
    };
    let mut case = Case::new("norecords");
    // contoso.test is served (authoritatively) with no record at all.
    let dns = case.dnsmasq(&bins[0], &[]);
    let (code, report) = probe(&["sip:alice@contoso.test", "--dns", &dns]);
    assert_blames(
        code,
        &report,
        "discovery",
        "fail",
        "discovery.no_records",
        true,
    );
}

#[test]
fn dnsmasq_srv_outside_the_domain_is_discovery_strict_naming() {
    let Some(bins) = peers(&["dnsmasq"]) else {
        return;
    };
    let mut case = Case::new("strict");
    // The only record of contoso.test: its internal SRV, pointing into fabrikam.test (at a
    // closed port, so whatever the session does next ends quickly).
    let port = free_tcp_port();
    let dns = case.dnsmasq(
        &bins[0],
        &[
            format!("--srv-host=_sipinternaltls._tcp.contoso.test,pool.fabrikam.test,{port},0,0"),
            "--host-record=pool.fabrikam.test,127.0.0.1".to_owned(),
        ],
    );
    let (code, report) = probe(&["sip:alice@contoso.test", "--dns", &dns]);
    // Nothing in contoso.test answers: strict naming is a failure, not a warning.
    assert_blames(
        code,
        &report,
        "discovery",
        "fail",
        "discovery.strict_naming",
        true,
    );
    assert!(
        summary(&report).contains("pool.fabrikam.test"),
        "the record chain is told"
    );
}

// ---------------------------------------------------------------------------------------------
// A sipp registrar (behind socat for TLS).

#[test]
fn sipp_404_with_4005_is_auth_not_sip_enabled() {
    let Some(bins) = peers(&["dnsmasq", "sipp", "socat"]) else {
        return;
    };
    let mut case = Case::new("sipp404");
    let dns = case.dnsmasq(&bins[0], &pool_zone());
    let pki = Pki::new("Contoso Peers Root", "Contoso Peers Issuing CA");
    let (cert, key) = pki.leaf(&[POOL], None);
    let both = case.write("both.pem", &format!("{cert}{}{key}", pki.inter_pem));
    let ca = case.write("root.pem", &pki.root_pem);
    let password = case.write("password", "Throwaway-Peers-1\n");
    case.write(
        "uas.xml",
        r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="sfb registrar: 404 4005">
  <recv request="REGISTER" />
  <send>
    <![CDATA[
      SIP/2.0 404 Not Found
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      ms-diagnostics: 4005;reason="Destination URI either not enabled for SIP or does not exist";source="pool01.contoso.test"
      Server: RTC/7.0
      Content-Length: 0
    ]]>
  </send>
</scenario>
"#,
    );
    let sip_port = free_tcp_port();
    let tls_port = free_tcp_port();
    case.spawn(
        Command::new(&bins[1])
            .args(["-sf", "uas.xml", "-t", "t1", "-i", "127.0.0.1", "-p"])
            .arg(sip_port.to_string())
            .args(["-m", "1", "-nostdin"]),
    );
    wait_tcp(sip_port);
    case.spawn(
        Command::new(&bins[2])
            .arg(format!(
                "OPENSSL-LISTEN:{tls_port},reuseaddr,fork,bind=127.0.0.1,cert={},verify=0",
                both.display()
            ))
            .arg(format!("TCP:127.0.0.1:{sip_port}")),
    );
    wait_tcp(tls_port);
    let server = format!("{POOL}:{tls_port}");
    let (code, report) = probe(&[
        "sip:alice@contoso.test",
        "--user",
        "CONTOSO\\alice",
        "--password-file",
        password.to_str().unwrap(),
        "--auth",
        "ntlm",
        "--server",
        &server,
        "--dns",
        &dns,
        "--ca",
        ca.to_str().unwrap(),
    ]);
    assert_blames(
        code,
        &report,
        "connectivity",
        "pass",
        "connectivity.ok",
        false,
    );
    assert_blames(
        code,
        &report,
        "authentication",
        "fail",
        "auth.not_sip_enabled",
        true,
    );
    let all = summary(&report);
    assert!(all.contains("4005"), "the diagnostic code is told:\n{all}");
    let trace = report["trace"].to_string();
    assert!(
        !trace.contains("Throwaway-Peers-1"),
        "the password never reaches the report"
    );
}
