//! `sfb lab --json` in a child process: its first stdout line is one JSON object, and
//! `sfb discover` run against what it names succeeds: DNS alone (SRV to the Director), and with
//! credentials and the `--resolve` pins, autodiscover's User document through the WebTicket
//! service. SIGTERM stops the lab cleanly. `--kerberos` starts the lab's own MIT KDC and
//! reports it (fails, not skips, without MIT krb5-kdc when `SFB_REQUIRE_PEERS=1`).

mod common;

use std::process::Command;

use common::{kdc_installed, start_lab};

fn sfb(args: &[String], password: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sfb"))
        .args(args)
        .env("SFB_TEST_PASSWORD", password)
        .output()
        .unwrap()
}

#[test]
fn sfb_discover_works_against_sfb_lab() {
    let lab = start_lab(&[]);
    let info = &lab.info;
    assert_eq!(info["schema"], 1);
    assert_eq!(info["sip_domain"], "contoso.test");
    let dns = info["dns"].as_str().unwrap().to_owned();
    assert!(dns.starts_with("127.0.0.1:"), "{dns}");
    let ca = info["ca_file"].as_str().unwrap().to_owned();
    assert!(std::path::Path::new(&ca).is_absolute() && std::path::Path::new(&ca).exists());
    let alice = &info["users"][0];
    assert_eq!(alice["sip_uri"], "sip:alice@contoso.test");
    assert_eq!(alice["login"], "CONTOSO\\alice");
    assert_eq!(alice["home_pool"], "pool01.contoso.test");
    let password = alice["password"].as_str().unwrap().to_owned();
    let director_port = info["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "director")
        .and_then(|r| r["addr"].as_str())
        .and_then(|a| a.rsplit_once(':'))
        .map(|(_, p)| p.parse::<u64>().unwrap())
        .unwrap();

    // DNS only: the SRV record leads to the Director's ephemeral port.
    let base: Vec<String> = [
        "discover",
        "sip:alice@contoso.test",
        "--dns",
        &dns,
        "--ca",
        &ca,
        "--json",
        "--http-timeout-ms",
        "2000",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let out = sfb(&base, "");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &v["endpoints"][0];
    assert_eq!(first["host"], "dir01.contoso.test", "{v:#}");
    assert_eq!(first["port"], director_port);
    assert_eq!(first["source"], "srv_internal_tls");

    // With credentials and the pins: autodiscover's User document, through a WebTicket.
    let mut args = base.clone();
    for pin in info["resolve"].as_array().unwrap() {
        args.push("--resolve".into());
        args.push(pin.as_str().unwrap().to_owned());
    }
    args.extend(
        [
            "--user",
            "CONTOSO\\alice",
            "--password-env",
            "SFB_TEST_PASSWORD",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    let out = sfb(&args, &password);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["autodiscover_http"]["verdict"]["status"], "found",
        "{v:#}"
    );
    assert_eq!(v["candidates"][0]["host"], "dir01.contoso.test");
    assert_eq!(v["candidates"][0]["source"], "autodiscover");
    assert_eq!(v["candidates"][0]["port"], director_port);
}

#[test]
fn sigterm_stops_the_lab_cleanly_and_bad_scenarios_are_usage_errors() {
    let mut lab = start_lab(&["--scenario", "tls-expired"]);
    assert_eq!(lab.info["scenario"], "tls-expired");
    let pid = lab.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = lab.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));

    let out = Command::new(env!("CARGO_BIN_EXE_sfb"))
        .args(["lab", "--scenario", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scenario"));

    let out = Command::new(env!("CARGO_BIN_EXE_sfb"))
        .args(["lab", "--list-scenarios", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for want in [
        "healthy",
        "no-dns-records",
        "tls-incomplete-chain",
        "tcp-refused",
    ] {
        assert!(names.contains(&want), "{names:?}");
    }
}

#[test]
fn kerberos_starts_the_labs_own_kdc_and_reports_it() {
    if !kdc_installed() {
        return;
    }
    let lab = start_lab(&["--kerberos"]);
    assert_eq!(lab.info["kerberos_realm"], "CONTOSO.TEST", "{}", lab.info);
    let kdc: std::net::SocketAddr = lab.info["kdc"]
        .as_str()
        .unwrap_or_else(|| panic!("no kdc: {}", lab.info))
        .parse()
        .unwrap();
    assert!(kdc.ip().is_loopback());
    assert!(std::net::TcpStream::connect(kdc).is_ok());
    // SIGTERM: the lab stops its KDC.
    drop(lab);
    assert!(
        std::net::TcpStream::connect(kdc).is_err(),
        "the KDC still runs"
    );

    // Without a KDC the fields are absent.
    let lab = start_lab(&[]);
    assert!(lab.info.get("kdc").is_none() && lab.info.get("kerberos_realm").is_none());
}
