//! Secrets never leave the tool: a failing sign-in (the lab's `ntlm-wrong-password`) made with a
//! canary password at `-vvv` and `RUST_LOG=trace`; neither the password, its NT hash (hex, both
//! cases), nor any NTLM AUTHENTICATE token (which carries the NTLMv2 response and NTProofStr)
//! nor the raw `gssapi-data` appears in the text, JSON or HTML reports or in the logs; nor, for
//! a credentialed `--batch` row against a running lab, in the JSON Lines, summary or log.
//!
//! This covers the real `-vvv` / `RUST_LOG` plumbing of the binary. The values a handshake
//! derives (the NTLMv2 response, NTProofStr, session base key and exported session key) are
//! random per run and are checked by `secrets_derived.rs`, which learns them from the run.

use std::process::Command;

const CANARY: &str = "Canary-Pa55w0rd-7f3e";

fn nt_hash_hex() -> String {
    let h = sfb_auth::ntlm::crypto::nt_hash(CANARY);
    h.expose().iter().map(|b| format!("{b:02x}")).collect()
}

fn probe(extra: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sfb-probe"))
        .args(["--lab", "--scenario", "ntlm-wrong-password", "-vvv"])
        .args(["--password-env", "SFB_CANARY_PASSWORD"])
        .args(extra)
        .env("SFB_CANARY_PASSWORD", CANARY)
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the sign-in must fail");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_clean(what: &str, text: &str) {
    let hash = nt_hash_hex();
    for (name, needle) in [
        ("password", CANARY.to_owned()),
        ("NT hash (lower)", hash.clone()),
        ("NT hash (upper)", hash.to_ascii_uppercase()),
        // base64 of "NTLMSSP\0" + type 3: any AUTHENTICATE message (NTLMv2 response,
        // NTProofStr, encrypted session key inside).
        ("NTLM AUTHENTICATE token", "TlRMTVNTUAADAAAA".to_owned()),
    ] {
        assert!(!text.contains(&needle), "{what} contains the {name}");
    }
    assert!(
        !text.contains("gssapi-data=\"TlRM"),
        "{what} contains raw gssapi-data"
    );
}

#[test]
fn a_canary_password_never_reaches_any_output() {
    let (text, log) = probe(&[]);
    assert!(text.contains("auth.wrong_password"), "{text}");
    assert_clean("text report", &text);
    assert_clean("log", &log);
    let (json, log) = probe(&["--json"]);
    assert!(json.contains("\"schema\""), "{json}");
    assert_clean("JSON report", &json);
    assert_clean("log", &log);
    let html = std::env::temp_dir().join(format!("sfb-probe-secrets-{}.html", std::process::id()));
    let (_, log) = probe(&["--html", html.to_str().unwrap()]);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg"), "the page has its ladder");
    assert_clean("HTML report", &page);
    assert_clean("log", &log);
    let _ = std::fs::remove_file(html);
}

/// `--batch` too: a credentialed row with the canary password against a running lab (its DNS,
/// its CA) fails at authentication after the client sent its AUTHENTICATE; neither the JSON
/// Lines, the summary nor the `-vvv` log carries a secret.
#[test]
fn a_canary_password_never_reaches_batch_output() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let lab = runtime
        .block_on(sfb_lab::Lab::start(sfb_lab::LabConfig::new(
            sfb_lab::Scenario::Healthy,
        )))
        .unwrap();
    let info = lab.info().clone();
    let dir = std::env::temp_dir().join(format!("sfb-probe-secrets-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("users.csv");
    std::fs::write(
        &csv,
        "sip_uri,login,password_env\nsip:alice@contoso.test,CONTOSO\\alice,SFB_CANARY_PASSWORD\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sfb-probe"))
        .args([
            "--batch",
            csv.to_str().unwrap(),
            "--json",
            "--i-accept-lockout-risk",
        ])
        .args(["--dns", &info.dns.to_string()])
        .args(["--ca", info.ca_file.to_str().unwrap(), "-vvv"])
        .env("SFB_CANARY_PASSWORD", CANARY)
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    runtime.block_on(lab.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
    let (rows, log) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(1), "{rows}\n{log}");
    // The row really got as far as a refused AUTHENTICATE.
    assert!(rows.contains("auth.wrong_password"), "{rows}\n{log}");
    assert!(rows.contains("authenticate"), "{rows}");
    assert_clean("batch JSON Lines", &rows);
    assert_clean("batch log and summary", &log);
}
