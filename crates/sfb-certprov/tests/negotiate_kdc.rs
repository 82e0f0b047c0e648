//! WebTicket over HTTP Negotiate/Kerberos against a real MIT KDC (started by the test with
//! `scripts/kdc-up.sh`, plus an `HTTP/lyncweb.contoso.test` principal added here): our client's
//! AP-REQ comes from sfb-auth's Kerberos driver (through `KerberosTokenSource`), the test
//! service accepts it with sfb-auth's keytab server as the injected authenticator.
//!
//! Missing MIT binaries: a loud skip, or a failure with `SFB_REQUIRE_PEERS=1`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use sfb_auth::kerberos::keytab::Keytab;
use sfb_auth::kerberos::{DEFAULT_SKEW, KerberosServer, ServiceKey, TokenRequest, driver};
use sfb_certprov::driver::{
    DriverError, NegotiateTicketRequest, WebTicketDriver, fetch_with_negotiate,
};
use sfb_certprov::negotiate::{KerberosTokenSource, PrefetchedApReq, http_spn, mech_token};
use sfb_certprov::test_service::{AuthVerdict, HttpAuthenticator, TestService, TestServiceConfig};
use sfb_certprov::{AuthClientError, SipUri, WebTicketError};

const HOST: &str = "lyncweb.contoso.test";
const REALM: &str = "CONTOSO.TEST";
const USER_URL: &str =
    "https://lyncweb.contoso.test/Autodiscover/AutodiscoverService.svc/root/user";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn have(cmd: &str) -> bool {
    [
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
        "/usr/local/bin",
        "/usr/local/sbin",
    ]
    .iter()
    .any(|d| Path::new(d).join(cmd).exists())
}

#[allow(
    clippy::print_stderr,
    reason = "the skip note must be loud on the test's stderr"
)]
fn peers_present() -> bool {
    let missing: Vec<&str> = ["krb5kdc", "kdb5_util", "kadmin.local"]
        .into_iter()
        .filter(|b| !have(b))
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("SFB_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!("required test peer missing: {missing:?} (SFB_REQUIRE_PEERS=1)");
    }
    eprintln!(
        "\n!!!!! SKIPPED: test peer missing: {missing:?} (set SFB_REQUIRE_PEERS=1 to make this fail) !!!!!\n"
    );
    false
}

/// A throw-away MIT KDC with an `HTTP/<HOST>` service principal in `http.keytab`.
struct Kdc {
    dir: PathBuf,
    port: u16,
}

impl Drop for Kdc {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo_root().join("scripts/kdc-down.sh"))
            .arg(&self.dir)
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Kdc {
    fn start() -> Option<Self> {
        if !peers_present() {
            return None;
        }
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("sfb-certprov-krb-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let path = format!(
            "/usr/sbin:/sbin:{}",
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/kdc-up.sh"))
            .arg(&dir)
            .arg(port.to_string())
            .env("PATH", &path)
            .env("KDC_TIME_OFFSET", "")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let kdc = Self { dir, port };
        assert!(
            out.status.success(),
            "kdc-up.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for q in [
            format!("addprinc -randkey HTTP/{HOST}"),
            format!(
                "ktadd -k {} HTTP/{HOST}",
                kdc.dir.join("http.keytab").display()
            ),
        ] {
            let out = Command::new("kadmin.local")
                .args(["-q", &q])
                .env("PATH", &path)
                .env("KRB5_CONFIG", kdc.dir.join("krb5.conf"))
                .env("KRB5_KDC_PROFILE", kdc.dir.join("kdc.conf"))
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "kadmin.local {q}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Some(kdc)
    }

    fn request(&self, spn: &str) -> TokenRequest {
        TokenRequest {
            spn: spn.into(),
            realm: REALM.into(),
            kdcs: vec![format!("127.0.0.1:{}", self.port).parse().unwrap()],
        }
    }

    fn keys(&self) -> Vec<ServiceKey> {
        let kt = Keytab::parse(&std::fs::read(self.dir.join("http.keytab")).unwrap()).unwrap();
        let keys = ServiceKey::from_keytab(&kt, &format!("HTTP/{HOST}"));
        assert!(!keys.is_empty(), "no HTTP/{HOST} keys in the keytab");
        keys
    }
}

/// sfb-auth's keytab server behind the test service: the AP-REQ from the SPNEGO token.
struct KrbAuthenticator(KerberosServer);

impl HttpAuthenticator for KrbAuthenticator {
    fn step(&mut self, client_token: &[u8]) -> AuthVerdict {
        let ap_req = match mech_token(client_token) {
            Ok(t) => t,
            Err(e) => {
                return AuthVerdict::Rejected {
                    reason: e.to_string(),
                };
            }
        };
        match self.0.accept(ap_req, SystemTime::now()) {
            Ok(ctx) => AuthVerdict::Accepted { user: ctx.client },
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

async fn service(kdc: &Kdc) -> TestService {
    let keys = kdc.keys();
    let config = TestServiceConfig {
        host: HOST.into(),
        authenticator: Arc::new(move || {
            Box::new(KrbAuthenticator(KerberosServer::new(
                keys.clone(),
                DEFAULT_SKEW,
            )))
        }),
        rng: Arc::new(Mutex::new(counter(9))),
        lifetime_secs: 3600,
    };
    TestService::start(config).await.unwrap()
}

/// The AP-REQ for `spn` from sfb-auth's driver, on a blocking thread (it talks to the KDC).
async fn ap_req(kdc: &Kdc, spn: &str, password: &str) -> Result<Vec<u8>, String> {
    let request = kdc.request(spn);
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        driver::acquire_token(&request, "alice", &password)
            .map(|t| t.gss_ap_req)
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap()
}

async fn fetch(
    svc: &TestService,
    source: Box<dyn KerberosTokenSource>,
) -> Result<sfb_certprov::WebTicket, DriverError> {
    let sip = SipUri::parse("sip:alice@contoso.test").unwrap();
    let driver = WebTicketDriver::new(svc.roots())
        .unwrap()
        .with_connect_to(svc.addr);
    let req = NegotiateTicketRequest {
        web_ticket_url: &svc.url,
        applies_to: USER_URL,
        sip_uri: &sip,
        use_mex: false,
    };
    fetch_with_negotiate(&driver, &req, source, &mut counter(1)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kerberos_web_ticket_from_a_real_kdc() {
    let Some(kdc) = Kdc::start() else { return };
    let svc = service(&kdc).await;
    let spn = http_spn(HOST);
    assert_eq!(spn, "HTTP/lyncweb.contoso.test");
    let token = ap_req(&kdc, &spn, "Passw0rd").await.unwrap();
    let t = fetch(&svc, Box::new(PrefetchedApReq::new(&spn, token)))
        .await
        .unwrap();
    let issued = svc.issued();
    assert_eq!(issued.len(), 1);
    // The service knows the client from the ticket, not from anything the client claimed.
    assert_eq!(issued[0].user, "alice@CONTOSO.TEST");
    assert_eq!(issued[0].sip_uri, "sip:alice@contoso.test");
    assert_eq!(Some(&issued[0].proof_key), t.proof_key.as_ref());
    let a = std::str::from_utf8(t.token.assertion.expose()).unwrap();
    assert!(a.contains("alice@CONTOSO.TEST"), "{a}");
}

/// A source that runs sfb-auth's driver when asked (blocking, so in `block_in_place`).
struct LiveSource {
    request: TokenRequest,
    password: String,
    asked: Arc<Mutex<Vec<String>>>,
}

impl KerberosTokenSource for LiveSource {
    fn ap_req(&mut self, spn: &str) -> Result<Vec<u8>, AuthClientError> {
        if let Ok(mut v) = self.asked.lock() {
            v.push(spn.to_owned());
        }
        let mut request = self.request.clone();
        request.spn = spn.to_owned();
        tokio::task::block_in_place(|| driver::acquire_token(&request, "alice", &self.password))
            .map(|t| t.gss_ap_req)
            .map_err(|e| AuthClientError::MechanismFailed {
                detail: e.to_string(),
            })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_source_is_asked_for_http_host_and_its_errors_surface() {
    let Some(kdc) = Kdc::start() else { return };
    let svc = service(&kdc).await;
    let asked = Arc::new(Mutex::new(Vec::new()));
    let live = |password: &str| LiveSource {
        request: kdc.request("unused"),
        password: password.into(),
        asked: asked.clone(),
    };
    fetch(&svc, Box::new(live("Passw0rd"))).await.unwrap();
    assert_eq!(*asked.lock().unwrap(), ["HTTP/lyncweb.contoso.test"]);

    // Wrong password: the KDC refuses the pre-authentication, nothing reaches the service.
    let e = fetch(&svc, Box::new(live("wrong"))).await.unwrap_err();
    let DriverError::Flow(WebTicketError::AuthClient(AuthClientError::MechanismFailed { detail })) =
        &e
    else {
        panic!("{e:?}")
    };
    assert!(detail.contains("wrong password"), "{detail}");
    assert_eq!(svc.issued().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_for_another_service_is_refused_with_diagnostics() {
    let Some(kdc) = Kdc::start() else { return };
    let svc = service(&kdc).await;
    // A valid AP-REQ, but for sip/sip.contoso.test: the HTTP service has no key for it.
    let token = ap_req(&kdc, "sip/sip.contoso.test", "Passw0rd")
        .await
        .unwrap();
    let e = fetch(&svc, Box::new(PrefetchedApReq::new(http_spn(HOST), token)))
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
    assert!(svc.issued().is_empty());
}

/// The independent acceptor: MIT krb5's GSS-API through python-gssapi (`scripts/gssapi_oracle.py`
/// in accept mode, default mechanism, so its SPNEGO layer reads our NegTokenInit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mit_gssapi_accepts_our_spnego_token() {
    use base64::prelude::{BASE64_STANDARD, Engine as _};
    use sfb_certprov::HttpAuthClient;
    use sfb_certprov::negotiate::NegotiateHttpClient;
    use std::io::Write;

    let Some(kdc) = Kdc::start() else { return };
    let python = std::env::var("SFB_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python)
        .args(["-c", "import gssapi"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !probe {
        assert!(
            std::env::var("SFB_REQUIRE_PEERS").as_deref() != Ok("1"),
            "required test peer missing: python-gssapi in {python} (SFB_REQUIRE_PEERS=1)"
        );
        eprintln!(
            "\n!!!!! SKIPPED: python-gssapi missing in {python} (set SFB_PYTHON; SFB_REQUIRE_PEERS=1 makes this fail) !!!!!\n"
        );
        return;
    }
    let spn = http_spn(HOST);
    let ap_req = ap_req(&kdc, &spn, "Passw0rd").await.unwrap();
    let mut client = NegotiateHttpClient::new(Box::new(PrefetchedApReq::new(&spn, ap_req)), HOST);
    let token = client.step(None).unwrap();

    let mut child = Command::new(&python)
        .arg(repo_root().join("scripts/gssapi_oracle.py"))
        .env("KRB5_CONFIG", kdc.dir.join("krb5.conf"))
        .env(
            "KRB5_KTNAME",
            format!("FILE:{}", kdc.dir.join("http.keytab").display()),
        )
        .env("KRB5RCACHETYPE", "none")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let request = format!(
        r#"{{"mode": "accept", "token": "{}"}}"#,
        BASE64_STANDARD.encode(&token)
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let reply = String::from_utf8_lossy(&out.stdout);
    assert!(
        reply.contains(r#""complete": true"#)
            && reply.contains(r#""initiator": "alice@CONTOSO.TEST""#),
        "{reply} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
