//! Sample traces against the committed JSON Schema (validated with the `jsonschema` crate,
//! formats included), plus the redaction guarantees of the JSON form.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde_json::{Value, json};
use sfb_trace::{
    AuthProtocol, AuthTokenEvidence, CauseCode, CertificateEvidence, Direction, DnsEvidence,
    EvidenceKind, FactEvidence, HttpEvidence, NameSource, RedactionPolicy, SCHEMA_VERSION,
    SignInTrace, SipEvidence, Status, Step, StepVerdict, TcpEvidence, TcpOutcome, Timestamp,
    TlsEvidence, TlsFailure, TlsOutcome,
};

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/sign-in-trace.schema.json"
    ))
    .expect("schema file");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles")
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn cert() -> CertificateEvidence {
    CertificateEvidence {
        subject: "CN=sip.contoso.com".into(),
        issuer: "CN=Contoso Issuing CA, O=Contoso".into(),
        serial: "01:02".into(),
        not_before: ts("2025-01-01T00:00:00Z"),
        not_after: ts("2027-01-01T00:00:00Z"),
        sans: vec!["sip.contoso.com".into(), "10.0.0.5".into()],
        extended_key_usages: vec!["server_auth".into()],
        is_ca: false,
        self_issued: false,
        aia_ca_issuers: vec!["http://pki.contoso.com/ca.crt".into()],
        ocsp_urls: vec!["http://ocsp.contoso.com".into()],
        crl_distribution_points: vec!["http://pki.contoso.com/ca.crl".into()],
        sha256_fingerprint: "AB:CD".into(),
        sha1_fingerprint: "12:34".into(),
    }
}

fn tls(failure: Option<TlsFailure>) -> TlsEvidence {
    TlsEvidence {
        host: "sip.contoso.com".into(),
        address: IpAddr::V6(Ipv6Addr::LOCALHOST),
        port: 5061,
        expected_name: "sip.contoso.com".into(),
        name_source: NameSource::SrvTarget,
        started_at: ts("2026-11-27T06:31:44.120Z"),
        elapsed_ms: 12,
        outcome: if failure.is_some() {
            TlsOutcome::Failed
        } else {
            TlsOutcome::Established
        },
        protocol_version: failure.is_none().then(|| "TLSv1.3".into()),
        cipher_suite: failure.is_none().then(|| "TLS13_AES_256_GCM_SHA384".into()),
        verified_at: Some(ts("2026-11-27T06:31:44Z")),
        chain: vec![cert()],
        unparsable: vec![],
        error: failure
            .as_ref()
            .map(|_| "invalid peer certificate: UnknownIssuer".into()),
        failure,
    }
}

const SECRET_TOKEN: &str = "TlRMTVNTUAADAAAAGAAYAEgAAAAYABgAYAAAAA";

/// A trace with every kind of evidence and every kind of TLS failure.
fn sample(policy: RedactionPolicy) -> SignInTrace {
    let mut t = SignInTrace::new(
        "sfb-probe 0.1.0",
        "sip:alice@contoso.com",
        ts("2026-11-27T06:31:44Z"),
        policy,
    );
    let dns = t.push_evidence(
        Some(Step::Discovery),
        EvidenceKind::Dns(DnsEvidence {
            name: "_sipinternaltls._tcp.contoso.com".into(),
            rtype: "SRV".into(),
            purpose: "_sipinternaltls._tcp SRV".into(),
            outcome: "answer".into(),
            detail: None,
            rcode: Some("noerror".into()),
            answers: vec![
                "_sipinternaltls._tcp.contoso.com 300 SRV 0 0 5061 sip.contoso.com".into(),
            ],
            cname_chain: vec![],
            ttl: Some(300),
            elapsed_ms: Some(3),
        }),
    );
    t.push_evidence(
        Some(Step::Discovery),
        EvidenceKind::Http(HttpEvidence {
            method: "GET".into(),
            url: "https://lyncdiscover.contoso.com/".into(),
            started_at: ts("2026-11-27T06:31:44.5+01:00"),
            status: Some(200),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body_start: Some("{\"_links\":{}}".into()),
            error: None,
            elapsed_ms: 40,
        }),
    );
    let tcp = t.push_evidence(
        Some(Step::Connectivity),
        EvidenceKind::Tcp(TcpEvidence {
            host: "sip.contoso.com".into(),
            address: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)),
            port: 5061,
            address_index: 0,
            started_at: ts("2026-11-27T06:31:44Z"),
            elapsed_ms: 1,
            timeout_ms: 5000,
            outcome: TcpOutcome::Refused,
            os_error: Some("Connection refused (os error 111)".into()),
            os_error_code: Some(111),
            local_address: None,
        }),
    );
    let failures = [
        TlsFailure::UntrustedRoot {
            issuer: "CN=Root".into(),
        },
        TlsFailure::IncompleteChain {
            missing_issuer: "CN=Inter".into(),
            aia_ca_issuers: vec!["http://x/ca.crt".into()],
        },
        TlsFailure::NameMismatch {
            expected: "sip.contoso.com".into(),
            name_source: NameSource::Redirect,
            presented: vec!["pool.contoso.com".into()],
        },
        TlsFailure::Expired {
            not_after: ts("2025-01-01T00:00:00Z"),
            now: ts("2026-01-01T00:00:00Z"),
        },
        TlsFailure::NotYetValid {
            not_before: ts("2027-01-01T00:00:00Z"),
            now: ts("2026-01-01T00:00:00Z"),
        },
        TlsFailure::NoServerAuthUsage {
            extended_key_usages: vec!["client_auth".into()],
        },
        TlsFailure::BadCertificate {
            detail: "bad signature".into(),
        },
        TlsFailure::Handshake {
            detail: "received fatal alert: HandshakeFailure".into(),
        },
    ];
    let mut tls_ids = vec![t.push_evidence(Some(Step::Connectivity), EvidenceKind::Tls(tls(None)))];
    for f in failures {
        tls_ids.push(t.push_evidence(Some(Step::Connectivity), EvidenceKind::Tls(tls(Some(f)))));
    }
    let sip = t.push_evidence(Some(Step::Authentication), EvidenceKind::Sip(SipEvidence {
        direction: Direction::Sent,
        at: ts("2026-11-27T06:31:45.001Z"),
        peer: "10.0.0.5:5061".into(),
        text: format!("REGISTER sip:contoso.com SIP/2.0\r\nAuthorization: NTLM qop=\"auth\", opaque=\"ABCD\", crand=\"1bd07d89\", cnum=\"1\", gssapi-data=\"{SECRET_TOKEN}\"\r\n\r\n"),
        wire_len: 180,
        truncated: false,
        redacted: false,
    }));
    t.push_evidence(
        Some(Step::Authentication),
        EvidenceKind::AuthToken(AuthTokenEvidence {
            protocol: AuthProtocol::Ntlm,
            direction: Direction::Sent,
            message_type: "authenticate".into(),
            fields: BTreeMap::from([
                ("user".into(), "alice".into()),
                ("domain".into(), "CONTOSO".into()),
            ]),
            raw: Some(SECRET_TOKEN.into()),
            carried_by: Some(sip),
        }),
    );
    t.push_evidence(
        Some(Step::Settings),
        EvidenceKind::Fact(FactEvidence {
            source: "setting:location_profile".into(),
            at: ts("2026-11-27T06:31:46Z"),
            status: Some(Status::Pass),
            sentence: Some("dial plan with 1 rule(s)".into()),
            fields: BTreeMap::from([("rule_count".into(), "1".into())]),
            items: vec![r"^(\d{4})$ -> +1425555$1".into()],
        }),
    );
    let v = StepVerdict {
        step: Step::Connectivity,
        status: Status::Warn,
        cause: CauseCode::new("connectivity.pool_member_down").unwrap(),
        sentence: "sip.contoso.com:5061 answers, but not on every address.".into(),
        remedy: Some("Fix the dead front end.".into()),
        evidence: vec![tcp, tls_ids[0]],
    };
    let step = t.step_mut(Step::Connectivity);
    step.started_at = Some(ts("2026-11-27T06:31:44Z"));
    step.elapsed_ms = 13;
    step.verdicts.push(v);
    t.step_mut(Step::Discovery).verdicts.push(StepVerdict {
        step: Step::Discovery,
        status: Status::Pass,
        cause: CauseCode::new("discovery.ok").unwrap(),
        sentence: "Found sip.contoso.com.".into(),
        remedy: None,
        evidence: vec![dns],
    });
    t.step_mut(Step::Settings).verdicts.push(StepVerdict {
        step: Step::Settings,
        status: Status::Skipped,
        cause: CauseCode::new("settings.not_run").unwrap(),
        sentence: "Not run.".into(),
        remedy: None,
        evidence: vec![],
    });
    t.elapsed_ms = 1234;
    t
}

#[test]
fn sample_traces_validate_against_the_schema() {
    let v = validator();
    for policy in [
        RedactionPolicy::default(),
        RedactionPolicy {
            raw_trace: true,
            redact_personal: true,
        },
    ] {
        let trace = sample(policy);
        let doc: Value = serde_json::from_str(&trace.to_json()).unwrap();
        assert_eq!(errors(&v, &doc), Vec::<String>::new());
        assert_eq!(doc["schema"], SCHEMA_VERSION);
        // Round trip.
        assert_eq!(
            SignInTrace::from_json(trace.to_json().as_bytes()).unwrap(),
            trace
        );
    }
    // An empty trace too.
    let empty = SignInTrace::new("t", "sip:a@b", Timestamp::EPOCH, RedactionPolicy::default());
    assert_eq!(
        errors(&v, &serde_json::to_value(&empty).unwrap()),
        Vec::<String>::new()
    );
}

/// One change to a valid document.
type Mutation = Box<dyn Fn(&mut Value)>;

#[test]
fn the_schema_rejects_drift() {
    let v = validator();
    let good: Value = serde_json::to_value(sample(RedactionPolicy::default())).unwrap();
    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "schema version",
            Box::new(|d| d["schema"] = json!("sfb.sign-in-trace/2")),
        ),
        ("unknown top field", Box::new(|d| d["extra"] = json!(1))),
        (
            "time not rfc 3339",
            Box::new(|d| d["started_at"] = json!("27/11/2026")),
        ),
        (
            "duration as text",
            Box::new(|d| d["elapsed_ms"] = json!("1234")),
        ),
        (
            "camelCase field",
            Box::new(|d| d["evidence"][2]["timeoutMs"] = json!(5)),
        ),
        (
            "unknown evidence kind",
            Box::new(|d| d["evidence"][0]["kind"] = json!("smtp")),
        ),
        (
            "unknown tls failure",
            Box::new(|d| d["evidence"][4]["failure"]["kind"] = json!("weird")),
        ),
        (
            "bad cause code",
            Box::new(|d| d["steps"][1]["verdicts"][0]["cause"] = json!("Pool Down")),
        ),
        (
            "bad status",
            Box::new(|d| d["steps"][1]["verdicts"][0]["status"] = json!("ok")),
        ),
        (
            "bad address",
            Box::new(|d| d["evidence"][2]["address"] = json!("not-an-ip")),
        ),
    ];
    assert!(v.is_valid(&good));
    for (what, mutate) in mutations {
        let mut doc = good.clone();
        mutate(&mut doc);
        assert!(!v.is_valid(&doc), "the schema accepted: {what}");
    }
}

#[test]
fn json_carries_no_secret_by_default_and_keeps_the_non_secrets() {
    let json = sample(RedactionPolicy::default()).to_json();
    assert!(!json.contains(SECRET_TOKEN), "raw token leaked");
    assert!(json.contains("gssapi-data=\\\"<redacted>\\\""), "{json}");
    for kept in [
        "opaque=\\\"ABCD\\\"",
        "crand=\\\"1bd07d89\\\"",
        "cnum=\\\"1\\\"",
    ] {
        assert!(json.contains(kept), "{kept} missing");
    }
    let doc: Value = serde_json::from_str(&json).unwrap();
    let sip = doc["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "sip")
        .unwrap();
    assert_eq!(sip["redacted"], true);
    let tok = doc["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "auth_token")
        .unwrap();
    assert!(tok.get("raw").is_none());

    let raw = sample(RedactionPolicy {
        raw_trace: true,
        redact_personal: false,
    })
    .to_json();
    assert_eq!(
        raw.matches(SECRET_TOKEN).count(),
        2,
        "--raw-trace keeps the token (SIP text and auth token)"
    );
}

#[test]
fn reading_checks_version_references_and_size() {
    let mut doc: Value = serde_json::to_value(sample(RedactionPolicy::default())).unwrap();
    doc["steps"][0]["evidence"] = json!([999]);
    let err = SignInTrace::from_json(doc.to_string().as_bytes()).unwrap_err();
    assert!(
        matches!(err, sfb_trace::TraceError::DanglingEvidence(999)),
        "{err}"
    );
    doc["schema"] = json!("other/9");
    assert!(matches!(
        SignInTrace::from_json(doc.to_string().as_bytes()),
        Err(sfb_trace::TraceError::UnsupportedSchema { .. })
    ));
    assert!(SignInTrace::from_json(b"{\"schema\":").is_err());
    assert!(SignInTrace::from_json(&vec![b' '; sfb_trace::MAX_JSON + 1]).is_err());
}

#[test]
fn fuzz_entry_points_survive_hostile_input() {
    let json = sample(RedactionPolicy::default()).to_json();
    for input in [
        json.as_bytes(),
        b"",
        b"\xff\xfe",
        b"gssapi-data=\"",
        b"{\"schema\":1}",
        b"2026-02-30T00:00:00Z",
    ] {
        sfb_trace::fuzzing::trace_json(input);
        sfb_trace::fuzzing::redact(input);
        sfb_trace::fuzzing::timestamp(input);
    }
}
