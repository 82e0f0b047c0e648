//! The `sfb-probe` binary: usage errors exit 2 before anything runs, the unwired runner exits 3
//! with an `error:` line, batch files are checked whole before the first row runs.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::*;

fn probe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sfb-probe"))
        .args(args)
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn scratch_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sfb-probe-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["sip:alice@contoso.com", "--auth", "tls-dsk"],
        &["not a uri"],
        &["sip:alice@contoso.com", "--user", "CONTOSO\\alice"],
        &["sip:alice@contoso.com", "--scenario", "expired-cert"],
        &["--lab", "--batch", "x.csv"],
        &[
            "sip:alice@contoso.com",
            "--password-env",
            "A",
            "--password-file",
            "f",
        ],
    ] {
        let out = probe(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// A live probe of a closed port: no DNS, no network beyond loopback.
const CLOSED: &[&str] = &["--server", "127.0.0.1:9", "--dns", "127.0.0.1:9"];

#[test]
fn the_real_runner_signs_in_and_diagnoses() {
    // The embedded lab: in-process, no setup.
    let out = probe(&["--lab", "--scenario", "healthy"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("PASS"));
    let out = probe(&["--lab", "--scenario", "no-such-scenario"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown scenario"));
    // A live target whose server refuses: a connectivity failure, exit 1.
    let out = probe(&[&["sip:alice@contoso.com"][..], CLOSED].concat());
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("tcp.refused"));
    assert!(text(&out.stderr).contains("running --no-auth"));
}

#[test]
fn raw_trace_warns() {
    let out = probe(&["sip:alice@contoso.com", "--raw-trace"]);
    assert!(text(&out.stderr).contains("offline password guessing"));
}

#[test]
fn credentialed_batch_rows_need_the_lockout_flag() {
    let csv = scratch_file(
        "creds.csv",
        "sip_uri,login,password_env\nalice@contoso.com\nbob@contoso.com,CONTOSO\\bob,BOB_PW\n",
    );
    let csv = csv.to_str().unwrap();
    let out = probe(&["--batch", csv, "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing may run before the check");
    let err = text(&out.stderr);
    assert!(
        err.contains("1 row(s) carry credentials") && err.contains("--i-accept-lockout-risk"),
        "{err}"
    );
    // With the flag the rows run (against a closed port: each fails at connectivity).
    let out = probe(
        &[
            &["--batch", csv, "--json", "--i-accept-lockout-risk"][..],
            CLOSED,
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v = validator("probe-batch-row.schema.json");
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    for line in stdout.lines() {
        let doc: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(schema_errors(&v, &doc).is_empty(), "{line}");
    }
    assert!(
        text(&out.stderr).contains("tcp.refused"),
        "summary on stderr"
    );
}

#[test]
fn malformed_batch_files_name_the_line() {
    let csv = scratch_file("bad.csv", "alice@contoso.com\nbob@\n");
    let out = probe(&["--batch", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("line 2:") && err.contains("not a SIP URI"),
        "{err}"
    );
    let out = probe(&["--batch", "/nonexistent/x.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let out = probe(&["--batch", csv.to_str().unwrap(), "--rate", "0"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn no_verbosity_prints_the_password() {
    let pw = scratch_file("pw", CANARY_PASSWORD);
    let out = Command::new(env!("CARGO_BIN_EXE_sfb-probe"))
        .args([
            "sip:alice@contoso.com",
            "-vvv",
            "--password-file",
            pw.to_str().unwrap(),
        ])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    for stream in [&out.stdout, &out.stderr] {
        assert!(!text(stream).contains(CANARY_PASSWORD));
    }
}

/// A helpdesk run prints the report, not the dependencies' logs: sspi reports a missing SPN
/// as an ERROR line, which the report already carries as evidence; `-vv` shows it (capped).
#[test]
fn dependency_logs_are_silent_below_vv() {
    if sfb_lab::kdc::check_installed().is_err()
        && std::env::var("SFB_REQUIRE_PEERS").as_deref() != Ok("1")
    {
        eprintln!(
            "\n!!!!! SKIPPED: MIT krb5-kdc missing (set SFB_REQUIRE_PEERS=1 to make this fail) !!!!!\n"
        );
        return;
    }
    let args = ["--lab", "--scenario", "kerberos-missing-spn"];
    let quiet = probe(&args);
    assert_eq!(quiet.status.code(), Some(0), "{}", text(&quiet.stderr));
    assert!(text(&quiet.stdout).contains("auth.kerberos_fell_back_to_ntlm"));
    assert!(
        !text(&quiet.stderr).contains("sspi"),
        "{}",
        text(&quiet.stderr)
    );
    let verbose = probe(&[&args[..], &["-vv"]].concat());
    assert!(
        text(&verbose.stderr).contains("sspi"),
        "{}",
        text(&verbose.stderr)
    );
}
