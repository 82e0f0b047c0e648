//! Enctypes and zeroizing key material.

use zeroize::Zeroizing;

use super::KerberosError;

/// RFC 3962 enctypes we support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enctype {
    /// aes128-cts-hmac-sha1-96 (17).
    Aes128CtsHmacSha196,
    /// aes256-cts-hmac-sha1-96 (18).
    Aes256CtsHmacSha196,
}

impl Enctype {
    /// RFC 3961 §8 etype number.
    pub fn number(self) -> i64 {
        match self {
            Self::Aes128CtsHmacSha196 => 17,
            Self::Aes256CtsHmacSha196 => 18,
        }
    }

    /// From an RFC 3961 etype number; anything else is [`KerberosError::UnsupportedEnctype`].
    pub fn from_number(n: i64) -> Result<Self, KerberosError> {
        match n {
            17 => Ok(Self::Aes128CtsHmacSha196),
            18 => Ok(Self::Aes256CtsHmacSha196),
            etype => Err(KerberosError::UnsupportedEnctype { etype }),
        }
    }

    /// Key length in octets.
    pub fn key_len(self) -> usize {
        match self {
            Self::Aes128CtsHmacSha196 => 16,
            Self::Aes256CtsHmacSha196 => 32,
        }
    }

    pub(crate) fn cipher(self) -> picky_krb::crypto::CipherSuite {
        match self {
            Self::Aes128CtsHmacSha196 => picky_krb::crypto::CipherSuite::Aes128CtsHmacSha196,
            Self::Aes256CtsHmacSha196 => picky_krb::crypto::CipherSuite::Aes256CtsHmacSha196,
        }
    }
}

/// A Kerberos key (session key, subkey or service key). Zeroized on drop; Debug hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey {
    enctype: Enctype,
    bytes: Zeroizing<Vec<u8>>,
}

impl SessionKey {
    /// A key of `enctype`; the length must match.
    pub fn new(enctype: Enctype, bytes: Vec<u8>) -> Result<Self, KerberosError> {
        let bytes = Zeroizing::new(bytes);
        if bytes.len() != enctype.key_len() {
            return Err(KerberosError::KeyLength { len: bytes.len() });
        }
        Ok(Self { enctype, bytes })
    }

    /// The key's enctype.
    pub fn enctype(&self) -> Enctype {
        self.enctype
    }

    /// The raw key.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// RFC 3961 decrypt with key usage `usage`.
    pub(crate) fn decrypt(
        &self,
        usage: i32,
        data: &[u8],
        what: &'static str,
    ) -> Result<Zeroizing<Vec<u8>>, KerberosError> {
        self.enctype
            .cipher()
            .cipher()
            .decrypt(&self.bytes, usage, data)
            .map(Zeroizing::new)
            .map_err(|_| KerberosError::Integrity { what })
    }
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKey")
            .field("enctype", &self.enctype)
            .field("bytes", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_key() {
        let k = SessionKey::new(Enctype::Aes128CtsHmacSha196, vec![0xAB; 16]).unwrap();
        let s = format!("{k:?}");
        assert!(!s.to_lowercase().contains("ab, ") && !s.contains("171"));
        assert!(s.contains("redacted"));
    }

    #[test]
    fn length_checked() {
        assert_eq!(
            SessionKey::new(Enctype::Aes256CtsHmacSha196, vec![0; 16]),
            Err(KerberosError::KeyLength { len: 16 })
        );
        assert_eq!(
            Enctype::from_number(23),
            Err(KerberosError::UnsupportedEnctype { etype: 23 })
        );
    }
}
