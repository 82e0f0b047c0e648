//! `sfb discover` end to end against a real dnsmasq on loopback (an independent DNS server).

// A missing peer is reported on stderr when it may be skipped.
#![allow(clippy::print_stderr)]

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Dnsmasq {
    child: Child,
    port: u16,
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn require_peers() -> bool {
    std::env::var("SFB_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

fn dnsmasq_path() -> Option<std::path::PathBuf> {
    ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.is_file())
}

/// Starts dnsmasq serving a contoso.test zone: one internal SRV inside the domain, one external
/// SRV pointing outside it (a strict-naming violation), and their A records.
fn start() -> Option<Dnsmasq> {
    let Some(bin) = dnsmasq_path() else {
        assert!(
            !require_peers(),
            "dnsmasq is missing and SFB_REQUIRE_PEERS=1"
        );
        eprintln!("SKIPPED: dnsmasq not installed (apt-get install dnsmasq-base)");
        return None;
    };
    for _ in 0..20 {
        let port = UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(&bin)
            .args([
                "-k",
                "--conf-file=/dev/null",
                &format!("--port={port}"),
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--no-resolv",
                "--no-hosts",
                "--local=/contoso.test/",
                "--local=/fabrikam.test/",
                "--srv-host=_sipinternaltls._tcp.contoso.test,pool1.contoso.test,5061,0,0",
                "--srv-host=_sip._tls.contoso.test,edge.fabrikam.test,443,0,0",
                "--host-record=pool1.contoso.test,127.0.0.11",
                "--host-record=pool1.contoso.test,127.0.0.12",
                "--host-record=edge.fabrikam.test,127.0.0.21",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn dnsmasq");
        std::thread::sleep(Duration::from_millis(200));
        if child.try_wait().unwrap().is_none() {
            return Some(Dnsmasq { child, port });
        }
        // Lost the port race: try another one.
        let _ = child.wait();
    }
    panic!("dnsmasq did not start");
}

fn sfb(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sfb"))
        .args(args)
        .output()
        .expect("run sfb")
}

#[test]
fn discover_orders_endpoints_and_flags_strict_naming() {
    let Some(dns) = start() else { return };
    let server = format!("127.0.0.1:{}", dns.port);
    let out = sfb(&[
        "discover",
        "sip:alice@contoso.test",
        "--dns",
        &server,
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], 1);
    let eps = v["endpoints"].as_array().unwrap();
    assert_eq!(eps[0]["host"], "pool1.contoso.test");
    assert_eq!(eps[0]["port"], 5061);
    assert_eq!(eps[0]["transport"], "tls");
    assert_eq!(eps[0]["source"], "srv_internal_tls");
    assert_eq!(eps[0]["trusted"], true);
    // Both addresses of the pool, in the order the server sent them.
    let mut addrs: Vec<&str> = eps[0]["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    addrs.sort_unstable();
    assert_eq!(addrs, ["127.0.0.11", "127.0.0.12"]);
    let edge = eps
        .iter()
        .find(|e| e["host"] == "edge.fabrikam.test")
        .unwrap();
    assert_eq!(edge["trusted"], false);
    assert!(
        edge["trust"]["chain"]
            .as_str()
            .unwrap()
            .contains("_sip._tls.contoso.test SRV -> edge.fabrikam.test")
    );
    let evidence = v["evidence"].as_array().unwrap();
    assert!(evidence.iter().any(|q| q["name"] == "lyncdiscover.contoso.test"
        && q["outcome"]["kind"] == "nxdomain"));

    // --trust lifts the violation.
    let out = sfb(&[
        "discover",
        "alice@contoso.test",
        "--dns",
        &server,
        "--trust",
        "fabrikam.test",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("trusted (trusted domain fabrikam.test)"),
        "{text}"
    );
}

#[test]
fn nothing_found_exits_1_with_the_evidence() {
    let Some(dns) = start() else { return };
    let server = format!("127.0.0.1:{}", dns.port);
    let out = sfb(&["discover", "sip:bob@fabrikam.test", "--dns", &server]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("_sipinternaltls._tcp.fabrikam.test"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no SIP endpoint found"));
}

#[test]
fn invalid_uri_is_a_usage_error() {
    for bad in ["sip:alice@", "sip:alice@-bad-.test", "alice", "sip:a@b..c"] {
        let out = sfb(&["discover", bad, "--dns", "127.0.0.1:9"]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: invalid SIP URI"), "{bad}: {err}");
    }
}

#[test]
fn a_silent_name_server_is_bounded() {
    // A socket that reads and never answers: the budget must end the run.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = silent.local_addr().unwrap().to_string();
    let t = std::time::Instant::now();
    let out = sfb(&[
        "discover",
        "sip:alice@contoso.test",
        "--dns",
        &server,
        "--query-timeout-ms",
        "200",
        "--budget-ms",
        "600",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["evidence"].as_array().unwrap().iter().all(
            |q| q["outcome"]["kind"] == "timeout" || q["outcome"]["kind"] == "budget_exhausted"
        )
    );
}
