//! The security association ([MS-SIPAE] 3.2.1, 3.2.5): one per (protocol, realm, targetname),
//! holding the mechanism context, `opaque`, the `cnum` counter and the version behaviour.

use super::challenge::hex_decode;
use super::{
    AuthInfo, AuthorizationValue, Challenge, MessageFields, Scheme, SignatureFields,
    SignatureLayout, Signed, SipaeError,
};
use crate::AuthError;
use crate::context::{RandomSource, SecurityContext, Step};

/// The SA lookup key ([MS-SIPAE] 3.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SaKey {
    /// Protocol.
    pub scheme: Scheme,
    /// Realm.
    pub realm: String,
    /// Target name as sent (Kerberos keeps `sip/`).
    pub targetname: String,
}

/// Which header pair the SA uses: the one of the challenge that created it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderKind {
    /// 401: `Authorization` / `Authentication-Info`.
    Authorization,
    /// 407: `Proxy-Authorization` / `Proxy-Authentication-Info`.
    ProxyAuthorization,
}

impl HeaderKind {
    /// The request header name.
    pub fn request_header(self) -> &'static str {
        match self {
            Self::Authorization => "Authorization",
            Self::ProxyAuthorization => "Proxy-Authorization",
        }
    }

    /// The response header name carrying the server signature.
    pub fn info_header(self) -> &'static str {
        match self {
            Self::Authorization => "Authentication-Info",
            Self::ProxyAuthorization => "Proxy-Authentication-Info",
        }
    }
}

/// A client security association. Sans-IO: the caller moves header values in and out.
pub struct SecurityAssociation {
    key: SaKey,
    version: Option<u32>,
    opaque: Option<String>,
    header: HeaderKind,
    context: Box<dyn SecurityContext>,
    rng: Box<dyn RandomSource>,
    cnum: u32,
    started: bool,
}

impl std::fmt::Debug for SecurityAssociation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityAssociation")
            .field("key", &self.key)
            .field("version", &self.version)
            .field("opaque", &self.opaque)
            .field("header", &self.header)
            .field("cnum", &self.cnum)
            .field("established", &self.context.is_established())
            .finish_non_exhaustive()
    }
}

impl SecurityAssociation {
    /// Creates the SA for an offer chosen from a 401/407.
    pub fn new(
        challenge: &Challenge,
        header: HeaderKind,
        context: Box<dyn SecurityContext>,
        rng: Box<dyn RandomSource>,
    ) -> Self {
        Self {
            key: SaKey {
                scheme: challenge.scheme,
                realm: challenge.realm.clone(),
                targetname: challenge.targetname.clone(),
            },
            version: challenge.version,
            opaque: challenge.opaque.clone(),
            header,
            context,
            rng,
            cnum: 0,
            started: false,
        }
    }

    /// The lookup key.
    pub fn key(&self) -> &SaKey {
        &self.key
    }

    /// The header pair in use.
    pub fn header(&self) -> HeaderKind {
        self.header
    }

    /// `opaque`, once assigned.
    pub fn opaque(&self) -> Option<&str> {
        self.opaque.as_deref()
    }

    /// True once the mechanism is established (phase 2: every message signed).
    pub fn is_established(&self) -> bool {
        self.context.is_established()
    }

    /// True when a value for (scheme, realm, targetname) belongs to this SA.
    ///
    /// [MS-SIPAE] 3.2.5.2: for Kerberos the lookup target is `targetname` without the `sip/`
    /// service prefix (the signature buffer keeps the value as sent).
    pub fn matches(&self, scheme: Scheme, realm: &str, targetname: &str) -> bool {
        let norm = |t: &'_ str| -> String {
            let t = if scheme == Scheme::Kerberos {
                t.strip_prefix("sip/")
                    .or_else(|| t.strip_prefix("SIP/"))
                    .unwrap_or(t)
            } else {
                t
            };
            t.to_owned()
        };
        self.key.scheme == scheme
            && self.key.realm == realm
            && norm(&self.key.targetname) == norm(targetname)
    }

    fn no_sa(&self, scheme: Scheme, realm: &str, targetname: &str) -> AuthError {
        SipaeError::NoAssociation {
            scheme,
            realm: realm.to_owned(),
            targetname: targetname.to_owned(),
        }
        .into()
    }

    fn handshake_value(&self, token: Vec<u8>) -> AuthorizationValue {
        AuthorizationValue {
            scheme: self.key.scheme,
            realm: self.key.realm.clone(),
            targetname: self.key.targetname.clone(),
            opaque: self.opaque.clone(),
            version: self.version,
            gssapi_data: Some(token),
            signed: None,
        }
    }

    /// The first handshake request (NTLM: empty `gssapi-data`; Kerberos: the AP-REQ).
    pub fn start(&mut self) -> Result<AuthorizationValue, AuthError> {
        if self.started {
            return Err(SipaeError::UnexpectedState("handshake already started").into());
        }
        self.started = true;
        match self.context.step(None)? {
            Step::Continue(t) | Step::Done(Some(t)) => Ok(self.handshake_value(t)),
            Step::Done(None) => {
                Err(SipaeError::UnexpectedState("mechanism produced no first token").into())
            }
        }
    }

    /// A continuation challenge (401/407 with `gssapi-data` and `opaque`) for this SA.
    /// When the returned value completes the handshake and [`Self::must_sign_final`] holds
    /// (version 4), sign it with [`Self::sign_request`] before sending.
    pub fn handle_challenge(&mut self, ch: &Challenge) -> Result<AuthorizationValue, AuthError> {
        if !self.matches(ch.scheme, &ch.realm, &ch.targetname) {
            return Err(self.no_sa(ch.scheme, &ch.realm, &ch.targetname));
        }
        if !self.started || self.context.is_established() {
            return Err(SipaeError::UnexpectedState(
                "continuation challenge outside the handshake",
            )
            .into());
        }
        let token = ch
            .gssapi_data
            .as_deref()
            .ok_or(SipaeError::MissingParam("gssapi-data"))?;
        if let Some(o) = &ch.opaque {
            self.opaque = Some(o.clone());
        }
        if ch.version.is_some() {
            self.version = ch.version;
        }
        match self.context.step(Some(token))? {
            Step::Continue(t) | Step::Done(Some(t)) => Ok(self.handshake_value(t)),
            Step::Done(None) => {
                Err(SipaeError::UnexpectedState("mechanism produced no final token").into())
            }
        }
    }

    /// Version 4: the request carrying the final token is already signed.
    pub fn must_sign_final(&self) -> bool {
        self.context.is_established() && self.version.is_some_and(|v| v >= 4)
    }

    /// Signs a request: picks a fresh `crand`, the next `cnum`, builds the buffer and fills
    /// `value.signed` ([MS-SIPAE] 3.2.5.1.2).
    pub fn sign_request(
        &mut self,
        value: &mut AuthorizationValue,
        msg: &MessageFields<'_>,
    ) -> Result<(), AuthError> {
        if !self.context.is_established() {
            return Err(AuthError::NotEstablished {
                operation: "sign_request",
            });
        }
        let mut r = [0u8; 4];
        self.rng.fill(&mut r);
        let crand: String = r.iter().map(|b| format!("{b:02x}")).collect();
        self.cnum = self
            .cnum
            .checked_add(1)
            .ok_or(SipaeError::UnexpectedState("cnum exhausted"))?;
        let cnum = self.cnum.to_string();
        let buf = SignatureFields {
            protocol: self.key.scheme.as_str(),
            rand: &crand,
            num: &cnum,
            realm: &self.key.realm,
            targetname: &self.key.targetname,
            message: *msg,
        }
        .to_buffer(SignatureLayout::for_version(self.version));
        let sig = self.context.sign(buf.as_bytes())?;
        let response = sig.iter().map(|b| format!("{b:02x}")).collect();
        value.opaque = self.opaque.clone();
        value.signed = Some(Signed {
            crand,
            cnum,
            response,
        });
        Ok(())
    }

    /// A signed Authorization value for a request after the handshake.
    pub fn authorize(&mut self, msg: &MessageFields<'_>) -> Result<AuthorizationValue, AuthError> {
        let mut v = AuthorizationValue {
            scheme: self.key.scheme,
            realm: self.key.realm.clone(),
            targetname: self.key.targetname.clone(),
            opaque: self.opaque.clone(),
            version: None,
            gssapi_data: None,
            signed: None,
        };
        self.sign_request(&mut v, msg)?;
        Ok(v)
    }

    /// Verifies the server signature of an `Authentication-Info` ([MS-SIPAE] 3.2.5.2). When a 407
    /// carries both an Info and a challenge, pass the Info here.
    pub fn verify_info(
        &mut self,
        info: &AuthInfo,
        msg: &MessageFields<'_>,
    ) -> Result<(), AuthError> {
        if !self.matches(info.scheme, &info.realm, &info.targetname) {
            return Err(self.no_sa(info.scheme, &info.realm, &info.targetname));
        }
        match (&self.opaque, &info.opaque) {
            (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b) => {
                return Err(self.no_sa(info.scheme, &info.realm, &info.targetname));
            }
            (None, Some(b)) => self.opaque = Some(b.clone()),
            _ => {}
        }
        let sig = hex_decode(&info.rspauth).ok_or(SipaeError::BadParam { name: "rspauth" })?;
        let buf = SignatureFields {
            protocol: info.scheme.as_str(),
            rand: &info.srand,
            num: &info.snum,
            realm: &info.realm,
            targetname: &info.targetname,
            message: *msg,
        }
        .to_buffer(SignatureLayout::for_version(self.version.or(info.version)));
        self.context.verify(buf.as_bytes(), &sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AuthError;

    /// A stand-in one-leg mechanism (Kerberos-shaped): the first step is final.
    struct OneLeg {
        done: bool,
    }

    impl SecurityContext for OneLeg {
        fn step(&mut self, server_token: Option<&[u8]>) -> Result<Step, AuthError> {
            assert!(server_token.is_none());
            self.done = true;
            Ok(Step::Done(Some(b"AP-REQ".to_vec())))
        }
        fn sign(&mut self, buf: &[u8]) -> Result<Vec<u8>, AuthError> {
            Ok(crate::ntlm::crypto::hmac_md5(b"k", &[buf]).to_vec())
        }
        fn verify(&mut self, buf: &[u8], sig: &[u8]) -> Result<(), AuthError> {
            if self.sign(buf)? == sig {
                Ok(())
            } else {
                Err(AuthError::BadSignature)
            }
        }
        fn is_established(&self) -> bool {
            self.done
        }
    }

    #[test]
    fn one_leg_mechanism_v4_signs_first_request_and_adopts_opaque() {
        let ch = Challenge {
            scheme: Scheme::Kerberos,
            realm: "SIP Communications Service".into(),
            targetname: "sip/fe.contoso.com".into(),
            version: Some(4),
            opaque: None,
            gssapi_data: None,
            sts_uri: None,
        };
        let mut sa = SecurityAssociation::new(
            &ch,
            HeaderKind::Authorization,
            Box::new(OneLeg { done: false }),
            Box::new(|b: &mut [u8]| b.fill(0xab)),
        );
        let mut v = sa.start().unwrap();
        assert!(sa.must_sign_final());
        let msg = MessageFields {
            call_id: "c",
            cseq_number: "1",
            cseq_method: "REGISTER",
            from_uri: "sip:a@b",
            to_uri: "sip:a@b",
            ..MessageFields::default()
        };
        sa.sign_request(&mut v, &msg).unwrap();
        let s = v.signed.as_ref().unwrap();
        assert_eq!((s.crand.as_str(), s.cnum.as_str()), ("abababab", "1"));
        assert!(v.to_string().starts_with("Kerberos qop=\"auth\", realm=\"SIP Communications Service\", targetname=\"sip/fe.contoso.com\", version=4, gssapi-data=\"QVAtUkVR\", crand=\"abababab\", cnum=\"1\", response=\""));
        assert!(sa.matches(
            Scheme::Kerberos,
            "SIP Communications Service",
            "fe.contoso.com"
        ));
        assert!(!sa.matches(
            Scheme::Ntlm,
            "SIP Communications Service",
            "sip/fe.contoso.com"
        ));

        let buf = SignatureFields {
            protocol: "Kerberos",
            rand: "5E058A82",
            num: "1",
            realm: "SIP Communications Service",
            targetname: "sip/fe.contoso.com",
            message: MessageFields {
                response_code: Some(200),
                ..msg
            },
        }
        .to_buffer(SignatureLayout::V3);
        let rsp: String = crate::ntlm::crypto::hmac_md5(b"k", &[buf.as_bytes()])
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        let info = AuthInfo {
            scheme: Scheme::Kerberos,
            rspauth: rsp,
            srand: "5E058A82".into(),
            snum: "1".into(),
            opaque: Some("E0DA4F74".into()),
            qop: Some("auth".into()),
            realm: "SIP Communications Service".into(),
            targetname: "sip/fe.contoso.com".into(),
            version: None,
        };
        assert!(sa.opaque().is_none());
        sa.verify_info(
            &info,
            &MessageFields {
                response_code: Some(200),
                ..msg
            },
        )
        .unwrap();
        assert_eq!(sa.opaque(), Some("E0DA4F74"));
        let later = sa.authorize(&msg).unwrap();
        assert_eq!(later.signed.unwrap().cnum, "2");
        assert_eq!(later.opaque.as_deref(), Some("E0DA4F74"));
    }
}
