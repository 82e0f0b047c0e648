//! The driver against a real dnsmasq on loopback, started by the test on a free port.
//!
//! When `dnsmasq` is missing the test fails if `SFB_REQUIRE_PEERS=1`, else it prints a skip note.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Zero, config, outcome};
use sfb_discovery::driver::discover;
use sfb_discovery::kdc::{KdcOptions, locate_kdcs};
use sfb_discovery::{EndpointSource, RecordType};

/// A dnsmasq child process, killed on drop.
struct Dnsmasq {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(pid_file(self.addr.port()));
    }
}

fn pid_file(port: u16) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("sfb-dnsmasq-{}-{port}.pid", std::process::id()))
}

fn find_dnsmasq() -> Option<String> {
    ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(str::to_owned)
        .or_else(|| {
            Command::new("sh")
                .args(["-c", "command -v dnsmasq"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .filter(|s| !s.is_empty())
        })
}

fn start(bin: &str, extra: &[&str]) -> Dnsmasq {
    // A free port: bind, read it, release (dnsmasq binds it right after).
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut args = vec![
        "-k".to_owned(),
        "--conf-file=/dev/null".into(),
        format!("--port={port}"),
        "--listen-address=127.0.0.1".into(),
        "--bind-interfaces".into(),
        "--no-resolv".into(),
        "--no-hosts".into(),
        "--local=/contoso.test/".into(),
        "--srv-host=_sipinternaltls._tcp.contoso.test,pool.contoso.test,5061,0,0".into(),
        "--srv-host=_sip._tls.contoso.test,sipexternal.contoso.test,443,10,50".into(),
        "--host-record=pool.contoso.test,127.0.0.1,::1".into(),
        "--host-record=sipexternal.contoso.test,127.0.0.2".into(),
        "--cname=lyncdiscover.contoso.test,pool.contoso.test".into(),
        "--log-facility=-".into(),
        // Own pid file: run as root, two instances would race for /var/run/dnsmasq.pid.
        format!("--pid-file={}", pid_file(port).display()),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let child = Command::new(bin)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn dnsmasq");
    let d = Dnsmasq {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
    };
    wait_ready(d.addr);
    d
}

/// Sends a minimal query until dnsmasq answers (it needs a few ms to bind).
fn wait_ready(addr: SocketAddr) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    // id 0x1234, RD, one question: pool.contoso.test A IN.
    let mut q = vec![0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for l in ["pool", "contoso", "test"] {
        q.push(l.len() as u8);
        q.extend_from_slice(l.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut buf = [0u8; 512];
    while Instant::now() < deadline {
        let _ = sock.send_to(&q, addr);
        if sock.recv_from(&mut buf).is_ok() {
            return;
        }
    }
    panic!("dnsmasq did not answer on {addr}");
}

/// The dnsmasq binary, or `None` after a skip note (a panic with `SFB_REQUIRE_PEERS=1`).
#[allow(
    clippy::print_stderr,
    reason = "the skip note must be loud on the test's stderr"
)]
fn dnsmasq_or_skip() -> Option<String> {
    let Some(bin) = find_dnsmasq() else {
        if std::env::var("SFB_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("dnsmasq not installed and SFB_REQUIRE_PEERS=1 (apt-get install dnsmasq-base)");
        }
        eprintln!(
            "!!!!! SKIPPED: dnsmasq not installed (apt-get install dnsmasq-base); set SFB_REQUIRE_PEERS=1 to fail instead !!!!!"
        );
        return None;
    };
    Some(bin)
}

#[tokio::test]
async fn discovery_against_real_dnsmasq() {
    let Some(bin) = dnsmasq_or_skip() else {
        return;
    };
    let dns = start(&bin, &[]);
    let r = discover(config(), dns.addr, Box::new(Zero)).await;
    drop(dns);

    let order: Vec<(&str, u16, EndpointSource)> = r
        .endpoints
        .iter()
        .map(|e| (e.host.as_str(), e.port, e.source))
        .collect();
    assert_eq!(
        order,
        [
            ("pool.contoso.test", 5061, EndpointSource::SrvInternalTls),
            (
                "sipexternal.contoso.test",
                443,
                EndpointSource::SrvExternalTls
            ),
            (
                "sipexternal.contoso.test",
                443,
                EndpointSource::HostSipExternal
            ),
        ]
    );
    let pool: Vec<String> = r.endpoints[0]
        .addresses
        .iter()
        .map(|a| a.to_string())
        .collect();
    assert_eq!(pool, ["127.0.0.1", "::1"]);
    assert_eq!(
        (r.endpoints[1].priority, r.endpoints[1].weight),
        (Some(10), Some(50))
    );
    assert!(r.endpoints.iter().all(|e| e.trusted));

    assert!(!r.autodiscover[0].exists);
    assert!(r.autodiscover[1].exists);
    assert_eq!(
        r.autodiscover[1].cname_chain[0].as_str(),
        "pool.contoso.test"
    );

    assert_eq!(
        outcome(&r, "lyncdiscoverinternal.contoso.test", RecordType::A),
        "nxdomain"
    );
    assert_eq!(
        outcome(&r, "sipexternal.contoso.test", RecordType::Aaaa),
        "nodata"
    );
    assert_eq!(outcome(&r, "sip.contoso.test", RecordType::A), "nxdomain");
    assert_eq!(outcome(&r, "pool.contoso.test", RecordType::A), "answer");
    let server = dns_addr_string(&r);
    assert!(server.starts_with("127.0.0.1:"), "{server}");
    assert!(!r.budget_exhausted);
}

fn dns_addr_string(r: &sfb_discovery::DiscoveryResult) -> String {
    r.evidence
        .first()
        .and_then(|e| e.server.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn kdc_location_against_real_dnsmasq() {
    let Some(bin) = dnsmasq_or_skip() else {
        return;
    };
    // Only the Active Directory locator name, two DCs at one priority, one of them preferred.
    let dns = start(
        &bin,
        &[
            "--srv-host=_kerberos._tcp.dc._msdcs.contoso.test,dc1.contoso.test,88,0,0",
            "--srv-host=_kerberos._tcp.dc._msdcs.contoso.test,dc2.contoso.test,88,10,100",
            "--host-record=dc1.contoso.test,127.0.0.21",
            "--host-record=dc2.contoso.test,127.0.0.22,::1",
        ],
    );
    let mut o = KdcOptions::new(dns.addr);
    o.query_timeout = Duration::from_millis(500);
    o.budget = Duration::from_secs(5);
    o.rng = Box::new(Zero);
    let l = locate_kdcs("CONTOSO.TEST", None, o).await.unwrap();
    drop(dns);
    let kdcs: Vec<String> = l.kdcs.iter().map(|(h, a)| format!("{h}={a}")).collect();
    assert_eq!(
        kdcs,
        [
            "dc1.contoso.test=127.0.0.21:88",
            "dc2.contoso.test=127.0.0.22:88",
            "dc2.contoso.test=[::1]:88",
        ]
    );
    let realm = l
        .evidence
        .iter()
        .find(|e| e.name.as_str() == "_kerberos._tcp.contoso.test")
        .unwrap();
    assert_eq!(realm.outcome.label(), "nxdomain");
    let ad = l
        .evidence
        .iter()
        .find(|e| e.name.as_str() == "_kerberos._tcp.dc._msdcs.contoso.test")
        .unwrap();
    assert_eq!(ad.outcome.label(), "answer");
    assert_eq!(ad.answers.len(), 2);
    assert!(!l.budget_exhausted);
}
