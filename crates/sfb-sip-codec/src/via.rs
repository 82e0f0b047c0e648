//! Via (RFC 3261 20.42, 25.1) with the rport (RFC 3581) and Microsoft
//! (`ms-received-port`, `ms-received-cid`) parameters.

use crate::scan::{split_top, trim};
use crate::typed::{Params, parse_params};
use crate::uri::parse_hostport;
use crate::{Message, ParseError, ParseErrorKind};

/// One via-parm.
///
/// RFC 3261 25.1: `via-parm = sent-protocol LWS sent-by *( SEMI via-params )`,
/// `sent-protocol = protocol-name SLASH protocol-version SLASH transport` (LWS allowed around
/// each slash).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Via<'a> {
    /// Protocol name, normally `SIP`.
    pub protocol: &'a str,
    /// Protocol version, normally `2.0`.
    pub version: &'a str,
    /// Transport (`UDP`, `TCP`, `TLS`, ...), case preserved.
    pub transport: &'a str,
    /// sent-by host (IPv6 with brackets).
    pub host: &'a str,
    /// sent-by port.
    pub port: Option<u16>,
    /// Parameters in order.
    pub params: Params<'a>,
}

impl<'a> Via<'a> {
    /// Parse one via-parm.
    pub fn parse(s: &'a str) -> Result<Self, ParseErrorKind> {
        let mut it = split_top(s, b';');
        let head = trim(it.next().unwrap_or_default());
        let hb = head.as_bytes();
        let s1 = memchr::memchr(b'/', hb).ok_or(ParseErrorKind::InvalidVia)?;
        let s2 = memchr::memchr(b'/', hb.get(s1 + 1..).unwrap_or_default())
            .map(|i| s1 + 1 + i)
            .ok_or(ParseErrorKind::InvalidVia)?;
        let protocol = trim(head.get(..s1).unwrap_or_default());
        let version = trim(head.get(s1 + 1..s2).unwrap_or_default());
        let rest = trim(head.get(s2 + 1..).unwrap_or_default());
        let split = rest
            .bytes()
            .position(crate::scan::is_lws)
            .ok_or(ParseErrorKind::InvalidVia)?;
        let transport = rest.get(..split).unwrap_or_default();
        let sent_by = trim(rest.get(split..).unwrap_or_default());
        if ![protocol, version, transport]
            .iter()
            .all(|t| crate::scan::is_token(t))
        {
            return Err(ParseErrorKind::InvalidVia);
        }
        let (host, port) = parse_hostport(sent_by)?;
        Ok(Self {
            protocol,
            version,
            transport,
            host,
            port,
            params: parse_params(it)?,
        })
    }

    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&'a str> {
        self.params.value("branch")
    }

    /// The `received` parameter.
    pub fn received(&self) -> Option<&'a str> {
        self.params.value("received")
    }

    /// The `rport` parameter: `Some(None)` when present without a value (RFC 3581).
    pub fn rport(&self) -> Option<Option<&'a str>> {
        self.params.get("rport").map(|v| v.map(|v| v.raw()))
    }

    /// The `ms-received-port` parameter.
    pub fn ms_received_port(&self) -> Option<&'a str> {
        self.params.value("ms-received-port")
    }

    /// The `ms-received-cid` parameter.
    pub fn ms_received_cid(&self) -> Option<&'a str> {
        self.params.value("ms-received-cid")
    }
}

impl<'a> Message<'a> {
    /// Every via-parm in order across all Via headers (an empty element is an error).
    pub fn vias(&self) -> impl Iterator<Item = Result<Via<'a>, ParseError>> + '_ {
        self.list("Via")
            .map(|(h, v)| Via::parse(v).map_err(|k| h.error(k)))
    }

    /// The topmost via-parm.
    pub fn via(&self) -> Option<Result<Via<'a>, ParseError>> {
        self.vias().next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_via() {
        let v = Via::parse("SIP  /   2.0\r\n  /UDP\r\n    192.0.2.2;branch=390skdjuw").unwrap();
        assert_eq!(
            (v.protocol, v.version, v.transport, v.host),
            ("SIP", "2.0", "UDP", "192.0.2.2")
        );
        assert_eq!(v.branch(), Some("390skdjuw"));
        let v = Via::parse(" SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239")
            .unwrap();
        assert_eq!(v.branch(), Some("z9hG4bK30239"));
    }

    #[test]
    fn ms_params() {
        let v = Via::parse("SIP/2.0/TLS [2001:db8::9]:50000;branch=z9hG4bK1;rport;ms-received-port=50001;ms-received-cid=1A00").unwrap();
        assert_eq!((v.host, v.port), ("[2001:db8::9]", Some(50000)));
        assert_eq!(v.rport(), Some(None));
        assert_eq!(
            (v.ms_received_port(), v.ms_received_cid()),
            (Some("50001"), Some("1A00"))
        );
        assert!(Via::parse("SIP/2.0/UDP 192.0.2.15;;").is_err());
        assert!(Via::parse("").is_err());
    }
}
