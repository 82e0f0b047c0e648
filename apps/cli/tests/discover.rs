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
        // Ready when it answers a query; exited means it lost the port race.
        if answers(port, &mut child) {
            return Some(Dnsmasq { child, port });
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("dnsmasq did not start");
}

/// Sends a query (pool1.contoso.test A) until dnsmasq answers (true), exits or stays silent
/// for 10 s (false). A fixed sleep is not enough on a loaded machine.
fn answers(port: u16, child: &mut Child) -> bool {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut q = vec![0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in ["pool1", "contoso", "test"] {
        q.push(u8::try_from(label.len()).unwrap());
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 512];
    while std::time::Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let _ = sock.send_to(&q, ("127.0.0.1", port));
        if sock.recv_from(&mut buf).is_ok() {
            return true;
        }
    }
    false
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
    // The queries are shown as they are answered, before the endpoints.
    let queries = text.find("queries, as they are answered:").unwrap();
    let srv = text
        .find("_sipinternaltls._tcp.contoso.test                answer")
        .unwrap();
    let endpoints = text.find("endpoints from DNS").unwrap();
    assert!(queries < srv && srv < endpoints, "{text}");
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

    // In text mode the bounds are printed before the wait, and every unanswered query after it.
    let text_out = sfb(&[
        "discover",
        "sip:alice@contoso.test",
        "--dns",
        &server,
        "--query-timeout-ms",
        "200",
        "--budget-ms",
        "600",
        "--no-autodiscover",
    ]);
    let text = String::from_utf8(text_out.stdout).unwrap();
    assert!(
        text.starts_with("discovery for contoso.test (name server 127.0.0.1:"),
        "{text}"
    );
    assert!(
        text.contains("per-query timeout 200 ms, budget 600 ms"),
        "{text}"
    );
    assert!(text.contains(" timeout "), "{text}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["evidence"].as_array().unwrap().iter().all(
            |q| q["outcome"]["kind"] == "timeout" || q["outcome"]["kind"] == "budget_exhausted"
        )
    );
}

/// A one-thread HTTP/1.1 server answering autodiscover: the Root document links to the User
/// resource, which asks for a WebTicket (as [MS-OCDISCWS] §3.1.5.3 says it does).
fn autodiscover_http_server() -> (std::net::SocketAddr, std::thread::JoinHandle<Vec<String>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while seen.len() < 2 && std::time::Instant::now() < deadline {
            let mut conn = match listener.accept() {
                Ok((c, _)) => c,
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
            };
            conn.set_nonblocking(false).unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut buf = vec![0u8; 8192];
            let mut n = 0;
            while !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                let r = conn.read(&mut buf[n..]).unwrap_or(0);
                if r == 0 {
                    break;
                }
                n += r;
            }
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
            let first = request.lines().next().unwrap_or_default().to_owned();
            let response = if first.starts_with("GET /?sipuri=") {
                let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
<AutodiscoverResponse AccessLocation=\"External\"><Root>\
<Link token=\"User\" href=\"http://lyncdiscover.contoso.test/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=contoso.test\"/>\
</Root></AutodiscoverResponse>";
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.microsoft.rtc.autodiscover+xml; v=1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.1 401 Unauthorized\r\nX-MS-WebTicketURL: https://lyncdiscover.contoso.test/WebTicket/WebTicketService.svc\r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
            };
            conn.write_all(response.as_bytes()).unwrap();
            seen.push(first);
        }
        seen
    });
    (addr, handle)
}

#[test]
fn autodiscover_without_credentials_is_skipped_not_passed() {
    let Some(dns) = start() else { return };
    let (http, server) = autodiscover_http_server();
    let dns_addr = format!("127.0.0.1:{}", dns.port);
    // lyncdiscover.contoso.test does not resolve in this zone: pin it, and leave HTTPS refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let out = sfb(&[
        "discover",
        "sip:alice@contoso.test",
        "--dns",
        &dns_addr,
        "--resolve",
        &format!("lyncdiscover.contoso.test:80:{http}"),
        "--resolve",
        &format!("lyncdiscover.contoso.test:443:127.0.0.1:{closed_port}"),
        "--http-timeout-ms",
        "3000",
        "--json",
    ]);
    let seen = server.join().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {out:?} (server saw {seen:?})"));
    assert_eq!(seen.len(), 2, "server saw {seen:?}; sfb said {out:?}");
    assert!(
        seen[0].starts_with("GET /?sipuri=alice@contoso.test "),
        "{seen:?}"
    );
    assert!(seen[1].contains("/root/user"), "{seen:?}");
    let ad = &v["autodiscover_http"];
    assert_eq!(
        ad["verdict"]["status"], "skipped_needs_web_ticket",
        "{ad:#}"
    );
    // HTTP answered where HTTPS did not: a warning, not a silent pass.
    let warnings = ad["warnings"].to_string();
    assert!(warnings.contains("http_only"), "{warnings}");
    // The SRV records still give the endpoints, so the run succeeds.
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}
