//! Project automation, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).
//!
//! - `ci`: everything CI checks, in the order a failure is cheapest to see (the README's test
//!   command; `.ci/run` calls exactly this).
//! - `tidy`: architecture and hygiene checks (also run as a `#[test]` by `cargo test`).
//! - `fuzz`: cargo-fuzz on stable (`--sanitizer none`), crashes copied to `fuzz/regressions/`.
//! - `bench`: the codec benchmarks against peer SIP parsers, in one criterion run; the sign-in
//!   benchmark against the embedded lab, with rustls's handshake rate as the ceiling.
//!
//! xtask has no protocol logic; it shells out to cargo and the peers' tools.

// An automation binary talks to its user on stdout and stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod ci;
mod fuzz;
mod peers;
mod tidy;
mod util;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  ci [--no-install] [--skip-fuzz]     fmt, clippy, tests (with real peers), docs, fuzz build + smoke
  tidy                                architecture and hygiene checks
  peers [--no-install]                install the test peers (apt, python venv) and print their env
  fuzz [--smoke | --seconds N] [TARGET...]
                                      run fuzz targets on stable (--sanitizer none)
  bench codec [--quick] [--json] [--icount]
                                      codec benchmarks against rsip, rsipstack, sipx-sip, httparse
  bench signin [--quick] [--json]     NTLM sign-ins against the embedded lab (1, 16, 64 at once)
                                      vs rustls's TCP+TLS handshake rate
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match cmd.as_str() {
        "ci" => ci::run(rest),
        "tidy" => tidy::run(),
        "peers" => peers::run(rest),
        "fuzz" => fuzz::run(rest),
        "bench" => bench::run(rest),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("error: unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
