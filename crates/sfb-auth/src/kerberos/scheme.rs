//! Kerberos as an MS-SIPAE scheme: [`KerberosContext`] (client, [`SecurityContext`]) and
//! [`KerberosServerContext`] (server, [`ServerContext`]), so the security association and the
//! selection machine treat NTLM and Kerberos alike.
//!
//! [MS-SIPAE] 3.2.5.1 / protocol.md §3.4: there is no AP-REP leg. The client context is built
//! from the token the driver acquired (the effect [`super::Output::AcquireKerberosToken`] runs
//! before the context exists), so it is established from the start: its only step returns the
//! AP-REQ as final, and in version 4 the REGISTER that carries it is already signed.

use std::time::SystemTime;

use super::{
    AcceptedContext, AcquiredToken, ClientConfig, Input, KerberosClient, KerberosError,
    KerberosServer,
};
use crate::context::{SecurityContext, ServerContext, Step};
use crate::sipae::AttemptOutcome;
use crate::{AuthError, Scheme};

impl From<KerberosError> for AuthError {
    /// A MIC mismatch is a bad signature like any other; everything else keeps its type.
    fn from(e: KerberosError) -> Self {
        match e {
            KerberosError::MicMismatch => AuthError::BadSignature,
            e => AuthError::Mechanism {
                scheme: Scheme::Kerberos,
                source: Box::new(e),
            },
        }
    }
}

impl AuthError {
    /// The Kerberos error inside, if this is one.
    pub fn kerberos(&self) -> Option<&KerberosError> {
        match self {
            AuthError::Mechanism { source, .. } => source.downcast_ref(),
            _ => None,
        }
    }
}

impl KerberosError {
    /// How a failed Kerberos attempt ends for the selection machine
    /// ([`crate::sipae::SignInAuth::report`]). Lockout safety: a refused credential (wrong
    /// password, expired password, disabled or unknown account) stops the run and never falls
    /// back to NTLM; every KDC, SPN, enctype, clock or transport failure is infrastructure and
    /// lets NTLM be tried, reported as `Kerberos broken: <cause>`.
    pub fn attempt_outcome(&self) -> AttemptOutcome {
        match self {
            KerberosError::WrongPassword
            | KerberosError::PasswordExpired
            | KerberosError::ClientRevoked
            | KerberosError::UnknownUserPrincipal => AttemptOutcome::PasswordRejected,
            e => AttemptOutcome::KerberosInfrastructure {
                cause: e.to_string(),
            },
        }
    }
}

/// The client half of the Kerberos scheme, built from an acquired token.
pub struct KerberosContext {
    client: KerberosClient,
    sent: bool,
}

impl std::fmt::Debug for KerberosContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KerberosContext")
            .field("client", &self.client)
            .field("sent", &self.sent)
            .finish()
    }
}

impl KerberosContext {
    /// Wraps a client that has its token ([`KerberosClient::is_ready`]).
    pub fn new(client: KerberosClient) -> Result<Self, KerberosError> {
        if !client.is_ready() {
            return Err(KerberosError::NotReady);
        }
        Ok(Self {
            client,
            sent: false,
        })
    }

    /// Builds the context from the driver's result for `config` (RFC 4121 §2: recovers the
    /// authenticator subkey).
    pub fn from_token(config: ClientConfig, token: AcquiredToken) -> Result<Self, KerberosError> {
        let mut c = KerberosClient::new(config)?;
        let _request = c.start();
        c.handle(Input::KerberosToken(token))?;
        Self::new(c)
    }

    /// The wrapped client (diagnostics such as [`KerberosClient::ticket_diagnosis`]).
    pub fn client(&self) -> &KerberosClient {
        &self.client
    }
}

impl SecurityContext for KerberosContext {
    /// The one step: the GSS-framed AP-REQ, final. No server token is ever expected.
    fn step(&mut self, server_token: Option<&[u8]>) -> Result<Step, AuthError> {
        if self.sent || server_token.is_some() {
            return Err(AuthError::AlreadyEstablished);
        }
        let token = self
            .client
            .gssapi_data()
            .ok_or(KerberosError::NotReady)?
            .to_vec();
        self.sent = true;
        Ok(Step::Done(Some(token)))
    }

    fn sign(&mut self, buf: &[u8]) -> Result<Vec<u8>, AuthError> {
        Ok(self.client.sign(buf)?)
    }

    fn verify(&mut self, buf: &[u8], sig: &[u8]) -> Result<(), AuthError> {
        Ok(self.client.verify(buf, sig)?)
    }

    fn is_established(&self) -> bool {
        self.sent
    }
}

/// The server half of the Kerberos scheme: accepts the AP-REQ at an injected time.
#[derive(Debug)]
pub struct KerberosServerContext {
    server: KerberosServer,
    now: SystemTime,
    accepted: Option<AcceptedContext>,
}

impl KerberosServerContext {
    /// Wraps an acceptor; `now` is the time used to check the authenticator and ticket.
    pub fn new(server: KerberosServer, now: SystemTime) -> Self {
        Self {
            server,
            now,
            accepted: None,
        }
    }

    /// Updates the injected time (sans-IO: the caller owns the clock).
    pub fn set_now(&mut self, now: SystemTime) {
        self.now = now;
    }

    /// What the accepted AP-REQ told us (client principal, flags), once accepted.
    pub fn accepted(&self) -> Option<&AcceptedContext> {
        self.accepted.as_ref()
    }
}

impl ServerContext for KerberosServerContext {
    /// Accepts the AP-REQ; there is no answer token (no AP-REP in MS-SIPAE).
    fn step(&mut self, client_token: Option<&[u8]>) -> Result<Step, AuthError> {
        if self.accepted.is_some() {
            return Err(AuthError::AlreadyEstablished);
        }
        let token = client_token
            .filter(|t| !t.is_empty())
            .ok_or(KerberosError::GssFraming {
                what: "empty gssapi-data",
            })?;
        self.accepted = Some(self.server.accept(token, self.now)?);
        Ok(Step::Done(None))
    }

    fn sign(&mut self, buf: &[u8]) -> Result<Vec<u8>, AuthError> {
        Ok(self.server.sign(buf)?)
    }

    fn verify(&mut self, buf: &[u8], sig: &[u8]) -> Result<(), AuthError> {
        Ok(self.server.verify(buf, sig)?)
    }

    fn is_established(&self) -> bool {
        self.accepted.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kerberos::{DEFAULT_SKEW, Enctype, SessionKey};

    #[test]
    fn outcomes_never_fall_back_after_a_credential_error() {
        for e in [
            KerberosError::WrongPassword,
            KerberosError::PasswordExpired,
            KerberosError::ClientRevoked,
            KerberosError::UnknownUserPrincipal,
        ] {
            assert_eq!(e.attempt_outcome(), AttemptOutcome::PasswordRejected);
        }
        let spn = KerberosError::UnknownServicePrincipal {
            spn: "sip/fe.contoso.test".into(),
        };
        assert_eq!(
            spn.attempt_outcome(),
            AttemptOutcome::KerberosInfrastructure {
                cause: spn.to_string()
            }
        );
        for e in [
            KerberosError::ClockSkew,
            KerberosError::KdcUnreachable {
                kdcs: "k:88".into(),
            },
            KerberosError::ServiceWithoutAesKeys { etype: 23 },
        ] {
            assert!(matches!(
                e.attempt_outcome(),
                AttemptOutcome::KerberosInfrastructure { .. }
            ));
        }
    }

    #[test]
    fn error_mapping_and_server_guards() {
        assert!(matches!(
            AuthError::from(KerberosError::MicMismatch),
            AuthError::BadSignature
        ));
        let e = AuthError::from(KerberosError::ClockSkew);
        assert_eq!(e.kerberos(), Some(&KerberosError::ClockSkew));
        assert_eq!(
            e.to_string(),
            format!("Kerberos: {}", KerberosError::ClockSkew)
        );
        let mut s = KerberosServerContext::new(
            KerberosServer::new(Vec::new(), DEFAULT_SKEW),
            SystemTime::UNIX_EPOCH,
        );
        assert!(s.step(None).is_err());
        assert!(s.step(Some(b"garbage")).is_err());
        assert!(!s.is_established());
        let cfg = ClientConfig {
            spn: "sip/fe.contoso.test".into(),
            realm: "CONTOSO.TEST".into(),
            kdcs: vec!["kdc".parse().unwrap()],
        };
        let key = SessionKey::new(Enctype::Aes128CtsHmacSha196, vec![1; 16]).unwrap();
        let bad = AcquiredToken {
            gss_ap_req: vec![0x60, 1, 0],
            ticket_session_key: key,
        };
        assert!(KerberosContext::from_token(cfg.clone(), bad).is_err());
        assert_eq!(
            KerberosContext::new(KerberosClient::new(cfg).unwrap()).err(),
            Some(KerberosError::NotReady)
        );
    }
}
