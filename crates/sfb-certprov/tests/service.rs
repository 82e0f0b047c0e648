//! Our client (sspi NTLM) and Samba's `ntlm_auth` against the in-process test service, with
//! sfb-auth's `NtlmServer` (which checks the NTProofStr) as the injected authenticator.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};

use base64::prelude::{BASE64_STANDARD, Engine as _};
use sfb_auth::ServerContext;
use sfb_auth::Step;
use sfb_auth::ntlm::{CredentialStore, NtlmServer, NtlmServerConfig};
use sfb_certprov::driver::{DriverError, NtlmTicketRequest, WebTicketDriver, fetch_with_ntlm};
use sfb_certprov::ntlm::NtlmHttpClient;
use sfb_certprov::test_service::{AuthVerdict, HttpAuthenticator, TestService, TestServiceConfig};
use sfb_certprov::{
    AuthClientError, HttpAuthClient, Password, RstRequest, SipUri, WebTicketConfig, WebTicketError,
    WebTicketFlow, XmlLimits,
};

const HOST: &str = "lyncweb.contoso.test";
const PASSWORD: &str = "Passw0rd!";
const USER_URL: &str =
    "https://lyncweb.contoso.test/Autodiscover/AutodiscoverService.svc/root/user";

/// sfb-auth's NTLM server as the service's authenticator.
struct NtlmAuthenticator(NtlmServer);

impl HttpAuthenticator for NtlmAuthenticator {
    fn step(&mut self, client_token: &[u8]) -> AuthVerdict {
        match self.0.step(Some(client_token)) {
            Ok(Step::Continue(t)) => AuthVerdict::Continue(t),
            Ok(Step::Done(_)) => AuthVerdict::Accepted {
                user: self.0.authenticated_user().unwrap_or_default().to_owned(),
            },
            Err(e) => AuthVerdict::Rejected {
                reason: e.to_string(),
            },
        }
    }
}

fn counter(seed: u8) -> impl FnMut(&mut [u8]) + Send + 'static {
    let mut n = seed;
    move |b: &mut [u8]| {
        for x in b {
            *x = n;
            n = n.wrapping_mul(31).wrapping_add(7);
        }
    }
}

async fn service() -> TestService {
    let mut store = CredentialStore::new();
    store.add_password("alice", "CONTOSO", PASSWORD);
    // UPN logins arrive with an empty domain and the UPN as the user name.
    store.add_password("alice@contoso.test", "", PASSWORD);
    let store = Arc::new(store);
    let config = TestServiceConfig {
        host: HOST.into(),
        authenticator: Arc::new(move || {
            let cfg = NtlmServerConfig {
                nb_domain: "CONTOSO".into(),
                nb_computer: "LYNCWEB".into(),
                dns_domain: "contoso.test".into(),
                dns_computer: HOST.into(),
            };
            let server = NtlmServer::new(
                cfg,
                store.clone(),
                Box::new(counter(3)),
                133_000_000_000_000_000,
            );
            Box::new(NtlmAuthenticator(server))
        }),
        rng: Arc::new(Mutex::new(counter(9))),
        lifetime_secs: 8 * 3600,
    };
    TestService::start(config).await.unwrap()
}

fn flow(svc: &TestService, use_mex: bool, auth: Box<dyn HttpAuthClient>) -> WebTicketFlow {
    let mut rng = counter(1);
    let req = RstRequest::new(
        SipUri::parse("sip:alice@contoso.test").unwrap(),
        USER_URL,
        &mut rng,
    )
    .unwrap();
    let config = WebTicketConfig {
        url: svc.url.clone(),
        use_mex,
        limits: XmlLimits::default(),
    };
    WebTicketFlow::new(config, req, auth)
}

fn driver(svc: &TestService) -> WebTicketDriver {
    WebTicketDriver::new(svc.roots())
        .unwrap()
        .with_connect_to(svc.addr)
}

fn sspi(password: &str) -> Box<dyn HttpAuthClient> {
    Box::new(NtlmHttpClient::new("CONTOSO\\alice", &Password::new(password), HOST).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sspi_client_gets_a_ticket_with_the_right_password() {
    let svc = service().await;
    for use_mex in [false, true] {
        let t = driver(&svc)
            .run(flow(&svc, use_mex, sspi(PASSWORD)))
            .await
            .unwrap();
        let a = std::str::from_utf8(t.token.assertion.expose()).unwrap();
        assert!(
            a.starts_with("<saml:Assertion ") && a.ends_with("</saml:Assertion>"),
            "{a}"
        );
        assert!(a.contains("sip:alice@contoso.test") && a.contains("CONTOSO\\alice"));
        assert!(
            t.token
                .assertion_id
                .as_deref()
                .unwrap()
                .starts_with("SamlSecurityToken-")
        );
        let l = t.token.lifetime.unwrap();
        assert_eq!(l.expires.0 - l.created.0, 8 * 3600);
        if use_mex {
            assert_eq!(t.service_url, format!("{}/Auth", svc.url));
        } else {
            assert_eq!(t.service_url, svc.url);
        }
        // Both ends derived the same P_SHA1 proof key.
        let issued = svc.issued();
        let last = issued.last().unwrap();
        assert_eq!(Some(&last.proof_key), t.proof_key.as_ref());
        assert_eq!(last.proof_key.expose().len(), 32);
        assert_eq!(
            (last.user.as_str(), last.applies_to.as_str()),
            ("CONTOSO\\alice", USER_URL)
        );
        assert!(
            !format!("{t:?}").contains("sip:alice"),
            "assertion leaked in Debug"
        );
    }
    assert_eq!(svc.issued().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_call_helper_for_the_application() {
    let svc = service().await;
    let uri = SipUri::parse("sip:alice@contoso.test").unwrap();
    let mut rng = counter(5);
    let password = Password::new(PASSWORD);
    let req = NtlmTicketRequest {
        web_ticket_url: &svc.url,
        applies_to: USER_URL,
        sip_uri: &uri,
        login: "alice@contoso.test",
        password: &password,
        use_mex: true,
    };
    let t = fetch_with_ntlm(&driver(&svc), &req, &mut rng)
        .await
        .unwrap();
    assert!(t.proof_key.is_some());
    // A UPN login: sent with an empty domain, found by user name in the store.
    assert_eq!(svc.issued()[0].user, "alice@contoso.test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sspi_client_with_a_wrong_password_is_refused() {
    let svc = service().await;
    let e = driver(&svc)
        .run(flow(&svc, false, sspi("wrong")))
        .await
        .unwrap_err();
    let DriverError::Flow(WebTicketError::Refused {
        status: 401,
        diagnostics: Some(d),
    }) = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(d.code, 28020);
    assert_eq!(d.source.as_deref(), Some(HOST));
    assert_eq!(d.fault.as_deref(), Some("wsse:FailedAuthentication"));
    assert!(
        d.reason
            .as_deref()
            .unwrap_or_default()
            .contains("wrong password"),
        "{d:?}"
    );
    assert!(e.to_string().contains("401") && e.to_string().contains("28020"));
    assert!(svc.issued().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_user_and_untrusted_ca_fail_cleanly() {
    let svc = service().await;
    let bob =
        Box::new(NtlmHttpClient::new("CONTOSO\\bob", &Password::new(PASSWORD), HOST).unwrap());
    let e = driver(&svc).run(flow(&svc, false, bob)).await.unwrap_err();
    assert!(
        matches!(
            e,
            DriverError::Flow(WebTicketError::Refused { status: 401, .. })
        ),
        "{e:?}"
    );
    // A client that does not trust the test CA stops at TLS.
    let other = service().await;
    let e = WebTicketDriver::new(other.roots())
        .unwrap()
        .with_connect_to(svc.addr)
        .run(flow(&svc, false, sspi(PASSWORD)))
        .await
        .unwrap_err();
    assert!(matches!(e, DriverError::Tls { .. }), "{e:?}");
}

/// sspi's client with one MIC byte flipped in its AUTHENTICATE ([MS-NLMP] 2.2.1.3, offset 72).
struct TamperedMic(NtlmHttpClient);

impl HttpAuthClient for TamperedMic {
    fn step(&mut self, server_token: Option<&[u8]>) -> Result<Vec<u8>, AuthClientError> {
        let mut t = self.0.step(server_token)?;
        if server_token.is_some()
            && let Some(b) = t.get_mut(72)
        {
            *b ^= 1;
        }
        Ok(t)
    }
}

/// The service checks sspi's MIC, which covers NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE: a flipped
/// MIC byte is refused (so the connection-oriented MIC input is right when the untampered
/// exchange succeeds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_mic_is_refused() {
    let svc = service().await;
    let inner = NtlmHttpClient::new("CONTOSO\\alice", &Password::new(PASSWORD), HOST).unwrap();
    let e = driver(&svc)
        .run(flow(&svc, false, Box::new(TamperedMic(inner))))
        .await
        .unwrap_err();
    let DriverError::Flow(WebTicketError::Refused {
        diagnostics: Some(d),
        ..
    }) = &e
    else {
        panic!("{e:?}")
    };
    assert!(
        d.reason
            .as_deref()
            .unwrap_or_default()
            .contains("MIC mismatch"),
        "{d:?}"
    );
}

/// A mechanism that sends garbage instead of a NEGOTIATE.
struct Garbage;

impl HttpAuthClient for Garbage {
    fn step(&mut self, _: Option<&[u8]>) -> Result<Vec<u8>, AuthClientError> {
        Ok(b"NTLMSSP\0\x03\0\0\0garbage".to_vec())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_negotiate_is_refused_with_diagnostics() {
    let svc = service().await;
    let e = driver(&svc)
        .run(flow(&svc, false, Box::new(Garbage)))
        .await
        .unwrap_err();
    let DriverError::Flow(WebTicketError::NoChallenge {
        status: 401,
        diagnostics: Some(d),
    }) = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(d.code, 28020);
    assert!(
        d.reason
            .as_deref()
            .unwrap_or_default()
            .contains("message type"),
        "{d:?}"
    );
}

/// Samba's `ntlm_auth --helper-protocol=ntlmssp-client-1` as the client mechanism: a client we
/// did not write (NTLMv2, no MIC).
struct NtlmAuthHelper {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl NtlmAuthHelper {
    fn spawn(password: &str) -> std::io::Result<Self> {
        let mut child = Command::new("ntlm_auth")
            .args([
                "--helper-protocol=ntlmssp-client-1",
                "--username=alice",
                "--domain=CONTOSO",
                &format!("--password={password}"),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take().ok_or(std::io::ErrorKind::BrokenPipe)?;
        let stdout = BufReader::new(child.stdout.take().ok_or(std::io::ErrorKind::BrokenPipe)?);
        Ok(NtlmAuthHelper {
            child,
            stdin,
            stdout,
        })
    }

    /// Sends a request line; the answer must start with one of `want`.
    fn ask(&mut self, line: &str, want: &[&str]) -> Result<Vec<u8>, AuthClientError> {
        let fail = |detail: String| AuthClientError::MechanismFailed { detail };
        writeln!(self.stdin, "{line}").map_err(|e| fail(e.to_string()))?;
        self.stdin.flush().map_err(|e| fail(e.to_string()))?;
        let mut answer = String::new();
        self.stdout
            .read_line(&mut answer)
            .map_err(|e| fail(e.to_string()))?;
        let b64 = want
            .iter()
            .find_map(|w| answer.trim().strip_prefix(w))
            .ok_or_else(|| fail(format!("ntlm_auth said {answer:?}")))?;
        BASE64_STANDARD
            .decode(b64.trim())
            .map_err(|e| fail(e.to_string()))
    }
}

impl Drop for NtlmAuthHelper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl HttpAuthClient for NtlmAuthHelper {
    fn step(&mut self, server_token: Option<&[u8]>) -> Result<Vec<u8>, AuthClientError> {
        match server_token {
            None => self.ask("YR", &["YR "]),
            // Samba 4 answers the challenge with `AF <AUTHENTICATE>` (older ones with `KK`).
            Some(t) => self.ask(
                &format!("TT {}", BASE64_STANDARD.encode(t)),
                &["KK ", "AF "],
            ),
        }
    }
}

fn ntlm_auth_present() -> bool {
    let found = Command::new("ntlm_auth")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var("SFB_REQUIRE_PEERS").as_deref() != Ok("1"),
            "ntlm_auth (Samba winbind-tools) is required when SFB_REQUIRE_PEERS=1"
        );
        #[allow(clippy::print_stderr)] // the loud skip note is the point
        {
            eprintln!(
                "SKIPPED: ntlm_auth not installed (apt install winbind); set SFB_REQUIRE_PEERS=1 to fail instead"
            );
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samba_ntlm_auth_client_against_the_service() {
    if !ntlm_auth_present() {
        return;
    }
    let svc = service().await;
    let ok = Box::new(NtlmAuthHelper::spawn(PASSWORD).unwrap());
    let t = driver(&svc).run(flow(&svc, true, ok)).await.unwrap();
    assert!(t.proof_key.is_some());
    assert_eq!(svc.issued().len(), 1);
    assert_eq!(svc.issued()[0].user, "CONTOSO\\alice");

    let bad = Box::new(NtlmAuthHelper::spawn("not-the-password").unwrap());
    let e = driver(&svc).run(flow(&svc, false, bad)).await.unwrap_err();
    let DriverError::Flow(WebTicketError::Refused {
        status: 401,
        diagnostics: Some(d),
    }) = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(d.code, 28020);
    assert_eq!(svc.issued().len(), 1);
}
