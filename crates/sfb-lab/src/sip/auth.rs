//! The server side of MS-SIPAE for one connection: the offers of a role, and a security
//! context wrapper that records who authenticated (the principal the registrar checks against
//! the From URI).

use std::sync::{Arc, OnceLock};

use sfb_auth::sipae::{Challenge, Scheme};
use sfb_auth::{AuthError, ServerContext, Step};

use super::reply::REALM;

/// Wraps a server context and records the authenticated principal once the handshake is done.
pub(crate) struct Recorded<C> {
    inner: C,
    who: Arc<OnceLock<String>>,
    name: fn(&C) -> Option<String>,
}

impl<C: ServerContext> Recorded<C> {
    pub(crate) fn new(
        inner: C,
        who: Arc<OnceLock<String>>,
        name: fn(&C) -> Option<String>,
    ) -> Self {
        Self { inner, who, name }
    }
}

impl<C: ServerContext> ServerContext for Recorded<C> {
    fn step(&mut self, client_token: Option<&[u8]>) -> Result<Step, AuthError> {
        let r = self.inner.step(client_token)?;
        if matches!(r, Step::Done(_))
            && let Some(n) = (self.name)(&self.inner)
        {
            let _ = self.who.set(n);
        }
        Ok(r)
    }

    fn sign(&mut self, buf: &[u8]) -> Result<Vec<u8>, AuthError> {
        self.inner.sign(buf)
    }

    fn verify(&mut self, buf: &[u8], sig: &[u8]) -> Result<(), AuthError> {
        self.inner.verify(buf, sig)
    }

    fn is_established(&self) -> bool {
        self.inner.is_established()
    }
}

/// One offer of a 401 ([MS-SIPAE] 3.3.5.1): realm, targetname, version 4.
pub(crate) fn offer(scheme: Scheme, targetname: &str) -> Challenge {
    Challenge {
        scheme,
        realm: REALM.to_owned(),
        targetname: targetname.to_owned(),
        version: Some(4),
        opaque: None,
        gssapi_data: None,
        sts_uri: None,
    }
}
