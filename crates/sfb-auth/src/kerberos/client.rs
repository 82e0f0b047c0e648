//! Sans-IO Kerberos initiator for MS-SIPAE.
//!
//! The core never talks to a KDC: [`KerberosClient::start`] asks for a token with
//! [`Output::AcquireKerberosToken`]; the caller runs a driver (for example
//! [`super::driver::acquire_token`]) and feeds back [`Input::KerberosToken`].

use super::ap_req::{parse_gss_ap_req, subkey_and_seq};
use super::mic::{self, Direction};
use super::{KerberosError, SessionKey};

/// Default Kerberos port (RFC 4120 §7.2.3).
pub const KDC_PORT: u16 = 88;
/// Longest KDC list accepted.
const MAX_KDCS: usize = 16;

/// A KDC address, `HOST[:PORT]` (TCP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KdcAddress {
    /// Host name or IP literal (IPv6 in brackets when a port follows).
    pub host: String,
    /// Port (88 by default).
    pub port: u16,
}

impl std::str::FromStr for KdcAddress {
    type Err = KerberosError;

    /// Parse `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || KerberosError::InvalidPrincipal { name: s.to_owned() };
        if s.is_empty() || s.len() > 255 || s.chars().any(|c| c.is_whitespace() || c == '/') {
            return Err(bad());
        }
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (h, tail) = rest.split_once(']').ok_or_else(bad)?;
            match tail.strip_prefix(':') {
                Some(p) => (h, p.parse().map_err(|_| bad())?),
                None if tail.is_empty() => (h, KDC_PORT),
                None => return Err(bad()),
            }
        } else {
            match s.split_once(':') {
                Some((h, p)) if !p.contains(':') => (h, p.parse().map_err(|_| bad())?),
                Some(_) => (s, KDC_PORT),
                None => (s, KDC_PORT),
            }
        };
        if host.is_empty() || port == 0 {
            return Err(bad());
        }
        Ok(Self {
            host: host.to_owned(),
            port,
        })
    }
}

impl std::fmt::Display for KdcAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Client configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The service principal, `sip/<pool fqdn>` (the challenge's `targetname`).
    pub spn: String,
    /// The Kerberos realm, upper case (`CONTOSO.TEST`).
    pub realm: String,
    /// KDCs to try, in order.
    pub kdcs: Vec<KdcAddress>,
}

/// What the driver must obtain: a GSS-framed AP-REQ for `spn` (integrity only, no mutual auth).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// Service principal (`sip/<fqdn>`).
    pub spn: String,
    /// Realm.
    pub realm: String,
    /// KDCs to try.
    pub kdcs: Vec<KdcAddress>,
}

/// The driver's result. Debug redacts both fields (the AP-REQ carries the ticket).
#[derive(Clone)]
pub struct AcquiredToken {
    /// The GSS-framed AP-REQ (`60 82 ...`).
    pub gss_ap_req: Vec<u8>,
    /// The ticket session key from the TGS-REP (decrypts the authenticator, key usage 11).
    pub ticket_session_key: SessionKey,
}

impl std::fmt::Debug for AcquiredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcquiredToken")
            .field("gss_ap_req_len", &self.gss_ap_req.len())
            .field("ticket_session_key", &self.ticket_session_key)
            .finish()
    }
}

/// Effects requested by the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Obtain a service ticket and build the AP-REQ (network I/O happens in the driver).
    AcquireKerberosToken(TokenRequest),
}

/// Results fed back into the core.
#[derive(Debug)]
pub enum Input {
    /// The driver succeeded.
    KerberosToken(AcquiredToken),
}

/// Initiator state.
enum State {
    Idle,
    Waiting,
    Ready {
        gss_ap_req: Vec<u8>,
        subkey: SessionKey,
        send_seq: u64,
        ticket_etype: i64,
    },
}

/// The MS-SIPAE Kerberos initiator.
pub struct KerberosClient {
    config: ClientConfig,
    state: State,
}

impl std::fmt::Debug for KerberosClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = match self.state {
            State::Idle => "idle",
            State::Waiting => "waiting for token",
            State::Ready { .. } => "ready",
        };
        f.debug_struct("KerberosClient")
            .field("config", &self.config)
            .field("state", &st)
            .finish()
    }
}

impl KerberosClient {
    /// A client for `config`; validates the SPN and realm.
    pub fn new(config: ClientConfig) -> Result<Self, KerberosError> {
        let spn_ok = config
            .spn
            .split_once('/')
            .is_some_and(|(s, h)| !s.is_empty() && !h.is_empty() && !h.contains(['/', '@']));
        if !spn_ok || config.spn.len() > 255 {
            return Err(KerberosError::InvalidPrincipal { name: config.spn });
        }
        if config.realm.is_empty()
            || config.realm.len() > 255
            || config.realm.contains(['/', '@', ' '])
        {
            return Err(KerberosError::InvalidPrincipal { name: config.realm });
        }
        if config.kdcs.is_empty() || config.kdcs.len() > MAX_KDCS {
            return Err(KerberosError::KdcUnreachable {
                kdcs: format!("{} KDCs given", config.kdcs.len()),
            });
        }
        Ok(Self {
            config,
            state: State::Idle,
        })
    }

    /// Begin: ask the driver for a token.
    pub fn start(&mut self) -> Output {
        self.state = State::Waiting;
        Output::AcquireKerberosToken(TokenRequest {
            spn: self.config.spn.clone(),
            realm: self.config.realm.clone(),
            kdcs: self.config.kdcs.clone(),
        })
    }

    /// Feed the driver's result. RFC 4121 §2: recover our authenticator subkey and sequence
    /// number by decrypting our own authenticator (RFC 4120 §5.5.1, key usage 11).
    pub fn handle(&mut self, input: Input) -> Result<(), KerberosError> {
        if !matches!(self.state, State::Waiting) {
            return Err(KerberosError::UnexpectedInput {
                state: "not waiting for a token",
            });
        }
        let Input::KerberosToken(tok) = input;
        let req = parse_gss_ap_req(&tok.gss_ap_req)?;
        let (ticket_etype, _kvno) = req.ticket_etype()?;
        let mut auth = req.decrypt_authenticator(&tok.ticket_session_key)?;
        let (subkey, send_seq) = subkey_and_seq(&mut auth)?;
        self.state = State::Ready {
            gss_ap_req: tok.gss_ap_req,
            subkey,
            send_seq,
            ticket_etype,
        };
        Ok(())
    }

    /// Whether the context is established (after the AP-REQ; there is no AP-REP).
    pub fn is_ready(&self) -> bool {
        matches!(self.state, State::Ready { .. })
    }

    /// Diagnosis: [`KerberosError::ServiceWithoutAesKeys`] when the service ticket is not
    /// encrypted with an AES key (the `sip/` account has only RC4 keys). Our own signing still
    /// works (it uses the AES subkey), but servers with RC4-only accounts are a known cause of
    /// Kerberos sign-in failures, so callers should report it.
    pub fn ticket_diagnosis(&self) -> Result<(), KerberosError> {
        match &self.state {
            State::Ready { ticket_etype, .. } => match super::Enctype::from_number(*ticket_etype) {
                Ok(_) => Ok(()),
                Err(_) => Err(KerberosError::ServiceWithoutAesKeys {
                    etype: *ticket_etype,
                }),
            },
            _ => Err(KerberosError::NotReady),
        }
    }

    /// The GSS-framed AP-REQ for the `gssapi-data` parameter.
    pub fn gssapi_data(&self) -> Option<&[u8]> {
        match &self.state {
            State::Ready { gss_ap_req, .. } => Some(gss_ap_req),
            _ => None,
        }
    }

    /// RFC 4121 §4.2.6.1 GetMIC over the signature buffer: the `response` token.
    pub fn sign(&mut self, data: &[u8]) -> Result<Vec<u8>, KerberosError> {
        let State::Ready {
            subkey, send_seq, ..
        } = &mut self.state
        else {
            return Err(KerberosError::NotReady);
        };
        let tok = mic::get_mic(subkey, Direction::Initiator, *send_seq, data)?;
        *send_seq = send_seq.wrapping_add(1);
        Ok(tok)
    }

    /// RFC 4121 §4.2.6.1 VerifyMIC of a server (`rspauth`) token.
    pub fn verify(&mut self, data: &[u8], token: &[u8]) -> Result<(), KerberosError> {
        let State::Ready { subkey, .. } = &self.state else {
            return Err(KerberosError::NotReady);
        };
        mic::verify_mic(subkey, Direction::Acceptor, data, token).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ClientConfig {
        ClientConfig {
            spn: "sip/sip.contoso.test".into(),
            realm: "CONTOSO.TEST".into(),
            kdcs: vec!["kdc".parse().unwrap()],
        }
    }

    #[test]
    fn kdc_addresses() {
        assert_eq!("kdc.contoso.test".parse::<KdcAddress>().unwrap().port, 88);
        assert_eq!("127.0.0.1:18888".parse::<KdcAddress>().unwrap().port, 18888);
        let v6 = "[::1]:99".parse::<KdcAddress>().unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 99));
        assert_eq!(v6.to_string(), "[::1]:99");
        for bad in ["", ":88", "h:0", "h:x", "h:99999", "[::1", "tcp://h", "a b"] {
            assert!(bad.parse::<KdcAddress>().is_err(), "{bad}");
        }
    }

    #[test]
    fn state_machine() {
        let mut c = KerberosClient::new(cfg()).unwrap();
        assert_eq!(c.sign(b"x"), Err(KerberosError::NotReady));
        let Output::AcquireKerberosToken(req) = c.start();
        assert_eq!(req.spn, "sip/sip.contoso.test");
        let key = SessionKey::new(super::super::Enctype::Aes128CtsHmacSha196, vec![1; 16]).unwrap();
        let bad = Input::KerberosToken(AcquiredToken {
            gss_ap_req: vec![0x60, 0],
            ticket_session_key: key,
        });
        assert!(c.handle(bad).is_err());
        assert!(!c.is_ready());
        assert!(
            KerberosClient::new(ClientConfig {
                spn: "sip".into(),
                ..cfg()
            })
            .is_err()
        );
        assert!(
            KerberosClient::new(ClientConfig {
                kdcs: vec![],
                ..cfg()
            })
            .is_err()
        );
    }
}
