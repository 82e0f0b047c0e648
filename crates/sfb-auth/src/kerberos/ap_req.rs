//! RFC 2743 §3.1 GSS framing and RFC 4121 §4.1 AP-REQ tokens.
//!
//! ```text
//! InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE {
//!     thisMech MechType,            -- 1.2.840.113554.1.2.2 (or MS 1.2.840.48018.1.2.2)
//!     innerContextToken ANY }       -- TOK_ID 01 00 || KRB_AP_REQ
//! ```

use picky_krb::data_types::{Authenticator, EncTicketPart, PrincipalName};
use picky_krb::messages::ApReq;

use zeroize::Zeroize;

use super::{KerberosError, SessionKey};

/// Largest token we accept (real AP-REQs with a PAC are a few KiB).
pub const MAX_TOKEN_LEN: usize = 64 * 1024;
/// DER of OID 1.2.840.113554.1.2.2 (RFC 1964 krb5 mechanism).
pub(crate) const KRB5_OID: [u8; 11] = [
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x12, 0x01, 0x02, 0x02,
];
/// DER of OID 1.2.840.48018.1.2.2 (Microsoft's legacy krb5 OID).
const MS_KRB5_OID: [u8; 11] = [
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x82, 0xF7, 0x12, 0x01, 0x02, 0x02,
];
/// RFC 4121 §4.1: TOK_ID of KRB_AP_REQ.
const AP_REQ_TOKEN_ID: [u8; 2] = [0x01, 0x00];
/// RFC 4120 §7.5.1 key usage: AP-REQ Authenticator.
pub(crate) const KU_AP_REQ_AUTHENTICATOR: i32 = 11;
/// RFC 4120 §7.5.1 key usage: Ticket (encrypted with the service key).
pub(crate) const KU_TICKET: i32 = 2;

/// A decoded (still encrypted) AP-REQ from a GSS InitialContextToken.
#[derive(Debug, Clone)]
pub struct GssApReq {
    pub(crate) ap_req: ApReq,
}

/// Read a DER length at `pos`; returns (length, header octets used).
fn der_len(data: &[u8], pos: usize) -> Result<(usize, usize), KerberosError> {
    let first = *data.get(pos).ok_or(KerberosError::GssFraming {
        what: "truncated length",
    })?;
    if first < 0x80 {
        return Ok((usize::from(first), 1));
    }
    let n = usize::from(first & 0x7F);
    if n == 0 || n > 3 {
        return Err(KerberosError::GssFraming {
            what: "unsupported length form",
        });
    }
    let bytes = data
        .get(pos + 1..pos + 1 + n)
        .ok_or(KerberosError::GssFraming {
            what: "truncated length",
        })?;
    let len = bytes
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Ok((len, 1 + n))
}

/// RFC 2743 §3.1 + RFC 4121 §4.1: parse the `gssapi-data` of a Kerberos Authorization header.
pub fn parse_gss_ap_req(token: &[u8]) -> Result<GssApReq, KerberosError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(KerberosError::GssFraming {
            what: "token too long",
        });
    }
    if token.first() != Some(&0x60) {
        return Err(KerberosError::GssFraming {
            what: "not an [APPLICATION 0] token",
        });
    }
    let (len, used) = der_len(token, 1)?;
    let body = token.get(1 + used..).ok_or(KerberosError::GssFraming {
        what: "truncated token",
    })?;
    if body.len() != len {
        return Err(KerberosError::GssFraming {
            what: "length does not match the token",
        });
    }
    let oid = body
        .get(..KRB5_OID.len())
        .ok_or(KerberosError::GssFraming {
            what: "truncated mechanism",
        })?;
    if oid != KRB5_OID && oid != MS_KRB5_OID {
        return Err(KerberosError::GssFraming {
            what: "mechanism is not kerberos 5",
        });
    }
    let rest = &body[KRB5_OID.len()..];
    let id = rest.get(..2).ok_or(KerberosError::GssFraming {
        what: "truncated token id",
    })?;
    if id != AP_REQ_TOKEN_ID {
        return Err(KerberosError::NotApReq { id: [id[0], id[1]] });
    }
    let ap_req: ApReq = picky_asn1_der::from_bytes(&rest[2..])
        .map_err(|_| KerberosError::Asn1 { what: "ap-req" })?;
    Ok(GssApReq { ap_req })
}

#[cfg(test)]
/// RFC 2743 §3.1: wrap a DER AP-REQ in the GSS InitialContextToken framing.
pub(crate) fn frame(ap_req_der: &[u8]) -> Vec<u8> {
    let inner_len = KRB5_OID.len() + 2 + ap_req_der.len();
    let mut out = vec![0x60];
    if inner_len < 0x80 {
        out.push(inner_len as u8);
    } else {
        let be = inner_len.to_be_bytes();
        let skip = be.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (be.len() - skip) as u8);
        out.extend_from_slice(&be[skip..]);
    }
    out.extend_from_slice(&KRB5_OID);
    out.extend_from_slice(&AP_REQ_TOKEN_ID);
    out.extend_from_slice(ap_req_der);
    out
}

/// An ASN.1 INTEGER as i64 (Kerberos integers are Int32/UInt32).
pub(crate) fn int(bytes: &[u8]) -> Result<i64, KerberosError> {
    if bytes.is_empty() || bytes.len() > 8 {
        return Err(KerberosError::Asn1 { what: "integer" });
    }
    let neg = bytes[0] & 0x80 != 0;
    let mut v: i64 = if neg { -1 } else { 0 };
    for b in bytes {
        v = (v << 8) | i64::from(*b);
    }
    Ok(v)
}

/// A principal name as `a/b`.
pub(crate) fn principal(name: &PrincipalName) -> String {
    name.name_string
        .0
        .0
        .iter()
        .map(|s| String::from_utf8_lossy(s.0.as_bytes()).into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

impl GssApReq {
    /// The ticket's (etype, kvno).
    pub(crate) fn ticket_etype(&self) -> Result<(i64, Option<i64>), KerberosError> {
        let enc = &self.ap_req.0.ticket.0.0.enc_part.0;
        let etype = int(&enc.etype.0.0)?;
        let kvno = match &enc.kvno.0 {
            Some(k) => Some(int(&k.0.0)?),
            None => None,
        };
        Ok((etype, kvno))
    }

    /// The ticket's service principal name and realm.
    pub(crate) fn ticket_sname(&self) -> (String, String) {
        let t = &self.ap_req.0.ticket.0.0;
        (
            principal(&t.sname.0),
            String::from_utf8_lossy(t.realm.0.0.as_bytes()).into_owned(),
        )
    }

    /// RFC 4120 §5.3: decrypt the ticket with the service key (key usage 2).
    pub(crate) fn decrypt_ticket(
        &self,
        service_key: &SessionKey,
    ) -> Result<EncTicketPart, KerberosError> {
        let cipher = &self.ap_req.0.ticket.0.0.enc_part.0.cipher.0.0;
        let plain = service_key.decrypt(KU_TICKET, cipher, "ticket")?;
        picky_asn1_der::from_bytes(&plain).map_err(|_| KerberosError::Asn1 {
            what: "enc-ticket-part",
        })
    }

    /// RFC 4120 §5.5.1: decrypt the authenticator with the ticket session key (key usage 11).
    pub(crate) fn decrypt_authenticator(
        &self,
        session_key: &SessionKey,
    ) -> Result<Authenticator, KerberosError> {
        let enc = &self.ap_req.0.authenticator.0;
        let etype = int(&enc.etype.0.0)?;
        if etype != session_key.enctype().number() {
            return Err(KerberosError::UnsupportedEnctype { etype });
        }
        let plain =
            session_key.decrypt(KU_AP_REQ_AUTHENTICATOR, &enc.cipher.0.0, "authenticator")?;
        picky_asn1_der::from_bytes(&plain).map_err(|_| KerberosError::Asn1 {
            what: "authenticator",
        })
    }
}

/// The subkey and initial sequence number of an authenticator (RFC 4121 §2).
/// The decoded subkey bytes are wiped from `auth` once copied into the zeroizing key.
pub(crate) fn subkey_and_seq(auth: &mut Authenticator) -> Result<(SessionKey, u64), KerberosError> {
    let a = &mut auth.0;
    let sub = a.subkey.0.as_mut().ok_or(KerberosError::NoSubkey)?;
    let etype = super::Enctype::from_number(int(&sub.0.key_type.0.0)?)?;
    let key = SessionKey::new(etype, sub.0.key_value.0.0.clone());
    sub.0.key_value.0.0.zeroize();
    let key = key?;
    let seq = match &a.seq_number.0 {
        Some(s) => u64::try_from(int(&s.0.0)? & 0xFFFF_FFFF).unwrap_or(0),
        None => 0,
    };
    Ok((key, seq))
}

/// RFC 4121 §4.1.1: checksum type of the GSS authenticator checksum.
const GSS_CHECKSUM_TYPE: i64 = 0x8003;

/// RFC 4121 §4.1.1: the context flags from the authenticator checksum (`Lgth`=16, `Bnd`,
/// `Flags` little-endian), or `None` when the authenticator carries another checksum type.
pub(crate) fn gss_flags(auth: &Authenticator) -> Result<Option<u32>, KerberosError> {
    let Some(ck) = auth.0.cksum.0.as_ref() else {
        return Ok(None);
    };
    if int(&ck.0.cksumtype.0.0)? != GSS_CHECKSUM_TYPE {
        return Ok(None);
    }
    let v = &ck.0.checksum.0.0;
    let bad = KerberosError::Asn1 {
        what: "gss authenticator checksum",
    };
    let lgth = v.get(..4).ok_or(bad.clone())?;
    if lgth != [16, 0, 0, 0] {
        return Err(bad);
    }
    let flags = v.get(20..24).ok_or(bad)?;
    Ok(Some(u32::from_le_bytes([
        flags[0], flags[1], flags[2], flags[3],
    ])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_errors() {
        assert_eq!(
            parse_gss_ap_req(&[]).unwrap_err(),
            KerberosError::GssFraming {
                what: "not an [APPLICATION 0] token"
            }
        );
        assert!(matches!(
            parse_gss_ap_req(&[0x60]),
            Err(KerberosError::GssFraming { .. })
        ));
        assert!(matches!(
            parse_gss_ap_req(&[0x60, 0x84, 1, 2, 3, 4]),
            Err(KerberosError::GssFraming { .. })
        ));
        assert!(matches!(
            parse_gss_ap_req(&[0x60, 0x05, 1]),
            Err(KerberosError::GssFraming { .. })
        ));
        // A framed AP-REP token id (02 00) is named as such.
        let mut t = frame(&[0x30, 0x00]);
        t[1 + 1 + 11] = 0x02;
        assert_eq!(
            parse_gss_ap_req(&t).unwrap_err(),
            KerberosError::NotApReq { id: [2, 0] }
        );
        // Right framing, garbage DER.
        assert_eq!(
            parse_gss_ap_req(&frame(&[0x6E, 0x03, 1, 2, 3])).unwrap_err(),
            KerberosError::Asn1 { what: "ap-req" }
        );
        let big = frame(&vec![0u8; 300]);
        assert_eq!(big[1], 0x82);
        assert_eq!(
            parse_gss_ap_req(&big).unwrap_err(),
            KerberosError::Asn1 { what: "ap-req" }
        );
    }

    #[test]
    fn integers() {
        assert_eq!(int(&[0x12]).unwrap(), 18);
        assert_eq!(int(&[0xFF]).unwrap(), -1);
        assert_eq!(int(&[0x00, 0xFF, 0xFF, 0xFF, 0xFF]).unwrap(), 0xFFFF_FFFF);
        assert!(int(&[]).is_err());
    }
}
