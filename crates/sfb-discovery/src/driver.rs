//! The tokio driver: carries the plan's queries out over UDP (TCP when truncated) with
//! hickory-proto's message codec, against one configured server, with no cache.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RData};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::task::JoinSet;

use crate::config::DiscoveryConfig;
use crate::domain::DomainName;
use crate::evidence::QueryEvidence;
use crate::plan::{Discovery, Input, Output, QueryId};
use crate::record::{Rcode, Record, RecordData, RecordType};
use crate::result::DiscoveryResult;
use crate::srv::SrvRng;

/// Largest DNS message read over UDP or TCP.
const MAX_MESSAGE: usize = 65_535;
/// Longest `/etc/resolv.conf` read.
const MAX_RESOLV_CONF: u64 = 64 * 1024;

/// Why the driver could not start or decode.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// `--dns` is not `ADDR[:PORT]`.
    #[error("dns server {0:?} is not ADDR[:PORT]")]
    BadServer(String),
    /// `/etc/resolv.conf` could not be read.
    #[error("cannot read {path}: {source}")]
    ResolvConf {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No `nameserver` line.
    #[error("no nameserver line in {0}")]
    NoNameserver(String),
    /// The reply is not a DNS message.
    #[error("malformed dns reply: {0}")]
    Malformed(String),
    /// A socket operation failed.
    #[error("{op}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// The reply does not answer the question asked.
    #[error("dns reply does not match the query")]
    Mismatch,
}

/// Parses `--dns ADDR[:PORT]` (`1.2.3.4`, `1.2.3.4:5353`, `::1`, `[::1]:5353`); port 53 by
/// default.
pub fn parse_dns_server(s: &str) -> Result<SocketAddr, DriverError> {
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Ok(sa);
    }
    let bare = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    bare.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| DriverError::BadServer(s.chars().take(64).collect()))
}

/// The first `nameserver` of a resolv.conf text, port 53.
pub fn first_nameserver(text: &str) -> Option<SocketAddr> {
    text.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        (w.next() == Some("nameserver"))
            .then(|| w.next())
            .flatten()
            // Scope ids (`fe80::1%eth0`) are not supported; such a line is skipped.
            .and_then(|a| a.parse::<IpAddr>().ok())
            .map(|ip| SocketAddr::new(ip, 53))
    })
}

/// The first nameserver of `/etc/resolv.conf`.
pub fn system_dns_server() -> Result<SocketAddr, DriverError> {
    let path = "/etc/resolv.conf";
    let text = std::fs::File::open(path)
        .and_then(|f| {
            use std::io::Read;
            let mut s = String::new();
            f.take(MAX_RESOLV_CONF).read_to_string(&mut s).map(|_| s)
        })
        .map_err(|source| DriverError::ResolvConf {
            path: path.into(),
            source,
        })?;
    first_nameserver(&text).ok_or_else(|| DriverError::NoNameserver(path.into()))
}

/// Runs a whole discovery against `server`. Never waits longer than the configured budget
/// (plus scheduling slack): the plan owns every deadline.
pub async fn discover(
    config: DiscoveryConfig,
    server: SocketAddr,
    rng: Box<dyn SrvRng + Send>,
) -> DiscoveryResult {
    discover_with_progress(config, server, rng, &mut |_| {}).await
}

/// [`discover`], calling `progress` with each query's evidence as soon as its answer (or
/// failure) has been handled, so that a user sees the plan as it runs. Queries ended by a
/// timeout or the budget are reported only in the result.
pub async fn discover_with_progress(
    mut config: DiscoveryConfig,
    server: SocketAddr,
    rng: Box<dyn SrvRng + Send>,
    progress: &mut (dyn FnMut(&QueryEvidence) + Send),
) -> DiscoveryResult {
    config.dns_server = Some(server.to_string());
    // The task's own bound only reaps sockets; the plan decides timeouts.
    let reap_after = config.query_timeout + Duration::from_secs(1);
    let mut plan = Discovery::new(config, rng, Instant::now());
    *run_plan(&mut plan, server, reap_after, progress).await
}

/// One step of a sans-IO DNS plan, as the driver sees it.
pub(crate) enum Step<D> {
    /// Send this query.
    Query {
        id: QueryId,
        name: DomainName,
        rtype: RecordType,
    },
    /// Wait for an answer or this instant.
    Wait(Instant),
    /// Finished.
    Done(D),
}

/// A sans-IO plan of DNS queries the driver can carry out: the SIP lookup plan
/// ([`Discovery`]) and the KDC plan ([`crate::kdc::KdcPlan`]).
pub(crate) trait DnsPlan {
    /// What the plan yields.
    type Done;
    /// The next step; `None` only after [`Step::Done`].
    fn next_step(&mut self) -> Option<Step<Self::Done>>;
    /// Feeds an event observed at `now`.
    fn feed(&mut self, now: Instant, input: Input);
    /// The evidence of one query so far.
    fn evidence_of(&self, id: QueryId) -> Option<&QueryEvidence>;
}

impl DnsPlan for Discovery {
    type Done = Box<DiscoveryResult>;
    fn next_step(&mut self) -> Option<Step<Self::Done>> {
        Some(match self.poll_output()? {
            Output::Query { id, name, rtype } => Step::Query { id, name, rtype },
            Output::Timeout(at) => Step::Wait(at),
            Output::Done(r) => Step::Done(r),
        })
    }
    fn feed(&mut self, now: Instant, input: Input) {
        self.handle_input(now, input);
    }
    fn evidence_of(&self, id: QueryId) -> Option<&QueryEvidence> {
        self.query_evidence(id)
    }
}

/// Runs a plan to its end against `server`, one task per query; `reap_after` only bounds the
/// sockets (the plan owns every deadline).
pub(crate) async fn run_plan<P: DnsPlan>(
    plan: &mut P,
    server: SocketAddr,
    reap_after: Duration,
    progress: &mut (dyn FnMut(&QueryEvidence) + Send),
) -> P::Done {
    let mut tasks: JoinSet<Input> = JoinSet::new();
    loop {
        match plan.next_step() {
            Some(Step::Query { id, name, rtype }) => {
                tracing::debug!(id = id.0, %name, %rtype, %server, "dns query");
                tasks.spawn(exchange(server, id, name, rtype, reap_after));
            }
            Some(Step::Wait(at)) => {
                tokio::select! {
                    Some(joined) = tasks.join_next() => {
                        if let Ok(input) = joined {
                            let id = match &input {
                                Input::Answer { id, .. } | Input::Failed { id, .. } => Some(*id),
                                Input::Timeout => None,
                            };
                            plan.feed(Instant::now(), input);
                            if let Some(e) = id.and_then(|id| plan.evidence_of(id)) {
                                progress(e);
                            }
                        }
                    }
                    () = tokio::time::sleep_until(at.into()) => {
                        plan.feed(Instant::now(), Input::Timeout);
                    }
                }
            }
            Some(Step::Done(result)) => {
                tasks.abort_all();
                return result;
            }
            // A plan returns Done before None, and this loop returns on Done.
            None => unreachable!("dns plan polled after Done"),
        }
    }
}

/// One query: UDP, one attempt; over TCP again when the reply is truncated (RFC 7766 §5).
pub async fn exchange(
    server: SocketAddr,
    id: QueryId,
    name: DomainName,
    rtype: RecordType,
    bound: Duration,
) -> Input {
    let started = Instant::now();
    let attempt = async {
        let (wire, msg_id) = encode_query(&name, rtype)?;
        let reply = udp_exchange(server, &wire, msg_id).await?;
        let msg = Message::from_vec(&reply).map_err(|e| DriverError::Malformed(e.to_string()))?;
        if msg.metadata.truncation {
            let reply = tcp_exchange(server, &wire, msg_id).await?;
            return Ok::<_, DriverError>(reply);
        }
        Ok(reply)
    };
    let out = tokio::time::timeout(bound, attempt).await;
    let elapsed = started.elapsed();
    match out {
        Ok(Ok(reply)) => match decode_checked(id, &reply, &name, rtype, elapsed) {
            Ok(input) => input,
            Err(e) => failed(id, e.to_string(), elapsed),
        },
        Ok(Err(e)) => failed(id, e.to_string(), elapsed),
        Err(_) => failed(id, "no reply".into(), elapsed),
    }
}

fn failed(id: QueryId, detail: String, elapsed: Duration) -> Input {
    Input::Failed {
        id,
        detail,
        elapsed,
    }
}

fn io_err(op: &'static str) -> impl FnOnce(std::io::Error) -> DriverError {
    move |source| DriverError::Io { op, source }
}

fn encode_query(name: &DomainName, rtype: RecordType) -> Result<(Vec<u8>, u16), DriverError> {
    let qname =
        Name::from_ascii(format!("{name}.")).map_err(|e| DriverError::Malformed(e.to_string()))?;
    let mut msg = Message::query();
    msg.metadata.recursion_desired = true;
    msg.add_query(Query::query(qname, to_hickory(rtype)));
    let wire = msg
        .to_vec()
        .map_err(|e| DriverError::Malformed(e.to_string()))?;
    Ok((wire, msg.metadata.id))
}

async fn udp_exchange(
    server: SocketAddr,
    wire: &[u8],
    msg_id: u16,
) -> Result<Vec<u8>, DriverError> {
    let local: SocketAddr = if server.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let sock = UdpSocket::bind(local).await.map_err(io_err("udp bind"))?;
    sock.connect(server).await.map_err(io_err("udp connect"))?;
    sock.send(wire).await.map_err(io_err("udp send"))?;
    let mut buf = vec![0u8; MAX_MESSAGE];
    loop {
        let n = sock.recv(&mut buf).await.map_err(io_err("udp receive"))?;
        let reply = buf.get(..n).unwrap_or_default();
        // Skip stray datagrams that are not the reply to this query's id.
        if reply.get(..2) == Some(&msg_id.to_be_bytes()[..]) {
            return Ok(reply.to_vec());
        }
    }
}

async fn tcp_exchange(
    server: SocketAddr,
    wire: &[u8],
    msg_id: u16,
) -> Result<Vec<u8>, DriverError> {
    let mut s = TcpStream::connect(server)
        .await
        .map_err(io_err("tcp connect (truncated udp reply)"))?;
    let len =
        u16::try_from(wire.len()).map_err(|_| DriverError::Malformed("query too long".into()))?;
    let mut framed = len.to_be_bytes().to_vec();
    framed.extend_from_slice(wire);
    s.write_all(&framed).await.map_err(io_err("tcp send"))?;
    let mut len = [0u8; 2];
    s.read_exact(&mut len)
        .await
        .map_err(io_err("tcp receive"))?;
    let mut reply = vec![0u8; usize::from(u16::from_be_bytes(len))];
    s.read_exact(&mut reply)
        .await
        .map_err(io_err("tcp receive"))?;
    if reply.get(..2) != Some(&msg_id.to_be_bytes()[..]) {
        return Err(DriverError::Mismatch);
    }
    Ok(reply)
}

fn decode_checked(
    id: QueryId,
    reply: &[u8],
    name: &DomainName,
    rtype: RecordType,
    elapsed: Duration,
) -> Result<Input, DriverError> {
    let msg = Message::from_vec(reply).map_err(|e| DriverError::Malformed(e.to_string()))?;
    let q = msg.queries.first().ok_or(DriverError::Mismatch)?;
    let asked = normalise(&q.name().to_ascii());
    if msg.metadata.message_type != MessageType::Response
        || asked != name.as_str()
        || q.query_type() != to_hickory(rtype)
    {
        return Err(DriverError::Mismatch);
    }
    Ok(to_input(id, &msg, elapsed))
}

/// Decodes a DNS response into an [`Input::Answer`] (no question check; used by fuzzing).
pub fn decode_response(id: QueryId, reply: &[u8], elapsed: Duration) -> Result<Input, DriverError> {
    let msg = Message::from_vec(reply).map_err(|e| DriverError::Malformed(e.to_string()))?;
    if msg.metadata.op_code != OpCode::Query {
        return Err(DriverError::Mismatch);
    }
    Ok(to_input(id, &msg, elapsed))
}

fn to_input(id: QueryId, msg: &Message, elapsed: Duration) -> Input {
    Input::Answer {
        id,
        rcode: Rcode::from_u16(u16::from(msg.metadata.response_code)),
        answers: msg.answers.iter().map(convert).collect(),
        authority: msg.authorities.iter().map(convert).collect(),
        elapsed,
    }
}

fn normalise(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

fn to_hickory(rtype: RecordType) -> hickory_proto::rr::RecordType {
    match rtype {
        RecordType::A => hickory_proto::rr::RecordType::A,
        RecordType::Aaaa => hickory_proto::rr::RecordType::AAAA,
        RecordType::Srv => hickory_proto::rr::RecordType::SRV,
    }
}

fn other(r: &hickory_proto::rr::Record) -> RecordData {
    RecordData::Other {
        rtype: u16::from(r.record_type()),
        text: r.data.to_string().chars().take(128).collect(),
    }
}

fn convert(r: &hickory_proto::rr::Record) -> Record {
    let data = match &r.data {
        RData::A(a) => RecordData::A { address: a.0 },
        RData::AAAA(a) => RecordData::Aaaa { address: a.0 },
        RData::CNAME(c) => match DomainName::parse(&c.0.to_ascii()) {
            Ok(target) => RecordData::Cname { target },
            Err(_) => other(r),
        },
        RData::SRV(s) if s.target.is_root() => RecordData::Srv {
            priority: s.priority,
            weight: s.weight,
            port: s.port,
            target: None,
        },
        RData::SRV(s) => match DomainName::parse(&s.target.to_ascii()) {
            Ok(t) => RecordData::Srv {
                priority: s.priority,
                weight: s.weight,
                port: s.port,
                target: Some(t),
            },
            Err(_) => other(r),
        },
        RData::SOA(s) => RecordData::Soa { minimum: s.minimum },
        _ => other(r),
    };
    Record {
        name: normalise(&r.name.to_ascii()),
        ttl: r.ttl,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_server_specs() {
        assert_eq!(
            parse_dns_server("127.0.0.1").unwrap(),
            "127.0.0.1:53".parse().unwrap()
        );
        assert_eq!(
            parse_dns_server("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert_eq!(
            parse_dns_server("[::1]:5353").unwrap(),
            "[::1]:5353".parse().unwrap()
        );
        assert_eq!(
            parse_dns_server("::1").unwrap(),
            "[::1]:53".parse().unwrap()
        );
        assert!(matches!(
            parse_dns_server("dns.example"),
            Err(DriverError::BadServer(_))
        ));
    }

    #[test]
    fn resolv_conf() {
        let t =
            "# x\nsearch a.b\nnameserver fe80::1%eth0\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n";
        assert_eq!(first_nameserver(t), Some("10.0.0.2:53".parse().unwrap()));
        assert_eq!(first_nameserver("search x\n"), None);
    }

    #[test]
    fn query_round_trip_through_decode() {
        let name = DomainName::parse("contoso.test").unwrap();
        let (wire, id) = encode_query(&name.with_prefix("_sip._tls"), RecordType::Srv).unwrap();
        let mut msg = Message::from_vec(&wire).unwrap();
        assert_eq!(msg.metadata.id, id);
        msg.metadata.message_type = MessageType::Response;
        msg.metadata.response_code = hickory_proto::op::ResponseCode::NXDomain;
        let back = msg.to_vec().unwrap();
        let input = decode_checked(
            QueryId(4),
            &back,
            &name.with_prefix("_sip._tls"),
            RecordType::Srv,
            Duration::ZERO,
        )
        .unwrap();
        assert!(matches!(
            input,
            Input::Answer {
                id: QueryId(4),
                rcode: Rcode::NxDomain,
                ..
            }
        ));
        // Wrong question: refused.
        assert!(matches!(
            decode_checked(QueryId(4), &back, &name, RecordType::Srv, Duration::ZERO),
            Err(DriverError::Mismatch)
        ));
        assert!(decode_response(QueryId(1), b"\x00\x01garbage", Duration::ZERO).is_err());
    }
}
