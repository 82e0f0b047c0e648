//! The DNS data the lookup plan consumes: query types, response codes and records, decoupled
//! from any DNS library so the plan stays sans-IO and testable with scripted answers.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::domain::DomainName;

/// Query types the plan asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordType {
    /// IPv4 address (RFC 1035).
    A,
    /// IPv6 address (RFC 3596).
    Aaaa,
    /// Service location (RFC 2782).
    Srv,
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::A => "A",
            Self::Aaaa => "AAAA",
            Self::Srv => "SRV",
        })
    }
}

/// The response code of an answer (RFC 1035 §4.1.1, RFC 6895 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rcode {
    /// 0, no error (an answer, or NODATA when the answer section has nothing of the type).
    #[serde(rename = "noerror")]
    NoError,
    /// 1, the server could not parse the query.
    #[serde(rename = "formerr")]
    FormErr,
    /// 2, server failure.
    #[serde(rename = "servfail")]
    ServFail,
    /// 3, the name does not exist.
    #[serde(rename = "nxdomain")]
    NxDomain,
    /// 5, refused.
    Refused,
    /// Any other code.
    Other(u16),
}

impl Rcode {
    /// Maps a numeric RCODE.
    pub fn from_u16(code: u16) -> Self {
        match code {
            0 => Self::NoError,
            1 => Self::FormErr,
            2 => Self::ServFail,
            3 => Self::NxDomain,
            5 => Self::Refused,
            other => Self::Other(other),
        }
    }
}

/// The data of one resource record, as far as the plan needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum RecordData {
    /// An IPv4 address.
    A {
        /// The address.
        address: Ipv4Addr,
    },
    /// An IPv6 address.
    Aaaa {
        /// The address.
        address: Ipv6Addr,
    },
    /// An alias.
    Cname {
        /// The canonical name.
        target: DomainName,
    },
    /// A service location (RFC 2782). A target of `.` ("service decidedly not available") has
    /// `target: None`.
    Srv {
        /// Lower is preferred.
        priority: u16,
        /// Relative weight inside one priority.
        weight: u16,
        /// Port.
        port: u16,
        /// Target host; `None` for `.`.
        target: Option<DomainName>,
    },
    /// The zone's SOA (authority section of a negative answer): carries the negative TTL.
    Soa {
        /// SOA MINIMUM (RFC 2308 §4).
        minimum: u32,
    },
    /// A record the plan does not use, or whose name/target is not a valid host name.
    Other {
        /// Numeric type.
        rtype: u16,
        /// Presentation form, truncated.
        text: String,
    },
}

/// One resource record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Owner name in lower case without the trailing dot (SRV owners hold `_` labels, so this
    /// is plain text, compared only against names the plan built itself).
    pub name: String,
    /// Time to live, seconds, as sent.
    pub ttl: u32,
    /// The data.
    #[serde(flatten)]
    pub data: RecordData,
}

impl fmt::Display for RecordData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::A { address } => write!(f, "A {address}"),
            Self::Aaaa { address } => write!(f, "AAAA {address}"),
            Self::Cname { target } => write!(f, "CNAME {target}"),
            Self::Srv {
                priority,
                weight,
                port,
                target,
            } => match target {
                Some(t) => write!(f, "SRV {priority} {weight} {port} {t}"),
                None => write!(f, "SRV {priority} {weight} {port} ."),
            },
            Self::Soa { minimum } => write!(f, "SOA minimum {minimum}"),
            Self::Other { rtype, text } => write!(f, "TYPE{rtype} {text}"),
        }
    }
}
