//! The command line of `sfb-probe` ([`Args`]) and what it does ([`run`]), with the runner,
//! the output streams and the terminal facts injected so tests drive the real code path.
//!
//! Exit codes: 0 every step passed (warnings allowed unless `--strict`), 1 a step failed,
//! 2 usage error, 3 internal error. Errors are `error: ...` then `  hint: ...` on stderr.

use std::io::{BufReader, Write};
use std::path::PathBuf;

use crate::batch::{self, BatchOptions, RowReader};
use crate::personal::redact_personal;
use crate::render::{html, json, text};
use crate::report::Report;
use crate::runner::{
    AuthScheme, ConnectOptions, Credentials, PasswordSource, Request, RunError, Runner, Target,
};
use clap::Parser;
use sfb_trace::RedactionPolicy;

/// Sign in to Skype for Business / Lync and say which step fails, why, and what to do.
#[derive(Parser, Debug)]
#[command(name = "sfb-probe", version, about)]
pub struct Args {
    /// The user's SIP URI (`sip:alice@contoso.com`).
    #[arg(required_unless_present_any = ["lab", "batch"], conflicts_with_all = ["lab", "batch"])]
    sip_uri: Option<String>,
    /// Login when it differs from the SIP URI: `DOMAIN\user` or `user@upn`.
    #[arg(long, value_name = "LOGIN")]
    user: Option<String>,
    /// Read the password from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "password_file")]
    password_env: Option<String>,
    /// Read the password from the first line of this file.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Stop after the first 401 (the default without a password source).
    #[arg(long, conflicts_with_all = ["password_env", "password_file"])]
    no_auth: bool,
    /// Authentication scheme.
    #[arg(long, value_enum, default_value_t = AuthScheme::Auto)]
    auth: AuthScheme,
    /// Kerberos realm when not found from DNS.
    #[arg(long, value_name = "REALM")]
    realm: Option<String>,
    /// Kerberos KDC when not found from DNS.
    #[arg(long, value_name = "HOST[:PORT]")]
    kdc: Option<String>,
    /// Skip discovery, connect here.
    #[arg(long, value_name = "HOST[:PORT]")]
    server: Option<String>,
    /// Sign in as a remote user: only external endpoints (or --server taken as an Access
    /// Edge), NTLM by policy, and stay on the Edge after a 301. With --lab: through the lab's
    /// Edge.
    #[arg(long)]
    external: bool,
    /// Name server to use instead of the system's.
    #[arg(long, value_name = "ADDR[:PORT]")]
    dns: Option<String>,
    /// Extra trusted root(s), PEM (repeatable).
    #[arg(long, value_name = "FILE")]
    ca: Vec<PathBuf>,
    /// Extra trusted domain for strict DNS naming (repeatable).
    #[arg(long, value_name = "DOMAIN")]
    trust: Vec<String>,
    /// The client string sent.
    #[arg(long, value_name = "UA")]
    user_agent: Option<String>,
    /// Print one JSON document (JSON Lines with --batch) on stdout.
    #[arg(long)]
    json: bool,
    /// Also write a self-contained HTML report here (personal data redacted unless
    /// --show-personal).
    #[arg(long, value_name = "FILE", conflicts_with = "batch")]
    html: Option<PathBuf>,
    /// Keep contact URIs and display names in the HTML report.
    #[arg(long, requires = "html")]
    show_personal: bool,
    /// Warnings make the exit code 1.
    #[arg(long)]
    strict: bool,
    /// Show auth tokens unredacted (they allow offline password guessing).
    #[arg(long)]
    raw_trace: bool,
    /// Hide contact URIs and display names everywhere.
    #[arg(long)]
    redact_personal: bool,
    /// More logging on stderr (-v, -vv, -vvv); secrets are redacted at every level.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Probe a user of the embedded lab (no setup, no network).
    #[arg(long, conflicts_with = "batch")]
    lab: bool,
    /// The lab's fault scenario.
    #[arg(long, value_name = "NAME")]
    scenario: Option<String>,
    /// Probe every row of this CSV: `sip_uri[,login][,password_file|password_env]`.
    #[arg(long, value_name = "FILE.csv")]
    batch: Option<PathBuf>,
    /// Rows in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4, requires = "batch",
          value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// Rows of one SIP domain in flight at once.
    #[arg(long, value_name = "N", default_value_t = 2, requires = "batch",
          value_parser = clap::value_parser!(u16).range(1..=256))]
    per_domain: u16,
    /// Sign-in starts per second, overall.
    #[arg(long, value_name = "PER_SEC", requires = "batch")]
    rate: Option<f64>,
    /// Allow rows with credentials: each makes one sign-in attempt, which counts towards the
    /// account-lockout threshold if the password is wrong.
    #[arg(long, requires = "batch")]
    i_accept_lockout_risk: bool,
}

impl Args {
    /// The `-v` count.
    pub fn verbose(&self) -> u8 {
        self.verbose
    }
}

/// What the process knows about where its output goes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal {
    /// stdout is a terminal.
    pub stdout_tty: bool,
    /// stderr is a terminal.
    pub stderr_tty: bool,
    /// `NO_COLOR` is set (and not empty).
    pub no_color: bool,
}

impl Terminal {
    /// The facts of this process.
    pub fn detect() -> Self {
        use std::io::IsTerminal as _;
        Self {
            stdout_tty: std::io::stdout().is_terminal(),
            stderr_tty: std::io::stderr().is_terminal(),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }
}

/// Runs the parsed command line: writes the report or batch rows to `out`, notes and errors to
/// `err`, and returns the exit code.
pub fn run(
    args: &Args,
    runner: &dyn Runner,
    term: Terminal,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    match run_inner(args, runner, term, out, err) {
        Ok(code) => code,
        Err(Failure {
            code,
            message,
            hint,
        }) => {
            let _ = writeln!(err, "error: {message}");
            if let Some(h) = hint {
                let _ = writeln!(err, "  hint: {h}");
            }
            code
        }
    }
}

/// An error that ends the run, with its exit code.
struct Failure {
    code: u8,
    message: String,
    hint: Option<String>,
}

fn usage(message: impl Into<String>, hint: Option<&str>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
        hint: hint.map(str::to_owned),
    }
}

fn run_inner(
    args: &Args,
    runner: &dyn Runner,
    term: Terminal,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Failure> {
    if args.scenario.is_some() && !args.lab {
        return Err(usage(
            "--scenario needs --lab",
            Some("sfb-probe --lab --scenario NAME"),
        ));
    }
    if args.auth == AuthScheme::TlsDsk {
        return Err(usage(
            "--auth tls-dsk is not implemented yet",
            Some("use --auth auto, ntlm or kerberos"),
        ));
    }
    if args.raw_trace {
        let _ = writeln!(
            err,
            "warning: --raw-trace: the output carries authentication tokens; they allow offline password guessing, do not share it"
        );
    }
    let policy = RedactionPolicy {
        raw_trace: args.raw_trace,
        redact_personal: args.redact_personal,
    };
    let connect = ConnectOptions {
        server: args.server.clone(),
        dns: args.dns.clone(),
        ca: args.ca.clone(),
        trust: args.trust.clone(),
        realm: args.realm.clone(),
        kdc: args.kdc.clone(),
        auth: args.auth,
        user_agent: args.user_agent.clone(),
        external: args.external,
    };
    if let Some(file) = &args.batch {
        return run_batch(args, file, connect, policy, runner, term, out, err);
    }
    let credentials = match (&args.password_env, &args.password_file) {
        (Some(var), _) => Some(PasswordSource::Env(var.clone())),
        (None, Some(file)) => Some(PasswordSource::File(file.clone())),
        (None, None) => None,
    }
    .map(|password| Credentials {
        login: args.user.clone(),
        password,
    });
    if credentials.is_none() && args.user.is_some() && !args.no_auth {
        return Err(usage(
            "--user without a password source",
            Some("add --password-env VAR or --password-file FILE, or --no-auth"),
        ));
    }
    let target = if args.lab {
        Target::Lab {
            scenario: args.scenario.clone(),
            no_auth: args.no_auth,
        }
    } else {
        let uri = args.sip_uri.as_deref().unwrap_or_default();
        let (sip_uri, _) = batch::parse_sip_uri(uri).map_err(|e| usage(e, None))?;
        Target::Live { sip_uri }
    };
    if credentials.is_none() && !args.json && !args.lab {
        let _ = writeln!(
            err,
            "note: no password source: running --no-auth (discovery, connectivity, the first 401); add --password-env VAR or --password-file FILE to sign in"
        );
    }
    let request = Request {
        target,
        connect,
        credentials,
        policy,
    };
    let trace = runner.run(&request).map_err(|e| match e {
        RunError::Usage(m) => usage(m, None),
        RunError::Internal(m) => Failure {
            code: 3,
            message: m,
            hint: None,
        },
    })?;
    let trace = if policy.redact_personal {
        redact_personal(&trace)
    } else {
        trace
    };
    let report = Report::new(&trace);
    let printed = if args.json {
        out.write_all(json::render(&report).as_bytes())
    } else {
        let color = term.stdout_tty && !term.no_color;
        out.write_all(text::render(&report, text::TextOptions { color }).as_bytes())
    };
    if let Err(e) = printed.and_then(|()| out.flush()) {
        return Err(Failure {
            code: 3,
            message: format!("cannot write the report: {e}"),
            hint: None,
        });
    }
    if let Some(path) = &args.html {
        let page = if args.show_personal {
            html::render(&report)
        } else {
            html::render(&Report::new(&redact_personal(&trace)))
        };
        std::fs::write(path, page).map_err(|e| Failure {
            code: 3,
            message: format!("--html {}: {e}", path.display()),
            hint: None,
        })?;
    }
    Ok(report.exit_code(args.strict))
}

#[allow(
    clippy::too_many_arguments,
    reason = "the parts of run_inner, passed on"
)]
fn run_batch(
    args: &Args,
    file: &std::path::Path,
    connect: ConnectOptions,
    policy: RedactionPolicy,
    runner: &dyn Runner,
    term: Terminal,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Failure> {
    if args.user.is_some() || args.password_env.is_some() || args.password_file.is_some() {
        return Err(usage(
            "--user and password options do not apply to --batch",
            Some("name each row's login and password source in the CSV"),
        ));
    }
    if let Some(rate) = args.rate
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(usage("--rate must be a positive number", None));
    }
    let open = || {
        std::fs::File::open(file)
            .map(BufReader::new)
            .map_err(|e| usage(format!("--batch {}: {e}", file.display()), None))
    };
    let scan = batch::scan(open()?)
        .map_err(|e| usage(format!("--batch {}: {e}", file.display()), None))?;
    if scan.authenticated > 0 && !args.i_accept_lockout_risk {
        return Err(usage(
            format!(
                "--batch {}: {} row(s) carry credentials; each makes a sign-in attempt that counts towards account lockout",
                file.display(),
                scan.authenticated
            ),
            Some("add --i-accept-lockout-risk, or remove the credential columns to run --no-auth"),
        ));
    }
    let opts = BatchOptions {
        concurrency: usize::from(args.concurrency),
        per_domain: usize::from(args.per_domain),
        rate_per_sec: args.rate,
    };
    let template = Request {
        target: Target::Lab {
            scenario: None,
            no_auth: false,
        },
        connect,
        credentials: None,
        policy,
    };
    let progress = term.stderr_tty;
    let total = scan.rows;
    let mut done = 0usize;
    let mut write_failed = None;
    let mut sink = |r: &batch::RowResult| {
        done += 1;
        let line = if args.json {
            serde_json::to_string(r).unwrap_or_default()
        } else {
            r.text_line()
        };
        if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush())
            && write_failed.is_none()
        {
            write_failed = Some(e);
        }
        if progress {
            let _ = write!(
                err,
                "\r\x1b[2K[{done}/{total}] {}",
                progress_bar(done, total)
            );
        }
    };
    let summary = batch::run(RowReader::new(open()?), &template, &opts, runner, &mut sink);
    if progress {
        let _ = writeln!(err);
    }
    if let Some(e) = write_failed {
        return Err(Failure {
            code: 3,
            message: format!("cannot write the results: {e}"),
            hint: None,
        });
    }
    let table = if args.json {
        err.write_all(summary.table().as_bytes())
    } else {
        out.write_all(format!("\n{}", summary.table()).as_bytes())
    };
    if let Err(e) = table {
        return Err(Failure {
            code: 3,
            message: format!("cannot write the summary: {e}"),
            hint: None,
        });
    }
    Ok(summary.exit_code(args.strict))
}

fn progress_bar(done: usize, total: usize) -> String {
    const WIDTH: usize = 30;
    let filled = (done * WIDTH)
        .checked_div(total)
        .unwrap_or(WIDTH)
        .min(WIDTH);
    format!("{}{}", "#".repeat(filled), ".".repeat(WIDTH - filled))
}
