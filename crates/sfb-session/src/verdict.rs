//! The connectivity step's verdict, and recording the probe into the sign-in trace.
//!
//! Rules (protocol.md §1.4: the client tries candidates in order; a TLS failure ends the
//! sign-in with a certificate error):
//! - no target had an address: fail, `connectivity.no_address`;
//! - no address completed TLS: fail, with the first TLS failure's cause if any handshake got
//!   that far, else the first TCP failure's cause (`tcp.refused`, `tcp.timeout`, ...);
//! - the first target that worked had a dead address: warn, `connectivity.pool_member_down`;
//! - an earlier target failed and a later one worked: warn, `connectivity.fallback_used`;
//! - otherwise pass, `connectivity.ok`.

use sfb_trace::{
    CauseCode, EvidenceId, EvidenceKind, SignInTrace, Status, Step, StepVerdict, TcpOutcome,
    TlsFailure, TlsOutcome,
};

use crate::classify::explain;
use crate::driver::{AddressAttempt, TargetReport};

/// Adds every attempt's TCP and TLS evidence to the trace under [`Step::Connectivity`], then
/// the verdict; returns the verdict.
pub fn record_connectivity(trace: &mut SignInTrace, reports: &[TargetReport]) -> StepVerdict {
    let mut ids: Vec<Vec<(EvidenceId, Option<EvidenceId>)>> = Vec::new();
    for report in reports {
        let mut per_target = Vec::new();
        for attempt in &report.attempts {
            let tcp = trace.push_evidence(
                Some(Step::Connectivity),
                EvidenceKind::Tcp(attempt.tcp.clone()),
            );
            let tls = attempt
                .tls
                .clone()
                .map(|t| trace.push_evidence(Some(Step::Connectivity), EvidenceKind::Tls(t)));
            per_target.push((tcp, tls));
        }
        ids.push(per_target);
    }
    let verdict = connectivity_verdict(reports, &ids);
    let step = trace.step_mut(Step::Connectivity);
    if step.started_at.is_none() {
        step.started_at = reports
            .first()
            .and_then(|r| r.attempts.first())
            .map(|a| a.tcp.started_at);
    }
    step.elapsed_ms = reports
        .iter()
        .flat_map(|r| &r.attempts)
        .map(|a| a.tcp.elapsed_ms + a.tls.as_ref().map_or(0, |t| t.elapsed_ms))
        .sum();
    step.verdicts.push(verdict.clone());
    verdict
}

/// The verdict; `ids[t][a]` are the (TCP, TLS) evidence ids of attempt `a` of target `t`.
pub fn connectivity_verdict(
    reports: &[TargetReport],
    ids: &[Vec<(EvidenceId, Option<EvidenceId>)>],
) -> StepVerdict {
    let id_of = |t: usize, a: usize, want_tls: bool| {
        ids.get(t)
            .and_then(|v| v.get(a))
            .and_then(|(tcp, tls)| if want_tls { *tls } else { Some(*tcp) })
    };
    let all_ids = || {
        ids.iter()
            .flatten()
            .flat_map(|(a, b)| std::iter::once(*a).chain(*b))
            .collect::<Vec<_>>()
    };
    if reports.iter().all(|r| r.attempts.is_empty()) {
        return verdict(
            Status::Fail,
            "connectivity.no_address",
            "No candidate server had an address to connect to.".to_owned(),
            Some("Check the DNS step: the SRV targets and A records must resolve.".to_owned()),
            all_ids(),
        );
    }
    let working = reports
        .iter()
        .position(|r| r.attempts.iter().any(AddressAttempt::established));
    let Some(w) = working else {
        return failure_verdict(reports, &id_of);
    };
    let report = &reports[w];
    let dead: Vec<(usize, &AddressAttempt)> = report
        .attempts
        .iter()
        .enumerate()
        .filter(|(_, a)| !a.established())
        .collect();
    if !dead.is_empty() {
        let list: Vec<String> = dead
            .iter()
            .map(|(_, a)| format!("{} ({})", a.tcp.address, attempt_words(a)))
            .collect();
        let evidence = dead
            .iter()
            .flat_map(|(a, att)| {
                let want_tls = att.tls.is_some();
                id_of(w, *a, want_tls)
            })
            .collect();
        return verdict(Status::Warn, "connectivity.pool_member_down",
            format!("{}:{} answers, but not on every address: {}.", report.host, report.port, list.join(", ")),
            Some("Fix or remove the dead front end from the pool's DNS records (clients that pick it wait for a timeout or fail).".to_owned()),
            evidence);
    }
    if w > 0 {
        let failed: Vec<String> = reports[..w]
            .iter()
            .map(|r| format!("{}:{}", r.host, r.port))
            .collect();
        let evidence = reports[..w]
            .iter()
            .enumerate()
            .flat_map(|(t, r)| {
                let tried = r.attempts.iter().enumerate();
                tried.map(move |(a, att)| (t, a, att.tls.is_some()))
            })
            .filter_map(|(t, a, tls)| id_of(t, a, tls))
            .collect();
        return verdict(
            Status::Warn,
            "connectivity.fallback_used",
            format!(
                "{}:{} works, after {} failed.",
                report.host,
                report.port,
                failed.join(", ")
            ),
            Some("Fix the earlier candidates: clients try them first.".to_owned()),
            evidence,
        );
    }
    let evidence = (0..report.attempts.len())
        .filter_map(|a| id_of(w, a, true))
        .collect();
    let first = report.attempts.iter().find_map(|a| a.tls.as_ref());
    let how = first
        .map(|t| {
            format!(
                " ({}, {})",
                t.protocol_version.as_deref().unwrap_or("?"),
                t.cipher_suite.as_deref().unwrap_or("?")
            )
        })
        .unwrap_or_default();
    verdict(
        Status::Pass,
        "connectivity.ok",
        format!(
            "{}:{} accepts TLS on every address{how}.",
            report.host, report.port
        ),
        None,
        evidence,
    )
}

/// Nothing worked: the first TLS failure if any handshake got that far, else the first TCP one.
fn failure_verdict(
    reports: &[TargetReport],
    id_of: &dyn Fn(usize, usize, bool) -> Option<EvidenceId>,
) -> StepVerdict {
    let attempts = || {
        reports.iter().enumerate().flat_map(|(t, r)| {
            r.attempts
                .iter()
                .enumerate()
                .map(move |(a, att)| (t, a, att))
        })
    };
    if let Some((t, a, tls)) =
        attempts().find_map(|(t, a, att)| att.tls.as_ref().map(|tls| (t, a, tls)))
    {
        let failure = match (&tls.failure, tls.outcome) {
            (Some(f), _) => f.clone(),
            (None, TlsOutcome::Timeout) => TlsFailure::Handshake {
                detail: "no answer within the timeout".to_owned(),
            },
            (None, _) => TlsFailure::Handshake {
                detail: "unknown".to_owned(),
            },
        };
        let (sentence, remedy) = explain(&failure, &tls.host);
        return verdict(
            Status::Fail,
            failure.cause_code(),
            sentence,
            Some(remedy),
            id_of(t, a, true).into_iter().collect(),
        );
    }
    let evidence: Vec<EvidenceId> = attempts()
        .filter_map(|(t, a, _)| id_of(t, a, false))
        .collect();
    let first = attempts().next().map(|(_, _, att)| att);
    let (cause, remedy) = match first.map(|a| a.tcp.outcome) {
        Some(TcpOutcome::Refused) => (
            "tcp.refused",
            "Check that the server listens on this port and that no firewall rejects the connection.",
        ),
        Some(TcpOutcome::Timeout) => (
            "tcp.timeout",
            "Check the firewalls between this machine and the server (a silent drop looks like this).",
        ),
        Some(TcpOutcome::Unreachable) => (
            "tcp.unreachable",
            "Check routing to the server's network (VPN, proxy, internal-only address).",
        ),
        _ => ("tcp.error", "Check the local network configuration."),
    };
    let list: Vec<String> = attempts()
        .map(|(_, _, a)| format!("{}:{} ({})", a.tcp.address, a.tcp.port, attempt_words(a)))
        .collect();
    verdict(
        Status::Fail,
        cause,
        format!("No server could be reached over TCP: {}.", list.join(", ")),
        Some(remedy.to_owned()),
        evidence,
    )
}

fn attempt_words(a: &AddressAttempt) -> String {
    match (&a.tls, a.tcp.outcome) {
        (Some(t), _) => t
            .failure
            .as_ref()
            .map_or_else(|| "tls timeout".to_owned(), |f| f.cause_code().to_owned()),
        (None, TcpOutcome::Connected) => "connected".to_owned(),
        (None, TcpOutcome::Refused) => "refused".to_owned(),
        (None, TcpOutcome::Timeout) => "timeout".to_owned(),
        (None, TcpOutcome::Unreachable) => "unreachable".to_owned(),
        (None, TcpOutcome::Error) => a.tcp.os_error.clone().unwrap_or_else(|| "error".to_owned()),
    }
}

fn verdict(
    status: Status,
    cause: &'static str,
    sentence: String,
    remedy: Option<String>,
    evidence: Vec<EvidenceId>,
) -> StepVerdict {
    StepVerdict {
        step: Step::Connectivity,
        status,
        cause: CauseCode::from_static(cause),
        sentence,
        remedy,
        evidence,
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use sfb_trace::{NameSource, RedactionPolicy, TcpEvidence, Timestamp, TlsEvidence};

    use super::*;

    fn attempt(last: u8, tcp: TcpOutcome, tls: Option<Option<TlsFailure>>) -> AddressAttempt {
        let address = IpAddr::V4(Ipv4Addr::new(10, 0, 0, last));
        AddressAttempt {
            tcp: TcpEvidence {
                host: "sip.contoso.com".into(),
                address,
                port: 5061,
                address_index: 0,
                started_at: Timestamp::EPOCH,
                elapsed_ms: 1,
                timeout_ms: 5000,
                outcome: tcp,
                os_error: None,
                os_error_code: None,
                local_address: None,
            },
            tls: tls.map(|failure| TlsEvidence {
                host: "sip.contoso.com".into(),
                address,
                port: 5061,
                expected_name: "sip.contoso.com".into(),
                name_source: NameSource::SrvTarget,
                started_at: Timestamp::EPOCH,
                elapsed_ms: 2,
                outcome: if failure.is_some() {
                    TlsOutcome::Failed
                } else {
                    TlsOutcome::Established
                },
                protocol_version: Some("TLSv1.3".into()),
                cipher_suite: Some("TLS13_AES_128_GCM_SHA256".into()),
                verified_at: None,
                chain: vec![],
                unparsable: vec![],
                failure,
                error: None,
            }),
        }
    }

    fn report(host: &str, attempts: Vec<AddressAttempt>) -> TargetReport {
        TargetReport {
            host: host.into(),
            port: 5061,
            attempts,
            skipped_addresses: 0,
        }
    }

    fn judge(reports: &[TargetReport]) -> (StepVerdict, SignInTrace) {
        let mut trace = SignInTrace::new(
            "t",
            "sip:a@contoso.com",
            Timestamp::EPOCH,
            RedactionPolicy::default(),
        );
        let v = record_connectivity(&mut trace, reports);
        for id in &v.evidence {
            assert!(trace.evidence(*id).is_some(), "dangling {id:?}");
        }
        (v, trace)
    }

    const OK: Option<Option<TlsFailure>> = Some(None);

    #[test]
    fn every_address_working_is_a_pass() {
        let r = [report(
            "a",
            vec![
                attempt(1, TcpOutcome::Connected, OK),
                attempt(2, TcpOutcome::Connected, OK),
            ],
        )];
        let (v, trace) = judge(&r);
        assert_eq!(
            (v.status, v.cause.as_str()),
            (Status::Pass, "connectivity.ok")
        );
        assert!(v.sentence.contains("TLSv1.3"), "{}", v.sentence);
        assert_eq!(v.evidence.len(), 2);
        assert_eq!(trace.evidence.len(), 4);
        let step = &trace.steps[0];
        assert_eq!(
            (step.step, step.elapsed_ms, step.evidence.len()),
            (Step::Connectivity, 6, 4)
        );
    }

    #[test]
    fn a_later_target_working_is_a_fallback_warning() {
        let r = [
            report("a", vec![attempt(1, TcpOutcome::Timeout, None)]),
            report("b", vec![attempt(2, TcpOutcome::Connected, OK)]),
        ];
        let (v, _) = judge(&r);
        assert_eq!(
            (v.status, v.cause.as_str()),
            (Status::Warn, "connectivity.fallback_used")
        );
        assert_eq!(v.evidence.len(), 1);
    }

    #[test]
    fn no_address_at_all_fails() {
        let (v, _) = judge(&[report("a", vec![])]);
        assert_eq!(
            (v.status, v.cause.as_str()),
            (Status::Fail, "connectivity.no_address")
        );
        let (v, _) = judge(&[]);
        assert_eq!(v.cause.as_str(), "connectivity.no_address");
    }

    #[test]
    fn the_first_tls_failure_names_the_cause() {
        let untrusted = TlsFailure::UntrustedRoot {
            issuer: "CN=Contoso Root".into(),
        };
        let r = [
            report("a", vec![attempt(1, TcpOutcome::Unreachable, None)]),
            report(
                "b",
                vec![attempt(2, TcpOutcome::Connected, Some(Some(untrusted)))],
            ),
        ];
        let (v, _) = judge(&r);
        assert_eq!(
            (v.status, v.cause.as_str()),
            (Status::Fail, "tls.untrusted_root")
        );
        assert!(v.remedy.as_deref().unwrap().contains("CN=Contoso Root"));
        let r = [report(
            "a",
            vec![
                attempt(1, TcpOutcome::Unreachable, None),
                attempt(2, TcpOutcome::Timeout, None),
            ],
        )];
        let (v, _) = judge(&r);
        assert_eq!(v.cause.as_str(), "tcp.unreachable");
        assert!(
            v.sentence.contains("10.0.0.2:5061 (timeout)"),
            "{}",
            v.sentence
        );
        assert_eq!(v.evidence.len(), 2);
    }
}
