//! The server half of a security association ([MS-SIPAE] 3.3): continuation challenges,
//! verification of signed requests (with a strictly increasing `cnum`), and `rspauth` signing.
//! Used by the emulated lab.

use super::challenge::hex_decode;
use super::{
    AuthInfo, AuthorizationValue, Challenge, MessageFields, SaKey, Scheme, SignatureFields,
    SignatureLayout, SipaeError,
};
use crate::AuthError;
use crate::context::{RandomSource, ServerContext, Step};

/// What to answer to an authenticated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerVerdict {
    /// Answer 401/407 with this continuation challenge.
    Continue(Challenge),
    /// The request is authenticated (and its signature verified when it carried one).
    Authenticated,
}

/// A server-side security association for one client.
pub struct ServerAssociation {
    key: SaKey,
    version: Option<u32>,
    opaque: String,
    context: Box<dyn ServerContext>,
    rng: Box<dyn RandomSource>,
    snum: u32,
    last_cnum: u32,
}

impl std::fmt::Debug for ServerAssociation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerAssociation")
            .field("key", &self.key)
            .field("version", &self.version)
            .field("opaque", &self.opaque)
            .field("snum", &self.snum)
            .field("last_cnum", &self.last_cnum)
            .field("established", &self.context.is_established())
            .finish_non_exhaustive()
    }
}

fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

impl ServerAssociation {
    /// Creates the association; `opaque` is drawn from `rng` (8 hex digits).
    pub fn new(
        scheme: Scheme,
        realm: &str,
        targetname: &str,
        version: Option<u32>,
        context: Box<dyn ServerContext>,
        mut rng: Box<dyn RandomSource>,
    ) -> Self {
        let mut o = [0u8; 4];
        rng.fill(&mut o);
        Self {
            key: SaKey {
                scheme,
                realm: realm.to_owned(),
                targetname: targetname.to_owned(),
            },
            version,
            opaque: hex_upper(&o),
            context,
            rng,
            snum: 0,
            last_cnum: 0,
        }
    }

    /// The offer for the first 401/407 ([MS-SIPAE] 3.3.5.1).
    pub fn offer(&self) -> Challenge {
        Challenge {
            scheme: self.key.scheme,
            realm: self.key.realm.clone(),
            targetname: self.key.targetname.clone(),
            version: self.version,
            opaque: None,
            gssapi_data: None,
            sts_uri: None,
        }
    }

    /// The `opaque` naming this association.
    pub fn opaque(&self) -> &str {
        &self.opaque
    }

    /// True once the client is authenticated.
    pub fn is_established(&self) -> bool {
        self.context.is_established()
    }

    /// Handles the Authorization value of a request.
    pub fn handle_request(
        &mut self,
        auth: &AuthorizationValue,
        msg: &MessageFields<'_>,
    ) -> Result<ServerVerdict, AuthError> {
        if auth.scheme != self.key.scheme
            || auth.realm != self.key.realm
            || auth.targetname != self.key.targetname
        {
            return Err(SipaeError::NoAssociation {
                scheme: auth.scheme,
                realm: auth.realm.clone(),
                targetname: auth.targetname.clone(),
            }
            .into());
        }
        if let Some(o) = &auth.opaque
            && !o.eq_ignore_ascii_case(&self.opaque)
        {
            return Err(SipaeError::NoAssociation {
                scheme: auth.scheme,
                realm: auth.realm.clone(),
                targetname: auth.targetname.clone(),
            }
            .into());
        }
        if self.context.is_established() {
            if auth.opaque.is_none() {
                return Err(SipaeError::MissingParam("opaque").into());
            }
            self.verify_signed(auth, msg)?;
            return Ok(ServerVerdict::Authenticated);
        }
        let token = auth
            .gssapi_data
            .as_deref()
            .ok_or(SipaeError::MissingParam("gssapi-data"))?;
        match self.context.step(Some(token))? {
            Step::Continue(t) => Ok(ServerVerdict::Continue(Challenge {
                opaque: Some(self.opaque.clone()),
                gssapi_data: Some(t),
                ..self.offer()
            })),
            Step::Done(_) => {
                if auth.signed.is_some() {
                    self.verify_signed(auth, msg)?;
                } else if self.version.is_some_and(|v| v >= 4) {
                    return Err(SipaeError::MissingParam("response").into());
                }
                Ok(ServerVerdict::Authenticated)
            }
        }
    }

    fn verify_signed(
        &mut self,
        auth: &AuthorizationValue,
        msg: &MessageFields<'_>,
    ) -> Result<(), AuthError> {
        let s = auth
            .signed
            .as_ref()
            .ok_or(SipaeError::MissingParam("response"))?;
        let cnum: u32 = s
            .cnum
            .parse()
            .map_err(|_| SipaeError::BadParam { name: "cnum" })?;
        if cnum <= self.last_cnum {
            return Err(SipaeError::ReplayedCnum {
                cnum,
                last: self.last_cnum,
            }
            .into());
        }
        let sig = hex_decode(&s.response).ok_or(SipaeError::BadParam { name: "response" })?;
        let buf = SignatureFields {
            protocol: auth.scheme.as_str(),
            rand: &s.crand,
            num: &s.cnum,
            realm: &auth.realm,
            targetname: &auth.targetname,
            message: *msg,
        }
        .to_buffer(SignatureLayout::for_version(self.version));
        self.context.verify(buf.as_bytes(), &sig)?;
        self.last_cnum = cnum;
        Ok(())
    }

    /// Signs a response (or a server-originated request): the `Authentication-Info` value.
    pub fn sign_response(&mut self, msg: &MessageFields<'_>) -> Result<AuthInfo, AuthError> {
        let mut r = [0u8; 4];
        self.rng.fill(&mut r);
        let srand = hex_upper(&r);
        self.snum = self
            .snum
            .checked_add(1)
            .ok_or(SipaeError::UnexpectedState("snum exhausted"))?;
        let snum = self.snum.to_string();
        let buf = SignatureFields {
            protocol: self.key.scheme.as_str(),
            rand: &srand,
            num: &snum,
            realm: &self.key.realm,
            targetname: &self.key.targetname,
            message: *msg,
        }
        .to_buffer(SignatureLayout::for_version(self.version));
        let sig = self.context.sign(buf.as_bytes())?;
        Ok(AuthInfo {
            scheme: self.key.scheme,
            rspauth: hex_upper(&sig),
            srand,
            snum,
            opaque: Some(self.opaque.clone()),
            qop: Some("auth".into()),
            realm: self.key.realm.clone(),
            targetname: self.key.targetname.clone(),
            version: None,
        })
    }
}
