//! MS-SIPAE Kerberos: GSS-framed AP-REQ in `gssapi-data`, RFC 4121 MIC tokens as signatures.
//!
//! [MS-SIPAE] 3.2.5.1 / protocol.md §3.4: the Kerberos scheme has **no AP-REP leg**. The client
//! sends `gssapi-data` = GSS-framed AP-REQ with integrity only (no mutual auth); the security
//! context is complete after the AP-REQ, so that first REGISTER is already signed.
//!
//! RFC 4121 §2: without an acceptor subkey, per-message tokens use the **initiator's
//! authenticator subkey**, not the ticket session key.
//!
//! # How the client gets its subkey
//!
//! sspi 0.23.1 (finding 0.3 of deps-and-peers.md) runs the AS and TGS exchanges and builds the
//! AP-REQ with a random subkey, but it throws the subkey away when no AP-REP comes back, and
//! `query_context_session_key()` then returns the *ticket* session key. We take that ticket
//! session key, decrypt our own authenticator (RFC 4120 §5.5.1, key usage 11) with picky-krb and
//! read the subkey and the initial sequence number from it. That keeps the KDC work in sspi
//! and the per-message work here.
//!
//! # Shape
//!
//! * [`KerberosContext`] / [`KerberosServerContext`]: the scheme as a
//!   [`crate::SecurityContext`] / [`crate::ServerContext`], for the security association;
//!   [`KerberosError::attempt_outcome`] classifies failures for the selection machine.
//! * [`locate`]: the realm from an NTLM CHALLENGE, the SRV names to try for KDCs.
//!
//! * [`KerberosClient`]: sans-IO. [`KerberosClient::start`] returns
//!   [`Output::AcquireKerberosToken`]; a driver (see [`driver::acquire_token`], blocking, using
//!   sspi and our own small KDC transport) produces the [`Input::KerberosToken`] that completes
//!   the context. Then [`KerberosClient::sign`] / [`KerberosClient::verify`].
//! * [`KerberosServer`]: accepts the AP-REQ with service keys (from a [`keytab::Keytab`] or raw
//!   bytes), checks the clock skew against an injected time, and then signs and verifies.
//!
//! `sign`/`verify` work on raw MIC tokens; MS-SIPAE carries them hex-encoded in
//! `response`/`rspauth` (the scheme layer does the hex). SND_SEQ starts at the authenticator's
//! sequence number and is not checked for order.
//!
//! # Known limitations (checked against MIT krb5 1.20 here)
//!
//! * sspi 0.23.1 uses the enctype of the user's AS-REP key for the TGS session key too: a
//!   service whose session keys are aes128 while the user's key is aes256 fails inside sspi
//!   ([`KerberosError::Library`], "invalid key length"). Our acceptor and MIC code handle aes128
//!   (cross-checked with the MIT initiator).
//! * sspi answers KRB_AP_ERR_SKEW from the KDC by retrying with the KDC's time, so a client
//!   whose clock is off still gets a ticket; the *acceptor* then reports
//!   [`KerberosError::ClockSkew`] if its clock differs from the KDC's.
//! * RC4-HMAC: sspi offers only AES, so an RC4-only `sip/` account yields a ticket encrypted with
//!   RC4 but an AES session key; [`KerberosClient::ticket_diagnosis`] and the acceptor report
//!   [`KerberosError::ServiceWithoutAesKeys`]. RFC 1964 RC4 MIC tokens give
//!   [`KerberosError::Rc4Token`].
//! * The acceptor keeps no replay cache.

pub(crate) mod ap_req;
mod client;
pub mod driver;
mod error;
mod keys;
pub mod keytab;
pub mod locate;
pub mod mic;
mod scheme;
mod server;
mod time;

pub use ap_req::{GssApReq, MAX_TOKEN_LEN, parse_gss_ap_req};
pub use client::{
    AcquiredToken, ClientConfig, Input, KDC_PORT, KdcAddress, KerberosClient, Output, TokenRequest,
};
pub use error::KerberosError;
pub use keys::{Enctype, SessionKey};
pub use scheme::{KerberosContext, KerberosServerContext};
pub use server::{
    AcceptedContext, DEFAULT_SKEW, GSS_C_INTEG_FLAG, GSS_C_MUTUAL_FLAG, KerberosServer, ServiceKey,
};

/// Fuzzing entry points (one per fuzz target). Never panic on any input.
#[doc(hidden)]
pub mod fuzzing {
    use super::{Enctype, SessionKey, keytab, mic};

    /// Parse `data` as a GSS-framed AP-REQ, a MIC token and a keytab; verify it as a MIC.
    pub fn kerberos_token(data: &[u8]) {
        let _ = super::parse_gss_ap_req(data);
        let _ = mic::MicToken::parse(data);
        let _ = keytab::Keytab::parse(data);
        let _ = crate::inspect::inspect(crate::inspect::Protocol::Kerberos, data);
        if let Ok(key) = SessionKey::new(Enctype::Aes128CtsHmacSha196, vec![1u8; 16]) {
            let _ = mic::verify_mic(&key, mic::Direction::Initiator, b"buffer", data);
        }
    }
}
