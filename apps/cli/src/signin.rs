//! `sfb signin <sip-uri>`: steps 1 to 5 for real. DNS discovery (or `--server`), then the
//! sign-in machine of sfb-session over TLS: REGISTER, MS-SIPAE (NTLM or Kerberos), redirect,
//! the settings requests, and with `--stay` staying registered until Ctrl-C. Progress per
//! step goes to stderr; stdout gets a compact ladder and the settings retrieved, or with
//! `--json` the whole sign-in trace.
//!
//! Exit codes: 0 signed in (or `--no-auth` done), 1 failed, 2 usage error, 3 internal error.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use sfb_auth::kerberos::KdcAddress;
use sfb_discovery::driver::{parse_dns_server, system_dns_server};
use sfb_discovery::{DiscoveryConfig, DomainName, ManualServer, SipDomain};
use sfb_session::run::machine_name;
use sfb_session::signin::{Event, Outcome};
use sfb_session::{SchemeChoice, SignInRequest, TlsSettings, sign_in, succeeded};
use sfb_trace::{Direction, EvidenceKind, RedactionPolicy, SignInTrace, Status, Step};

/// Which schemes `--auth` allows.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum AuthChoice {
    /// Kerberos then NTLM inside the network, NTLM outside.
    #[default]
    Auto,
    /// NTLM only.
    Ntlm,
    /// Kerberos only.
    Kerberos,
    /// TLS-DSK (not yet supported).
    TlsDsk,
}

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The user's SIP URI (`sip:alice@contoso.com`).
    sip_uri: String,
    #[command(flatten)]
    credentials: crate::password::PasswordArgs,
    /// Stop after the first 401 and report what it offers (no password needed).
    #[arg(long, conflicts_with_all = ["password_env", "password_file"])]
    no_auth: bool,
    /// Authentication scheme.
    #[arg(long, value_enum, default_value_t = AuthChoice::Auto)]
    auth: AuthChoice,
    /// Kerberos realm (default: the registrar's domain in upper case).
    #[arg(long, value_name = "REALM")]
    realm: Option<String>,
    /// A KDC, `HOST[:PORT]` (repeatable; default: the realm's domain name).
    #[arg(long, value_name = "HOST[:PORT]")]
    kdc: Vec<String>,
    /// Connect to this registrar instead of discovering one.
    #[arg(long, value_name = "HOST[:PORT]")]
    server: Option<String>,
    /// Sign in as a remote user: only external endpoints (or --server taken as an Access
    /// Edge), NTLM by policy, and stay on the Edge after a 301.
    #[arg(long)]
    external: bool,
    /// Name server for discovery and redirect targets.
    #[arg(long, value_name = "ADDR[:PORT]")]
    dns: Option<String>,
    /// Extra trust anchors (PEM), on top of the system's.
    #[arg(long = "ca", value_name = "FILE")]
    ca: Vec<PathBuf>,
    /// A domain whose servers are trusted besides the SIP domain (discovery's strict naming).
    #[arg(long = "trust", value_name = "DOMAIN")]
    trust: Vec<String>,
    /// The User-Agent to send (default: a current Skype for Business desktop client).
    #[arg(long, value_name = "UA")]
    user_agent: Option<String>,
    /// Print the sign-in trace as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Stay registered (re-REGISTER, keep-alives) until Ctrl-C, then un-REGISTER.
    #[arg(long)]
    stay: bool,
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// Reads a password from the terminal without echo (`stty -echo`).
fn prompt(login: &str) -> Result<sfb_certprov::Password, String> {
    if !std::io::stdin().is_terminal() {
        return Err(
            "no password source: use --password-env VAR, --password-file FILE or --no-auth".into(),
        );
    }
    eprint!("password for {login}: ");
    let _ = std::io::stderr().flush();
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
    };
    let _ = stty("-echo");
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    let _ = stty("echo");
    eprintln!();
    read.map_err(|e| format!("cannot read the password: {e}"))?;
    let pw = line.trim_end_matches(['\r', '\n']).to_owned();
    if pw.is_empty() {
        return Err("empty password".into());
    }
    Ok(sfb_certprov::Password::new(pw))
}

/// One progress line on stderr.
fn progress_line(e: &Event) -> Option<String> {
    let mark = |s: Status| match s {
        Status::Pass => "ok  ",
        Status::Warn => "warn",
        Status::Fail => "FAIL",
        Status::Skipped => "skip",
    };
    match e {
        Event::StepStatus {
            step,
            status,
            sentence,
            ..
        } => Some(format!("[{}] {step:?}: {sentence}", mark(*status))),
        Event::Setting {
            item,
            status,
            sentence,
            ..
        } => Some(format!(
            "[{}] settings/{}: {sentence}",
            mark(*status),
            item.name()
        )),
        Event::Fact { source, fields, .. } => match source.as_str() {
            "first_401" => Some(format!(
                "       401 offers {} (realm {:?}, {})",
                fields.get("offers").map_or("", String::as_str),
                fields.get("realm").map_or("", String::as_str),
                fields.get("targetnames").map_or("", String::as_str),
            )),
            "scheme_selection" => Some(format!(
                "       scheme {}",
                fields.get("reason").map_or("", String::as_str)
            )),
            "redirect" => Some(format!(
                "       redirected by {} to {}",
                fields.get("from").map_or("", String::as_str),
                fields.get("contacts").map_or("", String::as_str)
            )),
            "kerberos" => Some(format!(
                "       Kerberos failed: {}",
                fields.get("error").map_or("", String::as_str)
            )),
            _ => None,
        },
        Event::Note { text, .. } => Some(format!("       note: {text}")),
        _ => None,
    }
}

/// The compact ladder and what the settings said.
fn render(trace: &SignInTrace, outcome: &Outcome) -> String {
    let mut s = String::from("ladder:\n");
    for e in &trace.evidence {
        match &e.kind {
            EvidenceKind::Tls(t) => {
                s.push_str(&format!("  == TLS {}:{} {:?}\n", t.host, t.port, t.outcome))
            }
            EvidenceKind::Sip(m) => {
                let first = m.text.lines().next().unwrap_or_default();
                let arrow = if m.direction == Direction::Sent {
                    "->"
                } else {
                    "<-"
                };
                s.push_str(&format!("  {arrow} {first}\n"));
            }
            _ => {}
        }
    }
    let mut settings = String::new();
    for e in &trace.evidence {
        if let EvidenceKind::Fact(f) = &e.kind
            && (f.source.starts_with("setting:")
                || f.source.starts_with("benotify:")
                || f.source.starts_with("notify:"))
        {
            settings.push_str(&format!(
                "  {}: {}\n",
                f.source,
                f.sentence.clone().unwrap_or_default()
            ));
            for (k, v) in &f.fields {
                settings.push_str(&format!("      {k} = {v}\n"));
            }
            for i in &f.items {
                settings.push_str(&format!("      {i}\n"));
            }
        }
    }
    if !settings.is_empty() {
        s.push_str("\nsettings retrieved:\n");
        s.push_str(&settings);
    }
    s.push_str(&match outcome {
        Outcome::SignedIn => "\nresult: signed in\n".to_owned(),
        Outcome::NoAuth => "\nresult: --no-auth, stopped after the first 401\n".to_owned(),
        Outcome::Failed {
            step,
            cause,
            sentence,
        } => format!("\nresult: FAILED at {step:?} ({cause}): {sentence}\n"),
    });
    s
}

pub(crate) fn run(args: &Args) -> ExitCode {
    if args.auth == AuthChoice::TlsDsk {
        return usage("--auth tls-dsk: not yet supported");
    }
    let sip_uri = if args.sip_uri.starts_with("sip:") {
        args.sip_uri.clone()
    } else {
        format!("sip:{}", args.sip_uri)
    };
    let domain = match SipDomain::from_sip_uri(&sip_uri) {
        Ok(d) => d,
        Err(e) => return usage(&format!("invalid SIP URI {:?}: {e}", args.sip_uri)),
    };
    let mut config = DiscoveryConfig::new(domain);
    for t in &args.trust {
        match DomainName::parse(t) {
            Ok(d) => config.trusted_domains.push(d),
            Err(e) => return usage(&format!("--trust {t:?}: {e}")),
        }
    }
    if let Some(s) = &args.server {
        match ManualServer::parse(s) {
            Ok(m) => config.manual_server = Some(m),
            Err(e) => return usage(&format!("--server {s:?}: {e}")),
        }
    }
    let mut kdcs = Vec::new();
    for k in &args.kdc {
        match k.parse::<KdcAddress>() {
            Ok(a) => kdcs.push(a),
            Err(e) => return usage(&format!("--kdc {k:?}: {e}")),
        }
    }
    let dns_server = match args.dns.as_deref() {
        Some(s) => parse_dns_server(s).map_err(|e| format!("--dns {s}: {e}")),
        None => system_dns_server().map_err(|e| {
            format!("no system name server ({e})\n  hint: name one with --dns ADDR[:PORT]")
        }),
    };
    let dns_server = match dns_server {
        Ok(s) => s,
        Err(e) => return usage(&e),
    };
    let login = args
        .credentials
        .user
        .clone()
        .unwrap_or_else(|| sip_uri.trim_start_matches("sip:").to_owned());
    let password = if args.no_auth {
        None
    } else {
        match args.credentials.password() {
            Ok(Some(p)) => Some(p),
            Ok(None) => match prompt(&login) {
                Ok(p) => Some(p),
                Err(e) => return usage(&e),
            },
            Err(e) => return usage(&e),
        }
    };
    let roots = match crate::tls_roots::load_der(&args.ca) {
        Ok(r) => r,
        Err(e) => return usage(&e),
    };
    let tls = match TlsSettings::new(&roots, Arc::new(rustls::time_provider::DefaultTimeProvider)) {
        Ok(t) => t,
        Err(e) => return usage(&format!("TLS set-up: {e}")),
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
    eprintln!("signing in {sip_uri} (name server {dns_server})");
    let cancel: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    let stay = args.stay;
    let request = SignInRequest {
        sip_uri: sip_uri.clone(),
        discovery: config,
        dns_server,
        dns_for_targets: args.dns.is_some(),
        login: Some(login),
        password,
        scheme: match args.auth {
            AuthChoice::Auto => SchemeChoice::Auto,
            AuthChoice::Ntlm => SchemeChoice::Ntlm,
            AuthChoice::Kerberos | AuthChoice::TlsDsk => SchemeChoice::Kerberos,
        },
        realm: args.realm.clone(),
        kdcs,
        tls,
        user_agent: args.user_agent.clone(),
        stay,
        external: args.external,
        tool: format!("sfb {}", env!("CARGO_PKG_VERSION")),
        policy: RedactionPolicy::default(),
        machine_name: machine_name(),
        progress: Some(Box::new(move |e: &Event| {
            if let Some(l) = progress_line(e) {
                eprintln!("{l}");
            }
            if let Event::StepStatus {
                step: Step::Settings,
                status: Status::Pass | Status::Warn,
                ..
            } = e
                && stay
            {
                eprintln!("       staying registered; Ctrl-C to sign out");
            }
        })),
        cancel: Some(cancel),
    };
    let report = runtime.block_on(sign_in(request));
    let trace = report.trace;
    let outcome = match (report.outcome, report.error) {
        (Some(o), _) => o,
        (None, e) => {
            if args.json {
                println!("{}", trace.to_json());
            }
            eprintln!("error: {}", e.unwrap_or_default());
            return ExitCode::from(1);
        }
    };
    if args.json {
        println!("{}", trace.to_json());
    } else {
        print!("{}", render(&trace, &outcome));
    }
    if succeeded(&outcome) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
