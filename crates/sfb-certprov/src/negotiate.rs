//! HTTP `Negotiate` with Kerberos (RFC 4559) for the WebTicket service
//! ([MS-OCAUTHWS] 3.1.4.1: the `WebTicketServiceWinNegotiate` port).
//!
//! The client sends `Authorization: Negotiate <base64 SPNEGO NegTokenInit>` whose mechToken is
//! the GSS-API Kerberos AP-REQ (RFC 4121 §4.1) for `HTTP/<host>`; the service accepts it in one
//! leg (200 with the RSTR). This crate has no Kerberos of its own and depends on no other
//! `sfb-*` crate: the AP-REQ comes through the injected [`KerberosTokenSource`] (the session
//! and the CLI implement it with `sfb_auth::kerberos`, whose driver talks to the KDC).
//!
//! [`spnego_init`] wraps a Kerberos token (RFC 4178 §4.2.1, mechTypes = krb5 only) and
//! [`mech_token`] reads one back (service side: the test service's authenticator), with
//! bounds checks and a precise [`SpnegoError`].

use crate::flow::{AuthClientError, AuthScheme, HttpAuthClient};

/// Longest token accepted or produced.
pub const MAX_TOKEN: usize = 64 * 1024;

/// DER of the SPNEGO mechanism OID 1.3.6.1.5.5.2 (RFC 4178).
const OID_SPNEGO: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
/// DER of the Kerberos V5 GSS-API mechanism OID 1.2.840.113554.1.2.2 (RFC 4121).
const OID_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
/// DER of Microsoft's legacy Kerberos OID 1.2.840.48018.1.2.2 (Windows lists it first).
const OID_MS_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];

/// Supplies Kerberos AP-REQs: injected, because this crate has no Kerberos of its own.
pub trait KerberosTokenSource: Send {
    /// The GSS-API framed Kerberos AP-REQ (`60 .. 06 09 2a864886f712010202 01 00 ..`,
    /// RFC 4121 §4.1) for the service principal `spn` (`HTTP/<host>`).
    fn ap_req(&mut self, spn: &str) -> Result<Vec<u8>, AuthClientError>;
}

/// An AP-REQ obtained beforehand (for example with `sfb_auth::kerberos::driver::acquire_token`
/// on a blocking thread), handed out once for the principal it was made for.
pub struct PrefetchedApReq {
    spn: String,
    token: Option<Vec<u8>>,
}

impl PrefetchedApReq {
    /// The AP-REQ `token`, made for `spn`.
    pub fn new(spn: impl Into<String>, token: Vec<u8>) -> Self {
        Self {
            spn: spn.into(),
            token: Some(token),
        }
    }
}

impl std::fmt::Debug for PrefetchedApReq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The AP-REQ carries the service ticket: never shown.
        f.debug_struct("PrefetchedApReq")
            .field("spn", &self.spn)
            .field("token_len", &self.token.as_ref().map(Vec::len))
            .finish()
    }
}

impl KerberosTokenSource for PrefetchedApReq {
    fn ap_req(&mut self, spn: &str) -> Result<Vec<u8>, AuthClientError> {
        if !spn.eq_ignore_ascii_case(&self.spn) {
            return Err(failed(format!(
                "the prefetched ap-req is for {}, the service is {spn}",
                self.spn
            )));
        }
        self.token
            .take()
            .ok_or_else(|| failed("the prefetched ap-req was already used"))
    }
}

fn failed(detail: impl Into<String>) -> AuthClientError {
    AuthClientError::MechanismFailed {
        detail: detail.into().chars().take(256).collect(),
    }
}

/// The service principal for a WebTicket service host: `HTTP/<host>` (lower case).
pub fn http_spn(host: &str) -> String {
    format!("HTTP/{}", host.to_ascii_lowercase())
}

/// The Kerberos client for HTTP `Negotiate`: one token, no second leg.
pub struct NegotiateHttpClient {
    source: Box<dyn KerberosTokenSource>,
    spn: String,
    sent: bool,
}

impl std::fmt::Debug for NegotiateHttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NegotiateHttpClient")
            .field("spn", &self.spn)
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

impl NegotiateHttpClient {
    /// A client towards `HTTP/<target_host>`, taking its AP-REQ from `source`.
    pub fn new(source: Box<dyn KerberosTokenSource>, target_host: &str) -> Self {
        Self {
            source,
            spn: http_spn(target_host),
            sent: false,
        }
    }

    /// The service principal asked for.
    pub fn spn(&self) -> &str {
        &self.spn
    }
}

impl HttpAuthClient for NegotiateHttpClient {
    fn step(&mut self, server_token: Option<&[u8]>) -> Result<Vec<u8>, AuthClientError> {
        if server_token.is_some() || self.sent {
            // Kerberos without mutual authentication has one leg: a continuation means the
            // service did not accept the AP-REQ (or wants another mechanism).
            return Err(failed(
                "the service answered the kerberos ap-req with another challenge",
            ));
        }
        self.sent = true;
        let ap_req = self.source.ap_req(&self.spn)?;
        check_krb5_token(&ap_req).map_err(|e| failed(format!("kerberos token: {e}")))?;
        Ok(spnego_init(&ap_req))
    }

    fn schemes(&self) -> &'static [AuthScheme] {
        &[AuthScheme::Negotiate]
    }
}

/// Why a Negotiate token could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpnegoError {
    /// The token is longer than [`MAX_TOKEN`].
    #[error("token is {len} bytes long, the limit is {MAX_TOKEN}")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// A DER element is cut short or its length is malformed.
    #[error("malformed der at offset {offset}: {what}")]
    Der {
        /// Byte offset in the token.
        offset: usize,
        /// What was expected.
        what: &'static str,
    },
    /// The token is neither SPNEGO nor Kerberos.
    #[error("token mechanism is neither spnego nor kerberos")]
    UnknownMechanism,
    /// A SPNEGO NegTokenInit without a mechToken.
    #[error("spnego negtokeninit carries no mechtoken")]
    NoMechToken,
    /// The mechToken is not a Kerberos AP-REQ.
    #[error("spnego mechtoken is not a kerberos ap-req")]
    NotKerberos,
}

/// DER length octets.
fn der_len(n: usize) -> Vec<u8> {
    match n {
        0..=0x7f => vec![n as u8],
        0x80..=0xff => vec![0x81, n as u8],
        0x100..=0xffff => vec![0x82, (n >> 8) as u8, n as u8],
        _ => vec![0x83, (n >> 16) as u8, (n >> 8) as u8, n as u8],
    }
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    v.extend(der_len(content.len()));
    v.extend_from_slice(content);
    v
}

/// Wraps a GSS-API Kerberos token in a SPNEGO NegTokenInit (RFC 4178 §4.2.1, RFC 2743 §3.1):
/// `60 { 06 spnego, a0 { 30 { a0 { 30 { 06 krb5 } }, a2 { 04 token } } } }`.
pub fn spnego_init(krb5_token: &[u8]) -> Vec<u8> {
    let mech_types = tlv(0xa0, &tlv(0x30, &tlv(0x06, OID_KRB5)));
    let mech_token = tlv(0xa2, &tlv(0x04, krb5_token));
    let neg_token_init = tlv(0x30, &[mech_types, mech_token].concat());
    let inner = [tlv(0x06, OID_SPNEGO), tlv(0xa0, &neg_token_init)].concat();
    tlv(0x60, &inner)
}

/// One DER element: (tag, content range start, content end).
fn read_tlv(buf: &[u8], at: usize) -> Result<(u8, usize, usize), SpnegoError> {
    let bad = |what| SpnegoError::Der { offset: at, what };
    let tag = *buf.get(at).ok_or(bad("a tag"))?;
    let first = *buf.get(at + 1).ok_or(bad("a length"))?;
    let (len, start) = if first < 0x80 {
        (usize::from(first), at + 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 {
            return Err(bad("a definite length of at most 3 octets"));
        }
        let bytes = buf.get(at + 2..at + 2 + n).ok_or(bad("length octets"))?;
        let len = bytes.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b));
        (len, at + 2 + n)
    };
    let end = start.checked_add(len).ok_or(bad("a length in range"))?;
    if end > buf.len() {
        return Err(bad("content within the token"));
    }
    Ok((tag, start, end))
}

/// Checks the GSS-API framing of a Kerberos AP-REQ: `60`, the krb5 (or Microsoft krb5) OID,
/// TOK_ID `01 00` (RFC 4121 §4.1).
fn check_krb5_token(token: &[u8]) -> Result<(), SpnegoError> {
    if token.len() > MAX_TOKEN {
        return Err(SpnegoError::TooLong { len: token.len() });
    }
    if token.first() != Some(&0x60) {
        return Err(SpnegoError::NotKerberos);
    }
    let (_, start, end) = read_tlv(token, 0)?;
    if end != token.len() {
        return Err(SpnegoError::NotKerberos);
    }
    let (tag, os, oe) = read_tlv(token, start)?;
    let oid = token.get(os..oe).unwrap_or_default();
    if tag != 0x06 || (oid != OID_KRB5 && oid != OID_MS_KRB5) {
        return Err(SpnegoError::NotKerberos);
    }
    if token.get(oe..oe + 2) != Some(&[0x01, 0x00][..]) {
        return Err(SpnegoError::NotKerberos);
    }
    Ok(())
}

/// The Kerberos AP-REQ inside a `Negotiate` token: the mechToken of a SPNEGO NegTokenInit, or
/// the token itself when a client sent raw Kerberos (which IIS and MIT also accept).
pub fn mech_token(token: &[u8]) -> Result<&[u8], SpnegoError> {
    if token.len() > MAX_TOKEN {
        return Err(SpnegoError::TooLong { len: token.len() });
    }
    if token.first() != Some(&0x60) {
        // Not a GSS-API InitialContextToken (raw NTLM starts `NTLMSSP\0`).
        return Err(SpnegoError::UnknownMechanism);
    }
    let (_, start, end) = read_tlv(token, 0)?;
    if end != token.len() {
        return Err(SpnegoError::Der {
            offset: end,
            what: "nothing after the token",
        });
    }
    let (tag, os, oe) = read_tlv(token, start)?;
    let oid = token.get(os..oe).unwrap_or_default();
    if tag == 0x06 && (oid == OID_KRB5 || oid == OID_MS_KRB5) {
        check_krb5_token(token)?;
        return Ok(token);
    }
    if tag != 0x06 || oid != OID_SPNEGO {
        return Err(SpnegoError::UnknownMechanism);
    }
    // negTokenInit [0] { NegTokenInit SEQUENCE { [0] mechTypes, [1] reqFlags, [2] mechToken, .. } }
    let (tag, cs, _) = read_tlv(token, oe)?;
    if tag != 0xa0 {
        return Err(SpnegoError::Der {
            offset: oe,
            what: "negTokenInit [0]",
        });
    }
    let (tag, ss, se) = read_tlv(token, cs)?;
    if tag != 0x30 {
        return Err(SpnegoError::Der {
            offset: cs,
            what: "a NegTokenInit sequence",
        });
    }
    let mut at = ss;
    while at < se {
        let (tag, fs, fe) = read_tlv(token, at)?;
        if tag == 0xa2 {
            let (tag, ts, te) = read_tlv(token, fs)?;
            if tag != 0x04 || te != fe {
                return Err(SpnegoError::Der {
                    offset: fs,
                    what: "an octet string mechToken",
                });
            }
            let inner = token.get(ts..te).unwrap_or_default();
            check_krb5_token(inner)?;
            return Ok(inner);
        }
        at = fe;
    }
    Err(SpnegoError::NoMechToken)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GSS-framed token with the krb5 OID and TOK_ID 01 00 (the AP-REQ body is opaque here).
    fn krb5_token(body_len: usize) -> Vec<u8> {
        let mut inner = tlv(0x06, OID_KRB5);
        inner.extend([0x01, 0x00]);
        inner.extend((0..body_len).map(|i| i as u8));
        tlv(0x60, &inner)
    }

    #[test]
    fn wrap_and_unwrap_round_trip_at_every_length_form() {
        for n in [1, 100, 200, 300, 5000, 70_000] {
            let t = krb5_token(n);
            let w = spnego_init(&t);
            if w.len() > MAX_TOKEN {
                assert_eq!(mech_token(&w), Err(SpnegoError::TooLong { len: w.len() }));
                continue;
            }
            assert_eq!(mech_token(&w).unwrap(), &t[..], "{n}");
            // A raw Kerberos token is passed through.
            assert_eq!(mech_token(&t).unwrap(), &t[..]);
        }
    }

    #[test]
    fn known_prefix() {
        // RFC 4178 shape, byte for byte for a 4-byte body.
        let t = krb5_token(4);
        let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let expected = format!(
            "6032{}a028{}{}{}{}",
            "06062b0601050502",
            "3026",
            "a00d300b06092a864886f712010202",
            "a2150413",
            hex(&t)
        );
        assert_eq!(hex(&spnego_init(&t)), expected);
    }

    #[test]
    fn hostile_tokens_get_precise_errors() {
        let good = spnego_init(&krb5_token(10));
        for cut in 0..good.len() {
            assert!(mech_token(&good[..cut]).is_err(), "{cut}");
        }
        assert_eq!(mech_token(b"NTLMSSP\0"), Err(SpnegoError::UnknownMechanism));
        // Absurd length octets.
        assert!(matches!(
            mech_token(&[0x60, 0x84, 0xff, 0xff, 0xff, 0xff]),
            Err(SpnegoError::Der { offset: 0, .. })
        ));
        // A NegTokenInit without a mechToken.
        let mech_types = tlv(0xa0, &tlv(0x30, &tlv(0x06, OID_KRB5)));
        let no_token = tlv(
            0x60,
            &[tlv(0x06, OID_SPNEGO), tlv(0xa0, &tlv(0x30, &mech_types))].concat(),
        );
        assert_eq!(mech_token(&no_token), Err(SpnegoError::NoMechToken));
        // A mechToken that is NTLM, not Kerberos.
        let ntlm = tlv(
            0x60,
            &[
                tlv(0x06, OID_SPNEGO),
                tlv(
                    0xa0,
                    &tlv(0x30, &tlv(0xa2, &tlv(0x04, b"NTLMSSP\0\x01\0\0\0"))),
                ),
            ]
            .concat(),
        );
        assert_eq!(mech_token(&ntlm), Err(SpnegoError::NotKerberos));
    }

    struct Source(Vec<u8>, Vec<String>);
    impl KerberosTokenSource for Source {
        fn ap_req(&mut self, spn: &str) -> Result<Vec<u8>, AuthClientError> {
            self.1.push(spn.to_owned());
            Ok(self.0.clone())
        }
    }

    #[test]
    fn client_sends_one_spnego_token_for_http_spn() {
        let t = krb5_token(32);
        let mut c =
            NegotiateHttpClient::new(Box::new(Source(t.clone(), vec![])), "LyncWeb.Contoso.Test");
        assert_eq!(c.spn(), "HTTP/lyncweb.contoso.test");
        assert_eq!(c.schemes(), &[AuthScheme::Negotiate]);
        let w = c.step(None).unwrap();
        assert_eq!(mech_token(&w).unwrap(), &t[..]);
        // No second leg.
        assert!(c.step(Some(b"x")).is_err());
        assert!(c.step(None).is_err());
        // A source that returns garbage is refused before anything is sent.
        let mut c = NegotiateHttpClient::new(Box::new(Source(b"garbage".to_vec(), vec![])), "h");
        assert!(c.step(None).is_err());
    }

    #[test]
    fn prefetched_token_is_for_one_spn_once_and_never_shown() {
        let mut p = PrefetchedApReq::new("HTTP/lyncweb.contoso.test", vec![0x60, 0x01, 0x00]);
        assert!(!format!("{p:?}").contains("96"));
        assert!(p.ap_req("HTTP/other.contoso.test").is_err());
        assert_eq!(
            p.ap_req("http/LYNCWEB.contoso.test").unwrap(),
            [0x60, 0x01, 0x00]
        );
        assert!(p.ap_req("HTTP/lyncweb.contoso.test").is_err());
    }
}
