//! The mechanism abstraction: every MS-SIPAE scheme (NTLM, Kerberos, TLS-DSK) implements
//! [`SecurityContext`] (client) and [`ServerContext`] (server).

use crate::AuthError;

/// The result of one handshake step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send this token (possibly empty, which is significant for connectionless NTLM) and
    /// expect another one from the peer.
    Continue(Vec<u8>),
    /// The context is established; send the token if there is one.
    Done(Option<Vec<u8>>),
}

/// The client half of a mechanism, driven by [`crate::sipae::SecurityAssociation`].
///
/// Sans-IO: no clock and no randomness of its own; both are injected at construction.
pub trait SecurityContext: Send {
    /// Consumes the server token (`None` for the first step) and returns the next token.
    fn step(&mut self, server_token: Option<&[u8]>) -> Result<Step, AuthError>;
    /// Signs an MS-SIPAE signature buffer with the client-to-server key.
    fn sign(&mut self, buf: &[u8]) -> Result<Vec<u8>, AuthError>;
    /// Verifies a server signature over a buffer.
    fn verify(&mut self, buf: &[u8], sig: &[u8]) -> Result<(), AuthError>;
    /// True once [`SecurityContext::step`] returned [`Step::Done`].
    fn is_established(&self) -> bool;
}

/// The server half of a mechanism (used by the emulated lab).
pub trait ServerContext: Send {
    /// Consumes a client token (`None` or empty for the opening step of connectionless NTLM)
    /// and returns the next server token.
    fn step(&mut self, client_token: Option<&[u8]>) -> Result<Step, AuthError>;
    /// Signs a buffer with the server-to-client key (`rspauth`).
    fn sign(&mut self, buf: &[u8]) -> Result<Vec<u8>, AuthError>;
    /// Verifies a client signature (`response`).
    fn verify(&mut self, buf: &[u8], sig: &[u8]) -> Result<(), AuthError>;
    /// True once the client is authenticated.
    fn is_established(&self) -> bool;
}

/// Injected randomness (crand, NTLM client challenge, session keys, server challenges).
pub trait RandomSource: Send {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]);
}

impl<F: FnMut(&mut [u8]) + Send> RandomSource for F {
    fn fill(&mut self, buf: &mut [u8]) {
        self(buf)
    }
}
