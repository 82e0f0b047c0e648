//! Small helpers: the workspace root, running commands with their output passed through.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The workspace root (the parent of `xtask/`).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// `cargo`, as the one running xtask (respects rustup's choice).
pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// Runs `cmd` with stdout/stderr passed through; fails with the command line on non-zero exit.
pub(crate) fn sh(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", show(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("cannot start `{}`", show(cmd)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", show(cmd));
    }
    Ok(())
}

/// Whether a program is on PATH (or the sbin directories, where Debian puts the KDC).
pub(crate) fn have(program: &str) -> bool {
    find_program(program).is_some()
}

/// Finds a program on PATH, `/usr/sbin` or `/sbin`.
pub(crate) fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

fn show(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Records how long each named stage took, for the breakdown printed at the end of `ci`.
#[derive(Default)]
pub(crate) struct Stopwatch {
    stages: Vec<(String, Duration, bool)>,
}

impl Stopwatch {
    /// Runs one stage, timing it whether it passes or fails.
    pub(crate) fn stage(&mut self, name: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
        eprintln!("\n==> {name}");
        let t = Instant::now();
        let r = f();
        self.stages.push((name.to_owned(), t.elapsed(), r.is_ok()));
        r.with_context(|| format!("stage `{name}` failed"))
    }

    /// The breakdown table.
    pub(crate) fn report(&self) -> String {
        let mut s = String::from("\nstage               seconds  result\n");
        let mut total = Duration::ZERO;
        for (name, d, ok) in &self.stages {
            total += *d;
            let res = if *ok { "ok" } else { "FAILED" };
            s.push_str(&format!("{name:<18} {:>8.1}  {res}\n", d.as_secs_f64()));
        }
        s.push_str(&format!("{:<18} {:>8.1}\n", "total", total.as_secs_f64()));
        s
    }
}
