//! The connectionless NTLM client ([MS-NLMP] 3.1.5.2 connectionless, MS-SIPAE 3.2.5.1):
//! no NEGOTIATE, an empty first token, then AUTHENTICATE in answer to CHALLENGE.

use super::avpairs::{AV_FLAG_MIC, AV_FLAGS};
use super::crypto::{self, Direction, utf16le};
use super::messages::{AuthenticateMessage, ChallengeMessage, MIC_OFFSET};
use super::{NtlmError, SessionKeys, flags};
use crate::AuthError;
use crate::context::{RandomSource, SecurityContext, Step};
use crate::secret::{Credential, Key16};

/// Which real client the AUTHENTICATE message imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NtlmProfile {
    /// Office Communicator 2007 R2: LMv2 response, the client's own timestamp, no MIC.
    /// Reproduces the captured exchange byte for byte with injected randomness.
    Oc2007R2,
    /// Windows ([MS-NLMP] 3.1.5.2.1, the connectionless rules SIP uses): with target info in
    /// the CHALLENGE no LM response at all (LmChallengeResponseLen and MaxLen zero: "SHOULD NOT
    /// send the LmChallengeResponse field"), the server's MsvAvTimestamp, MsvAvFlags 0x2 and a
    /// MIC over CHALLENGE ‖ AUTHENTICATE. (Z(24) is the connection-oriented rule of 3.1.5.1.2,
    /// which HTTP NTLM follows, not this one.)
    Windows,
}

/// Client configuration.
#[derive(Debug, Clone)]
pub struct NtlmClientConfig {
    /// The credential.
    pub credential: Credential,
    /// Workstation name sent in AUTHENTICATE.
    pub workstation: String,
    /// Message profile.
    pub profile: NtlmProfile,
    /// The Version field (8 bytes).
    pub version: [u8; 8],
}

enum State {
    Initial,
    AwaitChallenge,
    Established(SessionKeys),
    Failed,
}

/// The NTLM client context. Randomness (client challenge first, then the random session key)
/// and the current time (FILETIME) are injected.
pub struct NtlmClient {
    config: NtlmClientConfig,
    rng: Box<dyn RandomSource>,
    now_filetime: u64,
    state: State,
}

impl std::fmt::Debug for NtlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NtlmClient")
            .field("user", &self.config.credential.user)
            .field("domain", &self.config.credential.domain)
            .field("profile", &self.config.profile)
            .field("established", &self.is_established())
            .finish_non_exhaustive()
    }
}

impl NtlmClient {
    /// Creates a client. `now_filetime` is 100 ns ticks since 1601-01-01 UTC.
    pub fn new(config: NtlmClientConfig, rng: Box<dyn RandomSource>, now_filetime: u64) -> Self {
        Self {
            config,
            rng,
            now_filetime,
            state: State::Initial,
        }
    }

    /// Builds the AUTHENTICATE message for a CHALLENGE ([MS-NLMP] 3.1.5.1.2, 3.3.2).
    fn authenticate(
        &mut self,
        challenge_bytes: &[u8],
    ) -> Result<(Vec<u8>, SessionKeys), NtlmError> {
        let ch = ChallengeMessage::parse(challenge_bytes)?;
        let missing = flags::SIP_REQUIRED & !ch.flags;
        if missing != 0 {
            return Err(NtlmError::IncompatibleFlags { missing });
        }
        let mut negotiated = (ch.flags & flags::CONNLESS) | flags::REQUEST_TARGET;
        if negotiated & flags::NEGOTIATE_128 != 0 {
            negotiated &= !flags::NEGOTIATE_56;
        }
        let mut cc = [0u8; 8];
        self.rng.fill(&mut cc);
        let mut random_key = zeroize::Zeroizing::new([0u8; 16]);
        self.rng.fill(&mut *random_key);

        let windows = self.config.profile == NtlmProfile::Windows;
        let server_time = ch.av_pairs.timestamp();
        let (timestamp, target_info) = if windows {
            let mut av = ch.av_pairs.clone();
            let f = av.flags().unwrap_or(0) | AV_FLAG_MIC;
            av.set(AV_FLAGS, f.to_le_bytes().to_vec());
            (server_time.unwrap_or(self.now_filetime), av.encode())
        } else {
            (self.now_filetime, ch.target_info.clone())
        };
        let cred = &self.config.credential;
        let rk = crypto::ntowfv2(&cred.secret.nt_hash(), &cred.user, &cred.domain);
        let temp = crypto::ntlmv2_temp(timestamp, &cc, &target_info);
        let proof = crypto::nt_proof_str(&rk, &ch.server_challenge, &temp);
        let lm = if windows && !ch.target_info.is_empty() {
            Vec::new()
        } else {
            crypto::lmv2_response(&rk, &ch.server_challenge, &cc).to_vec()
        };
        let sbk = crypto::session_base_key(&rk, &proof);
        let esk = Key16::new(*random_key);
        let encrypted = crypto::rc4k(&sbk, esk.expose());
        let mut nt = proof.to_vec();
        nt.extend_from_slice(&temp);
        let mut msg = AuthenticateMessage {
            lm_response: lm,
            nt_response: nt,
            domain: utf16le(&cred.domain),
            user: utf16le(&cred.user),
            workstation: utf16le(&self.config.workstation),
            encrypted_session_key: encrypted.expose().to_vec(),
            flags: negotiated,
            version: self.config.version,
            mic: windows.then_some([0u8; 16]),
        };
        let mut bytes = msg.encode();
        if windows {
            // [MS-NLMP] 3.1.5.1.2: MIC = HMAC_MD5(ExportedSessionKey, CHALLENGE ‖ AUTHENTICATE)
            // (no NEGOTIATE in connectionless mode).
            let mic = crypto::hmac_md5(esk.expose(), &[challenge_bytes, &bytes]);
            msg.mic = Some(mic);
            bytes[MIC_OFFSET..MIC_OFFSET + 16].copy_from_slice(&mic);
        }
        Ok((bytes, SessionKeys::derive(&esk, negotiated)))
    }
}

impl SecurityContext for NtlmClient {
    fn step(&mut self, server_token: Option<&[u8]>) -> Result<Step, AuthError> {
        match (&self.state, server_token) {
            (State::Initial, _) => {
                self.state = State::AwaitChallenge;
                Ok(Step::Continue(Vec::new()))
            }
            (State::AwaitChallenge, Some(t)) if !t.is_empty() => match self.authenticate(t) {
                Ok((msg, keys)) => {
                    self.state = State::Established(keys);
                    Ok(Step::Done(Some(msg)))
                }
                Err(e) => {
                    self.state = State::Failed;
                    Err(e.into())
                }
            },
            (State::AwaitChallenge, _) => Err(NtlmError::UnexpectedToken {
                state: "awaiting challenge, got none",
            }
            .into()),
            (State::Established(_), _) => Err(AuthError::AlreadyEstablished),
            (State::Failed, _) => Err(NtlmError::UnexpectedToken { state: "failed" }.into()),
        }
    }

    fn sign(&mut self, buf: &[u8]) -> Result<Vec<u8>, AuthError> {
        match &self.state {
            State::Established(k) => Ok(k.mac(Direction::ClientToServer, buf).to_vec()),
            _ => Err(AuthError::NotEstablished { operation: "sign" }),
        }
    }

    fn verify(&mut self, buf: &[u8], sig: &[u8]) -> Result<(), AuthError> {
        match &self.state {
            State::Established(k) => k.verify(Direction::ServerToClient, buf, sig),
            _ => Err(AuthError::NotEstablished {
                operation: "verify",
            }),
        }
    }

    fn is_established(&self) -> bool {
        matches!(self.state, State::Established(_))
    }
}
