//! `cargo xtask ci`: the one command the README gives for the tests, and what `.ci/run` calls.
//!
//! Stages, cheapest failure first: peers (install when missing), fmt, clippy, test (every
//! workspace test with `SFB_REQUIRE_PEERS=1`, output passed through; the tidy test is one of
//! them), doc (warnings are errors), fuzz build, fuzz smoke. A breakdown of the time each stage
//! took is printed at the end, pass or fail.

use crate::util::{Stopwatch, cargo, sh};
use crate::{fuzz, peers};
use anyhow::Result;

/// Runs every CI stage; `--no-install` refuses to install missing peers, `--skip-fuzz` skips
/// the two fuzz stages (for a quick local loop; CI never passes it).
pub(crate) fn run(args: &[String]) -> Result<()> {
    let install = !args.iter().any(|a| a == "--no-install");
    let skip_fuzz = args.iter().any(|a| a == "--skip-fuzz");
    let mut sw = Stopwatch::default();
    let result = stages(&mut sw, install, skip_fuzz);
    eprintln!("{}", sw.report());
    result
}

fn stages(sw: &mut Stopwatch, install: bool, skip_fuzz: bool) -> Result<()> {
    let mut env = Vec::new();
    sw.stage("peers", || {
        env = peers::ensure(install)?;
        Ok(())
    })?;
    if !skip_fuzz {
        sw.stage("install cargo-fuzz", || fuzz::ensure_cargo_fuzz(install))?;
    }
    sw.stage("fmt", || {
        sh(cargo().args(["fmt", "--all", "--check"]))?;
        sh(cargo().args([
            "fmt",
            "--all",
            "--check",
            "--manifest-path",
            "fuzz/Cargo.toml",
        ]))
    })?;
    sw.stage("clippy", || {
        sh(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    sw.stage("test", || {
        let mut cmd = cargo();
        cmd.args(["test", "--workspace", "--locked"]);
        cmd.env("SFB_REQUIRE_PEERS", "1");
        for (k, v) in &env {
            cmd.env(k, v);
        }
        sh(&mut cmd)
    })?;
    sw.stage("doc", || {
        sh(cargo()
            .args(["doc", "--workspace", "--no-deps", "--locked"])
            .env("RUSTDOCFLAGS", "-D warnings"))
    })?;
    if !skip_fuzz {
        sw.stage("fuzz build", fuzz::build)?;
        sw.stage("fuzz smoke", || fuzz::smoke(&[]))?;
    }
    Ok(())
}
