//! The connectivity step against an in-process rustls server with rcgen certificates.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use common::{AIA_URL, CRL_URL, LeafSpec, NOW_SECS, OCSP_URL, Pki, now, serve};
use rcgen::ExtendedKeyUsagePurpose;
use rustls::version::{TLS12, TLS13};
use sfb_session::{
    ConnectOptions, ConnectTarget, ProbeMode, TlsSettings, probe, record_connectivity,
};
use sfb_trace::{
    NameSource, RedactionPolicy, SignInTrace, Status, TcpOutcome, Timestamp, TlsEvidence,
    TlsFailure, TlsOutcome,
};

const NAME: &str = "sip.contoso.test";
const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn target(addr: SocketAddr) -> ConnectTarget {
    ConnectTarget::new(NAME, addr.port(), vec![addr.ip()], NameSource::SrvTarget)
}

fn opts() -> ConnectOptions {
    ConnectOptions {
        tcp_timeout: Duration::from_secs(3),
        tls_timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

/// Serves `leaf` (+ the intermediate unless `leaf_only`) and probes it trusting `trusted`.
async fn one(pki: &Pki, trusted: &Pki, spec: &LeafSpec, leaf_only: bool) -> TlsEvidence {
    let leaf = pki.leaf(spec);
    let mut chain = vec![leaf.cert.clone()];
    if !leaf_only {
        chain.push(pki.inter.clone());
    }
    let addr = serve(chain, leaf.key, &[&TLS13, &TLS12]).await;
    let settings = TlsSettings::new(std::slice::from_ref(&trusted.root), now()).expect("settings");
    let p = probe(&[target(addr)], &settings, &opts())
        .await
        .expect("probe");
    assert_eq!(p.reports.len(), 1);
    let attempt = &p.reports[0].attempts[0];
    assert_eq!(attempt.tcp.outcome, TcpOutcome::Connected);
    attempt.tls.clone().expect("tls evidence")
}

#[tokio::test]
async fn tls13_success_records_the_chain_and_the_negotiation() {
    let pki = Pki::new("Contoso Test Root");
    let addr = {
        let leaf = pki.leaf(&LeafSpec::named(NAME));
        serve(vec![leaf.cert, pki.inter.clone()], leaf.key, &[&TLS13]).await
    };
    let settings = TlsSettings::new(std::slice::from_ref(&pki.root), now()).unwrap();
    let p = probe(&[target(addr)], &settings, &opts()).await.unwrap();
    let tls = p.reports[0].attempts[0].tls.clone().unwrap();
    assert_eq!(tls.outcome, TlsOutcome::Established, "{tls:?}");
    assert_eq!(tls.protocol_version.as_deref(), Some("TLSv1.3"));
    assert!(
        tls.cipher_suite.as_deref().unwrap().starts_with("TLS13_"),
        "{tls:?}"
    );
    assert_eq!(tls.verified_at, Timestamp::from_unix_secs(NOW_SECS as i64));
    assert_eq!(tls.chain.len(), 2);
    let leaf = &tls.chain[0];
    assert_eq!(leaf.sans, vec![NAME.to_owned()]);
    assert_eq!(leaf.extended_key_usages, vec!["server_auth".to_owned()]);
    assert!(
        leaf.issuer.contains("Contoso Test Issuing CA"),
        "{}",
        leaf.issuer
    );
    assert_eq!(leaf.ocsp_urls, vec![OCSP_URL.to_owned()]);
    assert_eq!(leaf.aia_ca_issuers, vec![AIA_URL.to_owned()]);
    assert_eq!(leaf.crl_distribution_points, vec![CRL_URL.to_owned()]);
    assert_eq!(leaf.sha256_fingerprint.len(), 32 * 3 - 1);
    assert!(!leaf.is_ca && tls.chain[1].is_ca && !tls.chain[1].self_issued);
    assert!(
        p.connection.is_some(),
        "the established stream is handed over"
    );
}

#[tokio::test]
async fn tls12_success() {
    let pki = Pki::new("Contoso Test Root");
    let leaf = pki.leaf(&LeafSpec::named(NAME));
    let addr = serve(vec![leaf.cert, pki.inter.clone()], leaf.key, &[&TLS12]).await;
    let settings = TlsSettings::new(std::slice::from_ref(&pki.root), now()).unwrap();
    let p = probe(&[target(addr)], &settings, &opts()).await.unwrap();
    let tls = p.reports[0].attempts[0].tls.clone().unwrap();
    assert_eq!(tls.outcome, TlsOutcome::Established, "{tls:?}");
    assert_eq!(tls.protocol_version.as_deref(), Some("TLSv1.2"));
    assert!(
        tls.cipher_suite
            .as_deref()
            .unwrap()
            .starts_with("TLS_ECDHE_"),
        "{tls:?}"
    );
}

#[tokio::test]
async fn untrusted_root_names_the_root_to_install() {
    let pki = Pki::new("Contoso Private Root");
    let other = Pki::new("Some Public Root");
    let tls = one(&pki, &other, &LeafSpec::named(NAME), false).await;
    assert_eq!(tls.outcome, TlsOutcome::Failed);
    let Some(TlsFailure::UntrustedRoot { issuer }) = &tls.failure else {
        panic!("{tls:?}")
    };
    assert!(issuer.contains("Contoso Private Root"), "{issuer}");
    assert_eq!(tls.chain.len(), 2, "the chain is kept on failure");
}

#[tokio::test]
async fn leaf_only_chain_reports_the_missing_intermediate_and_its_aia_url() {
    let pki = Pki::new("Contoso Test Root");
    let tls = one(&pki, &pki, &LeafSpec::named(NAME), true).await;
    let Some(TlsFailure::IncompleteChain {
        missing_issuer,
        aia_ca_issuers,
    }) = &tls.failure
    else {
        panic!("{tls:?}")
    };
    assert!(
        missing_issuer.contains("Contoso Test Issuing CA"),
        "{missing_issuer}"
    );
    assert_eq!(aia_ca_issuers, &vec![AIA_URL.to_owned()]);
}

#[tokio::test]
async fn name_mismatch_lists_the_sans_and_the_name_source() {
    let pki = Pki::new("Contoso Test Root");
    let spec = LeafSpec {
        sans: vec!["pool.contoso.test", "*.fabrikam.test"],
        ..LeafSpec::named(NAME)
    };
    let tls = one(&pki, &pki, &spec, false).await;
    assert_eq!(
        tls.failure,
        Some(TlsFailure::NameMismatch {
            expected: NAME.to_owned(),
            name_source: NameSource::SrvTarget,
            presented: vec!["pool.contoso.test".to_owned(), "*.fabrikam.test".to_owned()],
        })
    );
}

#[tokio::test]
async fn expired_and_not_yet_valid_use_the_injected_time() {
    let pki = Pki::new("Contoso Test Root");
    let now = Timestamp::from_unix_secs(NOW_SECS as i64).unwrap();
    let spec = LeafSpec {
        validity: Some((2020, 2021)),
        ..LeafSpec::named(NAME)
    };
    let tls = one(&pki, &pki, &spec, false).await;
    let expected_end = Timestamp::parse("2021-01-01T00:00:00Z").unwrap();
    assert_eq!(
        tls.failure,
        Some(TlsFailure::Expired {
            not_after: expected_end,
            now
        }),
        "{tls:?}"
    );

    let spec = LeafSpec {
        validity: Some((2030, 2031)),
        ..LeafSpec::named(NAME)
    };
    let tls = one(&pki, &pki, &spec, false).await;
    let expected_start = Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
    assert_eq!(
        tls.failure,
        Some(TlsFailure::NotYetValid {
            not_before: expected_start,
            now
        }),
        "{tls:?}"
    );
}

#[tokio::test]
async fn client_auth_only_eku_is_named() {
    let pki = Pki::new("Contoso Test Root");
    let spec = LeafSpec {
        ekus: vec![ExtendedKeyUsagePurpose::ClientAuth],
        ..LeafSpec::named(NAME)
    };
    let tls = one(&pki, &pki, &spec, false).await;
    assert_eq!(
        tls.failure,
        Some(TlsFailure::NoServerAuthUsage {
            extended_key_usages: vec!["client_auth".to_owned()]
        }),
        "{tls:?}"
    );
}

#[tokio::test]
async fn a_dead_pool_member_is_refused_then_the_live_one_answers() {
    let pki = Pki::new("Contoso Test Root");
    let leaf = pki.leaf(&LeafSpec::named(NAME));
    let addr = serve(vec![leaf.cert, pki.inter.clone()], leaf.key, &[&TLS13]).await;
    // 127.0.0.2 is loopback too, but nothing listens there on this port: a reset.
    let dead = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let t = ConnectTarget::new(NAME, addr.port(), vec![dead, LOCAL], NameSource::SrvTarget);
    let settings = TlsSettings::new(std::slice::from_ref(&pki.root), now()).unwrap();
    let p = probe(std::slice::from_ref(&t), &settings, &opts())
        .await
        .unwrap();
    let attempts = &p.reports[0].attempts;
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0].tcp.address, dead);
    assert_eq!(attempts[0].tcp.outcome, TcpOutcome::Refused);
    assert!(attempts[0].tcp.os_error.is_some() && attempts[0].tcp.os_error_code.is_some());
    assert!(attempts[0].tls.is_none());
    assert!(attempts[1].established());
    assert_eq!(p.connection.as_ref().map(|c| (c.0, c.1)), Some((0, 1)));

    let mut trace = SignInTrace::new(
        "test",
        "sip:alice@contoso.test",
        Timestamp::EPOCH,
        RedactionPolicy::default(),
    );
    let verdict = record_connectivity(&mut trace, &p.reports);
    assert_eq!(verdict.status, Status::Warn);
    assert_eq!(verdict.cause.as_str(), "connectivity.pool_member_down");
    assert!(
        verdict.sentence.contains("127.0.0.2"),
        "{}",
        verdict.sentence
    );
    assert_eq!(verdict.evidence.len(), 1);
    assert!(trace.evidence(verdict.evidence[0]).is_some());
    // Every TCP and TLS record went into the trace.
    assert_eq!(trace.evidence.len(), 3);

    // Like the client: the first address that works ends the probe, dead ones before it stay.
    let first = ConnectOptions {
        mode: ProbeMode::FirstSuccess,
        ..opts()
    };
    let t2 = ConnectTarget::new(
        NAME,
        addr.port(),
        vec![dead, LOCAL, LOCAL],
        NameSource::SrvTarget,
    );
    let p = probe(&[t2], &settings, &first).await.unwrap();
    assert_eq!(p.reports[0].attempts.len(), 2);
    assert_eq!(p.reports[0].skipped_addresses, 1);
}

#[tokio::test]
async fn nothing_reachable_is_a_tcp_failure_and_a_tls_failure_wins_over_it() {
    let pki = Pki::new("Contoso Test Root");
    let settings = TlsSettings::new(std::slice::from_ref(&pki.root), now()).unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dead = ConnectTarget::new(NAME, free.port(), vec![LOCAL], NameSource::AFallback);
    let p = probe(std::slice::from_ref(&dead), &settings, &opts())
        .await
        .unwrap();
    let mut trace = SignInTrace::new(
        "test",
        "sip:alice@contoso.test",
        Timestamp::EPOCH,
        RedactionPolicy::default(),
    );
    let v = record_connectivity(&mut trace, &p.reports);
    assert_eq!((v.status, v.cause.as_str()), (Status::Fail, "tcp.refused"));

    let leaf = pki.leaf(&LeafSpec {
        sans: vec!["other.contoso.test"],
        ..LeafSpec::named(NAME)
    });
    let addr = serve(vec![leaf.cert, pki.inter.clone()], leaf.key, &[&TLS13]).await;
    let p = probe(&[dead, target(addr)], &settings, &opts())
        .await
        .unwrap();
    let mut trace = SignInTrace::new(
        "test",
        "sip:alice@contoso.test",
        Timestamp::EPOCH,
        RedactionPolicy::default(),
    );
    let v = record_connectivity(&mut trace, &p.reports);
    assert_eq!(
        (v.status, v.cause.as_str()),
        (Status::Fail, "tls.name_mismatch")
    );
    assert!(
        v.sentence.contains("other.contoso.test") && v.sentence.contains("SRV"),
        "{}",
        v.sentence
    );
    assert!(p.connection.is_none());
}

#[tokio::test]
async fn settings_reject_missing_or_bad_anchors() {
    assert!(TlsSettings::new(&[], now()).is_err());
    let junk = rustls::pki_types::CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
    assert!(TlsSettings::new(&[junk], now()).is_err());
}

/// Real probe output, recorded into a trace, validates against sfb-trace's committed schema.
#[tokio::test]
async fn recorded_traces_validate_against_the_schema() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sfb-trace/schema/sign-in-trace.schema.json"
    ))
    .unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();

    let pki = Pki::new("Contoso Test Root");
    let other = Pki::new("Other Root");
    let good = pki.leaf(&LeafSpec::named(NAME));
    let good_addr = serve(vec![good.cert, pki.inter.clone()], good.key, &[&TLS13]).await;
    let expired = pki.leaf(&LeafSpec {
        validity: Some((2020, 2021)),
        ..LeafSpec::named(NAME)
    });
    let expired_addr = serve(vec![expired.cert], expired.key, &[&TLS12]).await;
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let targets = [
        ConnectTarget::new(NAME, free.port(), vec![LOCAL], NameSource::AFallback),
        target(expired_addr),
        target(good_addr),
    ];
    for trusted in [&pki, &other] {
        let settings = TlsSettings::new(std::slice::from_ref(&trusted.root), now()).unwrap();
        let everything = ConnectOptions {
            mode: ProbeMode::Everything,
            ..opts()
        };
        let p = probe(&targets, &settings, &everything).await.unwrap();
        assert_eq!(p.reports.len(), 3);
        let mut trace = SignInTrace::new(
            "test",
            "sip:alice@contoso.test",
            Timestamp::EPOCH,
            RedactionPolicy::default(),
        );
        record_connectivity(&mut trace, &p.reports);
        let doc: serde_json::Value = serde_json::from_str(&trace.to_json()).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        assert_eq!(
            SignInTrace::from_json(trace.to_json().as_bytes()).unwrap(),
            trace
        );
    }
}

#[tokio::test]
async fn an_invalid_name_is_refused_before_any_packet() {
    let pki = Pki::new("Contoso Test Root");
    let settings = TlsSettings::new(std::slice::from_ref(&pki.root), now()).unwrap();
    let t = ConnectTarget::new("bad name!", 5061, vec![LOCAL], NameSource::Manual);
    let err = probe(&[t], &settings, &opts()).await.unwrap_err();
    assert!(err.to_string().contains("bad name!"), "{err}");
}

#[tokio::test]
async fn survey_of_a_rustls_server_accepts_only_tls12() {
    let pki = Pki::new("Contoso Test Root");
    let leaf = pki.leaf(&LeafSpec::named(NAME));
    let addr = serve(
        vec![leaf.cert, pki.inter.clone()],
        leaf.key,
        &[&TLS13, &TLS12],
    )
    .await;
    let found = sfb_session::survey_versions(addr, NAME, Duration::from_secs(5), [2; 32]).await;
    let accepted: Vec<_> = found.iter().map(|p| p.accepted).collect();
    assert_eq!(accepted, vec![false, false, true], "{found:#?}");
    assert!(
        found[2].cipher_suite.unwrap().starts_with("TLS_ECDHE_"),
        "{found:#?}"
    );
    assert!(
        matches!(
            found[0].reply,
            Some(sfb_session::survey::ServerReply::Alert { level: 2, .. })
        ),
        "{found:#?}"
    );
}

#[tokio::test]
async fn a_silent_port_times_out_and_a_plain_text_port_is_a_handshake_failure() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plain_addr = plain.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = silent.accept().await {
            held.push(sock); // accept, never answer
        }
    });
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = plain.accept().await {
            let mut buf = [0u8; 512];
            let _ = sock.read(&mut buf).await;
            let _ = sock
                .write_all(b"SIP/2.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await;
        }
    });
    let pki = Pki::new("Contoso Test Root");
    let settings = TlsSettings::new(std::slice::from_ref(&pki.root), now()).unwrap();
    let short = ConnectOptions {
        tls_timeout: Duration::from_millis(300),
        ..opts()
    };
    let p = probe(
        &[target(silent_addr), target(plain_addr)],
        &settings,
        &short,
    )
    .await
    .unwrap();
    let silent_tls = p.reports[0].attempts[0].tls.clone().unwrap();
    assert_eq!(silent_tls.outcome, TlsOutcome::Timeout);
    assert!(silent_tls.elapsed_ms >= 300, "{silent_tls:?}");
    let plain_tls = p.reports[1].attempts[0].tls.clone().unwrap();
    assert_eq!(plain_tls.outcome, TlsOutcome::Failed);
    assert!(
        matches!(plain_tls.failure, Some(TlsFailure::Handshake { .. })),
        "{plain_tls:?}"
    );
    let mut trace = SignInTrace::new(
        "test",
        "sip:alice@contoso.test",
        Timestamp::EPOCH,
        RedactionPolicy::default(),
    );
    let v = record_connectivity(&mut trace, &p.reports);
    assert_eq!(
        (v.status, v.cause.as_str()),
        (Status::Fail, "tls.handshake")
    );
    assert!(v.sentence.contains("timeout"), "{}", v.sentence);
}
