//! The Access Edge: external users arrive here. It offers no authentication of its own; it
//! proxies each request in process to the Director (or to the pool a `Route` or the
//! Request-URI names, for a client that stays on the Edge connection after a 301, protocol.md
//! §5 [RECON]), adding its `Via` and `ms-user-logon-data: RemoteUser`, and relays the
//! responses with its `Via` removed. The hop behind it offers NTLM only to remote users.
//! In `edge-next-hop-down` it answers 504 itself.

use std::sync::Arc;
use std::time::SystemTime;

use sfb_sip_codec::{Message, SipUri, parse_datagram, validate};

use super::registrar::{Hop, Registrar, build};
use super::reply::{self, base, unparseable, warning_text};
use super::util::Rng;
use super::{LIMITS, Shared};
use crate::directory::PoolId;
use crate::scenario::Scenario;

/// One external connection at the Edge, with its in-process hops (at most the Director and
/// each pool: bounded).
pub(crate) struct Edge {
    shared: Arc<Shared>,
    rng: Rng,
    to_tag: String,
    hops: Vec<(Hop, Registrar)>,
    closed: bool,
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge")
            .field("hops", &self.hops)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl Edge {
    pub(crate) fn new(shared: Arc<Shared>, mut rng: Rng) -> Self {
        let to_tag = rng.hex(16);
        Self {
            shared,
            rng,
            to_tag,
            hops: Vec::new(),
            closed: false,
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    fn fqdn(&self) -> &str {
        &self.shared.config.topology.edge.fqdn
    }

    /// The hop a request goes to: a pool named by the topmost Route or the Request-URI host,
    /// else the Director.
    fn route(&self, msg: &Message<'_>) -> Hop {
        let pools = &self.shared.config.topology.pools;
        let host_of = |uri: &str| SipUri::parse(uri).ok().map(|u| u.host.to_owned());
        let route = msg
            .routes()
            .next()
            .and_then(Result::ok)
            .and_then(|na| host_of(na.uri));
        let ruri = match msg.start_line() {
            sfb_sip_codec::StartLine::Request { uri, .. } => host_of(uri),
            sfb_sip_codec::StartLine::Response { .. } => None,
        };
        for host in [route, ruri].into_iter().flatten() {
            if let Some(i) = pools
                .iter()
                .position(|p| p.endpoint.fqdn.eq_ignore_ascii_case(&host))
            {
                return Hop::Pool(PoolId(i));
            }
        }
        Hop::Director
    }

    pub(crate) fn handle(&mut self, raw: &[u8], now: SystemTime) -> Vec<Vec<u8>> {
        let msg = match parse_datagram(raw, &LIMITS) {
            Ok(m) => m,
            Err(e) => {
                self.closed = true;
                return vec![unparseable(self.fqdn(), &e.to_string())];
            }
        };
        let Some(method) = msg.method() else {
            return Vec::new();
        };
        if method.eq_ignore_ascii_case("ACK") {
            return Vec::new();
        }
        if let Err(e) = validate(&msg) {
            let b = base(&msg, 400, "Bad Request", &self.to_tag).header(
                "Warning",
                &format!("399 {} \"{}\"", self.fqdn(), warning_text(&e.to_string())),
            );
            return vec![build(b)];
        }
        if self.shared.config.scenario == Scenario::EdgeNextHopDown {
            let (n, v) = reply::TEMPORARILY_CANNOT_ROUTE.header(self.fqdn());
            let b = base(&msg, 504, "Server time-out", &self.to_tag).header(n, &v);
            return vec![build(b)];
        }
        let hop = self.route(&msg);
        // The home pool a remote user is routed to after the 301 is down: the Edge's next hop
        // cannot reach it (what the Director's listener being dead means from outside).
        if self.shared.config.scenario == Scenario::HomePoolUnreachableAfter301
            && hop == Hop::Pool(PoolId(0))
        {
            let (n, v) = reply::TEMPORARILY_CANNOT_ROUTE.header(self.fqdn());
            let b = base(&msg, 504, "Server time-out", &self.to_tag).header(n, &v);
            return vec![build(b)];
        }
        let edge = &self.shared.config.topology.edge;
        let via = format!(
            "SIP/2.0/TLS {};branch=z9hG4bK{}",
            edge.addr,
            self.rng.hex(8)
        );
        let forwarded = splice(msg.as_bytes(), &via);
        let idx = match self.hops.iter().position(|(h, _)| *h == hop) {
            Some(i) => i,
            None => {
                let seed = self.rng.next_u64();
                self.hops.push((
                    hop,
                    Registrar::new(self.shared.clone(), hop, true, Rng::new(seed)),
                ));
                self.hops.len() - 1
            }
        };
        let Some((_, reg)) = self.hops.get_mut(idx) else {
            return Vec::new();
        };
        let out = reg.handle(&forwarded, now);
        if reg.is_closed() {
            self.closed = true;
        }
        out.into_iter().map(|r| strip_via(r, &via)).collect()
    }
}

/// The request with the Edge's `Via` first and `ms-user-logon-data: RemoteUser` after the
/// start line; every other byte unchanged.
fn splice(raw: &[u8], via: &str) -> Vec<u8> {
    let end = raw
        .windows(2)
        .position(|w| w == b"\r\n")
        .map_or(raw.len(), |i| i + 2);
    let mut out = Vec::with_capacity(raw.len() + via.len() + 48);
    out.extend_from_slice(raw.get(..end).unwrap_or(raw));
    out.extend_from_slice(format!("Via: {via}\r\nms-user-logon-data: RemoteUser\r\n").as_bytes());
    out.extend_from_slice(raw.get(end..).unwrap_or_default());
    out
}

/// The response with the Edge's own `Via` line removed.
fn strip_via(resp: Vec<u8>, via: &str) -> Vec<u8> {
    let needle = format!("\r\nVia: {via}\r\n");
    let n = needle.as_bytes();
    match resp.windows(n.len()).position(|w| w == n) {
        Some(i) => {
            let mut out = Vec::with_capacity(resp.len());
            out.extend_from_slice(resp.get(..i + 2).unwrap_or_default());
            out.extend_from_slice(resp.get(i + n.len()..).unwrap_or_default());
            out
        }
        None => resp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_and_strip() {
        let raw = b"OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\n";
        let s = splice(raw, "SIP/2.0/TLS e;branch=z9hG4bK1");
        assert_eq!(
            s,
            b"OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/TLS e;branch=z9hG4bK1\r\nms-user-logon-data: RemoteUser\r\nVia: x\r\n\r\n"
        );
        let resp =
            b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS e;branch=z9hG4bK1\r\nVia: x\r\n\r\n".to_vec();
        assert_eq!(
            strip_via(resp, "SIP/2.0/TLS e;branch=z9hG4bK1"),
            b"SIP/2.0 200 OK\r\nVia: x\r\n\r\n"
        );
    }
}
