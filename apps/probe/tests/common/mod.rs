//! Fixture traces built with the sfb-trace API (what a diagnosed sign-in looks like), the
//! golden-file helper and the schema validators shared by the integration tests.

#![allow(dead_code, reason = "each test binary uses a part of the fixtures")]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use serde_json::Value;
use sfb_trace::{
    AuthProtocol, AuthTokenEvidence, CauseCode, CertificateEvidence, Direction, DnsEvidence,
    EvidenceId, EvidenceKind, NameSource, RedactionPolicy, SignInTrace, SipEvidence, Status, Step,
    StepVerdict, TcpEvidence, TcpOutcome, Timestamp, TlsEvidence, TlsOutcome,
};

/// The raw NTLM tokens in the fixture's SIP text: they must never reach an output by default.
pub(crate) const RAW_CHALLENGE: &str = "TlRMTVNTUAACAAAADAAMADgAAAA1goni0Yd3Zm2Vm8c";
pub(crate) const RAW_AUTHENTICATE: &str = "TlRMTVNTUAADAAAAGAAYAIIAAAAwEjRWeJq8";
/// A canary that stands for a password: no fixture carries it, no output may.
pub(crate) const CANARY_PASSWORD: &str = "Canary-Pa55w0rd!";

/// The start of every fixture trace.
pub(crate) const T0: i64 = 1_795_766_400_000; // 2026-11-27T08:00:00Z

pub(crate) fn at(ms: i64) -> Timestamp {
    Timestamp::from_unix_ms(T0 + ms).unwrap()
}

pub(crate) fn verdict(
    step: Step,
    status: Status,
    cause: &'static str,
    sentence: &str,
    remedy: Option<&str>,
    evidence: &[EvidenceId],
) -> StepVerdict {
    StepVerdict {
        step,
        status,
        cause: CauseCode::from_static(cause),
        sentence: sentence.into(),
        remedy: remedy.map(Into::into),
        evidence: evidence.to_vec(),
    }
}

const FE: &str = "10.0.0.5:5061";

fn sip(direction: Direction, ms: i64, text: &str) -> EvidenceKind {
    EvidenceKind::Sip(SipEvidence {
        direction,
        at: at(ms),
        peer: FE.into(),
        text: text.into(),
        wire_len: u64::try_from(text.len()).unwrap(),
        truncated: false,
        redacted: false,
    })
}

fn register(cseq: u32, authz: Option<&str>) -> String {
    let authz = authz
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    format!(
        "REGISTER sip:contoso.com SIP/2.0\r\n\
         Via: SIP/2.0/TLS 10.0.0.9:50123;branch=z9hG4bK{cseq}\r\n\
         Max-Forwards: 70\r\n\
         From: \"Alice Smith\" <sip:alice@contoso.com>;tag=a1b2c3;epid=01010101\r\n\
         To: <sip:alice@contoso.com>\r\n\
         Call-ID: 9f1c7e\r\n\
         CSeq: {cseq} REGISTER\r\n\
         Contact: <sip:10.0.0.9:50123;transport=tls;ms-opaque=d3470f2e1d>;methods=\"INVITE, MESSAGE\";+sip.instance=\"<urn:uuid:0f0c>\"\r\n\
         User-Agent: UCCAPI/16.0.4849.1000 OC/16.0.4849.1000 (Skype for Business)\r\n\
         {authz}Content-Length: 0\r\n\r\n"
    )
}

fn response(cseq: u32, status: &str, extra: &str) -> String {
    format!(
        "SIP/2.0 {status}\r\n\
         Via: SIP/2.0/TLS 10.0.0.9:50123;branch=z9hG4bK{cseq};received=10.0.0.9\r\n\
         From: \"Alice Smith\" <sip:alice@contoso.com>;tag=a1b2c3;epid=01010101\r\n\
         To: <sip:alice@contoso.com>;tag=F00D\r\n\
         Call-ID: 9f1c7e\r\n\
         CSeq: {cseq} REGISTER\r\n\
         {extra}Server: RTC/6.0\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// Discovery and connectivity shared by the fixtures: SRV, A, TCP, TLS (the certificate
/// expires in 20 days: a warning).
fn connect(trace: &mut SignInTrace, policy_ok_cert: bool) -> (EvidenceId, EvidenceId) {
    let srv = trace.push_evidence(
        Some(Step::Discovery),
        EvidenceKind::Dns(DnsEvidence {
            name: "_sipinternaltls._tcp.contoso.com".into(),
            rtype: "SRV".into(),
            purpose: "internal SIP over TLS".into(),
            outcome: "answer".into(),
            detail: None,
            rcode: Some("NOERROR".into()),
            answers: vec!["0 0 5061 sip.contoso.com.".into()],
            cname_chain: Vec::new(),
            ttl: Some(3600),
            elapsed_ms: Some(4),
        }),
    );
    trace.push_evidence(
        Some(Step::Discovery),
        EvidenceKind::Dns(DnsEvidence {
            name: "sip.contoso.com".into(),
            rtype: "A".into(),
            purpose: "address of the SRV target".into(),
            outcome: "answer".into(),
            detail: None,
            rcode: Some("NOERROR".into()),
            answers: vec!["10.0.0.5".into()],
            cname_chain: Vec::new(),
            ttl: Some(3600),
            elapsed_ms: Some(3),
        }),
    );
    let d = trace.step_mut(Step::Discovery);
    d.started_at = Some(at(0));
    d.elapsed_ms = 8;
    d.verdicts.push(verdict(
        Step::Discovery,
        Status::Pass,
        "dns.srv_found",
        "The SRV record _sipinternaltls._tcp.contoso.com names sip.contoso.com:5061, inside the SIP domain.",
        None,
        &[srv],
    ));
    let address = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5));
    trace.push_evidence(
        Some(Step::Connectivity),
        EvidenceKind::Tcp(TcpEvidence {
            host: "sip.contoso.com".into(),
            address,
            port: 5061,
            address_index: 0,
            started_at: at(9),
            elapsed_ms: 2,
            timeout_ms: 5000,
            outcome: TcpOutcome::Connected,
            os_error: None,
            os_error_code: None,
            local_address: Some("10.0.0.9:50123".into()),
        }),
    );
    let not_after = if policy_ok_cert {
        Timestamp::parse("2028-01-01T00:00:00Z").unwrap()
    } else {
        Timestamp::parse("2026-12-17T00:00:00Z").unwrap()
    };
    let tls = trace.push_evidence(
        Some(Step::Connectivity),
        EvidenceKind::Tls(TlsEvidence {
            host: "sip.contoso.com".into(),
            address,
            port: 5061,
            expected_name: "sip.contoso.com".into(),
            name_source: NameSource::SrvTarget,
            started_at: at(11),
            elapsed_ms: 14,
            outcome: TlsOutcome::Established,
            protocol_version: Some("TLSv1.2".into()),
            cipher_suite: Some("TLS13_AES_256_GCM_SHA384".into()),
            verified_at: Some(at(25)),
            chain: vec![CertificateEvidence {
                subject: "CN=sip.contoso.com".into(),
                issuer: "CN=Contoso Issuing CA".into(),
                serial: "4F:01".into(),
                not_before: Timestamp::parse("2025-01-01T00:00:00Z").unwrap(),
                not_after,
                sans: vec!["sip.contoso.com".into(), "fe01.contoso.com".into()],
                extended_key_usages: vec!["server_auth".into()],
                is_ca: false,
                self_issued: false,
                aia_ca_issuers: Vec::new(),
                ocsp_urls: Vec::new(),
                crl_distribution_points: Vec::new(),
                sha256_fingerprint: "AA:BB".into(),
                sha1_fingerprint: "CC:DD".into(),
            }],
            unparsable: Vec::new(),
            failure: None,
            error: None,
        }),
    );
    let c = trace.step_mut(Step::Connectivity);
    c.started_at = Some(at(9));
    c.elapsed_ms = 16;
    c.verdicts.push(verdict(
        Step::Connectivity,
        Status::Pass,
        "tls.established",
        "TLS 1.2 to sip.contoso.com (10.0.0.5:5061) with a trusted certificate naming sip.contoso.com.",
        None,
        &[tls],
    ));
    if !policy_ok_cert {
        c.verdicts.push(verdict(
            Step::Connectivity,
            Status::Warn,
            "tls.expiring_soon",
            "The certificate of sip.contoso.com expires on 2026-12-17, in 20 days.",
            Some("Renew the Front End certificate before it expires."),
            &[tls],
        ));
    }
    (srv, tls)
}

/// NTLM with credentials that belong to another user: 401 with ms-diagnostics 4004.
pub(crate) fn auth_failure(policy: RedactionPolicy) -> SignInTrace {
    let mut t = SignInTrace::new("sfb-probe 0.1.0", "sip:alice@contoso.com", at(0), policy);
    t.elapsed_ms = 120;
    connect(&mut t, false);
    let challenge_hdr = format!(
        "WWW-Authenticate: NTLM opaque=\"C9A1B3D2\", gssapi-data=\"{RAW_CHALLENGE}\", targetname=\"fe01.contoso.com\", realm=\"SIP Communications Service\", version=4\r\n"
    );
    t.push_evidence(
        Some(Step::Authentication),
        sip(Direction::Sent, 30, &register(1, None)),
    );
    t.push_evidence(
        Some(Step::Authentication),
        sip(
            Direction::Received,
            41,
            &response(1, "401 Unauthorized", "WWW-Authenticate: NTLM realm=\"SIP Communications Service\", targetname=\"fe01.contoso.com\", version=4\r\n"),
        ),
    );
    t.push_evidence(
        Some(Step::Authentication),
        sip(Direction::Sent, 43, &register(2, Some("NTLM qop=\"auth\", realm=\"SIP Communications Service\", targetname=\"fe01.contoso.com\", gssapi-data=\"\", version=4"))),
    );
    let challenge = t.push_evidence(
        Some(Step::Authentication),
        sip(
            Direction::Received,
            55,
            &response(2, "401 Unauthorized", &challenge_hdr),
        ),
    );
    let authenticate = t.push_evidence(
        Some(Step::Authentication),
        sip(Direction::Sent, 60, &register(3, Some(&format!("NTLM qop=\"auth\", opaque=\"C9A1B3D2\", realm=\"SIP Communications Service\", targetname=\"fe01.contoso.com\", crand=\"1bd07d89\", cnum=\"1\", response=\"0100000029618e9651b65a7764000000\", gssapi-data=\"{RAW_AUTHENTICATE}\", version=4")))),
    );
    let refused = t.push_evidence(
        Some(Step::Authentication),
        sip(
            Direction::Received,
            74,
            &response(
                3,
                "403 Forbidden",
                "ms-diagnostics: 4004;reason=\"Credentials provided are not authorized to act as specified from URI\";source=\"fe01.contoso.com\"\r\n",
            ),
        ),
    );
    let mut fields = BTreeMap::new();
    fields.insert("target_name".into(), "CONTOSO".into());
    fields.insert("flags".into(), "0xe2898235".into());
    t.push_evidence(
        Some(Step::Authentication),
        EvidenceKind::AuthToken(AuthTokenEvidence {
            protocol: AuthProtocol::Ntlm,
            direction: Direction::Received,
            message_type: "challenge".into(),
            fields,
            raw: Some(RAW_CHALLENGE.into()),
            carried_by: Some(challenge),
        }),
    );
    let mut fields = BTreeMap::new();
    fields.insert("domain".into(), "FABRIKAM".into());
    fields.insert("user".into(), "bob".into());
    fields.insert("workstation".into(), "HELPDESK-PC".into());
    fields.insert("mic".into(), "present".into());
    let token = t.push_evidence(
        Some(Step::Authentication),
        EvidenceKind::AuthToken(AuthTokenEvidence {
            protocol: AuthProtocol::Ntlm,
            direction: Direction::Sent,
            message_type: "authenticate".into(),
            fields,
            raw: Some(RAW_AUTHENTICATE.into()),
            carried_by: Some(authenticate),
        }),
    );
    let a = t.step_mut(Step::Authentication);
    a.started_at = Some(at(30));
    a.elapsed_ms = 44;
    a.verdicts.push(verdict(
        Step::Authentication,
        Status::Fail,
        "auth.credentials_not_for_uri",
        "fe01.contoso.com refused the sign-in (ms-diagnostics 4004): the credentials FABRIKAM\\bob do not belong to the SIP URI sip:alice@contoso.com.",
        Some("Sign in with the account that owns this SIP URI, or fix the user's SIP address in Active Directory."),
        &[refused, token],
    ));
    t.step_mut(Step::Redirection).verdicts.push(verdict(
        Step::Redirection,
        Status::Skipped,
        "step.not_reached",
        "Not reached: authentication failed.",
        None,
        &[],
    ));
    t.step_mut(Step::Settings).verdicts.push(verdict(
        Step::Settings,
        Status::Skipped,
        "step.not_reached",
        "Not reached: authentication failed.",
        None,
        &[],
    ));
    t
}

/// A healthy sign-in: 401, 301 to the home pool, 200 OK.
pub(crate) fn healthy(policy: RedactionPolicy) -> SignInTrace {
    let mut t = SignInTrace::new("sfb-probe 0.1.0", "sip:alice@contoso.com", at(0), policy);
    t.elapsed_ms = 95;
    connect(&mut t, true);
    t.push_evidence(
        Some(Step::Authentication),
        sip(Direction::Sent, 30, &register(1, None)),
    );
    t.push_evidence(
        Some(Step::Authentication),
        sip(Direction::Received, 38, &response(1, "401 Unauthorized", "WWW-Authenticate: Kerberos realm=\"SIP Communications Service\", targetname=\"sip/fe01.contoso.com\", version=4\r\n")),
    );
    let redirect = t.push_evidence(
        Some(Step::Redirection),
        sip(
            Direction::Received,
            60,
            &response(
                2,
                "301 Redirect request",
                "Contact: <sip:pool2.contoso.com:5061;transport=tls>\r\n",
            ),
        ),
    );
    let ok = t.push_evidence(
        Some(Step::Settings),
        sip(Direction::Received, 90, &response(3, "200 OK", "")),
    );
    let a = t.step_mut(Step::Authentication);
    a.elapsed_ms = 20;
    a.verdicts.push(verdict(
        Step::Authentication,
        Status::Pass,
        "auth.kerberos_ok",
        "Kerberos authentication succeeded.",
        None,
        &[],
    ));
    let r = t.step_mut(Step::Redirection);
    r.elapsed_ms = 25;
    r.verdicts.push(verdict(
        Step::Redirection,
        Status::Pass,
        "redirect.home_pool",
        "Redirected to the home pool pool2.contoso.com, registered there.",
        None,
        &[redirect],
    ));
    let s = t.step_mut(Step::Settings);
    s.elapsed_ms = 5;
    s.verdicts.push(verdict(
        Step::Settings,
        Status::Pass,
        "settings.ok",
        "Registered; in-band provisioning answered.",
        None,
        &[ok],
    ));
    t
}

pub(crate) fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Compares with the golden file, or rewrites it when `SFB_BLESS=1`.
pub(crate) fn golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("SFB_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with SFB_BLESS=1 to create it)",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{} differs (SFB_BLESS=1 rewrites it)\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

fn read_json(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A validator for one of the probe's schemas, with the trace schema registered for `$ref`.
pub(crate) fn validator(schema_file: &str) -> jsonschema::Validator {
    let trace_schema = read_json(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../crates/sfb-trace/schema/sign-in-trace.schema.json"
    ));
    let id = trace_schema["$id"].as_str().unwrap().to_owned();
    let registry = jsonschema::Registry::new()
        .add(id, trace_schema)
        .unwrap()
        .prepare()
        .unwrap();
    let schema = read_json(&format!(
        "{}/schema/{schema_file}",
        env!("CARGO_MANIFEST_DIR")
    ));
    jsonschema::options()
        .should_validate_formats(true)
        .with_registry(&registry)
        .build(&schema)
        .unwrap()
}

pub(crate) fn schema_errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}
