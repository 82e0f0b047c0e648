//! Scripted exchanges against the state machine.

use super::*;
use crate::rst::SipUri;
use crate::rstr::RstrError;

/// A stand-in mechanism: NEGOTIATE is `N`, the answer to challenge `C…` is `A` + challenge.
struct Fake;

impl HttpAuthClient for Fake {
    fn step(&mut self, server_token: Option<&[u8]>) -> Result<Vec<u8>, AuthClientError> {
        match server_token {
            None => Ok(b"N".to_vec()),
            Some(t) if t.starts_with(b"C") => Ok([b"A".as_slice(), t].concat()),
            Some(_) => Err(AuthClientError::MechanismFailed {
                detail: "not a challenge".into(),
            }),
        }
    }
}

fn flow(use_mex: bool) -> WebTicketFlow {
    let mut n = 0u8;
    let mut rng = move |b: &mut [u8]| {
        for x in b {
            *x = n;
            n = n.wrapping_add(1);
        }
    };
    let req = RstRequest::new(
        SipUri::parse("sip:alice@contoso.com").unwrap(),
        "https://lyncweb.contoso.com/Autodiscover/AutodiscoverService.svc/root/user",
        &mut rng,
    )
    .unwrap();
    let config = WebTicketConfig {
        url: "https://lyncweb.contoso.com/WebTicket/WebTicketService.svc".into(),
        use_mex,
        limits: XmlLimits::default(),
    };
    WebTicketFlow::new(config, req, Box::new(Fake))
}

fn resp(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Response {
    Response {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body: body.to_vec(),
    }
}

fn authorization(o: &Output) -> Option<String> {
    match o {
        Output::Post { headers, .. } => header(headers, "authorization").map(str::to_owned),
        _ => None,
    }
}

const RSTR: &[u8] = include_bytes!("../../testdata/rstr.xml");

#[test]
fn full_ntlm_exchange_with_mex() {
    let mut f = flow(true);
    let Output::Get { url, .. } = f.start().unwrap() else {
        panic!("mex get expected")
    };
    assert_eq!(
        url,
        "https://lyncweb.contoso.com/WebTicket/WebTicketService.svc/mex"
    );
    let o = f
        .handle(resp(200, &[], include_bytes!("../../testdata/mex.xml")))
        .unwrap();
    let Output::Post { url, headers, body } = &o else {
        panic!("post expected")
    };
    assert_eq!(
        url,
        "https://lyncweb.contoso.com/WebTicket/WebTicketService.svc/Auth"
    );
    assert_eq!(header(headers, "soapaction"), Some(SOAP_ACTION_ISSUE));
    assert!(header(headers, "authorization").is_none());
    assert!(body.starts_with(b"<?xml"));
    let o = f
        .handle(resp(
            401,
            &[
                ("WWW-Authenticate", "Negotiate"),
                ("www-authenticate", "NTLM"),
            ],
            b"",
        ))
        .unwrap();
    assert_eq!(authorization(&o).as_deref(), Some("NTLM Tg=="));
    let o = f
        .handle(resp(401, &[("WWW-Authenticate", "NTLM Q2hhbA==")], b""))
        .unwrap();
    assert_eq!(authorization(&o).as_deref(), Some("NTLM QUNoYWw="));
    let Output::Done(t) = f.handle(resp(200, &[], RSTR)).unwrap() else {
        panic!("done expected")
    };
    assert_eq!(
        t.service_url,
        "https://lyncweb.contoso.com/WebTicket/WebTicketService.svc/Auth"
    );
    let key = t.proof_key.clone().unwrap();
    assert_eq!(
        key,
        crate::psha1::proof_key(&t.client_entropy, t.token.server_entropy.as_ref().unwrap())
    );
    assert_eq!(
        f.handle(resp(200, &[], RSTR)).unwrap_err(),
        WebTicketError::Finished
    );
}

#[test]
fn negotiate_only_server_gets_the_raw_token_under_negotiate() {
    let mut f = flow(false);
    f.start().unwrap();
    let o = f
        .handle(resp(
            401,
            &[("WWW-Authenticate", "Negotiate, Bearer realm=\"x\"")],
            b"",
        ))
        .unwrap();
    assert_eq!(authorization(&o).as_deref(), Some("Negotiate Tg=="));
}

#[test]
fn refusals_name_status_and_diagnostics() {
    let mut f = flow(false);
    f.start().unwrap();
    f.handle(resp(401, &[("WWW-Authenticate", "NTLM")], b""))
        .unwrap();
    f.handle(resp(401, &[("WWW-Authenticate", "NTLM Q2hhbA==")], b""))
        .unwrap();
    let e = f
        .handle(resp(
            401,
            &[(
                "X-Ms-diagnostics",
                "28020;source=\"fe01.contoso.com\";reason=\"Invalid credentials\";fault=\"wsse:FailedAuthentication\"",
            )],
            b"",
        ))
        .unwrap_err();
    let WebTicketError::Refused {
        status: 401,
        diagnostics: Some(d),
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(d.code, 28020);
    let text = e.to_string();
    assert!(
        text.contains("401") && text.contains("28020") && text.contains("Invalid credentials"),
        "{text}"
    );
}

#[test]
fn other_failures() {
    let mut f = flow(false);
    f.start().unwrap();
    let e = f
        .handle(resp(401, &[("WWW-Authenticate", "Basic realm=\"x\"")], b""))
        .unwrap_err();
    assert_eq!(
        e,
        WebTicketError::NoSupportedScheme {
            offered: "Basic".into()
        }
    );

    let mut f = flow(false);
    f.start().unwrap();
    let e = f
        .handle(resp(500, &[], include_bytes!("../../testdata/fault.xml")))
        .unwrap_err();
    let WebTicketError::HttpStatus {
        status: 500,
        fault: Some(fault),
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(fault.error_id, Some(28032));
    assert!(e.to_string().contains("28032"));

    let mut f = flow(false);
    f.start().unwrap();
    f.handle(resp(401, &[("WWW-Authenticate", "NTLM")], b""))
        .unwrap();
    let e = f
        .handle(resp(401, &[("WWW-Authenticate", "NTLM")], b""))
        .unwrap_err();
    assert!(matches!(e, WebTicketError::NoChallenge { status: 401, .. }));

    let mut f = flow(false);
    f.start().unwrap();
    f.handle(resp(401, &[("WWW-Authenticate", "NTLM")], b""))
        .unwrap();
    let e = f
        .handle(resp(401, &[("WWW-Authenticate", "NTLM !!!")], b""))
        .unwrap_err();
    assert_eq!(e, WebTicketError::BadToken);

    let mut f = flow(false);
    f.start().unwrap();
    f.handle(resp(401, &[("WWW-Authenticate", "NTLM")], b""))
        .unwrap();
    let e = f
        .handle(resp(401, &[("WWW-Authenticate", "NTLM WA==")], b""))
        .unwrap_err();
    assert!(matches!(e, WebTicketError::AuthClient(_)));

    let mut f = flow(true);
    f.start().unwrap();
    assert_eq!(
        f.handle(resp(404, &[], b"")).unwrap_err(),
        WebTicketError::MexStatus { status: 404 }
    );

    // A 200 that is a fault is a fault.
    let mut f = flow(false);
    f.start().unwrap();
    let e = f
        .handle(resp(200, &[], include_bytes!("../../testdata/fault.xml")))
        .unwrap_err();
    assert!(matches!(e, WebTicketError::Rstr(RstrError::Fault(_))));
}

/// A one-leg mechanism that only speaks `Negotiate` (as Kerberos does): token `K`.
struct OneLeg;

impl HttpAuthClient for OneLeg {
    fn step(&mut self, server_token: Option<&[u8]>) -> Result<Vec<u8>, AuthClientError> {
        match server_token {
            None => Ok(b"K".to_vec()),
            Some(_) => Err(AuthClientError::MechanismFailed {
                detail: "one leg only".into(),
            }),
        }
    }
    fn schemes(&self) -> &'static [AuthScheme] {
        &[AuthScheme::Negotiate]
    }
}

fn one_leg_flow() -> WebTicketFlow {
    let mut f = flow(false);
    f.auth = Box::new(OneLeg);
    f
}

#[test]
fn kerberos_style_mechanism_picks_negotiate_and_is_accepted_in_one_leg() {
    let mut f = one_leg_flow();
    f.start().unwrap();
    // NTLM listed first by the service: the mechanism's own preference decides.
    let o = f
        .handle(resp(
            401,
            &[
                ("WWW-Authenticate", "NTLM"),
                ("WWW-Authenticate", "Negotiate"),
            ],
            b"",
        ))
        .unwrap();
    assert_eq!(authorization(&o).as_deref(), Some("Negotiate Sw=="));
    // 200 right after the AP-REQ (a mutual-auth token in the header is not needed).
    let Output::Done(t) = f
        .handle(resp(200, &[("WWW-Authenticate", "Negotiate oYGg")], RSTR))
        .unwrap()
    else {
        panic!("done expected")
    };
    assert!(t.proof_key.is_some());
}

#[test]
fn kerberos_style_mechanism_refusals() {
    // A bare `Negotiate` answering the AP-REQ: refused, with the diagnostics.
    let mut f = one_leg_flow();
    f.start().unwrap();
    f.handle(resp(401, &[("WWW-Authenticate", "Negotiate")], b""))
        .unwrap();
    let e = f
        .handle(resp(
            401,
            &[
                ("WWW-Authenticate", "Negotiate"),
                (
                    "X-Ms-diagnostics",
                    "28020;source=\"x\";reason=\"bad ticket\"",
                ),
            ],
            b"",
        ))
        .unwrap_err();
    let WebTicketError::Refused {
        status: 401,
        diagnostics: Some(d),
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(d.code, 28020);
    // A continuation token: the one-leg mechanism refuses it.
    let mut f = one_leg_flow();
    f.start().unwrap();
    f.handle(resp(401, &[("WWW-Authenticate", "Negotiate")], b""))
        .unwrap();
    let e = f
        .handle(resp(
            401,
            &[("WWW-Authenticate", "Negotiate oQcwBaADCgEB")],
            b"",
        ))
        .unwrap_err();
    assert!(matches!(e, WebTicketError::AuthClient(_)), "{e:?}");
    // A service offering only NTLM: no scheme in common.
    let mut f = one_leg_flow();
    f.start().unwrap();
    let e = f
        .handle(resp(401, &[("WWW-Authenticate", "NTLM")], b""))
        .unwrap_err();
    assert!(
        matches!(e, WebTicketError::NoSupportedScheme { .. }),
        "{e:?}"
    );
}
