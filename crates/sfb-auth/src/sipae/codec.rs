//! Adapters from the SIP codec (`sfb-sip-codec`) to the MS-SIPAE types: challenges,
//! `Authentication-Info` and Authorization values from codec [`AuthHeader`]s, and the
//! signature-buffer fields from a parsed [`Message`], exactly as the bytes are on the wire
//! (header names matched case-insensitively and in compact form; values never rewritten).
//!
//! [MS-SIPAE] 3.2.5.2 / 3.3.5.2: the signature buffer is built from the message as sent or as
//! received; with the codec both sides build it from the parsed bytes.

use std::borrow::Cow;

use sfb_sip_codec::{AuthHeader, AuthHeaderKind, Message, NameAddr, ParseError};

use super::{
    AuthInfo, AuthorizationValue, Challenge, HeaderKind, MessageFields, SecurityAssociation,
    SignatureFields, SipaeError,
};

/// Most auth headers of one kind looked at in one message (the rest are reported).
pub const MAX_AUTH_HEADERS: usize = 16;
/// Most P-Asserted-Identity / P-Preferred-Identity values looked at.
const MAX_IDENTITIES: usize = 8;

/// The parameters of a codec auth header, unescaped, in wire order.
fn unescaped<'h>(h: &AuthHeader<'h>) -> Vec<(&'h str, Cow<'h, str>)> {
    h.params
        .iter()
        .map(|p| (p.name, p.value.unescaped()))
        .collect()
}

fn with_pairs<T>(
    h: &AuthHeader<'_>,
    f: impl FnOnce(&str, &[(&str, &str)]) -> Result<T, SipaeError>,
) -> Result<T, SipaeError> {
    let owned = unescaped(h);
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(n, v)| (*n, v.as_ref())).collect();
    f(h.scheme, &pairs)
}

fn malformed(name: &'static str) -> impl Fn(ParseError) -> SipaeError {
    move |error| SipaeError::MalformedHeader { name, error }
}

impl Challenge {
    /// [MS-SIPAE] 2.2.1: a challenge from a codec `WWW-Authenticate` / `Proxy-Authenticate`.
    pub fn from_header(h: &AuthHeader<'_>) -> Result<Self, SipaeError> {
        with_pairs(h, Self::from_params)
    }
}

impl AuthInfo {
    /// [MS-SIPAE] 2.2.2: an `Authentication-Info` / `Proxy-Authentication-Info` from the codec.
    pub fn from_header(h: &AuthHeader<'_>) -> Result<Self, SipaeError> {
        with_pairs(h, Self::from_params)
    }
}

impl AuthorizationValue {
    /// [MS-SIPAE] 2.2.3: an `Authorization` / `Proxy-Authorization` from the codec.
    pub fn from_header(h: &AuthHeader<'_>) -> Result<Self, SipaeError> {
        with_pairs(h, Self::from_params)
    }
}

/// Everything MS-SIPAE needs from the auth headers of a response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseAuth {
    /// The header pair the challenges ask for (401: Authorization, 407: Proxy-Authorization).
    pub header: Option<HeaderKind>,
    /// Usable challenges (NTLM, Kerberos, TLS-DSK), in wire order.
    pub challenges: Vec<Challenge>,
    /// Server signatures (`Authentication-Info` / `Proxy-Authentication-Info`), in wire order.
    /// When a 407 carries both an Info and a challenge, the signature fields come from here.
    pub infos: Vec<AuthInfo>,
    /// Headers that were skipped (other schemes such as Digest, malformed values, limits).
    pub skipped: Vec<SipaeError>,
}

impl ResponseAuth {
    /// [MS-SIPAE] 3.2.5.1, 3.2.5.2: collects every challenge and Info of a response.
    pub fn from_message(msg: &Message<'_>) -> Self {
        let mut out = Self::default();
        let (mut nch, mut ninfo) = (0usize, 0usize);
        for h in msg.auth_headers() {
            let h = match h {
                Ok(h) => h,
                Err(e) => {
                    out.skipped.push(malformed("auth")(e));
                    continue;
                }
            };
            match h.kind {
                AuthHeaderKind::WwwAuthenticate | AuthHeaderKind::ProxyAuthenticate => {
                    nch += 1;
                    if nch > MAX_AUTH_HEADERS {
                        out.skipped.push(SipaeError::Limit("challenge count"));
                        continue;
                    }
                    let kind = if h.kind == AuthHeaderKind::WwwAuthenticate {
                        HeaderKind::Authorization
                    } else {
                        HeaderKind::ProxyAuthorization
                    };
                    match Challenge::from_header(&h) {
                        Ok(c) => {
                            out.header.get_or_insert(kind);
                            out.challenges.push(c);
                        }
                        Err(e) => out.skipped.push(e),
                    }
                }
                AuthHeaderKind::AuthenticationInfo | AuthHeaderKind::ProxyAuthenticationInfo => {
                    ninfo += 1;
                    if ninfo > MAX_AUTH_HEADERS {
                        out.skipped.push(SipaeError::Limit("info count"));
                        continue;
                    }
                    match AuthInfo::from_header(&h) {
                        Ok(i) => out.infos.push(i),
                        Err(e) => out.skipped.push(e),
                    }
                }
                AuthHeaderKind::Authorization | AuthHeaderKind::ProxyAuthorization => {}
            }
        }
        out
    }

    /// The Info that belongs to `sa` (same protocol, realm and target), if any.
    pub fn info_for(&self, sa: &SecurityAssociation) -> Option<&AuthInfo> {
        self.infos
            .iter()
            .find(|i| sa.matches(i.scheme, &i.realm, &i.targetname))
    }
}

/// Server side: every `Authorization` / `Proxy-Authorization` of a request, in wire order.
pub fn authorizations(
    msg: &Message<'_>,
) -> Vec<(HeaderKind, Result<AuthorizationValue, SipaeError>)> {
    msg.auth_headers()
        .filter_map(|h| {
            let h = match h {
                Ok(h) => h,
                Err(e) => return Some((HeaderKind::Authorization, Err(malformed("auth")(e)))),
            };
            let kind = match h.kind {
                AuthHeaderKind::Authorization => HeaderKind::Authorization,
                AuthHeaderKind::ProxyAuthorization => HeaderKind::ProxyAuthorization,
                _ => return None,
            };
            Some((kind, AuthorizationValue::from_header(&h)))
        })
        .take(MAX_AUTH_HEADERS)
        .collect()
}

/// Splits identities into the first sip/sips URI and the first tel URI (case kept).
fn identities<'a, I>(
    it: I,
    name: &'static str,
) -> Result<(Option<&'a str>, Option<&'a str>), SipaeError>
where
    I: Iterator<Item = Result<NameAddr<'a>, ParseError>>,
{
    let (mut sip, mut tel) = (None, None);
    for na in it.take(MAX_IDENTITIES) {
        let uri = na.map_err(malformed(name))?.uri;
        let scheme = uri.split_once(':').map(|(s, _)| s);
        match scheme {
            Some(s) if (s.eq_ignore_ascii_case("sip") || s.eq_ignore_ascii_case("sips")) => {
                sip.get_or_insert(uri);
            }
            Some(s) if s.eq_ignore_ascii_case("tel") => {
                tel.get_or_insert(uri);
            }
            _ => {}
        }
    }
    Ok((sip, tel))
}

fn name_addr<'a>(
    v: Option<Result<NameAddr<'a>, ParseError>>,
    name: &'static str,
) -> Result<NameAddr<'a>, SipaeError> {
    v.ok_or(SipaeError::MissingHeader(name))?
        .map_err(malformed(name))
}

impl<'a> MessageFields<'a> {
    /// [MS-SIPAE] 3.2.5.2: the message values of the signature buffer, borrowed from a parsed
    /// request or response: Call-ID, CSeq number (as written) and method, From/To URIs (no
    /// display name, no `<>`) and tags, the sip and tel values of P-Asserted-Identity (else
    /// P-Preferred-Identity), the Expires header as written, and the status code of a response.
    pub fn from_message(msg: &Message<'a>) -> Result<Self, SipaeError> {
        let call_id = msg.call_id().ok_or(SipaeError::MissingHeader("Call-ID"))?;
        let cseq_h = msg
            .header("CSeq")
            .ok_or(SipaeError::MissingHeader("CSeq"))?;
        let cseq = msg
            .cseq()
            .ok_or(SipaeError::MissingHeader("CSeq"))?
            .map_err(malformed("CSeq"))?;
        let cseq_number = cseq_h
            .value
            .split(|c: char| c.is_ascii_whitespace())
            .find(|s| !s.is_empty())
            .ok_or(SipaeError::MissingHeader("CSeq"))?;
        let from = name_addr(msg.from(), "From")?;
        let to = name_addr(msg.to(), "To")?;
        let (pai_sip, pai_tel) = identities(msg.p_asserted_identities(), "P-Asserted-Identity")?;
        let (ppi_sip, ppi_tel) = identities(msg.p_preferred_identities(), "P-Preferred-Identity")?;
        let expires = msg.header("Expires").map(|h| h.value.trim());
        Ok(Self {
            call_id,
            cseq_number,
            cseq_method: cseq.method,
            from_uri: from.uri,
            from_tag: from.tag(),
            to_uri: to.uri,
            to_tag: to.tag(),
            p_asserted_identity_sip: pai_sip,
            p_asserted_identity_tel: pai_tel,
            p_preferred_identity_sip: ppi_sip,
            p_preferred_identity_tel: ppi_tel,
            expires,
            response_code: msg.status_code(),
        })
    }
}

impl<'a> SignatureFields<'a> {
    /// The buffer input of a signed request ([MS-SIPAE] 3.3.5.2); `None` when `auth` is
    /// not signed (no `crand`/`cnum`/`response`).
    pub fn for_request(auth: &'a AuthorizationValue, message: MessageFields<'a>) -> Option<Self> {
        let s = auth.signed.as_ref()?;
        Some(Self {
            protocol: auth.scheme.as_str(),
            rand: &s.crand,
            num: &s.cnum,
            realm: &auth.realm,
            targetname: &auth.targetname,
            message,
        })
    }

    /// The buffer input of a signed response ([MS-SIPAE] 3.2.5.2): `srand`, `snum`, realm and
    /// target come from the Info header.
    pub fn for_response(info: &'a AuthInfo, message: MessageFields<'a>) -> Self {
        Self {
            protocol: info.scheme.as_str(),
            rand: &info.srand,
            num: &info.snum,
            realm: &info.realm,
            targetname: &info.targetname,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scheme;
    use sfb_sip_codec::{Limits, parse_datagram};

    fn parse(s: &str) -> Message<'_> {
        parse_datagram(s.as_bytes(), &Limits::default()).unwrap()
    }

    #[test]
    fn proxy_407_with_info_and_challenge() {
        let raw = "SIP/2.0 407 Proxy Authentication Required\r\n\
Via: SIP/2.0/TLS 10.0.0.1:1;branch=z9hG4bK1\r\n\
FROM: <sip:a@b.c>;tag=1\r\nt: sip:a@b.c;tag=2\r\ni: cid\r\nCSeq: 7 INVITE\r\n\
Proxy-Authentication-Info: NTLM rspauth=\"0100\", srand=\"AB\", snum=\"3\", opaque=\"0A\", qop=\"auth\", targetname=\"fe\", realm=\"R\"\r\n\
Proxy-Authenticate: NTLM realm=\"R\", targetname=\"fe2\", version=4\r\n\
Proxy-Authenticate: Digest realm=\"x\", nonce=\"y\"\r\n\
Content-Length: 0\r\n\r\n";
        let m = parse(raw);
        let r = ResponseAuth::from_message(&m);
        assert_eq!(r.header, Some(HeaderKind::ProxyAuthorization));
        assert_eq!(r.challenges.len(), 1);
        assert_eq!(r.challenges[0].targetname, "fe2");
        assert_eq!(r.infos.len(), 1);
        assert_eq!(
            r.skipped,
            vec![SipaeError::UnsupportedScheme("Digest".into())]
        );
        let f = MessageFields::from_message(&m).unwrap();
        let buf = SignatureFields::for_response(&r.infos[0], f)
            .to_buffer(super::super::SignatureLayout::V3);
        assert_eq!(
            buf,
            "<NTLM><AB><3><R><fe><cid><7><INVITE><sip:a@b.c><1><sip:a@b.c><2><><><><407>"
        );
        assert_eq!(r.infos[0].scheme, Scheme::Ntlm);
    }

    #[test]
    fn missing_and_malformed_headers() {
        let m = parse(
            "REGISTER sip:x SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCSeq: 1 REGISTER\r\n\r\n",
        );
        assert_eq!(
            MessageFields::from_message(&m),
            Err(SipaeError::MissingHeader("Call-ID"))
        );
        let m = parse(
            "REGISTER sip:x SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\ni: c\r\nCSeq: x REGISTER\r\n\r\n",
        );
        assert!(matches!(
            MessageFields::from_message(&m),
            Err(SipaeError::MalformedHeader { name: "CSeq", .. })
        ));
        let m = parse(
            "REGISTER sip:x SIP/2.0\r\nFrom: \"x<sip:a@b>\r\nTo: <sip:a@b>\r\ni: c\r\nCSeq: 1 REGISTER\r\n\r\n",
        );
        assert!(matches!(
            MessageFields::from_message(&m),
            Err(SipaeError::MalformedHeader { name: "From", .. })
        ));
    }

    #[test]
    fn hostile_headers_are_bounded_and_reported() {
        let mut raw = String::from(
            "SIP/2.0 401 Unauthorized\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\ni: c\r\nCSeq: 1 REGISTER\r\n",
        );
        for _ in 0..40 {
            raw.push_str("WWW-Authenticate: NTLM realm=\"r\", targetname=\"t\"\r\n");
        }
        raw.push_str("WWW-Authenticate: NTLM realm=\"unterminated\r\n");
        raw.push_str("Authentication-Info: NTLM rspauth=\"zz\", srand=\"1\", snum=\"1\", realm=\"r\", targetname=\"t\"\r\n");
        raw.push_str("P-Asserted-Identity: <sip:a@b\r\n\r\n");
        let m = parse(&raw);
        let r = ResponseAuth::from_message(&m);
        assert_eq!(r.challenges.len(), MAX_AUTH_HEADERS);
        assert!(r.infos.is_empty());
        assert!(r.skipped.contains(&SipaeError::Limit("challenge count")));
        assert!(
            r.skipped
                .contains(&SipaeError::BadParam { name: "rspauth" })
        );
        assert!(
            r.skipped
                .iter()
                .any(|e| matches!(e, SipaeError::MalformedHeader { name: "auth", .. }))
        );
        assert!(matches!(
            MessageFields::from_message(&m),
            Err(SipaeError::MalformedHeader {
                name: "P-Asserted-Identity",
                ..
            })
        ));
    }
}
