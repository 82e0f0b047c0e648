//! Secret material in zeroizing types whose `Debug` prints nothing useful.
//!
//! Passwords, NT hashes and session keys never appear in `Debug` or `Display` output; the
//! memory is wiped on drop.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// A password (UTF-8). Zeroized on drop; `Debug` prints `Password(..)`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// A 16-byte secret key (NT hash, session key, signing or sealing key).
/// Zeroized on drop; `Debug` prints `Key16(..)`.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct Key16([u8; 16]);

impl Key16 {
    /// Wraps 16 secret bytes.
    pub fn new(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The secret bytes. Callers must not log them.
    pub fn expose(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Debug for Key16 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key16(..)")
    }
}

/// The NT one-way function of a password: `MD4(UTF-16LE(password))` ([MS-NLMP] 3.3.1).
pub type NtHash = Key16;

/// What a credential proves knowledge of.
#[derive(Clone)]
pub enum CredentialSecret {
    /// The clear-text password.
    Password(Password),
    /// The NT hash (pass-the-hash, used by test servers).
    NtHash(NtHash),
}

impl fmt::Debug for CredentialSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Password(_) => f.write_str("Password(..)"),
            Self::NtHash(_) => f.write_str("NtHash(..)"),
        }
    }
}

impl CredentialSecret {
    /// The NT hash of this secret.
    pub fn nt_hash(&self) -> NtHash {
        match self {
            Self::Password(p) => crate::ntlm::crypto::nt_hash(p.expose()),
            Self::NtHash(h) => h.clone(),
        }
    }
}

/// A user credential for NTLM: user name, domain and secret.
///
/// Login forms ([MS-NLMP] 3.1.5.1.2): `DOMAIN\user` splits into domain and user;
/// `user@upn.suffix` is sent as the user name with an empty domain.
#[derive(Clone, Debug)]
pub struct Credential {
    /// User name as sent on the wire.
    pub user: String,
    /// Domain as sent on the wire (empty for a UPN login).
    pub domain: String,
    /// The secret.
    pub secret: CredentialSecret,
}

impl Credential {
    /// Builds a credential from a login string (`DOMAIN\user`, `user@upn` or a bare `user`).
    pub fn from_login(login: &str, secret: CredentialSecret) -> Self {
        let (domain, user) = match login.split_once('\\') {
            Some((d, u)) => (d.to_owned(), u.to_owned()),
            None => (String::new(), login.to_owned()),
        };
        Self {
            user,
            domain,
            secret,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_no_secret() {
        let c = Credential::from_login(
            "COSMO\\User",
            CredentialSecret::Password(Password::new("Pa$$word")),
        );
        let s = format!("{c:?} {:?}", Key16::new([0xAB; 16]));
        assert!(!s.contains("Pa$$word"), "{s}");
        assert!(
            !s.to_lowercase().contains("ab, ") && !s.contains("171"),
            "{s}"
        );
        assert_eq!(c.domain, "COSMO");
        assert_eq!(c.user, "User");
    }

    #[test]
    fn upn_login_has_empty_domain() {
        let c = Credential::from_login(
            "user@contoso.com",
            CredentialSecret::Password(Password::new("x")),
        );
        assert_eq!(c.user, "user@contoso.com");
        assert_eq!(c.domain, "");
    }
}
