//! What the CLI tests share: `sfb lab --json` in a child process, and the KDC check.
#![allow(dead_code, reason = "each test crate uses a part")]
#![allow(clippy::print_stderr, reason = "the skip note must be loud on stderr")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `sfb lab --json` and its first stdout line.
pub(crate) struct LabProcess {
    pub(crate) child: Child,
    pub(crate) info: serde_json::Value,
}

impl Drop for LabProcess {
    /// SIGTERM (the lab stops its KDC and removes its directories), SIGKILL if it is still up
    /// after 5 s.
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `sfb lab --json EXTRA...` and reads its first line.
pub(crate) fn start_lab(extra: &[&str]) -> LabProcess {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sfb"))
        .args(["lab", "--json"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: serde_json::Value =
        serde_json::from_str(line.trim_end()).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    LabProcess { child, info }
}

/// MIT krb5-kdc present? Otherwise a loud skip, or a failure under `SFB_REQUIRE_PEERS=1`.
pub(crate) fn kdc_installed() -> bool {
    match sfb_lab::kdc::check_installed() {
        Ok(()) => true,
        Err(e) => {
            assert!(
                std::env::var("SFB_REQUIRE_PEERS").as_deref() != Ok("1"),
                "required test peer missing: {e} (SFB_REQUIRE_PEERS=1)"
            );
            eprintln!(
                "\n!!!!! SKIPPED: test peer missing: {e} (set SFB_REQUIRE_PEERS=1 to make this fail) !!!!!\n"
            );
            false
        }
    }
}
