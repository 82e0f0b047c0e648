//! The registrar roles (the Director and the home pools' front ends) as one sans-IO state
//! machine per connection: authentication (server side of MS-SIPAE), the account checks, the
//! 301 to the home pool, REGISTER, the settings replies and the SIP-level fault scenarios.
//!
//! Order of processing for a request (each step cited in `docs/lab.md`'s table):
//! 1. ACK and CANCEL are discarded ([MS-SIPAE] 3.3.5.1); responses are ignored (the lab sends
//!    no requests).
//! 2. A request failing the codec's validation gets a 400 with a `Warning`.
//! 3. No Authorization (or one for another realm/targetname): 401 with one offer per scheme
//!    ([MS-SIPAE] 3.3.5.1), `Date` (the client checks skew from it, [MS-SIP] 3.1.4), Kerberos
//!    only for internal users with a keytab.
//! 4. The handshake ([MS-SIPAE] 3.3.5.2): continuation 401s for NTLM; a failed final step is
//!    401 with `ms-diagnostics: 1000` (1013 for Kerberos skew) and fresh offers; a bad client
//!    signature or a replayed `cnum` drops the SA and re-challenges (401).
//! 5. Account checks, then 301 to the serving pool, then the request itself; every response
//!    from here on is signed (`Authentication-Info`).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use sfb_auth::AuthError;
use sfb_auth::kerberos::{DEFAULT_SKEW, KerberosError, KerberosServer, KerberosServerContext};
use sfb_auth::ntlm::{NtlmServer, NtlmServerConfig};
use sfb_auth::sipae::{
    AuthorizationValue, Challenge, HeaderKind, MessageFields, Scheme, ServerAssociation,
    ServerVerdict, SipaeError, authorizations,
};
use sfb_sip_codec::{Message, ResponseBuilder, SipUri, parse_datagram, validate};

use super::auth::{Recorded, offer};
use super::reply::{self, Diag, REALM, base, unfold, unparseable, warning_text};
use super::settings;
use super::util::{Rng, filetime, http_date, skewed};
use super::{LIMITS, Shared};
use crate::directory::{PoolId, User};
use crate::scenario::Scenario;

/// Which registrar role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hop {
    Director,
    Pool(PoolId),
}

/// Failed authentications tolerated on one connection before the lab closes it.
const MAX_AUTH_FAILURES: u32 = 8;

/// How far the registrar's clock runs ahead in `kerberos-clock-skew` (beyond Kerberos's 5
/// minutes, within NTLM's 15).
pub(crate) const CLOCK_SKEW: Duration = Duration::from_secs(10 * 60);

/// The registration lifetime granted (and the default when the client asks for none).
const REGISTER_EXPIRES: u32 = 7200;

const ALLOW_EVENTS: &str = "vnd-microsoft-provisioning,vnd-microsoft-roaming-contacts,vnd-microsoft-roaming-ACL,presence,presence.wpending,vnd-microsoft-roaming-self,vnd-microsoft-provisioning-v2";
const SUPPORTED: &str = "gruu-10, adhoclist, msrtc-event-categories, com.microsoft.msrtc.presence, ms-benotify, ms-piggyback-first-notify";
const ALLOW: &str = "INVITE, BYE, ACK, CANCEL, INFO, UPDATE, MESSAGE, SUBSCRIBE, NOTIFY, BENOTIFY, REFER, OPTIONS, SERVICE, PRACK";

struct Sa {
    assoc: ServerAssociation,
    header: HeaderKind,
    who: Arc<OnceLock<String>>,
}

/// One connection's state at a registrar role.
pub(crate) struct Registrar {
    shared: Arc<Shared>,
    hop: Hop,
    behind_edge: bool,
    rng: Rng,
    to_tag: String,
    sa: Option<Sa>,
    failures: u32,
    registered: bool,
    closed: bool,
}

impl std::fmt::Debug for Registrar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registrar")
            .field("hop", &self.hop)
            .field("behind_edge", &self.behind_edge)
            .field("sa", &self.sa.as_ref().map(|s| &s.assoc))
            .field("failures", &self.failures)
            .field("registered", &self.registered)
            .finish_non_exhaustive()
    }
}

/// A refusal by the account checks: status, reason phrase, diagnostic, optional Warning text.
struct Refusal(u16, &'static str, Diag, Option<String>);

impl Registrar {
    pub(crate) fn new(shared: Arc<Shared>, hop: Hop, behind_edge: bool, mut rng: Rng) -> Self {
        let to_tag = rng.hex(16);
        Self {
            shared,
            hop,
            behind_edge,
            rng,
            to_tag,
            sa: None,
            failures: 0,
            registered: false,
            closed: false,
        }
    }

    /// True when the lab should close the connection after sending what it returned.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// This role's FQDN (its targetname, its `source`).
    fn fqdn(&self) -> &str {
        let t = &self.shared.config.topology;
        match self.hop {
            Hop::Director => &t.director.fqdn,
            Hop::Pool(p) => t
                .pools
                .get(p.0)
                .map_or(t.director.fqdn.as_str(), |pool| &pool.endpoint.fqdn),
        }
    }

    fn scenario(&self) -> Scenario {
        self.shared.config.scenario
    }

    /// The registrar's idea of "now" (skewed in `kerberos-clock-skew`).
    fn clock(&self, now: SystemTime) -> SystemTime {
        if self.scenario() == Scenario::KerberosClockSkew {
            skewed(now, CLOCK_SKEW)
        } else {
            now
        }
    }

    /// The Kerberos targetname offered here (`sip/<fqdn>`; in `kerberos-missing-spn` a name
    /// the KDC has no principal for).
    fn kerberos_target(&self) -> String {
        if self.scenario() == Scenario::KerberosMissingSpn {
            format!("sip/nospn-{}", self.fqdn())
        } else {
            format!("sip/{}", self.fqdn())
        }
    }

    /// The offers of a 401: NTLM always; Kerberos for internal users when a keytab holds keys
    /// for `sip/<fqdn>` (never through the Edge).
    fn offers(&self, remote: bool) -> Vec<Challenge> {
        let mut v = vec![offer(Scheme::Ntlm, self.fqdn())];
        if !remote && self.shared.kerberos_keys(self.fqdn()).is_some() {
            v.push(offer(Scheme::Kerberos, &self.kerberos_target()));
        }
        v
    }

    /// One complete message.
    pub(crate) fn handle(&mut self, raw: &[u8], now: SystemTime) -> Vec<Vec<u8>> {
        let msg = match parse_datagram(raw, &LIMITS) {
            Ok(m) => m,
            Err(e) => {
                self.closed = true;
                return vec![unparseable(self.fqdn(), &e.to_string())];
            }
        };
        let Some(method) = msg.method() else {
            return Vec::new();
        };
        if method.eq_ignore_ascii_case("ACK") || method.eq_ignore_ascii_case("CANCEL") {
            return Vec::new();
        }
        if let Err(e) = validate(&msg) {
            return vec![self.bad_request(&msg, &e.to_string())];
        }
        let remote = self.behind_edge
            && msg
                .ms_user_logon_data()
                .is_some_and(|v| v.eq_ignore_ascii_case("RemoteUser"));
        let out = self.authenticated(&msg, method, remote, now);
        if self.failures >= MAX_AUTH_FAILURES {
            self.closed = true;
        }
        vec![out]
    }

    fn bad_request(&self, msg: &Message<'_>, why: &str) -> Vec<u8> {
        let b = base(msg, 400, "Bad Request", &self.to_tag).header(
            "Warning",
            &format!("399 {} \"{}\"", self.fqdn(), warning_text(why)),
        );
        build(b)
    }

    fn challenge(
        &self,
        msg: &Message<'_>,
        remote: bool,
        now: SystemTime,
        diag: Option<Diag>,
    ) -> Vec<u8> {
        let mut b = base(msg, 401, "Unauthorized", &self.to_tag)
            .header("Date", &http_date(self.clock(now)));
        for o in self.offers(remote) {
            b = b.header("WWW-Authenticate", &o.to_string());
        }
        if let Some(d) = diag {
            let (n, v) = d.header(self.fqdn());
            b = b.header(n, &v);
        }
        build(b)
    }

    /// Steps 3 and 4, then [`Self::serve`].
    fn authenticated(
        &mut self,
        msg: &Message<'_>,
        method: &str,
        remote: bool,
        now: SystemTime,
    ) -> Vec<u8> {
        let chosen = authorizations(msg)
            .into_iter()
            .find(|(_, a)| a.as_ref().map_or(true, |a| a.realm == REALM));
        let (kind, auth) = match chosen {
            None => return self.challenge(msg, remote, now, None),
            Some((_, Err(e))) => {
                return self.bad_request(msg, &format!("malformed Authorization: {e}"));
            }
            Some((k, Ok(a))) => (k, a),
        };
        let offered = self
            .offers(remote)
            .iter()
            .any(|o| o.scheme == auth.scheme && o.targetname == auth.targetname);
        if !offered {
            return self.challenge(msg, remote, now, None);
        }
        let fields = match MessageFields::from_message(msg) {
            Ok(f) => f,
            Err(e) => return self.bad_request(msg, &e.to_string()),
        };
        let fresh = auth.opaque.is_none() && auth.gssapi_data.is_some();
        let same_scheme = self
            .sa
            .as_ref()
            .is_some_and(|s| s.assoc.offer().scheme == auth.scheme);
        if self.sa.is_none() || fresh || !same_scheme {
            if auth.opaque.is_some() && !fresh {
                // A signed request for an association this connection does not have.
                self.sa = None;
                return self.challenge(msg, remote, now, None);
            }
            self.sa = Some(self.new_sa(&auth, kind, now));
        }
        let Some(sa) = self.sa.as_mut() else {
            return self.challenge(msg, remote, now, None);
        };
        match sa.assoc.handle_request(&auth, &fields) {
            Ok(ServerVerdict::Continue(ch)) => {
                let (code, reason, header) = match kind {
                    HeaderKind::Authorization => (401, "Unauthorized", "WWW-Authenticate"),
                    HeaderKind::ProxyAuthorization => {
                        (407, "Proxy Authentication Required", "Proxy-Authenticate")
                    }
                };
                let b = base(msg, code, reason, &self.to_tag).header(header, &ch.to_string());
                build(b)
            }
            Ok(ServerVerdict::Authenticated) => self.serve(msg, method, remote, now),
            Err(e) => {
                self.sa = None;
                self.failures += 1;
                tracing::debug!(role = self.fqdn(), error = %e, "sip lab: authentication refused");
                match &e {
                    AuthError::Sipae(
                        SipaeError::MissingParam(_)
                        | SipaeError::BadParam { .. }
                        | SipaeError::DuplicateParam(_)
                        | SipaeError::Syntax { .. },
                    ) => self.bad_request(msg, &e.to_string()),
                    AuthError::BadSignature
                    | AuthError::Sipae(SipaeError::ReplayedCnum { .. })
                    | AuthError::Sipae(SipaeError::NoAssociation { .. }) => {
                        self.challenge(msg, remote, now, None)
                    }
                    _ if matches!(e.kerberos(), Some(KerberosError::ClockSkew)) => {
                        self.challenge(msg, remote, now, Some(reply::TIME_SKEW))
                    }
                    _ => self.challenge(msg, remote, now, Some(reply::FINAL_HANDSHAKE_FAILED)),
                }
            }
        }
    }

    fn new_sa(&mut self, auth: &AuthorizationValue, kind: HeaderKind, now: SystemTime) -> Sa {
        let who = Arc::new(OnceLock::new());
        let ctx: Box<dyn sfb_auth::ServerContext> = match auth.scheme {
            Scheme::Kerberos => {
                let keys = self
                    .shared
                    .kerberos_keys(self.fqdn())
                    .map(<[_]>::to_vec)
                    .unwrap_or_default();
                let server = KerberosServer::new(keys, DEFAULT_SKEW);
                let c = KerberosServerContext::new(server, self.clock(now));
                Box::new(Recorded::new(
                    c,
                    who.clone(),
                    |c: &KerberosServerContext| c.accepted().map(|a| a.client.clone()),
                ))
            }
            _ => {
                let fqdn = self.fqdn().to_owned();
                let dir = &self.shared.config.directory;
                let cfg = NtlmServerConfig {
                    nb_domain: dir.netbios_domain.clone(),
                    nb_computer: fqdn.split('.').next().unwrap_or("FE").to_ascii_uppercase(),
                    dns_domain: dir.sip_domain.clone(),
                    dns_computer: fqdn,
                };
                let c = NtlmServer::new(
                    cfg,
                    self.shared.store.clone(),
                    self.rng.fork(),
                    filetime(self.clock(now)),
                );
                Box::new(Recorded::new(c, who.clone(), |c: &NtlmServer| {
                    c.authenticated_user().map(str::to_owned)
                }))
            }
        };
        let assoc = ServerAssociation::new(
            auth.scheme,
            REALM,
            &auth.targetname,
            Some(4),
            ctx,
            self.rng.fork(),
        );
        Sa {
            assoc,
            header: kind,
            who,
        }
    }

    /// Signs a response with the SA (when established) and encodes it. In
    /// `bad-server-signature` the `rspauth` is corrupted.
    fn signed(&mut self, b: ResponseBuilder) -> Vec<u8> {
        let bad = self.scenario() == Scenario::BadServerSignature;
        let Some(sa) = self.sa.as_mut().filter(|s| s.assoc.is_established()) else {
            return build(b);
        };
        let Ok(unsigned) = b.clone().build() else {
            return build(b);
        };
        let m = unsigned.message();
        let info = MessageFields::from_message(&m)
            .map_err(AuthError::from)
            .and_then(|f| sa.assoc.sign_response(&f));
        match info {
            Ok(mut info) => {
                if bad {
                    info.rspauth = corrupt_hex(&info.rspauth);
                }
                build(b.header(sa.header.info_header(), &info.to_string()))
            }
            Err(e) => {
                tracing::warn!(error = %e, "sip lab: could not sign a response");
                unsigned.as_bytes().to_vec()
            }
        }
    }

    fn refuse(&mut self, msg: &Message<'_>, r: Refusal) -> Vec<u8> {
        let Refusal(code, reason, diag, warning) = r;
        let (n, v) = diag.header(self.fqdn());
        let mut b = base(msg, code, reason, &self.to_tag).header(n, &v);
        if let Some(w) = warning {
            b = b.header(
                "Warning",
                &format!("399 {} \"{}\"", self.fqdn(), warning_text(&w)),
            );
        }
        self.signed(b)
    }

    /// The account checks of step 5, in the order a front end applies them.
    fn check_account(&self, msg: &Message<'_>, remote: bool) -> Result<User, Refusal> {
        let dir = &self.shared.config.directory;
        let from = msg
            .from()
            .and_then(Result::ok)
            .map(|na| addr_spec(na.uri).to_owned())
            .unwrap_or_default();
        let not_sip = || Refusal(404, "Not Found", reply::NOT_ENABLED_FOR_SIP, None);
        let Some(user) = dir.by_sip_uri(&from) else {
            return Err(not_sip());
        };
        if !user.state.sip_enabled {
            return Err(not_sip());
        }
        let who = self.sa.as_ref().and_then(|s| s.who.get().cloned());
        let same = who
            .as_deref()
            .and_then(|w| dir.by_login(w))
            .is_some_and(|u| u.sip_uri == user.sip_uri);
        if !same {
            return Err(Refusal(
                403,
                "Forbidden",
                reply::NOT_AUTHORIZED_FOR_FROM,
                None,
            ));
        }
        if !user.state.sfb_enabled {
            // [RECON] the Warning text: a disabled user (Set-CsUser -Enabled $false) keeps
            // its SIP address, so the 403 says "disabled" besides the 4005.
            return Err(Refusal(
                403,
                "Forbidden",
                reply::NOT_ENABLED_FOR_SIP,
                Some("The user is disabled for Skype for Business".to_owned()),
            ));
        }
        if remote && !user.state.remote_access {
            return Err(Refusal(
                403,
                "Forbidden",
                reply::NOT_ENABLED_FOR_REMOTE_ACCESS,
                None,
            ));
        }
        if self.scenario() == Scenario::ClientVersionBlocked
            && let Some(ua) = msg.user_agent()
        {
            return Err(Refusal(
                403,
                "Forbidden",
                reply::CLIENT_VERSION_BLOCKED,
                Some(format!("The client version is blocked: {ua}")),
            ));
        }
        Ok(user.clone())
    }

    /// Which pool serves `user` now (its home pool; its backup in `backup-registrar`).
    fn serving_pool(&self, user: &User) -> PoolId {
        let pools = &self.shared.config.topology.pools;
        if self.scenario() == Scenario::BackupRegistrar {
            let home = user.home_pool;
            let backup = pools
                .get(home.0)
                .and_then(|p| p.backup)
                .unwrap_or_else(|| PoolId((home.0 + 1) % pools.len().max(1)));
            if backup.0 < pools.len() {
                return backup;
            }
        }
        user.home_pool
    }

    /// Where this role redirects `user` to, if anywhere: the Director and non-serving pools to
    /// the serving pool; in `redirect-loop` the serving pool back to the Director.
    fn redirect(&self, user: &User) -> Option<String> {
        let t = &self.shared.config.topology;
        let serving = self.serving_pool(user);
        let contact = |fqdn: &str, port: u16| format!("<sip:{fqdn}:{port};transport=tls>");
        let to_pool = t
            .pools
            .get(serving.0)
            .map(|p| contact(&p.endpoint.fqdn, p.endpoint.addr.port()));
        match self.hop {
            Hop::Director => to_pool,
            Hop::Pool(p) if p != serving => to_pool,
            Hop::Pool(_) if self.scenario() == Scenario::RedirectLoop => {
                Some(contact(&t.director.fqdn, t.director.addr.port()))
            }
            Hop::Pool(_) => None,
        }
    }

    /// Step 5: an authenticated request.
    fn serve(&mut self, msg: &Message<'_>, method: &str, remote: bool, now: SystemTime) -> Vec<u8> {
        let user = match self.check_account(msg, remote) {
            Ok(u) => u,
            Err(r) => return self.refuse(msg, r),
        };
        if let Some(contact) = self.redirect(&user) {
            let b = base(msg, 301, "Moved Permanently", &self.to_tag).header("Contact", &contact);
            return self.signed(b);
        }
        let m = method.to_ascii_uppercase();
        match m.as_str() {
            "REGISTER" => self.register(msg, &user, remote, now),
            "SUBSCRIBE" => self.subscribe(msg, &user, now),
            "SERVICE" => self.service(msg),
            "OPTIONS" => {
                let b = base(msg, 200, "OK", &self.to_tag)
                    .header("Allow", ALLOW)
                    .header("Supported", SUPPORTED);
                self.signed(b)
            }
            _ => {
                let b = base(msg, 501, "Not Implemented", &self.to_tag).header("Allow", ALLOW);
                self.signed(b)
            }
        }
    }

    fn register(
        &mut self,
        msg: &Message<'_>,
        user: &User,
        remote: bool,
        now: SystemTime,
    ) -> Vec<u8> {
        let contact = msg.list("Contact").next().map(|(_, v)| unfold(v.trim()));
        let contact_expires = msg
            .contacts()
            .next()
            .and_then(Result::ok)
            .and_then(|c| c.expires())
            .and_then(Result::ok);
        let asked = msg.expires().and_then(Result::ok).or(contact_expires);
        if asked == Some(0) {
            self.registered = false;
            let mut b = base(msg, 200, "OK", &self.to_tag).header("Expires", "0");
            if let Some(c) = contact.filter(|c| c != "*") {
                b = b.header("Contact", &format!("{c};expires=0"));
            }
            return self.signed(b);
        }
        let expires = asked.unwrap_or(REGISTER_EXPIRES).min(REGISTER_EXPIRES);
        self.registered = true;
        let backup = self.scenario() == Scenario::BackupRegistrar;
        let mut b = base(msg, 200, "OK", &self.to_tag);
        if let Some(c) = contact.filter(|c| c != "*") {
            let gruu = format!(
                "{};opaque=user:epid:{};gruu",
                user.sip_uri,
                self.gruu_id(msg)
            );
            b = b.header("Contact", &format!("{c};expires={expires};gruu=\"{gruu}\""));
        }
        b = b
            .header("Expires", &expires.to_string())
            .header("Date", &http_date(self.clock(now)))
            .header("Allow-Events", ALLOW_EVENTS)
            .header("Supported", SUPPORTED)
            .header("ms-keep-alive", "UAS; tcp=no; hop-hop=yes; end-end=no; timeout=300")
            .header(
                "presence-state",
                if backup {
                    "register-action=\"added\";primary-cluster-type=\"central\";is-connected-to-primary=\"no\""
                } else {
                    "register-action=\"added\";primary-cluster-type=\"central\";is-connected-to-primary=\"yes\""
                },
            );
        if remote {
            b = b.header("ms-user-logon-data", "RemoteUser");
        }
        self.signed(b)
    }

    /// The GRUU's endpoint id: from `+sip.instance` (hex digits of the UUID), else the From
    /// `epid`, else random.
    fn gruu_id(&mut self, msg: &Message<'_>) -> String {
        let instance = msg
            .contacts()
            .next()
            .and_then(Result::ok)
            .and_then(|c| c.sip_instance().map(str::to_owned));
        let epid = msg
            .from()
            .and_then(Result::ok)
            .and_then(|f| f.epid().map(str::to_owned));
        let src = instance.or(epid).unwrap_or_default();
        let tail = src.rsplit(':').next().unwrap_or("");
        let id: String = tail
            .chars()
            .filter(char::is_ascii_hexdigit)
            .take(22)
            .collect::<String>()
            .to_ascii_uppercase();
        if id.is_empty() { self.rng.hex(11) } else { id }
    }

    fn subscribe(&mut self, msg: &Message<'_>, user: &User, now: SystemTime) -> Vec<u8> {
        let event = msg
            .event()
            .and_then(Result::ok)
            .map(|e| e.value.to_ascii_lowercase())
            .unwrap_or_default();
        let accept: Vec<String> = msg
            .tokens("Accept")
            .map(|t| {
                t.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .collect();
        let accepts = |ty: &str| accept.is_empty() || accept.iter().any(|a| a == ty || a == "*/*");
        let t = self.shared.config.topology.clone();
        let dir = self.shared.config.directory.clone();
        let date = http_date(self.clock(now));
        let piggyback = |b: ResponseBuilder, ty: &str, state: &str, expires: &str, body: String| {
            b.header("Expires", expires)
                .header("Content-Type", ty)
                .header("subscription-state", state)
                .header("ms-piggyback-cseq", "1")
                .header("Supported", "ms-benotify, ms-piggyback-first-notify")
                .body(body.as_bytes())
        };
        let ok = || base(msg, 200, "OK", &self.to_tag);
        let not_acceptable =
            |ty: &str| base(msg, 406, "Not Acceptable", &self.to_tag).header("Accept", ty);
        let b = match event.as_str() {
            "vnd-microsoft-provisioning-v2" => {
                const TY: &str = "application/vnd-microsoft-roaming-provisioning-v2+xml";
                if !accepts(TY) {
                    not_acceptable(TY)
                } else if self.scenario() == Scenario::ProvisioningError {
                    let (n, v) = reply::USER_SERVICES_DEFAULT.header(self.fqdn());
                    base(msg, 500, "Server Internal Error", &self.to_tag).header(n, &v)
                } else {
                    let pool_fqdn = match self.hop {
                        Hop::Pool(p) => t.pools.get(p.0).map(|p| p.endpoint.fqdn.clone()),
                        Hop::Director => None,
                    }
                    .unwrap_or_else(|| t.director.fqdn.clone());
                    let ctx = settings::ProvisioningContext {
                        user,
                        pool_fqdn: &pool_fqdn,
                        edge_fqdn: &t.edge.fqdn,
                        sip_domain: &t.sip_domain,
                    };
                    let body =
                        settings::provisioning(&ctx, &settings::requested_groups(msg.body()));
                    piggyback(ok(), TY, "terminated;expires=0", "0", body)
                }
            }
            "vnd-microsoft-roaming-contacts" => {
                const TY: &str = "application/vnd-microsoft-roaming-contacts+xml";
                if accepts(TY) {
                    let body = settings::contact_list(&dir, user);
                    piggyback(ok(), TY, "active;expires=7200", "7200", body)
                } else {
                    not_acceptable(TY)
                }
            }
            "vnd-microsoft-roaming-self" => {
                const TY: &str = "application/vnd-microsoft-roaming-self+xml";
                if accepts(TY) {
                    let body = settings::roaming_self(user, &date);
                    piggyback(ok(), TY, "active;expires=7200", "7200", body)
                } else {
                    not_acceptable(TY)
                }
            }
            "presence" => {
                let batched = msg
                    .tokens("Require")
                    .any(|t| t.eq_ignore_ascii_case("adhoclist"));
                if batched {
                    let resources = settings::batch_resources(msg.body());
                    let body = settings::batch_presence(&dir, user, &resources, &date);
                    let ty = format!(
                        "multipart/related; type=\"application/rlmi+xml\"; start=\"<rlmi@lab>\"; boundary={}",
                        settings::BOUNDARY
                    );
                    piggyback(ok(), &ty, "active;expires=3600", "3600", body)
                } else {
                    ok().header("Expires", "3600")
                        .header("subscription-state", "active;expires=3600")
                }
            }
            _ => base(msg, 489, "Bad Event", &self.to_tag).header("Allow-Events", ALLOW_EVENTS),
        };
        self.signed(b)
    }

    fn service(&mut self, msg: &Message<'_>) -> Vec<u8> {
        let uri = match msg.start_line() {
            sfb_sip_codec::StartLine::Request { uri, .. } => uri,
            sfb_sip_codec::StartLine::Response { .. } => "",
        };
        let b = if uri
            .to_ascii_lowercase()
            .contains("opaque=app:locationprofile:get")
        {
            base(msg, 200, "OK", &self.to_tag)
                .header(
                    "Content-Type",
                    "application/ms-location-profile-definition+xml",
                )
                .body(settings::location_profile().as_bytes())
        } else {
            base(msg, 200, "OK", &self.to_tag)
        };
        self.signed(b)
    }
}

/// `sip:user@host` of a URI (parameters and headers cut; an unparsable URI kept as is).
fn addr_spec(uri: &str) -> &str {
    match SipUri::parse(uri) {
        Ok(_) => uri.split([';', '?']).next().unwrap_or(uri),
        Err(_) => uri,
    }
}

/// Encodes a builder's message; a builder that cannot encode (never for the lab's own
/// values) gives a bare 400 naming the encoding error.
pub(crate) fn build(b: ResponseBuilder) -> Vec<u8> {
    match b.build() {
        Ok(m) => m.as_bytes().to_vec(),
        Err(e) => unparseable("lab", &format!("response could not be encoded: {e}")),
    }
}

/// Flips the first hex digit (a wrong signature of the right length).
fn corrupt_hex(s: &str) -> String {
    let mut c = s.chars();
    let first = match c.next() {
        Some('0') => '1',
        Some(_) => '0',
        None => '0',
    };
    std::iter::once(first).chain(c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(corrupt_hex("01AB"), "11AB");
        assert_eq!(corrupt_hex("A1"), "01");
        assert_eq!(
            addr_spec("sip:alice@contoso.test;transport=tls"),
            "sip:alice@contoso.test"
        );
        assert_eq!(addr_spec("junk;x"), "junk;x");
    }
}
