//! The sign-in machine, steps 2 (after the connection) to 5: REGISTER, MS-SIPAE, redirect,
//! settings, and optionally staying registered. Sans-IO, in the quinn-proto / str0m style:
//! `handle_*(input, now)` feed it, [`SignIn::poll_output`] drains what to do next and
//! [`SignIn::poll_timeout`] says when to call [`SignIn::handle_timeout`]. No socket, no clock,
//! no randomness of its own (a [`RandomSource`] is injected; wall time is derived from the
//! `(Instant, SystemTime)` pair given at construction).
//!
//! # States and transitions
//!
//! ```text
//! Connecting ──connected──► Registering ──200──► Settings(0..5) ──done──► Staying (--stay)
//!     ▲  │                   │  ▲   │                                     │ close()
//!     │  └─all failed─► Done  │  │   └─401: Kerberos chosen─► AwaitKerberos ─token─┐
//!     │                       │  └──────────────────────────────────────────────────┘
//!     └─────301/302 (new SA)──┘                     Settings/Staying ──► Unregistering ──► Done
//! ```
//!
//! - **Connecting**: [`Output::Connect`] lists the candidate endpoints in order; the driver
//!   tries every address of each (recording TCP/TLS evidence) and reports the one that worked
//!   ([`SignIn::handle_connected`]) or that none did ([`SignIn::handle_connect_failed`]).
//! - **Registering**: REGISTER without credentials; the 401's offers are recorded (realm,
//!   targetname, `Server`, `Date` and the clock skew, `sts-uri`, ms-diagnostics). With
//!   [`AuthMode::NoAuth`] the run ends there. Otherwise the scheme is chosen by
//!   [`SignInAuth`] (lockout safety: one attempt per scheme, no retry after a refused
//!   password, Kerberos falls back to NTLM only after a KDC/SPN failure) and the reason is
//!   recorded. NTLM takes three REGISTER transactions (none, empty token, AUTHENTICATE);
//!   Kerberos takes two, with [`Output::AcquireKerberosToken`] in between, answered by
//!   [`SignIn::handle_kerberos`]. A 401 after the final token is a refused credential.
//! - **Signatures** (protocol.md §3, sipe-notes §2): once the security association is
//!   established, every incoming message's `Authentication-Info` is verified. Present and wrong:
//!   the sign-in ends (`auth.bad_server_signature`). Absent on a REGISTER response or a
//!   401/407: processed and flagged unsigned. Absent on anything else: dropped and logged.
//! - **Redirect** (protocol.md §5): a 301/302's signature is checked first (above); its
//!   Contacts, best `q` first (bare addr-spec = TLS 5061, `transport=tcp` = 5060), become the
//!   new candidates, whose certificates must carry the Contact host; the SA and the
//!   connection are dropped and the handshake restarts. At most
//!   [`SignInConfig::max_redirects`]; a target seen before is a loop.
//! - **Through an Access Edge** ([`Endpoint::edge`]): an external client cannot reach the
//!   internal pool a 301 names, so it keeps the Edge connection, drops the SA (the new
//!   registrar is another server: new targetname, new opaque) and sends the next REGISTER
//!   there with `Route: <sip:contact;lr>`, as does every later request; the Edge routes it
//!   (protocol.md §5 \[RECON\]). A Contact on port 443 is an externally published front door
//!   (Office 365 redirects `sipdir` to its pools so), which the client connects to as usual.
//!   The policy is the external one (NTLM only) at an Edge.
//! - **Settings**: the five requests of [`settings`] in order, one at a time, each judged by
//!   its row of the table there. Bodies piggybacked in a 200 OK and (BE)NOTIFYs are read. A
//!   NOTIFY gets a 200 OK; a BENOTIFY gets no response.
//! - **Staying** (`--stay`): re-REGISTER at `expires - 30 s` (half the lifetime when it is
//!   short), CRLFCRLF keep-alives every `min(ms-keep-alive timeout, keepalive)`.
//!   [`SignIn::close`] un-REGISTERs (`Expires: 0`), as does the end of a run without `--stay`.
//! - **Timeouts**: each transaction has [`SignInConfig::transaction_timeout`] (64·T1 = 32 s
//!   by default, RFC 3261 Timer F; TLS needs no retransmission). A 503/504 with `Retry-After`
//!   (at most 60 s) is retried [`SignInConfig::max_retries`] times.

pub mod settings;
mod wire;

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sfb_auth::inspect::{Protocol, inspect};
use sfb_auth::kerberos::{
    AcquiredToken, ClientConfig as KerberosConfig, KdcAddress, KerberosClient, KerberosContext,
    KerberosError, Output as KerberosOutput, TokenRequest,
};
use sfb_auth::ntlm::{NtlmClient, NtlmClientConfig, NtlmProfile};
use sfb_auth::secret::Credential;
use sfb_auth::sipae::{
    AttemptOutcome, AuthorizationValue, Challenge, HeaderKind, MessageFields, Network,
    ResponseAuth, SchemePolicy, SecurityAssociation, SignInAuth,
};
use sfb_auth::{RandomSource, Scheme, SecurityContext};
use sfb_sip_codec::{
    Frame, Framer, Limits, Message, OwnedMessage, RequestBuilder, ResponseBuilder,
};
use sfb_trace::{AuthProtocol, Direction, Status, Step};

pub use settings::{Extracted, SettingsItem};

/// The default `User-Agent`: what a current Skype for Business 2016 desktop client sends
/// (Click-to-Run build 16.0.x; protocol.md §6.1 shows the Lync 2013 form).
pub const DEFAULT_USER_AGENT: &str = "UCCAPI/16.0.5249.1001 OC/16.0.5249.1001 (Skype for Business)";

/// The `methods` a desktop client lists in its Contact (protocol.md §6.1).
const CONTACT_METHODS: &str =
    "INVITE, MESSAGE, INFO, SUBSCRIBE, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY";

/// Largest message accepted from the server.
const MAX_MESSAGE: usize = 256 * 1024;

/// SIP transport of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// SIP over TLS (the default everywhere).
    Tls,
    /// SIP over plain TCP (only when a redirect names it).
    Tcp,
}

impl Transport {
    fn via(self) -> &'static str {
        match self {
            Self::Tls => "TLS",
            Self::Tcp => "TCP",
        }
    }

    fn param(self) -> &'static str {
        match self {
            Self::Tls => "tls",
            Self::Tcp => "tcp",
        }
    }
}

/// `Route` to a registrar behind an Access Edge (a loose route, RFC 3261 §16.12).
fn route_header(ep: &Endpoint) -> String {
    let host = if ep.host.contains(':') {
        format!("[{}]", ep.host)
    } else {
        ep.host.clone()
    };
    format!(
        "<sip:{host}:{};transport={};lr>",
        ep.port,
        ep.transport.param()
    )
}

/// A place to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name (or IP literal); the certificate must carry it.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Transport.
    pub transport: Transport,
    /// Where it came from (`dns`, `--server`, `redirect from ...`).
    pub source: String,
    /// Reached by a redirect (the certificate name is the Contact host).
    pub redirected: bool,
    /// An Access Edge (external access): after a 301 received here the client stays on this
    /// connection and routes to the Contact, and the external scheme policy applies.
    pub edge: bool,
}

impl Endpoint {
    /// A TLS endpoint.
    pub fn tls(host: &str, port: u16, source: &str) -> Self {
        Self {
            host: host.trim_end_matches('.').to_ascii_lowercase(),
            port,
            transport: Transport::Tls,
            source: source.to_owned(),
            redirected: false,
            edge: false,
        }
    }

    /// The same endpoint, marked as an Access Edge or not.
    pub fn with_edge(mut self, edge: bool) -> Self {
        self.edge = edge;
        self
    }

    fn key(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// How to authenticate.
#[derive(Debug, Clone)]
pub enum AuthMode {
    /// Stop after the first 401 and record what it offers.
    NoAuth,
    /// Sign in.
    Credentials {
        /// The login and its secret.
        credential: Credential,
        /// Which schemes may be used.
        policy: SchemePolicy,
        /// The Kerberos realm (else from the targetname's domain).
        kerberos_realm: Option<String>,
        /// KDCs (else the realm's domain name, port 88: AD domain names resolve to DCs).
        kdcs: Vec<KdcAddress>,
    },
}

/// What the machine needs to know.
#[derive(Debug, Clone)]
pub struct SignInConfig {
    /// The user's SIP URI (`sip:alice@contoso.com`).
    pub sip_uri: String,
    /// How to authenticate.
    pub auth: AuthMode,
    /// `User-Agent` (default [`DEFAULT_USER_AGENT`]).
    pub user_agent: String,
    /// The endpoint id (`epid` in From), stable per machine and user.
    pub epid: String,
    /// The `+sip.instance` UUID, stable per machine and user (`urn:uuid:...`).
    pub instance: String,
    /// Workstation name sent in NTLM.
    pub workstation: String,
    /// Stay registered until [`SignIn::close`].
    pub stay: bool,
    /// Per-transaction timeout.
    pub transaction_timeout: Duration,
    /// Most redirects followed.
    pub max_redirects: usize,
    /// Most retries of a REGISTER answered 503/504 with `Retry-After`.
    pub max_retries: u32,
    /// Longest interval between CRLF keep-alives while staying.
    pub keepalive: Duration,
    /// The wall-clock time at one `Instant` (NTLM timestamps, the server's clock skew).
    pub clock: (Instant, SystemTime),
}

impl SignInConfig {
    /// Defaults for `sip_uri`: the endpoint id from [`endpoint_id`] for `workstation`.
    pub fn new(
        sip_uri: &str,
        auth: AuthMode,
        workstation: &str,
        clock: (Instant, SystemTime),
    ) -> Self {
        let (epid, instance) = endpoint_id(sip_uri, workstation);
        Self {
            sip_uri: sip_uri.to_owned(),
            auth,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            epid,
            instance,
            workstation: workstation.to_owned(),
            stay: false,
            transaction_timeout: Duration::from_secs(32),
            max_redirects: 3,
            max_retries: 2,
            keepalive: Duration::from_secs(60),
            clock,
        }
    }
}

/// A stable endpoint id and instance for (user, machine): `epid` = the last 5 bytes of
/// SHA-1(`uri:machine`) in hex; the instance UUID is built from SHA-1(`epid`) (name-based,
/// version 5 layout), as pidgin-sipe derives them (sipe-notes §2; not byte-compatible).
pub fn endpoint_id(sip_uri: &str, machine: &str) -> (String, String) {
    let h = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        format!("{sip_uri}:{machine}").as_bytes(),
    );
    let epid: String = h.as_ref()[15..]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let u = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, epid.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&u.as_ref()[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
    let uuid = format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    );
    (epid, uuid)
}

/// What the driver must do.
#[derive(Debug)]
pub enum Output {
    /// Connect to the first of these that works (every address of each, in order), then call
    /// [`SignIn::handle_connected`] or [`SignIn::handle_connect_failed`].
    Connect(Vec<Endpoint>),
    /// Write these bytes on the connection.
    Transmit(Vec<u8>),
    /// Close the connection.
    Close,
    /// Get a Kerberos service ticket (the driver runs `sfb_auth::kerberos::driver`), then call
    /// [`SignIn::handle_kerberos`].
    AcquireKerberosToken(TokenRequest),
    /// Something to record.
    Event(Event),
}

/// One fact for the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A SIP message went over the wire (raw bytes; the trace redacts).
    Sip {
        /// Sent or received.
        direction: Direction,
        /// The message.
        bytes: Vec<u8>,
    },
    /// A `gssapi-data` token, decoded into safe fields.
    AuthToken {
        /// NTLM or Kerberos.
        protocol: AuthProtocol,
        /// Sent or received.
        direction: Direction,
        /// `challenge`, `authenticate`, `ap_req`, ...
        message_type: String,
        /// Safe fields (see `sfb_auth::inspect`).
        fields: BTreeMap<String, String>,
        /// The raw token (kept by the trace only under `raw_trace`).
        raw: Vec<u8>,
    },
    /// Facts gathered in a step (`source` names what they came from).
    Fact {
        /// The step.
        step: Step,
        /// `first_401`, `scheme_selection`, `registered`, `redirect`, `kerberos`, ...
        source: String,
        /// Named facts.
        fields: BTreeMap<String, String>,
    },
    /// One settings request's result.
    Setting {
        /// Which.
        item: SettingsItem,
        /// Its status by the module table's rule.
        status: Status,
        /// The final response code, if one came.
        code: Option<u16>,
        /// Why.
        sentence: String,
        /// What it said.
        extracted: Extracted,
    },
    /// A message was dropped or flagged (unsigned, unmatched, malformed).
    Note {
        /// The step.
        step: Step,
        /// What happened.
        text: String,
    },
    /// A step's simple status.
    StepStatus {
        /// The step.
        step: Step,
        /// Pass, warn, fail.
        status: Status,
        /// A stable cause code (`auth.signed_in`, `redirect.loop`, ...).
        cause: &'static str,
        /// One sentence.
        sentence: String,
    },
    /// The run is over.
    Finished(Outcome),
}

/// How the run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Signed in (and, after settings, signed out again unless staying).
    SignedIn,
    /// `--no-auth`: stopped after the first 401 as asked.
    NoAuth,
    /// Failed in `step`.
    Failed {
        /// The step.
        step: Step,
        /// The cause code.
        cause: &'static str,
        /// One sentence.
        sentence: String,
    },
}

/// Why the machine could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// The SIP URI is not `sip:user@domain`.
    #[error("not a SIP URI of the form sip:user@domain: {0:?}")]
    BadUri(String),
    /// No endpoint to connect to.
    #[error("no endpoint to connect to")]
    NoEndpoint,
}

#[derive(Clone)]
struct SharedRng(Arc<Mutex<Box<dyn RandomSource>>>);

impl RandomSource for SharedRng {
    fn fill(&mut self, buf: &mut [u8]) {
        match self.0.lock() {
            Ok(mut r) => r.fill(buf),
            Err(p) => p.into_inner().fill(buf),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TxKind {
    Register,
    ReRegister,
    Unregister,
    Setting(SettingsItem),
}

#[derive(Debug)]
struct Pending {
    cseq: u32,
    kind: TxKind,
    deadline: Instant,
}

enum State {
    Connecting,
    Registering,
    AwaitKerberos(Box<AwaitKerberos>),
    Settings,
    Staying,
    Unregistering,
    Done,
}

/// What the Kerberos effect resumes with.
struct AwaitKerberos {
    offers: Vec<Challenge>,
    header: HeaderKind,
    offer: Challenge,
    config: KerberosConfig,
}

enum Sig {
    Verified,
    Unsigned,
    Bad(String),
}

/// The sign-in state machine (see the module docs).
pub struct SignIn {
    config: SignInConfig,
    user_uri: String,
    domain: String,
    rng: SharedRng,
    state: State,
    out: VecDeque<Output>,
    candidates: Vec<Endpoint>,
    current: Option<Endpoint>,
    /// The registrar a 301 received through an Access Edge named: every request is routed
    /// there through the Edge connection (`Route`).
    route: Option<Endpoint>,
    visited: Vec<String>,
    redirects: usize,
    local: Option<SocketAddr>,
    framer: Framer,
    call_id: String,
    tag: String,
    ms_opaque: String,
    cseq: u32,
    pending: Option<Pending>,
    retry_at: Option<Instant>,
    retries: u32,
    select: SignInAuth,
    sa: Option<SecurityAssociation>,
    first_401_seen: bool,
    registered: bool,
    gruu: Option<String>,
    expires: u32,
    reregister_at: Option<Instant>,
    keepalive_at: Option<Instant>,
    keepalive_every: Duration,
    settings: Vec<(SettingsItem, Status)>,
    location_profile: Option<String>,
    outcome: Option<Outcome>,
    unsigned_flagged: bool,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("user", &self.user_uri)
            .field("current", &self.current)
            .field("cseq", &self.cseq)
            .field("registered", &self.registered)
            .finish_non_exhaustive()
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn policy_of(auth: &AuthMode) -> SchemePolicy {
    match auth {
        AuthMode::Credentials { policy, .. } => *policy,
        AuthMode::NoAuth => SchemePolicy::Only(Scheme::Ntlm),
    }
}

/// The policy at `ep`: an automatic choice follows where the client is (an Access Edge means
/// it is outside: NTLM only), a forced scheme stays forced.
fn policy_at(auth: &AuthMode, ep: &Endpoint) -> SchemePolicy {
    match policy_of(auth) {
        SchemePolicy::Auto(_) if ep.edge => SchemePolicy::Auto(Network::External),
        SchemePolicy::Auto(_) => SchemePolicy::Auto(Network::Internal),
        p => p,
    }
}

fn protocol_of(s: Scheme) -> Option<(Protocol, AuthProtocol)> {
    match s {
        Scheme::Ntlm => Some((Protocol::Ntlm, AuthProtocol::Ntlm)),
        Scheme::Kerberos => Some((Protocol::Kerberos, AuthProtocol::Kerberos)),
        Scheme::TlsDsk => None,
    }
}

impl SignIn {
    /// A machine that will connect to `candidates` (in order) first.
    pub fn new(
        config: SignInConfig,
        candidates: Vec<Endpoint>,
        rng: Box<dyn RandomSource>,
    ) -> Result<Self, SignInError> {
        let uri = sfb_sip_codec::SipUri::parse(&config.sip_uri)
            .map_err(|_| SignInError::BadUri(config.sip_uri.clone()))?;
        let (Some(user), false) = (uri.user, uri.host.is_empty()) else {
            return Err(SignInError::BadUri(config.sip_uri.clone()));
        };
        if candidates.is_empty() {
            return Err(SignInError::NoEndpoint);
        }
        let user_uri = format!("sip:{user}@{}", uri.host);
        let domain = uri.host.to_owned();
        let mut me = Self {
            select: SignInAuth::new(policy_of(&config.auth)),
            config,
            user_uri,
            domain,
            rng: SharedRng(Arc::new(Mutex::new(rng))),
            state: State::Connecting,
            out: VecDeque::new(),
            candidates: Vec::new(),
            current: None,
            route: None,
            visited: Vec::new(),
            redirects: 0,
            local: None,
            framer: Framer::new(Self::limits()),
            call_id: String::new(),
            tag: String::new(),
            ms_opaque: String::new(),
            cseq: 0,
            pending: None,
            retry_at: None,
            retries: 0,
            sa: None,
            first_401_seen: false,
            registered: false,
            gruu: None,
            expires: 0,
            reregister_at: None,
            keepalive_at: None,
            keepalive_every: Duration::from_secs(60),
            settings: Vec::new(),
            location_profile: None,
            outcome: None,
            unsigned_flagged: false,
        };
        me.keepalive_every = me.config.keepalive;
        me.connect(candidates);
        Ok(me)
    }

    fn limits() -> Limits {
        Limits {
            max_message: MAX_MESSAGE,
            ..Limits::default()
        }
    }

    /// The next thing to do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When [`Self::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.pending.as_ref().map(|p| p.deadline),
            self.retry_at,
            self.reregister_at,
            self.keepalive_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// True once [`Event::Finished`] was emitted.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// True while registered and staying (waiting for [`Self::close`]).
    pub fn is_staying(&self) -> bool {
        matches!(self.state, State::Staying)
    }

    fn random_hex(&mut self, n: usize) -> String {
        let mut b = vec![0u8; n];
        self.rng.fill(&mut b);
        hex(&b)
    }

    fn wall(&self, now: Instant) -> SystemTime {
        let (i0, w0) = self.config.clock;
        match now.checked_duration_since(i0) {
            Some(d) => w0 + d,
            None => w0 - i0.duration_since(now),
        }
    }

    fn filetime(&self, now: Instant) -> u64 {
        let d = self
            .wall(now)
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        116_444_736_000_000_000 + d.as_secs() * 10_000_000 + u64::from(d.subsec_nanos() / 100)
    }

    fn event(&mut self, e: Event) {
        self.out.push_back(Output::Event(e));
    }

    fn fact(&mut self, step: Step, source: &str, fields: BTreeMap<String, String>) {
        self.event(Event::Fact {
            step,
            source: source.to_owned(),
            fields,
        });
    }

    fn note(&mut self, step: Step, text: String) {
        self.event(Event::Note { step, text });
    }

    fn step_status(&mut self, step: Step, status: Status, cause: &'static str, sentence: String) {
        self.event(Event::StepStatus {
            step,
            status,
            cause,
            sentence,
        });
    }

    fn auth_step(&self) -> Step {
        Step::Authentication
    }

    /// Ends the run as failed (closes the connection).
    fn fail(&mut self, step: Step, cause: &'static str, sentence: String) {
        if matches!(self.state, State::Done) {
            return;
        }
        self.step_status(step, Status::Fail, cause, sentence.clone());
        self.finish(Outcome::Failed {
            step,
            cause,
            sentence,
        });
    }

    fn finish(&mut self, outcome: Outcome) {
        self.state = State::Done;
        self.pending = None;
        self.retry_at = None;
        self.reregister_at = None;
        self.keepalive_at = None;
        self.out.push_back(Output::Close);
        self.event(Event::Finished(outcome));
    }

    fn connect(&mut self, candidates: Vec<Endpoint>) {
        self.state = State::Connecting;
        self.candidates = candidates.clone();
        self.out.push_back(Output::Connect(candidates));
    }

    // ----- inputs -----

    /// The driver connected to `candidates[index]` of the last [`Output::Connect`]; `local`
    /// is our address on that connection (Via, Contact).
    pub fn handle_connected(&mut self, index: usize, local: SocketAddr, now: Instant) {
        if !matches!(self.state, State::Connecting) {
            return;
        }
        let Some(ep) = self.candidates.get(index).cloned() else {
            self.fail(
                Step::Connectivity,
                "session.internal",
                format!("the driver reported candidate {index}, which does not exist"),
            );
            return;
        };
        self.visited.push(ep.key());
        self.select = SignInAuth::new(policy_at(&self.config.auth, &ep));
        self.route = None;
        self.current = Some(ep);
        self.local = Some(local);
        self.framer = Framer::new(Self::limits());
        self.call_id = self.random_hex(16);
        self.tag = self.random_hex(5);
        self.ms_opaque = self.random_hex(5);
        self.cseq = 0;
        self.sa = None;
        self.state = State::Registering;
        self.send_register(TxKind::Register, None, now);
    }

    /// No candidate of the last [`Output::Connect`] could be reached (the driver recorded why).
    pub fn handle_connect_failed(&mut self, reason: &str, _now: Instant) {
        if !matches!(self.state, State::Connecting) {
            return;
        }
        let redirected = self.candidates.iter().any(|c| c.redirected);
        if redirected {
            self.fail(
                Step::Redirection,
                "redirect.target_unreachable",
                format!("the redirect target could not be reached: {reason}"),
            );
        } else {
            self.fail(
                Step::Connectivity,
                "connectivity.failed",
                format!("no endpoint could be reached: {reason}"),
            );
        }
    }

    /// The connection closed (by the peer or an I/O error).
    pub fn handle_closed(&mut self, reason: &str, _now: Instant) {
        match self.state {
            State::Done | State::Connecting => {}
            State::Unregistering => {
                let o = self.outcome.clone().unwrap_or(Outcome::SignedIn);
                self.finish(o);
            }
            State::Settings | State::Staying => self.fail(
                Step::Settings,
                "sip.connection_closed",
                format!("the server closed the connection: {reason}"),
            ),
            _ => {
                let step = self.auth_step();
                self.fail(
                    step,
                    "sip.connection_closed",
                    format!("the server closed the connection: {reason}"),
                );
            }
        }
    }

    /// Bytes read from the connection.
    pub fn handle_bytes(&mut self, data: &[u8], now: Instant) {
        if matches!(self.state, State::Done | State::Connecting) {
            return;
        }
        self.framer.push(data);
        loop {
            if matches!(self.state, State::Done | State::Connecting) {
                return;
            }
            match self.framer.next() {
                Ok(sfb_sip_codec::Status::Partial) => return,
                Ok(sfb_sip_codec::Status::Complete(Frame::KeepAlive)) => {}
                Ok(sfb_sip_codec::Status::Complete(Frame::Message(m))) => {
                    self.event(Event::Sip {
                        direction: Direction::Received,
                        bytes: m.as_bytes().to_vec(),
                    });
                    self.on_message(&m, now);
                }
                Err(e) => {
                    let step = self.current_step();
                    self.fail(
                        step,
                        "sip.malformed",
                        format!("the server sent a malformed SIP message: {e}"),
                    );
                    return;
                }
            }
        }
    }

    /// The result of [`Output::AcquireKerberosToken`].
    pub fn handle_kerberos(&mut self, result: Result<AcquiredToken, KerberosError>, now: Instant) {
        let State::AwaitKerberos(wait) = std::mem::replace(&mut self.state, State::Registering)
        else {
            return;
        };
        let AwaitKerberos {
            offers,
            header,
            offer,
            config,
        } = *wait;
        let ctx = result.and_then(|t| KerberosContext::from_token(config, t));
        match ctx {
            Ok(ctx) => self.begin_sa(&offer, header, Box::new(ctx), now),
            Err(e) => {
                let mut f = BTreeMap::new();
                f.insert("error".into(), e.to_string());
                self.fact(Step::Authentication, "kerberos", f);
                self.select.report(e.attempt_outcome());
                self.start_auth(offers, header, now);
            }
        }
    }

    /// Time passed: transaction timeouts, retries, re-REGISTER, keep-alives.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(p) = &self.pending
            && now >= p.deadline
        {
            let kind = p.kind;
            self.pending = None;
            let secs = self.config.transaction_timeout.as_secs();
            match kind {
                TxKind::Setting(item) => {
                    self.setting_result(
                        item,
                        Status::Warn,
                        None,
                        format!("no answer in {secs} s"),
                        Extracted::default(),
                        now,
                    );
                }
                TxKind::Unregister => {
                    let o = self.outcome.clone().unwrap_or(Outcome::SignedIn);
                    self.finish(o);
                }
                TxKind::Register | TxKind::ReRegister => {
                    let step = self.current_step();
                    self.fail(
                        step,
                        "sip.timeout",
                        format!("no answer to REGISTER in {secs} s"),
                    );
                }
            }
        }
        if self.retry_at.is_some_and(|t| now >= t) {
            self.retry_at = None;
            self.send_register(TxKind::Register, None, now);
        }
        if self.reregister_at.is_some_and(|t| now >= t) && self.pending.is_none() {
            self.reregister_at = None;
            self.send_register(TxKind::ReRegister, None, now);
        }
        if self.keepalive_at.is_some_and(|t| now >= t) {
            self.out.push_back(Output::Transmit(b"\r\n\r\n".to_vec()));
            self.keepalive_at = Some(now + self.keepalive_every);
        }
    }

    /// Stop: un-REGISTER if registered, then finish. Call on Ctrl-C or at the end of `--stay`.
    pub fn close(&mut self, now: Instant) {
        match self.state {
            State::Done | State::Unregistering => {}
            _ if self.registered && self.local.is_some() => {
                if self.outcome.is_none() {
                    self.outcome = Some(Outcome::SignedIn);
                }
                self.unregister(now);
            }
            _ => {
                let step = self.current_step();
                self.fail(step, "session.cancelled", "cancelled before the end".into());
            }
        }
    }

    /// The registrar requests go to: the routed one behind an Edge, else the connection's peer.
    fn registrar(&self) -> Option<&Endpoint> {
        self.route.as_ref().or(self.current.as_ref())
    }

    fn current_step(&self) -> Step {
        match self.state {
            State::Connecting => {
                if self.candidates.iter().any(|c| c.redirected) {
                    Step::Redirection
                } else {
                    Step::Connectivity
                }
            }
            State::Settings | State::Staying | State::Unregistering => Step::Settings,
            _ => Step::Authentication,
        }
    }

    // ----- building and sending -----

    fn via(&mut self) -> String {
        let local = self.local.map(|l| l.to_string()).unwrap_or_default();
        let t = self
            .current
            .as_ref()
            .map_or(Transport::Tls, |c| c.transport);
        format!(
            "SIP/2.0/{} {local};branch=z9hG4bK{}",
            t.via(),
            self.random_hex(8)
        )
    }

    fn contact(&self, expires: Option<u32>) -> String {
        let local = self.local.map(|l| l.to_string()).unwrap_or_default();
        let t = self
            .current
            .as_ref()
            .map_or(Transport::Tls, |c| c.transport);
        let tp = if t == Transport::Tls { "tls" } else { "tcp" };
        let mut c = format!(
            "<sip:{local};transport={tp};ms-opaque={}>;methods=\"{CONTACT_METHODS}\";proxy=replace;+sip.instance=\"<{}>\"",
            self.ms_opaque, self.config.instance
        );
        if let Some(e) = expires {
            c.push_str(&format!(";expires={e}"));
        }
        c
    }

    /// Builds a request; `auth` adds the (Proxy-)Authorization header.
    #[allow(clippy::too_many_arguments, reason = "the parts of one request")]
    fn build(
        &self,
        method: &str,
        uri: &str,
        cseq: u32,
        via: &str,
        headers: &[(&str, String)],
        body: &str,
        auth: Option<(HeaderKind, &AuthorizationValue)>,
    ) -> Option<OwnedMessage> {
        let mut b = RequestBuilder::new(method, uri).header("Via", via);
        if let Some(r) = &self.route {
            b = b.header("Route", &route_header(r));
        }
        b = b
            .header("Max-Forwards", "70")
            .header(
                "From",
                &format!(
                    "<{}>;tag={};epid={}",
                    self.user_uri, self.tag, self.config.epid
                ),
            )
            .header("To", &format!("<{}>", self.user_uri))
            .header("Call-ID", &self.call_id)
            .header("CSeq", &format!("{cseq} {method}"));
        for (n, v) in headers {
            b = b.header(n, v);
        }
        if let Some((kind, v)) = auth {
            b = b.header(kind.request_header(), &v.to_string());
        }
        if !body.is_empty() {
            b = b.body(body.as_bytes());
        }
        b.build().ok()
    }

    /// Sends a request, signed when the SA is established (or with the handshake value).
    #[allow(
        clippy::too_many_arguments,
        reason = "one private call site per request kind"
    )]
    fn send(
        &mut self,
        method: &str,
        uri: &str,
        headers: Vec<(&str, String)>,
        body: &str,
        handshake: Option<AuthorizationValue>,
        kind: TxKind,
        now: Instant,
    ) {
        self.cseq += 1;
        let cseq = self.cseq;
        let via = self.via();
        enum Mode {
            AsIs,
            SignFinal,
            Authorize,
        }
        let mode = match (&handshake, &self.sa) {
            (Some(_), Some(sa)) if sa.must_sign_final() => Mode::SignFinal,
            (None, Some(sa)) if sa.is_established() => Mode::Authorize,
            _ => Mode::AsIs,
        };
        let value = match mode {
            Mode::AsIs => handshake,
            Mode::SignFinal | Mode::Authorize => {
                let Some(unsigned) = self.build(method, uri, cseq, &via, &headers, body, None)
                else {
                    return self.internal("request build");
                };
                let m = unsigned.message();
                let fields = match MessageFields::from_message(&m) {
                    Ok(f) => f,
                    Err(e) => return self.internal(&format!("signature fields: {e}")),
                };
                let Some(sa) = self.sa.as_mut() else {
                    return self.internal("no security association");
                };
                let r = match (mode, handshake) {
                    (Mode::SignFinal, Some(mut v)) => sa.sign_request(&mut v, &fields).map(|()| v),
                    _ => sa.authorize(&fields),
                };
                match r {
                    Ok(v) => Some(v),
                    Err(e) => return self.internal(&format!("signing: {e}")),
                }
            }
        };
        let header = self.sa.as_ref().map(SecurityAssociation::header);
        let auth = value.as_ref().zip(header).map(|(v, h)| (h, v));
        let Some(msg) = self.build(method, uri, cseq, &via, &headers, body, auth) else {
            return self.internal("request build");
        };
        if let Some(v) = &value
            && let Some(token) = v.gssapi_data.as_ref().filter(|t| !t.is_empty())
        {
            self.token_event(v.scheme, Direction::Sent, token.clone());
        }
        let bytes = msg.into_bytes();
        self.event(Event::Sip {
            direction: Direction::Sent,
            bytes: bytes.clone(),
        });
        self.out.push_back(Output::Transmit(bytes));
        self.pending = Some(Pending {
            cseq,
            kind,
            deadline: now + self.config.transaction_timeout,
        });
    }

    fn internal(&mut self, what: &str) {
        let step = self.current_step();
        self.fail(step, "session.internal", format!("internal error: {what}"));
    }

    fn token_event(&mut self, scheme: Scheme, direction: Direction, raw: Vec<u8>) {
        let Some((p, ap)) = protocol_of(scheme) else {
            return;
        };
        let i = inspect(p, &raw);
        self.event(Event::AuthToken {
            protocol: ap,
            direction,
            message_type: i.message_type,
            fields: i.fields,
            raw,
        });
    }

    fn send_register(&mut self, kind: TxKind, handshake: Option<AuthorizationValue>, now: Instant) {
        let mut headers: Vec<(&str, String)> = Vec::new();
        let expires = match kind {
            TxKind::Unregister => Some(0),
            _ => None,
        };
        headers.push(("Contact", self.contact(expires)));
        headers.push(("User-Agent", self.config.user_agent.clone()));
        headers.push((
            "Supported",
            "gruu-10, adhoclist, msrtc-event-categories, com.microsoft.msrtc.presence".into(),
        ));
        headers.push(("Supported", "ms-forking".into()));
        headers.push(("Supported", "ms-cluster-failover".into()));
        headers.push(("Supported", "ms-userservices-state-notification".into()));
        headers.push(("ms-keep-alive", "UAC;hop-hop=yes".into()));
        headers.push(("Event", "registration".into()));
        headers.push(("Allow-Events", "presence".into()));
        if let Some(e) = expires {
            headers.push(("Expires", e.to_string()));
        }
        let uri = format!("sip:{}", self.domain);
        self.send("REGISTER", &uri, headers, "", handshake, kind, now);
    }

    // ----- incoming -----

    fn check_signature(&mut self, m: &Message<'_>) -> Sig {
        let Some(sa) = self.sa.as_mut() else {
            return Sig::Unsigned;
        };
        if !sa.is_established() {
            return Sig::Unsigned;
        }
        let ra = ResponseAuth::from_message(m);
        if ra.infos.is_empty() {
            return Sig::Unsigned;
        }
        let Some(info) = ra.info_for(sa) else {
            return Sig::Bad("its Authentication-Info names another security association".into());
        };
        let fields = match MessageFields::from_message(m) {
            Ok(f) => f,
            Err(e) => return Sig::Bad(e.to_string()),
        };
        match sa.verify_info(info, &fields) {
            Ok(()) => Sig::Verified,
            Err(e) => Sig::Bad(e.to_string()),
        }
    }

    fn on_message(&mut self, owned: &OwnedMessage, now: Instant) {
        let m = owned.message();
        let sig = self.check_signature(&m);
        let established = self
            .sa
            .as_ref()
            .is_some_and(SecurityAssociation::is_established);
        let first = m
            .as_bytes()
            .split(|b| *b == b'\r')
            .next()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .unwrap_or_default();
        if let Sig::Bad(why) = sig {
            self.fail(
                Step::Authentication,
                "auth.bad_server_signature",
                format!("the server's signature on \"{first}\" does not verify ({why})"),
            );
            return;
        }
        let is_register = m
            .cseq()
            .and_then(Result::ok)
            .is_some_and(|c| c.method.eq_ignore_ascii_case("REGISTER"));
        if matches!(sig, Sig::Unsigned) && established {
            let code = m.status_code();
            if !m.is_request() && (is_register || matches!(code, Some(401 | 407))) {
                self.unsigned_flagged = true;
                let step = self.current_step();
                self.note(step, format!("unsigned response processed: {first}"));
            } else {
                let step = self.current_step();
                self.note(step, format!("unsigned message dropped: {first}"));
                self.end_unsigned_setting(&m, now);
                return;
            }
        }
        if m.is_request() {
            self.on_request(&m, now);
            return;
        }
        let Some(code) = m.status_code() else { return };
        let Some(Ok(cseq)) = m.cseq() else {
            let step = self.current_step();
            self.note(step, format!("response without a CSeq dropped: {first}"));
            return;
        };
        let ours = m.call_id() == Some(self.call_id.as_str());
        let Some(p) = self.pending.as_ref().filter(|p| ours && p.cseq == cseq.seq) else {
            let step = self.current_step();
            self.note(
                step,
                format!("response to no pending request dropped: {first}"),
            );
            return;
        };
        if code < 200 {
            return;
        }
        let kind = p.kind;
        self.pending = None;
        match kind {
            TxKind::Register | TxKind::ReRegister => self.on_register_response(&m, code, kind, now),
            TxKind::Unregister => {
                let o = self.outcome.clone().unwrap_or(Outcome::SignedIn);
                self.finish(o);
            }
            TxKind::Setting(item) => self.on_setting_response(item, &m, code, now),
        }
    }

    /// An unsigned final answer to the pending settings request is dropped unread, as the
    /// client drops it; rather than wait out the transaction (32 s, and the same for every
    /// request after it), the request ends now, judged as unanswered.
    fn end_unsigned_setting(&mut self, m: &Message<'_>, now: Instant) {
        let (Some(code), Some(Ok(cseq))) = (m.status_code(), m.cseq()) else {
            return;
        };
        let ours = m.call_id() == Some(self.call_id.as_str());
        let Some(TxKind::Setting(item)) = self
            .pending
            .as_ref()
            .filter(|p| ours && p.cseq == cseq.seq && code >= 200)
            .map(|p| p.kind)
        else {
            return;
        };
        self.pending = None;
        self.setting_result(
            item,
            Status::Warn,
            Some(code),
            format!(
                "answered {code} without a signature: dropped unread (a client ignores unsigned messages after sign-in)"
            ),
            Extracted::default(),
            now,
        );
    }

    fn on_request(&mut self, m: &Message<'_>, now: Instant) {
        let method = m.method().unwrap_or_default().to_ascii_uppercase();
        if method == "ACK" {
            return;
        }
        if method == "NOTIFY" || method == "BENOTIFY" {
            let event = m
                .event()
                .and_then(Result::ok)
                .map(|e| e.value.to_owned())
                .unwrap_or_default();
            if let Some(item) = SettingsItem::from_event(&event) {
                let x = settings::extract(item, m.body());
                if item == SettingsItem::Provisioning
                    && let Some(p) = x.fields.get("location_profile")
                {
                    self.location_profile = Some(p.clone());
                }
                let mut f = x.fields.clone();
                if !x.items.is_empty() {
                    f.insert("items".into(), x.items.join("\n"));
                }
                self.fact(
                    Step::Settings,
                    &format!("{}:{}", method.to_ascii_lowercase(), item.name()),
                    f,
                );
            }
        }
        if method == "BENOTIFY" {
            return; // [MS-SIP] BENOTIFY: best effort, never answered.
        }
        let (code, reason) = if matches!(method.as_str(), "NOTIFY" | "OPTIONS") {
            (200, "OK")
        } else {
            (501, "Not Implemented")
        };
        let resp = ResponseBuilder::new(code, reason)
            .copy_headers(m, &["Via", "From", "To", "Call-ID", "CSeq"])
            .header("User-Agent", &self.config.user_agent)
            .build();
        if let Ok(r) = resp {
            let bytes = r.into_bytes();
            self.event(Event::Sip {
                direction: Direction::Sent,
                bytes: bytes.clone(),
            });
            self.out.push_back(Output::Transmit(bytes));
        }
        let _ = now;
    }

    fn on_register_response(&mut self, m: &Message<'_>, code: u16, kind: TxKind, now: Instant) {
        match code {
            401 | 407 if kind == TxKind::Register => self.on_challenge(m, now),
            200..=299 => self.on_registered(m, kind, now),
            301 | 302 if kind == TxKind::Register => self.on_redirect(m, code, now),
            503 | 504
                if self.retries < self.config.max_retries
                    && m.retry_after()
                        .and_then(Result::ok)
                        .and_then(|r| r.value.trim().parse::<u64>().ok())
                        .is_some_and(|s| s <= 60) =>
            {
                let secs = m
                    .retry_after()
                    .and_then(Result::ok)
                    .and_then(|r| r.value.trim().parse::<u64>().ok())
                    .unwrap_or(60);
                self.retries += 1;
                let mut f = BTreeMap::new();
                f.insert("status".into(), code.to_string());
                f.insert("retry_after_s".into(), secs.to_string());
                f.insert("attempt".into(), self.retries.to_string());
                self.fact(Step::Authentication, "retry", f);
                self.retry_at = Some(now + Duration::from_secs(secs));
            }
            _ => {
                let reason = m
                    .as_bytes()
                    .split(|b| *b == b'\r')
                    .next()
                    .map(|l| String::from_utf8_lossy(l).into_owned())
                    .unwrap_or_default();
                let diag = wire::diagnostics(m)
                    .map(|d| format!(" (ms-diagnostics: {d})"))
                    .unwrap_or_default();
                let step = if kind == TxKind::ReRegister {
                    Step::Settings
                } else {
                    Step::Authentication
                };
                let routed_unreachable = kind == TxKind::Register
                    && matches!(code, 408 | 480 | 500..=599)
                    && !self
                        .sa
                        .as_ref()
                        .is_some_and(SecurityAssociation::is_established);
                if let (true, Some(target)) = (routed_unreachable, self.route.as_ref()) {
                    let target = target.key();
                    self.refusal_fact(Step::Redirection, m);
                    self.fail(
                        Step::Redirection,
                        "redirect.target_unreachable",
                        format!(
                            "the Access Edge could not reach the redirect target {target}: {reason}{diag}"
                        ),
                    );
                    return;
                }
                if self
                    .sa
                    .as_ref()
                    .is_some_and(SecurityAssociation::is_established)
                {
                    self.select.report(AttemptOutcome::Succeeded);
                }
                self.refusal_fact(step, m);
                self.fail(
                    step,
                    "register.rejected",
                    format!("the registrar answered {reason}{diag}"),
                );
            }
        }
    }

    /// A refusal's facts (status, reason, ms-diagnostics, Warning) for the diagnosis.
    fn refusal_fact(&mut self, step: Step, m: &Message<'_>) {
        let mut f = BTreeMap::new();
        if let Some(c) = m.status_code() {
            f.insert("status".into(), c.to_string());
        }
        let first = m
            .as_bytes()
            .split(|b| *b == b'\r')
            .next()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .unwrap_or_default();
        f.insert("status_line".into(), first);
        for (i, d) in m.ms_diagnostics().flatten().take(4).enumerate() {
            let k = if i == 0 {
                "ms_diagnostics".to_owned()
            } else {
                format!("ms_diagnostics_{i}")
            };
            let mut v = d.code.to_string();
            if let Some(r) = d.reason() {
                v.push_str(&format!(";reason=\"{r}\""));
            }
            if let Some(src) = d.source() {
                v.push_str(&format!(";source=\"{src}\""));
            }
            if d.public {
                v.push_str(";public");
            }
            f.insert(k, v);
        }
        for (h, k) in [
            ("Warning", "warning"),
            ("Server", "server"),
            ("ms-user-logon-data", "ms_user_logon_data"),
        ] {
            if let Some(v) = wire::header(m, h) {
                f.insert(k.into(), v);
            }
        }
        if let Some(ep) = &self.current {
            f.insert("endpoint".into(), ep.key());
        }
        self.fact(step, "refusal", f);
    }

    /// The first 401's facts (what `--no-auth` reports).
    fn record_first_401(&mut self, m: &Message<'_>, ra: &ResponseAuth, now: Instant) {
        let mut f = BTreeMap::new();
        let offers: Vec<String> = ra.challenges.iter().map(|c| c.scheme.to_string()).collect();
        f.insert("offers".into(), offers.join(","));
        if let Some(c) = ra.challenges.first() {
            f.insert("realm".into(), c.realm.clone());
        }
        let targets: Vec<String> = ra
            .challenges
            .iter()
            .map(|c| format!("{}={}", c.scheme, c.targetname))
            .collect();
        f.insert("targetnames".into(), targets.join(","));
        if let Some(s) = ra.challenges.iter().find_map(|c| c.sts_uri.clone()) {
            f.insert("sts_uri".into(), s);
        }
        if let Some(s) = wire::header(m, "Server") {
            f.insert("server".into(), s);
        }
        if let Some(d) = m.date() {
            f.insert("date".into(), d.chars().take(64).collect());
            if let Some(t) = wire::parse_http_date(d) {
                let skew = wire::clock_skew(t, self.wall(now));
                f.insert("clock_skew_s".into(), skew.to_string());
            }
        }
        if let Some(d) = wire::diagnostics(m) {
            f.insert("ms_diagnostics".into(), d);
        }
        if let Some(u) = m.ms_user_logon_data() {
            f.insert("ms_user_logon_data".into(), u.to_owned());
        }
        if let Some(ep) = &self.current {
            f.insert("endpoint".into(), ep.key());
        }
        f.insert(
            "header".into(),
            ra.header.map_or("none", |h| h.request_header()).to_owned(),
        );
        self.fact(Step::Authentication, "first_401", f);
    }

    fn on_challenge(&mut self, m: &Message<'_>, now: Instant) {
        let ra = ResponseAuth::from_message(m);
        for ch in &ra.challenges {
            if let Some(t) = ch.gssapi_data.as_ref().filter(|t| !t.is_empty()) {
                self.token_event(ch.scheme, Direction::Received, t.clone());
            }
        }
        let header = ra.header.unwrap_or(HeaderKind::Authorization);
        match self.sa.as_ref().map(SecurityAssociation::is_established) {
            None => {
                if !self.first_401_seen {
                    self.first_401_seen = true;
                    self.record_first_401(m, &ra, now);
                }
                if matches!(self.config.auth, AuthMode::NoAuth) {
                    self.step_status(
                        Step::Authentication,
                        Status::Skipped,
                        "auth.not_attempted",
                        "--no-auth: stopped after the first 401 as asked".into(),
                    );
                    self.finish(Outcome::NoAuth);
                    return;
                }
                self.start_auth(ra.challenges, header, now);
            }
            Some(false) => {
                let sa = self.sa.as_ref();
                let ch = ra.challenges.iter().find(|c| {
                    c.gssapi_data.is_some()
                        && sa.is_some_and(|sa| sa.matches(c.scheme, &c.realm, &c.targetname))
                });
                let Some(ch) = ch.cloned() else {
                    self.select.report(AttemptOutcome::FinalTokenRefused);
                    self.refusal_fact(Step::Authentication, m);
                    let diag = wire::diagnostics(m)
                        .map(|d| format!(" (ms-diagnostics: {d})"))
                        .unwrap_or_default();
                    self.fail(
                        Step::Authentication,
                        "auth.handshake_restarted",
                        format!(
                            "the server restarted the handshake instead of continuing it{diag}"
                        ),
                    );
                    return;
                };
                let r = self.sa.as_mut().map(|sa| sa.handle_challenge(&ch));
                match r {
                    Some(Ok(v)) => self.send_register(TxKind::Register, Some(v), now),
                    Some(Err(e)) => {
                        self.select.report(AttemptOutcome::FinalTokenRefused);
                        self.fail(
                            Step::Authentication,
                            "auth.bad_challenge",
                            format!("the server's challenge could not be used: {e}"),
                        );
                    }
                    None => {}
                }
            }
            Some(true) => {
                let scheme = self.sa.as_ref().map(|s| s.key().scheme);
                let outcome = if scheme == Some(Scheme::Ntlm) {
                    AttemptOutcome::PasswordRejected
                } else {
                    AttemptOutcome::FinalTokenRefused
                };
                self.select.report(outcome);
                self.refusal_fact(Step::Authentication, m);
                let diag = wire::diagnostics(m)
                    .map(|d| format!(" (ms-diagnostics: {d})"))
                    .unwrap_or_default();
                let scheme = scheme.map(|s| s.to_string()).unwrap_or_default();
                self.fail(
                    Step::Authentication,
                    "auth.credentials_refused",
                    format!(
                        "the server refused the {scheme} credentials; not retrying (lockout safety){diag}"
                    ),
                );
            }
        }
    }

    fn start_auth(&mut self, offers: Vec<Challenge>, header: HeaderKind, now: Instant) {
        let sel = match self.select.choose(&offers) {
            Ok(s) => s,
            Err(e) => {
                self.fail(Step::Authentication, "auth.no_usable_scheme", e.to_string());
                return;
            }
        };
        let mut f = BTreeMap::new();
        f.insert("scheme".into(), sel.scheme.to_string());
        f.insert("reason".into(), sel.to_string());
        self.fact(Step::Authentication, "scheme_selection", f);
        let Some(offer) = offers.get(sel.offer).cloned() else {
            return self.internal("selection index");
        };
        let AuthMode::Credentials {
            credential,
            kerberos_realm,
            kdcs,
            ..
        } = self.config.auth.clone()
        else {
            return self.internal("no credential");
        };
        match sel.scheme {
            Scheme::Ntlm => {
                let cfg = NtlmClientConfig {
                    credential,
                    workstation: self.config.workstation.clone(),
                    profile: NtlmProfile::Windows,
                    version: [10, 0, 0x61, 0x4a, 0, 0, 0, 15],
                };
                let ctx = NtlmClient::new(cfg, Box::new(self.rng.clone()), self.filetime(now));
                self.begin_sa(&offer, header, Box::new(ctx), now);
            }
            Scheme::Kerberos => {
                let host = offer
                    .targetname
                    .strip_prefix("sip/")
                    .or_else(|| offer.targetname.strip_prefix("SIP/"))
                    .unwrap_or(&offer.targetname)
                    .to_owned();
                let spn = format!("sip/{host}");
                let realm = kerberos_realm.unwrap_or_else(|| {
                    host.split_once('.')
                        .map_or(host.as_str(), |(_, d)| d)
                        .to_ascii_uppercase()
                });
                let kdcs = if kdcs.is_empty() {
                    vec![KdcAddress {
                        host: realm.to_ascii_lowercase(),
                        port: sfb_auth::kerberos::KDC_PORT,
                    }]
                } else {
                    kdcs
                };
                let config = KerberosConfig { spn, realm, kdcs };
                match KerberosClient::new(config.clone()) {
                    Ok(mut kc) => {
                        let KerberosOutput::AcquireKerberosToken(req) = kc.start();
                        self.out.push_back(Output::AcquireKerberosToken(req));
                        self.state = State::AwaitKerberos(Box::new(AwaitKerberos {
                            offers,
                            header,
                            offer,
                            config,
                        }));
                    }
                    Err(e) => {
                        self.state = State::AwaitKerberos(Box::new(AwaitKerberos {
                            offers,
                            header,
                            offer,
                            config,
                        }));
                        self.handle_kerberos(Err(e), now);
                    }
                }
            }
            Scheme::TlsDsk => self.fail(
                Step::Authentication,
                "auth.tls_dsk_unsupported",
                "TLS-DSK is not supported yet".into(),
            ),
        }
    }

    fn begin_sa(
        &mut self,
        offer: &Challenge,
        header: HeaderKind,
        ctx: Box<dyn SecurityContext>,
        now: Instant,
    ) {
        let mut sa = SecurityAssociation::new(offer, header, ctx, Box::new(self.rng.clone()));
        match sa.start() {
            Ok(v) => {
                self.sa = Some(sa);
                self.send_register(TxKind::Register, Some(v), now);
            }
            Err(e) => {
                self.select.report(AttemptOutcome::FinalTokenRefused);
                self.fail(
                    Step::Authentication,
                    "auth.mechanism",
                    format!("the {} mechanism failed to start: {e}", offer.scheme),
                );
            }
        }
    }

    fn on_registered(&mut self, m: &Message<'_>, kind: TxKind, now: Instant) {
        let expires = wire::granted_expires(m, &self.config.instance).unwrap_or(3600);
        self.expires = expires;
        if kind == TxKind::Register {
            self.select.report(AttemptOutcome::Succeeded);
            self.gruu = wire::gruu(m, &self.config.instance);
            if let Some(t) = wire::keep_alive_timeout(m) {
                self.keepalive_every = self
                    .config
                    .keepalive
                    .min(Duration::from_secs(u64::from(t.max(10))));
            }
            let mut f = BTreeMap::new();
            f.insert("expires_s".into(), expires.to_string());
            if let Some(g) = &self.gruu {
                f.insert("gruu".into(), g.clone());
            }
            for (h, k) in [
                ("ms-keep-alive", "ms_keep_alive"),
                ("presence-state", "presence_state"),
                ("Allow-Events", "allow_events"),
                ("Server", "server"),
                ("ms-user-logon-data", "ms_user_logon_data"),
            ] {
                if let Some(v) = wire::header(m, h) {
                    f.insert(k.into(), v);
                }
            }
            let supported: Vec<&str> = m.tokens("Supported").collect();
            f.insert("supported".into(), supported.join(","));
            if let Some(ep) = self.registrar() {
                f.insert("registrar".into(), ep.key());
            }
            if let Some(edge) = self.current.as_ref().filter(|_| self.route.is_some()) {
                f.insert("via_edge".into(), edge.key());
            }
            if let Some(sa) = &self.sa {
                f.insert("scheme".into(), sa.key().scheme.to_string());
                f.insert("targetname".into(), sa.key().targetname.clone());
            }
            f.insert("signed".into(), (!self.unsigned_flagged).to_string());
            f.insert("register_transactions".into(), self.cseq.to_string());
            self.fact(Step::Authentication, "registered", f);
            let (status, sentence) = if self.unsigned_flagged {
                (
                    Status::Warn,
                    "signed in, but the registrar's answer was not signed".to_owned(),
                )
            } else {
                (
                    Status::Pass,
                    format!("signed in after {} REGISTER transactions", self.cseq),
                )
            };
            self.step_status(Step::Authentication, status, "auth.signed_in", sentence);
            if self.redirects > 0 {
                self.step_status(
                    Step::Redirection,
                    Status::Pass,
                    "redirect.followed",
                    format!(
                        "registered at {}{} after {} redirect(s)",
                        self.registrar().map(Endpoint::key).unwrap_or_default(),
                        match (&self.route, &self.current) {
                            (Some(_), Some(edge)) =>
                                format!(" through the Access Edge {}", edge.key()),
                            _ => String::new(),
                        },
                        self.redirects
                    ),
                );
            }
            self.registered = true;
            self.start_setting(0, now);
        } else {
            let mut f = BTreeMap::new();
            f.insert("expires_s".into(), expires.to_string());
            self.fact(Step::Settings, "re_registered", f);
            self.schedule_reregister(now);
        }
    }

    fn schedule_reregister(&mut self, now: Instant) {
        let e = u64::from(self.expires);
        let lead = if e > 120 { e - 30 } else { (e / 2).max(1) };
        self.reregister_at = Some(now + Duration::from_secs(lead));
    }

    fn on_redirect(&mut self, m: &Message<'_>, code: u16, now: Instant) {
        if self
            .sa
            .as_ref()
            .is_some_and(SecurityAssociation::is_established)
        {
            self.select.report(AttemptOutcome::Succeeded);
        }
        let from = self.registrar().map(Endpoint::key).unwrap_or_default();
        let targets = wire::redirect_targets(m, &from);
        let mut f = BTreeMap::new();
        f.insert("status".into(), code.to_string());
        f.insert("from".into(), from.clone());
        f.insert(
            "contacts".into(),
            targets
                .iter()
                .map(|t| {
                    format!(
                        "{}:{};transport={}",
                        t.host,
                        t.port,
                        if t.transport == Transport::Tls {
                            "tls"
                        } else {
                            "tcp"
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join(","),
        );
        f.insert("signed".into(), (!self.unsigned_flagged).to_string());
        self.fact(Step::Redirection, "redirect", f);
        if targets.is_empty() {
            self.fail(
                Step::Redirection,
                "redirect.no_contact",
                format!("{from} answered {code} without a usable Contact"),
            );
            return;
        }
        if self.redirects >= self.config.max_redirects {
            self.fail(
                Step::Redirection,
                "redirect.too_many",
                format!("more than {} redirects", self.config.max_redirects),
            );
            return;
        }
        let fresh: Vec<Endpoint> = targets
            .into_iter()
            .filter(|t| !self.visited.contains(&t.key()))
            .collect();
        if fresh.is_empty() {
            self.fail(
                Step::Redirection,
                "redirect.loop",
                format!(
                    "redirect loop: {from} sends the client back to {}",
                    self.visited.join(" -> ")
                ),
            );
            return;
        }
        self.redirects += 1;
        self.sa = None;
        self.unsigned_flagged = false;
        let at_edge = self.current.as_ref().filter(|c| c.edge).cloned();
        // A Contact on 443 is an externally published front door (Office 365's pools, another
        // Edge): reachable from outside, so the client connects to it as usual.
        let target = fresh.first().cloned().filter(|t| t.port != 443);
        if let (Some(edge), Some(target)) = (at_edge, target) {
            // An external client cannot reach the internal pool: it stays on the Edge
            // connection and routes the handshake, from scratch, to the Contact.
            self.select = SignInAuth::new(policy_at(&self.config.auth, &edge));
            self.visited.push(target.key());
            self.note(
                Step::Redirection,
                format!(
                    "staying on the Access Edge connection to {}: the next REGISTER is routed to {}",
                    edge.key(),
                    target.key()
                ),
            );
            self.route = Some(target);
            self.call_id = self.random_hex(16);
            self.tag = self.random_hex(5);
            self.cseq = 0;
            self.send_register(TxKind::Register, None, now);
            return;
        }
        self.select = SignInAuth::new(policy_of(&self.config.auth));
        self.local = None;
        self.out.push_back(Output::Close);
        self.connect(fresh);
    }

    // ----- settings -----

    fn start_setting(&mut self, index: usize, now: Instant) {
        let Some(item) = SettingsItem::ALL.get(index).copied() else {
            return self.settings_done(now);
        };
        self.state = State::Settings;
        let req = settings::request(item, &self.user_uri, self.location_profile.as_deref());
        let mut headers = req.headers;
        if let Some(g) = &self.gruu {
            headers.push(("Contact", format!("<{g}>")));
        }
        headers.push(("User-Agent", self.config.user_agent.clone()));
        self.send(
            req.method,
            &req.uri,
            headers,
            &req.body,
            None,
            TxKind::Setting(item),
            now,
        );
    }

    fn on_setting_response(
        &mut self,
        item: SettingsItem,
        m: &Message<'_>,
        code: u16,
        now: Instant,
    ) {
        let piggyback = m.ms_piggyback_cseq().is_some();
        let x = settings::extract(item, m.body());
        if item == SettingsItem::Provisioning
            && let Some(p) = x.fields.get("location_profile")
        {
            self.location_profile = Some(p.clone());
        }
        let ok = (200..300).contains(&code);
        let diag = wire::diagnostics(m)
            .map(|d| format!(" (ms-diagnostics: {d})"))
            .unwrap_or_default();
        let has_body = !m.body().iter().all(u8::is_ascii_whitespace);
        let bad_body = x.fields.get("error").cloned();
        let (status, sentence) = match item {
            SettingsItem::Provisioning => match (ok, x.fields.get("server_configuration")) {
                (true, Some(s)) if s == "true" => (
                    Status::Pass,
                    format!(
                        "provisioning received{}",
                        if piggyback { " (piggybacked)" } else { "" }
                    ),
                ),
                (true, _) if bad_body.is_some() => (
                    Status::Warn,
                    format!(
                        "provisioning body unreadable: {}",
                        bad_body.unwrap_or_default()
                    ),
                ),
                (true, _) => (
                    Status::Warn,
                    "provisioning accepted but no ServerConfiguration in the answer".into(),
                ),
                (false, _) => (Status::Fail, format!("provisioning refused: {code}{diag}")),
            },
            SettingsItem::RoamingContacts => {
                if code == 488 || x.fields.get("ucs_mode").is_some_and(|m| m == "migrated") {
                    (
                        Status::Pass,
                        "contacts are stored in Exchange (Unified Contact Store)".into(),
                    )
                } else if ok {
                    let n = x
                        .fields
                        .get("contact_count")
                        .cloned()
                        .unwrap_or_else(|| "0".into());
                    (Status::Pass, format!("{n} contact(s)"))
                } else {
                    (Status::Warn, format!("contacts unavailable: {code}{diag}"))
                }
            }
            SettingsItem::RoamingSelf => {
                if ok {
                    (Status::Pass, "roaming self accepted".into())
                } else {
                    (Status::Warn, format!("roaming self refused: {code}{diag}"))
                }
            }
            SettingsItem::LocationProfile => {
                let present = x.fields.get("profile_present").is_some_and(|p| p == "true");
                if ok && present {
                    let n = x.fields.get("rule_count").cloned().unwrap_or_default();
                    (Status::Pass, format!("dial plan with {n} rule(s)"))
                } else if (ok && !has_body) || code == 404 {
                    (
                        Status::Pass,
                        "no dial plan (a user without Enterprise Voice)".into(),
                    )
                } else if ok {
                    (Status::Warn, "location profile answer unreadable".into())
                } else {
                    (
                        Status::Warn,
                        format!("location profile refused: {code}{diag}"),
                    )
                }
            }
            SettingsItem::Presence => {
                if ok {
                    (Status::Pass, "presence subscription accepted".into())
                } else {
                    (
                        Status::Warn,
                        format!("presence subscription refused: {code}{diag}"),
                    )
                }
            }
        };
        self.setting_result(item, status, Some(code), sentence, x, now);
    }

    fn setting_result(
        &mut self,
        item: SettingsItem,
        status: Status,
        code: Option<u16>,
        sentence: String,
        extracted: Extracted,
        now: Instant,
    ) {
        self.settings.push((item, status));
        self.event(Event::Setting {
            item,
            status,
            code,
            sentence,
            extracted,
        });
        let next = SettingsItem::ALL
            .iter()
            .position(|i| *i == item)
            .map_or(SettingsItem::ALL.len(), |i| i + 1);
        self.start_setting(next, now);
    }

    fn settings_done(&mut self, now: Instant) {
        let worst = self
            .settings
            .iter()
            .map(|(_, s)| *s)
            .max_by_key(|s| match s {
                Status::Pass | Status::Skipped => 0,
                Status::Warn => 1,
                Status::Fail => 2,
            })
            .unwrap_or(Status::Pass);
        let failed: Vec<&str> = self
            .settings
            .iter()
            .filter(|(_, s)| *s != Status::Pass)
            .map(|(i, _)| i.name())
            .collect();
        let (cause, sentence) = match worst {
            Status::Fail => (
                "settings.failed",
                format!("settings failed: {}", failed.join(", ")),
            ),
            Status::Warn => (
                "settings.partial",
                format!("settings incomplete: {}", failed.join(", ")),
            ),
            _ => ("settings.ok", "every settings request answered".to_owned()),
        };
        self.step_status(Step::Settings, worst, cause, sentence.clone());
        self.outcome = Some(if worst == Status::Fail {
            Outcome::Failed {
                step: Step::Settings,
                cause,
                sentence,
            }
        } else {
            Outcome::SignedIn
        });
        if self.config.stay && worst != Status::Fail {
            self.state = State::Staying;
            self.schedule_reregister(now);
            self.keepalive_at = Some(now + self.keepalive_every);
        } else {
            self.unregister(now);
        }
    }

    fn unregister(&mut self, now: Instant) {
        self.reregister_at = None;
        self.keepalive_at = None;
        self.retry_at = None;
        self.state = State::Unregistering;
        self.send_register(TxKind::Unregister, None, now);
        if self.pending.is_none() && !matches!(self.state, State::Done) {
            let o = self.outcome.clone().unwrap_or(Outcome::SignedIn);
            self.finish(o);
        }
    }
}
