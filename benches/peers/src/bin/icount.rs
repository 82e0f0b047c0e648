//! `icount <parser> <passes>`: runs one parser's task over the whole corpus `passes` times, for
//! instruction counting under callgrind (`cargo xtask bench codec --icount` runs it with N and
//! with 0 passes and takes the difference, so the setup cost cancels out).
//!
//! A parser that rejects a message still attempts it on every pass (the attempt is counted);
//! the unsupported pairs are listed in `sfb_bench_peers::UNSUPPORTED`.

use sfb_bench_peers::{Checksum, Parser, load_corpus, verify_one};
use std::hint::black_box;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(sum) => {
            #[allow(clippy::print_stdout)] // the checksum is this tool's output
            {
                println!("checksum {sum}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            #[allow(clippy::print_stderr)] // a command-line tool reports its error on stderr
            {
                eprintln!("icount: {e}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<u64, String> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: icount <sfb|httparse|rsipstack|rsip|sipx-sip> <passes>";
    let parser = args.next().ok_or(usage)?;
    let parser = Parser::from_name(&parser).ok_or_else(|| format!("unknown parser {parser}"))?;
    let passes: u64 = args
        .next()
        .ok_or(usage)?
        .parse()
        .map_err(|e| format!("passes: {e}"))?;
    let inputs = load_corpus().map_err(|e| e.to_string())?;
    for input in &inputs {
        verify_one(parser, input)?;
    }
    let mut sum = Checksum::default();
    for _ in 0..passes {
        for input in &inputs {
            let ok = parser.run(black_box(input), &mut sum).is_ok();
            sum.0 = sum.0.wrapping_add(u64::from(ok));
        }
    }
    Ok(black_box(sum.0))
}
