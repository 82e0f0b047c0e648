//! Reading one answer: CNAME chains, outcomes, TTLs, and what the answer starts next.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::domain::DomainName;
use crate::evidence::QueryOutcome;
use crate::record::{Rcode, Record, RecordData, RecordType};

use super::{Discovery, PendingQuery, Purpose, SrvAnswer};

impl Discovery {
    pub(super) fn on_answer(
        &mut self,
        now: Instant,
        q: PendingQuery,
        rcode: Rcode,
        mut answers: Vec<Record>,
        authority: &[Record],
        elapsed: Duration,
    ) {
        let max = self.config.limits.max_records_per_answer;
        let dropped = answers.len().saturating_sub(max);
        answers.truncate(max);
        let walk = walk_answer(
            &q.name,
            q.rtype,
            &answers,
            self.config.limits.max_cname_chain,
        );
        let negative_ttl = authority.iter().find_map(|r| match r.data {
            RecordData::Soa { minimum } => Some(minimum.min(r.ttl)),
            _ => None,
        });
        let outcome = match rcode {
            Rcode::NoError if !walk.data.is_empty() => QueryOutcome::Answer,
            Rcode::NoError => QueryOutcome::NoData,
            Rcode::NxDomain => QueryOutcome::NxDomain,
            Rcode::ServFail => QueryOutcome::ServFail,
            Rcode::Refused => QueryOutcome::Refused,
            other => QueryOutcome::OtherRcode { rcode: other },
        };
        let ttl = match outcome {
            QueryOutcome::Answer => walk.min_ttl,
            QueryOutcome::NoData | QueryOutcome::NxDomain => negative_ttl,
            _ => None,
        };
        if let Some(e) = self.evidence.get_mut(q.evidence) {
            e.outcome = outcome.clone();
            e.rcode = Some(rcode);
            e.answers = answers.clone();
            e.cname_chain = walk.chain.clone();
            e.ttl = ttl;
            e.duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
            e.dropped_records = dropped;
        }
        match q.purpose {
            Purpose::Address { host, hops } => {
                if let Some(h) = self.hosts.get_mut(host) {
                    let chain = match q.rtype {
                        RecordType::Aaaa => &mut h.chain_v6,
                        _ => &mut h.chain_v4,
                    };
                    chain.extend(walk.chain.iter().cloned());
                }
                let hops = hops + walk.chain.len();
                // A CNAME whose target the server did not resolve: ask for the target (RFC 1034
                // §3.6.2), within the chain limit.
                if outcome == QueryOutcome::NoData
                    && !walk.chain.is_empty()
                    && hops < self.config.limits.max_cname_chain
                {
                    let purpose = Purpose::Address { host, hops };
                    self.send(now, walk.end, q.rtype, purpose, "cname target");
                    return;
                }
                let addrs = walk
                    .data
                    .iter()
                    .filter_map(|d| match d {
                        RecordData::A { address } => Some(IpAddr::V4(*address)),
                        RecordData::Aaaa { address } => Some(IpAddr::V6(*address)),
                        _ => None,
                    })
                    .collect();
                self.complete(q.purpose, q.rtype, addrs);
            }
            Purpose::Srv { srv } => {
                let limit = self.config.limits.max_srv_targets;
                let mut out = Vec::new();
                for d in walk.data.iter().take(limit) {
                    if let RecordData::Srv {
                        priority,
                        weight,
                        port,
                        target,
                    } = d
                    {
                        let host = target
                            .as_ref()
                            .map(|t| self.lookup_host(now, t, "srv target"));
                        out.push(SrvAnswer {
                            priority: *priority,
                            weight: *weight,
                            port: *port,
                            host,
                        });
                    }
                }
                if let Some(s) = self.srvs.get_mut(srv) {
                    s.answers = out;
                    s.done = true;
                }
            }
        }
    }
}

/// The records of an answer section that answer `qname`/`rtype`, after following CNAMEs.
pub(crate) struct Walk {
    pub(crate) chain: Vec<DomainName>,
    pub(crate) end: DomainName,
    pub(crate) data: Vec<RecordData>,
    pub(crate) min_ttl: Option<u32>,
}

/// RFC 1034 §3.6.2: an alias's answer carries the CNAME and then the records of the canonical
/// name. Follows at most `max_chain` aliases; loops end at the limit.
pub(crate) fn walk_answer(
    qname: &DomainName,
    rtype: RecordType,
    answers: &[Record],
    max_chain: usize,
) -> Walk {
    let mut current = qname.clone();
    let mut chain = Vec::new();
    let mut min_ttl: Option<u32> = None;
    loop {
        let owned = |r: &&Record| r.name == current.as_str();
        let data: Vec<&Record> = answers
            .iter()
            .filter(owned)
            .filter(|r| matches_type(&r.data, rtype))
            .collect();
        if !data.is_empty() {
            for r in &data {
                min_ttl = Some(min_ttl.map_or(r.ttl, |t| t.min(r.ttl)));
            }
            let data = data.into_iter().map(|r| r.data.clone()).collect();
            return Walk {
                chain,
                end: current,
                data,
                min_ttl,
            };
        }
        let next = answers.iter().filter(owned).find_map(|r| match &r.data {
            RecordData::Cname { target } => Some((target.clone(), r.ttl)),
            _ => None,
        });
        match next {
            Some((target, ttl)) if chain.len() < max_chain => {
                min_ttl = Some(min_ttl.map_or(ttl, |t| t.min(ttl)));
                chain.push(target.clone());
                current = target;
            }
            _ => {
                return Walk {
                    chain,
                    end: current,
                    data: Vec::new(),
                    min_ttl: None,
                };
            }
        }
    }
}

fn matches_type(d: &RecordData, rtype: RecordType) -> bool {
    matches!(
        (d, rtype),
        (RecordData::A { .. }, RecordType::A)
            | (RecordData::Aaaa { .. }, RecordType::Aaaa)
            | (RecordData::Srv { .. }, RecordType::Srv)
    )
}
