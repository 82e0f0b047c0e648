//! The lookup plan as a sans-IO state machine: no sockets, no clock, no threads.
//!
//! Run loop (str0m/quinn style): build a [`Discovery`] with the current instant, then drain
//! [`Discovery::poll_output`] until it returns [`Output::Timeout`] or [`Output::Done`]. Carry out
//! each [`Output::Query`], feed its result back with [`Discovery::handle_input`]; when the
//! deadline of an [`Output::Timeout`] passes, feed [`Input::Timeout`]. Per-query timeouts and the
//! total budget are both enforced here, so a silent DNS server cannot hang the caller.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::config::{DiscoveryConfig, ManualHost};
use crate::domain::DomainName;
use crate::evidence::{QueryEvidence, QueryOutcome};
use crate::record::{Rcode, Record, RecordType};
use crate::result::DiscoveryResult;
use crate::srv::SrvRng;
use crate::trust::TrustPolicy;

mod answer;
mod assemble;
mod tiers;

pub(crate) use answer::walk_answer;

use tiers::{Tier, TierKind};

/// Identifies one query of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueryId(pub u64);

/// What the plan wants done next.
#[derive(Debug)]
pub enum Output {
    /// Send this query (one attempt; retry over TCP only when the reply is truncated).
    Query {
        /// Echo it back in the [`Input`].
        id: QueryId,
        /// Name to ask.
        name: DomainName,
        /// Type to ask.
        rtype: RecordType,
    },
    /// Nothing to send now; call [`Discovery::handle_input`] with [`Input::Timeout`] at this
    /// instant unless an answer comes first.
    Timeout(Instant),
    /// The plan is finished.
    Done(Box<DiscoveryResult>),
}

/// What happened outside.
#[derive(Debug, Clone)]
pub enum Input {
    /// A response to a query.
    Answer {
        /// The query.
        id: QueryId,
        /// Response code.
        rcode: Rcode,
        /// Answer section, wire order.
        answers: Vec<Record>,
        /// Authority section (the SOA of a negative answer).
        authority: Vec<Record>,
        /// Time from sending to the response.
        elapsed: Duration,
    },
    /// The driver could not carry a query out.
    Failed {
        /// The query.
        id: QueryId,
        /// What went wrong.
        detail: String,
        /// Time spent.
        elapsed: Duration,
    },
    /// Time has passed (a deadline given by [`Output::Timeout`] may have been reached).
    Timeout,
}

/// Why a query was sent.
#[derive(Debug, Clone, Copy)]
enum Purpose {
    /// Address of host `host` (index into `hosts`), `hops` CNAMEs already followed.
    Address { host: usize, hops: usize },
    /// SRV lookup `srv` (index into `srvs`).
    Srv { srv: usize },
}

#[derive(Debug)]
struct PendingQuery {
    name: DomainName,
    rtype: RecordType,
    purpose: Purpose,
    sent_at: Instant,
    deadline: Instant,
    evidence: usize,
}

/// Address lookup state of one host name (deduplicated across tiers).
#[derive(Debug, Default)]
struct HostLookup {
    v4: Option<Vec<IpAddr>>,
    v6: Option<Vec<IpAddr>>,
    /// CNAMEs followed by the A lookup, and by the AAAA lookup.
    chain_v4: Vec<DomainName>,
    chain_v6: Vec<DomainName>,
}

impl HostLookup {
    fn is_done(&self) -> bool {
        self.v4.is_some() && self.v6.is_some()
    }
    /// The CNAME chain: the A lookup's, or the AAAA lookup's when A followed none.
    fn cname_chain(&self) -> &[DomainName] {
        if self.chain_v4.is_empty() {
            &self.chain_v6
        } else {
            &self.chain_v4
        }
    }
    fn addresses(&self) -> Vec<IpAddr> {
        let mut v = self.v4.clone().unwrap_or_default();
        v.extend(self.v6.iter().flatten().copied());
        v
    }
}

/// One SRV target as read from the wire.
#[derive(Debug, Clone)]
struct SrvAnswer {
    priority: u16,
    weight: u16,
    port: u16,
    /// Host index, `None` for the `.` target.
    host: Option<usize>,
}

#[derive(Debug)]
struct SrvLookup {
    done: bool,
    answers: Vec<SrvAnswer>,
}

/// The DNS lookup plan of the SfB desktop client (protocol.md §1.1).
pub struct Discovery {
    config: DiscoveryConfig,
    trust: TrustPolicy,
    rng: Box<dyn SrvRng + Send>,
    budget_deadline: Instant,
    next_id: u64,
    outbox: VecDeque<Output>,
    pending: HashMap<QueryId, PendingQuery>,
    evidence: Vec<QueryEvidence>,
    host_names: Vec<DomainName>,
    host_index: HashMap<DomainName, usize>,
    hosts: Vec<HostLookup>,
    srvs: Vec<SrvLookup>,
    tiers: Vec<Tier>,
    /// Index of the first tier not started yet.
    next_tier: usize,
    budget_exhausted: bool,
    finished: bool,
}

impl std::fmt::Debug for Discovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Discovery")
            .field("sip_domain", &self.config.sip_domain)
            .field("pending", &self.pending.len())
            .field("next_tier", &self.next_tier)
            .finish_non_exhaustive()
    }
}

impl Discovery {
    /// Starts a plan at `now`. `rng` orders SRV answers of equal priority (RFC 2782).
    pub fn new(config: DiscoveryConfig, rng: Box<dyn SrvRng + Send>, now: Instant) -> Self {
        let trust = TrustPolicy::new(&config.sip_domain, config.trusted_domains.clone());
        let tiers = tiers::plan(&config);
        let mut d = Self {
            budget_deadline: now + config.budget,
            config,
            trust,
            rng,
            next_id: 0,
            outbox: VecDeque::new(),
            pending: HashMap::new(),
            evidence: Vec::new(),
            host_names: Vec::new(),
            host_index: HashMap::new(),
            hosts: Vec::new(),
            srvs: Vec::new(),
            tiers,
            next_tier: 0,
            budget_exhausted: false,
            finished: false,
        };
        d.advance(now);
        d
    }

    /// The next thing to do; `None` once [`Output::Done`] has been returned.
    pub fn poll_output(&mut self) -> Option<Output> {
        if let Some(o) = self.outbox.pop_front() {
            return Some(o);
        }
        if self.finished {
            return None;
        }
        let next = self
            .pending
            .values()
            .map(|q| q.deadline)
            .min()
            .map_or(self.budget_deadline, |d| d.min(self.budget_deadline));
        Some(Output::Timeout(next))
    }

    /// The evidence of one query so far: final once its answer, failure or timeout has been
    /// handled (drivers use it to show the plan as it runs).
    pub fn query_evidence(&self, id: QueryId) -> Option<&QueryEvidence> {
        self.evidence.iter().find(|e| e.id == id.0)
    }

    /// Feeds an event observed at `now`. Answers to unknown or already timed-out queries are
    /// ignored.
    pub fn handle_input(&mut self, now: Instant, input: Input) {
        if self.finished {
            return;
        }
        match input {
            Input::Answer {
                id,
                rcode,
                answers,
                authority,
                elapsed,
            } => {
                if let Some(q) = self.pending.remove(&id) {
                    self.on_answer(now, q, rcode, answers, &authority, elapsed);
                }
            }
            Input::Failed {
                id,
                detail,
                elapsed,
            } => {
                if let Some(q) = self.pending.remove(&id) {
                    let detail: String = detail.chars().take(200).collect();
                    self.close(q, QueryOutcome::TransportError { detail }, elapsed);
                }
            }
            Input::Timeout => {}
        }
        self.expire(now);
        self.advance(now);
    }

    /// Marks every query past its deadline as timed out, and everything when the budget is out.
    fn expire(&mut self, now: Instant) {
        let budget_out = now >= self.budget_deadline;
        let mut ids: Vec<QueryId> = self
            .pending
            .iter()
            .filter(|(_, q)| budget_out || q.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        ids.sort();
        for id in ids {
            if let Some(q) = self.pending.remove(&id) {
                let outcome = if q.deadline <= now {
                    QueryOutcome::Timeout
                } else {
                    QueryOutcome::BudgetExhausted
                };
                let elapsed = now.saturating_duration_since(q.sent_at);
                self.close(q, outcome, elapsed);
            }
        }
        if budget_out {
            self.budget_exhausted = true;
        }
    }

    /// Registers a host name and asks A and AAAA for it, unless already known.
    fn lookup_host(&mut self, now: Instant, name: &DomainName, why: &str) -> usize {
        if let Some(&i) = self.host_index.get(name) {
            return i;
        }
        let i = self.hosts.len();
        self.hosts.push(HostLookup::default());
        self.host_names.push(name.clone());
        self.host_index.insert(name.clone(), i);
        for rtype in [RecordType::A, RecordType::Aaaa] {
            let purpose = Purpose::Address { host: i, hops: 0 };
            self.send(now, name.clone(), rtype, purpose, why);
        }
        i
    }

    fn lookup_srv(&mut self, now: Instant, name: DomainName, label: &str) -> usize {
        let i = self.srvs.len();
        self.srvs.push(SrvLookup {
            done: false,
            answers: Vec::new(),
        });
        self.send(now, name, RecordType::Srv, Purpose::Srv { srv: i }, label);
        i
    }

    fn send(
        &mut self,
        now: Instant,
        name: DomainName,
        rtype: RecordType,
        purpose: Purpose,
        why: &str,
    ) {
        let id = QueryId(self.next_id);
        self.next_id += 1;
        let evidence = self.evidence.len();
        let over_limit = self.evidence.len() >= self.config.limits.max_queries;
        self.evidence.push(QueryEvidence {
            id: id.0,
            name: name.clone(),
            rtype,
            purpose: why.to_owned(),
            outcome: QueryOutcome::BudgetExhausted,
            rcode: None,
            answers: Vec::new(),
            cname_chain: Vec::new(),
            ttl: None,
            duration_ms: 0,
            server: self.config.dns_server.clone(),
            dropped_records: 0,
        });
        let q = PendingQuery {
            name: name.clone(),
            rtype,
            purpose,
            sent_at: now,
            deadline: now + self.config.query_timeout,
            evidence,
        };
        if over_limit {
            let detail = "query limit reached, not sent".to_owned();
            self.close(q, QueryOutcome::TransportError { detail }, Duration::ZERO);
            return;
        }
        self.pending.insert(id, q);
        self.outbox.push_back(Output::Query { id, name, rtype });
    }

    /// Records the outcome of a query that produced no usable data and completes its purpose.
    fn close(&mut self, q: PendingQuery, outcome: QueryOutcome, elapsed: Duration) {
        if let Some(e) = self.evidence.get_mut(q.evidence) {
            e.outcome = outcome;
            e.duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        }
        self.complete(q.purpose, q.rtype, Vec::new());
    }

    fn complete(&mut self, purpose: Purpose, rtype: RecordType, addrs: Vec<IpAddr>) {
        match purpose {
            Purpose::Address { host, .. } => {
                if let Some(h) = self.hosts.get_mut(host) {
                    match rtype {
                        RecordType::Aaaa => h.v6 = Some(addrs),
                        _ => h.v4 = Some(addrs),
                    }
                }
            }
            Purpose::Srv { srv } => {
                if let Some(s) = self.srvs.get_mut(srv) {
                    s.done = true;
                }
            }
        }
    }

    /// Starts tiers as the previous ones finish; finishes when all are done.
    fn advance(&mut self, now: Instant) {
        loop {
            let running_done = self.tiers[..self.next_tier]
                .iter()
                .all(|t| t.is_done(&self.hosts, &self.srvs));
            if !running_done && !self.budget_exhausted {
                return;
            }
            if self.budget_exhausted || self.next_tier >= self.tiers.len() || self.stop_early() {
                self.finish();
                return;
            }
            self.start_tier(now);
        }
    }

    fn start_tier(&mut self, now: Instant) {
        let idx = self.next_tier;
        self.next_tier += 1;
        let Some(tier) = self.tiers.get(idx).cloned() else {
            return;
        };
        let srvs: Vec<usize> = tier
            .srvs
            .iter()
            .map(|s| self.lookup_srv(now, s.name.clone(), s.label))
            .collect();
        let why = match tier.kind {
            TierKind::Autodiscover => "autodiscover host",
            TierKind::Manual => "manual server",
            _ => "fallback host",
        };
        let hosts: Vec<usize> = tier
            .hosts
            .iter()
            .map(|h| self.lookup_host(now, &h.name, why))
            .collect();
        if let Some(t) = self.tiers.get_mut(idx) {
            for (e, i) in t.srvs.iter_mut().zip(srvs) {
                e.lookup = Some(i);
            }
            for (e, i) in t.hosts.iter_mut().zip(hosts) {
                e.lookup = Some(i);
            }
        }
    }

    fn stop_early(&self) -> bool {
        self.config.stop_at_first_sip_tier
            && self.tiers[..self.next_tier]
                .iter()
                .any(|t| t.is_sip() && t.has_endpoint(&self.hosts, &self.srvs))
    }

    fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        let result = assemble::result(self);
        self.outbox.push_back(Output::Done(Box::new(result)));
    }

    fn manual_ip(&self) -> Option<IpAddr> {
        match self.config.manual_server.as_ref().map(|m| &m.host) {
            Some(ManualHost::Ip(ip)) => Some(*ip),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
