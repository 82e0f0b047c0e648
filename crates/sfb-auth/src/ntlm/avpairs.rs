//! AV_PAIR lists (target info) ([MS-NLMP] 2.2.2.1).

use super::NtlmError;

/// MsvAvEOL.
pub const AV_EOL: u16 = 0;
/// MsvAvNbComputerName.
pub const AV_NB_COMPUTER: u16 = 1;
/// MsvAvNbDomainName.
pub const AV_NB_DOMAIN: u16 = 2;
/// MsvAvDnsComputerName.
pub const AV_DNS_COMPUTER: u16 = 3;
/// MsvAvDnsDomainName.
pub const AV_DNS_DOMAIN: u16 = 4;
/// MsvAvDnsTreeName.
pub const AV_DNS_TREE: u16 = 5;
/// MsvAvFlags.
pub const AV_FLAGS: u16 = 6;
/// MsvAvTimestamp.
pub const AV_TIMESTAMP: u16 = 7;
/// MsvAvFlags bit: the AUTHENTICATE message carries a MIC.
pub const AV_FLAG_MIC: u32 = 0x2;

/// Most AV pairs accepted in one list.
pub const MAX_AV_PAIRS: usize = 64;

/// A parsed AV_PAIR list, in wire order, without the terminating MsvAvEOL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AvPairs(pub Vec<(u16, Vec<u8>)>);

impl AvPairs {
    /// Parses a list; requires MsvAvEOL, bounded by [`MAX_AV_PAIRS`]. Bytes after EOL are ignored.
    pub fn parse(mut b: &[u8]) -> Result<Self, NtlmError> {
        let mut out = Vec::new();
        loop {
            let (id, len) = match b {
                [a, c, d, e, ..] => (
                    u16::from_le_bytes([*a, *c]),
                    usize::from(u16::from_le_bytes([*d, *e])),
                ),
                _ => return Err(NtlmError::AvPairTruncated),
            };
            if id == AV_EOL {
                return Ok(Self(out));
            }
            let value = b.get(4..4 + len).ok_or(NtlmError::AvPairTruncated)?;
            if out.len() == MAX_AV_PAIRS {
                return Err(NtlmError::TooManyAvPairs);
            }
            out.push((id, value.to_vec()));
            b = &b[4 + len..];
        }
    }

    /// The first value with this id.
    pub fn get(&self, id: u16) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, v)| v.as_slice())
    }

    /// MsvAvTimestamp as a FILETIME, if present and 8 bytes long.
    pub fn timestamp(&self) -> Option<u64> {
        let v: [u8; 8] = self.get(AV_TIMESTAMP)?.try_into().ok()?;
        Some(u64::from_le_bytes(v))
    }

    /// MsvAvFlags, if present and 4 bytes long.
    pub fn flags(&self) -> Option<u32> {
        let v: [u8; 4] = self.get(AV_FLAGS)?.try_into().ok()?;
        Some(u32::from_le_bytes(v))
    }

    /// Sets (replaces or appends) a value.
    pub fn set(&mut self, id: u16, value: Vec<u8>) {
        match self.0.iter_mut().find(|(i, _)| *i == id) {
            Some(slot) => slot.1 = value,
            None => self.0.push((id, value)),
        }
    }

    /// Encodes the list with its MsvAvEOL. Values longer than 65535 bytes are truncated
    /// (only our own short names are ever encoded).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (id, v) in &self.0 {
            let len = u16::try_from(v.len()).unwrap_or(u16::MAX);
            out.extend_from_slice(&id.to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&v[..usize::from(len)]);
        }
        out.extend_from_slice(&[0, 0, 0, 0]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let mut a = AvPairs::default();
        a.set(AV_NB_DOMAIN, vec![1, 0]);
        a.set(AV_FLAGS, 2u32.to_le_bytes().to_vec());
        let e = a.encode();
        assert_eq!(AvPairs::parse(&e).unwrap(), a);
        assert_eq!(a.flags(), Some(2));
        for cut in 0..e.len() {
            assert!(AvPairs::parse(&e[..cut]).is_err(), "cut {cut}");
        }
        assert!(AvPairs::parse(&[2, 0, 0xff, 0xff, 0]).is_err());
    }
}
