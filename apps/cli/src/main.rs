//! `sfb`: the headless Skype for Business client.
//!
//! Subcommands (see `docs/cli.md`): `sip parse` decodes and validates SIP messages;
//! `discover` runs step 1 of the sign-in (DNS plan and autodiscover); `signin` runs steps 1 to
//! 5 (sfb-session); `lab` runs the emulated deployment in the foreground.
//!
//! Exit codes: 0 success, 1 the operation ran and failed, 2 usage error, 3 internal error;
//! `sip parse` uses 65 (data error) for an invalid message.

// A command-line tool talks to its user on stdout and stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod discover;
mod lab;
mod password;
mod signin;
mod sip_parse;
mod tls_roots;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The headless Skype for Business / Lync client.
#[derive(Parser)]
#[command(name = "sfb", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Step 1 only: the DNS lookup plan, endpoints in order, trust verdicts, evidence.
    Discover(Box<discover::Args>),
    /// Steps 1 to 5: discovery, TLS, REGISTER with NTLM or Kerberos, redirect, settings.
    Signin(Box<signin::Args>),
    /// Run the emulated deployment (contoso.test on loopback) until Ctrl-C.
    Lab(lab::Args),
    /// SIP message tools.
    Sip {
        #[command(subcommand)]
        command: SipCommand,
    },
}

#[derive(Subcommand)]
enum SipCommand {
    /// Decode and validate one SIP message (datagram semantics), or a TCP/TLS stream of them.
    Parse(sip_parse::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Discover(args) => discover::run(&args),
        Command::Signin(args) => signin::run(&args),
        Command::Lab(args) => lab::run(&args),
        Command::Sip {
            command: SipCommand::Parse(args),
        } => sip_parse::run(&args),
    }
}
