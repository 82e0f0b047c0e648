//! The sans-IO autodiscover walker.
//!
//! Run loop: after [`Autodiscover::new`], drain [`Autodiscover::poll_output`] until it returns
//! `None`; perform every [`Output::HttpGet`] (they may run concurrently) and answer each with
//! [`Input::HttpResponse`] or [`Input::HttpError`]; answer [`Output::NeedWebTicket`] with
//! [`Input::WebTicket`]. The walk ends with exactly one [`Output::Done`].
//!
//! Order ([MS-OCDISCWS] 3.1.5, Lync 2013 "DNS requirements for automatic client sign-in"):
//! `lyncdiscoverinternal.<domain>` then `lyncdiscover.<domain>`, each with `GET /?sipuri=user@domain`
//! over HTTPS and HTTP in parallel; the HTTPS answer wins, an HTTP-only answer is a warning. From the
//! chosen Root: `Redirect` links are followed (bounded, loops detected), then the `User` link; a 401
//! there with `X-MS-WebTicketURL` asks the driver for a WebTicket and repeats the GET with
//! `X-MS-WebTicket: opaque=<base64 assertion>` (3.1.5.3). A chain that fails moves on to the next
//! first-hop name.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::time::Duration;

use super::challenge::UserChallenge;
use super::document::{AccessLocation, Document, DocumentFormat, Link, ResourceKind, SipAccess};
use super::io::{AutodiscoverConfig, HeaderValue, Input, InputError, Output};
use super::result::{
    AutodiscoverFault, AutodiscoverResult, ExchangeOutcome, HttpExchange, RequestId,
    RequestPurpose, Verdict, Warning,
};
use super::url::{HostName, HttpUrl, Scheme, SipAddress, UrlError};

/// What a response or failure means for the chain.
enum Hop {
    Document(Document),
    Challenge(UserChallenge),
    Failed(AutodiscoverFault),
}

struct Pending {
    url: HttpUrl,
    purpose: RequestPurpose,
    evidence: usize,
}

enum State {
    /// Waiting for the first-hop requests of `host`; answers collected per scheme.
    FirstHop {
        host: HostName,
        waiting: usize,
        answers: Vec<(Scheme, HttpUrl, Hop)>,
    },
    /// Waiting for one request of the chain.
    Chain,
    /// Waiting for the driver's web ticket.
    Ticket {
        user_url: HttpUrl,
        challenge: UserChallenge,
    },
    Finished,
}

/// The autodiscover state machine.
///
/// ```
/// use sfb_discovery::autodiscover::{
///     Autodiscover, AutodiscoverConfig, HttpFailure, Input, Output, SipAddress, Verdict,
/// };
///
/// let sip = SipAddress::parse("sip:alice@contoso.com").unwrap();
/// let mut walker = Autodiscover::new(sip, AutodiscoverConfig::default());
/// let result = loop {
///     match walker.poll_output() {
///         // A real driver performs the GET; here no name resolves.
///         Some(Output::HttpGet { id, .. }) => walker
///             .handle_input(Input::HttpError { id, error: HttpFailure::NameNotResolved, elapsed: None })
///             .unwrap(),
///         Some(Output::NeedWebTicket { .. }) => walker.handle_input(Input::WebTicket(None)).unwrap(),
///         Some(Output::Done(result)) => break result,
///         None => unreachable!("every request was answered"),
///     }
/// };
/// assert!(matches!(result.verdict, Verdict::NotFound { .. }));
/// assert_eq!(result.evidence.len(), 4); // two names, each over HTTPS and HTTP
/// ```
pub struct Autodiscover {
    config: AutodiscoverConfig,
    sip: SipAddress,
    hosts: VecDeque<HostName>,
    state: State,
    out: VecDeque<Output>,
    pending: HashMap<RequestId, Pending>,
    next_id: u32,
    evidence: Vec<HttpExchange>,
    warnings: Vec<Warning>,
    visited: HashSet<String>,
    redirects: usize,
    first_fault: Option<AutodiscoverFault>,
    last_fault: Option<AutodiscoverFault>,
    answered: bool,
    last_links: Vec<Link>,
    last_location: Option<AccessLocation>,
}

impl fmt::Debug for Autodiscover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Autodiscover")
            .field("sip", &self.sip)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl Autodiscover {
    /// Starts a walk for `sip`; the first requests are ready in [`Autodiscover::poll_output`].
    pub fn new(sip: SipAddress, config: AutodiscoverConfig) -> Self {
        let mut hosts = VecDeque::new();
        for (enabled, prefix) in [
            (config.internal, "lyncdiscoverinternal"),
            (config.external, "lyncdiscover"),
        ] {
            let name = format!("{prefix}.{}", sip.domain());
            // A domain valid on its own can exceed 253 bytes once prefixed.
            if let (true, Ok(host)) = (enabled, HostName::parse(&name)) {
                hosts.push_back(host);
            }
        }
        let mut walker = Autodiscover {
            config,
            sip,
            hosts,
            state: State::Finished,
            out: VecDeque::new(),
            pending: HashMap::new(),
            next_id: 0,
            evidence: Vec::new(),
            warnings: Vec::new(),
            visited: HashSet::new(),
            redirects: 0,
            first_fault: None,
            last_fault: None,
            answered: false,
            last_links: Vec::new(),
            last_location: None,
        };
        walker.next_host();
        walker
    }

    /// The next thing the driver must do, or `None` when waiting for input (or finished).
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// Feeds a response, a failure or a web ticket.
    pub fn handle_input(&mut self, input: Input) -> Result<(), InputError> {
        match input {
            Input::HttpResponse {
                id,
                status,
                content_type,
                headers,
                body,
                elapsed,
            } => {
                let p = self
                    .pending
                    .remove(&id)
                    .ok_or(InputError::UnknownRequest(id))?;
                let hop = self.classify(&p, status, content_type.as_deref(), &headers, &body);
                if let Some(e) = self.evidence.get_mut(p.evidence) {
                    e.status = Some(status);
                    e.content_type = content_type.map(|c| c.chars().take(128).collect());
                    e.duration_ms = Some(millis(elapsed));
                    let keep = body.len().min(self.config.evidence_body_bytes);
                    if keep > 0 {
                        let excerpt = body.get(..keep).unwrap_or_default();
                        e.body = Some(String::from_utf8_lossy(excerpt).into_owned());
                        e.body_truncated = keep < body.len();
                    }
                }
                self.on_hop(p, hop);
            }
            Input::HttpError { id, error, elapsed } => {
                let p = self
                    .pending
                    .remove(&id)
                    .ok_or(InputError::UnknownRequest(id))?;
                if let Some(e) = self.evidence.get_mut(p.evidence) {
                    e.duration_ms = elapsed.map(millis);
                }
                let fault = AutodiscoverFault::Transport {
                    url: p.url.clone(),
                    error,
                };
                self.on_hop(p, Hop::Failed(fault));
            }
            Input::WebTicket(ticket) => {
                if !matches!(self.state, State::Ticket { .. }) {
                    return Err(InputError::UnexpectedWebTicket);
                }
                let State::Ticket {
                    user_url,
                    challenge,
                } = std::mem::replace(&mut self.state, State::Chain)
                else {
                    return Err(InputError::UnexpectedWebTicket);
                };
                match ticket {
                    None => self.finish(Verdict::SkippedNeedsWebTicket {
                        user_url,
                        challenge,
                    }),
                    Some(_) if user_url.scheme() == Scheme::Http => {
                        self.chain_failed(AutodiscoverFault::WebTicketOverHttp { url: user_url })
                    }
                    Some(ticket) => {
                        let header = vec![("X-MS-WebTicket", ticket.header_value())];
                        self.get(user_url, RequestPurpose::UserWithWebTicket, header);
                    }
                }
            }
        }
        Ok(())
    }

    /// Emits the first-hop requests of the next host, or finishes when none is left.
    fn next_host(&mut self) {
        // Loop detection and the redirect budget are per chain: a URL a failed chain visited may
        // legitimately be reached again from the next first-hop name.
        self.redirects = 0;
        self.visited.clear();
        let Some(host) = self.hosts.pop_front() else {
            let verdict = match (self.answered, self.first_fault.clone()) {
                (true, Some(cause)) => Verdict::Error { cause },
                _ => Verdict::NotFound {
                    last_error: self.last_fault.clone(),
                },
            };
            return self.finish(verdict);
        };
        let path = format!("/?sipuri={}", self.sip.query_value());
        let mut waiting = 0;
        for (enabled, scheme) in [
            (self.config.try_https, Scheme::Https),
            (self.config.try_http, Scheme::Http),
        ] {
            if enabled {
                let url = HttpUrl::from_parts(scheme, &host, path.clone());
                self.visited.insert(url.to_string());
                self.get(url, RequestPurpose::FirstHop, Vec::new());
                waiting += 1;
            }
        }
        self.state = State::FirstHop {
            host,
            waiting,
            answers: Vec::new(),
        };
        if waiting == 0 {
            self.next_host();
        }
    }

    fn get(
        &mut self,
        url: HttpUrl,
        purpose: RequestPurpose,
        headers: Vec<(&'static str, HeaderValue)>,
    ) {
        let id = RequestId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        let tls_name = match url.scheme() {
            Scheme::Https => HostName::parse(url.host()).ok(),
            Scheme::Http => None,
        };
        let accept = self.config.format.media_type();
        self.evidence.push(HttpExchange {
            id,
            purpose,
            url: url.clone(),
            tls_name: tls_name.clone(),
            accept: accept.to_owned(),
            sent_web_ticket: !headers.is_empty(),
            status: None,
            content_type: None,
            duration_ms: None,
            body: None,
            body_truncated: false,
            outcome: ExchangeOutcome::Pending,
        });
        let evidence = self.evidence.len() - 1;
        self.pending.insert(
            id,
            Pending {
                url: url.clone(),
                purpose,
                evidence,
            },
        );
        if !matches!(self.state, State::FirstHop { .. }) {
            self.state = State::Chain;
        }
        self.out.push_back(Output::HttpGet {
            id,
            url,
            accept,
            headers,
            tls_name,
        });
    }

    /// [MS-OCDISCWS] 3.1.5: 200 with an autodiscover media type is a document; 401 on the User
    /// resource (or a redirect target) is a challenge; anything else fails the hop.
    fn classify(
        &self,
        p: &Pending,
        status: u16,
        content_type: Option<&str>,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Hop {
        let url = p.url.clone();
        match status {
            200 => match content_type.and_then(DocumentFormat::from_content_type) {
                None => Hop::Failed(AutodiscoverFault::NotAutodiscover {
                    url,
                    content_type: content_type.map(|c| c.chars().take(128).collect()),
                }),
                Some(format) => match Document::parse(format, body, &self.config.limits) {
                    Ok(doc) => Hop::Document(doc),
                    Err(error) => Hop::Failed(AutodiscoverFault::InvalidDocument { url, error }),
                },
            },
            401 if p.purpose == RequestPurpose::UserWithWebTicket => {
                Hop::Failed(AutodiscoverFault::WebTicketRejected { url, status })
            }
            // A Redirect (from a User document) may lead straight to another pool's User resource.
            401 if matches!(p.purpose, RequestPurpose::User | RequestPurpose::Redirect) => {
                Hop::Challenge(UserChallenge::from_headers(headers))
            }
            _ => Hop::Failed(AutodiscoverFault::UnexpectedStatus { url, status }),
        }
    }

    fn on_hop(&mut self, p: Pending, hop: Hop) {
        if let Some(e) = self.evidence.get_mut(p.evidence) {
            e.outcome = match &hop {
                Hop::Document(d) => ExchangeOutcome::Document {
                    resource: d.resource,
                    redirect: d
                        .link("Redirect")
                        .map(|l| l.href.chars().take(256).collect()),
                    links: d.links.len(),
                    sip_access: d.sip_access.len(),
                },
                Hop::Challenge(c) => ExchangeOutcome::AuthenticationRequired {
                    challenge: c.clone(),
                },
                Hop::Failed(f) => ExchangeOutcome::Failed { fault: f.clone() },
            };
        }
        if let Hop::Failed(f) = &hop {
            self.last_fault = Some(f.clone());
        }
        match &mut self.state {
            State::FirstHop {
                waiting, answers, ..
            } => {
                answers.push((p.url.scheme(), p.url, hop));
                *waiting = waiting.saturating_sub(1);
                if *waiting == 0 {
                    self.first_hop_done();
                }
            }
            State::Chain => match hop {
                Hop::Document(doc) => self.on_document(doc, p.url),
                Hop::Challenge(challenge) => self.on_challenge(challenge, p.url),
                Hop::Failed(fault) => self.chain_failed(fault),
            },
            // A late answer after the walk moved on (cannot happen: every request is awaited).
            State::Ticket { .. } | State::Finished => {
                if let Some(e) = self.evidence.get_mut(p.evidence) {
                    e.outcome = ExchangeOutcome::NotUsed;
                }
            }
        }
    }

    /// Both first-hop answers are in: HTTPS wins; HTTP alone is a warning.
    fn first_hop_done(&mut self) {
        let State::FirstHop { host, answers, .. } =
            std::mem::replace(&mut self.state, State::Chain)
        else {
            return;
        };
        let mut https_failed = false;
        let mut chosen = None;
        for (scheme, url, hop) in answers {
            match (hop, scheme) {
                (Hop::Document(d), Scheme::Https) => chosen = Some((d, url)),
                (Hop::Document(d), Scheme::Http)
                    if chosen
                        .as_ref()
                        .is_none_or(|(_, u)| u.scheme() == Scheme::Http) =>
                {
                    chosen = Some((d, url))
                }
                (Hop::Document(_), Scheme::Http) => {}
                (_, Scheme::Https) => https_failed = true,
                (_, Scheme::Http) => {}
            }
        }
        match chosen {
            None => self.next_host(),
            Some((doc, url)) => {
                if url.scheme() == Scheme::Http {
                    if https_failed || !self.config.try_https {
                        self.warnings.push(Warning::HttpOnly { host });
                    }
                    if doc.link("Redirect").is_none() {
                        self.warnings
                            .push(Warning::HttpRootWithoutRedirect { url: url.clone() });
                    }
                }
                self.on_document(doc, url);
            }
        }
    }

    fn on_document(&mut self, doc: Document, url: HttpUrl) {
        self.answered = true;
        self.last_location = doc.access_location.or(self.last_location);
        let redirect = doc.link("Redirect").cloned();
        let user = doc.link("User").cloned();
        let resource = doc.resource;
        let has_access = !doc.sip_access.is_empty();
        self.last_links = doc.links.clone();
        if let Some(link) = redirect {
            return self.follow(&link, RequestPurpose::Redirect);
        }
        match resource {
            ResourceKind::Root => match user {
                Some(link) => self.follow(&link, RequestPurpose::User),
                None => self.chain_failed(AutodiscoverFault::RootWithoutUserLink { url }),
            },
            ResourceKind::User if has_access => {
                self.last_location = doc.access_location;
                let result_access = doc.sip_access;
                self.finish_found(result_access);
            }
            ResourceKind::User => {
                self.chain_failed(AutodiscoverFault::UserWithoutSipAccess { url })
            }
            ResourceKind::Domain => {
                self.chain_failed(AutodiscoverFault::UnexpectedResource { url, resource })
            }
        }
    }

    /// Follows a link; `Redirect` links count against the limit. Any URL seen before is a loop.
    fn follow(&mut self, link: &Link, purpose: RequestPurpose) {
        let url = match HttpUrl::parse(&link.href) {
            Ok(url) => url,
            Err(error) => {
                let href = link.href.chars().take(256).collect();
                return self.chain_failed(AutodiscoverFault::InvalidHref {
                    token: link.token.clone(),
                    href,
                    error,
                });
            }
        };
        // HTTPS needs a DNS name to validate the certificate against; IP literals are refused.
        if url.scheme() == Scheme::Https && HostName::parse(url.host()).is_err() {
            let href = link.href.chars().take(256).collect();
            return self.chain_failed(AutodiscoverFault::InvalidHref {
                token: link.token.clone(),
                href,
                error: UrlError::InvalidHost,
            });
        }
        if purpose == RequestPurpose::Redirect {
            self.redirects += 1;
            if self.redirects > self.config.max_redirects {
                return self.chain_failed(AutodiscoverFault::TooManyRedirects {
                    limit: self.config.max_redirects,
                });
            }
            if url.scheme() == Scheme::Http {
                self.warnings
                    .push(Warning::RedirectToHttp { url: url.clone() });
            }
        }
        if !self.visited.insert(url.to_string()) {
            return self.chain_failed(AutodiscoverFault::RedirectLoop { url });
        }
        self.get(url, purpose, Vec::new());
    }

    /// [MS-OCDISCWS] 3.1.5.3: the User resource's 401.
    fn on_challenge(&mut self, challenge: UserChallenge, user_url: HttpUrl) {
        self.answered = true;
        match challenge.web_ticket_url.clone() {
            Some(web_ticket_url) => {
                self.out.push_back(Output::NeedWebTicket {
                    web_ticket_url,
                    user_url: user_url.clone(),
                    challenge: challenge.clone(),
                });
                self.state = State::Ticket {
                    user_url,
                    challenge,
                };
            }
            None if challenge.is_recognised() => self.finish(Verdict::SkippedNeedsWebTicket {
                user_url,
                challenge,
            }),
            None => self.chain_failed(AutodiscoverFault::UnsupportedChallenge {
                url: user_url,
                challenge,
            }),
        }
    }

    fn chain_failed(&mut self, fault: AutodiscoverFault) {
        self.last_fault = Some(fault.clone());
        self.first_fault.get_or_insert(fault);
        self.next_host();
    }

    fn finish_found(&mut self, sip_access: Vec<SipAccess>) {
        self.finish_with(Verdict::Found, sip_access);
    }

    fn finish(&mut self, verdict: Verdict) {
        self.finish_with(verdict, Vec::new());
    }

    /// Ends the walk early (the driver lost a request): the result so far, verdict not found.
    pub(crate) fn abandon(mut self) -> AutodiscoverResult {
        self.out.clear();
        self.finish(Verdict::NotFound {
            last_error: self.last_fault.clone(),
        });
        match self.out.pop_front() {
            Some(Output::Done(result)) => result,
            // finish() always queues Done; this arm only satisfies the type.
            _ => AutodiscoverResult {
                sip_address: self.sip.to_string(),
                verdict: Verdict::NotFound { last_error: None },
                access_location: None,
                sip_access: Vec::new(),
                links: Vec::new(),
                warnings: Vec::new(),
                evidence: Vec::new(),
            },
        }
    }

    fn finish_with(&mut self, verdict: Verdict, sip_access: Vec<SipAccess>) {
        self.state = State::Finished;
        let domain = self.sip.domain().as_str();
        for access in &sip_access {
            let fqdn = access.fqdn.as_str();
            let inside = fqdn == domain
                || fqdn
                    .strip_suffix(domain)
                    .is_some_and(|head| head.ends_with('.'));
            if !inside {
                self.warnings.push(Warning::SipServerOutsideDomain {
                    element: access.kind,
                    fqdn: access.fqdn.clone(),
                });
            }
        }
        self.out.push_back(Output::Done(AutodiscoverResult {
            sip_address: self.sip.to_string(),
            verdict,
            access_location: self.last_location,
            sip_access,
            links: std::mem::take(&mut self.last_links),
            warnings: std::mem::take(&mut self.warnings),
            evidence: std::mem::take(&mut self.evidence),
        }));
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
