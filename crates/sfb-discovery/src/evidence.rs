//! Evidence: what was asked, of whom, and what came back, for every DNS query of the plan.
//!
//! These types are serialisable (snake_case) so the CLI's `--json` and the sign-in trace can
//! carry them unchanged; they may later move to `sfb-trace`.

use serde::{Deserialize, Serialize};

use crate::domain::DomainName;
use crate::record::{Rcode, Record, RecordType};

/// How one query ended, as the wire said (no resolver cache in between).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum QueryOutcome {
    /// NOERROR with records of the asked type (possibly behind a CNAME chain).
    Answer,
    /// NXDOMAIN: the name does not exist.
    #[serde(rename = "nxdomain")]
    NxDomain,
    /// NOERROR without records of the asked type (RFC 2308 §2.2).
    #[serde(rename = "nodata")]
    NoData,
    /// SERVFAIL.
    #[serde(rename = "servfail")]
    ServFail,
    /// REFUSED.
    Refused,
    /// Another response code.
    OtherRcode {
        /// The code.
        rcode: Rcode,
    },
    /// No answer within the per-query timeout.
    Timeout,
    /// Not answered before the total discovery budget ran out.
    BudgetExhausted,
    /// The driver could not carry the query out (socket error, malformed reply, ...).
    TransportError {
        /// What went wrong.
        detail: String,
    },
}

impl QueryOutcome {
    /// A short lower-case label (`answer`, `nxdomain`, `nodata`, `servfail`, `timeout`, ...).
    pub fn label(&self) -> &'static str {
        match self {
            Self::Answer => "answer",
            Self::NxDomain => "nxdomain",
            Self::NoData => "nodata",
            Self::ServFail => "servfail",
            Self::Refused => "refused",
            Self::OtherRcode { .. } => "other_rcode",
            Self::Timeout => "timeout",
            Self::BudgetExhausted => "budget_exhausted",
            Self::TransportError { .. } => "transport_error",
        }
    }
}

/// The evidence of one DNS query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryEvidence {
    /// The query's id in the plan (the order of issue).
    pub id: u64,
    /// The name asked.
    pub name: DomainName,
    /// The type asked.
    pub rtype: RecordType,
    /// Why the plan asked (for example `_sip._tls SRV` or `address of an SRV target`).
    pub purpose: String,
    /// The outcome.
    pub outcome: QueryOutcome,
    /// The response code, when a response came.
    pub rcode: Option<Rcode>,
    /// The answer section, in wire order (bounded, see [`crate::Limits`]).
    pub answers: Vec<Record>,
    /// The CNAME chain followed inside this answer, first alias first.
    pub cname_chain: Vec<DomainName>,
    /// Smallest TTL among the used answers, or the negative TTL (SOA MINIMUM, RFC 2308 §5)
    /// of a NXDOMAIN/NODATA; seconds.
    pub ttl: Option<u32>,
    /// Time from sending to the outcome, milliseconds.
    pub duration_ms: u64,
    /// The server asked (`ip:port`), when known.
    pub server: Option<String>,
    /// Records dropped because a limit was reached.
    pub dropped_records: usize,
}
