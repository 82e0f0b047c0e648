//! `cargo xtask fuzz`: cargo-fuzz on stable Rust (`--sanitizer none`; the code forbids `unsafe`).
//!
//! Targets live in `fuzz/fuzz_targets/` as one-line shells around the crates' `fuzzing`
//! modules. Each run seeds from `fuzz/seeds/<target>/` and the crate's test data (read-only)
//! and keeps its working corpus in `fuzz/corpus/<target>/` (ignored). A crash is copied to `fuzz/regressions/<target>/`,
//! where an ordinary `#[test]` replays it forever after.

use crate::util::{cargo, root, sh};
use anyhow::{Context, Result, bail};
use std::path::PathBuf;

/// Seconds per target for `--smoke`.
const SMOKE_SECONDS: u32 = 4;

/// `cargo xtask fuzz [--smoke | --seconds N] [TARGET...]`.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut seconds = 60u32;
    let mut targets = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--smoke" => seconds = SMOKE_SECONDS,
            "--seconds" => {
                let v = it.next().context("--seconds takes a number")?;
                seconds = v
                    .parse()
                    .with_context(|| format!("--seconds: `{v}` is not a number"))?;
            }
            t if t.starts_with('-') => bail!("unknown option `{t}`"),
            t => targets.push(t.to_owned()),
        }
    }
    ensure_cargo_fuzz(true)?;
    run_targets(&targets, seconds)
}

/// Installs cargo-fuzz when missing (and allowed).
pub(crate) fn ensure_cargo_fuzz(install: bool) -> Result<()> {
    let ok = cargo()
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Ok(());
    }
    if !install {
        bail!("cargo-fuzz is missing: cargo install cargo-fuzz --locked");
    }
    sh(cargo().args(["install", "cargo-fuzz", "--locked"]))
}

/// Builds every fuzz target.
pub(crate) fn build() -> Result<()> {
    sh(cargo()
        .current_dir(root().join("fuzz"))
        .args(["fuzz", "build", "--sanitizer", "none"]))
}

/// A few seconds per target.
pub(crate) fn smoke(targets: &[String]) -> Result<()> {
    run_targets(targets, SMOKE_SECONDS)
}

/// The targets, from `fuzz/fuzz_targets/*.rs`.
pub(crate) fn all_targets() -> Result<Vec<String>> {
    let dir = root().join("fuzz/fuzz_targets");
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let p = e.path();
            (p.extension()? == "rs").then(|| p.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    v.sort();
    Ok(v)
}

fn run_targets(targets: &[String], seconds: u32) -> Result<()> {
    let targets = if targets.is_empty() {
        all_targets()?
    } else {
        targets.to_vec()
    };
    let fuzz_dir = root().join("fuzz");
    let mut crashed = Vec::new();
    for t in &targets {
        let corpus = fuzz_dir.join("corpus").join(t);
        std::fs::create_dir_all(&corpus)?;
        let mut cmd = cargo();
        cmd.current_dir(&fuzz_dir)
            .args(["fuzz", "run", "--sanitizer", "none", t])
            .arg(&corpus);
        for seeds in seed_dirs(t) {
            if seeds.is_dir() {
                cmd.arg(seeds);
            }
        }
        cmd.arg("--").args([
            format!("-max_total_time={seconds}"),
            "-rss_limit_mb=2048".into(),
            "-timeout=10".into(),
            "-print_final_stats=1".into(),
        ]);
        if let Err(e) = sh(&mut cmd) {
            eprintln!("fuzz target {t} failed: {e:#}");
            crashed.push(t.clone());
            save_regressions(t)?;
        }
    }
    if !crashed.is_empty() {
        bail!(
            "fuzz targets failed: {} (inputs copied to fuzz/regressions/)",
            crashed.join(", ")
        );
    }
    Ok(())
}

/// Read-only seed corpora for a target: `fuzz/seeds/<target>/` and the crate's test data.
fn seed_dirs(target: &str) -> Vec<PathBuf> {
    let root = root();
    let mut v = vec![root.join("fuzz/seeds").join(target)];
    let data = root.join("crates/sfb-sip-codec/testdata");
    if target.starts_with("sip_") {
        v.extend([data.join("lync"), data.join("rfc4475"), data.join("own")]);
    } else if target.starts_with("lab_") || target.starts_with("diagnose_") {
        // Real-shaped REGISTERs, 401s and settings messages.
        v.push(data.join("lync"));
    }
    v
}

/// Copies `fuzz/artifacts/<target>/{crash,oom,timeout}-*` to `fuzz/regressions/<target>/`.
fn save_regressions(target: &str) -> Result<()> {
    let art = root().join("fuzz/artifacts").join(target);
    let Ok(entries) = std::fs::read_dir(&art) else {
        return Ok(());
    };
    let dest: PathBuf = root().join("fuzz/regressions").join(target);
    std::fs::create_dir_all(&dest)?;
    for e in entries.flatten() {
        let name = e.file_name();
        let n = name.to_string_lossy();
        if n.starts_with("crash-") || n.starts_with("oom-") || n.starts_with("timeout-") {
            std::fs::copy(e.path(), dest.join(&name))?;
            eprintln!("saved {}", dest.join(&name).display());
        }
    }
    Ok(())
}
