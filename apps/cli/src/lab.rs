//! `sfb lab`: runs the emulated deployment (sfb-lab) in the foreground until Ctrl-C.
//!
//! With `--json` the first line on stdout is exactly one JSON object (the lab's
//! [`sfb_lab::LabInfo`], schema 1): where the name server is, the CA file to trust, the SIP
//! domain, the users with their throw-away passwords, the roles and the `--resolve` pins for the
//! web services. Without it, the same in words, with a ready-to-run `sfb discover` line.
//!
//! Kerberos: `--kerberos` starts the lab's own throw-away MIT KDC (`sfb_lab::kdc`; the JSON
//! then also has `kerberos_realm` and `kdc`), `--kerberos-keytab FILE --kerberos-realm REALM`
//! uses an external one. A Kerberos scenario without either starts the lab's KDC when MIT
//! krb5-kdc is installed, and otherwise runs without Kerberos after a note on stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use sfb_lab::sip::KerberosConfig;
use sfb_lab::{Lab, LabConfig, Scenario};

/// Options of `sfb lab`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The fault scenario (see --list-scenarios).
    #[arg(long, value_name = "NAME", default_value = "healthy")]
    scenario: String,
    /// List the scenarios and exit.
    #[arg(long)]
    list_scenarios: bool,
    /// Keep the root CA here (created if absent) and write ca.pem here.
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Print where everything is as one JSON object on the first stdout line.
    #[arg(long)]
    json: bool,
    /// Serve DNS as the Internet sees it (external records only): clients sign in as remote
    /// users through the Access Edge.
    #[arg(long)]
    external_view: bool,
    /// Start the lab's own throw-away MIT KDC (realm CONTOSO.TEST) and offer Kerberos.
    #[arg(long, conflicts_with = "kerberos_keytab")]
    kerberos: bool,
    /// Keytab with the pools' sip/ keys (Kerberos against a real KDC); needs --kerberos-realm.
    #[arg(long, value_name = "FILE", requires = "kerberos_realm")]
    kerberos_keytab: Option<PathBuf>,
    /// The Kerberos realm, e.g. CONTOSO.TEST; needs --kerberos-keytab.
    #[arg(long, value_name = "REALM", requires = "kerberos_keytab")]
    kerberos_realm: Option<String>,
}

/// Runs the command: 0 after Ctrl-C, 1 when the lab cannot start, 2 usage error.
pub(crate) fn run(args: &Args) -> ExitCode {
    if args.list_scenarios {
        if args.json {
            let list: Vec<serde_json::Value> = Scenario::ALL
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "name": s.name(),
                        "layer": format!("{:?}", s.layer()).to_lowercase(),
                        "description": s.description(),
                    })
                })
                .collect();
            println!("{}", serde_json::Value::from(list));
        } else {
            for s in Scenario::ALL {
                println!("{:<34} {}", s.name(), s.description());
            }
        }
        return ExitCode::SUCCESS;
    }
    let scenario: Scenario = match args.scenario.parse() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut config = LabConfig::new(scenario);
    config.state_dir = args.state_dir.clone();
    config.external_view = args.external_view;
    if let (Some(keytab), Some(realm)) = (&args.kerberos_keytab, &args.kerberos_realm) {
        config.kerberos = Some(KerberosConfig {
            keytab: keytab.clone(),
            realm: realm.clone(),
        });
    }
    if args.kerberos {
        config.mit_kdc = true;
    } else if scenario.needs_kerberos() && config.kerberos.is_none() {
        match sfb_lab::kdc::check_installed() {
            Ok(()) => config.mit_kdc = true,
            Err(e) => eprintln!(
                "note: the scenario {scenario} needs Kerberos and the lab's own KDC cannot run ({e}); the registrars offer NTLM only"
            ),
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(3);
        }
    };
    runtime.block_on(async {
        // Handlers first: a signal that arrives once the lab has printed where it is stops it
        // cleanly.
        let stop = Stop::register();
        let lab = match Lab::start(config).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: the lab did not start: {e}");
                return ExitCode::from(1);
            }
        };
        let info = lab.info();
        if args.json {
            match serde_json::to_string(info) {
                Ok(line) => println!("{line}"),
                Err(e) => {
                    eprintln!("error: cannot serialise the lab's description: {e}");
                    lab.shutdown().await;
                    return ExitCode::from(3);
                }
            }
        } else {
            print!("{}", render_text(info));
        }
        // Ctrl-C (or SIGTERM) stops the lab cleanly.
        stop.wait().await;
        lab.shutdown().await;
        if !args.json {
            println!("lab stopped");
        }
        ExitCode::SUCCESS
    })
}

/// SIGINT (Ctrl-C) and SIGTERM, registered before the lab starts.
struct Stop {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Stop {
    fn register() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signals = signal(SignalKind::interrupt())
                .and_then(|int| Ok((int, signal(SignalKind::terminate())?)))
                .ok();
            Self { signals }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    async fn wait(self) {
        #[cfg(unix)]
        if let Some((mut int, mut term)) = self.signals {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn render_text(info: &sfb_lab::LabInfo) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "sfb lab: {} (scenario {}), name server {}",
        info.sip_domain, info.scenario, info.dns
    );
    let _ = writeln!(s, "trust: {}", info.ca_file.display());
    let _ = writeln!(s, "\nroles:");
    for r in &info.roles {
        let state = if r.listening {
            ""
        } else {
            "  (nothing listens)"
        };
        let _ = writeln!(s, "  {:<9} {:<22} {}{state}", r.role, r.fqdn, r.addr);
    }
    let _ = writeln!(
        s,
        "  autodiscover https {}  http {}",
        info.autodiscover_https, info.autodiscover_http
    );
    let _ = writeln!(s, "  web ticket   {}", info.web_ticket_url);
    match (&info.kerberos_realm, &info.kdc) {
        (Some(realm), Some(kdc)) => {
            let _ = writeln!(s, "  kerberos     realm {realm}, KDC {kdc} (TCP and UDP)");
        }
        (Some(realm), None) => {
            let _ = writeln!(s, "  kerberos     realm {realm} (external KDC)");
        }
        _ => {}
    }
    let _ = writeln!(s, "\nusers (throw-away passwords):");
    for u in &info.users {
        let _ = writeln!(
            s,
            "  {:<26} {:<16} {:<14} home {}",
            u.sip_uri, u.login, u.password, u.home_pool
        );
    }
    let pins: Vec<String> = info
        .resolve
        .iter()
        .map(|r| format!(" --resolve {r}"))
        .collect();
    if let Some(u) = info.users.first() {
        let _ = writeln!(
            s,
            "\ntry:\n  sfb discover {} --dns {} --ca {}{}",
            u.sip_uri,
            info.dns,
            info.ca_file.display(),
            pins.concat()
        );
    }
    let _ = writeln!(s, "\nCtrl-C stops the lab.");
    s
}
