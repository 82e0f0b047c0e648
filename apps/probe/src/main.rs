//! `sfb-probe`: sign in and diagnose. Prints the root cause first, a verdict per step, a compact
//! SIP ladder and the evidence; `--json` and `--html FILE` for machines and tickets; `--batch`
//! for many users. The command line lives in [`sfb_probe::cli`]; this file wires the real runner
//! ([`sfb_probe::session::SessionRunner`]).

use std::process::ExitCode;

use clap::Parser as _;
use sfb_probe::cli::{Args, Terminal, run};
use sfb_probe::session::SessionRunner;

fn main() -> ExitCode {
    let args = Args::parse();
    let term = Terminal::detect();
    sfb_probe::logging::init(args.verbose(), term.stderr_tty && !term.no_color);
    let code = run(
        &args,
        &SessionRunner,
        term,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    ExitCode::from(code)
    // stdout and stderr are not held locked: batch workers log to stderr while rows run.
}
