//! Connectivity: TCP per address, TLS per connected address (protocol.md §1.4: the client tries
//! candidates in order; a certificate error ends the sign-in).
//!
//! - nothing tried: `connectivity.skipped` after a failed discovery, else `connectivity.no_address`;
//! - no address completed TLS: the first TLS failure if a handshake got that far
//!   (`tls.*`, with `tls.legacy_only` for a server that speaks only old versions), else the
//!   first TCP failure (`tcp.*`), naming every address tried;
//! - the first target that works has dead addresses: warn `connectivity.pool_member_down`;
//! - an earlier target failed: warn `connectivity.fallback_used`;
//! - a certificate of a working target expires within 30 days: warn `tls.expiring_soon`.

use sfb_trace::{
    EvidenceId, NameSource, Status, StepVerdict, TcpEvidence, TcpOutcome, Timestamp, TlsEvidence,
    TlsFailure, TlsOutcome,
};

use super::list;
use crate::Ctx;
use crate::causes::verdict;
use crate::facts::clip;

/// Thirty days, milliseconds.
const EXPIRY_WARNING_MS: i64 = 30 * 24 * 3600 * 1000;

/// One address attempt: its TCP evidence and the TLS handshake on it, if any.
pub(crate) struct Attempt<'a> {
    pub(crate) tcp: (EvidenceId, &'a TcpEvidence),
    pub(crate) tls: Option<(EvidenceId, &'a TlsEvidence)>,
}

impl Attempt<'_> {
    /// Did the connection become usable?
    pub(crate) fn works(&self) -> bool {
        match self.tls {
            Some((_, t)) => t.outcome == TlsOutcome::Established,
            None => self.tcp.1.outcome == TcpOutcome::Connected,
        }
    }

    /// The evidence to cite: the TLS handshake if there was one, else the TCP attempt.
    pub(crate) fn id(&self) -> EvidenceId {
        self.tls.map_or(self.tcp.0, |(id, _)| id)
    }

    pub(crate) fn words(&self) -> String {
        match (self.tls, self.tcp.1.outcome) {
            (Some((_, t)), _) => match (&t.failure, t.outcome) {
                (Some(f), _) => f.cause_code().to_owned(),
                (None, TlsOutcome::Established) => "works".to_owned(),
                (None, TlsOutcome::Timeout) => "tls timeout".to_owned(),
                (None, TlsOutcome::Failed) => "tls failed".to_owned(),
            },
            (None, TcpOutcome::Connected) => "connected".to_owned(),
            (None, TcpOutcome::Refused) => "refused".to_owned(),
            (None, TcpOutcome::Timeout) => "timeout".to_owned(),
            (None, TcpOutcome::Unreachable) => "unreachable".to_owned(),
            (None, TcpOutcome::Error) => self
                .tcp
                .1
                .os_error
                .as_deref()
                .map_or_else(|| "error".to_owned(), clip),
        }
    }
}

/// The attempts on one `host:port`, in order.
pub(crate) struct Target<'a> {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) attempts: Vec<Attempt<'a>>,
}

/// Groups the TCP and TLS evidence accepted by `keep` into targets, in first-seen order.
pub(crate) fn targets<'a>(ctx: &Ctx<'a>, keep: impl Fn(EvidenceId) -> bool) -> Vec<Target<'a>> {
    let mut out: Vec<Target<'a>> = Vec::new();
    for (i, (id, tcp)) in ctx.tcp.iter().enumerate() {
        if !keep(*id) {
            continue;
        }
        let next_tcp = ctx.tcp.get(i + 1).map(|(n, _)| *n);
        let tls = ctx
            .tls
            .iter()
            .find(|(tid, t)| {
                *tid > *id
                    && next_tcp.is_none_or(|n| *tid < n)
                    && t.address == tcp.address
                    && t.port == tcp.port
            })
            .map(|(tid, t)| (*tid, *t));
        let attempt = Attempt {
            tcp: (*id, *tcp),
            tls,
        };
        match out
            .iter_mut()
            .find(|t| t.host == tcp.host && t.port == tcp.port)
        {
            Some(t) => t.attempts.push(attempt),
            None => out.push(Target {
                host: tcp.host.clone(),
                port: tcp.port,
                attempts: vec![attempt],
            }),
        }
    }
    out
}

pub(crate) fn judge(ctx: &Ctx<'_>, discovery_failed: bool) -> Vec<StepVerdict> {
    let targets = targets(ctx, |id| ctx.first_leg(id));
    if targets.is_empty() {
        if discovery_failed {
            return vec![verdict(
                "connectivity.skipped",
                Status::Skipped,
                "Not run: discovery found no server to connect to.".to_owned(),
                None,
                Vec::new(),
            )];
        }
        let unanswered: Vec<String> = ctx
            .dns
            .iter()
            .filter(|(_, d)| {
                (d.rtype.eq_ignore_ascii_case("A") || d.rtype.eq_ignore_ascii_case("AAAA"))
                    && d.answers.is_empty()
            })
            .map(|(_, d)| {
                format!(
                    "{} {} ({})",
                    clip(&d.name),
                    clip(&d.rtype),
                    clip(&d.outcome)
                )
            })
            .collect();
        return vec![verdict(
            "connectivity.no_address",
            Status::Fail,
            format!(
                "No connection was attempted: no candidate server had an address (asked without an answer: {}).",
                list(&unanswered, 6)
            ),
            Some("Check the discovery step: the SRV targets and fallback names must have A or AAAA records.".to_owned()),
            ctx.dns.iter().map(|(id, _)| *id).collect(),
        )];
    }
    let mut out = Vec::new();
    let Some(w) = targets
        .iter()
        .position(|t| t.attempts.iter().any(Attempt::works))
    else {
        out.push(failure(&targets));
        return out;
    };
    let target = &targets[w];
    let dead: Vec<&Attempt<'_>> = target.attempts.iter().filter(|a| !a.works()).collect();
    if !dead.is_empty() {
        let words: Vec<String> = dead
            .iter()
            .map(|a| format!("{} ({})", a.tcp.1.address, a.words()))
            .collect();
        let good: Vec<String> = target
            .attempts
            .iter()
            .filter(|a| a.works())
            .map(|a| a.tcp.1.address.to_string())
            .collect();
        out.push(verdict(
            "connectivity.pool_member_down",
            Status::Warn,
            format!(
                "{}:{} works on {} but not on {}.",
                clip(&target.host),
                target.port,
                list(&good, 6),
                list(&words, 6)
            ),
            Some("Fix or remove the dead front end from the pool's DNS records: clients that pick it wait for a timeout or fail.".to_owned()),
            dead.iter().map(|a| a.id()).collect(),
        ));
    } else if w > 0 {
        let failed: Vec<String> = targets[..w]
            .iter()
            .map(|t| {
                let words: Vec<String> = t.attempts.iter().map(Attempt::words).collect();
                format!("{}:{} ({})", clip(&t.host), t.port, words.join(", "))
            })
            .collect();
        out.push(verdict(
            "connectivity.fallback_used",
            Status::Warn,
            format!(
                "{}:{} works, after {} failed.",
                clip(&target.host),
                target.port,
                list(&failed, 4)
            ),
            Some(
                "Fix the earlier candidates: clients try them first and wait for each.".to_owned(),
            ),
            targets[..w]
                .iter()
                .flat_map(|t| t.attempts.iter().map(Attempt::id))
                .collect(),
        ));
    } else {
        let how = target
            .attempts
            .iter()
            .find_map(|a| a.tls)
            .map(|(_, t)| {
                format!(
                    " ({}, {})",
                    t.protocol_version
                        .as_deref()
                        .map_or_else(|| "?".to_owned(), clip),
                    t.cipher_suite
                        .as_deref()
                        .map_or_else(|| "?".to_owned(), clip)
                )
            })
            .unwrap_or_default();
        out.push(verdict(
            "connectivity.ok",
            Status::Pass,
            format!(
                "{}:{} accepts TLS on every address{how}.",
                clip(&target.host),
                target.port
            ),
            None,
            target.attempts.iter().map(Attempt::id).collect(),
        ));
    }
    out.extend(expiring(target));
    out
}

/// Warnings for certificates of working attempts that expire within 30 days.
fn expiring(target: &Target<'_>) -> Option<StepVerdict> {
    let (id, tls, leaf) = target.attempts.iter().filter(|a| a.works()).find_map(|a| {
        let (id, t) = a.tls?;
        let leaf = t.chain.first()?;
        let now = t.verified_at.unwrap_or(t.started_at);
        let left = leaf.not_after.unix_ms().saturating_sub(now.unix_ms());
        (left < EXPIRY_WARNING_MS).then_some((id, t, leaf))
    })?;
    let now = tls.verified_at.unwrap_or(tls.started_at);
    let days = leaf.not_after.unix_ms().saturating_sub(now.unix_ms()) / (24 * 3600 * 1000);
    Some(verdict(
        "tls.expiring_soon",
        Status::Warn,
        format!(
            "The certificate of {} ({}) expires on {} ({days} days after the check).",
            clip(&tls.host),
            clip(&leaf.subject),
            leaf.not_after
        ),
        Some(
            "Renew the server certificate before it expires (every pool member and the Edge)."
                .to_owned(),
        ),
        vec![id],
    ))
}

/// Nothing worked: the first TLS failure if any handshake got that far, else the first TCP one.
pub(crate) fn failure(targets: &[Target<'_>]) -> StepVerdict {
    let all = || targets.iter().flat_map(|t| t.attempts.iter());
    if let Some((id, tls)) = all().find_map(|a| a.tls) {
        let failure = match (&tls.failure, tls.outcome) {
            (Some(f), _) => f.clone(),
            (None, TlsOutcome::Timeout) => TlsFailure::Handshake {
                detail: "no answer within the timeout".to_owned(),
            },
            (None, _) => TlsFailure::Handshake {
                detail: tls.error.clone().unwrap_or_else(|| "unknown".to_owned()),
            },
        };
        let (cause, sentence, remedy) = explain_tls(&failure, tls);
        return verdict(cause, Status::Fail, sentence, Some(remedy), vec![id]);
    }
    let first = all().next().map(|a| a.tcp.1.outcome);
    let (cause, remedy) = match first {
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
            "Check routing to the server's network (VPN, proxy, an internal-only address).",
        ),
        _ => ("tcp.error", "Check the local network configuration."),
    };
    let words: Vec<String> = all()
        .map(|a| {
            format!(
                "{} {}:{} ({})",
                clip(&a.tcp.1.host),
                a.tcp.1.address,
                a.tcp.1.port,
                a.words()
            )
        })
        .collect();
    verdict(
        cause,
        Status::Fail,
        format!("No server could be reached over TCP: {}.", list(&words, 8)),
        Some(remedy.to_owned()),
        all().map(|a| a.tcp.0).collect(),
    )
}

fn legacy(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase().replace([' ', '_'], "");
    [
        "protocolversion",
        "doesnotsupporttls12or13",
        "unsupportedprotocol",
        "tlsv1.0",
        "tlsv1.1",
        "legacy",
    ]
    .iter()
    .any(|n| d.contains(n))
}

fn source_words(s: NameSource) -> &'static str {
    match s {
        NameSource::SrvTarget => "an SRV record's target",
        NameSource::AFallback => "an A record fallback name",
        NameSource::BareDomain => "the bare SIP domain",
        NameSource::Autodiscover => "the autodiscover document",
        NameSource::Redirect => "a 301 redirect's Contact",
        NameSource::Manual => "the server given by hand",
    }
}

fn date(t: Timestamp) -> String {
    t.to_rfc3339()
}

/// The cause, sentence and remedy of a TLS failure on a handshake with `tls.host`.
pub(crate) fn explain_tls(
    failure: &TlsFailure,
    tls: &TlsEvidence,
) -> (&'static str, String, String) {
    let host = format!("{}:{} ({})", clip(&tls.host), tls.port, tls.address);
    match failure {
        TlsFailure::UntrustedRoot { issuer } => (
            "tls.untrusted_root",
            format!(
                "The certificate of {host} chains to \"{}\", which this machine does not trust.",
                clip(issuer)
            ),
            format!(
                "Install the root certificate \"{}\" in the trusted root store (or use a certificate from a CA the clients trust).",
                clip(issuer)
            ),
        ),
        TlsFailure::IncompleteChain {
            missing_issuer,
            aia_ca_issuers,
        } => (
            "tls.incomplete_chain",
            format!(
                "{host} sends its certificate without the intermediate \"{}\"; Windows may fetch it from the AIA URL, other clients fail.",
                clip(missing_issuer)
            ),
            match aia_ca_issuers.first() {
                Some(url) => format!(
                    "Configure the server to send the full chain (the intermediate is at {}).",
                    clip(url)
                ),
                None => "Configure the server to send the full chain.".to_owned(),
            },
        ),
        TlsFailure::NameMismatch {
            expected,
            name_source,
            presented,
        } => {
            let names: Vec<String> = presented.iter().take(32).map(|n| clip(n)).collect();
            (
                "tls.name_mismatch",
                format!(
                    "The certificate of {host} does not name {} (the name came from {}); it names: {}.",
                    clip(expected),
                    source_words(*name_source),
                    list(&names, 12)
                ),
                format!(
                    "Add {} to the certificate's subject alternative names, or fix the record that points to this server.",
                    clip(expected)
                ),
            )
        }
        TlsFailure::Expired { not_after, now } => (
            "tls.expired",
            format!(
                "The certificate of {host} expired on {} (checked at {}).",
                date(*not_after),
                date(*now)
            ),
            "Renew the server certificate.".to_owned(),
        ),
        TlsFailure::NotYetValid { not_before, now } => (
            "tls.not_yet_valid",
            format!(
                "The certificate of {host} is valid only from {} (checked at {}).",
                date(*not_before),
                date(*now)
            ),
            "Check this machine's clock, or wait until the certificate becomes valid.".to_owned(),
        ),
        TlsFailure::NoServerAuthUsage {
            extended_key_usages,
        } => {
            let ekus: Vec<String> = extended_key_usages
                .iter()
                .take(16)
                .map(|e| clip(e))
                .collect();
            (
                "tls.no_server_auth_usage",
                format!(
                    "The certificate of {host} is not for TLS servers (its extended key usages: {}).",
                    list(&ekus, 8)
                ),
                "Issue the server a certificate with the Server Authentication EKU.".to_owned(),
            )
        }
        TlsFailure::BadCertificate { detail } => (
            "tls.bad_certificate",
            format!("The certificate of {host} was rejected: {}.", clip(detail)),
            "Inspect the certificate chain the server sends (signature, algorithm, revocation)."
                .to_owned(),
        ),
        TlsFailure::Handshake { detail } if legacy(detail) => (
            "tls.legacy_only",
            format!(
                "{host} accepts only TLS 1.0/1.1 or legacy cipher suites ({}): old Windows clients may still work, this tool cannot, and it is a security risk.",
                clip(detail)
            ),
            "Enable TLS 1.2 (and modern cipher suites) on the server.".to_owned(),
        ),
        TlsFailure::Handshake { detail } => (
            "tls.handshake",
            format!("The TLS handshake with {host} failed: {}.", clip(detail)),
            "Check that the port speaks TLS 1.2 or 1.3, and what the server logs.".to_owned(),
        ),
    }
}
