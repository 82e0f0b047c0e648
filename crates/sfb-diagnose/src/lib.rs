//! `sfb-diagnose`: turns a [`SignInTrace`] into a verdict per sign-in step.
//!
//! [`diagnose`] is pure (no I/O, no clock: every time it compares comes from the trace) and
//! judges each step (Discovery, Connectivity, Authentication, Redirection, Settings) with one or
//! more [`StepVerdict`]s: a status, a stable cause code from [`CAUSES`], a sentence a helpdesk
//! understands (naming the host, the SANs, the CA to install, the hop that said it), the remedy,
//! and the ids of the evidence behind it. [`Diagnosis::apply`] writes them into the trace.
//!
//! What it reads:
//! - DNS evidence (`purpose`, `outcome`, answers in `owner ttl TYPE data` form), HTTP evidence
//!   (autodiscover, WebTicket `X-Ms-diagnostics`), TCP and TLS evidence (the classified
//!   [`sfb_trace::TlsFailure`]);
//! - SIP evidence as raw text, parsed with `sfb_sip_codec::parse_datagram` (status,
//!   `ms-diagnostics`, offers, `Authentication-Info`, Contact of a 301, Server, Date);
//! - auth-token evidence by field name (NTLM `message_type`, `domain`, `user`, `workstation`,
//!   `target_name`, ...; Kerberos `message_type`, `realm`, `sname`, `error_code`, `error_name`);
//! - verdicts already in the trace (the session's simple per-step status): only as facts, for
//!   what the wire does not show (a signature that did not verify, a scheme selection refused).
//!
//! Rules are listed in `docs/diagnose.md`, one row per cause code. A situation no rule knows
//! gets a generic cause with the raw facts (never a false pass). A step with no evidence
//! because an earlier one failed is `skipped`. The root cause is the first failing verdict in
//! step order.
//!
//! The ms-diagnostics [`catalogue`] gives each registration-related SIP code and each WebTicket
//! code its meaning, remedy and citation; uncatalogued codes are shown raw.

pub mod catalogue;
mod causes;
mod facts;
mod rules;

use sfb_trace::{
    AuthTokenEvidence, DnsEvidence, EvidenceId, EvidenceKind, HttpEvidence, SignInTrace, Status,
    Step, StepVerdict, TcpEvidence, TlsEvidence,
};

pub use causes::{CAUSES, step_of};

use crate::facts::Sip;

/// The steps in order.
pub const STEPS: [Step; 5] = Step::ALL;

/// The verdicts on a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// One or more verdicts per step, in step order.
    pub verdicts: Vec<StepVerdict>,
    /// The first failing verdict in step order, if any step failed.
    pub root_cause: Option<StepVerdict>,
}

impl Diagnosis {
    /// The verdicts on one step.
    pub fn step(&self, step: Step) -> impl Iterator<Item = &StepVerdict> {
        self.verdicts.iter().filter(move |v| v.step == step)
    }

    /// The worst status of a step (fail > warn > pass > skipped).
    pub fn status(&self, step: Step) -> Status {
        let rank = |s: Status| match s {
            Status::Fail => 3,
            Status::Warn => 2,
            Status::Pass => 1,
            Status::Skipped => 0,
        };
        self.step(step)
            .map(|v| v.status)
            .max_by_key(|s| rank(*s))
            .unwrap_or(Status::Skipped)
    }

    /// Writes the verdicts into the trace: each step's `verdicts` is replaced by this
    /// diagnosis's (steps absent from the trace, e.g. skipped ones, are created), and the steps
    /// are put in step order.
    pub fn apply(self, trace: &mut SignInTrace) {
        for step in STEPS {
            trace.step_mut(step).verdicts.clear();
        }
        for v in self.verdicts {
            trace.step_mut(v.step).verdicts.push(v);
        }
        trace.steps.sort_by_key(|s| s.step);
    }
}

/// Judges every step of a trace. Pure; bounded in time and memory by the trace's size.
pub fn diagnose(trace: &SignInTrace) -> Diagnosis {
    let ctx = Ctx::new(trace);
    let mut verdicts = Vec::new();
    let discovery = rules::discovery::judge(&ctx);
    let discovery_failed = failed(&discovery);
    verdicts.extend(discovery);
    let connectivity = rules::connectivity::judge(&ctx, discovery_failed);
    let connectivity_ok =
        !failed(&connectivity) && connectivity.iter().any(|v| v.status != Status::Skipped);
    verdicts.extend(connectivity);
    let sip = rules::sip::judge(&ctx, connectivity_ok);
    verdicts.extend(sip);
    verdicts.sort_by_key(|v| v.step);
    let root_cause = verdicts.iter().find(|v| v.status == Status::Fail).cloned();
    Diagnosis {
        verdicts,
        root_cause,
    }
}

fn failed(v: &[StepVerdict]) -> bool {
    v.iter().any(|v| v.status == Status::Fail)
}

/// Everything the rules look at, read once.
pub(crate) struct Ctx<'a> {
    /// The trace.
    pub(crate) trace: &'a SignInTrace,
    /// DNS evidence, in order.
    pub(crate) dns: Vec<(EvidenceId, &'a DnsEvidence)>,
    /// HTTP evidence with the step listing it.
    pub(crate) http: Vec<(EvidenceId, &'a HttpEvidence, Option<Step>)>,
    /// TCP evidence.
    pub(crate) tcp: Vec<(EvidenceId, &'a TcpEvidence)>,
    /// TLS evidence.
    pub(crate) tls: Vec<(EvidenceId, &'a TlsEvidence)>,
    /// SIP messages, read.
    pub(crate) sip: Vec<Sip>,
    /// Auth tokens.
    pub(crate) tokens: Vec<(EvidenceId, &'a AuthTokenEvidence)>,
    /// The session's facts (`first_401`, `kerberos`, `refusal`, ...).
    pub(crate) facts: Vec<(EvidenceId, &'a sfb_trace::FactEvidence)>,
    /// The SIP domain (from the target URI, else from the DNS names asked), lower case.
    pub(crate) domain: Option<String>,
    /// The id of the first received redirect (3xx to REGISTER): evidence after it belongs to
    /// the redirection.
    pub(crate) first_redirect: Option<EvidenceId>,
    /// The ids of every received redirect, in order.
    pub(crate) redirects: Vec<EvidenceId>,
}

impl<'a> Ctx<'a> {
    fn new(trace: &'a SignInTrace) -> Self {
        let mut ctx = Ctx {
            trace,
            dns: Vec::new(),
            http: Vec::new(),
            tcp: Vec::new(),
            tls: Vec::new(),
            sip: Vec::new(),
            tokens: Vec::new(),
            facts: Vec::new(),
            domain: None,
            first_redirect: None,
            redirects: Vec::new(),
        };
        for e in &trace.evidence {
            match &e.kind {
                EvidenceKind::Dns(d) => ctx.dns.push((e.id, d)),
                EvidenceKind::Http(h) => {
                    ctx.http.push((e.id, h, facts::step_listing(trace, e.id)));
                }
                EvidenceKind::Tcp(t) => ctx.tcp.push((e.id, t)),
                EvidenceKind::Tls(t) => ctx.tls.push((e.id, t)),
                EvidenceKind::Sip(s) => ctx.sip.push(facts::read_sip(e.id, s)),
                EvidenceKind::AuthToken(t) => ctx.tokens.push((e.id, t)),
                EvidenceKind::Fact(f) => ctx.facts.push((e.id, f)),
            }
        }
        ctx.redirects = ctx
            .sip
            .iter()
            .filter(|s| !s.sent && s.is_register_response() && is_redirect(s))
            .map(|s| s.id)
            .collect();
        ctx.first_redirect = ctx.redirects.first().copied();
        ctx.domain = domain_of(&trace.target).or_else(|| domain_from_dns(&ctx.dns));
        ctx
    }

    /// Recorded verdicts (from the producers) on a step whose cause contains `needle`.
    pub(crate) fn prior(&self, step: Step, needle: &str) -> Option<&'a StepVerdict> {
        self.trace
            .steps
            .iter()
            .filter(|s| s.step == step)
            .flat_map(|s| &s.verdicts)
            .find(|v| v.cause.as_str().contains(needle))
    }

    /// The leg of an evidence id: how many redirects were received before it.
    pub(crate) fn leg(&self, id: EvidenceId) -> usize {
        self.redirects.partition_point(|r| *r < id)
    }

    /// Is this evidence before the first redirect (the first leg)?
    pub(crate) fn first_leg(&self, id: EvidenceId) -> bool {
        self.first_redirect.is_none_or(|r| id < r)
    }
}

/// Is a response a redirect (301, 302)?
pub(crate) fn is_redirect(s: &Sip) -> bool {
    matches!(s.status, Some(301 | 302))
}

/// `sip:alice@contoso.com` → `contoso.com`.
fn domain_of(target: &str) -> Option<String> {
    let rest = target
        .strip_prefix("sip:")
        .or_else(|| target.strip_prefix("sips:"))
        .unwrap_or(target);
    let (_, host) = rest.rsplit_once('@')?;
    let host = host
        .split([';', '>', ':'])
        .next()?
        .trim()
        .to_ascii_lowercase();
    (!host.is_empty() && host.len() <= 253 && host.contains('.')).then_some(host)
}

/// The domain of the first SRV or autodiscover name asked.
fn domain_from_dns(dns: &[(EvidenceId, &DnsEvidence)]) -> Option<String> {
    const PREFIXES: [&str; 5] = [
        "_sipinternaltls._tcp.",
        "_sipinternal._tcp.",
        "_sip._tls.",
        "lyncdiscoverinternal.",
        "lyncdiscover.",
    ];
    dns.iter().find_map(|(_, d)| {
        let name = d.name.to_ascii_lowercase();
        PREFIXES.iter().find_map(|p| {
            name.strip_prefix(p)
                .map(|r| r.trim_end_matches('.').to_owned())
        })
    })
}

/// Is `host` the domain or under it (case-insensitive, trailing dots ignored)?
pub(crate) fn under(host: &str, domain: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    let d = domain.trim_end_matches('.').to_ascii_lowercase();
    h == d || h.ends_with(&format!(".{d}"))
}

#[doc(hidden)]
pub mod fuzzing {
    //! Entry points for the fuzz targets: each takes arbitrary bytes and must never panic.

    use sfb_trace::{
        Direction, EvidenceKind, RedactionPolicy, SignInTrace, SipEvidence, Step, Timestamp,
    };

    /// Reads `data` as a trace document and, if it is one, diagnoses it; then diagnoses a
    /// trace whose SIP evidence is `data` split into messages (by two NUL bytes) as received.
    pub fn trace(data: &[u8]) {
        if let Ok(t) = SignInTrace::from_json(data) {
            check(&t);
        }
        let mut t = SignInTrace::new(
            "fuzz",
            "sip:alice@contoso.test",
            Timestamp::EPOCH,
            RedactionPolicy::default(),
        );
        for (i, part) in data
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .take(16)
            .enumerate()
        {
            let direction = if i % 2 == 0 {
                Direction::Sent
            } else {
                Direction::Received
            };
            let step = if i < 6 {
                Step::Authentication
            } else {
                Step::Settings
            };
            t.push_evidence(
                Some(step),
                EvidenceKind::Sip(SipEvidence {
                    direction,
                    at: Timestamp::EPOCH,
                    peer: "127.0.0.1:5061".to_owned(),
                    text: String::from_utf8_lossy(part).into_owned(),
                    wire_len: part.len() as u64,
                    truncated: false,
                    redacted: false,
                }),
            );
        }
        check(&t);
    }

    fn check(t: &SignInTrace) {
        let d = crate::diagnose(t);
        for v in &d.verdicts {
            assert!(v.evidence.iter().all(|id| t.evidence(*id).is_some()));
        }
        let mut applied = t.clone();
        d.apply(&mut applied);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert_eq!(
            domain_of("sip:alice@Contoso.com").as_deref(),
            Some("contoso.com")
        );
        assert_eq!(domain_of("<personal>"), None);
        assert!(under("pool.contoso.com.", "contoso.com"));
        assert!(!under("evilcontoso.com", "contoso.com"));
    }
}
