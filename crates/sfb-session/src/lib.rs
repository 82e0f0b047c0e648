//! The sign-in session, steps 2 to 5 of a sign-in: connectivity, then the sign-in machine
//! ([`signin`]: REGISTER, MS-SIPAE, redirect, settings) and its tokio driver ([`run_signin`]).
//!
//! For each candidate endpoint (from discovery, autodiscover, a redirect or the command line),
//! every address of its host is tried in order, and each attempt is recorded: a TCP connect
//! with timing and a bounded timeout, then a TLS 1.3/1.2 handshake (rustls with the ring
//! provider) through a [`RecordingVerifier`] that keeps the presented chain even when the
//! WebPKI verifier refuses it. A failure is classified by the pure [`classify`] function into a
//! [`sfb_trace::TlsFailure`] (untrusted root, incomplete chain with the AIA URL, name mismatch
//! with the SANs and the name's origin, expired or not yet valid with dates, EKU without
//! serverAuth). Time comes in through rustls's `TimeProvider`, so tests are deterministic.
//!
//! Modules: `target` (what to connect to; conversions from discovery's types), `certinfo`
//! (x509-parser: what a certificate says), `classify` (pure), `verifier` (recording),
//! `tcp` (OS errors), `driver` (tokio: the only socket and clock code), `verdict` (the step's
//! verdict and recording into the trace), `survey` (sans-IO legacy ClientHello survey: which of
//! TLS 1.0/1.1/1.2 a server accepts) and `legacy` (its tokio driver).

mod certinfo;
mod classify;
mod driver;
mod error;
mod legacy;
pub mod run;
pub mod signin;
mod signin_driver;
pub mod survey;
mod target;
mod tcp;
mod verdict;
mod verifier;

pub use certinfo::{CertError, MAX_NAME_LEN, MAX_NAMES, certificate_evidence, presented_names};
pub use classify::{Facts, classify, explain};
pub use driver::{
    AddressAttempt, ConnectOptions, Probe, ProbeMode, TargetReport, TlsSettings, probe,
};
pub use error::ConnectError;
pub use legacy::{VersionProbe, survey_versions};
pub use run::{SchemeChoice, SignInReport, SignInRequest, sign_in};
pub use signin_driver::{
    DriverOptions, KerberosLogin, MAX_SIP_TEXT, Progress, Recorder, Resolver, outcome_status,
    record_event, run_signin, succeeded, system_resolver,
};
pub use target::{ConnectTarget, dns_evidence, name_source};
pub use tcp::classify_connect_error;
pub use verdict::{connectivity_verdict, record_connectivity};
pub use verifier::{MAX_RECORDED_CHAIN, Presented, RecordingVerifier};

#[doc(hidden)]
pub mod fuzzing {
    //! Entry points for the fuzz targets: each takes arbitrary bytes and must never panic.

    /// Reads a certificate (hostile DER) into evidence.
    pub fn certificate(data: &[u8]) {
        if let Ok(ev) = crate::certificate_evidence(data) {
            assert!(ev.sans.len() <= crate::MAX_NAMES);
        }
    }

    /// Reads a server's first TLS record (survey).
    pub fn survey_reply(data: &[u8]) {
        let _ = crate::survey::parse_reply(data);
    }

    /// Feeds hostile server bytes to a connected sign-in machine (NTLM; at an Access Edge when
    /// the first byte is odd), in chunks cut where `data` says, then lets time run out; the
    /// machine must end with an outcome, never panic.
    pub fn signin_input(data: &[u8]) {
        use crate::signin::{AuthMode, Endpoint, Output, SignIn, SignInConfig};
        use std::time::{Duration, Instant, SystemTime};
        let t0 = Instant::now();
        let auth = AuthMode::Credentials {
            credential: sfb_auth::secret::Credential::from_login(
                "D\\u",
                sfb_auth::secret::CredentialSecret::Password(sfb_auth::secret::Password::new("p")),
            ),
            policy: sfb_auth::sipae::SchemePolicy::Auto(sfb_auth::sipae::Network::Internal),
            kerberos_realm: None,
            kdcs: Vec::new(),
        };
        let cfg = SignInConfig::new("sip:u@d.test", auth, "W", (t0, SystemTime::UNIX_EPOCH));
        let Ok(mut m) = SignIn::new(
            cfg,
            // An odd first byte makes it an Access Edge: a 301 is then followed on the same
            // connection, routed.
            vec![
                Endpoint::tls("d.test", 5061, "fuzz")
                    .with_edge(data.first().is_some_and(|b| b & 1 == 1)),
            ],
            Box::new(|b: &mut [u8]| b.fill(3)),
        ) else {
            return;
        };
        let local = std::net::SocketAddr::from(([127, 0, 0, 1], 5000));
        m.handle_connected(0, local, t0);
        let cut = usize::from(data.first().copied().unwrap_or(0)).max(1);
        for chunk in data.chunks(cut) {
            m.handle_bytes(chunk, t0);
            while let Some(o) = m.poll_output() {
                if let Output::AcquireKerberosToken(_) = o {
                    m.handle_kerberos(
                        Err(sfb_auth::kerberos::KerberosError::KdcUnreachable {
                            kdcs: String::new(),
                        }),
                        t0,
                    );
                }
            }
        }
        let mut now = t0;
        for _ in 0..16 {
            if m.is_done() {
                break;
            }
            now += Duration::from_secs(61);
            m.handle_timeout(now);
            m.close(now);
            while m.poll_output().is_some() {}
        }
        assert!(m.is_done(), "the machine did not end");
    }
}
