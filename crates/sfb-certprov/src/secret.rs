//! Secrets of the WebTicket flow: the password, the entropies, the proof key and the SAML
//! assertion (a bearer token). All are zeroized on drop and their `Debug` prints nothing useful.

use std::fmt;

use zeroize::Zeroizing;

/// A password for HTTP NTLM.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Password(Zeroizing::new(password.into()))
    }

    /// The password text (hand it only to the authentication mechanism).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// WS-Trust entropy (`wst:Entropy/wst:BinarySecret`), client or server.
#[derive(Clone, PartialEq, Eq)]
pub struct Entropy(Zeroizing<Vec<u8>>);

impl Entropy {
    /// Wraps entropy bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Entropy(Zeroizing::new(bytes))
    }

    /// The bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Entropy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Entropy({} bytes)", self.0.len())
    }
}

/// The proof-of-possession key (WS-Trust CK/PSHA1).
#[derive(Clone, PartialEq, Eq)]
pub struct ProofKey(Zeroizing<Vec<u8>>);

impl ProofKey {
    /// Wraps key bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        ProofKey(Zeroizing::new(bytes))
    }

    /// The key bytes (for the HMAC-SHA1 XML signature of the timestamp).
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for ProofKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProofKey({} bytes)", self.0.len())
    }
}

/// The SAML `<Assertion>` XML exactly as the service sent it: a bearer token.
#[derive(Clone, PartialEq, Eq)]
pub struct Assertion(Zeroizing<Vec<u8>>);

impl Assertion {
    /// Wraps assertion bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Assertion(Zeroizing::new(bytes))
    }

    /// The raw XML bytes (for `X-MS-WebTicket: opaque=<base64>` or a `wsse:Security` header).
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Moves the bytes out, still zeroizing.
    pub fn into_bytes(self) -> Zeroizing<Vec<u8>> {
        self.0
    }

    /// Moves the bytes out without a copy (for discovery's `WebTicket::new(Vec<u8>)`, which
    /// zeroizes them itself).
    pub fn into_vec(self) -> Vec<u8> {
        let mut z = self.0;
        std::mem::take(&mut *z)
    }
}

impl fmt::Debug for Assertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Assertion({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_no_secret() {
        let p = format!("{:?}", Password::new("Passw0rd-secret"));
        assert!(!p.contains("Passw0rd"), "{p}");
        let e = format!("{:?}", Entropy::new(vec![0xAB; 4]));
        assert!(!e.to_lowercase().contains("ab"), "{e}");
        assert!(!e.contains("171"), "{e}");
        let k = format!("{:?}", ProofKey::new(vec![0xCD; 4]));
        assert!(!k.to_lowercase().contains("cd, "), "{k}");
        assert!(!k.contains("205"), "{k}");
        let a = format!(
            "{:?}",
            Assertion::new(b"<Assertion>bearer</Assertion>".to_vec())
        );
        assert!(!a.contains("bearer"), "{a}");
    }
}
