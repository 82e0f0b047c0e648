//! Locating Kerberos KDCs through our own resolver, for `--realm` without `--kdc`.
//!
//! The names, in order of preference:
//! 1. `_kerberos._tcp.<REALM>`: RFC 4120 §7.2.3.2 (the realm as a DNS name; DNS compares names
//!    case-insensitively, so it is asked and recorded in lower case);
//! 2. `_kerberos._tcp.dc._msdcs.<domain>`: the Active Directory DC locator's name for the KDCs
//!    of a domain ([MS-ADTS] 6.3.2.3; [MS-KILE] 3.1.5.1 finds KDCs through the DC locator).
//!
//! Both are asked in parallel (one attempt each, the per-query timeout and the total budget of
//! the SIP plan); the KDCs of the first name come first, then those of the second not already
//! listed. Each SRV answer is ordered per RFC 2782 with the injected [`SrvRng`]; every target
//! is resolved with A and AAAA (CNAMEs followed, within [`Limits`]) and every address kept.
//! Every query is recorded as [`QueryEvidence`].
//!
//! An explicit `--kdc HOST[:PORT]` skips the SRV names: an address literal is used as given
//! (no query at all), a host name is resolved with A/AAAA only.
//!
//! The same two names are what `sfb_auth::kerberos::locate::kdc_srv_names` lists; sfb-auth
//! cannot depend on this crate (layering), so they are derived here too, and a test of this
//! crate checks that both agree.
//!
//! [`KdcPlan`] is the sans-IO core (no sockets, no clock); [`locate_kdcs`] runs it with the
//! crate's hickory-proto [`crate::driver`].

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::config::{
    DEFAULT_BUDGET, DEFAULT_QUERY_TIMEOUT, Limits, ManualHost, ManualServer, ServerSpecError,
};
use crate::domain::{DomainError, DomainName};
use crate::evidence::{QueryEvidence, QueryOutcome};
use crate::plan::{Input, QueryId, walk_answer};
use crate::record::{Rcode, Record, RecordData, RecordType};
use crate::srv::{SplitMix64, SrvRng, SrvTarget, order_srv};

/// The Kerberos port (RFC 4120 §7.2.3), used for an explicit `--kdc` without a port.
pub const KDC_PORT: u16 = 88;

/// Why a KDC location could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KdcError {
    /// The realm is not a plausible DNS name.
    #[error("realm {realm:?} is not a dns domain name: {source}")]
    Realm {
        /// The realm as given (truncated).
        realm: String,
        /// Why.
        source: DomainError,
    },
    /// The domain is not a valid host name.
    #[error("domain {domain:?} is invalid: {source}")]
    Domain {
        /// The domain as given (truncated).
        domain: String,
        /// Why.
        source: DomainError,
    },
    /// `--kdc` is not `HOST[:PORT]`.
    #[error("kdc {spec:?} is not HOST[:PORT]: {source}")]
    Kdc {
        /// The spec as given (truncated).
        spec: String,
        /// Why.
        source: ServerSpecError,
    },
}

fn cut(s: &str) -> String {
    s.chars().take(64).collect()
}

/// Which name a KDC was found through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KdcSource {
    /// `_kerberos._tcp.<REALM>` SRV.
    RealmSrv,
    /// `_kerberos._tcp.dc._msdcs.<domain>` SRV.
    MsdcsSrv,
    /// `--kdc`.
    Explicit,
}

impl KdcSource {
    fn label(self) -> &'static str {
        match self {
            Self::RealmSrv => "_kerberos._tcp SRV (realm)",
            Self::MsdcsSrv => "_kerberos._tcp.dc._msdcs SRV (domain)",
            Self::Explicit => "explicit kdc",
        }
    }
}

/// The SRV names asked for the KDCs of `realm`, in order of preference (see the module doc).
pub fn kdc_srv_names(realm: &DomainName, domain: &DomainName) -> [DomainName; 2] {
    [
        realm.with_prefix("_kerberos._tcp"),
        domain.with_prefix("_kerberos._tcp.dc._msdcs"),
    ]
}

/// Everything the plan needs before it starts.
#[derive(Debug, Clone)]
pub struct KdcConfig {
    /// The realm in upper case (as Kerberos spells it).
    pub realm: String,
    /// The realm as a DNS name (lower case).
    pub realm_name: DomainName,
    /// The Active Directory domain (`_msdcs` name).
    pub domain: DomainName,
    /// `--kdc`: skip the SRV names.
    pub explicit: Option<ManualServer>,
    /// Per-query timeout (one attempt).
    pub query_timeout: Duration,
    /// Total budget.
    pub budget: Duration,
    /// Resource limits.
    pub limits: Limits,
    /// The DNS server asked, recorded in the evidence.
    pub dns_server: Option<String>,
}

impl KdcConfig {
    /// A plan for `realm` (a trailing dot is dropped); `domain` defaults to the realm in lower
    /// case. Defaults: 2 s per query, 10 s in total.
    pub fn new(realm: &str, domain: Option<&str>) -> Result<Self, KdcError> {
        let realm_name = DomainName::parse(realm).map_err(|source| KdcError::Realm {
            realm: cut(realm),
            source,
        })?;
        let domain = match domain {
            Some(d) => DomainName::parse(d).map_err(|source| KdcError::Domain {
                domain: cut(d),
                source,
            })?,
            None => realm_name.clone(),
        };
        Ok(Self {
            realm: realm_name.as_str().to_ascii_uppercase(),
            realm_name,
            domain,
            explicit: None,
            query_timeout: DEFAULT_QUERY_TIMEOUT,
            budget: DEFAULT_BUDGET,
            limits: Limits::default(),
            dns_server: None,
        })
    }

    /// Sets `--kdc HOST[:PORT]` (port 88 by default).
    pub fn with_explicit_kdc(mut self, spec: &str) -> Result<Self, KdcError> {
        let m = ManualServer::parse_with_default_port(spec, KDC_PORT).map_err(|source| {
            KdcError::Kdc {
                spec: cut(spec),
                source,
            }
        })?;
        self.explicit = Some(m);
        Ok(self)
    }
}

/// Where the KDCs of a realm are, and how that was found out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdcLocation {
    /// The realm, upper case.
    pub realm: String,
    /// KDCs to try in order: host name (or the address literal of an explicit `--kdc`) and
    /// one address with the port; a host with several addresses appears once per address.
    pub kdcs: Vec<(String, SocketAddr)>,
    /// Which name each entry of `kdcs` came from (same length and order).
    pub sources: Vec<KdcSource>,
    /// Every query, in the order of issue.
    pub evidence: Vec<QueryEvidence>,
    /// Did the total budget run out before the plan finished?
    pub budget_exhausted: bool,
    /// Observations for the report (a `.` target, a target without addresses, ...).
    pub notes: Vec<String>,
}

/// What the plan wants done next.
#[derive(Debug)]
pub enum KdcOutput {
    /// Send this query (one attempt).
    Query {
        /// Echo it back in the [`Input`].
        id: QueryId,
        /// Name to ask.
        name: DomainName,
        /// Type to ask.
        rtype: RecordType,
    },
    /// Call [`KdcPlan::handle_input`] with [`Input::Timeout`] at this instant unless an answer
    /// comes first.
    Timeout(Instant),
    /// Finished.
    Done(Box<KdcLocation>),
}

#[derive(Debug, Clone, Copy)]
enum Purpose {
    Srv { srv: usize },
    Address { host: usize, hops: usize },
}

#[derive(Debug)]
struct Pending {
    name: DomainName,
    rtype: RecordType,
    purpose: Purpose,
    sent_at: Instant,
    deadline: Instant,
    evidence: usize,
}

#[derive(Debug)]
struct SrvState {
    name: DomainName,
    source: KdcSource,
    done: bool,
    /// (priority, weight, port, host index; `None` for the `.` target).
    answers: Vec<(u16, u16, u16, Option<usize>)>,
}

#[derive(Debug)]
struct HostState {
    name: DomainName,
    v4: Option<Vec<IpAddr>>,
    v6: Option<Vec<IpAddr>>,
}

/// The sans-IO KDC location plan.
pub struct KdcPlan {
    config: KdcConfig,
    rng: Box<dyn SrvRng + Send>,
    budget_deadline: Instant,
    next_id: u64,
    outbox: VecDeque<KdcOutput>,
    pending: HashMap<QueryId, Pending>,
    evidence: Vec<QueryEvidence>,
    srvs: Vec<SrvState>,
    hosts: Vec<HostState>,
    host_index: HashMap<DomainName, usize>,
    /// The explicit host's index, when `--kdc` names a host.
    explicit_host: Option<usize>,
    budget_exhausted: bool,
    finished: bool,
}

impl std::fmt::Debug for KdcPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KdcPlan")
            .field("realm", &self.config.realm)
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl KdcPlan {
    /// Starts the plan at `now`; `rng` orders SRV answers of equal priority (RFC 2782).
    pub fn new(config: KdcConfig, rng: Box<dyn SrvRng + Send>, now: Instant) -> Self {
        let mut p = Self {
            budget_deadline: now + config.budget,
            config,
            rng,
            next_id: 0,
            outbox: VecDeque::new(),
            pending: HashMap::new(),
            evidence: Vec::new(),
            srvs: Vec::new(),
            hosts: Vec::new(),
            host_index: HashMap::new(),
            explicit_host: None,
            budget_exhausted: false,
            finished: false,
        };
        match p.config.explicit.as_ref().map(|m| m.host.clone()) {
            Some(ManualHost::Ip(_)) => {}
            Some(ManualHost::Name(n)) => {
                p.explicit_host = Some(p.lookup_host(now, &n, "explicit kdc"));
            }
            None => {
                let names = kdc_srv_names(&p.config.realm_name, &p.config.domain);
                for (name, source) in names
                    .into_iter()
                    .zip([KdcSource::RealmSrv, KdcSource::MsdcsSrv])
                {
                    let srv = p.srvs.len();
                    p.srvs.push(SrvState {
                        name: name.clone(),
                        source,
                        done: false,
                        answers: Vec::new(),
                    });
                    p.send(
                        now,
                        name,
                        RecordType::Srv,
                        Purpose::Srv { srv },
                        source.label(),
                    );
                }
            }
        }
        p.check_done();
        p
    }

    /// The next thing to do; `None` once [`KdcOutput::Done`] has been returned.
    pub fn poll_output(&mut self) -> Option<KdcOutput> {
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
        Some(KdcOutput::Timeout(next))
    }

    /// The evidence of one query so far.
    pub fn query_evidence(&self, id: QueryId) -> Option<&QueryEvidence> {
        self.evidence.iter().find(|e| e.id == id.0)
    }

    /// Feeds an event observed at `now`. Answers to unknown or timed-out queries are ignored.
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
        self.check_done();
    }

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

    fn lookup_host(&mut self, now: Instant, name: &DomainName, why: &str) -> usize {
        if let Some(&i) = self.host_index.get(name) {
            return i;
        }
        let i = self.hosts.len();
        self.hosts.push(HostState {
            name: name.clone(),
            v4: None,
            v6: None,
        });
        self.host_index.insert(name.clone(), i);
        for rtype in [RecordType::A, RecordType::Aaaa] {
            self.send(
                now,
                name.clone(),
                rtype,
                Purpose::Address { host: i, hops: 0 },
                why,
            );
        }
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
        let q = Pending {
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
        self.outbox.push_back(KdcOutput::Query { id, name, rtype });
    }

    fn close(&mut self, q: Pending, outcome: QueryOutcome, elapsed: Duration) {
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

    fn on_answer(
        &mut self,
        now: Instant,
        q: Pending,
        rcode: Rcode,
        mut answers: Vec<Record>,
        authority: &[Record],
        elapsed: Duration,
    ) {
        let limits = self.config.limits;
        let dropped = answers.len().saturating_sub(limits.max_records_per_answer);
        answers.truncate(limits.max_records_per_answer);
        let walk = walk_answer(&q.name, q.rtype, &answers, limits.max_cname_chain);
        let outcome = match rcode {
            Rcode::NoError if !walk.data.is_empty() => QueryOutcome::Answer,
            Rcode::NoError => QueryOutcome::NoData,
            Rcode::NxDomain => QueryOutcome::NxDomain,
            Rcode::ServFail => QueryOutcome::ServFail,
            Rcode::Refused => QueryOutcome::Refused,
            other => QueryOutcome::OtherRcode { rcode: other },
        };
        let negative_ttl = authority.iter().find_map(|r| match r.data {
            RecordData::Soa { minimum } => Some(minimum.min(r.ttl)),
            _ => None,
        });
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
                let hops = hops + walk.chain.len();
                // A CNAME whose target the server did not resolve: ask for the target.
                if outcome == QueryOutcome::NoData
                    && !walk.chain.is_empty()
                    && hops < limits.max_cname_chain
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
                let mut out = Vec::new();
                for d in walk.data.iter().take(limits.max_srv_targets) {
                    if let RecordData::Srv {
                        priority,
                        weight,
                        port,
                        target,
                    } = d
                    {
                        let host = target
                            .as_ref()
                            .map(|t| self.lookup_host(now, t, "kdc srv target"));
                        out.push((*priority, *weight, *port, host));
                    }
                }
                if let Some(s) = self.srvs.get_mut(srv) {
                    s.answers = out;
                    s.done = true;
                }
            }
        }
    }

    fn check_done(&mut self) {
        if self.finished {
            return;
        }
        let all_done = self.srvs.iter().all(|s| s.done)
            && self.hosts.iter().all(|h| h.v4.is_some() && h.v6.is_some());
        if all_done || self.budget_exhausted {
            self.finished = true;
            let result = self.result();
            self.outbox.push_back(KdcOutput::Done(Box::new(result)));
        }
    }

    fn addresses(&self, host: usize) -> Vec<IpAddr> {
        self.hosts
            .get(host)
            .map(|h| {
                let mut v = h.v4.clone().unwrap_or_default();
                v.extend(h.v6.iter().flatten().copied());
                v
            })
            .unwrap_or_default()
    }

    fn result(&mut self) -> KdcLocation {
        let mut kdcs: Vec<(String, SocketAddr)> = Vec::new();
        let mut sources = Vec::new();
        let mut notes = Vec::new();
        let mut push = |host: &str, addr: SocketAddr, source: KdcSource| {
            if !kdcs.iter().any(|(_, a)| *a == addr) {
                kdcs.push((host.to_owned(), addr));
                sources.push(source);
            }
        };
        match self.config.explicit.clone() {
            Some(ManualServer {
                host: ManualHost::Ip(ip),
                port,
            }) => push(
                &ip.to_string(),
                SocketAddr::new(ip, port),
                KdcSource::Explicit,
            ),
            Some(ManualServer {
                host: ManualHost::Name(name),
                port,
            }) => {
                let addrs = self
                    .explicit_host
                    .map(|h| self.addresses(h))
                    .unwrap_or_default();
                if addrs.is_empty() {
                    notes.push(format!("explicit kdc {name} has no address"));
                }
                for ip in addrs {
                    push(
                        name.as_str(),
                        SocketAddr::new(ip, port),
                        KdcSource::Explicit,
                    );
                }
            }
            None => {
                for s in 0..self.srvs.len() {
                    let (name, source, answers) = match self.srvs.get(s) {
                        Some(st) => (st.name.clone(), st.source, st.answers.clone()),
                        None => continue,
                    };
                    if answers.iter().any(|a| a.3.is_none()) {
                        notes.push(format!(
                            "{name} SRV has a \".\" target: the service is decidedly not available there (RFC 2782)"
                        ));
                    }
                    let targets: Vec<SrvTarget<(u16, usize)>> = answers
                        .iter()
                        .filter_map(|&(priority, weight, port, host)| {
                            host.map(|h| SrvTarget {
                                priority,
                                weight,
                                item: (port, h),
                            })
                        })
                        .collect();
                    for t in order_srv(targets, self.rng.as_mut()) {
                        let (port, h) = t.item;
                        let host_name = self
                            .hosts
                            .get(h)
                            .map(|x| x.name.as_str().to_owned())
                            .unwrap_or_default();
                        let addrs = self.addresses(h);
                        if addrs.is_empty() {
                            notes.push(format!(
                                "{name} SRV -> {host_name}:{port}: the target has no address"
                            ));
                        }
                        for ip in addrs {
                            push(&host_name, SocketAddr::new(ip, port), source);
                        }
                    }
                }
            }
        }
        KdcLocation {
            realm: self.config.realm.clone(),
            kdcs,
            sources,
            evidence: self.evidence.clone(),
            budget_exhausted: self.budget_exhausted,
            notes,
        }
    }
}

impl crate::driver::DnsPlan for KdcPlan {
    type Done = Box<KdcLocation>;
    fn next_step(&mut self) -> Option<crate::driver::Step<Self::Done>> {
        use crate::driver::Step;
        Some(match self.poll_output()? {
            KdcOutput::Query { id, name, rtype } => Step::Query { id, name, rtype },
            KdcOutput::Timeout(at) => Step::Wait(at),
            KdcOutput::Done(r) => Step::Done(r),
        })
    }
    fn feed(&mut self, now: Instant, input: Input) {
        self.handle_input(now, input);
    }
    fn evidence_of(&self, id: QueryId) -> Option<&QueryEvidence> {
        self.query_evidence(id)
    }
}

/// Options of [`locate_kdcs`].
pub struct KdcOptions {
    /// The DNS server to ask (`--dns`, or the first of `/etc/resolv.conf`).
    pub dns_server: SocketAddr,
    /// `--kdc HOST[:PORT]`: skip the SRV names.
    pub explicit_kdc: Option<String>,
    /// Per-query timeout (one attempt).
    pub query_timeout: Duration,
    /// Total budget.
    pub budget: Duration,
    /// Resource limits.
    pub limits: Limits,
    /// Orders SRV answers of equal priority.
    pub rng: Box<dyn SrvRng + Send>,
}

impl std::fmt::Debug for KdcOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KdcOptions")
            .field("dns_server", &self.dns_server)
            .field("explicit_kdc", &self.explicit_kdc)
            .field("query_timeout", &self.query_timeout)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl KdcOptions {
    /// Defaults: 2 s per query, 10 s in total, no explicit KDC, an entropy-seeded SRV order.
    pub fn new(dns_server: SocketAddr) -> Self {
        Self {
            dns_server,
            explicit_kdc: None,
            query_timeout: DEFAULT_QUERY_TIMEOUT,
            budget: DEFAULT_BUDGET,
            limits: Limits::default(),
            rng: Box::new(SplitMix64::from_entropy()),
        }
    }
}

/// Finds the KDCs of `realm` (`domain` defaults to the realm in lower case) through
/// `options.dns_server`, or uses `options.explicit_kdc`. Never waits longer than the budget
/// (plus scheduling slack). No KDC found is not an error: `kdcs` is empty and the evidence
/// says why.
pub async fn locate_kdcs(
    realm: &str,
    domain: Option<&str>,
    options: KdcOptions,
) -> Result<KdcLocation, KdcError> {
    locate_kdcs_with_progress(realm, domain, options, &mut |_| {}).await
}

/// [`locate_kdcs`], calling `progress` with each query's evidence as it is answered.
pub async fn locate_kdcs_with_progress(
    realm: &str,
    domain: Option<&str>,
    options: KdcOptions,
    progress: &mut (dyn FnMut(&QueryEvidence) + Send),
) -> Result<KdcLocation, KdcError> {
    let mut config = KdcConfig::new(realm, domain)?;
    if let Some(spec) = options.explicit_kdc.as_deref() {
        config = config.with_explicit_kdc(spec)?;
    }
    config.query_timeout = options.query_timeout;
    config.budget = options.budget;
    config.limits = options.limits;
    config.dns_server = Some(options.dns_server.to_string());
    let reap_after = config.query_timeout + Duration::from_secs(1);
    let mut plan = KdcPlan::new(config, options.rng, Instant::now());
    let done = crate::driver::run_plan(&mut plan, options.dns_server, reap_after, progress).await;
    Ok(*done)
}

#[cfg(test)]
mod tests;
