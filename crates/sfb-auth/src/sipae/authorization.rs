//! `Authorization` / `Proxy-Authorization` values ([MS-SIPAE] 2.2.3), with the parameters in
//! the order real clients send them (protocol.md §3.3).

use std::fmt;

use base64::Engine as _;

use super::challenge::{gssapi_data, hex_decode, is_hex, required, unique};
use super::{Scheme, SipaeError};

/// The signature part of an Authorization value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// `crand`: 8 hex digits.
    pub crand: String,
    /// `cnum`: decimal counter.
    pub cnum: String,
    /// `response`: signature in hex.
    pub response: String,
}

/// An Authorization header value (without the header name).
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationValue {
    /// Protocol.
    pub scheme: Scheme,
    /// Realm echoed from the challenge.
    pub realm: String,
    /// Target name echoed from the challenge.
    pub targetname: String,
    /// `opaque` once the server assigned one.
    pub opaque: Option<String>,
    /// `version` echoed from the challenge (handshake requests only).
    pub version: Option<u32>,
    /// `gssapi-data` for handshake requests (`Some(empty)` is the NTLM opening).
    pub gssapi_data: Option<Vec<u8>>,
    /// `crand`/`cnum`/`response` for signed requests.
    pub signed: Option<Signed>,
}

impl fmt::Debug for AuthorizationValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // gssapi-data may carry crackable responses: print its length only.
        f.debug_struct("AuthorizationValue")
            .field("scheme", &self.scheme)
            .field("realm", &self.realm)
            .field("targetname", &self.targetname)
            .field("opaque", &self.opaque)
            .field("version", &self.version)
            .field("gssapi_data_len", &self.gssapi_data.as_ref().map(Vec::len))
            .field("signed", &self.signed.is_some())
            .finish()
    }
}

impl AuthorizationValue {
    /// Parses an Authorization value (server side, [MS-SIPAE] 2.2.3). Parameter order is free.
    pub fn from_params(scheme: &str, params: &[(&str, &str)]) -> Result<Self, SipaeError> {
        let scheme = Scheme::parse(scheme)?;
        let gssapi_data = gssapi_data(params)?;
        let signed = match unique(params, "response")? {
            None => None,
            Some(r) => {
                if !is_hex(r) {
                    return Err(SipaeError::BadParam { name: "response" });
                }
                let crand = required(params, "crand")?;
                let cnum = required(params, "cnum")?;
                if crand.len() > 16 || cnum.len() > 10 || cnum.parse::<u32>().is_err() {
                    return Err(SipaeError::BadParam { name: "cnum" });
                }
                Some(Signed {
                    crand: crand.to_owned(),
                    cnum: cnum.to_owned(),
                    response: r.to_owned(),
                })
            }
        };
        let version = unique(params, "version")?
            .map(|v| {
                v.parse::<u32>()
                    .map_err(|_| SipaeError::BadParam { name: "version" })
            })
            .transpose()?;
        Ok(Self {
            scheme,
            realm: required(params, "realm")?.to_owned(),
            targetname: required(params, "targetname")?.to_owned(),
            opaque: unique(params, "opaque")?.map(str::to_owned),
            version,
            gssapi_data,
            signed,
        })
    }

    /// The decoded `response`, if the value is signed.
    pub fn response_bytes(&self) -> Option<Vec<u8>> {
        self.signed.as_ref().and_then(|s| hex_decode(&s.response))
    }
}

/// Writes a quoted-string, escaping `"` and `\`.
pub(super) fn quoted(f: &mut fmt::Formatter<'_>, name: &str, v: &str) -> fmt::Result {
    write!(f, ", {name}=\"")?;
    for c in v.chars() {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

impl fmt::Display for AuthorizationValue {
    /// Handshake form (OC 2007 R2 capture):
    /// `NTLM qop="auth", realm="R", opaque="O", targetname="T", version=4, gssapi-data="B64", crand="C", cnum="1", response="X"`.
    /// Signed form ([MS-SIP] 4.8 example):
    /// `NTLM qop="auth", realm="R", opaque="O", crand="C", cnum="7", targetname="T", response="X"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} qop=\"auth\"", self.scheme)?;
        quoted(f, "realm", &self.realm)?;
        if let Some(o) = &self.opaque {
            quoted(f, "opaque", o)?;
        }
        match (&self.gssapi_data, &self.signed) {
            (Some(data), signed) => {
                quoted(f, "targetname", &self.targetname)?;
                if let Some(v) = self.version {
                    write!(f, ", version={v}")?;
                }
                quoted(
                    f,
                    "gssapi-data",
                    &base64::engine::general_purpose::STANDARD.encode(data),
                )?;
                if let Some(s) = signed {
                    quoted(f, "crand", &s.crand)?;
                    quoted(f, "cnum", &s.cnum)?;
                    quoted(f, "response", &s.response)?;
                }
            }
            (None, Some(s)) => {
                quoted(f, "crand", &s.crand)?;
                quoted(f, "cnum", &s.cnum)?;
                quoted(f, "targetname", &self.targetname)?;
                quoted(f, "response", &s.response)?;
            }
            (None, None) => quoted(f, "targetname", &self.targetname)?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_order_matches_capture() {
        let v = AuthorizationValue {
            scheme: Scheme::Ntlm,
            realm: "SIP Communications Service".into(),
            targetname: "cosmo-ocs-r2.cosmo.local".into(),
            opaque: Some("2BDBAC9D".into()),
            version: Some(4),
            gssapi_data: Some(b"NTLM".to_vec()),
            signed: Some(Signed {
                crand: "13317733".into(),
                cnum: "1".into(),
                response: "0100".into(),
            }),
        };
        assert_eq!(
            v.to_string(),
            r#"NTLM qop="auth", realm="SIP Communications Service", opaque="2BDBAC9D", targetname="cosmo-ocs-r2.cosmo.local", version=4, gssapi-data="TlRMTQ==", crand="13317733", cnum="1", response="0100""#
        );
        let mut s = v.clone();
        s.gssapi_data = None;
        s.version = None;
        assert_eq!(
            s.to_string(),
            r#"NTLM qop="auth", realm="SIP Communications Service", opaque="2BDBAC9D", crand="13317733", cnum="1", targetname="cosmo-ocs-r2.cosmo.local", response="0100""#
        );
        let mut first = v;
        first.opaque = None;
        first.signed = None;
        first.gssapi_data = Some(vec![]);
        first.realm = "a\"b".into();
        assert_eq!(
            first.to_string(),
            r#"NTLM qop="auth", realm="a\"b", targetname="cosmo-ocs-r2.cosmo.local", version=4, gssapi-data="""#
        );
    }
}
