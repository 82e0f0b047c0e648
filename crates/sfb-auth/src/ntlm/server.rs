//! The connectionless NTLM server (for the emulated lab): CHALLENGE with a Windows-like target
//! info, AUTHENTICATE verification including the NTProofStr and the MIC, response signing.

use subtle::ConstantTimeEq;

use super::avpairs::{self, AvPairs};
use super::crypto::{self, Direction, utf16le};
use super::messages::{
    AuthenticateMessage, ChallengeMessage, MAX_MESSAGE, MIC_OFFSET, SIGNATURE, utf16_units,
};
use super::{NtlmError, SessionKeys, flags};
use crate::AuthError;
use crate::context::{RandomSource, ServerContext, Step};
use crate::secret::{Key16, NtHash};

/// The server's names, as announced in the CHALLENGE target info.
#[derive(Debug, Clone)]
pub struct NtlmServerConfig {
    /// NetBIOS domain name (also the TargetName), e.g. `CONTOSO`.
    pub nb_domain: String,
    /// NetBIOS computer name, e.g. `FE01`.
    pub nb_computer: String,
    /// DNS domain name, e.g. `contoso.com`.
    pub dns_domain: String,
    /// DNS computer name, e.g. `fe01.contoso.com`.
    pub dns_computer: String,
}

struct StoredUser {
    user: String,
    domain: String,
    nt_hash: NtHash,
}

/// An in-memory credential store: user, domain and NT hash (zeroizing).
#[derive(Default)]
pub struct CredentialStore {
    users: Vec<StoredUser>,
}

impl std::fmt::Debug for CredentialStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialStore")
            .field("users", &self.users.len())
            .finish()
    }
}

impl CredentialStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a user with a password.
    pub fn add_password(&mut self, user: &str, domain: &str, password: &str) {
        self.add_nt_hash(user, domain, crypto::nt_hash(password));
    }

    /// Adds a user with an NT hash.
    pub fn add_nt_hash(&mut self, user: &str, domain: &str, nt_hash: NtHash) {
        self.users.push(StoredUser {
            user: user.to_owned(),
            domain: domain.to_owned(),
            nt_hash,
        });
    }

    /// Finds a user: `user` matches case-insensitively, and the domain matches or the client sent
    /// an empty domain (UPN login `user@suffix`, stored as the user name).
    fn find(&self, user: &str, domain: &str) -> Option<&NtHash> {
        self.users
            .iter()
            .find(|u| {
                u.user.eq_ignore_ascii_case(user)
                    && (domain.is_empty() || u.domain.eq_ignore_ascii_case(domain))
            })
            .map(|u| &u.nt_hash)
    }
}

enum State {
    Initial,
    ChallengeSent(Vec<u8>, [u8; 8]),
    Established(SessionKeys, String),
    Failed,
}

/// The NTLM server context for one client.
pub struct NtlmServer {
    config: NtlmServerConfig,
    store: std::sync::Arc<CredentialStore>,
    rng: Box<dyn RandomSource>,
    now_filetime: u64,
    /// Set when the client opened with a NEGOTIATE (connection-oriented NTLM, e.g. HTTP).
    connection_oriented: bool,
    state: State,
}

impl std::fmt::Debug for NtlmServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NtlmServer")
            .field("config", &self.config)
            .field("established", &self.is_established())
            .finish_non_exhaustive()
    }
}

impl NtlmServer {
    /// Creates a server context. `now_filetime` goes into MsvAvTimestamp.
    pub fn new(
        config: NtlmServerConfig,
        store: std::sync::Arc<CredentialStore>,
        rng: Box<dyn RandomSource>,
        now_filetime: u64,
    ) -> Self {
        Self {
            config,
            store,
            rng,
            now_filetime,
            connection_oriented: false,
            state: State::Initial,
        }
    }

    /// Resumes a server context after a CHALLENGE that was already sent (replay of a
    /// recorded exchange, or a lab that keeps only the bytes between transactions).
    pub fn resume(
        config: NtlmServerConfig,
        store: std::sync::Arc<CredentialStore>,
        rng: Box<dyn RandomSource>,
        sent_challenge: &[u8],
    ) -> Result<Self, NtlmError> {
        let c = ChallengeMessage::parse(sent_challenge)?;
        let now_filetime = c.av_pairs.timestamp().unwrap_or(0);
        Ok(Self {
            config,
            store,
            rng,
            now_filetime,
            connection_oriented: false,
            state: State::ChallengeSent(sent_challenge.to_vec(), c.server_challenge),
        })
    }

    /// The authenticated `DOMAIN\user` (or UPN), once established.
    pub fn authenticated_user(&self) -> Option<&str> {
        match &self.state {
            State::Established(_, u) => Some(u),
            _ => None,
        }
    }

    /// [MS-NLMP] 3.2.5.1.1: the CHALLENGE.
    fn challenge(&mut self) -> Vec<u8> {
        self.challenge_with(flags::CONNLESS | flags::TARGET_TYPE_DOMAIN, &[])
    }

    /// [MS-NLMP] 3.2.5.1.1, connection-oriented: answers a NEGOTIATE (as HTTP NTLM, RFC 4559,
    /// opens) with a CHALLENGE whose flags are the client's, cut to what this server supports.
    /// The NEGOTIATE is kept: the MIC covers NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE.
    fn challenge_for_negotiate(&mut self, negotiate: &[u8]) -> Result<Vec<u8>, NtlmError> {
        if negotiate.len() > MAX_MESSAGE {
            return Err(NtlmError::TooLong);
        }
        let head = negotiate.get(..16).ok_or(NtlmError::Truncated)?;
        if head.get(..8) != Some(SIGNATURE.as_slice()) {
            return Err(NtlmError::BadSignature);
        }
        let word = |at: usize| {
            head.get(at..at + 4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_le_bytes)
                .unwrap_or(0)
        };
        if word(8) != 1 {
            return Err(NtlmError::WrongMessageType {
                expected: 1,
                found: word(8),
            });
        }
        let supported = flags::CONN | flags::SIGN | flags::SEAL | flags::KEY_EXCH;
        let offered = word(12) & supported;
        let f = offered | flags::COMMON_MIN | flags::TARGET_TYPE_DOMAIN;
        self.connection_oriented = true;
        Ok(self.challenge_with(f, negotiate))
    }

    fn challenge_with(&mut self, negotiate_flags: u32, negotiate: &[u8]) -> Vec<u8> {
        let mut sc = [0u8; 8];
        self.rng.fill(&mut sc);
        let c = &self.config;
        let mut av = AvPairs::default();
        av.set(avpairs::AV_NB_DOMAIN, utf16le(&c.nb_domain));
        av.set(avpairs::AV_NB_COMPUTER, utf16le(&c.nb_computer));
        av.set(avpairs::AV_DNS_DOMAIN, utf16le(&c.dns_domain));
        av.set(avpairs::AV_DNS_COMPUTER, utf16le(&c.dns_computer));
        av.set(avpairs::AV_DNS_TREE, utf16le(&c.dns_domain));
        av.set(
            avpairs::AV_TIMESTAMP,
            self.now_filetime.to_le_bytes().to_vec(),
        );
        let msg = ChallengeMessage {
            flags: negotiate_flags,
            server_challenge: sc,
            target_name: utf16le(&c.nb_domain),
            target_info: av.encode(),
            av_pairs: av,
            version: None,
        }
        .encode();
        // The MIC input starts with the NEGOTIATE when there was one.
        let mut mic_prefix = negotiate.to_vec();
        mic_prefix.extend_from_slice(&msg);
        self.state = State::ChallengeSent(mic_prefix, sc);
        msg
    }

    /// [MS-NLMP] 3.2.5.1.2: verifies AUTHENTICATE (NTProofStr, then MIC) and derives keys.
    fn verify_authenticate(
        &self,
        chal: &[u8],
        sc: &[u8; 8],
        b: &[u8],
    ) -> Result<(SessionKeys, String), NtlmError> {
        let m = AuthenticateMessage::parse(b)?;
        let required = if self.connection_oriented {
            flags::UNICODE | flags::NTLM
        } else {
            flags::SIP_REQUIRED & !flags::TARGET_INFO
        };
        let missing = required & !m.flags;
        if missing != 0 {
            return Err(NtlmError::IncompatibleFlags { missing });
        }
        if m.nt_response.len() < 16 + 28 + 4 {
            return Err(NtlmError::NotNtlmV2);
        }
        let user = String::from_utf16_lossy(&utf16_units(&m.user));
        let domain = String::from_utf16_lossy(&utf16_units(&m.domain));
        let nt = self
            .store
            .find(&user, &domain)
            .ok_or(NtlmError::UnknownUser)?;
        let rk = crypto::ntowfv2(nt, &user, &domain);
        let (proof, temp) = m.nt_response.split_at(16);
        let expected = crypto::nt_proof_str(&rk, sc, temp);
        if !bool::from(expected.ct_eq(proof)) {
            return Err(NtlmError::WrongPassword);
        }
        let sbk = crypto::session_base_key(&rk, &expected);
        let esk = if m.flags & flags::KEY_EXCH != 0 {
            let enc: [u8; 16] = m
                .encrypted_session_key
                .as_slice()
                .try_into()
                .map_err(|_| NtlmError::BadSessionKey)?;
            crypto::rc4k(&sbk, &enc)
        } else {
            sbk
        };
        if let Some(mic) = m.mic {
            let mut zeroed = b.to_vec();
            zeroed[MIC_OFFSET..MIC_OFFSET + 16].fill(0);
            let want = crypto::hmac_md5(esk.expose(), &[chal, &zeroed]);
            if !bool::from(want.ct_eq(&mic)) {
                return Err(NtlmError::MicMismatch);
            }
        }
        let name = if domain.is_empty() {
            user
        } else {
            format!("{domain}\\{user}")
        };
        Ok((
            SessionKeys::derive(&Key16::new(*esk.expose()), m.flags),
            name,
        ))
    }
}

impl ServerContext for NtlmServer {
    fn step(&mut self, client_token: Option<&[u8]>) -> Result<Step, AuthError> {
        let token = client_token.filter(|t| !t.is_empty());
        match (&self.state, token) {
            (State::Initial, None) => Ok(Step::Continue(self.challenge())),
            (State::Initial, Some(t)) if t.starts_with(SIGNATURE) => {
                Ok(Step::Continue(self.challenge_for_negotiate(t)?))
            }
            (State::Initial, Some(_)) => {
                Err(NtlmError::UnexpectedToken { state: "initial" }.into())
            }
            (State::ChallengeSent(..), None) => Err(NtlmError::UnexpectedToken {
                state: "challenge sent, got none",
            }
            .into()),
            (State::ChallengeSent(chal, sc), Some(t)) => {
                match self.verify_authenticate(chal, sc, t) {
                    Ok((keys, user)) => {
                        self.state = State::Established(keys, user);
                        Ok(Step::Done(None))
                    }
                    Err(e) => {
                        self.state = State::Failed;
                        Err(e.into())
                    }
                }
            }
            (State::Established(..), _) => Err(AuthError::AlreadyEstablished),
            (State::Failed, _) => Err(NtlmError::UnexpectedToken { state: "failed" }.into()),
        }
    }

    fn sign(&mut self, buf: &[u8]) -> Result<Vec<u8>, AuthError> {
        match &self.state {
            State::Established(k, _) => Ok(k.mac(Direction::ServerToClient, buf).to_vec()),
            _ => Err(AuthError::NotEstablished { operation: "sign" }),
        }
    }

    fn verify(&mut self, buf: &[u8], sig: &[u8]) -> Result<(), AuthError> {
        match &self.state {
            State::Established(k, _) => k.verify(Direction::ClientToServer, buf, sig),
            _ => Err(AuthError::NotEstablished {
                operation: "verify",
            }),
        }
    }

    fn is_established(&self) -> bool {
        matches!(self.state, State::Established(..))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> NtlmServer {
        let config = NtlmServerConfig {
            nb_domain: "CONTOSO".into(),
            nb_computer: "FE01".into(),
            dns_domain: "contoso.com".into(),
            dns_computer: "fe01.contoso.com".into(),
        };
        let rng = |b: &mut [u8]| b.fill(0x11);
        NtlmServer::new(config, Default::default(), Box::new(rng), 1)
    }

    fn negotiate(kind: u32, flags: u32) -> Vec<u8> {
        let mut m = SIGNATURE.to_vec();
        m.extend_from_slice(&kind.to_le_bytes());
        m.extend_from_slice(&flags.to_le_bytes());
        m.extend_from_slice(&[0; 16]);
        m
    }

    /// Connection-oriented NTLM (HTTP, RFC 4559): a NEGOTIATE first gets a CHALLENGE without
    /// the DATAGRAM flag, echoing the supported client flags; the MIC input keeps the NEGOTIATE.
    #[test]
    fn negotiate_first_is_connection_oriented() {
        let mut s = server();
        let neg = negotiate(1, flags::CONN | flags::SIGN | flags::SEAL | 0x0000_0100);
        let Ok(Step::Continue(chal)) = s.step(Some(&neg)) else {
            panic!("no challenge");
        };
        let c = ChallengeMessage::parse(&chal).unwrap();
        assert_eq!(c.flags & flags::DATAGRAM, 0);
        assert_ne!(c.flags & flags::SEAL, 0);
        assert_eq!(c.flags & 0x0000_0100, 0, "unsupported flags are not echoed");
        assert_eq!(c.server_challenge, [0x11; 8]);
        let State::ChallengeSent(mic_input, _) = &s.state else {
            panic!("state")
        };
        assert!(mic_input.starts_with(&neg) && mic_input.ends_with(&chal));
        // The connectionless opening is unchanged.
        let Ok(Step::Continue(chal)) = server().step(None) else {
            panic!("no challenge");
        };
        let c = ChallengeMessage::parse(&chal).unwrap();
        assert_ne!(c.flags & flags::DATAGRAM, 0);
    }

    #[test]
    fn bad_negotiate_is_refused() {
        assert!(server().step(Some(&negotiate(3, 0))).is_err());
        assert!(server().step(Some(&SIGNATURE[..])).is_err());
        assert!(server().step(Some(b"garbage")).is_err());
        let mut long = negotiate(1, 0);
        long.resize(MAX_MESSAGE + 1, 0);
        assert!(server().step(Some(&long)).is_err());
    }
}
