//! The connectionless NTLM server (for the emulated lab): CHALLENGE with a Windows-like target
//! info, AUTHENTICATE verification including the NTProofStr and the MIC, response signing.

use subtle::ConstantTimeEq;

use super::avpairs::{self, AvPairs};
use super::crypto::{self, Direction, utf16le};
use super::messages::{AuthenticateMessage, ChallengeMessage, MIC_OFFSET, utf16_units};
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
            flags: flags::CONNLESS | flags::TARGET_TYPE_DOMAIN,
            server_challenge: sc,
            target_name: utf16le(&c.nb_domain),
            target_info: av.encode(),
            av_pairs: av,
            version: None,
        }
        .encode();
        self.state = State::ChallengeSent(msg.clone(), sc);
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
        let missing = (flags::SIP_REQUIRED & !flags::TARGET_INFO) & !m.flags;
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
