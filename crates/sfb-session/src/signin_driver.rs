//! The tokio driver of the sign-in machine: the only sign-in code that touches sockets, DNS,
//! the KDC and the clock. Per [`Output::Connect`] it resolves the candidates, runs the
//! connectivity probe (every address in order, TCP then TLS through the recording verifier,
//! evidence into the trace) and keeps the first TLS stream; SIP bytes go both ways over it; the
//! Kerberos effect runs `sfb_auth::kerberos::driver::acquire_token` on a blocking thread.
//! Every [`Event`] becomes trace evidence or a step verdict ([`record_event`]).
//!
//! Limits: SIP over plain TCP (a redirect naming `transport=tcp`) is refused by this driver
//! (it is recorded, and the candidate skipped); every read is bounded by the codec's framer.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use base64::Engine as _;
use sfb_trace::{
    AuthTokenEvidence, CauseCode, Direction, EvidenceId, EvidenceKind, FactEvidence, NameSource,
    SignInTrace, SipEvidence, Status, Step, StepVerdict, Timestamp,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::driver::{ConnectOptions, ProbeMode, TlsSettings, probe};
use crate::signin::{Endpoint, Event, Outcome, Output, SignIn, Transport};
use crate::target::ConnectTarget;
use crate::verdict::record_connectivity;

/// Longest SIP text kept in one evidence record (the rest is cut and flagged).
pub const MAX_SIP_TEXT: usize = 64 * 1024;

/// Resolves a host name to its addresses, in the order to try.
pub type Resolver = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<Vec<IpAddr>, String>> + Send>>
        + Send
        + Sync,
>;

/// The system resolver (IP literals as is).
pub fn system_resolver() -> Resolver {
    Arc::new(|host: String| {
        Box::pin(async move {
            if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
                return Ok(vec![ip]);
            }
            let addrs = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| format!("{host}: {e}"))?;
            let mut v: Vec<IpAddr> = Vec::new();
            for a in addrs {
                if !v.contains(&a.ip()) {
                    v.push(a.ip());
                }
            }
            Ok(v)
        })
    })
}

/// A progress callback, called with every event as it happens.
pub type Progress = Box<dyn FnMut(&Event) + Send>;

/// Kerberos login for the effect.
pub struct KerberosLogin {
    /// The user (`alice` or `alice@REALM`).
    pub user: String,
    /// The password.
    pub password: sfb_certprov::Password,
}

impl std::fmt::Debug for KerberosLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KerberosLogin")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// What the driver needs besides the machine.
pub struct DriverOptions {
    /// Trust anchors and the TLS clock.
    pub tls: TlsSettings,
    /// TCP/TLS timeouts.
    pub connect: ConnectOptions,
    /// Host resolution for candidates whose addresses are not known.
    pub resolver: Resolver,
    /// Addresses already known (from discovery), by host.
    pub known: Vec<(String, Vec<IpAddr>, NameSource)>,
    /// The Kerberos login, if Kerberos may be used.
    pub kerberos: Option<KerberosLogin>,
    /// Resolves when the run must stop (Ctrl-C); the machine then un-REGISTERs.
    pub cancel: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    /// Called with every event as it happens (progress lines).
    pub progress: Option<Progress>,
}

impl std::fmt::Debug for DriverOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriverOptions")
            .field("connect", &self.connect)
            .field("known", &self.known)
            .field("kerberos", &self.kerberos)
            .finish_non_exhaustive()
    }
}

fn now_ts() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now()).unwrap_or(Timestamp::EPOCH)
}

/// Which step a SIP message belongs to, from its start line and CSeq.
fn sip_step(text: &str) -> Step {
    let first = text.lines().next().unwrap_or_default();
    let cseq_register = text.lines().take_while(|l| !l.is_empty()).any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("cseq:") && l.trim_end().ends_with("register")
    });
    if first.starts_with("SIP/2.0 301") || first.starts_with("SIP/2.0 302") {
        Step::Redirection
    } else if cseq_register {
        Step::Authentication
    } else {
        Step::Settings
    }
}

/// Trace bookkeeping across events.
#[derive(Debug, Default)]
pub struct Recorder {
    last_received: Option<EvidenceId>,
    peer: String,
}

impl Recorder {
    /// A recorder whose SIP evidence names `peer`.
    pub fn set_peer(&mut self, peer: &str) {
        self.peer = peer.to_owned();
    }
}

/// Marks `step` as started at `at` (its first event).
fn touch(trace: &mut SignInTrace, step: Step, at: Timestamp) {
    let s = trace.step_mut(step);
    if s.started_at.is_none() {
        s.started_at = Some(at);
    }
}

/// A finding of `step` at `at` (a fact, a setting, a verdict): the step lasts at least until
/// then. SIP messages only start a step: the un-REGISTER at the end of every run is a
/// REGISTER too, and must not stretch Authentication over the settings.
fn reached(trace: &mut SignInTrace, step: Step, at: Timestamp) {
    touch(trace, step, at);
    let s = trace.step_mut(step);
    let started = s.started_at.unwrap_or(at);
    let elapsed = u64::try_from(at.unix_ms().saturating_sub(started.unix_ms())).unwrap_or(0);
    s.elapsed_ms = s.elapsed_ms.max(elapsed);
}

/// Records one event of the machine into the trace (SIP, tokens, facts, verdicts).
pub fn record_event(trace: &mut SignInTrace, rec: &mut Recorder, event: &Event, at: Timestamp) {
    match event {
        Event::Sip { direction, bytes } => {
            let full = String::from_utf8_lossy(bytes);
            let truncated = full.len() > MAX_SIP_TEXT;
            let mut text: String = full.into_owned();
            if truncated {
                let mut cut = MAX_SIP_TEXT;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
            }
            let step = sip_step(&text);
            touch(trace, step, at);
            let id = trace.push_evidence(
                Some(step),
                EvidenceKind::Sip(SipEvidence {
                    direction: *direction,
                    at,
                    peer: rec.peer.clone(),
                    text,
                    wire_len: bytes.len() as u64,
                    truncated,
                    redacted: false,
                }),
            );
            if *direction == Direction::Received {
                rec.last_received = Some(id);
            }
        }
        Event::AuthToken {
            protocol,
            direction,
            message_type,
            fields,
            raw,
        } => {
            let carried_by = (*direction == Direction::Received)
                .then_some(rec.last_received)
                .flatten();
            trace.push_evidence(
                Some(Step::Authentication),
                EvidenceKind::AuthToken(AuthTokenEvidence {
                    protocol: *protocol,
                    direction: *direction,
                    message_type: message_type.clone(),
                    fields: fields.clone(),
                    raw: Some(base64::engine::general_purpose::STANDARD.encode(raw)),
                    carried_by,
                }),
            );
        }
        Event::Fact {
            step,
            source,
            fields,
        } => {
            reached(trace, *step, at);
            trace.push_evidence(
                Some(*step),
                EvidenceKind::Fact(FactEvidence {
                    source: source.clone(),
                    at,
                    status: None,
                    sentence: None,
                    fields: fields.clone(),
                    items: Vec::new(),
                }),
            );
        }
        Event::Setting {
            item,
            status,
            code,
            sentence,
            extracted,
        } => {
            reached(trace, Step::Settings, at);
            let mut fields = extracted.fields.clone();
            if let Some(c) = code {
                fields.insert("status_code".into(), c.to_string());
            }
            trace.push_evidence(
                Some(Step::Settings),
                EvidenceKind::Fact(FactEvidence {
                    source: format!("setting:{}", item.name()),
                    at,
                    status: Some(*status),
                    sentence: Some(sentence.clone()),
                    fields,
                    items: extracted.items.clone(),
                }),
            );
        }
        Event::Note { step, text } => {
            trace.push_evidence(
                Some(*step),
                EvidenceKind::Fact(FactEvidence {
                    source: "note".into(),
                    at,
                    status: None,
                    sentence: Some(text.clone()),
                    fields: Default::default(),
                    items: Vec::new(),
                }),
            );
        }
        Event::StepStatus {
            step,
            status,
            cause,
            sentence,
        } => {
            reached(trace, *step, at);
            let s = trace.step_mut(*step);
            let evidence = s.evidence.clone();
            s.verdicts.push(StepVerdict {
                step: *step,
                status: *status,
                cause: CauseCode::from_static(cause),
                sentence: sentence.clone(),
                remedy: None,
                evidence,
            });
        }
        Event::Finished(_) => {}
    }
}

/// The connection: TLS over TCP.
type Conn = TlsStream<TcpStream>;

/// Runs the machine to the end over real sockets, recording into `trace`; returns how it
/// ended.
pub async fn run_signin(
    mut m: SignIn,
    trace: &mut SignInTrace,
    mut opts: DriverOptions,
) -> Outcome {
    let mut conn: Option<Conn> = None;
    let mut rec = Recorder::default();
    let mut outcome: Option<Outcome> = None;
    let mut buf = vec![0u8; 16 * 1024];
    let mut cancel = opts.cancel.take();
    let started = Instant::now();
    loop {
        while let Some(o) = m.poll_output() {
            match o {
                Output::Connect(eps) => {
                    if let Some(mut c) = conn.take() {
                        let _ = c.shutdown().await;
                    }
                    match connect(&eps, trace, &opts).await {
                        Ok((index, stream)) => {
                            let (tcp, _) = stream.get_ref();
                            let local = tcp.local_addr();
                            let peer = tcp.peer_addr().map(|p| p.to_string()).unwrap_or_default();
                            rec.set_peer(&peer);
                            match local {
                                Ok(local) => {
                                    conn = Some(stream);
                                    m.handle_connected(index, local, Instant::now());
                                }
                                Err(e) => m.handle_connect_failed(&e.to_string(), Instant::now()),
                            }
                        }
                        Err(why) => m.handle_connect_failed(&why, Instant::now()),
                    }
                }
                Output::Transmit(bytes) => {
                    let r = match conn.as_mut() {
                        Some(c) => match c.write_all(&bytes).await {
                            Ok(()) => c.flush().await,
                            Err(e) => Err(e),
                        },
                        None => Err(std::io::Error::new(
                            std::io::ErrorKind::NotConnected,
                            "no connection",
                        )),
                    };
                    if let Err(e) = r {
                        m.handle_closed(&e.to_string(), Instant::now());
                    }
                }
                Output::Close => {
                    if let Some(mut c) = conn.take() {
                        let _ = c.shutdown().await;
                    }
                }
                Output::AcquireKerberosToken(req) => {
                    let result = match &opts.kerberos {
                        Some(login) => {
                            let user = login.user.clone();
                            let password = sfb_certprov::Password::new(login.password.expose());
                            tokio::task::spawn_blocking(move || {
                                sfb_auth::kerberos::driver::acquire_token(
                                    &req,
                                    &user,
                                    password.expose(),
                                )
                            })
                            .await
                            .unwrap_or_else(|e| {
                                Err(sfb_auth::kerberos::KerberosError::Library {
                                    detail: format!("Kerberos task failed: {e}"),
                                })
                            })
                        }
                        None => Err(sfb_auth::kerberos::KerberosError::Library {
                            detail: "no Kerberos login configured".into(),
                        }),
                    };
                    m.handle_kerberos(result, Instant::now());
                }
                Output::Event(e) => {
                    record_event(trace, &mut rec, &e, now_ts());
                    if let Some(p) = opts.progress.as_mut() {
                        p(&e);
                    }
                    if let Event::Finished(o) = e {
                        outcome = Some(o);
                    }
                }
            }
        }
        if m.is_done() {
            break;
        }
        let deadline = m.poll_timeout();
        if conn.is_none() && deadline.is_none() {
            m.handle_closed("no connection", Instant::now());
            continue;
        }
        let read = async {
            match conn.as_mut() {
                Some(c) => c.read(&mut buf).await,
                None => std::future::pending().await,
            }
        };
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                None => std::future::pending().await,
            }
        };
        let cancelled = async {
            match cancel.as_mut() {
                Some(c) => c.await,
                None => std::future::pending().await,
            }
        };
        enum Wake {
            Read(std::io::Result<usize>),
            Timer,
            Cancel,
        }
        let wake = tokio::select! {
            r = read => Wake::Read(r),
            () = sleep => Wake::Timer,
            () = cancelled => Wake::Cancel,
        };
        match wake {
            Wake::Read(Ok(0)) => {
                conn = None;
                m.handle_closed("connection closed by the server", Instant::now());
            }
            Wake::Read(Ok(n)) => {
                let data = buf.get(..n).unwrap_or_default().to_vec();
                m.handle_bytes(&data, Instant::now());
            }
            Wake::Read(Err(e)) => {
                conn = None;
                m.handle_closed(&e.to_string(), Instant::now());
            }
            Wake::Timer => m.handle_timeout(Instant::now()),
            Wake::Cancel => {
                cancel = None;
                m.close(Instant::now());
            }
        }
    }
    trace.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    outcome.unwrap_or(Outcome::Failed {
        step: Step::Authentication,
        cause: "session.internal",
        sentence: "the machine ended without an outcome".into(),
    })
}

/// Resolves and probes the candidates; `Ok((index, stream))` of the first that completed TLS.
async fn connect(
    eps: &[Endpoint],
    trace: &mut SignInTrace,
    opts: &DriverOptions,
) -> Result<(usize, Conn), String> {
    let mut targets = Vec::new();
    let mut index = Vec::new();
    let mut problems = Vec::new();
    for (i, ep) in eps.iter().enumerate() {
        if ep.transport == Transport::Tcp {
            problems.push(format!(
                "{}:{} asks for SIP over plain TCP, which this tool does not use",
                ep.host, ep.port
            ));
            continue;
        }
        let known = opts
            .known
            .iter()
            .find(|(h, _, _)| h.eq_ignore_ascii_case(&ep.host));
        let (addresses, source) = match known {
            Some((_, a, s)) => (a.clone(), *s),
            None => match (opts.resolver)(ep.host.clone()).await {
                Ok(a) => (
                    a,
                    if ep.redirected {
                        NameSource::Redirect
                    } else {
                        NameSource::Manual
                    },
                ),
                Err(e) => {
                    problems.push(format!("cannot resolve {}: {e}", ep.host));
                    continue;
                }
            },
        };
        let source = if ep.redirected {
            NameSource::Redirect
        } else {
            source
        };
        targets.push(ConnectTarget::new(&ep.host, ep.port, addresses, source));
        index.push(i);
    }
    if targets.is_empty() {
        return Err(problems.join("; "));
    }
    let options = ConnectOptions {
        mode: ProbeMode::FirstSuccess,
        ..opts.connect
    };
    let p = probe(&targets, &opts.tls, &options)
        .await
        .map_err(|e| e.to_string())?;
    let verdict = record_connectivity(trace, &p.reports);
    match p.connection {
        Some((ti, _, stream)) => Ok((index.get(ti).copied().unwrap_or(0), stream)),
        None => {
            problems.push(verdict.sentence);
            Err(problems.join("; "))
        }
    }
}

/// Whether a status counts as success for exit codes: signed in or `--no-auth` done.
pub fn succeeded(o: &Outcome) -> bool {
    matches!(o, Outcome::SignedIn | Outcome::NoAuth)
}

/// The step a failure belongs to and its status, for summaries.
pub fn outcome_status(o: &Outcome) -> (Option<Step>, Status) {
    match o {
        Outcome::SignedIn => (None, Status::Pass),
        Outcome::NoAuth => (Some(Step::Authentication), Status::Skipped),
        Outcome::Failed { step, .. } => (Some(*step), Status::Fail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_unix_ms(ms).expect("a valid time")
    }

    #[test]
    fn a_step_lasts_from_its_first_message_to_its_last_finding() {
        let mut trace = SignInTrace::new(
            "test",
            "sip:alice@contoso.test",
            at(1_000),
            sfb_trace::RedactionPolicy::default(),
        );
        let mut rec = Recorder::default();
        let register = Event::Sip {
            direction: Direction::Sent,
            bytes: b"REGISTER sip:contoso.test SIP/2.0\r\nCSeq: 1 REGISTER\r\n\r\n".to_vec(),
        };
        record_event(&mut trace, &mut rec, &register, at(1_000));
        let fact = Event::Fact {
            step: Step::Authentication,
            source: "registered".into(),
            fields: Default::default(),
        };
        record_event(&mut trace, &mut rec, &fact, at(1_250));
        let status = Event::StepStatus {
            step: Step::Authentication,
            status: Status::Pass,
            cause: "auth.signed_in",
            sentence: "signed in".into(),
        };
        record_event(&mut trace, &mut rec, &status, at(1_300));
        // The un-REGISTER, much later, does not stretch Authentication.
        record_event(&mut trace, &mut rec, &register, at(9_000));
        let s = trace.step_mut(Step::Authentication);
        assert_eq!(s.started_at, Some(at(1_000)));
        assert_eq!(s.elapsed_ms, 300);
    }
}
