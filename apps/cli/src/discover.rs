//! `sfb discover <sip-uri>`: step 1 only. Runs the DNS lookup plan (sfb-discovery), then Lync
//! autodiscover on the `lyncdiscover*` hosts that resolved (HTTPS and HTTP, Root → Redirect →
//! User), and prints the queries and HTTP exchanges as they went, the endpoints in the order a
//! client tries them, and the trust verdict of each. `--json` prints the whole result as one
//! object.
//!
//! Without credentials the autodiscover User document is not fetched (it needs a WebTicket):
//! its verdict is then "skipped", never "pass", and the SRV and A records stand.
//!
//! With credentials the WebTicket comes from the WebTicket service over HTTP `Negotiate`
//! (Kerberos: an AP-REQ for `HTTP/<service host>` from sfb-auth's Kerberos client, KDCs from
//! `--kdc` or located through the same name server) or HTTP NTLM, as `--auth` says: `auto`
//! uses Kerberos when a ticket can be had and NTLM otherwise, and the report says which scheme
//! was used and why (`web_ticket_auth`).

use sfb_auth::kerberos::{KdcAddress, TokenRequest};
use sfb_certprov::driver::{
    HttpsUrl, NegotiateTicketRequest, NtlmTicketRequest, WebTicketDriver, fetch_with_negotiate,
    fetch_with_ntlm,
};
use sfb_certprov::negotiate::{PrefetchedApReq, http_spn};
use sfb_certprov::{Password, SipUri as CertprovSipUri};
use sfb_discovery::autodiscover::WebTicket;
use sfb_discovery::autodiscover::{
    Autodiscover, AutodiscoverConfig, AutodiscoverResult, ExchangeOutcome, HttpDriver, SipAddress,
};
use sfb_discovery::driver::{discover_with_progress, parse_dns_server, system_dns_server};
use sfb_discovery::kdc::{KdcOptions, locate_kdcs};
use sfb_discovery::{
    DiscoveryConfig, DiscoveryResult, DomainName, ManualServer, QueryEvidence, SipDomain,
    SplitMix64, TrustVerdict,
};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// JSON schema version of `sfb discover --json`.
const SCHEMA: u32 = 1;

/// How the WebTicket service is authenticated to (`--auth`, as `sfb signin`'s).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum AuthChoice {
    /// Negotiate/Kerberos when a ticket can be had (KDC found, token acquired), else NTLM.
    #[default]
    Auto,
    /// NTLM only.
    Ntlm,
    /// Negotiate/Kerberos only.
    Kerberos,
}

/// Options of `sfb discover`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The user's SIP URI (`sip:alice@contoso.com` or `alice@contoso.com`).
    sip_uri: String,
    /// Name server to ask instead of the system's (first `nameserver` of /etc/resolv.conf).
    #[arg(long, value_name = "ADDR[:PORT]")]
    dns: Option<String>,
    /// Extra trusted domain for strict DNS naming (repeatable).
    #[arg(long = "trust", value_name = "DOMAIN")]
    trust: Vec<String>,
    /// Skip the lookup plan: connect here (manual configuration; only its addresses are looked up).
    #[arg(long, value_name = "HOST[:PORT]")]
    server: Option<String>,
    /// Also try the legacy `_sipinternal._tcp` SRV record (SIP over TCP).
    #[arg(long)]
    legacy_tcp: bool,
    /// As a last resort, also try the bare SIP domain.
    #[arg(long)]
    bare_domain: bool,
    /// Per-query timeout in milliseconds (one attempt per query).
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    query_timeout_ms: u64,
    /// Budget for the whole discovery in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    budget_ms: u64,
    /// Extra trusted root certificate(s) for HTTPS, PEM (repeatable).
    #[arg(long = "ca", value_name = "FILE")]
    ca: Vec<PathBuf>,
    /// Connect to ADDR for HOST:PORT instead of its DNS addresses (curl's --resolve; repeatable).
    #[arg(long = "resolve", value_name = "HOST:PORT:ADDR")]
    resolve: Vec<String>,
    /// Do not query autodiscover over HTTP(S); DNS records only.
    #[arg(long)]
    no_autodiscover: bool,
    /// Timeout of each autodiscover HTTP exchange in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    http_timeout_ms: u64,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    credentials: crate::password::PasswordArgs,
    /// How to authenticate to the WebTicket service (with credentials).
    #[arg(long, value_enum, default_value_t = AuthChoice::Auto)]
    auth: AuthChoice,
    /// Kerberos realm (default: the SIP domain in upper case).
    #[arg(long, value_name = "REALM")]
    realm: Option<String>,
    /// A KDC, `HOST[:PORT]` (repeatable; default: located through the name server).
    #[arg(long, value_name = "HOST[:PORT]")]
    kdc: Vec<String>,
}

/// Everything `sfb discover` found: the DNS plan and, when it ran, autodiscover.
struct Report {
    dns: DiscoveryResult,
    autodiscover: Option<AutodiscoverResult>,
    /// Why a WebTicket could not be had, when credentials were given.
    web_ticket_error: Option<String>,
    /// The scheme the WebTicket service was (last) authenticated to with, and why.
    web_ticket_auth: Option<AuthUsed>,
}

/// Which HTTP authentication scheme got (or failed to get) the WebTicket, and why it was
/// chosen.
struct AuthUsed {
    /// `negotiate` or `ntlm`.
    scheme: &'static str,
    /// Why this scheme (and, for Negotiate, the principal, realm and KDC).
    reason: String,
}

/// What the WebTicket request needs: login, password, the roots, `--resolve` pins.
struct Credentials {
    login: String,
    password: Password,
    sip_uri: String,
    roots: rustls::RootCertStore,
    pins: Vec<(String, u16, SocketAddr)>,
    timeout: Duration,
    kerberos: KerberosSettings,
}

/// What Kerberos needs besides the password: the choice, the realm, the KDCs or where to look
/// for them.
struct KerberosSettings {
    choice: AuthChoice,
    realm: String,
    /// `--kdc`; empty: located through `dns_server`.
    kdcs: Vec<KdcAddress>,
    dns_server: SocketAddr,
    domain: String,
    query_timeout: Duration,
    budget: Duration,
}

/// Runs the command: 0 endpoints found, 1 none found, 2 usage error.
pub(crate) fn run(args: &Args) -> ExitCode {
    let config = match config(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let server = match args.dns.as_deref() {
        Some(s) => parse_dns_server(s).map_err(|e| format!("--dns {s}: {e}")),
        None => system_dns_server().map_err(|e| {
            format!("no system name server ({e})\n  hint: name one with --dns ADDR[:PORT]")
        }),
    };
    let server = match server {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(3);
        }
    };
    let pins = match args
        .resolve
        .iter()
        .map(|r| parse_resolve(r))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let http = if args.no_autodiscover {
        None
    } else {
        match crate::tls_roots::load(&args.ca).and_then(|roots| {
            HttpDriver::new(
                roots,
                Duration::from_millis(args.http_timeout_ms),
                AutodiscoverConfig::default().limits.max_bytes,
            )
            .map_err(|e| format!("cannot set up TLS: {e}"))
        }) {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    };
    let credentials = match args.credentials.password() {
        Ok(None) => None,
        Ok(Some(password)) => {
            let login = args.credentials.user.clone().unwrap_or_else(|| {
                args.sip_uri
                    .trim_start_matches("sip:")
                    .trim_start_matches("sips:")
                    .to_owned()
            });
            let sip_uri = if args.sip_uri.starts_with("sip:") {
                args.sip_uri.clone()
            } else {
                format!("sip:{}", args.sip_uri)
            };
            let domain = config.sip_domain.to_string();
            let mut kdcs = Vec::new();
            for k in &args.kdc {
                match k.parse::<KdcAddress>() {
                    Ok(a) => kdcs.push(a),
                    Err(e) => {
                        eprintln!("error: --kdc {k:?}: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
            let kerberos = KerberosSettings {
                choice: args.auth,
                realm: args
                    .realm
                    .clone()
                    .unwrap_or_else(|| domain.to_ascii_uppercase()),
                kdcs,
                dns_server: server,
                domain,
                query_timeout: config.query_timeout,
                budget: config.budget,
            };
            match crate::tls_roots::load(&args.ca) {
                Ok(roots) => Some(Credentials {
                    login,
                    password,
                    sip_uri,
                    roots,
                    pins: pins.clone(),
                    timeout: Duration::from_millis(args.http_timeout_ms),
                    kerberos,
                }),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let sip_address = match SipAddress::parse(&args.sip_uri) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: invalid SIP URI {:?}: {e}", args.sip_uri);
            return ExitCode::from(2);
        }
    };
    // In text mode the queries are printed as their answers arrive: a slow or silent name
    // server shows itself while the tool waits (every wait is bounded and was printed first).
    let text_mode = !args.json;
    if text_mode {
        println!(
            "discovery for {} (name server {server}, per-query timeout {} ms, budget {} ms)",
            config.sip_domain,
            config.query_timeout.as_millis(),
            config.budget.as_millis()
        );
        println!("\nqueries, as they are answered:");
    }
    let mut shown = std::collections::HashSet::new();
    let mut progress = |q: &QueryEvidence| {
        if text_mode && shown.insert(q.id) {
            println!("{}", query_line(q));
        }
    };
    let report = runtime.block_on(async {
        let dns = discover_with_progress(
            config,
            server,
            Box::new(SplitMix64::from_entropy()),
            &mut progress,
        )
        .await;
        let mut web_ticket_error = None;
        let mut web_ticket_auth = None;
        let autodiscover = match http {
            Some(http) => Some(
                run_autodiscover(
                    http,
                    sip_address,
                    &dns,
                    &pins,
                    credentials.as_ref(),
                    (&mut web_ticket_error, &mut web_ticket_auth),
                )
                .await,
            ),
            None => None,
        };
        Report {
            dns,
            autodiscover,
            web_ticket_error,
            web_ticket_auth,
        }
    });
    if args.json {
        match to_json(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: cannot serialise the result: {e}");
                return ExitCode::from(3);
            }
        }
    } else {
        print!("{}", render_text(&report, &shown));
    }
    let found_by_autodiscover = report
        .autodiscover
        .as_ref()
        .is_some_and(|a| !a.sip_access.is_empty());
    if report.dns.endpoints.is_empty() && !found_by_autodiscover {
        if !args.json {
            eprintln!("error: no SIP endpoint found for {}", report.dns.sip_domain);
        }
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Autodiscover on the hosts the DNS plan resolved, connecting to the addresses it found (or to
/// `--resolve` pins), so that `--dns` governs HTTP too. With credentials, the User document's
/// WebTicket comes from the WebTicket service over HTTP NTLM (sfb-certprov); without, the walk
/// records that the User document needs one.
async fn run_autodiscover(
    mut http: HttpDriver,
    sip: SipAddress,
    dns: &DiscoveryResult,
    pins: &[(String, u16, SocketAddr)],
    credentials: Option<&Credentials>,
    (web_ticket_error, web_ticket_auth): (&mut Option<String>, &mut Option<AuthUsed>),
) -> AutodiscoverResult {
    let mut config = AutodiscoverConfig::default();
    for host in &dns.autodiscover {
        let name = host.host.to_string();
        // Query a host that resolved, or that the user pinned with --resolve.
        let wanted = host.exists || pins.iter().any(|(h, _, _)| *h == name);
        if name.starts_with("lyncdiscoverinternal.") {
            config.internal = wanted;
        } else {
            config.external = wanted;
        }
        if let Some(ip) = host.addresses.first() {
            for port in [443, 80] {
                http = http.resolve(&name, port, SocketAddr::new(*ip, port));
            }
        }
    }
    for (host, port, addr) in pins {
        http = http.resolve(host, *port, *addr);
    }
    let walker = Autodiscover::new(sip, config);
    http.run(walker, async |ticket_url, user_url| {
        let creds = credentials?;
        let (result, used) =
            web_ticket(creds, &ticket_url.to_string(), &user_url.to_string()).await;
        *web_ticket_auth = Some(used);
        match result {
            Ok(ticket) => Some(ticket),
            Err(e) => {
                *web_ticket_error = Some(e);
                None
            }
        }
    })
    .await
}

/// One WebTicket from the service named by the User document's 401, with the scheme that
/// `--auth` and the circumstances chose (reported whether or not the ticket came).
async fn web_ticket(
    creds: &Credentials,
    url: &str,
    applies_to: &str,
) -> (Result<WebTicket, String>, AuthUsed) {
    let ntlm = |reason: String| AuthUsed {
        scheme: "ntlm",
        reason,
    };
    let setup = async {
        let sip_uri = CertprovSipUri::parse(&creds.sip_uri).map_err(|e| e.to_string())?;
        let mut driver = WebTicketDriver::new(creds.roots.clone())
            .map_err(|e| e.to_string())?
            .with_timeout(creds.timeout);
        let host = HttpsUrl::parse(url).map_err(|e| format!("web ticket url {url}: {e}"))?;
        if let Some((_, _, addr)) = creds
            .pins
            .iter()
            .find(|(h, p, _)| h.eq_ignore_ascii_case(&host.host) && *p == host.port)
        {
            driver = driver.with_connect_to(*addr);
        }
        Ok::<_, String>((sip_uri, driver, host))
    };
    let (sip_uri, driver, host) = match setup.await {
        Ok(x) => x,
        Err(e) => {
            let used = AuthUsed {
                scheme: if creds.kerberos.choice == AuthChoice::Kerberos {
                    "negotiate"
                } else {
                    "ntlm"
                },
                reason: "no attempt: the request could not be set up".into(),
            };
            return (Err(e), used);
        }
    };
    let mut rng = |buf: &mut [u8]| fill_random(buf);
    let k = &creds.kerberos;
    let why_ntlm = match k.choice {
        AuthChoice::Ntlm => "--auth ntlm".to_owned(),
        AuthChoice::Kerberos | AuthChoice::Auto => {
            let spn = http_spn(&host.host);
            let failure = match kerberos_ap_req(creds, &spn).await {
                Ok((token, kdc)) => {
                    let request = NegotiateTicketRequest {
                        web_ticket_url: url,
                        applies_to,
                        sip_uri: &sip_uri,
                        use_mex: false,
                    };
                    let source = Box::new(PrefetchedApReq::new(&spn, token));
                    let used = AuthUsed {
                        scheme: "negotiate",
                        reason: format!(
                            "{}: Kerberos ticket for {spn} in realm {} from KDC {kdc}",
                            choice_label(k.choice),
                            k.realm
                        ),
                    };
                    match fetch_with_negotiate(&driver, &request, source, &mut rng).await {
                        Ok(t) => {
                            return (Ok(WebTicket::new(t.token.assertion.into_vec())), used);
                        }
                        Err(e) => {
                            let e = format!("web ticket from {url} with Negotiate/Kerberos: {e}");
                            if k.choice == AuthChoice::Kerberos {
                                return (Err(e), used);
                            }
                            e
                        }
                    }
                }
                Err(e) => {
                    if k.choice == AuthChoice::Kerberos {
                        let used = AuthUsed {
                            scheme: "negotiate",
                            reason: format!(
                                "--auth kerberos: no Kerberos ticket for {spn} in realm {}",
                                k.realm
                            ),
                        };
                        return (Err(format!("web ticket from {url}: {e}")), used);
                    }
                    e
                }
            };
            format!("auto: Kerberos not used ({failure})")
        }
    };
    let request = NtlmTicketRequest {
        web_ticket_url: url,
        applies_to,
        sip_uri: &sip_uri,
        login: &creds.login,
        password: &creds.password,
        use_mex: false,
    };
    let result = fetch_with_ntlm(&driver, &request, &mut rng)
        .await
        .map(|t| WebTicket::new(t.token.assertion.into_vec()))
        .map_err(|e| format!("web ticket from {url}: {e}"));
    (result, ntlm(why_ntlm))
}

fn choice_label(c: AuthChoice) -> &'static str {
    match c {
        AuthChoice::Auto => "auto",
        AuthChoice::Ntlm => "--auth ntlm",
        AuthChoice::Kerberos => "--auth kerberos",
    }
}

/// A Kerberos AP-REQ for `spn` from sfb-auth's Kerberos client (on a blocking thread: it talks
/// to the KDC), with the KDC it came from. The KDCs are `--kdc`'s or located through the name
/// server (`_kerberos._tcp.<REALM>` and the AD names), bounded by the discovery's timeouts.
async fn kerberos_ap_req(creds: &Credentials, spn: &str) -> Result<(Vec<u8>, String), String> {
    let k = &creds.kerberos;
    let kdcs = if k.kdcs.is_empty() {
        let mut options = KdcOptions::new(k.dns_server);
        options.query_timeout = k.query_timeout;
        options.budget = k.budget;
        let found = locate_kdcs(&k.realm, Some(&k.domain), options)
            .await
            .map_err(|e| format!("cannot locate a KDC for realm {}: {e}", k.realm))?;
        if found.kdcs.is_empty() {
            let mut why = format!(
                "no KDC found for realm {} through name server {} (no _kerberos SRV record; name one with --kdc)",
                k.realm, k.dns_server
            );
            for n in found.notes.iter().take(3) {
                why.push_str("; ");
                why.push_str(n);
            }
            return Err(why);
        }
        found
            .kdcs
            .iter()
            .map(|(_, addr)| KdcAddress {
                host: match addr.ip() {
                    std::net::IpAddr::V4(ip) => ip.to_string(),
                    std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                },
                port: addr.port(),
            })
            .collect()
    } else {
        k.kdcs.clone()
    };
    let kdc_list = kdcs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let request = TokenRequest {
        spn: spn.to_owned(),
        realm: k.realm.clone(),
        kdcs,
    };
    // `DOMAIN\user` or `user@upn`: the account name, in the realm.
    let user = creds
        .login
        .rsplit_once('\\')
        .map_or(creds.login.as_str(), |(_, u)| u)
        .to_owned();
    let password = Password::new(creds.password.expose());
    let acquired = tokio::task::spawn_blocking(move || {
        sfb_auth::kerberos::driver::acquire_token(&request, &user, password.expose())
    })
    .await
    .map_err(|e| format!("the Kerberos task failed: {e}"))?;
    match acquired {
        Ok(t) => Ok((t.gss_ap_req, kdc_list)),
        Err(e) => Err(format!(
            "Kerberos ({spn}, realm {}, KDC {kdc_list}): {e}",
            k.realm
        )),
    }
}

/// Operating-system randomness for the WS-Trust context and client entropy.
fn fill_random(buf: &mut [u8]) {
    use std::io::Read as _;
    let filled = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(buf));
    if filled.is_err() {
        // No /dev/urandom: fall back to the discovery crate's entropy-seeded generator.
        use sfb_discovery::SrvRng as _;
        let mut rng = SplitMix64::from_entropy();
        for b in buf.iter_mut() {
            *b = u8::try_from(rng.uniform_inclusive(255)).unwrap_or(0);
        }
    }
}

/// `HOST:PORT:ADDR` (ADDR may be `[v6]` or an IPv4 address, with an optional `:PORT`).
fn parse_resolve(s: &str) -> Result<(String, u16, SocketAddr), String> {
    let bad = || format!("--resolve {s:?}: expected HOST:PORT:ADDR[:PORT]");
    let (host, rest) = s.split_once(':').ok_or_else(bad)?;
    let (port, addr) = rest.split_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let addr: SocketAddr = match addr.parse::<SocketAddr>() {
        Ok(a) => a,
        Err(_) => {
            let ip = addr.trim_start_matches('[').trim_end_matches(']');
            SocketAddr::new(ip.parse().map_err(|_| bad())?, port)
        }
    };
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_ascii_lowercase(), port, addr))
}

fn config(args: &Args) -> Result<DiscoveryConfig, String> {
    let domain = SipDomain::from_sip_uri(&args.sip_uri)
        .map_err(|e| format!("invalid SIP URI {:?}: {e}", args.sip_uri))?;
    let mut config = DiscoveryConfig::new(domain);
    for t in &args.trust {
        config
            .trusted_domains
            .push(DomainName::parse(t).map_err(|e| format!("--trust {t:?}: {e}"))?);
    }
    if let Some(s) = &args.server {
        config.manual_server =
            Some(ManualServer::parse(s).map_err(|e| format!("--server {s:?}: {e}"))?);
    }
    config.legacy_tcp = args.legacy_tcp;
    config.bare_domain = args.bare_domain;
    if args.query_timeout_ms == 0 || args.budget_ms == 0 {
        return Err("--query-timeout-ms and --budget-ms must be positive".into());
    }
    config.query_timeout = Duration::from_millis(args.query_timeout_ms);
    config.budget = Duration::from_millis(args.budget_ms);
    Ok(config)
}

/// The candidate endpoints in the order the desktop client tries them: what autodiscover's
/// User document names first (trusted by the authenticated document, as the client does), then
/// the DNS endpoints.
fn candidates(report: &Report) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    if let Some(a) = &report.autodiscover {
        for acc in a.client_endpoints() {
            out.push(serde_json::json!({
                "host": acc.fqdn.to_string(),
                "port": acc.port,
                "transport": "tls",
                "source": "autodiscover",
                "record": format!("autodiscover {:?} {}:{}", acc.kind, acc.fqdn, acc.port),
                "trusted": true,
            }));
        }
    }
    for e in &report.dns.endpoints {
        out.push(serde_json::json!({
            "host": e.host,
            "port": e.port,
            "transport": e.transport,
            "source": e.source,
            "record": e.record,
            "trusted": e.trusted,
        }));
    }
    out
}

fn to_json(report: &Report) -> Result<String, serde_json::Error> {
    let mut value = serde_json::to_value(&report.dns)?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert("schema".into(), SCHEMA.into());
        obj.insert("candidates".into(), candidates(report).into());
        obj.insert(
            "autodiscover_http".into(),
            serde_json::to_value(&report.autodiscover)?,
        );
        obj.insert(
            "web_ticket_error".into(),
            serde_json::to_value(&report.web_ticket_error)?,
        );
        obj.insert(
            "web_ticket_auth".into(),
            match &report.web_ticket_auth {
                Some(a) => serde_json::json!({ "scheme": a.scheme, "reason": a.reason }),
                None => serde_json::Value::Null,
            },
        );
    }
    serde_json::to_string_pretty(&value)
}

/// One query as a line of the text report.
fn query_line(q: &QueryEvidence) -> String {
    let answers = if q.answers.is_empty() {
        String::new()
    } else {
        let data: Vec<String> = q.answers.iter().map(|a| a.data.to_string()).collect();
        format!(" -> {}", data.join(", "))
    };
    let ttl = q.ttl.map(|t| format!(" ttl {t}")).unwrap_or_default();
    format!(
        "  {:<6} {:<48} {:<16} {:>5} ms{ttl}{answers}",
        q.rtype.to_string(),
        q.name.to_string(),
        q.outcome.label(),
        q.duration_ms
    )
}

/// The rest of the human-readable report, after the queries printed as they ran: the queries
/// that ended without an answer (timeouts, budget), autodiscover, endpoints, notes.
fn render_text(report: &Report, shown: &std::collections::HashSet<u64>) -> String {
    let r = &report.dns;
    let mut s = String::new();
    for q in r.evidence.iter().filter(|q| !shown.contains(&q.id)) {
        let _ = writeln!(s, "{}", query_line(q));
    }
    if r.budget_exhausted {
        let _ = writeln!(s, "  (the discovery budget ran out)");
    }
    if !r.autodiscover.is_empty() {
        let _ = writeln!(s, "\nautodiscover hosts:");
        for a in &r.autodiscover {
            let state = if a.exists { "resolves" } else { "absent" };
            let _ = writeln!(s, "  {:<48} {state} {:?}", a.host.to_string(), a.addresses);
        }
    }
    if let Some(a) = &report.autodiscover {
        render_autodiscover(&mut s, a);
    }
    if let Some(a) = &report.web_ticket_auth {
        let scheme = match a.scheme {
            "negotiate" => "Negotiate (Kerberos)",
            _ => "NTLM",
        };
        let state = if report.web_ticket_error.is_some() {
            "tried with"
        } else {
            "obtained with"
        };
        let _ = writeln!(s, "  web ticket {state} {scheme}: {}", a.reason);
    }
    if let Some(e) = &report.web_ticket_error {
        let _ = writeln!(s, "  web ticket: {e}");
    }
    if let Some(a) = &report.autodiscover {
        let found = a.client_endpoints();
        if !found.is_empty() {
            let _ = writeln!(s, "\nendpoints from autodiscover (tried first):");
            for (i, acc) in found.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "  {}. {}:{} tls ({:?})",
                    i + 1,
                    acc.fqdn,
                    acc.port,
                    acc.kind
                );
            }
        }
    }
    let _ = writeln!(s, "\nendpoints from DNS, in the order a client tries them:");
    if r.endpoints.is_empty() {
        let _ = writeln!(s, "  (none)");
    }
    for (i, e) in r.endpoints.iter().enumerate() {
        let addrs: Vec<String> = e.addresses.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            s,
            "  {}. {}:{} {} from {} [{}] addresses [{}] {}",
            i + 1,
            e.host,
            e.port,
            format!("{:?}", e.transport).to_lowercase(),
            e.record,
            format!("{:?}", e.location).to_lowercase(),
            addrs.join(", "),
            trust_text(&e.trust)
        );
    }
    for n in &r.notes {
        let _ = writeln!(s, "note: {n}");
    }
    for t in &r.skipped_tiers {
        let _ = writeln!(s, "skipped: {t}");
    }
    s
}

fn trust_text(t: &TrustVerdict) -> String {
    match t {
        TrustVerdict::SipDomain => "trusted (in the SIP domain)".into(),
        TrustVerdict::TrustedDomain { domain } => format!("trusted (trusted domain {domain})"),
        TrustVerdict::Manual => "trusted (configured by hand)".into(),
        TrustVerdict::Violation { chain } => format!("NOT TRUSTED: strict DNS naming, {chain}"),
    }
}

fn render_autodiscover(s: &mut String, a: &AutodiscoverResult) {
    let _ = writeln!(s, "\nautodiscover over HTTP(S) for {}:", a.sip_address);
    for x in &a.evidence {
        let status = x
            .status
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".into());
        let ms = x.duration_ms.map(|d| format!("{d} ms")).unwrap_or_default();
        let outcome = match &x.outcome {
            ExchangeOutcome::Pending => "pending".to_owned(),
            ExchangeOutcome::Document {
                resource,
                redirect,
                sip_access,
                ..
            } => match redirect {
                Some(to) => format!("{resource:?} document, redirect to {to}"),
                None => format!("{resource:?} document, {sip_access} SIP access element(s)"),
            },
            ExchangeOutcome::AuthenticationRequired { .. } => {
                "authentication required (WebTicket)".to_owned()
            }
            ExchangeOutcome::Failed { fault } => format!("failed: {fault}"),
            ExchangeOutcome::NotUsed => "not used (the other scheme answered first)".to_owned(),
        };
        let _ = writeln!(s, "  GET {} -> {status} {outcome} ({ms})", x.url);
    }
    let _ = writeln!(s, "  verdict: {}", a.verdict);
    for w in &a.warnings {
        let _ = writeln!(
            s,
            "  warning: {}",
            serde_json::to_string(w).unwrap_or_default()
        );
    }
    for acc in &a.sip_access {
        let _ = writeln!(
            s,
            "  sip access: {}",
            serde_json::to_string(acc).unwrap_or_default()
        );
    }
}
