//! Secrets never leave the tool: a failing sign-in (the lab's `ntlm-wrong-password`) made with a
//! canary password at `-vvv` and `RUST_LOG=trace`; neither the password, its NT hash (hex, both
//! cases), nor any NTLM AUTHENTICATE token (which carries the NTLMv2 response and NTProofStr)
//! nor the raw `gssapi-data` appears in the text, JSON or HTML reports or in the logs.
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
