//! `sfb discover --auth auto|ntlm|kerberos` against `sfb lab` (child processes): with the lab's
//! own MIT KDC (`sfb lab --kerberos`) the WebTicket comes over HTTP Negotiate/Kerberos (the
//! lab's WebTicket service verifies the AP-REQ for `HTTP/lyncweb.contoso.test` against the
//! KDC's keytab) and the User document is read; a wrong password is refused by the KDC with a
//! precise error and no User document; `auto` uses Kerberos when a KDC is named and falls back
//! to NTLM, saying why, when none is found.
//!
//! The KDC tests skip loudly without MIT krb5-kdc and fail under `SFB_REQUIRE_PEERS=1`.

mod common;

use std::process::Command;

use common::{LabProcess, kdc_installed, start_lab};

/// `sfb discover sip:alice@contoso.test` at the lab with alice's login, the lab's pins and
/// `extra`; the password in `SFB_TEST_PASSWORD`.
fn discover(lab: &LabProcess, password: &str, extra: &[&str]) -> std::process::Output {
    let info = &lab.info;
    let mut args: Vec<String> = vec![
        "discover".into(),
        "sip:alice@contoso.test".into(),
        "--dns".into(),
        info["dns"].as_str().unwrap().into(),
        "--ca".into(),
        info["ca_file"].as_str().unwrap().into(),
        "--user".into(),
        "CONTOSO\\alice".into(),
        "--password-env".into(),
        "SFB_TEST_PASSWORD".into(),
        "--http-timeout-ms".into(),
        "5000".into(),
    ];
    for pin in info["resolve"].as_array().unwrap() {
        args.push("--resolve".into());
        args.push(pin.as_str().unwrap().into());
    }
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    Command::new(env!("CARGO_BIN_EXE_sfb"))
        .args(&args)
        .env("SFB_TEST_PASSWORD", password)
        .output()
        .unwrap()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn alice_password(lab: &LabProcess) -> String {
    let alice = &lab.info["users"][0];
    assert_eq!(alice["login"], "CONTOSO\\alice");
    alice["password"].as_str().unwrap().to_owned()
}

/// The User document was read: its SIP access entries name the Director and the Edge.
fn assert_user_document(v: &serde_json::Value) {
    let ad = &v["autodiscover_http"];
    assert_eq!(ad["verdict"]["status"], "found", "{v:#}");
    let hosts: Vec<&str> = ad["sip_access"]
        .as_array()
        .unwrap_or_else(|| panic!("no sip_access: {v:#}"))
        .iter()
        .map(|a| a["fqdn"].as_str().unwrap())
        .collect();
    assert!(
        hosts.contains(&"dir01.contoso.test") && hosts.contains(&"sip.contoso.test"),
        "{hosts:?}"
    );
    assert_eq!(v["candidates"][0]["source"], "autodiscover", "{v:#}");
    assert!(v["web_ticket_error"].is_null(), "{v:#}");
}

#[test]
fn kerberos_gets_the_web_ticket_with_negotiate_from_the_labs_kdc() {
    if !kdc_installed() {
        return;
    }
    let lab = start_lab(&["--kerberos"]);
    let password = alice_password(&lab);
    let kdc = lab.info["kdc"]
        .as_str()
        .unwrap_or_else(|| panic!("no kdc: {}", lab.info))
        .to_owned();
    let kerberos = [
        "--auth",
        "kerberos",
        "--realm",
        "CONTOSO.TEST",
        "--kdc",
        kdc.as_str(),
    ];

    // --auth kerberos, JSON: the User document through a Negotiate WebTicket.
    let mut args = kerberos.to_vec();
    args.push("--json");
    let out = discover(&lab, &password, &args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = json(&out);
    assert_user_document(&v);
    assert_eq!(v["web_ticket_auth"]["scheme"], "negotiate", "{v:#}");
    let reason = v["web_ticket_auth"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("HTTP/lyncweb.contoso.test") && reason.contains(&kdc),
        "{reason}"
    );

    // The text report says so too.
    let out = discover(&lab, &password, &kerberos);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("web ticket obtained with Negotiate (Kerberos)"),
        "{text}"
    );
    assert!(
        text.contains("User document, 4 SIP access element(s)"),
        "{text}"
    );

    // A wrong password: the KDC refuses the pre-authentication, no ticket, no User document.
    let out = discover(&lab, "not-alices-password", &args);
    let v = json(&out);
    let err = v["web_ticket_error"]
        .as_str()
        .unwrap_or_else(|| panic!("{v:#}"));
    assert!(
        err.contains("wrong password") && err.contains("HTTP/lyncweb.contoso.test"),
        "{err}"
    );
    assert_eq!(v["web_ticket_auth"]["scheme"], "negotiate", "{v:#}");
    assert_ne!(
        v["autodiscover_http"]["verdict"]["status"], "found",
        "{v:#}"
    );
    assert!(
        v["autodiscover_http"]["sip_access"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "{v:#}"
    );

    // auto with the KDC: Kerberos.
    let out = discover(
        &lab,
        &password,
        &["--auth", "auto", "--kdc", kdc.as_str(), "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = json(&out);
    assert_user_document(&v);
    assert_eq!(v["web_ticket_auth"]["scheme"], "negotiate", "{v:#}");

    // --auth ntlm against the same service: NTLM is still accepted beside Negotiate.
    let out = discover(&lab, &password, &["--auth", "ntlm", "--json"]);
    let v = json(&out);
    assert_user_document(&v);
    assert_eq!(v["web_ticket_auth"]["scheme"], "ntlm", "{v:#}");
}

#[test]
fn without_a_kdc_auto_falls_back_to_ntlm_and_kerberos_fails_precisely() {
    let lab = start_lab(&[]);
    assert!(lab.info.get("kdc").is_none(), "{}", lab.info);
    let password = alice_password(&lab);

    // auto: no _kerberos SRV record in the lab's zone, so NTLM, and the report says why.
    let out = discover(&lab, &password, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = json(&out);
    assert_user_document(&v);
    assert_eq!(v["web_ticket_auth"]["scheme"], "ntlm", "{v:#}");
    let reason = v["web_ticket_auth"]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("auto: Kerberos not used") && reason.contains("no KDC found"),
        "{reason}"
    );

    // --auth kerberos with a KDC where nothing listens: a precise error, no NTLM fallback.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let out = discover(
        &lab,
        &password,
        &["--auth", "kerberos", "--kdc", dead.as_str(), "--json"],
    );
    let v = json(&out);
    let err = v["web_ticket_error"]
        .as_str()
        .unwrap_or_else(|| panic!("{v:#}"));
    assert!(
        err.contains("no KDC reachable") && err.contains(&dead),
        "{err}"
    );
    assert_eq!(v["web_ticket_auth"]["scheme"], "negotiate", "{v:#}");
    assert_ne!(
        v["autodiscover_http"]["verdict"]["status"], "found",
        "{v:#}"
    );

    // A malformed --kdc is a usage error.
    let out = discover(&lab, &password, &["--kdc", "a b"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
