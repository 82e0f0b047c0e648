//! The diagnosis matrix: every lab fault scenario, signed in for real against the embedded lab
//! (sfb-lab on loopback, sfb-session's sign-in, sfb-diagnose's rules), gives the expected step,
//! status and cause code; the healthy lab gives all-pass, with credentials and without
//! (`--no-auth`: Authentication "not attempted"). The Kerberos scenarios need a KDC and are
//! asserted in `crates/sfb-session/tests/lab.rs`.

use sfb_probe::runner::{ConnectOptions, Request, Runner as _, Target};
use sfb_probe::session::SessionRunner;
use sfb_trace::{RedactionPolicy, SignInTrace, Status, Step};

fn run(scenario: &str, no_auth: bool) -> SignInTrace {
    let request = Request {
        target: Target::Lab {
            scenario: Some(scenario.to_owned()),
            no_auth,
        },
        connect: ConnectOptions::default(),
        credentials: None,
        policy: RedactionPolicy::default(),
    };
    SessionRunner.run(&request).unwrap()
}

/// The worst verdict of a step: (status, cause).
fn worst(trace: &SignInTrace, step: Step) -> (Status, String) {
    let record = trace.steps.iter().find(|s| s.step == step).unwrap();
    let rank = |s: Status| match s {
        Status::Fail => 3,
        Status::Warn => 2,
        Status::Skipped => 1,
        Status::Pass => 0,
    };
    record
        .verdicts
        .iter()
        .max_by_key(|v| rank(v.status))
        .map(|v| (v.status, v.cause.as_str().to_owned()))
        .unwrap()
}

fn summary(trace: &SignInTrace) -> String {
    trace
        .steps
        .iter()
        .flat_map(|s| &s.verdicts)
        .map(|v| format!("{:?} {:?} {}: {}", v.step, v.status, v.cause, v.sentence))
        .collect::<Vec<_>>()
        .join("\n")
}

/// (scenario, the step to blame, its status, its cause).
const MATRIX: &[(&str, Step, Status, &str)] = &[
    (
        "no-dns-records",
        Step::Discovery,
        Status::Fail,
        "discovery.no_records",
    ),
    // The session still reaches the foreign server (as a user who accepts the client's trust
    // prompt would); the discovery verdict names the violation and the record chain.
    (
        "srv-outside-domain",
        Step::Discovery,
        Status::Warn,
        "discovery.strict_naming",
    ),
    (
        "tcp-refused",
        Step::Connectivity,
        Status::Fail,
        "tcp.refused",
    ),
    (
        "tls-untrusted-root",
        Step::Connectivity,
        Status::Fail,
        "tls.untrusted_root",
    ),
    (
        "tls-incomplete-chain",
        Step::Connectivity,
        Status::Fail,
        "tls.incomplete_chain",
    ),
    (
        "tls-name-mismatch",
        Step::Connectivity,
        Status::Fail,
        "tls.name_mismatch",
    ),
    (
        "tls-expired",
        Step::Connectivity,
        Status::Fail,
        "tls.expired",
    ),
    (
        "ntlm-wrong-password",
        Step::Authentication,
        Status::Fail,
        "auth.wrong_password",
    ),
    // On the wire a disabled AD account is a failed handshake like a wrong password (1000);
    // the remedy names both (docs/lab.md).
    (
        "ad-account-disabled",
        Step::Authentication,
        Status::Fail,
        "auth.wrong_password",
    ),
    (
        "sfb-user-disabled",
        Step::Authentication,
        Status::Fail,
        "auth.sfb_user_disabled",
    ),
    (
        "user-not-sip-enabled",
        Step::Authentication,
        Status::Fail,
        "auth.not_sip_enabled",
    ),
    (
        "remote-access-disabled",
        Step::Authentication,
        Status::Fail,
        "auth.remote_access_disabled",
    ),
    (
        "edge-next-hop-down",
        Step::Authentication,
        Status::Fail,
        "auth.next_hop_down",
    ),
    (
        "redirect-loop",
        Step::Redirection,
        Status::Fail,
        "redirect.loop",
    ),
    (
        "home-pool-unreachable-after-301",
        Step::Redirection,
        Status::Fail,
        "redirect.home_pool_unreachable",
    ),
    (
        "backup-registrar",
        Step::Redirection,
        Status::Warn,
        "redirect.backup_registrar",
    ),
    (
        "provisioning-error",
        Step::Settings,
        Status::Fail,
        "settings.provisioning_failed",
    ),
    (
        "bad-server-signature",
        Step::Authentication,
        Status::Fail,
        "auth.bad_server_signature",
    ),
    (
        "client-version-blocked",
        Step::Authentication,
        Status::Fail,
        "auth.client_version_blocked",
    ),
];

#[test]
fn healthy_lab_passes_every_step() {
    let trace = run("healthy", false);
    for step in [
        Step::Discovery,
        Step::Connectivity,
        Step::Authentication,
        Step::Redirection,
        Step::Settings,
    ] {
        assert_eq!(
            worst(&trace, step).0,
            Status::Pass,
            "{step:?}\n{}",
            summary(&trace)
        );
    }
}

#[test]
fn no_auth_stops_after_the_first_401() {
    let trace = run("healthy", true);
    assert_eq!(worst(&trace, Step::Discovery).0, Status::Pass);
    assert_eq!(worst(&trace, Step::Connectivity).0, Status::Pass);
    assert_eq!(
        worst(&trace, Step::Authentication),
        (Status::Skipped, "auth.not_attempted".to_owned()),
        "{}",
        summary(&trace)
    );
    let sentence = &trace
        .steps
        .iter()
        .find(|s| s.step == Step::Authentication)
        .unwrap()
        .verdicts[0]
        .sentence;
    assert!(sentence.contains("NTLM"), "{sentence}");
}

#[test]
fn every_fault_scenario_is_blamed_on_its_step() {
    let mut wrong = Vec::new();
    for (scenario, step, status, cause) in MATRIX {
        let trace = run(scenario, false);
        let got = worst(&trace, *step);
        if got != (*status, (*cause).to_owned()) {
            wrong.push(format!(
                "{scenario}: expected {step:?} {status:?} {cause}, got {got:?}\n{}",
                summary(&trace)
            ));
            continue;
        }
        // Steps before the blamed one are not failures.
        for s in trace.steps.iter().filter(|s| s.step < *step) {
            for v in &s.verdicts {
                if v.status == Status::Fail {
                    wrong.push(format!(
                        "{scenario}: earlier step {:?} failed: {}",
                        s.step, v.cause
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn the_matrix_covers_every_non_kerberos_scenario() {
    for s in sfb_lab::Scenario::ALL {
        let name = s.name();
        if name == "healthy" || name.starts_with("kerberos-") {
            continue;
        }
        assert!(
            MATRIX.iter().any(|(n, ..)| *n == name),
            "scenario {name} is not in the matrix"
        );
    }
}
