//! sfb-lab: an emulated Skype for Business deployment on loopback, so that every step of the
//! sign-in can be tried and tested with no SfB server.
//!
//! `contoso.test`: DNS (in-process hickory-server), autodiscover over HTTPS and HTTP, the
//! WebTicket service, an Access Edge, a Director and two home pools with registrars over TLS,
//! users with home pools, and named fault [`scenario`]s that reproduce real sign-in failures.
//!
//! Layout:
//! - [`directory`]: the users (logins, passwords, home pools, account states);
//! - [`scenario`]: the fault scenarios, by name;
//! - [`sip`]: the SIP roles as sans-IO cores (one [`sip::SipConnection`] per accepted TLS
//!   connection: framed messages in, encoded messages out): the server side of MS-SIPAE
//!   (NTLM, Kerberos with a keytab), signing every response, redirects, the settings replies
//!   and the SIP-level faults;
//! - the tokio side (DNS zone, PKI, web services, TLS listeners with limits) starts it all.

pub mod directory;
pub mod scenario;
pub mod sip;
