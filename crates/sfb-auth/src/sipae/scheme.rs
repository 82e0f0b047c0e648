//! The MS-SIPAE authentication protocols.

use std::fmt;

use super::SipaeError;

/// An MS-SIPAE authentication protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// NTLM ([MS-NLMP], connectionless).
    Ntlm,
    /// Kerberos ([MS-KILE], GSS-API).
    Kerberos,
    /// TLS-DSK.
    TlsDsk,
}

impl Scheme {
    /// The wire name (`NTLM`, `Kerberos`, `TLS-DSK`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ntlm => "NTLM",
            Self::Kerberos => "Kerberos",
            Self::TlsDsk => "TLS-DSK",
        }
    }

    /// Parses a scheme name case-insensitively.
    pub fn parse(s: &str) -> Result<Self, SipaeError> {
        [Self::Ntlm, Self::Kerberos, Self::TlsDsk]
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| SipaeError::UnsupportedScheme(s.chars().take(32).collect()))
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
