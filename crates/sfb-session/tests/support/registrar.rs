//! A scripted registrar for the sign-in tests: sfb-auth's server halves
//! (`ntlm::NtlmServer` / `kerberos::KerberosServerContext` inside `sipae::ServerAssociation`)
//! answering real SIP text built with the codec's builders. Behaviour knobs select the faults.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "test support; each test binary uses a different subset"
)]

use std::sync::Arc;

use sfb_auth::Scheme;
use sfb_auth::ServerContext;
use sfb_auth::ntlm::{CredentialStore, NtlmServer, NtlmServerConfig};
use sfb_auth::sipae::{MessageFields, ServerAssociation, ServerVerdict, authorizations};
use sfb_sip_codec::{Framer, Limits, Message, OwnedMessage, ResponseBuilder};

pub const REALM: &str = "SIP Communications Service";
pub const USER: &str = "alice";
pub const DOMAIN: &str = "CONTOSO";
pub const PASSWORD: &str = "Passw0rd!";

/// A deterministic random source (xorshift).
pub fn xorshift(seed: u64) -> Box<dyn sfb_auth::RandomSource> {
    let mut s = seed | 1;
    Box::new(move |buf: &mut [u8]| {
        for b in buf.iter_mut() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            *b = s as u8;
        }
    })
}

/// What the registrar does.
#[derive(Clone, Debug)]
pub struct Behaviour {
    /// The FQDN in `targetname`.
    pub fqdn: String,
    /// The password the directory knows for alice.
    pub password: String,
    /// Offer Kerberos too (first), with this server context factory's keys.
    pub offer_kerberos: bool,
    /// After authentication, answer REGISTER with this redirect (a Contact header value).
    pub redirect: Option<String>,
    /// Corrupt the server signature of the REGISTER 200 OK.
    pub bad_signature: bool,
    /// Send the REGISTER 200 OK without Authentication-Info.
    pub unsigned_ok: bool,
    /// Send the settings responses without Authentication-Info.
    pub unsigned_settings: bool,
    /// Answer the first REGISTER with 503 + Retry-After: 5 this many times.
    pub busy: u32,
    /// Never answer.
    pub silent: bool,
    /// Expires granted.
    pub expires: u32,
    /// Answer provisioning with this status (200 by default).
    pub provisioning_status: u16,
    /// Answer the location profile with 404 (no dial plan).
    pub no_dial_plan: bool,
    /// After the presence SUBSCRIBE, also send a BENOTIFY with presence.
    pub benotify: bool,
    /// Play an Access Edge whose next hop is down: every request gets `504` with
    /// `ms-diagnostics: 1007`.
    pub next_hop_down: bool,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            fqdn: "pool1.contoso.test".into(),
            password: PASSWORD.into(),
            offer_kerberos: false,
            redirect: None,
            bad_signature: false,
            unsigned_ok: false,
            unsigned_settings: false,
            busy: 0,
            silent: false,
            expires: 3600,
            provisioning_status: 200,
            no_dial_plan: false,
            benotify: false,
            next_hop_down: false,
        }
    }
}

/// Builds the Kerberos server context when Kerberos is offered.
pub type KerberosFactory = Box<dyn Fn() -> Box<dyn ServerContext> + Send>;

/// One registrar (one connection's worth of state; `reset` for a new connection).
pub struct Registrar {
    pub b: Behaviour,
    kerberos: Option<KerberosFactory>,
    offers: Vec<ServerAssociation>,
    sa: Option<ServerAssociation>,
    seed: u64,
    framer: Framer,
    /// Every request received, as text.
    pub received: Vec<String>,
    /// Every response or request sent, as text.
    pub sent: Vec<String>,
}

pub const DATE: &str = "Fri, 27 Nov 2026 08:00:05 GMT";

impl Registrar {
    pub fn new(b: Behaviour) -> Self {
        Self {
            b,
            kerberos: None,
            offers: Vec::new(),
            sa: None,
            seed: 7,
            framer: Framer::new(Limits::default()),
            received: Vec::new(),
            sent: Vec::new(),
        }
    }

    pub fn with_kerberos(mut self, f: KerberosFactory) -> Self {
        self.kerberos = Some(f);
        self.b.offer_kerberos = true;
        self
    }

    /// A new connection: no SA.
    pub fn reset(&mut self) {
        self.sa = None;
        self.offers.clear();
        self.framer = Framer::new(Limits::default());
    }

    fn ntlm(&mut self) -> ServerAssociation {
        self.seed += 2;
        let mut store = CredentialStore::new();
        store.add_password(USER, DOMAIN, &self.b.password);
        let cfg = NtlmServerConfig {
            nb_domain: DOMAIN.into(),
            nb_computer: "POOL1".into(),
            dns_domain: "contoso.test".into(),
            dns_computer: self.b.fqdn.clone(),
        };
        let ctx = NtlmServer::new(
            cfg,
            Arc::new(store),
            xorshift(self.seed),
            134_090_000_000_000_000,
        );
        ServerAssociation::new(
            Scheme::Ntlm,
            REALM,
            &self.b.fqdn,
            Some(4),
            Box::new(ctx),
            xorshift(self.seed + 1),
        )
    }

    fn offers(&mut self) -> Vec<ServerAssociation> {
        let mut v = Vec::new();
        if self.b.offer_kerberos
            && let Some(f) = &self.kerberos
        {
            self.seed += 2;
            v.push(ServerAssociation::new(
                Scheme::Kerberos,
                REALM,
                &format!("sip/{}", self.b.fqdn),
                Some(4),
                f(),
                xorshift(self.seed),
            ));
        }
        v.push(self.ntlm());
        v
    }

    fn base(req: &Message<'_>, code: u16, reason: &str) -> ResponseBuilder {
        let to = req.header("To").map(|h| h.value).unwrap_or_default();
        let to = if to.contains("tag=") {
            to.to_owned()
        } else {
            format!("{to};tag=5E61CC")
        };
        ResponseBuilder::new(code, reason)
            .copy_headers(req, &["Via", "From", "Call-ID", "CSeq"])
            .header("To", &to)
            .header("Server", "RTC/7.0")
    }

    /// Signs a built message with the SA (Authentication-Info appended), unless `unsigned`.
    fn sign(&mut self, b: ResponseBuilder, unsigned: bool, corrupt: bool) -> OwnedMessage {
        let plain = b.clone().build().unwrap();
        if unsigned {
            return plain;
        }
        let Some(sa) = self.sa.as_mut() else {
            return plain;
        };
        let m = plain.message();
        let mut info = sa
            .sign_response(&MessageFields::from_message(&m).unwrap())
            .unwrap();
        if corrupt {
            let c = if info.rspauth.starts_with('0') {
                "1"
            } else {
                "0"
            };
            info.rspauth.replace_range(0..1, c);
        }
        b.header("Authentication-Info", &info.to_string())
            .build()
            .unwrap()
    }

    /// Feeds stream bytes; returns the bytes to send back (responses and server requests).
    pub fn push(&mut self, data: &[u8]) -> Vec<u8> {
        self.framer.push(data);
        let mut out = Vec::new();
        while let Ok(sfb_sip_codec::Status::Complete(f)) = self.framer.next() {
            if let sfb_sip_codec::Frame::Message(m) = f {
                for r in self.handle(&m) {
                    self.sent
                        .push(String::from_utf8_lossy(r.as_bytes()).into_owned());
                    out.extend_from_slice(r.as_bytes());
                }
            }
        }
        out
    }

    fn handle(&mut self, owned: &OwnedMessage) -> Vec<OwnedMessage> {
        let req = owned.message();
        self.received
            .push(String::from_utf8_lossy(req.as_bytes()).into_owned());
        if self.b.silent || !req.is_request() {
            return Vec::new();
        }
        if self.b.next_hop_down {
            let diag = format!(
                "1007;reason=\"Temporarily cannot route\";source=\"{}\"",
                self.b.fqdn
            );
            return vec![
                Self::base(&req, 504, "Server time-out")
                    .header("ms-diagnostics", &diag)
                    .build()
                    .unwrap(),
            ];
        }
        let method = req.method().unwrap_or_default().to_owned();
        let auth = authorizations(&req).into_iter().next();
        let Some((_, auth)) = auth else {
            if method == "REGISTER" && self.b.busy > 0 {
                self.b.busy -= 1;
                return vec![
                    Self::base(&req, 503, "Service Unavailable")
                        .header("Retry-After", "5")
                        .build()
                        .unwrap(),
                ];
            }
            // First REGISTER: the offers.
            self.offers = self.offers();
            let mut b = Self::base(&req, 401, "Unauthorized").header("Date", DATE);
            for o in &self.offers {
                b = b.header("WWW-Authenticate", &o.offer().to_string());
            }
            return vec![b.build().unwrap()];
        };
        let auth = auth.unwrap();
        if self.sa.is_none() {
            let Some(i) = self
                .offers
                .iter()
                .position(|o| o.offer().scheme == auth.scheme)
            else {
                return vec![Self::base(&req, 400, "Bad Request").build().unwrap()];
            };
            self.sa = Some(self.offers.remove(i));
        }
        let fields = MessageFields::from_message(&req).unwrap();
        let verdict = self.sa.as_mut().unwrap().handle_request(&auth, &fields);
        match verdict {
            Err(_) => {
                // Refused: a fresh offer and the diagnostic a real front end adds.
                self.sa = None;
                let o = self.ntlm();
                let b = Self::base(&req, 401, "Unauthorized")
                    .header("WWW-Authenticate", &o.offer().to_string())
                    .header(
                        "ms-diagnostics",
                        "1000;reason=\"Final handshake failed\";source=\"pool1.contoso.test\"",
                    );
                vec![b.build().unwrap()]
            }
            Ok(ServerVerdict::Continue(ch)) => vec![
                Self::base(&req, 401, "Unauthorized")
                    .header("WWW-Authenticate", &ch.to_string())
                    .build()
                    .unwrap(),
            ],
            Ok(ServerVerdict::Authenticated) => self.authenticated(&req, &method),
        }
    }

    fn authenticated(&mut self, req: &Message<'_>, method: &str) -> Vec<OwnedMessage> {
        let unsigned_settings = self.b.unsigned_settings;
        match method {
            "REGISTER" => {
                if let Some(c) = self.b.redirect.clone() {
                    let b = Self::base(req, 301, "Moved Permanently").header("Contact", &c);
                    return vec![self.sign(b, false, self.b.bad_signature)];
                }
                let expires = if req.expires().and_then(Result::ok) == Some(0) {
                    0
                } else {
                    self.b.expires
                };
                let inst = req
                    .contacts()
                    .flatten()
                    .find_map(|c| c.sip_instance().map(str::to_owned))
                    .unwrap_or_default();
                let b = Self::base(req, 200, "OK")
                    .header(
                        "Contact",
                        &format!(
                            "<sip:10.0.0.5:50000;transport=tls>;expires={expires};+sip.instance=\"{inst}\";gruu=\"sip:alice@contoso.test;opaque=user:epid:QJJY;gruu\""
                        ),
                    )
                    .header("Expires", &expires.to_string())
                    .header("Supported", "gruu-10, adhoclist, msrtc-event-categories")
                    .header("ms-keep-alive", "UAS; tcp=no; hop-hop=yes; end-end=no; timeout=300")
                    .header(
                        "presence-state",
                        "register-action=\"added\";primary-cluster-type=\"central\"",
                    )
                    .header(
                        "Allow-Events",
                        "vnd-microsoft-provisioning,vnd-microsoft-roaming-contacts,presence,vnd-microsoft-roaming-self,vnd-microsoft-provisioning-v2",
                    );
                vec![self.sign(b, self.b.unsigned_ok, self.b.bad_signature)]
            }
            "SUBSCRIBE" => {
                let event = req
                    .event()
                    .and_then(Result::ok)
                    .map(|e| e.value.to_owned())
                    .unwrap_or_default();
                match event.as_str() {
                    "vnd-microsoft-provisioning-v2" => {
                        if self.b.provisioning_status != 200 {
                            let b = Self::base(req, self.b.provisioning_status, "Forbidden")
                                .header(
                                    "ms-diagnostics",
                                    "2;reason=\"See response code and reason phrase\"",
                                );
                            return vec![self.sign(b, unsigned_settings, false)];
                        }
                        let body = PROVISIONING;
                        let b = Self::base(req, 200, "OK")
                            .header("Expires", "0")
                            .header("subscription-state", "terminated;expires=0")
                            .header("ms-piggyback-cseq", "1")
                            .header(
                                "Content-Type",
                                "application/vnd-microsoft-roaming-provisioning-v2+xml",
                            )
                            .body(body.as_bytes());
                        vec![self.sign(b, unsigned_settings, false)]
                    }
                    "vnd-microsoft-roaming-contacts" => {
                        let b = Self::base(req, 200, "OK")
                            .header("Expires", "3600")
                            .header("ms-piggyback-cseq", "1")
                            .header(
                                "Content-Type",
                                "application/vnd-microsoft-roaming-contacts+xml",
                            )
                            .body(CONTACTS.as_bytes());
                        vec![self.sign(b, unsigned_settings, false)]
                    }
                    "vnd-microsoft-roaming-self" => {
                        let b = Self::base(req, 200, "OK").header("Expires", "3600");
                        vec![self.sign(b, unsigned_settings, false)]
                    }
                    "presence" => {
                        let b = Self::base(req, 200, "OK").header("Expires", "3600");
                        let mut out = vec![self.sign(b, unsigned_settings, false)];
                        if self.b.benotify {
                            out.push(self.benotify(req));
                        }
                        out
                    }
                    _ => vec![Self::base(req, 489, "Bad Event").build().unwrap()],
                }
            }
            "SERVICE" => {
                if self.b.no_dial_plan {
                    let b = Self::base(req, 404, "Not Found");
                    return vec![self.sign(b, unsigned_settings, false)];
                }
                let b = Self::base(req, 200, "OK")
                    .header(
                        "Content-Type",
                        "application/ms-location-profile-definition+xml",
                    )
                    .body(LOCATION_PROFILE.as_bytes());
                vec![self.sign(b, unsigned_settings, false)]
            }
            _ => vec![Self::base(req, 501, "Not Implemented").build().unwrap()],
        }
    }

    /// A BENOTIFY for the presence subscription (server to client, signed).
    fn benotify(&mut self, req: &Message<'_>) -> OwnedMessage {
        let from = req.header("From").map(|h| h.value).unwrap_or_default();
        let b = sfb_sip_codec::RequestBuilder::new("BENOTIFY", "sip:10.0.0.5:50000;transport=tls")
            .header("Via", "SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bKbn1")
            .header("From", "<sip:alice@contoso.test>;tag=srv1")
            .header("To", from)
            .header("Call-ID", req.call_id().unwrap_or_default())
            .header("CSeq", "1 BENOTIFY")
            .header("Event", "presence")
            .header("Content-Type", "application/msrtc-event-categories+xml")
            .body(PRESENCE.as_bytes());
        let plain = b.clone().build().unwrap();
        let sa = self.sa.as_mut().unwrap();
        let m = plain.message();
        let info = sa
            .sign_response(&MessageFields::from_message(&m).unwrap())
            .unwrap();
        b.header("Authentication-Info", &info.to_string())
            .build()
            .unwrap()
    }
}

pub const PROVISIONING: &str = r#"<provisionGroupList xmlns="http://schemas.microsoft.com/2006/09/sip/provisiongrouplist-notification"><provisionGroup name="ServerConfiguration"><absInternalServerUrl>https://pool1.contoso.test/abs/handler</absInternalServerUrl><focusFactoryUri>sip:alice@contoso.test;gruu;opaque=app:conf:focusfactory</focusFactoryUri><ucLocationProfile>Redmond</ucLocationProfile></provisionGroup><provisionGroup name="ucPolicy"/></provisionGroupList>"#;

pub const CONTACTS: &str = r#"<contactList deltaNum="1"><group id="1" name="~"/><contact uri="bob@contoso.test" groups="1"/><contact uri="carol@contoso.test" groups="1"/></contactList>"#;

pub const LOCATION_PROFILE: &str = r#"<LocationProfileDescription xmlns="http://schemas.microsoft.com/2007/03/LocationProfileDescription"><Name>Redmond</Name><Rule><Pattern>^(\d{4})$</Pattern><Translation>+1425555$1</Translation></Rule><ExternalAccessPrefix>9</ExternalAccessPrefix></LocationProfileDescription>"#;

pub const PRESENCE: &str = r#"<categories xmlns="http://schemas.microsoft.com/2006/09/sip/categories" uri="sip:alice@contoso.test"><category name="state"><state xmlns="http://schemas.microsoft.com/2006/09/sip/state"><availability>3500</availability></state></category></categories>"#;
