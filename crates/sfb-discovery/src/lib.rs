//! Step 1 of the Skype for Business / Lync desktop sign-in: DNS discovery.
//!
//! The DNS half of the crate has two parts:
//! - a sans-IO lookup plan, [`Discovery`]: no sockets, no clock, no threads; time comes in as
//!   `now` and randomness (RFC 2782 weighted SRV order) as an injected [`SrvRng`];
//! - a tokio [`driver`] that carries the plan's queries out with hickory-proto's message codec,
//!   without any resolver cache, one attempt per query (TCP retry on truncation), so NXDOMAIN,
//!   NODATA, SERVFAIL and timeouts are reported as the wire said and TTLs are the real ones.
//!
//! Order of the plan (protocol.md §1.1): `lyncdiscoverinternal.<d>` and `lyncdiscover.<d>`
//! (whether they resolve; the autodiscover HTTP part is not here), SRV
//! `_sipinternaltls._tcp.<d>` (then `_sipinternal._tcp.<d>` if legacy TCP is enabled) and
//! `_sip._tls.<d>`, then the A/AAAA fallback table, then optionally the bare domain. Every
//! endpoint gets a strict-naming / trust verdict (protocol.md §1.3).
//!
//! Run loop:
//!
//! ```text
//! let mut plan = Discovery::new(config, rng, now);
//! loop {
//!     match plan.poll_output() {
//!         Some(Output::Query { id, name, rtype }) => send it,
//!         Some(Output::Timeout(at)) => wait for an answer or `at`, then handle_input(now, ..),
//!         Some(Output::Done(result)) | None => break,
//!     }
//! }
//! ```
//!
//! [`autodiscover`] is the other half of step 1: Lync autodiscover ([MS-OCDISCWS]) documents
//! (XML and JSON) and the sans-IO walker that follows Root → Redirect → User, including the
//! WebTicket round trip (the ticket itself is an effect: another crate obtains it), plus its
//! HTTP/1.1 driver over tokio-rustls.
//!
//! [`kdc`] locates Kerberos KDCs through the same driver (`_kerberos._tcp.<REALM>`, then
//! `_kerberos._tcp.dc._msdcs.<domain>`), for a sign-in with `--realm` and no `--kdc`.
//!
//! Not here: obtaining WebTickets, and connecting to SIP endpoints.

pub mod autodiscover;
pub mod config;
pub mod domain;
pub mod driver;
pub mod evidence;
pub mod kdc;
pub mod plan;
pub mod record;
pub mod result;
pub mod srv;
pub mod trust;

#[doc(hidden)]
pub mod fuzzing;

pub use config::{DiscoveryConfig, Limits, ManualHost, ManualServer, ServerSpecError};
pub use domain::{DomainError, DomainName, SipDomain, SipUriError};
pub use evidence::{QueryEvidence, QueryOutcome};
pub use kdc::{KdcLocation, KdcOptions, locate_kdcs};
pub use plan::{Discovery, Input, Output, QueryId};
pub use record::{Rcode, Record, RecordData, RecordType};
pub use result::{
    AutodiscoverHost, DiscoveryResult, Endpoint, EndpointSource, Location, Transport,
};
pub use srv::{SplitMix64, SrvRng};
pub use trust::{TrustPolicy, TrustVerdict};
