//! Challenges (`WWW-Authenticate` / `Proxy-Authenticate`) and `Authentication-Info` /
//! `Proxy-Authentication-Info` ([MS-SIPAE] 2.2.1, 2.2.2, 3.2.5.2), from already split values.

use base64::Engine as _;

use super::{Scheme, SipaeError};

/// Longest `gssapi-data` value (base64 characters) accepted.
pub const MAX_GSSAPI_B64: usize = 64 * 1024;

/// A parsed challenge for one protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The protocol offered.
    pub scheme: Scheme,
    /// `realm`, unquoted.
    pub realm: String,
    /// `targetname`, unquoted (Kerberos keeps `sip/`).
    pub targetname: String,
    /// `version`, when present.
    pub version: Option<u32>,
    /// `opaque`, naming the SA (continuation challenges).
    pub opaque: Option<String>,
    /// `gssapi-data`, base64-decoded (continuation challenges).
    pub gssapi_data: Option<Vec<u8>>,
    /// `sts-uri` (TLS-DSK).
    pub sts_uri: Option<String>,
}

/// A parsed `Authentication-Info` (server signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthInfo {
    /// The protocol.
    pub scheme: Scheme,
    /// `rspauth` as sent (hex).
    pub rspauth: String,
    /// `srand` as sent.
    pub srand: String,
    /// `snum` as sent.
    pub snum: String,
    /// `opaque`.
    pub opaque: Option<String>,
    /// `qop`.
    pub qop: Option<String>,
    /// `realm`.
    pub realm: String,
    /// `targetname`.
    pub targetname: String,
    /// `version`.
    pub version: Option<u32>,
}

pub(super) fn unique<'a>(
    params: &[(&'a str, &'a str)],
    name: &'static str,
) -> Result<Option<&'a str>, SipaeError> {
    let mut it = params.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name));
    let first = it.next().map(|(_, v)| *v);
    if it.next().is_some() {
        return Err(SipaeError::DuplicateParam(name.to_owned()));
    }
    Ok(first)
}

pub(super) fn required<'a>(
    params: &[(&'a str, &'a str)],
    name: &'static str,
) -> Result<&'a str, SipaeError> {
    unique(params, name)?.ok_or(SipaeError::MissingParam(name))
}

fn version(params: &[(&str, &str)]) -> Result<Option<u32>, SipaeError> {
    unique(params, "version")?
        .map(|v| {
            v.parse::<u32>()
                .map_err(|_| SipaeError::BadParam { name: "version" })
        })
        .transpose()
}

/// The `gssapi-data` parameter, base64-decoded, bounded by `MAX_GSSAPI_B64`; absent is `None`.
pub(super) fn gssapi_data(params: &[(&str, &str)]) -> Result<Option<Vec<u8>>, SipaeError> {
    unique(params, "gssapi-data")?
        .map(|v| {
            if v.len() > MAX_GSSAPI_B64 {
                return Err(SipaeError::Limit("gssapi-data length"));
            }
            base64::engine::general_purpose::STANDARD
                .decode(v)
                .map_err(|_| SipaeError::BadParam {
                    name: "gssapi-data",
                })
        })
        .transpose()
}

pub(super) fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len() <= 256 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

impl Challenge {
    /// [MS-SIPAE] 2.2.1: parses one challenge from its scheme and ordered parameters.
    pub fn from_params(scheme: &str, params: &[(&str, &str)]) -> Result<Self, SipaeError> {
        let scheme = Scheme::parse(scheme)?;
        let gssapi_data = gssapi_data(params)?;
        let opaque = unique(params, "opaque")?;
        if opaque.is_some_and(|o| !is_hex(o)) {
            return Err(SipaeError::BadParam { name: "opaque" });
        }
        Ok(Self {
            scheme,
            realm: required(params, "realm")?.to_owned(),
            targetname: required(params, "targetname")?.to_owned(),
            version: version(params)?,
            opaque: opaque.map(str::to_owned),
            gssapi_data,
            sts_uri: unique(params, "sts-uri")?.map(str::to_owned),
        })
    }
}

impl AuthInfo {
    /// [MS-SIPAE] 2.2.2: parses an `Authentication-Info` value.
    pub fn from_params(scheme: &str, params: &[(&str, &str)]) -> Result<Self, SipaeError> {
        let scheme = Scheme::parse(scheme)?;
        let rspauth = required(params, "rspauth")?;
        if !is_hex(rspauth) {
            return Err(SipaeError::BadParam { name: "rspauth" });
        }
        Ok(Self {
            scheme,
            rspauth: rspauth.to_owned(),
            srand: required(params, "srand")?.to_owned(),
            snum: required(params, "snum")?.to_owned(),
            opaque: unique(params, "opaque")?.map(str::to_owned),
            qop: unique(params, "qop")?.map(str::to_owned),
            realm: required(params, "realm")?.to_owned(),
            targetname: required(params, "targetname")?.to_owned(),
            version: version(params)?,
        })
    }
}

impl std::fmt::Display for Challenge {
    /// Server side: `NTLM realm="R", targetname="T", version=3` for an offer, and
    /// `NTLM opaque="O", gssapi-data="B64", targetname="T", realm="R", version=4` for a continuation.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use super::authorization::quoted;
        write!(f, "{}", self.scheme)?;
        // `quoted` writes a leading ", "; the first parameter follows the scheme after a space.
        let mut params: Vec<(&str, String)> = Vec::new();
        if let Some(o) = &self.opaque {
            params.push(("opaque", o.clone()));
        }
        if let Some(g) = &self.gssapi_data {
            params.push((
                "gssapi-data",
                base64::engine::general_purpose::STANDARD.encode(g),
            ));
        }
        if self.opaque.is_some() || self.gssapi_data.is_some() {
            params.push(("targetname", self.targetname.clone()));
            params.push(("realm", self.realm.clone()));
        } else {
            params.push(("realm", self.realm.clone()));
            params.push(("targetname", self.targetname.clone()));
        }
        if let Some(s) = &self.sts_uri {
            params.push(("sts-uri", s.clone()));
        }
        let mut first = true;
        for (n, v) in params {
            if first {
                f.write_str(" ")?;
                write!(f, "{n}=\"{}\"", escape(&v))?;
                first = false;
            } else {
                quoted(f, n, &v)?;
            }
        }
        if let Some(v) = self.version {
            write!(f, ", version={v}")?;
        }
        Ok(())
    }
}

impl std::fmt::Display for AuthInfo {
    /// `NTLM rspauth="X", srand="S", snum="1", opaque="O", qop="auth", targetname="T", realm="R"`
    /// (the order of the OCS 2007 R2 capture).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use super::authorization::quoted;
        write!(f, "{} rspauth=\"{}\"", self.scheme, escape(&self.rspauth))?;
        quoted(f, "srand", &self.srand)?;
        quoted(f, "snum", &self.snum)?;
        if let Some(o) = &self.opaque {
            quoted(f, "opaque", o)?;
        }
        quoted(f, "qop", self.qop.as_deref().unwrap_or("auth"))?;
        quoted(f, "targetname", &self.targetname)?;
        quoted(f, "realm", &self.realm)?;
        if let Some(v) = self.version {
            write!(f, ", version={v}")?;
        }
        Ok(())
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Parses every challenge header of a 401/407. Headers with other schemes (e.g. Digest) or
/// malformed ones are returned as errors next to the usable offers, never abort the rest.
pub fn parse_challenges<'a, I>(headers: I) -> (Vec<Challenge>, Vec<SipaeError>)
where
    I: IntoIterator<Item = (&'a str, &'a [(&'a str, &'a str)])>,
{
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for (scheme, params) in headers.into_iter().take(16) {
        match Challenge::from_params(scheme, params) {
            Ok(c) => ok.push(c),
            Err(e) => bad.push(e),
        }
    }
    (ok, bad)
}

pub(crate) fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::params::split;
    use super::*;

    #[test]
    fn spec_401_offers() {
        let a = split(r#"NTLM realm="SIP Communications Service", targetname="server.contoso.com", version=3"#).unwrap();
        let k = split(r#"Kerberos realm="SIP Communications Service", targetname="sip/server.contoso.com", version=3"#).unwrap();
        let d = split(r#"Digest realm="x", nonce="y""#).unwrap();
        let t = split(r#"TLS-DSK realm="SIP Communications Service", targetname="LYNC2013-SERVER.lync.loc", version=4, sts-uri="https://LYNC2013-SERVER.lync.loc:443/CertProv/CertProvisioningService.svc""#).unwrap();
        let (ap, kp, dp, tp) = (a.pairs(), k.pairs(), d.pairs(), t.pairs());
        let (ok, bad) = parse_challenges([
            (a.scheme.as_str(), ap.as_slice()),
            (k.scheme.as_str(), kp.as_slice()),
            (d.scheme.as_str(), dp.as_slice()),
            (t.scheme.as_str(), tp.as_slice()),
        ]);
        assert_eq!(ok.len(), 3);
        assert_eq!(bad, vec![SipaeError::UnsupportedScheme("Digest".into())]);
        assert_eq!(ok[1].scheme, Scheme::Kerberos);
        assert_eq!(ok[1].targetname, "sip/server.contoso.com");
        assert_eq!(ok[0].version, Some(3));
        assert_eq!(
            ok[2].sts_uri.as_deref(),
            Some("https://LYNC2013-SERVER.lync.loc:443/CertProv/CertProvisioningService.svc")
        );
    }

    #[test]
    fn continuation_and_info() {
        let c = split(
            r#"NTLM opaque="2BDBAC9D", gssapi-data="TlRMTVNTUAACAAAA", targetname="t", realm="r""#,
        )
        .unwrap();
        let c = Challenge::from_params(&c.scheme, &c.pairs()).unwrap();
        assert_eq!(c.opaque.as_deref(), Some("2BDBAC9D"));
        assert_eq!(&c.gssapi_data.unwrap()[..7], b"NTLMSSP");
        let i = split(r#"NTLM rspauth="01000000E615438A917661BE64000000", srand="9616454F", snum="1", opaque="2BDBAC9D", qop="auth", targetname="cosmo-ocs-r2.cosmo.local", realm="SIP Communications Service""#).unwrap();
        let i = AuthInfo::from_params(&i.scheme, &i.pairs()).unwrap();
        assert_eq!(i.srand, "9616454F");
        assert_eq!(i.snum, "1");
    }

    #[test]
    fn malformed() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], SipaeError);
        let cases: [Case<'_>; 5] = [
            (
                "NTLM",
                &[("realm", "r")],
                SipaeError::MissingParam("targetname"),
            ),
            (
                "NTLM",
                &[("realm", "r"), ("REALM", "s"), ("targetname", "t")],
                SipaeError::DuplicateParam("realm".into()),
            ),
            (
                "NTLM",
                &[("realm", "r"), ("targetname", "t"), ("version", "x")],
                SipaeError::BadParam { name: "version" },
            ),
            (
                "NTLM",
                &[("realm", "r"), ("targetname", "t"), ("gssapi-data", "!!")],
                SipaeError::BadParam {
                    name: "gssapi-data",
                },
            ),
            (
                "NTLM",
                &[("realm", "r"), ("targetname", "t"), ("opaque", "zz")],
                SipaeError::BadParam { name: "opaque" },
            ),
        ];
        for (s, p, e) in cases {
            assert_eq!(Challenge::from_params(s, p), Err(e));
        }
        assert_eq!(hex_decode("0g"), None);
        assert_eq!(hex_decode("0aFF"), Some(vec![10, 255]));
    }
}
