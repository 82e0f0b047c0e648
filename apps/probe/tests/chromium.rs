//! The HTML report in a real browser: headless Chromium loads the page, must log nothing to the
//! console (no script error, no resource blocked by the page's Content-Security-Policy), and its
//! DOM must hold the SVG ladder and the step cards. A screenshot is taken; `SFB_BLESS=1` keeps it
//! as `docs/img/probe-report.png`.
//!
//! Chromium is a real peer: missing, the test prints a skip note, or fails under
//! `SFB_REQUIRE_PEERS=1` (install: `apt-get install -y chromium`, or `cargo xtask peers`).

#![allow(clippy::print_stderr, reason = "tests report skipped peers on stderr")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use sfb_probe::personal::redact_personal;
use sfb_probe::render::html;
use sfb_probe::report::Report;
use sfb_trace::RedactionPolicy;

/// The longest a Chromium run may take.
const DEADLINE: Duration = Duration::from_secs(90);

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("SFB_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("SFB_REQUIRE_PEERS").is_none_or(|v| v != "1"),
        "chromium not found at {} and SFB_REQUIRE_PEERS=1 (apt-get install -y chromium)",
        path.display()
    );
    eprintln!("skipped: chromium not found at {}", path.display());
    None
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("sfb-probe-chromium-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What one Chromium run gave: the DOM (or nothing, for a screenshot run) and the console lines.
struct Run {
    stdout: String,
    console: Vec<String>,
}

/// Runs Chromium on a page with the flags this machine kind needs (root, no sandbox, no
/// background traffic) and a fresh profile; kills it at [`DEADLINE`].
fn run_chromium(bin: &Path, dir: &Path, page: &Path, action: &[String]) -> Run {
    let profile = dir.join(format!("profile-{}", action.len()));
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(action)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let stdout = out_reader.join().unwrap();
    let stderr = err_reader.join().unwrap();
    // Chromium logs every console message (whatever its level) as `...:CONSOLE...] "text"`.
    let console = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    Run { stdout, console }
}

#[test]
fn report_loads_in_chromium_without_console_messages() {
    let Some(bin) = chromium() else { return };
    let dir = scratch("report");
    let trace = redact_personal(&auth_failure(RedactionPolicy::default()));
    let page = dir.join("report.html");
    std::fs::write(&page, html::render(&Report::new(&trace))).unwrap();

    let run = run_chromium(&bin, &dir, &page, &["--dump-dom".to_owned()]);
    assert!(
        run.console.is_empty(),
        "console messages: {:#?}",
        run.console
    );
    let dom = run.stdout;
    assert!(
        dom.contains("<svg id=\"ladder\""),
        "no ladder in the DOM: {dom:.500}"
    );
    assert_eq!(dom.matches("class=\"msg\"").count(), 6, "ladder arrows");
    assert!(dom.contains("id=\"step-authentication\""));
    assert!(dom.contains("auth.credentials_not_for_uri"));

    let shot = dir.join("report.png");
    let run = run_chromium(
        &bin,
        &dir,
        &page,
        &[format!("--screenshot={}", shot.display())],
    );
    assert!(
        run.console.is_empty(),
        "console messages: {:#?}",
        run.console
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
        "not a real PNG"
    );
    if std::env::var_os("SFB_BLESS").is_some_and(|v| v == "1") {
        let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/img/probe-report.png");
        std::fs::create_dir_all(keep.parent().unwrap()).unwrap();
        std::fs::copy(&shot, keep).unwrap();
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The check can fail: a script error and a resource the policy blocks are both seen.
#[test]
fn console_messages_are_caught() {
    let Some(bin) = chromium() else { return };
    let dir = scratch("control");
    let page = dir.join("bad.html");
    let report = html::render(&Report::new(&healthy(RedactionPolicy::default())));
    // The report's own CSP must refuse an external image; an uncaught error must show too.
    let bad = report.replace("</body>", "<img src=\"http://192.0.2.1/x.png\"></body>");
    std::fs::write(&page, bad).unwrap();
    let run = run_chromium(&bin, &dir, &page, &["--dump-dom".to_owned()]);
    assert!(
        run.console
            .iter()
            .any(|l| l.contains("Content Security Policy")),
        "blocked image not reported: {:#?}",
        run.console
    );
    let page2 = dir.join("error.html");
    std::fs::write(
        &page2,
        "<!DOCTYPE html><title>x</title><script>throw new Error('probe-canary')</script>",
    )
    .unwrap();
    let run = run_chromium(&bin, &dir, &page2, &["--dump-dom".to_owned()]);
    assert!(
        run.console.iter().any(|l| l.contains("probe-canary")),
        "script error not reported: {:#?}",
        run.console
    );
    let _ = std::fs::remove_dir_all(dir);
}
