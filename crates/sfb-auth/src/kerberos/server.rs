//! Sans-IO Kerberos acceptor for MS-SIPAE (used by the lab registrar).
//!
//! RFC 4120 §3.2.3: decrypt the ticket with the service key, decrypt the authenticator with the
//! ticket session key, check the client names and the clock skew. RFC 4121 §2: the initiator's
//! authenticator subkey becomes the per-message key (there is no AP-REP, so no acceptor subkey).

use std::time::{Duration, SystemTime};

use zeroize::Zeroize;

use super::ap_req::{gss_flags, int, parse_gss_ap_req, principal, subkey_and_seq};
use super::keytab::Keytab;
use super::mic::{self, Direction};
use super::time::{system_seconds, unix_seconds, within};
use super::{Enctype, KerberosError, SessionKey};

/// RFC 4120 §1.5.2 default acceptable clock skew.
pub const DEFAULT_SKEW: Duration = Duration::from_secs(300);

/// A long-term key of the `sip/<pool>` service principal.
#[derive(Debug, Clone)]
pub struct ServiceKey {
    /// Principal without realm (`sip/sip.contoso.test`), or `None` to match any ticket.
    pub principal: Option<String>,
    /// Key version number, or `None` to match any.
    pub kvno: Option<u32>,
    /// The key (Debug redacts it).
    pub key: SessionKey,
}

impl ServiceKey {
    /// The AES keys of `principal` in `keytab` (other enctypes are skipped).
    pub fn from_keytab(keytab: &Keytab, principal: &str) -> Vec<Self> {
        keytab
            .entries
            .iter()
            .filter(|e| e.principal.eq_ignore_ascii_case(principal))
            .filter_map(|e| {
                let enctype = Enctype::from_number(e.enctype).ok()?;
                let key = SessionKey::new(enctype, e.key.to_vec()).ok()?;
                Some(Self {
                    principal: Some(e.principal.clone()),
                    kvno: Some(e.kvno),
                    key,
                })
            })
            .collect()
    }
}

/// What the server learnt from an accepted AP-REQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedContext {
    /// The client principal, `alice@CONTOSO.TEST`.
    pub client: String,
    /// The initiator's initial sequence number from the authenticator.
    pub initiator_seq: u64,
    /// RFC 4121 §4.1.1.1 context flags from the authenticator checksum (`None` if absent).
    /// MS-SIPAE clients ask for integrity only: [`GSS_C_MUTUAL_FLAG`] is not expected.
    pub gss_flags: Option<u32>,
}

/// RFC 2744 / RFC 4121 §4.1.1.1: GSS_C_MUTUAL_FLAG.
pub const GSS_C_MUTUAL_FLAG: u32 = 2;
/// RFC 2744 / RFC 4121 §4.1.1.1: GSS_C_INTEG_FLAG.
pub const GSS_C_INTEG_FLAG: u32 = 32;

/// Established acceptor state.
struct Established {
    subkey: SessionKey,
    send_seq: u64,
}

/// The acceptor context.
pub struct KerberosServer {
    keys: Vec<ServiceKey>,
    skew: Duration,
    state: Option<Established>,
}

impl std::fmt::Debug for KerberosServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KerberosServer")
            .field("keys", &self.keys.len())
            .field("skew", &self.skew)
            .field("established", &self.state.is_some())
            .finish()
    }
}

impl KerberosServer {
    /// An acceptor holding `keys`, allowing `skew` between the client's clock and `now`.
    pub fn new(keys: Vec<ServiceKey>, skew: Duration) -> Self {
        Self {
            keys,
            skew,
            state: None,
        }
    }

    /// Whether an AP-REQ has been accepted.
    pub fn is_established(&self) -> bool {
        self.state.is_some()
    }

    /// RFC 4120 §3.2.3: accept the GSS-framed AP-REQ from `gssapi-data` at time `now`.
    pub fn accept(
        &mut self,
        gss_token: &[u8],
        now: SystemTime,
    ) -> Result<AcceptedContext, KerberosError> {
        let req = parse_gss_ap_req(gss_token)?;
        let (etype, kvno) = req.ticket_etype()?;
        let (sname, _srealm) = req.ticket_sname();
        let enctype = Enctype::from_number(etype)
            .map_err(|_| KerberosError::ServiceWithoutAesKeys { etype })?;
        let mut candidates = self.keys.iter().filter(|k| {
            k.key.enctype() == enctype
                && k.principal
                    .as_deref()
                    .is_none_or(|p| p.eq_ignore_ascii_case(&sname))
                && match (k.kvno, kvno) {
                    (Some(a), Some(b)) => i64::from(a) == b,
                    _ => true,
                }
        });
        let service_key = match candidates.next() {
            Some(k) => k,
            None if self.keys.iter().any(|k| {
                k.principal
                    .as_deref()
                    .is_some_and(|p| !p.eq_ignore_ascii_case(&sname))
            }) && !self.keys.iter().any(|k| {
                k.principal
                    .as_deref()
                    .is_some_and(|p| p.eq_ignore_ascii_case(&sname))
            }) =>
            {
                return Err(KerberosError::WrongService);
            }
            None => return Err(KerberosError::NoServiceKey { etype, kvno }),
        };
        let mut ticket = req.decrypt_ticket(&service_key.key)?;
        let session_key = SessionKey::new(
            Enctype::from_number(int(&ticket.0.key.0.key_type.0.0)?)?,
            ticket.0.key.0.key_value.0.0.clone(),
        );
        ticket.0.key.0.key_value.0.0.zeroize();
        let session_key = session_key?;
        let t = &ticket.0;
        let now_s = system_seconds(now);
        let mut auth = req.decrypt_authenticator(&session_key)?;
        let (subkey, seq) = subkey_and_seq(&mut auth)?;
        let flags = gss_flags(&auth)?;
        let a = &auth.0;
        if a.cname.0 != t.cname.0 || a.crealm.0 != t.crealm.0 {
            return Err(KerberosError::ClientMismatch);
        }
        if !within(unix_seconds(&a.ctime.0), now_s, self.skew) {
            return Err(KerberosError::ClockSkew);
        }
        let start = t
            .starttime
            .0
            .as_ref()
            .map_or_else(|| unix_seconds(&t.auth_time.0), |s| unix_seconds(&s.0));
        let end = unix_seconds(&t.endtime.0);
        let skew = i64::try_from(self.skew.as_secs()).unwrap_or(i64::MAX);
        if now_s.saturating_add(skew) < start || now_s.saturating_sub(skew) > end {
            return Err(KerberosError::TicketExpired);
        }
        let client = format!(
            "{}@{}",
            principal(&t.cname.0),
            String::from_utf8_lossy(t.crealm.0.0.as_bytes())
        );
        // Without an AP-REP the acceptor's sequence number is not negotiated; MIT uses the
        // initiator's, and MS-SIPAE does not check it.
        self.state = Some(Established {
            subkey,
            send_seq: seq,
        });
        Ok(AcceptedContext {
            client,
            initiator_seq: seq,
            gss_flags: flags,
        })
    }

    /// The enctype of the initiator's subkey (the per-message key), once established.
    pub fn subkey_enctype(&self) -> Option<Enctype> {
        self.state.as_ref().map(|s| s.subkey.enctype())
    }

    /// RFC 4121 §4.2.6.1 GetMIC with the SentByAcceptor flag: the `rspauth` token.
    pub fn sign(&mut self, data: &[u8]) -> Result<Vec<u8>, KerberosError> {
        let st = self.state.as_mut().ok_or(KerberosError::NotReady)?;
        let tok = mic::get_mic(&st.subkey, Direction::Acceptor, st.send_seq, data)?;
        st.send_seq = st.send_seq.wrapping_add(1);
        Ok(tok)
    }

    /// RFC 4121 §4.2.6.1 VerifyMIC of a client (`response`) token; SND_SEQ is not checked for order.
    pub fn verify(&mut self, data: &[u8], token: &[u8]) -> Result<(), KerberosError> {
        let st = self.state.as_ref().ok_or(KerberosError::NotReady)?;
        mic::verify_mic(&st.subkey, Direction::Initiator, data, token).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_ready_and_garbage() {
        let mut s = KerberosServer::new(Vec::new(), DEFAULT_SKEW);
        assert_eq!(s.sign(b"x"), Err(KerberosError::NotReady));
        assert_eq!(s.verify(b"x", &[0; 28]), Err(KerberosError::NotReady));
        assert!(s.accept(b"garbage", SystemTime::UNIX_EPOCH).is_err());
        assert!(!s.is_established());
        assert!(!format!("{s:?}").is_empty());
    }
}
