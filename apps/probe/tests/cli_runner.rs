//! The command line end to end with a fake runner (what the binary does once the real runner is
//! wired): the request built from the flags, the outputs, `--html` redacting personal data by
//! default, and the exit codes (`--strict` included).

mod common;

use std::sync::Mutex;

use clap::Parser as _;
use common::*;
use sfb_probe::cli::{Args, Terminal, run};
use sfb_probe::runner::{AuthScheme, PasswordSource, Request, RunError, Target};
use sfb_trace::{SignInTrace, Status, Step};

struct Outcome {
    code: u8,
    out: String,
    err: String,
    request: Request,
}

fn probe(argv: &[&str], make: impl Fn(&Request) -> SignInTrace + Send + Sync) -> Outcome {
    let seen = Mutex::new(None);
    let runner = |req: &Request| -> Result<SignInTrace, RunError> {
        *seen.lock().unwrap() = Some(req.clone());
        Ok(make(req))
    };
    let args =
        Args::try_parse_from(std::iter::once("sfb-probe").chain(argv.iter().copied())).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(&args, &runner, Terminal::default(), &mut out, &mut err);
    Outcome {
        code,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
        request: seen.into_inner().unwrap().expect("the runner ran"),
    }
}

fn warn_only(req: &Request) -> SignInTrace {
    let mut t = healthy(req.policy);
    t.step_mut(Step::Settings).verdicts.push(verdict(
        Step::Settings,
        Status::Warn,
        "settings.unsigned_error",
        "An error response was not signed.",
        None,
        &[],
    ));
    t
}

#[test]
fn flags_become_the_request() {
    let o = probe(
        &[
            "sip:alice@contoso.com",
            "--user",
            "CONTOSO\\alice",
            "--password-env",
            "ALICE_PW",
            "--server",
            "fe01.contoso.com:5061",
            "--dns",
            "127.0.0.1:5353",
            "--trust",
            "contoso-pool.net",
            "--auth",
            "ntlm",
            "--realm",
            "CONTOSO.COM",
            "--kdc",
            "dc1.contoso.com",
            "--user-agent",
            "UCCAPI/16",
        ],
        |r| healthy(r.policy),
    );
    let r = o.request;
    assert_eq!(
        r.target,
        Target::Live {
            sip_uri: "sip:alice@contoso.com".into()
        }
    );
    let creds = r.credentials.unwrap();
    assert_eq!(creds.login.as_deref(), Some("CONTOSO\\alice"));
    assert_eq!(creds.password, PasswordSource::Env("ALICE_PW".into()));
    assert_eq!(r.connect.server.as_deref(), Some("fe01.contoso.com:5061"));
    assert_eq!(r.connect.auth, AuthScheme::Ntlm);
    assert_eq!(r.connect.trust, vec!["contoso-pool.net".to_owned()]);
    assert_eq!(r.connect.user_agent.as_deref(), Some("UCCAPI/16"));
    assert_eq!(o.code, 0);

    let o = probe(&["alice@contoso.com"], |r| healthy(r.policy));
    assert!(
        o.request.credentials.is_none(),
        "no password source: --no-auth"
    );
    assert!(o.err.contains("running --no-auth"));
    let o = probe(&["--lab", "--scenario", "expired-cert"], |r| {
        healthy(r.policy)
    });
    assert_eq!(
        o.request.target,
        Target::Lab {
            scenario: Some("expired-cert".into()),
            no_auth: false,
        }
    );
}

#[test]
fn exit_codes_follow_the_verdicts() {
    assert_eq!(probe(&["sip:a@contoso.com"], |r| healthy(r.policy)).code, 0);
    assert_eq!(
        probe(&["sip:a@contoso.com"], |r| auth_failure(r.policy)).code,
        1
    );
    assert_eq!(probe(&["sip:a@contoso.com"], warn_only).code, 0);
    assert_eq!(probe(&["sip:a@contoso.com", "--strict"], warn_only).code, 1);
}

#[test]
fn json_output_is_the_schema_document() {
    let o = probe(&["sip:alice@contoso.com", "--json"], |r| {
        auth_failure(r.policy)
    });
    let doc: serde_json::Value = serde_json::from_str(&o.out).unwrap();
    let errors = schema_errors(&validator("probe-report.schema.json"), &doc);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(doc["root_cause"]["cause"], "auth.credentials_not_for_uri");
    assert!(!o.out.contains(RAW_AUTHENTICATE));
}

#[test]
fn html_redacts_personal_data_unless_asked_not_to() {
    let dir = std::env::temp_dir().join(format!("sfb-probe-cli-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("r.html");
    let path = page.to_str().unwrap();
    let o = probe(&["sip:alice@contoso.com", "--html", path], |r| {
        auth_failure(r.policy)
    });
    assert_eq!(o.code, 1);
    assert!(
        o.out.contains("alice@contoso.com"),
        "the text report is not redacted by default"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<svg id=\"ladder\""));
    assert!(!html.contains("alice@contoso.com") && !html.contains("Alice Smith"));
    assert!(html.contains("personal data redacted"));

    probe(
        &["sip:alice@contoso.com", "--html", path, "--show-personal"],
        |r| auth_failure(r.policy),
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("alice@contoso.com"));

    let o = probe(&["sip:alice@contoso.com", "--redact-personal"], |r| {
        auth_failure(r.policy)
    });
    assert!(o.request.policy.redact_personal);
    assert!(!o.out.contains("alice@contoso.com"), "{}", o.out);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn raw_trace_is_passed_on_and_warned() {
    let o = probe(&["sip:alice@contoso.com", "--raw-trace"], |r| {
        auth_failure(r.policy)
    });
    assert!(o.request.policy.raw_trace);
    assert!(o.err.contains("offline password guessing"));
    assert!(o.out.contains(RAW_AUTHENTICATE) && o.out.contains("warning: raw trace"));
}
