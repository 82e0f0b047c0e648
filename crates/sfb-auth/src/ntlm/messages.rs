//! CHALLENGE_MESSAGE and AUTHENTICATE_MESSAGE wire formats ([MS-NLMP] 2.2.1.2, 2.2.1.3),
//! with bounds-checked parsers: every payload field must lie inside the message, after the
//! fixed header, and must not overlap another field.

use super::NtlmError;
use super::avpairs::AvPairs;
use super::flags;

/// `NTLMSSP\0`.
pub const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";
/// Largest NTLM message accepted.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// Offset of the MIC in an AUTHENTICATE message that carries one.
pub const MIC_OFFSET: usize = 72;

fn u16_at(b: &[u8], at: usize) -> Result<u16, NtlmError> {
    match b.get(at..at + 2) {
        Some([x, y]) => Ok(u16::from_le_bytes([*x, *y])),
        _ => Err(NtlmError::Truncated),
    }
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, NtlmError> {
    match b.get(at..at + 4) {
        Some(s) => Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]])),
        None => Err(NtlmError::Truncated),
    }
}

/// A payload field descriptor (len, offset), checked later.
#[derive(Debug, Clone, Copy)]
struct Field {
    name: &'static str,
    len: usize,
    offset: usize,
}

fn field(b: &[u8], at: usize, name: &'static str) -> Result<Field, NtlmError> {
    Ok(Field {
        name,
        len: usize::from(u16_at(b, at)?),
        offset: usize::try_from(u32_at(b, at + 4)?).unwrap_or(usize::MAX),
    })
}

/// Checks range, header and overlap rules, then returns the field slices in order.
fn slices<'a>(
    b: &'a [u8],
    header_len: usize,
    fields: &[Field],
) -> Result<Vec<&'a [u8]>, NtlmError> {
    for f in fields.iter().filter(|f| f.len > 0) {
        let end = f
            .offset
            .checked_add(f.len)
            .ok_or(NtlmError::FieldOutOfRange { field: f.name })?;
        if end > b.len() {
            return Err(NtlmError::FieldOutOfRange { field: f.name });
        }
        if f.offset < header_len {
            return Err(NtlmError::FieldInHeader { field: f.name });
        }
    }
    for (i, a) in fields.iter().enumerate().filter(|(_, f)| f.len > 0) {
        for c in fields.iter().skip(i + 1).filter(|f| f.len > 0) {
            if a.offset < c.offset + c.len && c.offset < a.offset + a.len {
                return Err(NtlmError::FieldsOverlap {
                    first: a.name,
                    second: c.name,
                });
            }
        }
    }
    Ok(fields
        .iter()
        .map(|f| {
            if f.len == 0 {
                &[][..]
            } else {
                &b[f.offset..f.offset + f.len]
            }
        })
        .collect())
}

fn check_envelope(b: &[u8], kind: u32, min: usize) -> Result<(), NtlmError> {
    if b.len() > MAX_MESSAGE {
        return Err(NtlmError::TooLong);
    }
    if b.len() < min {
        return Err(NtlmError::Truncated);
    }
    if b.get(..8) != Some(&SIGNATURE[..]) {
        return Err(NtlmError::BadSignature);
    }
    let t = u32_at(b, 8)?;
    if t != kind {
        return Err(NtlmError::WrongMessageType {
            expected: kind,
            found: t,
        });
    }
    Ok(())
}

/// A parsed CHALLENGE_MESSAGE (type 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeMessage {
    /// NegotiateFlags.
    pub flags: u32,
    /// ServerChallenge.
    pub server_challenge: [u8; 8],
    /// TargetName (raw bytes).
    pub target_name: Vec<u8>,
    /// TargetInfo (raw bytes, as echoed in the NTLMv2 response).
    pub target_info: Vec<u8>,
    /// TargetInfo parsed.
    pub av_pairs: AvPairs,
    /// The Version field, when NEGOTIATE_VERSION is set.
    pub version: Option<[u8; 8]>,
}

impl ChallengeMessage {
    /// Parses a CHALLENGE_MESSAGE ([MS-NLMP] 2.2.1.2).
    pub fn parse(b: &[u8]) -> Result<Self, NtlmError> {
        check_envelope(b, 2, 48)?;
        let flags = u32_at(b, 20)?;
        let mut server_challenge = [0u8; 8];
        server_challenge.copy_from_slice(b.get(24..32).ok_or(NtlmError::Truncated)?);
        let has_version = flags & flags::VERSION != 0 && b.len() >= 56;
        let header_len = if has_version { 56 } else { 48 };
        let tn = field(b, 12, "TargetName")?;
        let ti = field(b, 40, "TargetInfo")?;
        let s = slices(b, header_len, &[tn, ti])?;
        let version = if has_version {
            let mut v = [0u8; 8];
            v.copy_from_slice(&b[48..56]);
            Some(v)
        } else {
            None
        };
        let av_pairs = if s[1].is_empty() {
            AvPairs::default()
        } else {
            AvPairs::parse(s[1])?
        };
        Ok(Self {
            flags,
            server_challenge,
            target_name: s[0].to_vec(),
            target_info: s[1].to_vec(),
            av_pairs,
            version,
        })
    }

    /// Encodes the message with a Version field (header 56 bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(56 + self.target_name.len() + self.target_info.len());
        out.extend_from_slice(SIGNATURE);
        out.extend_from_slice(&2u32.to_le_bytes());
        let tn_off = 56usize;
        let ti_off = tn_off + self.target_name.len();
        push_field(&mut out, self.target_name.len(), tn_off);
        out.extend_from_slice(&(self.flags | flags::VERSION).to_le_bytes());
        out.extend_from_slice(&self.server_challenge);
        out.extend_from_slice(&[0; 8]);
        push_field(&mut out, self.target_info.len(), ti_off);
        out.extend_from_slice(&self.version.unwrap_or([10, 0, 0x61, 0x4a, 0, 0, 0, 15]));
        out.extend_from_slice(&self.target_name);
        out.extend_from_slice(&self.target_info);
        out
    }
}

fn push_field(out: &mut Vec<u8>, len: usize, offset: usize) {
    let l = u16::try_from(len).unwrap_or(u16::MAX);
    out.extend_from_slice(&l.to_le_bytes());
    out.extend_from_slice(&l.to_le_bytes());
    out.extend_from_slice(&u32::try_from(offset).unwrap_or(u32::MAX).to_le_bytes());
}

/// A parsed or to-be-encoded AUTHENTICATE_MESSAGE (type 3).
#[derive(Clone, PartialEq, Eq)]
pub struct AuthenticateMessage {
    /// LmChallengeResponse.
    pub lm_response: Vec<u8>,
    /// NtChallengeResponse (NTProofStr ‖ temp for NTLMv2).
    pub nt_response: Vec<u8>,
    /// DomainName (UTF-16LE bytes).
    pub domain: Vec<u8>,
    /// UserName (UTF-16LE bytes).
    pub user: Vec<u8>,
    /// Workstation (UTF-16LE bytes).
    pub workstation: Vec<u8>,
    /// EncryptedRandomSessionKey.
    pub encrypted_session_key: Vec<u8>,
    /// NegotiateFlags.
    pub flags: u32,
    /// Version.
    pub version: [u8; 8],
    /// MIC, when the message carries one.
    pub mic: Option<[u8; 16]>,
}

impl std::fmt::Debug for AuthenticateMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Responses are password-equivalent for offline cracking: print lengths only.
        f.debug_struct("AuthenticateMessage")
            .field("flags", &format_args!("{:#010x}", self.flags))
            .field("user", &String::from_utf16_lossy(&utf16_units(&self.user)))
            .field(
                "domain",
                &String::from_utf16_lossy(&utf16_units(&self.domain)),
            )
            .field("nt_response_len", &self.nt_response.len())
            .field("has_mic", &self.mic.is_some())
            .finish_non_exhaustive()
    }
}

pub(crate) fn utf16_units(b: &[u8]) -> Vec<u16> {
    b.chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect()
}

impl AuthenticateMessage {
    /// Parses an AUTHENTICATE_MESSAGE ([MS-NLMP] 2.2.1.3). The MIC is read when the lowest
    /// payload offset leaves room for it and the NTLMv2 response's MsvAvFlags announce it.
    pub fn parse(b: &[u8]) -> Result<Self, NtlmError> {
        check_envelope(b, 3, 64)?;
        let names = [
            (12, "LmChallengeResponse"),
            (20, "NtChallengeResponse"),
            (28, "DomainName"),
            (36, "UserName"),
            (44, "Workstation"),
            (52, "EncryptedRandomSessionKey"),
        ];
        let mut fs = Vec::with_capacity(6);
        for (at, name) in names {
            fs.push(field(b, at, name)?);
        }
        let flags = u32_at(b, 60)?;
        let min_off = fs
            .iter()
            .filter(|f| f.len > 0)
            .map(|f| f.offset)
            .min()
            .unwrap_or(b.len());
        let has_version = min_off >= 72 && b.len() >= 72;
        let mut header_len = if has_version { 72 } else { 64 };
        let s = slices(b, header_len, &fs)?;
        let nt = s[1];
        let mic_announced = nt.len() > 44
            && AvPairs::parse(&nt[44..])
                .ok()
                .and_then(|a| a.flags())
                .is_some_and(|f| f & super::avpairs::AV_FLAG_MIC != 0);
        let mic = if mic_announced {
            if min_off < MIC_OFFSET + 16 {
                return Err(NtlmError::FieldInHeader { field: "MIC" });
            }
            header_len = MIC_OFFSET + 16;
            let mut m = [0u8; 16];
            m.copy_from_slice(&b[MIC_OFFSET..MIC_OFFSET + 16]);
            Some(m)
        } else {
            None
        };
        let _ = header_len;
        let mut version = [0u8; 8];
        if has_version {
            version.copy_from_slice(&b[64..72]);
        }
        Ok(Self {
            lm_response: s[0].to_vec(),
            nt_response: nt.to_vec(),
            domain: s[2].to_vec(),
            user: s[3].to_vec(),
            workstation: s[4].to_vec(),
            encrypted_session_key: s[5].to_vec(),
            flags,
            version,
            mic,
        })
    }

    /// Encodes the message: header with Version (and a MIC slot when `mic` is `Some`), then the
    /// payload in the order Domain, User, Workstation, LM, NT, session key (as Windows and the
    /// OC 2007 R2 client do).
    pub fn encode(&self) -> Vec<u8> {
        let header = if self.mic.is_some() {
            MIC_OFFSET + 16
        } else {
            72
        };
        let parts: [&[u8]; 6] = [
            &self.domain,
            &self.user,
            &self.workstation,
            &self.lm_response,
            &self.nt_response,
            &self.encrypted_session_key,
        ];
        let mut offs = [0usize; 6];
        let mut at = header;
        for (i, p) in parts.iter().enumerate() {
            offs[i] = at;
            at += p.len();
        }
        let mut out = Vec::with_capacity(at);
        out.extend_from_slice(SIGNATURE);
        out.extend_from_slice(&3u32.to_le_bytes());
        // Descriptor order: LM, NT, Domain, User, Workstation, Key.
        for i in [3, 4, 0, 1, 2, 5] {
            push_field(&mut out, parts[i].len(), offs[i]);
        }
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&self.version);
        if let Some(m) = self.mic {
            out.extend_from_slice(&m);
        }
        for p in parts {
            out.extend_from_slice(p);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_challenge() -> Vec<u8> {
        let mut av = AvPairs::default();
        av.set(2, vec![b'D', 0]);
        ChallengeMessage {
            flags: flags::CONNLESS,
            server_challenge: [1; 8],
            target_name: vec![b'D', 0],
            target_info: av.encode(),
            av_pairs: av,
            version: None,
        }
        .encode()
    }

    #[test]
    fn challenge_round_trip() {
        let b = sample_challenge();
        let c = ChallengeMessage::parse(&b).unwrap();
        assert_eq!(c.target_name, vec![b'D', 0]);
        assert_eq!(c.av_pairs.get(2), Some(&[b'D', 0][..]));
    }

    #[test]
    fn challenge_rejects_bad_fields() {
        let b = sample_challenge();
        for cut in 0..b.len() {
            assert!(ChallengeMessage::parse(&b[..cut]).is_err(), "cut {cut}");
        }
        // TargetInfo pointing into the header.
        let mut h = b.clone();
        h[44..48].copy_from_slice(&8u32.to_le_bytes());
        assert_eq!(
            ChallengeMessage::parse(&h),
            Err(NtlmError::FieldInHeader {
                field: "TargetInfo"
            })
        );
        // TargetInfo overlapping TargetName.
        let mut o = b.clone();
        o[44..48].copy_from_slice(&56u32.to_le_bytes());
        assert_eq!(
            ChallengeMessage::parse(&o),
            Err(NtlmError::FieldsOverlap {
                first: "TargetName",
                second: "TargetInfo"
            })
        );
        // Absurd length and offset.
        let mut a = b.clone();
        a[40..42].copy_from_slice(&0xffffu16.to_le_bytes());
        assert_eq!(
            ChallengeMessage::parse(&a),
            Err(NtlmError::FieldOutOfRange {
                field: "TargetInfo"
            })
        );
        let mut z = b;
        z[44..48].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            ChallengeMessage::parse(&z),
            Err(NtlmError::FieldOutOfRange {
                field: "TargetInfo"
            })
        );
    }
}
