//! Every rule on a synthetic trace: the step, status and cause, and for some the sentence.

mod common;

use common::*;
use sfb_diagnose::diagnose;
use sfb_trace::{AuthProtocol, Direction, Status, Step, StepVerdict, TcpOutcome, TlsFailure};

fn all_pass(d: &sfb_diagnose::Diagnosis) {
    for v in &d.verdicts {
        assert_eq!(v.status, Status::Pass, "{v:#?}");
    }
    assert!(d.root_cause.is_none());
}

#[test]
fn healthy_ntlm_sign_in_passes_every_step() {
    let b = B::healthy();
    let d = b.judge();
    all_pass(&d);
    let causes: Vec<&str> = d.verdicts.iter().map(|v| v.cause.as_str()).collect();
    assert_eq!(
        causes,
        [
            "discovery.ok",
            "connectivity.ok",
            "auth.ok",
            "redirect.none",
            "settings.ok"
        ]
    );
    assert!(
        find(&d, "discovery.ok")
            .sentence
            .contains("sfbfe01.contoso.com:5061")
    );
    assert!(
        find(&d, "auth.ok").sentence.contains("NTLM"),
        "{}",
        find(&d, "auth.ok").sentence
    );
    let mut t = b.t.clone();
    d.apply(&mut t);
    let steps: Vec<Step> = t.steps.iter().map(|s| s.step).collect();
    assert_eq!(steps, sfb_diagnose::STEPS);
    assert!(t.steps.iter().all(|s| s.verdicts.len() == 1));
    let back = sfb_trace::SignInTrace::from_json(t.to_json().as_bytes()).unwrap();
    assert_eq!(back.steps[2].verdicts[0].cause.as_str(), "auth.ok");
}

#[test]
fn healthy_sign_in_through_a_director_passes() {
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.ntlm_until(R301);
    b.tcp(
        Step::Redirection,
        "pool2.contoso.com",
        "10.0.1.21",
        5061,
        TcpOutcome::Connected,
    );
    b.tls(
        Step::Redirection,
        "pool2.contoso.com",
        "10.0.1.21",
        5061,
        None,
        T0 + 365 * 86_400_000,
    );
    b.ntlm_until(&response("200 OK", 3, "REGISTER", &[SIGNED]));
    b.settings_ok(10);
    let d = b.judge();
    all_pass(&d);
    let v = find(&d, "redirect.ok");
    assert!(
        v.sentence.contains("pool2.contoso.com:5061"),
        "{}",
        v.sentence
    );
}

#[test]
fn no_records_fails_discovery_and_skips_the_rest() {
    let mut b = B::new();
    for (n, t) in [
        ("lyncdiscoverinternal.contoso.com", "A"),
        ("lyncdiscover.contoso.com", "A"),
        ("_sipinternaltls._tcp.contoso.com", "SRV"),
        ("_sip._tls.contoso.com", "SRV"),
        ("sip.contoso.com", "A"),
    ] {
        b.dns(n, t, "x", "nxdomain", &[]);
    }
    let d = b.judge();
    assert_eq!(
        root(&d),
        (Step::Discovery, Status::Fail, "discovery.no_records".into())
    );
    let v = find(&d, "discovery.no_records");
    assert!(
        v.sentence.contains("_sip._tls.contoso.com SRV (nxdomain)"),
        "{}",
        v.sentence
    );
    assert_eq!(v.evidence.len(), 5);
    for s in [
        Step::Connectivity,
        Step::Authentication,
        Step::Redirection,
        Step::Settings,
    ] {
        assert_eq!(d.status(s), Status::Skipped, "{s:?}");
    }
}

#[test]
fn dns_timeouts_are_not_missing_records() {
    let mut b = B::new();
    b.dns(
        "_sipinternaltls._tcp.contoso.com",
        "SRV",
        "x",
        "timeout",
        &[],
    );
    b.dns("sip.contoso.com", "A", "x", "nxdomain", &[]);
    let d = b.judge();
    assert_eq!(root(&d).2, "discovery.dns_failure");
}

#[test]
fn an_srv_outside_the_domain_violates_strict_naming() {
    let mut b = B::new();
    b.dns(
        "_sipinternaltls._tcp.contoso.com",
        "SRV",
        "_sipinternaltls._tcp",
        "answer",
        &["_sipinternaltls._tcp.contoso.com 60 SRV 0 0 5061 sip.fabrikam.net"],
    );
    b.dns(
        "sip.fabrikam.net",
        "A",
        "srv target",
        "answer",
        &["sip.fabrikam.net 60 A 192.0.2.7"],
    );
    let d = b.judge();
    assert_eq!(
        root(&d),
        (
            Step::Discovery,
            Status::Fail,
            "discovery.strict_naming".into()
        )
    );
    let v = find(&d, "discovery.strict_naming");
    assert!(
        v.sentence.contains("_sipinternaltls._tcp.contoso.com SRV -> sip.fabrikam.net:5061 points outside contoso.com"),
        "{}",
        v.sentence
    );
    // With an in-domain fallback it is a warning only.
    b.dns(
        "sip.contoso.com",
        "A",
        "fallback host",
        "answer",
        &["sip.contoso.com 60 A 10.0.0.9"],
    );
    let d = b.judge();
    assert_eq!(find(&d, "discovery.strict_naming").status, Status::Warn);
}

#[test]
fn odd_srv_weights_warn_and_all_zero_does_not() {
    let mut b = B::new();
    b.dns(
        "_sipinternaltls._tcp.contoso.com",
        "SRV",
        "x",
        "answer",
        &[
            "_sipinternaltls._tcp.contoso.com 60 SRV 0 0 5061 fe1.contoso.com",
            "_sipinternaltls._tcp.contoso.com 60 SRV 10 0 5061 fe2.contoso.com",
        ],
    );
    let d = b.judge();
    let v = find(&d, "discovery.srv_weights");
    assert_eq!(v.status, Status::Warn);
    assert!(
        v.sentence.contains("priority 10: fe2.contoso.com"),
        "{}",
        v.sentence
    );

    let mut b = B::new();
    b.dns(
        "_sipinternaltls._tcp.contoso.com",
        "SRV",
        "x",
        "answer",
        &[
            "_sipinternaltls._tcp.contoso.com 60 SRV 0 0 5061 fe1.contoso.com",
            "_sipinternaltls._tcp.contoso.com 60 SRV 0 0 5061 fe2.contoso.com",
        ],
    );
    assert!(
        b.judge()
            .verdicts
            .iter()
            .all(|v| v.cause.as_str() != "discovery.srv_weights")
    );

    let mut b = B::new();
    b.dns(
        "_sip._tls.contoso.com",
        "SRV",
        "x",
        "answer",
        &[
            "_sip._tls.contoso.com 60 SRV 0 0 443 e1.contoso.com",
            "_sip._tls.contoso.com 60 SRV 0 50 443 e2.contoso.com",
        ],
    );
    assert!(
        find(&b.judge(), "discovery.srv_weights")
            .sentence
            .contains("weight 0")
    );
}

#[test]
fn autodiscover_over_http_only_warns() {
    let mut b = B::new();
    b.http(
        Step::Discovery,
        "https://lyncdiscover.contoso.com/",
        None,
        &[],
    );
    b.http(
        Step::Discovery,
        "http://lyncdiscover.contoso.com/",
        Some(200),
        &[],
    );
    let d = b.judge();
    let v = find(&d, "discovery.autodiscover_http_only");
    assert_eq!(v.status, Status::Warn);
    assert_eq!(d.status(Step::Discovery), Status::Warn);
}

#[test]
fn a_webticket_refusal_is_catalogued_and_cites_the_hop() {
    let mut b = B::healthy();
    b.http(
        Step::Discovery,
        "https://sfbfe01.contoso.com/WebTicket/WebTicketService.svc",
        Some(401),
        &[("X-Ms-diagnostics", "28020;source=\"sfbfe01.contoso.com\";reason=\"Invalid credentials\";fault=\"wsse:FailedAuthentication\"")],
    );
    let d = b.judge();
    let v = find(&d, "discovery.webticket_rejected");
    assert!(
        v.sentence.contains("said by sfbfe01.contoso.com"),
        "{}",
        v.sentence
    );
    assert!(v.sentence.contains("28020"), "{}", v.sentence);
}

#[test]
fn refused_ports_name_every_address() {
    let mut b = B::new();
    b.discovery_ok();
    b.tcp(
        Step::Connectivity,
        "sfbfe01.contoso.com",
        "10.0.0.11",
        5061,
        TcpOutcome::Refused,
    );
    b.tcp(
        Step::Connectivity,
        "sfbfe01.contoso.com",
        "10.0.0.12",
        5061,
        TcpOutcome::Refused,
    );
    let d = b.judge();
    assert_eq!(
        root(&d),
        (Step::Connectivity, Status::Fail, "tcp.refused".into())
    );
    let v = find(&d, "tcp.refused");
    assert!(
        v.sentence.contains("10.0.0.11:5061 (refused)")
            && v.sentence.contains("10.0.0.12:5061 (refused)"),
        "{}",
        v.sentence
    );
    assert_eq!(d.status(Step::Authentication), Status::Skipped);
    assert_eq!(find(&d, "auth.skipped").status, Status::Skipped);
}

#[test]
fn a_dead_pool_member_warns_with_its_address() {
    let mut b = B::new();
    b.discovery_ok();
    b.tcp(
        Step::Connectivity,
        "sfbfe01.contoso.com",
        "10.0.0.11",
        5061,
        TcpOutcome::Timeout,
    );
    b.tcp(
        Step::Connectivity,
        "sfbfe01.contoso.com",
        "10.0.0.12",
        5061,
        TcpOutcome::Connected,
    );
    b.tls(
        Step::Connectivity,
        "sfbfe01.contoso.com",
        "10.0.0.12",
        5061,
        None,
        T0 + 365 * 86_400_000,
    );
    b.ntlm_until(&response("200 OK", 3, "REGISTER", &[SIGNED]));
    b.settings_ok(10);
    let d = b.judge();
    let v = find(&d, "connectivity.pool_member_down");
    assert_eq!(v.status, Status::Warn);
    assert!(
        v.sentence
            .contains("works on 10.0.0.12 but not on 10.0.0.11 (timeout)"),
        "{}",
        v.sentence
    );
    assert!(d.root_cause.is_none());
}

fn tls_failure(f: TlsFailure) -> (sfb_diagnose::Diagnosis, StepVerdict) {
    let mut b = B::new();
    b.discovery_ok();
    b.tcp(
        Step::Connectivity,
        "sfbfe01.contoso.com",
        "10.0.0.11",
        5061,
        TcpOutcome::Connected,
    );
    b.tls(
        Step::Connectivity,
        "sfbfe01.contoso.com",
        "10.0.0.11",
        5061,
        Some(f),
        T0 + 365 * 86_400_000,
    );
    let d = b.judge();
    let r = d.root_cause.clone().unwrap();
    assert_eq!(r.step, Step::Connectivity);
    assert_eq!(d.status(Step::Authentication), Status::Skipped);
    (d, r)
}

#[test]
fn tls_failures_name_what_to_fix() {
    let (_, v) = tls_failure(TlsFailure::UntrustedRoot {
        issuer: "CN=Contoso Root CA".into(),
    });
    assert_eq!(v.cause.as_str(), "tls.untrusted_root");
    assert!(
        v.remedy
            .unwrap()
            .contains("Install the root certificate \"CN=Contoso Root CA\"")
    );

    let (_, v) = tls_failure(TlsFailure::IncompleteChain {
        missing_issuer: "CN=Contoso Issuing CA".into(),
        aia_ca_issuers: vec!["http://pki.contoso.com/issuing.crt".into()],
    });
    assert_eq!(v.cause.as_str(), "tls.incomplete_chain");
    assert!(
        v.remedy
            .unwrap()
            .contains("http://pki.contoso.com/issuing.crt")
    );

    let (_, v) = tls_failure(TlsFailure::NameMismatch {
        expected: "sfbfe01.contoso.com".into(),
        name_source: sfb_trace::NameSource::SrvTarget,
        presented: vec!["sip.contoso.com".into(), "pool1.contoso.com".into()],
    });
    assert_eq!(v.cause.as_str(), "tls.name_mismatch");
    assert_eq!(
        v.sentence,
        "The certificate of sfbfe01.contoso.com:5061 (10.0.0.11) does not name sfbfe01.contoso.com \
         (the name came from an SRV record's target); it names: sip.contoso.com, pool1.contoso.com."
    );

    let (_, v) = tls_failure(TlsFailure::Expired {
        not_after: ts(T0 - 86_400_000),
        now: ts(T0),
    });
    assert_eq!(v.cause.as_str(), "tls.expired");
    assert!(
        v.sentence.contains("expired on 2026-11-26T08:00:00Z"),
        "{}",
        v.sentence
    );

    let (_, v) = tls_failure(TlsFailure::Handshake {
        detail: "received fatal alert: ProtocolVersion".into(),
    });
    assert_eq!(v.cause.as_str(), "tls.legacy_only");
    let (_, v) = tls_failure(TlsFailure::Handshake {
        detail: "peer is incompatible: ServerDoesNotSupportTls12Or13".into(),
    });
    assert_eq!(v.cause.as_str(), "tls.legacy_only");
    let (_, v) = tls_failure(TlsFailure::Handshake {
        detail: "connection reset".into(),
    });
    assert_eq!(v.cause.as_str(), "tls.handshake");
    let (_, v) = tls_failure(TlsFailure::NotYetValid {
        not_before: ts(T0 + 1),
        now: ts(T0),
    });
    assert_eq!(v.cause.as_str(), "tls.not_yet_valid");
}

#[test]
fn a_certificate_expiring_within_30_days_warns() {
    let mut b = B::new();
    b.discovery_ok();
    b.tcp(
        Step::Connectivity,
        "sfbfe01.contoso.com",
        "10.0.0.11",
        5061,
        TcpOutcome::Connected,
    );
    b.tls(
        Step::Connectivity,
        "sfbfe01.contoso.com",
        "10.0.0.11",
        5061,
        None,
        T0 + 10 * 86_400_000,
    );
    let d = b.judge();
    let v = find(&d, "tls.expiring_soon");
    assert_eq!(v.status, Status::Warn);
    assert!(
        v.sentence.contains("(9 days after the check)"),
        "{}",
        v.sentence
    );
}

#[test]
fn no_auth_skips_authentication_with_what_the_401_revealed() {
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.sent(Step::Authentication, REGISTER_UNAUTH);
    // Date of the capture is 2020: give the message that receive time to avoid a drift warning.
    b.sip(
        Step::Authentication,
        Direction::Received,
        R401_THREE,
        Some(1_591_258_502_000),
    );
    let d = b.judge();
    let v = find(&d, "auth.not_attempted");
    assert_eq!(v.status, Status::Skipped);
    for part in [
        "NTLM (targetname sfbfe01.contoso.com)",
        "Kerberos (targetname sip/sfbfe01.contoso.com)",
        "TLS-DSK",
        "realm \"SIP Communications Service\"",
        "sts-uri https://sfbfe01.contoso.com:443/CertProv",
    ] {
        assert!(v.sentence.contains(part), "{part} missing: {}", v.sentence);
    }
    assert_eq!(
        v.sentence,
        "Not attempted (no credentials): sfbfe01.contoso.com answered 401 Unauthorized offering \
         NTLM (targetname sfbfe01.contoso.com), Kerberos (targetname sip/sfbfe01.contoso.com), \
         TLS-DSK (targetname sfbfe01.contoso.com), realm \"SIP Communications Service\", sts-uri \
         https://sfbfe01.contoso.com:443/CertProv/CertProvisioningService.svc. Server: RTC/6.0."
    );
    assert!(d.root_cause.is_none());
    assert_eq!(d.status(Step::Redirection), Status::Skipped);
    assert_eq!(d.status(Step::Settings), Status::Skipped);
    assert!(
        d.verdicts
            .iter()
            .all(|v| v.cause.as_str() != "auth.clock_drift")
    );
}

#[test]
fn a_skewed_server_date_in_a_no_auth_run_warns() {
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.sent(Step::Authentication, REGISTER_UNAUTH);
    // Date 2020-06-04T08:15:02Z received at 08:25:02Z: the server is 10 minutes behind.
    b.sip(
        Step::Authentication,
        Direction::Received,
        R401_THREE,
        Some(1_591_259_102_000),
    );
    let d = b.judge();
    let v = find(&d, "auth.clock_drift");
    assert!(v.sentence.contains("10 minutes behind"), "{}", v.sentence);
}

#[test]
fn offers_nobody_can_use() {
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.sent(Step::Authentication, &register(1, None));
    b.recv(
        Step::Authentication,
        &response(
            "401 Unauthorized",
            1,
            "REGISTER",
            &["WWW-Authenticate: Digest realm=\"contoso.com\", nonce=\"1\""],
        ),
    );
    assert_eq!(root(&b.judge()).2, "auth.no_usable_offer");

    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.sent(Step::Authentication, &register(1, None));
    b.recv(
        Step::Authentication,
        &response("401 Unauthorized", 1, "REGISTER", &[KRB_OFFER]),
    );
    let d = b.judge();
    assert!(
        find(&d, "auth.not_attempted")
            .sentence
            .contains("Only Kerberos is offered")
    );
}

#[test]
fn wrong_password_names_the_account_and_the_hop() {
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.ntlm_until(&response(
        "401 Unauthorized",
        3,
        "REGISTER",
        &[
            NTLM_OFFER,
            "ms-diagnostics: 1000;reason=\"Final handshake failed\";source=\"sfbfe01.contoso.com\"",
        ],
    ));
    let d = b.judge();
    assert_eq!(
        root(&d),
        (
            Step::Authentication,
            Status::Fail,
            "auth.wrong_password".into()
        )
    );
    let v = find(&d, "auth.wrong_password");
    assert!(v.sentence.starts_with("sfbfe01.contoso.com refused the NTLM credentials of CONTOSO\\alice (workstation PC42) for sip:alice@contoso.com"), "{}", v.sentence);
    assert!(
        v.sentence
            .contains("1000 (\"Final handshake failed\"), said by sfbfe01.contoso.com"),
        "{}",
        v.sentence
    );
    assert_eq!(d.status(Step::Redirection), Status::Skipped);
    assert_eq!(d.status(Step::Settings), Status::Skipped);
}

#[test]
fn ad_disabled_and_sfb_disabled_are_told_apart() {
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.ntlm_until(&response(
        "401 Unauthorized",
        3,
        "REGISTER",
        &[NTLM_OFFER, "ms-diagnostics: 1000;reason=\"Final handshake failed: the account is disabled\";source=\"sfbfe01.contoso.com\""],
    ));
    assert_eq!(root(&b.judge()).2, "auth.ad_account_disabled");

    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.ntlm_until(&response(
        "403 Forbidden",
        3,
        "REGISTER",
        &[SIGNED, "ms-diagnostics: 4005;reason=\"User is disabled for Skype for Business\";source=\"sfbfe01.contoso.com\""],
    ));
    let d = b.judge();
    assert_eq!(root(&d).2, "auth.sfb_user_disabled");
    assert!(
        find(&d, "auth.sfb_user_disabled")
            .sentence
            .contains("authenticated the credentials")
    );

    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.sent(Step::Authentication, &register(1, None));
    b.recv(
        Step::Authentication,
        &response("401 Unauthorized", 1, "REGISTER", &[KRB_OFFER]),
    );
    b.sent(Step::Authentication, &register(2, Some(KRB_AUTHZ)));
    b.token(
        AuthProtocol::Kerberos,
        Direction::Received,
        "krb_error",
        &[
            ("error_code", "18"),
            ("error_name", "KDC_ERR_CLIENT_REVOKED"),
        ],
    );
    b.recv(
        Step::Authentication,
        &response("401 Unauthorized", 2, "REGISTER", &[KRB_OFFER]),
    );
    assert_eq!(root(&b.judge()).2, "auth.ad_account_disabled");
}

fn rejected(last: &str) -> sfb_diagnose::Diagnosis {
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.ntlm_until(last);
    b.judge()
}

#[test]
fn registrar_refusals_are_read_through_the_catalogue() {
    let d = rejected(R404_4005);
    assert_eq!(
        root(&d),
        (
            Step::Authentication,
            Status::Fail,
            "auth.not_sip_enabled".into()
        )
    );
    let v = find(&d, "auth.not_sip_enabled");
    assert!(
        v.sentence
            .starts_with("sfbfe01.contoso.com refused sip:alice@contoso.com"),
        "{}",
        v.sentence
    );
    assert!(v.remedy.as_deref().unwrap().contains("Enable-CsUser"));

    let d = rejected(R403_4003);
    assert_eq!(root(&d).2, "auth.remote_access_disabled");
    assert!(
        find(&d, "auth.remote_access_disabled")
            .sentence
            .contains("public form")
    );

    let d = rejected(&response(
        "403 Forbidden",
        3,
        "REGISTER",
        &[
            "ms-diagnostics-public: 4004;reason=\"Credentials provided are not authorized to act as specified from URI.\"",
        ],
    ));
    let v = find(&d, "auth.credentials_mismatch");
    assert!(v.sentence.contains("credentials of CONTOSO\\alice (workstation PC42) are not authorized to act as sip:alice@contoso.com"), "{}", v.sentence);

    let d = rejected(R504);
    let v = find(&d, "auth.next_hop_down");
    assert!(
        v.sentence
            .contains("1007 (\"Temporarily cannot route.\"), said by dir01.contoso.com"),
        "{}",
        v.sentence
    );
    assert!(
        v.sentence
            .starts_with("edge01.contoso.com could not reach its next hop pool2.contoso.com"),
        "{}",
        v.sentence
    );

    let d = rejected(&response(
        "403 Forbidden",
        3,
        "REGISTER",
        &[
            "ms-diagnostics: 17011;reason=\"Client version is blocked\";source=\"sfbfe01.contoso.com\"",
        ],
    ));
    let v = find(&d, "auth.client_version_blocked");
    assert!(
        v.sentence.contains("UCCAPI/16.0.4849.1000"),
        "{}",
        v.sentence
    );

    let d = rejected(&response(
        "403 Forbidden",
        3,
        "REGISTER",
        &["Warning: 399 sfbfe01.contoso.com \"The client version is not allowed\""],
    ));
    assert_eq!(root(&d).2, "auth.client_version_blocked");

    let d = rejected(&response("504 Server time-out", 3, "REGISTER", &[]));
    assert_eq!(root(&d).2, "auth.next_hop_down");
}

#[test]
fn unknown_refusals_are_shown_raw_never_passed() {
    let d = rejected(&response(
        "480 Temporarily Unavailable",
        3,
        "REGISTER",
        &["ms-diagnostics: 2999;reason=\"Something new\";source=\"sfbfe02.contoso.com\""],
    ));
    assert_eq!(root(&d).2, "auth.rejected");
    let v = find(&d, "auth.rejected");
    assert!(
        v.sentence.contains("480 Temporarily Unavailable"),
        "{}",
        v.sentence
    );
    assert!(
        v.sentence
            .contains("2999: an uncatalogued code of User Services (presence)"),
        "{}",
        v.sentence
    );
    assert!(
        v.sentence.contains("said by sfbfe02.contoso.com"),
        "{}",
        v.sentence
    );
}

#[test]
fn unsigned_errors_after_the_security_association_warn() {
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.ntlm_until(&response("200 OK", 3, "REGISTER", &[SIGNED]));
    b.sent(Step::Authentication, &register(4, Some(NTLM_AUTHZ)));
    b.recv(
        Step::Authentication,
        &response(
            "403 Forbidden",
            4,
            "REGISTER",
            &["ms-diagnostics: 4005;reason=\"x\";source=\"sfbfe01.contoso.com\""],
        ),
    );
    let d = b.judge();
    assert_eq!(
        find(&d, "auth.unsigned_error_response").status,
        Status::Warn
    );
    assert_eq!(root(&d).2, "auth.not_sip_enabled");
}

#[test]
fn no_answer_to_register_fails() {
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.sent(Step::Authentication, &register(1, None));
    assert_eq!(root(&b.judge()).2, "auth.no_response");
}

#[test]
fn a_bad_server_signature_recorded_by_the_session_fails() {
    let mut b = B::healthy();
    b.t.step_mut(Step::Authentication)
        .verdicts
        .push(StepVerdict {
            step: Step::Authentication,
            status: Status::Fail,
            cause: sfb_trace::CauseCode::new("auth.bad_signature").unwrap(),
            sentence: "rspauth of the 200 OK does not verify".into(),
            remedy: None,
            evidence: vec![],
        });
    let d = b.judge();
    assert_eq!(root(&d).2, "auth.bad_server_signature");
    assert!(
        find(&d, "auth.bad_server_signature")
            .sentence
            .contains("rspauth of the 200 OK")
    );
}

fn kerberos(err: Option<(&str, &str)>, last: &str) -> B {
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.sent(Step::Authentication, &register(1, None));
    b.recv(
        Step::Authentication,
        &response("401 Unauthorized", 1, "REGISTER", &[KRB_OFFER, NTLM_OFFER]),
    );
    b.sent(Step::Authentication, &register(2, Some(KRB_AUTHZ)));
    b.token(
        AuthProtocol::Kerberos,
        Direction::Sent,
        "ap_req",
        &[
            ("realm", "CONTOSO.COM"),
            ("sname", "sip/sfbfe01.contoso.com"),
            ("ticket_enctype", "aes256-cts-hmac-sha1-96"),
        ],
    );
    if let Some((code, name)) = err {
        b.token(
            AuthProtocol::Kerberos,
            Direction::Received,
            "krb_error",
            &[("error_code", code), ("error_name", name)],
        );
    }
    b.recv(Step::Authentication, last);
    b
}

#[test]
fn kerberos_skew_and_missing_spn() {
    let r401 = response("401 Unauthorized", 2, "REGISTER", &[KRB_OFFER]);
    let d = kerberos(Some(("37", "KRB_AP_ERR_SKEW")), &r401).judge();
    assert_eq!(
        root(&d),
        (Step::Authentication, Status::Fail, "auth.clock_skew".into())
    );

    // No KRB error decoded, but the server's Date is an hour ahead.
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.sent(Step::Authentication, &register(1, None));
    b.recv(
        Step::Authentication,
        &response("401 Unauthorized", 1, "REGISTER", &[KRB_OFFER]),
    );
    b.sent(Step::Authentication, &register(2, Some(KRB_AUTHZ)));
    b.sip(
        Step::Authentication,
        Direction::Received,
        &response(
            "401 Unauthorized",
            2,
            "REGISTER",
            &[KRB_OFFER, "Date: Fri, 27 Nov 2026 09:00:00 GMT"],
        ),
        Some(T0),
    );
    let d = b.judge();
    assert_eq!(root(&d).2, "auth.clock_skew");
    assert!(
        find(&d, "auth.clock_skew")
            .sentence
            .contains("60 minutes ahead of"),
        "{:?}",
        d.root_cause
    );

    let d = kerberos(Some(("7", "KDC_ERR_S_PRINCIPAL_UNKNOWN")), &r401).judge();
    assert_eq!(root(&d).2, "auth.kerberos_spn_missing");
    let v = find(&d, "auth.kerberos_spn_missing");
    assert!(
        v.sentence.contains("sip/sfbfe01.contoso.com"),
        "{}",
        v.sentence
    );

    let d = kerberos(Some(("41", "KRB_AP_ERR_MODIFIED")), &r401).judge();
    assert_eq!(root(&d).2, "auth.kerberos_failed");
    assert!(
        find(&d, "auth.kerberos_failed")
            .sentence
            .contains("KRB_AP_ERR_MODIFIED")
    );
}

#[test]
fn kerberos_broken_and_ntlm_silently_used_warns() {
    let mut b = kerberos(
        Some(("41", "KRB_AP_ERR_MODIFIED")),
        &response("401 Unauthorized", 2, "REGISTER", &[NTLM_OFFER]),
    );
    b.sent(Step::Authentication, &register(3, Some(NTLM_AUTHZ)));
    b.recv(
        Step::Authentication,
        &response("401 Unauthorized", 3, "REGISTER", &[NTLM_OFFER]),
    );
    b.sent(Step::Authentication, &register(4, Some(NTLM_AUTHZ)));
    b.recv(
        Step::Authentication,
        &response("200 OK", 4, "REGISTER", &[SIGNED]),
    );
    b.settings_ok(10);
    let d = b.judge();
    assert!(d.root_cause.is_none());
    let v = find(&d, "auth.kerberos_fell_back_to_ntlm");
    assert_eq!(v.status, Status::Warn);
    assert!(v.sentence.contains("KRB_AP_ERR_MODIFIED"), "{}", v.sentence);
    assert_eq!(d.status(Step::Authentication), Status::Warn);
}

#[test]
fn redirect_loops_and_unreachable_home_pools() {
    let contact = |to: &str| format!("Contact: <sip:{to}:5061;transport=tls>");
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.ntlm_until(&response(
        "301 Redirect request to Home Server",
        3,
        "REGISTER",
        &[SIGNED, &contact("pool2.contoso.com")],
    ));
    b.tcp(
        Step::Redirection,
        "pool2.contoso.com",
        "10.0.1.21",
        5061,
        TcpOutcome::Connected,
    );
    b.tls(
        Step::Redirection,
        "pool2.contoso.com",
        "10.0.1.21",
        5061,
        None,
        T0 + 365 * 86_400_000,
    );
    b.ntlm_until(&response(
        "301 Redirect request to Home Server",
        3,
        "REGISTER",
        &[SIGNED, &contact("sfbfe01.contoso.com")],
    ));
    let d = b.judge();
    assert_eq!(
        root(&d),
        (Step::Redirection, Status::Fail, "redirect.loop".into())
    );
    assert!(
        find(&d, "redirect.loop")
            .sentence
            .contains("sfbfe01.contoso.com -> pool2.contoso.com -> sfbfe01.contoso.com"),
        "{}",
        find(&d, "redirect.loop").sentence
    );
    assert_eq!(d.status(Step::Authentication), Status::Pass);

    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.ntlm_until(R301);
    b.tcp(
        Step::Redirection,
        "pool2.contoso.com",
        "10.0.1.21",
        5061,
        TcpOutcome::Refused,
    );
    let d = b.judge();
    assert_eq!(
        root(&d),
        (
            Step::Redirection,
            Status::Fail,
            "redirect.home_pool_unreachable".into()
        )
    );
    let v = find(&d, "redirect.home_pool_unreachable");
    assert!(
        v.sentence.contains("pool2.contoso.com:5061")
            && v.sentence.contains("10.0.1.21:5061 (refused)"),
        "{}",
        v.sentence
    );

    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.ntlm_until(R301);
    assert_eq!(root(&b.judge()).2, "redirect.not_followed");

    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.ntlm_until(&response("301 Moved", 3, "REGISTER", &[SIGNED]));
    assert_eq!(root(&b.judge()).2, "redirect.bad_contact");
}

#[test]
fn a_backup_registrar_warns() {
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.ntlm_until(&response(
        "200 OK",
        3,
        "REGISTER",
        &[SIGNED, "presence-state: register-action=\"added\";primary-cluster-type=\"central\";is-connected-to-primary=\"no\""],
    ));
    b.settings_ok(10);
    let d = b.judge();
    let v = find(&d, "redirect.backup_registrar");
    assert_eq!(v.status, Status::Warn);
    assert!(d.root_cause.is_none());
    // The capture of a healthy SfB registration is not a backup.
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.ntlm_until(R200_SFB);
    b.settings_ok(10);
    all_pass(&b.judge());
}

#[test]
fn provisioning_failures_fail_settings_other_requests_warn() {
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.ntlm_until(&response("200 OK", 3, "REGISTER", &[SIGNED]));
    b.sent(
        Step::Settings,
        &subscribe(10, "vnd-microsoft-provisioning-v2"),
    );
    b.recv(Step::Settings, &response("500 Server Internal Error", 10, "SUBSCRIBE", &[SIGNED, "ms-diagnostics: 4000;reason=\"User services default\";source=\"sfbfe01.contoso.com\""]));
    let d = b.judge();
    assert_eq!(
        root(&d),
        (
            Step::Settings,
            Status::Fail,
            "settings.provisioning_failed".into()
        )
    );
    assert!(
        find(&d, "settings.provisioning_failed")
            .sentence
            .contains("500 Server Internal Error")
    );

    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.ntlm_until(&response("200 OK", 3, "REGISTER", &[SIGNED]));
    b.sent(
        Step::Settings,
        &subscribe(10, "vnd-microsoft-provisioning-v2"),
    );
    b.recv(
        Step::Settings,
        &response("200 OK", 10, "SUBSCRIBE", &[SIGNED]),
    );
    b.sent(
        Step::Settings,
        &subscribe(11, "vnd-microsoft-roaming-contacts"),
    );
    let d = b.judge();
    assert_eq!(find(&d, "settings.request_failed").status, Status::Warn);
    assert!(
        find(&d, "settings.ok")
            .sentence
            .contains("provisioning-v2 (200 OK)")
    );
}

#[test]
fn every_rule_test_trace_survives_a_json_round_trip_and_apply() {
    let b = B::healthy();
    let d = diagnose(&b.t);
    let mut t = b.t.clone();
    d.clone().apply(&mut t);
    let back = sfb_trace::SignInTrace::from_json(t.to_json().as_bytes()).unwrap();
    assert_eq!(diagnose(&back), d);
}

#[test]
fn an_ntlm_handshake_stopped_before_credentials_is_not_a_wrong_password() {
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.sent(Step::Authentication, &register(1, None));
    b.recv(
        Step::Authentication,
        &response("401 Unauthorized", 1, "REGISTER", &[NTLM_OFFER]),
    );
    b.sent(Step::Authentication, &register(2, Some(NTLM_AUTHZ)));
    b.token(AuthProtocol::Ntlm, Direction::Sent, "negotiate", &[]);
    b.recv(
        Step::Authentication,
        &response("401 Unauthorized", 2, "REGISTER", &[NTLM_OFFER]),
    );
    b.token(AuthProtocol::Ntlm, Direction::Received, "challenge", &[]);
    let d = b.judge();
    assert_eq!(root(&d).2, "auth.rejected");
    assert!(
        find(&d, "auth.rejected")
            .sentence
            .contains("stopped after the server's challenge")
    );
}

#[test]
fn a_redirect_to_the_same_host_that_then_registers_is_no_loop() {
    let mut b = B::new();
    b.discovery_ok();
    b.connect_ok();
    b.ntlm_until(&response(
        "301 Redirect request to Home Server",
        3,
        "REGISTER",
        &[
            SIGNED,
            "Contact: <sip:sfbfe01.contoso.com:5061;transport=tls>",
        ],
    ));
    b.tcp(
        Step::Redirection,
        "sfbfe01.contoso.com",
        "10.0.0.12",
        5061,
        TcpOutcome::Connected,
    );
    b.tls(
        Step::Redirection,
        "sfbfe01.contoso.com",
        "10.0.0.12",
        5061,
        None,
        T0 + 365 * 86_400_000,
    );
    b.ntlm_until(&response("200 OK", 3, "REGISTER", &[SIGNED]));
    b.settings_ok(10);
    all_pass(&b.judge());
}

#[test]
fn an_srv_target_without_address_fails_connectivity_naming_it() {
    let mut b = B::new();
    b.dns(
        "_sipinternaltls._tcp.contoso.com",
        "SRV",
        "x",
        "answer",
        &["_sipinternaltls._tcp.contoso.com 60 SRV 0 0 5061 pool1.contoso.com"],
    );
    b.dns("pool1.contoso.com", "A", "srv target", "nxdomain", &[]);
    let d = b.judge();
    assert_eq!(
        root(&d),
        (
            Step::Connectivity,
            Status::Fail,
            "connectivity.no_address".into()
        )
    );
    assert!(
        find(&d, "connectivity.no_address")
            .sentence
            .contains("pool1.contoso.com A (nxdomain)")
    );
}

#[test]
fn a_remote_access_refusal_worded_disabled_keeps_its_code() {
    let d = rejected(&response(
        "403 Forbidden",
        3,
        "REGISTER",
        &["ms-diagnostics-public: 4003;reason=\"Remote access is disabled for this user\""],
    ));
    assert_eq!(root(&d).2, "auth.remote_access_disabled");
}

#[test]
fn an_absent_location_profile_is_not_a_settings_failure() {
    let mut b = B::healthy();
    let service = msg(&[
        "SERVICE sip:alice@contoso.com SIP/2.0",
        "Via: SIP/2.0/TLS 10.0.0.5:51034;branch=z9hG4bK77",
        "From: <sip:alice@contoso.com>;tag=7d3a1f0c9b",
        "To: <sip:alice@contoso.com>",
        "Call-ID: 6f1c2e9a0b7d4c3e8a5f1d2b9c7e4a60",
        "CSeq: 20 SERVICE",
        "Content-Type: application/msrtc-locationprofile-request+xml",
        "Content-Length: 0",
    ]);
    b.sent(Step::Settings, &service);
    b.recv(
        Step::Settings,
        &response("404 Not Found", 20, "SERVICE", &[SIGNED]),
    );
    all_pass(&b.judge());
    // Any other SERVICE failing warns.
    let mut b = B::healthy();
    b.sent(
        Step::Settings,
        &service.replace("msrtc-locationprofile-request+xml", "SOAP+xml"),
    );
    b.recv(
        Step::Settings,
        &response("404 Not Found", 20, "SERVICE", &[SIGNED]),
    );
    assert_eq!(b.judge().status(Step::Settings), Status::Warn);
}
