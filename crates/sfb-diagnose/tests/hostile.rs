//! Hostile traces never panic, never pass, and keep sentences bounded.

mod common;

use common::*;
use sfb_diagnose::diagnose;
use sfb_trace::{
    AuthProtocol, Direction, RedactionPolicy, SignInTrace, Status, Step, TcpOutcome, Timestamp,
};

#[test]
fn an_empty_trace_fails_discovery_and_skips_the_rest() {
    let t = SignInTrace::new(
        "t",
        "<personal>",
        Timestamp::EPOCH,
        RedactionPolicy::default(),
    );
    let d = diagnose(&t);
    check(&t, &d);
    assert_eq!(
        root(&d),
        (
            Step::Discovery,
            Status::Fail,
            "discovery.no_evidence".into()
        )
    );
}

#[test]
fn garbage_sip_text_never_passes() {
    let garbage = [
        "",
        "\r\n\r\n",
        "SIP/2.0",
        "SIP/2.0 999999999999 huge\r\n\r\n",
        "SIP/2.0 200 OK\r\nCSeq: x\r\nContent-Length: 99999\r\n\r\nshort",
        "SIP/2.0 200 OK\r\nms-diagnostics: ;;;;\r\nWWW-Authenticate: ,,,\r\nContact: <<<\r\nDate: Thu, 99 Foo 99999 99:99:99 GMT\r\n\r\n",
        "REGISTER sip:contoso.com SIP/2.0\r\nAuthorization: \"\r\n\r\n",
        "\u{0}\u{1}\u{2}é\u{fffd}",
        "SIP/2.0 401 Unauthorized\nWWW-Authenticate: NTLM realm=\"x\"\n\n",
    ];
    for g in garbage {
        let mut b = B::new();
        b.discovery_ok();
        b.connect_ok();
        b.sent(Step::Authentication, &register(1, None));
        b.recv(Step::Authentication, g);
        let d = b.judge();
        assert_ne!(
            d.status(Step::Authentication),
            Status::Pass,
            "{g:?}: {:#?}",
            d.verdicts
        );
        assert_ne!(d.status(Step::Settings), Status::Pass, "{g:?}");
    }
}

#[test]
fn a_truncated_message_is_still_read() {
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.ntlm_until(&R404_4005.replace("Content-Length: 0", "Content-Length: 500"));
    assert_eq!(root(&b.judge()).2, "auth.not_sip_enabled");
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    let cut = &R404_4005[..R404_4005.find("Server:").unwrap()];
    b.ntlm_until(cut);
    assert_eq!(root(&b.judge()).2, "auth.not_sip_enabled");
}

#[test]
fn huge_fields_keep_sentences_bounded() {
    let big = "x".repeat(200_000);
    let mut b = B::new();
    b.dns(
        &big,
        "SRV",
        &big,
        &big,
        &[&big, &format!("{big} 60 SRV 0 0 5061 {big}")],
    );
    b.tcp(
        Step::Connectivity,
        &big,
        "10.0.0.1",
        5061,
        TcpOutcome::Error,
    );
    let diag = format!("ms-diagnostics: 4005;reason=\"{big}\";source=\"{big}\"");
    let realm = "r".repeat(2_000);
    let offers: Vec<String> = (0..300)
        .map(|i| format!("WWW-Authenticate: X{i} realm=\"{realm}\""))
        .collect();
    let mut extra: Vec<&str> = vec![&diag];
    extra.extend(offers.iter().map(String::as_str));
    b.sent(Step::Authentication, &register(1, None));
    b.recv(
        Step::Authentication,
        &response("404 Not Found", 1, "REGISTER", &extra),
    );
    b.token(
        AuthProtocol::Ntlm,
        Direction::Sent,
        "authenticate",
        &[("user", &big), ("domain", &big)],
    );
    b.http(
        Step::Discovery,
        &big,
        Some(401),
        &[("X-Ms-diagnostics", &format!("28020;reason=\"{big}\""))],
    );
    let d = b.judge();
    for v in &d.verdicts {
        assert!(
            v.sentence.len() < 8_000,
            "{} is {} bytes",
            v.cause,
            v.sentence.len()
        );
        assert!(v.remedy.as_deref().unwrap_or_default().len() < 4_000);
    }
    assert!(d.root_cause.is_some());
}

#[test]
fn many_messages_are_judged() {
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    for i in 0..2_000 {
        b.sent(Step::Authentication, &register(i, Some(NTLM_AUTHZ)));
        b.recv(
            Step::Authentication,
            &response("401 Unauthorized", i, "REGISTER", &[NTLM_OFFER]),
        );
    }
    assert_eq!(root(&b.judge()).2, "auth.wrong_password");
}

#[test]
fn evidence_listed_under_no_step_and_personal_targets_work() {
    let mut t = SignInTrace::new(
        "t",
        "sip:alice@contoso.com",
        Timestamp::EPOCH,
        RedactionPolicy {
            raw_trace: false,
            redact_personal: true,
        },
    );
    t.push_evidence(
        None,
        sfb_trace::EvidenceKind::Dns(sfb_trace::DnsEvidence {
            name: "_sipinternaltls._tcp.contoso.com".into(),
            rtype: "SRV".into(),
            purpose: "x".into(),
            outcome: "answer".into(),
            detail: None,
            rcode: None,
            answers: vec![
                "_sipinternaltls._tcp.contoso.com 60 SRV 0 0 5061 fe.fabrikam.net".into(),
            ],
            cname_chain: vec![],
            ttl: None,
            elapsed_ms: None,
        }),
    );
    let d = diagnose(&t);
    check(&t, &d);
    // The domain comes from the DNS names when the target is hidden.
    assert_eq!(root(&d).2, "discovery.strict_naming");
}
