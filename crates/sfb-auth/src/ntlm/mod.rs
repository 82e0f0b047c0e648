//! Connectionless NTLM for MS-SIPAE: client and server, NTLMv2 with KEY_EXCH, the datagram MAC
//! (sequence number 100, per-message RC4 key). Own code on RustCrypto primitives, because
//! `sspi` cannot run connectionless NTLM (see `deps-and-peers.md` §0).
//!
//! Not done here: NTLMv1 responses, sealing, and a client/server mode without extended session
//! security (only the no-ESS MAC primitive [`crypto::mac_without_ess`] exists, checked against
//! the OCS 2007 vector).

pub mod avpairs;
mod client;
pub mod crypto;
pub mod flags;
pub mod messages;
mod server;

pub use client::{NtlmClient, NtlmClientConfig, NtlmProfile};
pub use server::{CredentialStore, NtlmServer, NtlmServerConfig};

use crate::secret::Key16;
use crypto::Direction;

/// A failure of the NTLM layer. Display strings name the fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NtlmError {
    /// The message ends before a fixed field.
    #[error("ntlm message truncated")]
    Truncated,
    /// The message is larger than the limit.
    #[error("ntlm message longer than {} bytes", messages::MAX_MESSAGE)]
    TooLong,
    /// No `NTLMSSP\0` signature.
    #[error("missing NTLMSSP signature")]
    BadSignature,
    /// Another message type than expected.
    #[error("expected ntlm message type {expected}, found {found}")]
    WrongMessageType {
        /// Expected type.
        expected: u32,
        /// Found type.
        found: u32,
    },
    /// A payload field lies (partly) outside the message.
    #[error("ntlm field {field} lies outside the message")]
    FieldOutOfRange {
        /// Field name from [MS-NLMP].
        field: &'static str,
    },
    /// A payload field points into the fixed header.
    #[error("ntlm field {field} overlaps the fixed header")]
    FieldInHeader {
        /// Field name.
        field: &'static str,
    },
    /// Two payload fields overlap.
    #[error("ntlm fields {first} and {second} overlap")]
    FieldsOverlap {
        /// First field.
        first: &'static str,
        /// Second field.
        second: &'static str,
    },
    /// An AV_PAIR list is truncated or lacks MsvAvEOL.
    #[error("ntlm target info truncated or without MsvAvEOL")]
    AvPairTruncated,
    /// An AV_PAIR list is too long.
    #[error("ntlm target info has more than {} pairs", avpairs::MAX_AV_PAIRS)]
    TooManyAvPairs,
    /// The peer lacks flags that SIP requires.
    #[error("incompatible ntlm negotiate flags: missing {missing:#010x}")]
    IncompatibleFlags {
        /// The missing bits.
        missing: u32,
    },
    /// The NT response is not an NTLMv2 response.
    #[error("nt response is not an ntlmv2 response")]
    NotNtlmV2,
    /// The user is unknown to the server.
    #[error("unknown user")]
    UnknownUser,
    /// The NTProofStr does not match: wrong password.
    #[error("wrong password (ntproofstr mismatch)")]
    WrongPassword,
    /// The MIC does not match.
    #[error("authenticate message MIC mismatch")]
    MicMismatch,
    /// The encrypted session key is not 16 bytes.
    #[error("encrypted session key is not 16 bytes")]
    BadSessionKey,
    /// A signature is not 16 bytes.
    #[error("ntlm signature is not 16 bytes")]
    BadSignatureLength,
    /// A message arrived in the wrong state.
    #[error("unexpected ntlm token in state {state}")]
    UnexpectedToken {
        /// The state.
        state: &'static str,
    },
}

/// Signing and sealing keys of an established NTLM context, both directions.
#[derive(Clone)]
pub(crate) struct SessionKeys {
    key_exch: bool,
    c2s_sign: Key16,
    c2s_seal: Key16,
    s2c_sign: Key16,
    s2c_seal: Key16,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys(..)")
    }
}

impl SessionKeys {
    /// [MS-NLMP] 3.4.5.2 and 3.4.5.3.
    pub(crate) fn derive(esk: &Key16, negotiated: u32) -> Self {
        Self {
            key_exch: negotiated & flags::KEY_EXCH != 0,
            c2s_sign: crypto::sign_key(esk, Direction::ClientToServer),
            c2s_seal: crypto::seal_key(esk, negotiated, Direction::ClientToServer),
            s2c_sign: crypto::sign_key(esk, Direction::ServerToClient),
            s2c_seal: crypto::seal_key(esk, negotiated, Direction::ServerToClient),
        }
    }

    pub(crate) fn mac(&self, dir: Direction, msg: &[u8]) -> [u8; 16] {
        let (s, k) = match dir {
            Direction::ClientToServer => (&self.c2s_sign, &self.c2s_seal),
            Direction::ServerToClient => (&self.s2c_sign, &self.s2c_seal),
        };
        crypto::mac_datagram(s, k, self.key_exch, crypto::SIP_SEQ_NUM, msg)
    }

    pub(crate) fn verify(
        &self,
        dir: Direction,
        msg: &[u8],
        sig: &[u8],
    ) -> Result<(), crate::AuthError> {
        use subtle::ConstantTimeEq;
        if sig.len() != 16 {
            return Err(NtlmError::BadSignatureLength.into());
        }
        if bool::from(self.mac(dir, msg).ct_eq(sig)) {
            Ok(())
        } else {
            Err(crate::AuthError::BadSignature)
        }
    }
}
