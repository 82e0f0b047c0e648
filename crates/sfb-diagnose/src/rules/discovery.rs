//! Discovery: DNS records, strict naming (protocol.md §1.3), SRV priorities and weights
//! (RFC 2782, §1.2), autodiscover over HTTP only, WebTicket refusals.

use sfb_trace::{EvidenceId, Status, Step, StepVerdict};

use super::list;
use crate::causes::verdict;
use crate::facts::{clip, read_http_diag};
use crate::{Ctx, catalogue, under};

/// One SRV answer.
struct Srv {
    id: EvidenceId,
    query: String,
    priority: u16,
    weight: u16,
    port: u16,
    target: String,
}

/// Reads `owner ttl SRV prio weight port target` (or `SRV prio weight port target`).
fn parse_srv(answer: &str) -> Option<(u16, u16, u16, String)> {
    let mut it = answer.split_ascii_whitespace();
    it.find(|t| t.eq_ignore_ascii_case("SRV"))?;
    let p = it.next()?.parse().ok()?;
    let w = it.next()?.parse().ok()?;
    let port = it.next()?.parse().ok()?;
    let target = it.next()?.trim_end_matches('.').to_ascii_lowercase();
    (!target.is_empty()).then(|| (p, w, port, clip(&target)))
}

fn dns_failed(outcome: &str) -> bool {
    !matches!(outcome, "answer" | "nxdomain" | "nodata")
}

pub(crate) fn judge(ctx: &Ctx<'_>) -> Vec<StepVerdict> {
    let disc_http: Vec<_> = ctx
        .http
        .iter()
        .filter(|(_, _, s)| *s != Some(Step::Authentication))
        .collect();
    if ctx.dns.is_empty() && disc_http.is_empty() {
        if ctx.tcp.is_empty() && ctx.sip.is_empty() {
            return vec![verdict(
                "discovery.no_evidence",
                Status::Fail,
                "The trace holds no evidence: nothing was looked up, connected to or sent.".to_owned(),
                Some("Run the probe again; if the trace stays empty, report it with the command used.".to_owned()),
                Vec::new(),
            )];
        }
        let host = ctx
            .tcp
            .first()
            .map_or_else(|| "?".to_owned(), |(_, t)| clip(&t.host));
        return vec![verdict(
            "discovery.manual_server",
            Status::Skipped,
            format!("No DNS lookup was recorded: the server ({host}) was given by hand."),
            None,
            Vec::new(),
        )];
    }
    let domain = ctx
        .domain
        .clone()
        .unwrap_or_else(|| "the SIP domain".to_owned());
    let mut out = Vec::new();

    let srvs: Vec<Srv> = ctx
        .dns
        .iter()
        .filter(|(_, d)| d.rtype.eq_ignore_ascii_case("SRV") && d.outcome == "answer")
        .flat_map(|(id, d)| {
            d.answers.iter().take(64).filter_map(move |a| {
                let (priority, weight, port, target) = parse_srv(a)?;
                Some(Srv {
                    id: *id,
                    query: clip(&d.name),
                    priority,
                    weight,
                    port,
                    target,
                })
            })
        })
        .collect();
    let addr_answers: Vec<_> = ctx
        .dns
        .iter()
        .filter(|(_, d)| {
            (d.rtype.eq_ignore_ascii_case("A") || d.rtype.eq_ignore_ascii_case("AAAA"))
                && d.outcome == "answer"
                && !d.answers.is_empty()
        })
        .collect();
    let autod_ok: Vec<_> = disc_http
        .iter()
        .filter(|(_, h, _)| {
            h.url.to_ascii_lowercase().contains("lyncdiscover")
                && h.status.is_some_and(|s| (200..300).contains(&s))
        })
        .collect();

    if srvs.is_empty() && addr_answers.is_empty() && autod_ok.is_empty() {
        let asked: Vec<String> = ctx
            .dns
            .iter()
            .map(|(_, d)| {
                format!(
                    "{} {} ({})",
                    clip(&d.name),
                    clip(&d.rtype),
                    clip(&d.outcome)
                )
            })
            .collect();
        let ids = ctx.dns.iter().map(|(id, _)| *id).collect();
        let broken: Vec<String> = ctx
            .dns
            .iter()
            .filter(|(_, d)| dns_failed(&d.outcome))
            .map(|(_, d)| {
                let detail = d
                    .detail
                    .as_deref()
                    .map(|x| format!(": {}", clip(x)))
                    .unwrap_or_default();
                format!(
                    "{} {} ({}{detail})",
                    clip(&d.name),
                    clip(&d.rtype),
                    clip(&d.outcome)
                )
            })
            .collect();
        if !broken.is_empty() {
            return vec![verdict(
                "discovery.dns_failure",
                Status::Fail,
                format!("The DNS server did not answer every query for {domain}: {}.", list(&broken, 6)),
                Some("Check the DNS server this machine uses (reachability, forwarders, the zone's authoritative servers), then run again.".to_owned()),
                ids,
            )];
        }
        return vec![verdict(
            "discovery.no_records",
            Status::Fail,
            format!(
                "No autodiscover, SRV or A record exists for {domain}: asked {}.",
                list(&asked, 8)
            ),
            Some(format!(
                "Publish _sipinternaltls._tcp.{domain} (internal) and _sip._tls.{domain} (external) SRV records pointing to the pool or Edge FQDN in {domain}, and lyncdiscover.{domain} for autodiscover."
            )),
            ids,
        )];
    }

    // Strict naming.
    if let Some(d) = &ctx.domain {
        let bad: Vec<&Srv> = srvs.iter().filter(|s| !under(&s.target, d)).collect();
        if !bad.is_empty() {
            let bad_targets: Vec<&str> = bad.iter().map(|s| s.target.as_str()).collect();
            let good_srv = srvs.iter().any(|s| under(&s.target, d));
            let good_addr = addr_answers
                .iter()
                .any(|(_, a)| under(&a.name, d) && !bad_targets.iter().any(|t| under(&a.name, t)));
            let status = if good_srv || good_addr || !autod_ok.is_empty() {
                Status::Warn
            } else {
                Status::Fail
            };
            let chains: Vec<String> = bad
                .iter()
                .map(|s| format!("{} SRV -> {}:{}", s.query, s.target, s.port))
                .collect();
            out.push(verdict(
                "discovery.strict_naming",
                status,
                format!(
                    "Strict DNS naming is violated: {} points outside {d}; the client refuses (or asks whether to trust) that server.",
                    list(&chains, 4)
                ),
                Some(format!("Point the SRV record to a host name in {d} (e.g. sip.{d} with that name in the certificate), or add the server's domain to the TrustModelData policy.")),
                bad.iter().map(|s| s.id).collect(),
            ));
        }
    }

    // SRV priorities and weights, per query.
    let mut queries: Vec<&str> = srvs.iter().map(|s| s.query.as_str()).collect();
    queries.dedup();
    for q in queries {
        let set: Vec<&Srv> = srvs.iter().filter(|s| s.query == q).collect();
        if set.len() < 2 {
            continue;
        }
        let mut prios: Vec<u16> = set.iter().map(|s| s.priority).collect();
        prios.sort_unstable();
        prios.dedup();
        let mut odd = Vec::new();
        if prios.len() > 1 {
            let groups: Vec<String> = prios
                .iter()
                .map(|p| {
                    let t: Vec<&str> = set
                        .iter()
                        .filter(|s| s.priority == *p)
                        .map(|s| s.target.as_str())
                        .collect();
                    format!("priority {p}: {}", t.join(" "))
                })
                .collect();
            odd.push(format!("mixed priorities ({}): the later targets are used only when every earlier one fails", groups.join("; ")));
        }
        for p in &prios {
            let same: Vec<&&Srv> = set.iter().filter(|s| s.priority == *p).collect();
            let zero: Vec<&str> = same
                .iter()
                .filter(|s| s.weight == 0)
                .map(|s| s.target.as_str())
                .collect();
            if !zero.is_empty() && zero.len() < same.len() {
                odd.push(format!(
                    "weight 0 beside non-zero weights at priority {p} ({} almost never chosen)",
                    zero.join(" ")
                ));
            }
        }
        if !odd.is_empty() {
            out.push(verdict(
                "discovery.srv_weights",
                Status::Warn,
                format!("The SRV records of {q} are unusual: {}.", odd.join("; ")),
                Some("Give the pool's targets one priority and equal weights (or all zero) unless the difference is intended.".to_owned()),
                set.iter().map(|s| s.id).collect(),
            ));
        }
    }

    // Autodiscover over HTTP only.
    let https_ok = autod_ok
        .iter()
        .any(|(_, h, _)| h.url.to_ascii_lowercase().starts_with("https://"));
    if !autod_ok.is_empty() && !https_ok {
        let urls: Vec<String> = autod_ok.iter().map(|(_, h, _)| clip(&h.url)).collect();
        out.push(verdict(
            "discovery.autodiscover_http_only",
            Status::Warn,
            format!("Autodiscover answers only over HTTP ({}); HTTPS did not work.", list(&urls, 3)),
            Some(format!("Publish autodiscover over HTTPS with lyncdiscover.{domain} in the web services certificate.")),
            autod_ok.iter().map(|(id, _, _)| *id).collect(),
        ));
    }

    // WebTicket refusals seen during discovery.
    for (id, h, _) in &disc_http {
        for (name, value) in h.headers.iter().take(64) {
            if !name.eq_ignore_ascii_case("x-ms-diagnostics") {
                continue;
            }
            let Some(d) = read_http_diag(value) else {
                continue;
            };
            let remedy = catalogue::webticket(d.code)
                .map_or("Read the reason and the Front End's event log.", |e| {
                    e.remedy
                });
            out.push(verdict(
                "discovery.webticket_rejected",
                Status::Warn,
                format!(
                    "{} {} answered {} with X-Ms-diagnostics {} ({}).",
                    clip(&h.method),
                    clip(&h.url),
                    h.status
                        .map_or_else(|| "nothing".to_owned(), |s| s.to_string()),
                    d.words(),
                    catalogue::describe(d.code, true)
                ),
                Some(remedy.to_owned()),
                vec![*id],
            ));
        }
    }

    if !out.iter().any(|v| v.status == Status::Fail) {
        let mut found: Vec<String> = srvs
            .iter()
            .map(|s| format!("{} -> {}:{}", s.query, s.target, s.port))
            .collect();
        found.extend(
            autod_ok
                .iter()
                .map(|(_, h, _)| format!("autodiscover {}", clip(&h.url))),
        );
        if found.is_empty() {
            found = addr_answers.iter().map(|(_, a)| clip(&a.name)).collect();
            found.dedup();
        }
        let mut ids: Vec<EvidenceId> = srvs.iter().map(|s| s.id).collect();
        ids.extend(autod_ok.iter().map(|(id, _, _)| *id));
        ids.extend(addr_answers.iter().map(|(id, _)| *id));
        out.insert(
            0,
            verdict(
                "discovery.ok",
                Status::Pass,
                format!("Discovery found servers for {domain}: {}.", list(&found, 6)),
                None,
                ids,
            ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srv_answers() {
        assert_eq!(
            parse_srv("_sip._tls.contoso.com 60 SRV 0 0 443 Edge.contoso.com."),
            Some((0, 0, 443, "edge.contoso.com".to_owned()))
        );
        assert_eq!(
            parse_srv("SRV 1 2 5061 a.b"),
            Some((1, 2, 5061, "a.b".to_owned()))
        );
        assert_eq!(parse_srv("x 60 A 10.0.0.1"), None);
        assert_eq!(parse_srv("SRV 1 2"), None);
    }
}
