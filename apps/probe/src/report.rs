//! The report model every renderer draws from: the overall status, the root cause, one view per
//! step (all five, in order, whether or not they ran) and the SIP ladder.
//!
//! Built from a [`SignInTrace`] whose steps already carry their verdicts (sfb-diagnose fills
//! them); nothing here judges, it only orders and summarises.

use serde::Serialize;
use sfb_sip_codec::{Limits, StartLine, parse_datagram};
use sfb_trace::{Direction, EvidenceId, EvidenceKind, SignInTrace, Status, Step, StepVerdict};

/// The `"schema"` of the `--json` report.
pub const REPORT_SCHEMA: &str = "sfb.probe-report/1";

/// Every step of a sign-in, in order.
pub const ALL_STEPS: [Step; 5] = Step::ALL;

/// The longest ladder label kept (a start line can be long; the evidence keeps the whole).
const MAX_LABEL: usize = 96;

/// One step as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepView {
    /// Which step.
    pub step: Step,
    /// The worst status among its verdicts; `skipped` when it did not run or was not judged.
    pub status: Status,
    /// Did it run at all (a record exists in the trace)?
    pub ran: bool,
    /// How long it took, milliseconds.
    pub elapsed_ms: u64,
    /// Its verdicts, failures first.
    pub verdicts: Vec<StepVerdict>,
    /// The evidence it gathered.
    pub evidence: Vec<EvidenceId>,
}

/// One SIP message of the exchange, as an arrow of the ladder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LadderRow {
    /// The SIP evidence it comes from.
    pub evidence: EvidenceId,
    /// Milliseconds since the trace started (negative if the clock says so).
    pub offset_ms: i64,
    /// Sent (client → hop) or received (hop → client).
    pub direction: Direction,
    /// The hop (`ip:port`).
    pub peer: String,
    /// `REGISTER sip:contoso.com` or `401 Unauthorized`.
    pub label: String,
    /// The CSeq (`1 REGISTER`), when it parsed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cseq: Option<String>,
    /// The auth schemes of its auth headers (`NTLM`, `Kerberos`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub auth: Vec<String>,
    /// Its `ms-diagnostics` entries: `4005 reason (source=...)`, raw code when unknown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone)]
pub struct Report<'t> {
    /// The trace reported on.
    pub trace: &'t SignInTrace,
    /// Fail if any step failed, warn if any warned, else pass.
    pub status: Status,
    /// The first failure in step order: what the helpdesk reads first.
    pub root_cause: Option<StepVerdict>,
    /// The five steps, in order.
    pub steps: Vec<StepView>,
    /// The SIP exchange in trace order.
    pub ladder: Vec<LadderRow>,
}

impl<'t> Report<'t> {
    /// Orders and summarises the trace.
    pub fn new(trace: &'t SignInTrace) -> Self {
        let steps: Vec<StepView> = ALL_STEPS.iter().map(|s| step_view(trace, *s)).collect();
        let root_cause = steps
            .iter()
            .flat_map(|s| &s.verdicts)
            .find(|v| v.status == Status::Fail)
            .cloned();
        let status = if steps.iter().any(|s| s.status == Status::Fail) {
            Status::Fail
        } else if steps.iter().any(|s| s.status == Status::Warn) {
            Status::Warn
        } else {
            Status::Pass
        };
        Self {
            trace,
            status,
            root_cause,
            steps,
            ladder: ladder(trace),
        }
    }

    /// The process exit code: 0 all pass (warnings allowed unless `strict`), 1 a step failed.
    pub fn exit_code(&self, strict: bool) -> u8 {
        match self.status {
            Status::Fail => 1,
            Status::Warn if strict => 1,
            _ => 0,
        }
    }

    /// The warnings, in step order.
    pub fn warnings(&self) -> impl Iterator<Item = &StepVerdict> {
        self.steps
            .iter()
            .flat_map(|s| &s.verdicts)
            .filter(|v| v.status == Status::Warn)
    }
}

/// Severity order for picking a step's status: fail > warn > pass > skipped.
fn rank(s: Status) -> u8 {
    match s {
        Status::Fail => 3,
        Status::Warn => 2,
        Status::Pass => 1,
        Status::Skipped => 0,
    }
}

fn step_view(trace: &SignInTrace, step: Step) -> StepView {
    let Some(record) = trace.steps.iter().find(|r| r.step == step) else {
        return StepView {
            step,
            status: Status::Skipped,
            ran: false,
            elapsed_ms: 0,
            verdicts: Vec::new(),
            evidence: Vec::new(),
        };
    };
    let mut verdicts = record.verdicts.clone();
    // Stable: equal statuses keep the producer's order.
    verdicts.sort_by_key(|v| std::cmp::Reverse(rank(v.status)));
    let status = verdicts.first().map_or(Status::Skipped, |v| v.status);
    StepView {
        step,
        status,
        ran: true,
        elapsed_ms: record.elapsed_ms,
        verdicts,
        evidence: record.evidence.clone(),
    }
}

fn ladder(trace: &SignInTrace) -> Vec<LadderRow> {
    let start = trace.started_at.unix_ms();
    trace
        .evidence
        .iter()
        .filter_map(|e| match &e.kind {
            EvidenceKind::Sip(sip) => Some((e.id, sip)),
            _ => None,
        })
        .map(|(id, sip)| {
            let mut row = LadderRow {
                evidence: id,
                offset_ms: sip.at.unix_ms().saturating_sub(start),
                direction: sip.direction,
                peer: sip.peer.clone(),
                label: first_line(&sip.text),
                cseq: None,
                auth: Vec::new(),
                diagnostics: Vec::new(),
            };
            if let Ok(msg) = parse_datagram(sip.text.as_bytes(), &Limits::default()) {
                row.label = match msg.start_line() {
                    StartLine::Request { method, uri, .. } => format!("{method} {uri}"),
                    StartLine::Response { code, reason, .. } => format!("{code} {reason}"),
                };
                row.cseq = msg
                    .cseq()
                    .and_then(Result::ok)
                    .map(|c| format!("{} {}", c.seq, c.method));
                for auth in msg.auth_headers().flatten() {
                    if !auth.scheme.is_empty() && !row.auth.iter().any(|a| a == auth.scheme) {
                        row.auth.push(auth.scheme.to_owned());
                    }
                }
                for d in msg.ms_diagnostics() {
                    row.diagnostics.push(match d {
                        Ok(d) => {
                            let mut s = d.code.to_string();
                            if let Some(r) = d.reason() {
                                s.push(' ');
                                s.push_str(r);
                            }
                            if let Some(src) = d.source() {
                                s.push_str(&format!(" (source={src})"));
                            }
                            s
                        }
                        Err(e) => format!("unparsable ms-diagnostics: {e}"),
                    });
                }
            }
            row.label = clip(&row.label);
            row
        })
        .collect()
}

/// The first line of a message (for text the codec cannot parse, e.g. a truncated one).
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}

/// Cuts a label to [`MAX_LABEL`] characters.
fn clip(s: &str) -> String {
    if s.chars().count() <= MAX_LABEL {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(MAX_LABEL - 1).collect();
    out.push('…');
    out
}

/// The lower-case name of a step.
pub fn step_name(step: Step) -> &'static str {
    match step {
        Step::Discovery => "discovery",
        Step::Connectivity => "connectivity",
        Step::Authentication => "authentication",
        Step::Redirection => "redirection",
        Step::Settings => "settings",
    }
}

/// The lower-case name of a status.
pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Warn => "warn",
        Status::Fail => "fail",
        Status::Skipped => "skipped",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sfb_trace::{CauseCode, RedactionPolicy, SipEvidence, Timestamp};

    fn verdict(step: Step, status: Status, cause: &'static str) -> StepVerdict {
        StepVerdict {
            step,
            status,
            cause: CauseCode::from_static(cause),
            sentence: "s".into(),
            remedy: None,
            evidence: Vec::new(),
        }
    }

    #[test]
    fn root_cause_is_the_first_failure_in_step_order() {
        let mut t = SignInTrace::new(
            "t",
            "sip:a@b.c",
            Timestamp::EPOCH,
            RedactionPolicy::default(),
        );
        // Recorded out of order on purpose: the report orders by step.
        t.step_mut(Step::Authentication).verdicts.push(verdict(
            Step::Authentication,
            Status::Fail,
            "auth.wrong_password",
        ));
        t.step_mut(Step::Connectivity).verdicts.extend([
            verdict(Step::Connectivity, Status::Warn, "tls.expiring_soon"),
            verdict(Step::Connectivity, Status::Fail, "tcp.refused"),
        ]);
        let r = Report::new(&t);
        assert_eq!(r.root_cause.as_ref().unwrap().cause.as_str(), "tcp.refused");
        assert_eq!(r.status, Status::Fail);
        assert_eq!(r.steps[1].status, Status::Fail);
        assert_eq!(r.steps[0].status, Status::Skipped);
        assert!(!r.steps[0].ran);
        assert_eq!(r.exit_code(false), 1);
    }

    #[test]
    fn warnings_pass_unless_strict() {
        let mut t = SignInTrace::new(
            "t",
            "sip:a@b.c",
            Timestamp::EPOCH,
            RedactionPolicy::default(),
        );
        t.step_mut(Step::Discovery).verdicts.push(verdict(
            Step::Discovery,
            Status::Warn,
            "dns.odd_weights",
        ));
        let r = Report::new(&t);
        assert!(r.root_cause.is_none());
        assert_eq!((r.exit_code(false), r.exit_code(true)), (0, 1));
        assert_eq!(r.warnings().count(), 1);
    }

    #[test]
    fn ladder_survives_unparsable_and_long_messages() {
        let mut t = SignInTrace::new(
            "t",
            "sip:a@b.c",
            Timestamp::EPOCH,
            RedactionPolicy::default(),
        );
        let long = format!("REGISTER sip:{} SIP/2.0\r\nVia: trunc", "x".repeat(500));
        t.push_evidence(
            Some(Step::Authentication),
            EvidenceKind::Sip(SipEvidence {
                direction: Direction::Sent,
                at: Timestamp::from_unix_ms(5).unwrap(),
                peer: "10.0.0.5:5061".into(),
                text: long,
                wire_len: 600,
                truncated: true,
                redacted: false,
            }),
        );
        let r = Report::new(&t);
        assert_eq!(r.ladder.len(), 1);
        assert_eq!(r.ladder[0].offset_ms, 5);
        assert!(r.ladder[0].label.starts_with("REGISTER sip:xxx"));
        assert!(r.ladder[0].label.chars().count() <= MAX_LABEL);
    }
}
