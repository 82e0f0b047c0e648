//! MS-SIPAE authentication for the sfb SIP client and the emulated lab.
//!
//! - [`sipae`]: challenges, Authentication-Info, Authorization values, signature buffers, the
//!   security association and the scheme-selection/lockout state machine.
//! - [`inspect`]: a token's safe fields for traces (never a key or a response).
//! - [`ntlm`]: connectionless NTLMv2 client and server on RustCrypto primitives.
//! - [`kerberos`]: MS-SIPAE Kerberos (integrity only, no AP-REP): tickets through sspi as an
//!   effect of the sans-IO client, the initiator subkey recovered from our own authenticator,
//!   RFC 4121 MIC tokens our own; the server side accepts AP-REQs with keys from a keytab.
//! - [`SecurityContext`] / [`ServerContext`]: the mechanism abstraction; Kerberos and TLS-DSK plug
//!   in as further implementations.
//!
//! Sans-IO: no sockets, no clock, no threads. Time (FILETIME) and randomness
//! ([`RandomSource`]) are injected.
//!
//! Client run loop (one [`sipae::SecurityAssociation`] per (protocol, realm, targetname)):
//! 1. collect the 401/407 challenges ([`sipae::ResponseAuth::from_message`] on the codec's
//!    message), pick one with [`sipae::SignInAuth::choose`];
//! 2. build the mechanism: NTLM directly ([`ntlm::NtlmClient`]); Kerberos first runs the effect
//!    [`kerberos::Output::AcquireKerberosToken`] in a driver ([`kerberos::driver`]), then
//!    [`kerberos::KerberosContext::from_token`]; a driver error goes to
//!    [`sipae::SignInAuth::report`] through [`kerberos::KerberosError::attempt_outcome`]
//!    (KDC/SPN trouble: NTLM next, "Kerberos broken: ..."; a refused password: stop);
//!    [`sipae::SecurityAssociation::start`] gives the first Authorization value (Kerberos: the
//!    AP-REQ, already final, so version 4 signs that request);
//! 3. each continuation challenge goes to [`sipae::SecurityAssociation::handle_challenge`]; when
//!    [`sipae::SecurityAssociation::must_sign_final`] holds (version 4), sign that request with
//!    [`sipae::SecurityAssociation::sign_request`] over [`sipae::MessageFields::from_message`];
//! 4. verify every `Authentication-Info` with [`sipae::SecurityAssociation::verify_info`]
//!    ([`sipae::ResponseAuth::info_for`]; from a 407 carrying both an Info and a challenge, the
//!    Info), sign later requests with
//!    [`sipae::SecurityAssociation::authorize`]; report the outcome to
//!    [`sipae::SignInAuth::report`].
//!
//! The server half ([`sipae::ServerAssociation`] over [`ntlm::NtlmServer`] or
//! [`kerberos::KerberosServerContext`], requests read with [`sipae::authorizations`]) serves the
//! emulated lab. `tests/sipae_e2e.rs` runs both halves over real SIP text.
//!
//! Realm and KDC discovery inputs: [`kerberos::locate`].
//!
//! Kerberos plugs in as [`kerberos::KerberosContext`] / [`kerberos::KerberosServerContext`];
//! TLS-DSK will be one more [`SecurityContext`]. SIP messages are parsed by `sfb-sip-codec`:
//! [`sipae::ResponseAuth::from_message`], [`sipae::authorizations`] and
//! [`sipae::MessageFields::from_message`] adapt them.

mod context;
mod error;
pub mod inspect;
pub mod kerberos;
pub mod ntlm;
pub mod secret;
pub mod sipae;

pub use context::{RandomSource, SecurityContext, ServerContext, Step};
pub use error::AuthError;
pub use sipae::Scheme;

/// Entry points for the fuzz targets: each takes arbitrary bytes and must never panic.
#[doc(hidden)]
pub mod fuzzing {
    use crate::ServerContext as _;

    pub use crate::kerberos::fuzzing::kerberos_token;

    /// Parses `data` as a SIP message (auth headers and signature fields through the codec
    /// adapters), then as one auth header value with the codec and every challenge, Info and
    /// Authorization form of it.
    pub fn challenge_header(data: &[u8]) {
        if let Ok(m) = sfb_sip_codec::parse_datagram(data, &sfb_sip_codec::Limits::default()) {
            let _ = crate::sipae::ResponseAuth::from_message(&m);
            let _ = crate::sipae::authorizations(&m);
            if let Ok(f) = crate::sipae::MessageFields::from_message(&m) {
                let _ = crate::sipae::SignatureFields {
                    protocol: "NTLM",
                    rand: "",
                    num: "",
                    realm: "",
                    targetname: "",
                    message: f,
                }
                .to_buffer(crate::sipae::SignatureLayout::V3);
            }
        }
        let Ok(s) = std::str::from_utf8(data) else {
            return;
        };
        if let Ok((scheme, params)) = sfb_sip_codec::parse_auth_value(s) {
            let h = sfb_sip_codec::AuthHeader {
                kind: sfb_sip_codec::AuthHeaderKind::WwwAuthenticate,
                scheme,
                params,
                raw: s,
            };
            let _ = crate::sipae::Challenge::from_header(&h);
            let _ = crate::sipae::AuthInfo::from_header(&h);
            let _ = crate::sipae::AuthorizationValue::from_header(&h);
        }
    }

    /// Runs the NTLM parsers, the client on a CHALLENGE and the server on an AUTHENTICATE.
    pub fn ntlm_message(data: &[u8]) {
        use crate::ntlm::*;
        let _ = messages::ChallengeMessage::parse(data);
        let _ = messages::AuthenticateMessage::parse(data);
        let _ = avpairs::AvPairs::parse(data);
        let _ = crate::inspect::inspect(crate::inspect::Protocol::Ntlm, data);
        let cred = crate::secret::Credential::from_login(
            "D\\u",
            crate::secret::CredentialSecret::Password(crate::secret::Password::new("p")),
        );
        for profile in [NtlmProfile::Oc2007R2, NtlmProfile::Windows] {
            let cfg = NtlmClientConfig {
                credential: cred.clone(),
                workstation: "W".into(),
                profile,
                version: [0; 8],
            };
            let mut c = NtlmClient::new(cfg, Box::new(|b: &mut [u8]| b.fill(7)), 0);
            let _ = crate::SecurityContext::step(&mut c, None);
            let _ = crate::SecurityContext::step(&mut c, Some(data));
        }
        let mut store = CredentialStore::new();
        store.add_password("u", "D", "p");
        let cfg = NtlmServerConfig {
            nb_domain: "D".into(),
            nb_computer: "S".into(),
            dns_domain: "d.test".into(),
            dns_computer: "s.d.test".into(),
        };
        let mut s = NtlmServer::new(
            cfg,
            std::sync::Arc::new(store),
            Box::new(|b: &mut [u8]| b.fill(1)),
            0,
        );
        let _ = s.step(None);
        let _ = s.step(Some(data));
    }
}
