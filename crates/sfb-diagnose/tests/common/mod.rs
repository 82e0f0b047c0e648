//! Synthetic traces for the rule tests: built with the `SignInTrace` API, SIP evidence from
//! realistic message texts (the codec's `testdata/lync` captures and messages written in the
//! same shape).

#![allow(dead_code, reason = "each test binary uses a part of the helpers")]
#![allow(unreachable_pub, reason = "test helpers")]

use std::collections::BTreeMap;
use std::net::IpAddr;

use sfb_diagnose::{CAUSES, Diagnosis, diagnose};
use sfb_trace::{
    AuthProtocol, AuthTokenEvidence, CertificateEvidence, Direction, DnsEvidence, EvidenceId,
    EvidenceKind, HttpEvidence, NameSource, RedactionPolicy, SignInTrace, SipEvidence, Status,
    Step, TcpEvidence, TcpOutcome, Timestamp, TlsEvidence, TlsFailure, TlsOutcome,
};

/// 2026-11-27T08:00:00Z.
pub const T0: i64 = 1_795_766_400_000;

pub const REGISTER_UNAUTH: &str =
    include_str!("../../../sfb-sip-codec/testdata/lync/register-unauth.sip");
pub const R401_THREE: &str =
    include_str!("../../../sfb-sip-codec/testdata/lync/401-three-offers.sip");
pub const R403_4003: &str =
    include_str!("../../../sfb-sip-codec/testdata/lync/403-ms-diagnostics.sip");
pub const R404_4005: &str =
    include_str!("../../../sfb-sip-codec/testdata/lync/404-ms-diagnostics.sip");
pub const R504: &str =
    include_str!("../../../sfb-sip-codec/testdata/lync/504-ms-diagnostics-two.sip");
pub const R301: &str = include_str!("../../../sfb-sip-codec/testdata/lync/301-bare-contact.sip");
pub const R200_SFB: &str =
    include_str!("../../../sfb-sip-codec/testdata/lync/200-ok-register-sfb.sip");

/// A trace under construction with a moving clock.
pub struct B {
    pub t: SignInTrace,
    pub now: i64,
}

pub fn ts(ms: i64) -> Timestamp {
    Timestamp::from_unix_ms(ms).unwrap()
}

/// Lines joined with CRLF, ending with the blank line.
pub fn msg(lines: &[&str]) -> String {
    let mut s = lines.join("\r\n");
    s.push_str("\r\n\r\n");
    s
}

const VIA: &str = "Via: SIP/2.0/TLS 10.0.0.5:51034;branch=z9hG4bK6C2A5E1F.0D8B4A37;ms-received-port=51034;ms-received-cid=4A00";

/// A REGISTER from alice with an optional Authorization value.
pub fn register(cseq: u32, authorization: Option<&str>) -> String {
    let cseq = format!("CSeq: {cseq} REGISTER");
    let mut lines = vec![
        "REGISTER sip:contoso.com SIP/2.0",
        VIA,
        "Max-Forwards: 70",
        "From: <sip:alice@contoso.com>;tag=7d3a1f0c9b;epid=a1b2c3d4e5",
        "To: <sip:alice@contoso.com>",
        "Call-ID: 6f1c2e9a0b7d4c3e8a5f1d2b9c7e4a60",
        &cseq,
        "Contact: <sip:10.0.0.5:51034;transport=tls;ms-opaque=d3470f2e1d>;+sip.instance=\"<urn:uuid:7446beda-e8b3-53b7-a965-b85a66a31cfc>\"",
        "User-Agent: UCCAPI/16.0.4849.1000 OC/16.0.4849.1000 (Skype for Business)",
        "Supported: gruu-10, adhoclist, msrtc-event-categories",
        "Event: registration",
    ];
    let auth;
    if let Some(a) = authorization {
        auth = format!("Authorization: {a}");
        lines.push(&auth);
    }
    lines.push("Content-Length: 0");
    msg(&lines)
}

/// A response to a request of `method` with extra headers.
pub fn response(status: &str, cseq: u32, method: &str, extra: &[&str]) -> String {
    let start = format!("SIP/2.0 {status}");
    let cseq = format!("CSeq: {cseq} {method}");
    let mut lines = vec![
        start.as_str(),
        "From: <sip:alice@contoso.com>;tag=7d3a1f0c9b;epid=a1b2c3d4e5",
        "To: <sip:alice@contoso.com>;tag=E4B1C7A2F0D95E3B8C6A1D4F2B7E9C05",
        "Call-ID: 6f1c2e9a0b7d4c3e8a5f1d2b9c7e4a60",
        &cseq,
        VIA,
    ];
    lines.extend_from_slice(extra);
    lines.push("Server: RTC/6.0");
    lines.push("Content-Length: 0");
    msg(&lines)
}

pub const NTLM_OFFER: &str = "WWW-Authenticate: NTLM realm=\"SIP Communications Service\", targetname=\"sfbfe01.contoso.com\", version=4";
pub const KRB_OFFER: &str = "WWW-Authenticate: Kerberos realm=\"SIP Communications Service\", targetname=\"sip/sfbfe01.contoso.com\", version=4";
pub const SIGNED: &str = "Authentication-Info: NTLM qop=\"auth\", opaque=\"9A3C5E71\", srand=\"3F1A9C07\", snum=\"1\", rspauth=\"0100000000000000a1b2c3d4e5f60718\", targetname=\"sfbfe01.contoso.com\", realm=\"SIP Communications Service\", version=4";
pub const NTLM_AUTHZ: &str = "NTLM qop=\"auth\", realm=\"SIP Communications Service\", opaque=\"9A3C5E71\", targetname=\"sfbfe01.contoso.com\", version=4, gssapi-data=\"TlRMTVNTUAADAAAA\"";
pub const KRB_AUTHZ: &str = "Kerberos qop=\"auth\", realm=\"SIP Communications Service\", targetname=\"sip/sfbfe01.contoso.com\", version=4, gssapi-data=\"YIIFoAYJKoZIhvcSAQICAQBu\"";

/// A SUBSCRIBE for an event package.
pub fn subscribe(cseq: u32, event: &str) -> String {
    let cseq = format!("CSeq: {cseq} SUBSCRIBE");
    let event = format!("Event: {event}");
    msg(&[
        "SUBSCRIBE sip:alice@contoso.com SIP/2.0",
        VIA,
        "Max-Forwards: 70",
        "From: <sip:alice@contoso.com>;tag=7d3a1f0c9b;epid=a1b2c3d4e5",
        "To: <sip:alice@contoso.com>",
        "Call-ID: 6f1c2e9a0b7d4c3e8a5f1d2b9c7e4a60",
        &cseq,
        &event,
        "Content-Length: 0",
    ])
}

impl B {
    pub fn new() -> Self {
        Self {
            t: SignInTrace::new(
                "test",
                "sip:alice@contoso.com",
                ts(T0),
                RedactionPolicy::default(),
            ),
            now: T0,
        }
    }

    fn tick(&mut self) -> Timestamp {
        self.now += 10;
        ts(self.now)
    }

    pub fn dns(
        &mut self,
        name: &str,
        rtype: &str,
        purpose: &str,
        outcome: &str,
        answers: &[&str],
    ) -> EvidenceId {
        self.t.push_evidence(
            Some(Step::Discovery),
            EvidenceKind::Dns(DnsEvidence {
                name: name.into(),
                rtype: rtype.into(),
                purpose: purpose.into(),
                outcome: outcome.into(),
                detail: None,
                rcode: None,
                answers: answers.iter().map(|a| (*a).to_owned()).collect(),
                cname_chain: vec![],
                ttl: Some(60),
                elapsed_ms: Some(3),
            }),
        )
    }

    pub fn http(
        &mut self,
        step: Step,
        url: &str,
        status: Option<u16>,
        headers: &[(&str, &str)],
    ) -> EvidenceId {
        let at = self.tick();
        self.t.push_evidence(
            Some(step),
            EvidenceKind::Http(HttpEvidence {
                method: "GET".into(),
                url: url.into(),
                started_at: at,
                status,
                headers: headers
                    .iter()
                    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                    .collect(),
                body_start: None,
                error: None,
                elapsed_ms: 5,
            }),
        )
    }

    /// The healthy discovery: one SRV to sfbfe01.contoso.com, two addresses.
    pub fn discovery_ok(&mut self) {
        self.dns(
            "lyncdiscoverinternal.contoso.com",
            "A",
            "autodiscover host",
            "nxdomain",
            &[],
        );
        self.dns(
            "_sipinternaltls._tcp.contoso.com",
            "SRV",
            "_sipinternaltls._tcp",
            "answer",
            &["_sipinternaltls._tcp.contoso.com 60 SRV 0 0 5061 sfbfe01.contoso.com"],
        );
        self.dns(
            "sfbfe01.contoso.com",
            "A",
            "srv target",
            "answer",
            &[
                "sfbfe01.contoso.com 60 A 10.0.0.11",
                "sfbfe01.contoso.com 60 A 10.0.0.12",
            ],
        );
    }

    pub fn tcp(
        &mut self,
        step: Step,
        host: &str,
        addr: &str,
        port: u16,
        outcome: TcpOutcome,
    ) -> EvidenceId {
        let at = self.tick();
        self.t.push_evidence(
            Some(step),
            EvidenceKind::Tcp(TcpEvidence {
                host: host.into(),
                address: addr.parse::<IpAddr>().unwrap(),
                port,
                address_index: 0,
                started_at: at,
                elapsed_ms: 1,
                timeout_ms: 5000,
                outcome,
                os_error: None,
                os_error_code: None,
                local_address: None,
            }),
        )
    }

    pub fn tls(
        &mut self,
        step: Step,
        host: &str,
        addr: &str,
        port: u16,
        failure: Option<TlsFailure>,
        not_after: i64,
    ) -> EvidenceId {
        let at = self.tick();
        let leaf = CertificateEvidence {
            subject: format!("CN={host}"),
            issuer: "CN=Contoso Issuing CA".into(),
            serial: "01".into(),
            not_before: ts(T0 - 86_400_000),
            not_after: ts(not_after),
            sans: vec![host.into()],
            extended_key_usages: vec!["server_auth".into()],
            is_ca: false,
            self_issued: false,
            aia_ca_issuers: vec![],
            ocsp_urls: vec![],
            crl_distribution_points: vec![],
            sha256_fingerprint: "00".into(),
            sha1_fingerprint: "00".into(),
        };
        self.t.push_evidence(
            Some(step),
            EvidenceKind::Tls(TlsEvidence {
                host: host.into(),
                address: addr.parse::<IpAddr>().unwrap(),
                port,
                expected_name: host.into(),
                name_source: NameSource::SrvTarget,
                started_at: at,
                elapsed_ms: 2,
                outcome: if failure.is_some() {
                    TlsOutcome::Failed
                } else {
                    TlsOutcome::Established
                },
                protocol_version: Some("TLSv1.3".into()),
                cipher_suite: Some("TLS13_AES_256_GCM_SHA384".into()),
                verified_at: Some(at),
                chain: vec![leaf],
                unparsable: vec![],
                failure,
                error: None,
            }),
        )
    }

    /// Both addresses of sfbfe01 connect and complete TLS.
    pub fn connect_ok(&mut self) {
        for a in ["10.0.0.11", "10.0.0.12"] {
            self.tcp(
                Step::Connectivity,
                "sfbfe01.contoso.com",
                a,
                5061,
                TcpOutcome::Connected,
            );
            self.tls(
                Step::Connectivity,
                "sfbfe01.contoso.com",
                a,
                5061,
                None,
                T0 + 365 * 86_400_000,
            );
        }
    }

    pub fn sent(&mut self, step: Step, text: &str) -> EvidenceId {
        self.sip(step, Direction::Sent, text, None)
    }

    pub fn recv(&mut self, step: Step, text: &str) -> EvidenceId {
        self.sip(step, Direction::Received, text, None)
    }

    pub fn sip(
        &mut self,
        step: Step,
        direction: Direction,
        text: &str,
        at: Option<i64>,
    ) -> EvidenceId {
        let at = at.map_or_else(|| self.tick(), ts);
        self.t.push_evidence(
            Some(step),
            EvidenceKind::Sip(SipEvidence {
                direction,
                at,
                peer: "10.0.0.11:5061".into(),
                text: text.into(),
                wire_len: text.len() as u64,
                truncated: false,
                redacted: false,
            }),
        )
    }

    pub fn token(
        &mut self,
        protocol: AuthProtocol,
        direction: Direction,
        message_type: &str,
        fields: &[(&str, &str)],
    ) -> EvidenceId {
        let mut map = BTreeMap::new();
        map.insert("message_type".to_owned(), message_type.to_owned());
        for (k, v) in fields {
            map.insert((*k).to_owned(), (*v).to_owned());
        }
        self.t.push_evidence(
            Some(Step::Authentication),
            EvidenceKind::AuthToken(AuthTokenEvidence {
                protocol,
                direction,
                message_type: message_type.into(),
                fields: map,
                raw: None,
                carried_by: None,
            }),
        )
    }

    /// NTLM to the first final answer: REGISTER, 401, negotiate, 401 challenge, authenticate,
    /// then `last` (the registrar's final answer to the authenticated REGISTER).
    pub fn ntlm_until(&mut self, last: &str) {
        let a = Step::Authentication;
        self.sent(a, &register(1, None));
        self.recv(
            a,
            &response("401 Unauthorized", 1, "REGISTER", &[NTLM_OFFER]),
        );
        self.sent(a, &register(2, Some(NTLM_AUTHZ)));
        self.token(
            AuthProtocol::Ntlm,
            Direction::Sent,
            "negotiate",
            &[("flags", "0xe2088297")],
        );
        self.recv(
            a,
            &response("401 Unauthorized", 2, "REGISTER", &[NTLM_OFFER]),
        );
        self.token(
            AuthProtocol::Ntlm,
            Direction::Received,
            "challenge",
            &[
                ("nb_domain", "CONTOSO"),
                ("dns_computer", "sfbfe01.contoso.com"),
            ],
        );
        self.sent(a, &register(3, Some(NTLM_AUTHZ)));
        self.token(
            AuthProtocol::Ntlm,
            Direction::Sent,
            "authenticate",
            &[
                ("domain", "CONTOSO"),
                ("user", "alice"),
                ("workstation", "PC42"),
                ("mic_present", "true"),
            ],
        );
        self.recv(a, last);
    }

    /// A healthy NTLM sign-in at the home pool with the settings requests.
    pub fn healthy() -> Self {
        let mut b = Self::new();
        b.discovery_ok();
        b.connect_ok();
        b.ntlm_until(&response(
            "200 OK",
            3,
            "REGISTER",
            &[SIGNED, "Expires: 7200"],
        ));
        b.settings_ok(10);
        b
    }

    pub fn settings_ok(&mut self, first: u32) {
        for (i, ev) in [
            "vnd-microsoft-provisioning-v2",
            "vnd-microsoft-roaming-contacts",
            "vnd-microsoft-roaming-self",
        ]
        .iter()
        .enumerate()
        {
            let c = first + i as u32;
            self.sent(Step::Settings, &subscribe(c, ev));
            self.recv(
                Step::Settings,
                &response("200 OK", c, "SUBSCRIBE", &[SIGNED]),
            );
        }
    }

    pub fn judge(&self) -> Diagnosis {
        let d = diagnose(&self.t);
        check(&self.t, &d);
        d
    }
}

/// Invariants of every diagnosis: each step judged, causes from the table with their step,
/// evidence that exists, the root cause the first failure.
pub fn check(t: &SignInTrace, d: &Diagnosis) {
    let mut last = Step::Discovery;
    for v in &d.verdicts {
        assert!(
            v.step >= last,
            "verdicts out of step order: {:?}",
            d.verdicts
        );
        last = v.step;
        let row = CAUSES.iter().find(|(c, _, _)| *c == v.cause.as_str());
        assert_eq!(
            row.map(|r| r.1),
            Some(v.step),
            "{} not in CAUSES for {:?}",
            v.cause,
            v.step
        );
        assert!(!v.sentence.is_empty());
        for id in &v.evidence {
            assert!(t.evidence(*id).is_some(), "dangling {id:?} in {}", v.cause);
        }
        if v.status == Status::Fail {
            assert!(v.remedy.is_some(), "{} fails without a remedy", v.cause);
        }
    }
    for s in sfb_diagnose::STEPS {
        assert!(d.step(s).next().is_some(), "{s:?} not judged");
    }
    assert_eq!(
        d.root_cause.as_ref(),
        d.verdicts.iter().find(|v| v.status == Status::Fail)
    );
}

/// The verdict with this cause (panics with the whole diagnosis otherwise).
pub fn find<'a>(d: &'a Diagnosis, cause: &str) -> &'a sfb_trace::StepVerdict {
    d.verdicts
        .iter()
        .find(|v| v.cause.as_str() == cause)
        .unwrap_or_else(|| panic!("no {cause} in {:#?}", d.verdicts))
}

/// (step, status, cause) of the root cause.
pub fn root(d: &Diagnosis) -> (Step, Status, String) {
    let r = d
        .root_cause
        .as_ref()
        .unwrap_or_else(|| panic!("no root cause in {:#?}", d.verdicts));
    (r.step, r.status, r.cause.to_string())
}
