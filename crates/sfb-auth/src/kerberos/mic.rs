//! RFC 4121 §4.2.6.1 MIC tokens (GSS_GetMIC / GSS_VerifyMIC) for AES enctypes.
//!
//! MS-SIPAE puts the whole MIC token, hex-encoded, in `response` / `rspauth`.
//! The token is 16 header octets followed by a 12-octet HMAC-SHA1-96 checksum.

use picky_krb::crypto::ChecksumSuite;
use subtle::ConstantTimeEq;

use super::{Enctype, KerberosError, SessionKey};

/// RFC 4121 §4.2.6.1: TOK_ID of a MIC token.
pub const MIC_TOKEN_ID: [u8; 2] = [0x04, 0x04];
/// RFC 1964 §1.2.1: TOK_ID of an RC4-HMAC (and DES) MIC token.
pub const LEGACY_MIC_TOKEN_ID: [u8; 2] = [0x01, 0x01];
/// RFC 4757 §7.2: SGN_ALG of HMAC-MD5 (RC4-HMAC).
const RC4_SGN_ALG: [u8; 2] = [0x11, 0x00];
/// RFC 4121 §4.2.2 flag: the token was sent by the context acceptor.
pub const FLAG_SENT_BY_ACCEPTOR: u8 = 0x01;
/// RFC 4121 §4.2.2 flag: the token is sealed (wrap tokens only).
pub const FLAG_SEALED: u8 = 0x02;
/// RFC 4121 §4.2.2 flag: the acceptor subkey protects the token.
pub const FLAG_ACCEPTOR_SUBKEY: u8 = 0x04;
/// RFC 4121 §2: key usage of KG-USAGE-ACCEPTOR-SIGN.
pub const KG_USAGE_ACCEPTOR_SIGN: i32 = 23;
/// RFC 4121 §2: key usage of KG-USAGE-INITIATOR-SIGN.
pub const KG_USAGE_INITIATOR_SIGN: i32 = 25;
/// Header length (TOK_ID, flags, filler, SND_SEQ).
const HEADER_LEN: usize = 16;
/// HMAC-SHA1-96 output length (RFC 3962 §6).
const CHECKSUM_LEN: usize = 12;
/// Length of an AES MIC token.
pub const MIC_TOKEN_LEN: usize = HEADER_LEN + CHECKSUM_LEN;

/// Which side of the context produced a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The client (context initiator).
    Initiator,
    /// The server (context acceptor).
    Acceptor,
}

impl Direction {
    /// RFC 4121 §2: the key usage used to sign tokens sent from this side.
    fn sign_usage(self) -> i32 {
        match self {
            Self::Initiator => KG_USAGE_INITIATOR_SIGN,
            Self::Acceptor => KG_USAGE_ACCEPTOR_SIGN,
        }
    }
}

/// A parsed RFC 4121 MIC token (not yet verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MicToken {
    /// The flags octet.
    pub flags: u8,
    /// SND_SEQ: the sender's sequence number (not checked for order in MS-SIPAE).
    pub seq: u64,
    /// The 12-octet checksum.
    pub checksum: [u8; CHECKSUM_LEN],
}

impl MicToken {
    /// RFC 4121 §4.2.6.1: parse a MIC token. RFC 1964 RC4-HMAC tokens are
    /// recognised and diagnosed with [`KerberosError::Rc4Token`].
    pub fn parse(token: &[u8]) -> Result<Self, KerberosError> {
        let id = token
            .get(..2)
            .ok_or(KerberosError::MicTruncated { len: token.len() })?;
        if id == LEGACY_MIC_TOKEN_ID || is_framed_rc4_mic(token) {
            return Err(KerberosError::Rc4Token);
        }
        if id != MIC_TOKEN_ID {
            return Err(KerberosError::MicTokenId { id: [id[0], id[1]] });
        }
        if token.len() != MIC_TOKEN_LEN {
            return Err(if token.len() < MIC_TOKEN_LEN {
                KerberosError::MicTruncated { len: token.len() }
            } else {
                KerberosError::MicTooLong { len: token.len() }
            });
        }
        let flags = token[2];
        if token[3..8] != [0xFF; 5] {
            return Err(KerberosError::MicFiller);
        }
        let mut seq = [0u8; 8];
        seq.copy_from_slice(&token[8..16]);
        let mut checksum = [0u8; CHECKSUM_LEN];
        checksum.copy_from_slice(&token[16..]);
        Ok(Self {
            flags,
            seq: u64::from_be_bytes(seq),
            checksum,
        })
    }

    /// The 16-octet header that is appended to the data before checksumming.
    fn header(flags: u8, seq: u64) -> [u8; HEADER_LEN] {
        let mut h = [0xFFu8; HEADER_LEN];
        h[..2].copy_from_slice(&MIC_TOKEN_ID);
        h[2] = flags;
        h[8..].copy_from_slice(&seq.to_be_bytes());
        h
    }
}

/// An RFC 1964 token wrapped in the GSS framing (`60 23 06 09 2a 86 48 86 f7 12 01 02 02 01 01 11 00 ...`).
fn is_framed_rc4_mic(token: &[u8]) -> bool {
    token.first() == Some(&0x60)
        && token.get(13..15) == Some(&LEGACY_MIC_TOKEN_ID[..])
        && token.get(15..17) == Some(&RC4_SGN_ALG[..])
}

/// RFC 3961 §5.4 get_mic with the RFC 3962 checksum (DK(key, usage | 0x99), HMAC-SHA1-96).
fn checksum(
    key: &SessionKey,
    usage: i32,
    data: &[u8],
    header: &[u8],
) -> Result<Vec<u8>, KerberosError> {
    let suite = match key.enctype() {
        Enctype::Aes256CtsHmacSha196 => ChecksumSuite::HmacSha196Aes256,
        Enctype::Aes128CtsHmacSha196 => ChecksumSuite::HmacSha196Aes128,
    };
    let mut payload = Vec::with_capacity(data.len() + header.len());
    payload.extend_from_slice(data);
    payload.extend_from_slice(header);
    suite
        .hasher()
        .checksum(key.bytes(), usage, &payload)
        .map_err(|_| KerberosError::Crypto {
            step: "mic checksum",
        })
}

/// RFC 4121 §4.2.6.1: build a MIC token over `data` sent by `from` with sequence number `seq`.
pub fn get_mic(
    key: &SessionKey,
    from: Direction,
    seq: u64,
    data: &[u8],
) -> Result<Vec<u8>, KerberosError> {
    let flags = match from {
        Direction::Initiator => 0,
        Direction::Acceptor => FLAG_SENT_BY_ACCEPTOR,
    };
    let header = MicToken::header(flags, seq);
    let sum = checksum(key, from.sign_usage(), data, &header)?;
    let mut out = Vec::with_capacity(MIC_TOKEN_LEN);
    out.extend_from_slice(&header);
    out.extend_from_slice(sum.get(..CHECKSUM_LEN).ok_or(KerberosError::Crypto {
        step: "mic checksum length",
    })?);
    Ok(out)
}

/// RFC 4121 §4.2.6.1: verify a MIC token over `data` that claims to come from `from`.
/// SND_SEQ is returned but not checked for order (MS-SIPAE does not require it).
pub fn verify_mic(
    key: &SessionKey,
    from: Direction,
    data: &[u8],
    token: &[u8],
) -> Result<u64, KerberosError> {
    let tok = MicToken::parse(token)?;
    let by_acceptor = tok.flags & FLAG_SENT_BY_ACCEPTOR != 0;
    if by_acceptor != (from == Direction::Acceptor) {
        return Err(KerberosError::MicDirection);
    }
    if tok.flags & FLAG_SEALED != 0 {
        return Err(KerberosError::MicFlags { flags: tok.flags });
    }
    if tok.flags & FLAG_ACCEPTOR_SUBKEY != 0 {
        // MS-SIPAE has no AP-REP, so an acceptor subkey cannot have been agreed.
        return Err(KerberosError::MicFlags { flags: tok.flags });
    }
    let header = MicToken::header(tok.flags, tok.seq);
    let sum = checksum(key, from.sign_usage(), data, &header)?;
    let expected = sum.get(..CHECKSUM_LEN).ok_or(KerberosError::Crypto {
        step: "mic checksum length",
    })?;
    if bool::from(expected.ct_eq(&tok.checksum)) {
        Ok(tok.seq)
    } else {
        Err(KerberosError::MicMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SessionKey {
        SessionKey::new(Enctype::Aes256CtsHmacSha196, vec![7u8; 32]).unwrap()
    }

    #[test]
    fn round_trip_both_directions() {
        let k = key();
        for dir in [Direction::Initiator, Direction::Acceptor] {
            let t = get_mic(&k, dir, 42, b"<Kerberos><1>").unwrap();
            assert_eq!(t.len(), MIC_TOKEN_LEN);
            assert_eq!(&t[..2], &MIC_TOKEN_ID);
            assert_eq!(
                t[2] & FLAG_SENT_BY_ACCEPTOR != 0,
                dir == Direction::Acceptor
            );
            assert_eq!(verify_mic(&k, dir, b"<Kerberos><1>", &t).unwrap(), 42);
            assert_eq!(
                verify_mic(&k, dir, b"<Kerberos><2>", &t),
                Err(KerberosError::MicMismatch)
            );
        }
    }

    #[test]
    fn aes128_round_trip_and_key_separation() {
        let k128 = SessionKey::new(Enctype::Aes128CtsHmacSha196, vec![7u8; 16]).unwrap();
        let t = get_mic(&k128, Direction::Initiator, 5, b"buf").unwrap();
        assert_eq!(
            verify_mic(&k128, Direction::Initiator, b"buf", &t).unwrap(),
            5
        );
        assert_eq!(
            verify_mic(&key(), Direction::Initiator, b"buf", &t),
            Err(KerberosError::MicMismatch)
        );
    }

    #[test]
    fn usages_differ_by_direction() {
        let k = key();
        let a = get_mic(&k, Direction::Initiator, 0, b"x").unwrap();
        let b = get_mic(&k, Direction::Acceptor, 0, b"x").unwrap();
        assert_ne!(a[16..], b[16..]);
        // An initiator token presented as an acceptor token is refused on the flag.
        assert_eq!(
            verify_mic(&k, Direction::Acceptor, b"x", &a),
            Err(KerberosError::MicDirection)
        );
    }

    #[test]
    fn hostile_tokens() {
        let k = key();
        let good = get_mic(&k, Direction::Initiator, 1, b"d").unwrap();
        for n in 0..good.len() {
            assert!(verify_mic(&k, Direction::Initiator, b"d", &good[..n]).is_err());
        }
        let mut long = good.clone();
        long.push(0);
        assert_eq!(
            verify_mic(&k, Direction::Initiator, b"d", &long),
            Err(KerberosError::MicTooLong { len: 29 })
        );
        let mut bad_id = good.clone();
        bad_id[1] = 0x05;
        assert_eq!(
            verify_mic(&k, Direction::Initiator, b"d", &bad_id),
            Err(KerberosError::MicTokenId { id: [4, 5] })
        );
        let mut filler = good.clone();
        filler[5] = 0;
        assert_eq!(
            verify_mic(&k, Direction::Initiator, b"d", &filler),
            Err(KerberosError::MicFiller)
        );
        let mut tampered = good.clone();
        tampered[27] ^= 1;
        assert_eq!(
            verify_mic(&k, Direction::Initiator, b"d", &tampered),
            Err(KerberosError::MicMismatch)
        );
        let mut seq = good;
        seq[15] ^= 1;
        assert_eq!(
            verify_mic(&k, Direction::Initiator, b"d", &seq),
            Err(KerberosError::MicMismatch)
        );
    }

    #[test]
    fn rc4_tokens_are_diagnosed() {
        // [MS-SIPAE] RC4-HMAC shape from protocol.md §3.6.
        let mut framed = vec![
            0x60, 0x23, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x12, 0x01, 0x02, 0x02,
        ];
        framed.extend_from_slice(&[0x01, 0x01, 0x11, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]);
        framed.extend_from_slice(&[0u8; 16]);
        assert_eq!(MicToken::parse(&framed), Err(KerberosError::Rc4Token));
        assert_eq!(MicToken::parse(&framed[13..]), Err(KerberosError::Rc4Token));
        assert!(KerberosError::Rc4Token.to_string().contains("no AES keys"));
    }
}
