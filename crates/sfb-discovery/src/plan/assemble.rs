//! Builds the [`DiscoveryResult`] from the finished lookups, in the documented order.

use std::collections::BTreeMap;

use crate::result::{
    AutodiscoverHost, DiscoveryResult, Endpoint, EndpointSource, Location, Transport,
};
use crate::srv::{SrvTarget, order_srv};
use crate::trust::TrustVerdict;

use super::tiers::TierKind;
use super::{Discovery, SrvAnswer};

pub(super) fn result(d: &mut Discovery) -> DiscoveryResult {
    let mut endpoints = Vec::new();
    let mut autodiscover = Vec::new();
    let mut notes = Vec::new();
    let started = d.next_tier.min(d.tiers.len());
    for tier in d.tiers.get(..started).unwrap_or_default().to_vec() {
        for s in &tier.srvs {
            let Some(lookup) = s.lookup.and_then(|i| d.srvs.get(i)) else {
                continue;
            };
            let answers = lookup.answers.clone();
            if answers.iter().any(|a| a.host.is_none()) {
                notes.push(format!(
                    "{} SRV has target \".\": service decidedly not available (RFC 2782)",
                    s.name
                ));
            }
            note_shared_priority(&mut notes, &s.name.to_string(), &answers);
            let targets = answers
                .into_iter()
                .filter_map(|a| {
                    a.host.map(|h| SrvTarget {
                        priority: a.priority,
                        weight: a.weight,
                        item: (h, a.port),
                    })
                })
                .collect();
            for t in order_srv(targets, d.rng.as_mut()) {
                let (host, port) = t.item;
                let (Some(name), Some(h)) = (d.host_names.get(host), d.hosts.get(host)) else {
                    continue;
                };
                let record = format!("{} SRV -> {}:{}", s.name, name, port);
                let trust = d.trust.check(name, &format!("{} SRV -> {}", s.name, name));
                endpoints.push(Endpoint {
                    host: name.to_string(),
                    port,
                    transport: s.transport,
                    source: s.source,
                    trusted: trust.is_trusted(),
                    trust,
                    record,
                    location: s.location,
                    addresses: h.addresses(),
                    cname_chain: h.cname_chain().to_vec(),
                    priority: Some(t.priority),
                    weight: Some(t.weight),
                });
            }
        }
        for e in &tier.hosts {
            let Some(h) = e.lookup.and_then(|i| d.hosts.get(i)) else {
                continue;
            };
            let addresses = h.addresses();
            if tier.kind == TierKind::Autodiscover {
                // The verdict is on the queried name (see `AutodiscoverHost::trust`); the end of
                // a CNAME chain is judged for the report and noted when it leaves the trusted
                // domains.
                let chain = std::iter::once(e.name.to_string())
                    .chain(h.cname_chain().iter().map(|c| format!("CNAME -> {c}")))
                    .collect::<Vec<_>>()
                    .join(" ");
                let cname_target_trust =
                    h.cname_chain().last().map(|end| d.trust.check(end, &chain));
                if let Some(TrustVerdict::Violation { chain }) = &cname_target_trust {
                    notes.push(format!(
                        "{chain}: the alias leaves the SIP domain (as Office 365 publishes \
                         lyncdiscover); autodiscover still connects to {} and validates HTTPS \
                         against that name, so a certificate naming only the alias target fails \
                         there and only the HTTP first hop can answer",
                        e.name
                    ));
                }
                autodiscover.push(AutodiscoverHost {
                    host: e.name.clone(),
                    location: e.location,
                    exists: !addresses.is_empty(),
                    addresses,
                    cname_chain: h.cname_chain().to_vec(),
                    trust: d.trust.check(&e.name, &format!("{} A/AAAA", e.name)),
                    cname_target_trust,
                });
                continue;
            }
            // A fallback host that does not resolve is not a candidate; a manual one is kept.
            if addresses.is_empty() && e.source != EndpointSource::Manual {
                continue;
            }
            let trust = if e.source == EndpointSource::Manual {
                TrustVerdict::Manual
            } else {
                d.trust.check(&e.name, &format!("{} A/AAAA", e.name))
            };
            endpoints.push(Endpoint {
                host: e.name.to_string(),
                port: e.port,
                transport: Transport::Tls,
                source: e.source,
                trusted: trust.is_trusted(),
                trust,
                record: format!("{} A/AAAA -> {}:{}", e.name, e.name, e.port),
                location: e.location,
                addresses,
                cname_chain: h.cname_chain().to_vec(),
                priority: None,
                weight: None,
            });
        }
    }
    if let (Some(ip), Some(m)) = (d.manual_ip(), d.config.manual_server.as_ref()) {
        endpoints.push(Endpoint {
            host: ip.to_string(),
            port: m.port,
            transport: Transport::Tls,
            source: EndpointSource::Manual,
            trusted: true,
            trust: TrustVerdict::Manual,
            record: format!("manual server {ip}:{}", m.port),
            location: Location::Unknown,
            addresses: vec![ip],
            cname_chain: Vec::new(),
            priority: None,
            weight: None,
        });
    }
    let skipped_tiers = d
        .tiers
        .get(started..)
        .unwrap_or_default()
        .iter()
        .map(|t| t.kind.label().to_owned())
        .collect();
    DiscoveryResult {
        sip_domain: d.config.sip_domain.clone(),
        autodiscover,
        endpoints,
        evidence: d.evidence.clone(),
        query_timeout_ms: millis(d.config.query_timeout),
        budget_ms: millis(d.config.budget),
        budget_exhausted: d.budget_exhausted,
        skipped_tiers,
        notes,
    }
}

/// \[RECON\] probe rule (protocol.md §1.2): flag several SRV targets sharing a priority.
fn note_shared_priority(notes: &mut Vec<String>, name: &str, answers: &[SrvAnswer]) {
    let mut by_prio: BTreeMap<u16, usize> = BTreeMap::new();
    for a in answers.iter().filter(|a| a.host.is_some()) {
        *by_prio.entry(a.priority).or_default() += 1;
    }
    for (prio, n) in by_prio.into_iter().filter(|&(_, n)| n > 1) {
        notes.push(format!(
            "{name} SRV: {n} targets share priority {prio}; order among them is weighted random"
        ));
    }
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
