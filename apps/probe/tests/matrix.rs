//! The diagnosis matrix: every lab fault scenario, signed in for real against the embedded lab
//! (sfb-lab on loopback, sfb-session's sign-in, sfb-diagnose's rules), gives the expected step,
//! status and cause code; the healthy lab gives all-pass, with credentials and without
//! (`--no-auth`: Authentication "not attempted"). Each runs twice: as an internal user (the
//! lab's full DNS: the Director) and as a remote user (`--external`: DNS as the Internet sees
//! it, everything through the Access Edge, which the session stays on after the 301). The
//! Kerberos scenarios need a KDC and are asserted in `crates/sfb-session/tests/lab.rs`.

use sfb_probe::runner::{ConnectOptions, Request, Runner as _, Target};
use sfb_probe::session::SessionRunner;
use sfb_trace::{EvidenceKind, RedactionPolicy, SignInTrace, Status, Step};

fn run(scenario: &str, no_auth: bool) -> SignInTrace {
    run_from(scenario, no_auth, false)
}

/// A lab run, as a remote user through the Access Edge when `external`.
fn run_from(scenario: &str, no_auth: bool, external: bool) -> SignInTrace {
    let request = Request {
        target: Target::Lab {
            scenario: Some(scenario.to_owned()),
            no_auth,
        },
        connect: ConnectOptions {
            external,
            ..ConnectOptions::default()
        },
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
    assert_all_pass(&run("healthy", false));
}

/// A remote user: discovery finds only `_sip._tls` (the Access Edge), the Director's 301 is
/// followed on the Edge connection, and every step passes.
#[test]
fn healthy_lab_passes_every_step_through_the_edge() {
    let trace = run_from("healthy", false, true);
    assert_all_pass(&trace);
    let registered = trace
        .evidence
        .iter()
        .find_map(|e| match &e.kind {
            EvidenceKind::Fact(f) if f.source == "registered" => Some(f),
            _ => None,
        })
        .expect("a registered fact");
    assert_eq!(registered.fields["ms_user_logon_data"], "RemoteUser");
    assert!(registered.fields["via_edge"].starts_with("sip.contoso.test:"));
    assert!(registered.fields["registrar"].starts_with("pool01.contoso.test:"));
    assert_eq!(registered.fields["scheme"], "NTLM");
}

fn assert_all_pass(trace: &SignInTrace) {
    for step in [
        Step::Discovery,
        Step::Connectivity,
        Step::Authentication,
        Step::Redirection,
        Step::Settings,
    ] {
        assert_eq!(
            worst(trace, step).0,
            Status::Pass,
            "{step:?}\n{}",
            summary(trace)
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
    for ((scenario, step, status, cause), external) in
        MATRIX.iter().flat_map(|row| [(row, false), (row, true)])
    {
        let trace = run_from(scenario, false, external);
        let got = worst(&trace, *step);
        let user = if external {
            "remote user"
        } else {
            "internal user"
        };
        if got != (*status, (*cause).to_owned()) {
            wrong.push(format!(
                "{scenario} ({user}): expected {step:?} {status:?} {cause}, got {got:?}\n{}",
                summary(&trace)
            ));
            continue;
        }
        // Steps before the blamed one are not failures.
        for s in trace.steps.iter().filter(|s| s.step < *step) {
            for v in &s.verdicts {
                if v.status == Status::Fail {
                    wrong.push(format!(
                        "{scenario} ({user}): earlier step {:?} failed: {}",
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
