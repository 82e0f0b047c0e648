//! The autodiscover walker end to end against scripted HTTP answers.

use std::collections::HashMap;
use std::time::Duration;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use sfb_discovery::autodiscover::{
    AccessKind, Autodiscover, AutodiscoverConfig, AutodiscoverFault, AutodiscoverResult,
    DocumentFormat, ExchangeOutcome, HttpFailure, Input, InputError, MEDIA_TYPE_JSON,
    MEDIA_TYPE_XML, Output, RequestId, RequestPurpose, SipAddress, Verdict, Warning, WebTicket,
};

const XML: &str = "application/vnd.microsoft.rtc.autodiscover+xml; v=1; charset=utf-8";
const JSON: &str = "application/vnd.microsoft.rtc.autodiscover+json; v=1";
const INT_HTTPS: &str = "https://lyncdiscoverinternal.contoso.com/?sipuri=alice@contoso.com";
const INT_HTTP: &str = "http://lyncdiscoverinternal.contoso.com/?sipuri=alice@contoso.com";
const EXT_HTTPS: &str = "https://lyncdiscover.contoso.com/?sipuri=alice@contoso.com";
const EXT_HTTP: &str = "http://lyncdiscover.contoso.com/?sipuri=alice@contoso.com";
const ONLINE_ROOT: &str = "https://webdir.online.lync.com/Autodiscover/AutodiscoverService.svc/root?sipuri=alice@contoso.com";
const USER: &str = "https://lyncwebint.contoso.com/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=contoso.com";
const TICKET_URL: &str = "https://lyncwebint.contoso.com/WebTicket/WebTicketService.svc";
const ASSERTION: &[u8] =
    b"<saml:Assertion ID=\"_secret-assertion-4711\">top secret</saml:Assertion>";

#[derive(Clone)]
enum Reply {
    Doc(&'static str, Vec<u8>),
    Status(u16, Vec<(String, String)>),
    Fail(HttpFailure),
}

fn file(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/testdata/autodiscover/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn xml(name: &str) -> Reply {
    Reply::Doc(XML, file(name))
}

fn redirect_to(href: &str) -> Reply {
    let body = format!(
        r#"<AutodiscoverResponse><Root><Link token="Redirect" href="{href}"/></Root></AutodiscoverResponse>"#
    );
    Reply::Doc(XML, body.into_bytes())
}

fn webticket_401() -> Reply {
    Reply::Status(
        401,
        vec![
            ("X-MS-WebTicketURL".into(), TICKET_URL.into()),
            (
                "WWW-Authenticate".into(),
                r#"MsRtcOAuth href="https://lyncwebint.contoso.com/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:windows,password""#.into(),
            ),
            ("X-MS-Server-Fqdn".into(), "fe01.contoso.com".into()),
        ],
    )
}

/// A scripted web: URL (plus ` +ticket` when the request carries `X-MS-WebTicket`) → reply;
/// anything else does not resolve.
#[derive(Default)]
struct Web {
    routes: HashMap<String, Reply>,
    ticket: Option<Vec<u8>>,
}

#[derive(Debug, Default)]
struct Log {
    requests: Vec<String>,
    ticket_headers: Vec<String>,
    tls_names: Vec<(String, Option<String>)>,
    accepts: Vec<&'static str>,
    ticket_asks: Vec<String>,
    debug: String,
}

impl Web {
    fn route(mut self, url: &str, reply: Reply) -> Self {
        self.routes.insert(url.to_owned(), reply);
        self
    }

    fn ticket(mut self) -> Self {
        self.ticket = Some(ASSERTION.to_vec());
        self
    }

    fn run(&self, config: AutodiscoverConfig) -> (AutodiscoverResult, Log) {
        let sip = SipAddress::parse("sip:alice@contoso.com").unwrap();
        let mut walker = Autodiscover::new(sip, config);
        let mut log = Log::default();
        for _ in 0..100 {
            let Some(output) = walker.poll_output() else {
                panic!("walker stalled; log: {log:?}");
            };
            log.debug.push_str(&format!("{output:?}\n"));
            match output {
                Output::HttpGet {
                    id,
                    url,
                    accept,
                    headers,
                    tls_name,
                } => {
                    let url = url.to_string();
                    log.tls_names
                        .push((url.clone(), tls_name.map(|t| t.to_string())));
                    log.accepts.push(accept);
                    let mut key = url.clone();
                    for (name, value) in &headers {
                        assert_eq!(*name, "X-MS-WebTicket");
                        assert!(value.is_secret());
                        log.ticket_headers.push(value.expose().to_owned());
                        key.push_str(" +ticket");
                    }
                    log.requests.push(key.clone());
                    let reply = self
                        .routes
                        .get(&key)
                        .cloned()
                        .unwrap_or(Reply::Fail(HttpFailure::NameNotResolved));
                    let elapsed = Duration::from_millis(12);
                    let input = match reply {
                        Reply::Doc(ct, body) => Input::HttpResponse {
                            id,
                            status: 200,
                            content_type: Some(ct.into()),
                            headers: vec![("Content-Type".into(), ct.into())],
                            body,
                            elapsed,
                        },
                        Reply::Status(status, headers) => Input::HttpResponse {
                            id,
                            status,
                            content_type: None,
                            headers,
                            body: Vec::new(),
                            elapsed,
                        },
                        Reply::Fail(error) => Input::HttpError {
                            id,
                            error,
                            elapsed: Some(elapsed),
                        },
                    };
                    walker.handle_input(input).unwrap();
                }
                Output::NeedWebTicket {
                    web_ticket_url,
                    user_url,
                    ..
                } => {
                    log.ticket_asks
                        .push(format!("{web_ticket_url} for {user_url}"));
                    let ticket = self.ticket.clone().map(WebTicket::new);
                    walker.handle_input(Input::WebTicket(ticket)).unwrap();
                }
                Output::Done(result) => {
                    assert!(walker.poll_output().is_none(), "output after Done");
                    return (result, log);
                }
            }
        }
        panic!("walker did not finish in 100 steps");
    }
}

/// lyncdiscoverinternal does not resolve; lyncdiscover (both schemes) redirects online; the online
/// root points at the User resource, which wants a web ticket.
fn online_web() -> Web {
    Web::default()
        .route(EXT_HTTPS, redirect_to(ONLINE_ROOT))
        .route(EXT_HTTP, redirect_to(ONLINE_ROOT))
        .route(ONLINE_ROOT, xml("root.xml"))
        .route(USER, webticket_401())
        .route(&format!("{USER} +ticket"), xml("user.xml"))
}

#[test]
fn redirect_then_web_ticket_then_user_document() {
    let (result, log) = online_web().ticket().run(AutodiscoverConfig::default());
    assert_eq!(result.verdict, Verdict::Found, "{result:#?}");
    assert_eq!(
        log.requests,
        [
            INT_HTTPS,
            INT_HTTP,
            EXT_HTTPS,
            EXT_HTTP,
            ONLINE_ROOT,
            USER,
            &format!("{USER} +ticket")
        ]
    );
    assert_eq!(log.ticket_asks, [format!("{TICKET_URL} for {USER}")]);
    assert_eq!(
        log.ticket_headers,
        [format!("opaque={}", BASE64_STANDARD.encode(ASSERTION))]
    );
    assert!(log.accepts.iter().all(|a| *a == MEDIA_TYPE_XML));
    // HTTPS is validated against the name in the URL (the name queried); HTTP has none.
    for (url, tls) in &log.tls_names {
        let host = url.split('/').nth(2).unwrap();
        match url.starts_with("https://") {
            true => assert_eq!(tls.as_deref(), Some(host)),
            false => assert_eq!(tls, &None),
        }
    }
    let endpoints: Vec<(AccessKind, String, u16)> = result
        .client_endpoints()
        .iter()
        .map(|a| (a.kind, a.fqdn.to_string(), a.port))
        .collect();
    assert_eq!(
        endpoints,
        [(
            AccessKind::ClientExternal,
            "sip.contoso.com".to_owned(),
            443
        )]
    );
    assert_eq!(result.sip_access.len(), 4);
    assert_eq!(
        result.link("external/ucwa").map(|l| l.href.as_str()),
        Some("https://webexternal.contoso.com/ucwa/v1/applications")
    );
    assert!(result.link("Redirect").is_none());
    assert!(result.warnings.is_empty(), "{:?}", result.warnings);

    let purposes: Vec<RequestPurpose> = result.evidence.iter().map(|e| e.purpose).collect();
    use RequestPurpose::*;
    assert_eq!(
        purposes,
        [
            FirstHop,
            FirstHop,
            FirstHop,
            FirstHop,
            Redirect,
            User,
            UserWithWebTicket
        ]
    );
    assert!(result.evidence.iter().all(|e| e.duration_ms == Some(12)));
    assert_eq!(result.evidence[5].status, Some(401));
    assert!(matches!(
        result.evidence[5].outcome,
        ExchangeOutcome::AuthenticationRequired { .. }
    ));
    assert!(result.evidence[6].sent_web_ticket);
    let user_body = result.evidence[6].body.as_deref().unwrap();
    assert_eq!(user_body.as_bytes(), file("user.xml").as_slice());
    assert!(!result.evidence[6].body_truncated);
    assert_eq!(result.evidence[5].body.as_deref(), None); // the 401 had an empty body
    assert!(
        !result
            .evidence
            .iter()
            .any(|e| matches!(e.outcome, ExchangeOutcome::Pending))
    );

    // No secret in the JSON evidence or in any Debug output.
    let json = serde_json::to_string(&result).unwrap();
    let b64 = BASE64_STANDARD.encode(ASSERTION);
    for text in [&json, &log.debug, &format!("{result:?}")] {
        assert!(!text.contains(&b64));
        assert!(!text.contains("secret-assertion"));
    }
    assert!(log.debug.contains("redacted"));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["verdict"]["status"], "found");
    assert_eq!(v["evidence"][0]["purpose"], "first_hop");
    assert_eq!(v["evidence"][0]["outcome"]["fault"]["kind"], "transport");
    assert_eq!(
        v["evidence"][0]["outcome"]["fault"]["error"]["kind"],
        "name_not_resolved"
    );
    assert_eq!(v["sip_access"][3]["kind"], "client_external");
    assert_eq!(v["access_location"], "external");
}

#[test]
fn without_credentials_the_user_document_is_skipped() {
    let (result, log) = online_web().run(AutodiscoverConfig::default());
    let Verdict::SkippedNeedsWebTicket {
        user_url,
        challenge,
    } = &result.verdict
    else {
        panic!("{:?}", result.verdict);
    };
    assert_eq!(
        result.verdict.to_string(),
        "skipped: the User document needs a web ticket"
    );
    assert_eq!(user_url.to_string(), USER);
    assert_eq!(
        challenge.web_ticket_url.as_ref().unwrap().to_string(),
        TICKET_URL
    );
    assert_eq!(
        challenge.oauth.as_ref().unwrap().grant_types,
        ["urn:microsoft.rtc:windows", "password"]
    );
    assert_eq!(challenge.server_fqdn.as_deref(), Some("fe01.contoso.com"));
    assert!(result.sip_access.is_empty());
    assert!(result.client_endpoints().is_empty());
    // The Root's links are kept (User, Domain, OAuth) for the report.
    assert!(result.links.iter().any(|l| l.token == "OAuth"));
    assert_eq!(log.requests.len(), 6, "{:?}", log.requests);
    assert_eq!(log.ticket_asks.len(), 1);
    let json = serde_json::to_value(&result).unwrap();
    assert_eq!(json["verdict"]["status"], "skipped_needs_web_ticket");
}

#[test]
fn rejected_web_ticket_is_an_error() {
    let web = online_web()
        .route(&format!("{USER} +ticket"), Reply::Status(401, vec![]))
        .ticket();
    let (result, _) = web.run(AutodiscoverConfig::default());
    let Verdict::Error {
        cause: AutodiscoverFault::WebTicketRejected { url, status: 401 },
    } = &result.verdict
    else {
        panic!("{:?}", result.verdict);
    };
    assert_eq!(url.to_string(), USER);
}

#[test]
fn web_ticket_is_never_sent_over_http() {
    let http_user = "http://lyncwebint.contoso.com/Autodiscover/AutodiscoverService.svc/root/user";
    let root = format!(
        r#"<AutodiscoverResponse><Root><Link token="User" href="{http_user}"/></Root></AutodiscoverResponse>"#
    );
    let web = Web::default()
        .route(INT_HTTPS, Reply::Doc(XML, root.into_bytes()))
        .route(http_user, webticket_401())
        .ticket();
    let (result, log) = web.run(AutodiscoverConfig::default());
    assert!(log.ticket_headers.is_empty());
    assert!(matches!(
        result.verdict,
        Verdict::Error {
            cause: AutodiscoverFault::WebTicketOverHttp { .. }
        }
    ));
}

#[test]
fn redirect_loop_is_detected() {
    let a =
        "https://a.contoso.com/Autodiscover/AutodiscoverService.svc/root?sipuri=alice@contoso.com";
    let b =
        "https://b.contoso.com/Autodiscover/AutodiscoverService.svc/root?sipuri=alice@contoso.com";
    let web = Web::default()
        .route(INT_HTTPS, redirect_to(a))
        .route(a, redirect_to(b))
        .route(b, redirect_to(a));
    let (result, log) = web.run(AutodiscoverConfig::default());
    let Verdict::Error {
        cause: AutodiscoverFault::RedirectLoop { url },
    } = &result.verdict
    else {
        panic!("{:?}", result.verdict);
    };
    assert_eq!(url.to_string(), a);
    // lyncdiscover is still tried after the internal chain failed.
    assert_eq!(
        log.requests,
        [INT_HTTPS, INT_HTTP, a, b, EXT_HTTPS, EXT_HTTP]
    );
}

#[test]
fn redirects_are_bounded() {
    let hop = |i: usize| format!("https://r{i}.contoso.com/root");
    let mut web = Web::default().route(INT_HTTPS, redirect_to(&hop(0)));
    for i in 0..20 {
        web = web.route(&hop(i), redirect_to(&hop(i + 1)));
    }
    let config = AutodiscoverConfig {
        max_redirects: 5,
        external: false,
        ..AutodiscoverConfig::default()
    };
    let (result, log) = web.run(config);
    assert_eq!(
        result.verdict,
        Verdict::Error {
            cause: AutodiscoverFault::TooManyRedirects { limit: 5 }
        }
    );
    // first hop ×2, then redirects 1..=5 are followed (r0..r4); the sixth is refused
    assert_eq!(log.requests.len(), 2 + 5);
}

#[test]
fn https_failure_then_http_success_warns_http_only() {
    let web = Web::default()
        .route(
            INT_HTTPS,
            Reply::Fail(HttpFailure::TlsFailed {
                detail: "certificate name mismatch".into(),
            }),
        )
        .route(INT_HTTP, redirect_to(ONLINE_ROOT))
        .route(ONLINE_ROOT, xml("root.xml"))
        .route(USER, webticket_401())
        .route(&format!("{USER} +ticket"), xml("user.xml"))
        .ticket();
    let (result, log) = web.run(AutodiscoverConfig::default());
    assert_eq!(result.verdict, Verdict::Found);
    assert_eq!(result.warnings.len(), 1);
    let Warning::HttpOnly { host } = &result.warnings[0] else {
        panic!("{:?}", result.warnings)
    };
    assert_eq!(host.as_str(), "lyncdiscoverinternal.contoso.com");
    assert!(!log.requests.contains(&EXT_HTTPS.to_owned()));
    let ExchangeOutcome::Failed {
        fault: AutodiscoverFault::Transport { error, .. },
    } = &result.evidence[0].outcome
    else {
        panic!("{:?}", result.evidence[0]);
    };
    assert!(matches!(error, HttpFailure::TlsFailed { .. }));
}

#[test]
fn https_answer_wins_over_http() {
    let other = "https://other.contoso.com/root";
    let web = Web::default()
        .route(INT_HTTPS, redirect_to(ONLINE_ROOT))
        .route(INT_HTTP, redirect_to(other))
        .route(ONLINE_ROOT, xml("root.xml"))
        .route(USER, webticket_401());
    let (result, log) = web.run(AutodiscoverConfig::default());
    assert!(matches!(
        result.verdict,
        Verdict::SkippedNeedsWebTicket { .. }
    ));
    assert!(!log.requests.contains(&other.to_owned()));
    assert!(result.warnings.is_empty());
}

#[test]
fn http_root_that_is_not_a_redirect_is_flagged() {
    let web = Web::default()
        .route(INT_HTTP, xml("root.xml"))
        .route(USER, webticket_401());
    let (result, _) = web.run(AutodiscoverConfig::default());
    assert!(matches!(
        result.verdict,
        Verdict::SkippedNeedsWebTicket { .. }
    ));
    assert!(
        result
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::HttpOnly { .. }))
    );
    assert!(
        result
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::HttpRootWithoutRedirect { .. }))
    );
}

#[test]
fn nothing_answers_is_not_found() {
    let (result, log) = Web::default().run(AutodiscoverConfig::default());
    assert_eq!(log.requests, [INT_HTTPS, INT_HTTP, EXT_HTTPS, EXT_HTTP]);
    let Verdict::NotFound {
        last_error: Some(AutodiscoverFault::Transport { error, .. }),
    } = &result.verdict
    else {
        panic!("{:?}", result.verdict);
    };
    assert_eq!(*error, HttpFailure::NameNotResolved);
    assert_eq!(result.evidence.len(), 4);
}

#[test]
fn captive_portal_is_not_autodiscover() {
    let portal = Reply::Doc("text/html; charset=utf-8", file("captive_portal.html"));
    let web = Web::default()
        .route(INT_HTTP, portal.clone())
        .route(EXT_HTTP, portal);
    let (result, _) = web.run(AutodiscoverConfig::default());
    let Verdict::NotFound {
        last_error: Some(AutodiscoverFault::NotAutodiscover { content_type, .. }),
    } = &result.verdict
    else {
        panic!("{:?}", result.verdict);
    };
    assert_eq!(content_type.as_deref(), Some("text/html; charset=utf-8"));
}

#[test]
fn failing_internal_chain_falls_back_to_lyncdiscover() {
    let no_user = r#"<AutodiscoverResponse><Root><Link token="Domain" href="https://x/d"/></Root></AutodiscoverResponse>"#;
    let web = online_web()
        .route(INT_HTTPS, Reply::Doc(XML, no_user.as_bytes().to_vec()))
        .ticket();
    let (result, log) = web.run(AutodiscoverConfig::default());
    assert_eq!(result.verdict, Verdict::Found);
    assert!(log.requests.contains(&EXT_HTTPS.to_owned()));
    assert!(matches!(
        result.evidence[0].outcome,
        ExchangeOutcome::Document {
            links: 1,
            sip_access: 0,
            ..
        }
    ));
}

#[test]
fn invalid_document_after_a_root_is_an_error_with_cause() {
    let web = Web::default()
        .route(INT_HTTPS, xml("root.xml"))
        .route(USER, Reply::Doc(XML, file("billion_laughs.xml")));
    let config = AutodiscoverConfig {
        external: false,
        ..AutodiscoverConfig::default()
    };
    let (result, _) = web.run(config);
    assert_eq!(
        result.verdict.to_string(),
        format!("error: {USER}: xml document type declarations are not accepted")
    );
}

#[test]
fn user_redirect_is_followed_and_json_is_supported() {
    let pool2 = "https://webpool2.contoso.com/Autodiscover/AutodiscoverService.svc/root?sipuri=alice@contoso.com";
    let json_root = format!(r#"{{"_links":{{"user":{{"href":"{USER}"}}}}}}"#);
    let web = Web::default()
        .route(INT_HTTPS, Reply::Doc(JSON, file("root.json")))
        .route(
            "https://lyncweb.contoso.com/Autodiscover/AutodiscoverService.svc/root/oauth/user?originalDomain=contoso.com",
            Reply::Doc(XML, file("user_redirect.xml")),
        )
        .route(pool2, Reply::Doc(JSON, json_root.into_bytes()))
        .route(USER, Reply::Doc(JSON, file("user.json")));
    let config = AutodiscoverConfig {
        format: DocumentFormat::Json,
        ..AutodiscoverConfig::default()
    };
    let (result, log) = web.run(config);
    assert_eq!(result.verdict, Verdict::Found, "{:?}", log.requests);
    assert!(log.accepts.iter().all(|a| *a == MEDIA_TYPE_JSON));
    assert_eq!(result.client_endpoints().len(), 1);
    assert_eq!(
        result
            .evidence
            .iter()
            .filter(|e| e.purpose == RequestPurpose::Redirect)
            .count(),
        1
    );
}

#[test]
fn misuse_is_reported() {
    let sip = SipAddress::parse("alice@contoso.com").unwrap();
    let mut walker = Autodiscover::new(sip, AutodiscoverConfig::default());
    let err = walker.handle_input(Input::HttpError {
        id: RequestId(999),
        error: HttpFailure::TimedOut,
        elapsed: None,
    });
    assert_eq!(err, Err(InputError::UnknownRequest(RequestId(999))));
    assert_eq!(
        walker.handle_input(Input::WebTicket(None)),
        Err(InputError::UnexpectedWebTicket)
    );
    // The misuse changed nothing: the walk goes on to its normal end.
    let mut steps = 0;
    loop {
        steps += 1;
        assert!(steps < 20);
        match walker.poll_output() {
            Some(Output::HttpGet { id, .. }) => walker
                .handle_input(Input::HttpError {
                    id,
                    error: HttpFailure::TimedOut,
                    elapsed: None,
                })
                .unwrap(),
            Some(Output::Done(result)) => {
                assert_eq!(result.evidence.len(), 4);
                assert!(
                    !result
                        .evidence
                        .iter()
                        .any(|e| e.outcome == ExchangeOutcome::Pending)
                );
                assert!(matches!(
                    result.verdict,
                    Verdict::NotFound {
                        last_error: Some(_)
                    }
                ));
                break;
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn web_ticket_debug_shows_nothing() {
    let t = WebTicket::new(ASSERTION.to_vec());
    assert_eq!(format!("{t:?}"), "WebTicket(..)");
}

#[test]
fn disabled_first_hops_finish_immediately() {
    let config = AutodiscoverConfig {
        try_http: false,
        try_https: false,
        ..AutodiscoverConfig::default()
    };
    let (result, log) = Web::default().run(config);
    assert!(log.requests.is_empty());
    assert_eq!(result.verdict, Verdict::NotFound { last_error: None });
}

#[test]
fn loop_detection_and_budget_are_per_chain() {
    let r = |i: usize| format!("https://r{i}.contoso.com/root");
    let x = "https://x.contoso.com/root";
    let web = online_web()
        .route(INT_HTTPS, redirect_to(&r(0)))
        .route(&r(0), redirect_to(&r(1)))
        .route(&r(1), redirect_to(x))
        .route(x, redirect_to(ONLINE_ROOT))
        .route(EXT_HTTPS, redirect_to(x))
        .ticket();
    let config = AutodiscoverConfig {
        max_redirects: 3,
        ..AutodiscoverConfig::default()
    };
    let (result, log) = web.run(config);
    // internal: r0, r1, x, then the fourth redirect is refused; external: x again, then found
    assert_eq!(result.verdict, Verdict::Found, "{:?}", log.requests);
    assert_eq!(log.requests.iter().filter(|u| *u == x).count(), 2);
}

#[test]
fn scripted_garbage_walks_always_end() {
    // Deterministic pseudo-random scripts (xorshift), plus the sample documents as bodies.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let samples = [
        file("root.xml"),
        file("root_redirect.xml"),
        file("user.xml"),
        file("user_redirect.xml"),
    ];
    let mut longest = 0;
    for round in 0..2000 {
        let mut script = Vec::new();
        for _ in 0..40 {
            let r = next();
            script.push(r as u8);
            if r & 0x100 != 0 {
                let sample = &samples[(r >> 20) as usize % samples.len()];
                let len = sample.len().min(255 * 16);
                script.push((len / 16) as u8);
                script.extend_from_slice(&sample[..(len / 16) * 16]);
            } else {
                script.push((r >> 24) as u8 % 4);
                script.extend((0..64).map(|_| next() as u8));
            }
        }
        let steps = sfb_discovery::autodiscover::fuzzing::walk(&script);
        assert!(steps < 256, "round {round}: walk did not end");
        longest = longest.max(steps);
    }
    assert!(
        longest > 4,
        "scripts never got past the first hop: {longest}"
    );
}

#[test]
fn https_to_an_ip_literal_is_refused() {
    let web = Web::default().route(INT_HTTPS, redirect_to("https://[2001:db8::1]/root"));
    let config = AutodiscoverConfig {
        external: false,
        ..AutodiscoverConfig::default()
    };
    let (result, log) = web.run(config);
    assert_eq!(log.requests, [INT_HTTPS, INT_HTTP]);
    assert!(matches!(
        result.verdict,
        Verdict::Error {
            cause: AutodiscoverFault::InvalidHref {
                error: sfb_discovery::autodiscover::UrlError::InvalidHost,
                ..
            }
        }
    ));
}

#[test]
fn sip_server_outside_the_sip_domain_is_flagged() {
    let user = r#"<AutodiscoverResponse AccessLocation="External"><User>
        <SipClientExternalAccess fqdn="sipdir.online.lync.com" port="443"/>
        <SipClientInternalAccess fqdn="notcontoso.com" port="443"/>
        <SipServerExternalAccess fqdn="sip.contoso.com" port="5061"/></User></AutodiscoverResponse>"#;
    let web = online_web()
        .route(
            &format!("{USER} +ticket"),
            Reply::Doc(XML, user.as_bytes().to_vec()),
        )
        .ticket();
    let (result, _) = web.run(AutodiscoverConfig::default());
    assert_eq!(result.verdict, Verdict::Found);
    let flagged: Vec<String> = result
        .warnings
        .iter()
        .map(|w| match w {
            Warning::SipServerOutsideDomain { fqdn, .. } => fqdn.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(flagged, ["sipdir.online.lync.com", "notcontoso.com"]);
    let json = serde_json::to_value(&result.warnings).unwrap();
    assert_eq!(json[0]["kind"], "sip_server_outside_domain");
    assert_eq!(json[0]["element"], "client_external");
}

#[test]
fn user_redirect_straight_to_another_pools_user_resource() {
    let pool2_user = "https://webpool2.contoso.com/Autodiscover/AutodiscoverService.svc/root/user";
    let redirecting_user = format!(
        r#"<AutodiscoverResponse><User><Link token="Redirect" href="{pool2_user}"/></User></AutodiscoverResponse>"#
    );
    let web = online_web()
        .route(
            &format!("{USER} +ticket"),
            Reply::Doc(XML, redirecting_user.into_bytes()),
        )
        .route(pool2_user, webticket_401())
        .route(&format!("{pool2_user} +ticket"), xml("user.xml"))
        .ticket();
    let (result, log) = web.run(AutodiscoverConfig::default());
    assert_eq!(result.verdict, Verdict::Found, "{:?}", log.requests);
    assert_eq!(log.ticket_asks.len(), 2);
    assert_eq!(
        log.requests.last().unwrap(),
        &format!("{pool2_user} +ticket")
    );
}

#[test]
fn evidence_bodies_are_bounded() {
    let big = format!(
        r#"<AutodiscoverResponse><Root><Link token="Domain" href="https://x/d"/></Root><!--{}--></AutodiscoverResponse>"#,
        "x".repeat(1000)
    );
    let web = Web::default().route(INT_HTTPS, Reply::Doc(XML, big.into_bytes()));
    let config = AutodiscoverConfig {
        evidence_body_bytes: 100,
        external: false,
        ..AutodiscoverConfig::default()
    };
    let (result, _) = web.run(config.clone());
    assert_eq!(result.evidence[0].body.as_ref().map(String::len), Some(100));
    assert!(result.evidence[0].body_truncated);
    let (result, _) = Web::default()
        .route(INT_HTTPS, xml("root.xml"))
        .run(AutodiscoverConfig {
            evidence_body_bytes: 0,
            ..config
        });
    assert!(result.evidence.iter().all(|e| e.body.is_none()));
}
