//! `cargo xtask bench codec [--quick] [--json] [--icount]` and
//! `cargo xtask bench signin [--quick] [--json]`.
//!
//! `codec` runs the criterion benchmark of `benches/peers/` (its own workspace, so the peer
//! parsers stay out of the product's dependency graph): sfb's codec, `rsipstack`, `rsip`,
//! `sipx-sip` and `httparse` (header block only: the floor) on the same messages from
//! `crates/sfb-sip-codec/testdata/lync/`, in one run. The task measured for every parser:
//! parse, then read the Via branch, CSeq, Call-ID and every Authorization parameter.
//! It prints a table per message and for the whole corpus (ns/message, MB/s, each peer's time
//! as a ratio to sfb's) and, with `--json`, the corpus figures as one JSON object on the last
//! line. `--icount` adds instruction counts from callgrind, which hold on a noisy machine.
//!
//! `signin` runs `cargo bench -p sfb-session --bench signin` (NTLM sign-ins against the
//! embedded lab on loopback, 1, 16 and 64 at once, and rustls's TCP + TLS handshake rate at
//! the same concurrencies as the ceiling) and prints, per concurrency, ms per sign-in
//! iteration, sign-ins/s, handshakes/s and the ratio sign-in time / handshake time; `--json`
//! puts the same figures in one JSON object on the last line.

use crate::util::{cargo, have, root, sh};
use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Parsers in the order they are shown; `sfb` is the reference for ratios.
const PARSERS: &[&str] = &["sfb", "httparse", "rsipstack", "rsip", "sipx-sip"];

/// `cargo xtask bench <codec|signin> ...`.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let Some((what, rest)) = args.split_first() else {
        bail!(
            "usage: cargo xtask bench codec [--quick] [--json] [--icount]\n       \
             cargo xtask bench signin [--quick] [--json]"
        );
    };
    match what.as_str() {
        "codec" => codec(rest),
        "signin" => signin(rest),
        other => bail!("unknown benchmark `{other}` (known: codec, signin)"),
    }
}

/// Concurrencies of the signin bench (its `CONCURRENCY`), in the order shown.
const SIGNIN_CONCURRENCY: &[u64] = &[1, 16, 64];

/// `cargo xtask bench signin [--quick] [--json]`.
fn signin(args: &[String]) -> Result<()> {
    let mut quick = false;
    let mut json_out = false;
    for a in args {
        match a.as_str() {
            "--quick" => quick = true,
            "--json" => json_out = true,
            other => bail!("unknown option `{other}`"),
        }
    }
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "sfb-session", "--bench", "signin"]);
    if quick {
        cmd.env("SFB_BENCH_QUICK", "1");
    }
    sh(&mut cmd)?;

    let target = target_dir(&root());
    println!(
        "\nNTLM sign-in against the embedded lab (loopback) vs rustls TCP+TLS handshakes\n\
         {:>5} {:>14} {:>12} {:>14} {:>14} {:>16}",
        "conc.", "ms/sign-in it.", "sign-ins/s", "ms/handshake", "handshakes/s", "sign-in/hshake"
    );
    let mut rows = Vec::new();
    for &n in SIGNIN_CONCURRENCY {
        let id = n.to_string();
        // One iteration is `n` sign-ins (or handshakes) started together.
        let signin_ns = estimate_ns(&target, "signin-ntlm", &id)?;
        let hs_ns = estimate_ns(&target, "tls-handshake", &id)?;
        let per_s = |ns: f64| n as f64 / (ns * 1e-9);
        let (signins_s, hs_s) = (per_s(signin_ns), per_s(hs_ns));
        let ratio = signin_ns / hs_ns;
        println!(
            "{n:>5} {:>14.2} {signins_s:>12.1} {:>14.3} {hs_s:>14.1} {ratio:>15.1}x",
            signin_ns / 1e6,
            hs_ns / 1e6
        );
        rows.push((n, signin_ns, hs_ns, signins_s, hs_s, ratio));
    }
    println!(
        "(ms columns: wall time of one iteration, i.e. of `conc.` operations started together; \
         at 1 that is the latency)"
    );
    if json_out {
        let mut by_conc = Map::new();
        for (n, signin_ns, hs_ns, signins_s, hs_s, ratio) in rows {
            by_conc.insert(
                n.to_string(),
                json!({
                    "signin_iteration_ms": round3(signin_ns / 1e6),
                    "signins_per_s": round1(signins_s),
                    "handshake_iteration_ms": round3(hs_ns / 1e6),
                    "handshakes_per_s": round1(hs_s),
                    "signin_to_handshake_time": round1(ratio),
                }),
            );
        }
        let latency_ms = by_conc
            .get("1")
            .and_then(|v| v["signin_iteration_ms"].as_f64());
        let obj = json!({
            "bench": "signin",
            "quick": quick,
            "signin_latency_ms": latency_ms,
            "concurrency": by_conc,
        });
        println!("{obj}");
    }
    Ok(())
}

/// `cargo xtask bench codec ...`.
fn codec(args: &[String]) -> Result<()> {
    let rest = args;
    let mut quick = false;
    let mut json_out = false;
    let mut icount = false;
    for a in rest {
        match a.as_str() {
            "--quick" => quick = true,
            "--json" => json_out = true,
            "--icount" => icount = true,
            other => bail!("unknown option `{other}`"),
        }
    }
    let dir = root().join("benches/peers");
    let manifest = dir.join("Cargo.toml");
    let mut cmd = cargo();
    cmd.args(["bench", "--manifest-path"])
        .arg(&manifest)
        .args(["--bench", "codec"]);
    if quick {
        cmd.env("SFB_BENCH_QUICK", "1");
    }
    sh(&mut cmd)?;

    let target = target_dir(&dir);
    let meta: Value = read_json(&target.join("sfb-bench-meta.json"))?;
    let groups = meta["groups"]
        .as_object()
        .context("sfb-bench-meta.json: no `groups`")?;
    let notes = meta["notes"].as_object().cloned().unwrap_or_default();

    // `corpus` is every message; `corpus-common` the messages every peer can parse (rsip and
    // rsipstack refuse Microsoft's BENOTIFY method), so every peer has a corpus figure.
    let mut corpus_json = Map::new();
    let mut common_json = Map::new();
    let mut names: Vec<&String> = groups.keys().filter(|k| *k != "corpus").collect();
    names.sort();
    names.push(
        groups
            .keys()
            .find(|k| *k == "corpus")
            .context("no corpus group")?,
    );
    for group in names {
        let g = &groups[group];
        let bytes = g["bytes"].as_f64().context("group bytes")?;
        let messages = g["messages"].as_f64().context("group messages")?;
        println!("\n{group}: {messages} message(s), {bytes} bytes");
        println!(
            "{:<10} {:>12} {:>10} {:>14}",
            "parser", "ns/message", "MB/s", "time vs sfb"
        );
        let sfb_ns = estimate_ns(&target, group, "sfb")?;
        for p in PARSERS {
            let Ok(ns) = estimate_ns(&target, group, p) else {
                println!("{p:<10} {:>12}", "(not run)");
                continue;
            };
            let per_msg = ns / messages;
            let mbps = bytes / ns * 1e3; // bytes per ns * 1e9 / 1e6
            println!(
                "{p:<10} {per_msg:>12.0} {mbps:>10.1} {:>13.2}x",
                ns / sfb_ns
            );
            let figures = json!({ "ns_per_msg": round1(per_msg), "mb_per_s": round1(mbps) });
            if group == "corpus" {
                corpus_json.insert((*p).to_owned(), figures);
            } else if group == "corpus-common" {
                common_json.insert((*p).to_owned(), figures);
            }
        }
    }
    for (parser, note) in &notes {
        println!("note: {parser}: {}", note.as_str().unwrap_or_default());
    }

    let mut icounts = Map::new();
    if icount {
        icounts = instruction_counts(&dir, &target)?;
    }
    if json_out {
        let sfb = corpus_json.remove("sfb").unwrap_or(Value::Null);
        let common_sfb = common_json.remove("sfb").unwrap_or(Value::Null);
        let mut obj = json!({
            "sfb": sfb,
            "peers": corpus_json,
            "corpus_common": { "sfb": common_sfb, "peers": common_json },
        });
        if icount {
            obj["instructions_per_corpus_pass"] = Value::Object(icounts);
        }
        println!("{obj}");
    }
    Ok(())
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn target_dir(bench_dir: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| bench_dir.join("target"))
}

fn read_json(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// criterion's median estimate for one benchmark, in nanoseconds per iteration.
fn estimate_ns(target: &Path, group: &str, bench: &str) -> Result<f64> {
    let path = target
        .join("criterion")
        .join(group)
        .join(bench)
        .join("new/estimates.json");
    let v = read_json(&path)?;
    v["median"]["point_estimate"]
        .as_f64()
        .with_context(|| format!("{}: no median", path.display()))
}

/// Instructions per pass over the corpus, per parser: callgrind runs the `icount` binary with N
/// passes and with 0 passes, and the difference is divided by N (setup cost cancels out).
fn instruction_counts(bench_dir: &Path, target: &Path) -> Result<Map<String, Value>> {
    if !have("valgrind") {
        bail!("--icount needs valgrind (apt-get install valgrind)");
    }
    sh(cargo()
        .args(["build", "--release", "--manifest-path"])
        .arg(bench_dir.join("Cargo.toml"))
        .args(["--bin", "icount"]))?;
    let bin = target.join("release/icount");
    const PASSES: u64 = 200;
    let mut out = Map::new();
    println!("\ninstructions per corpus pass (callgrind, {PASSES} passes minus 0)");
    for p in PARSERS {
        let with = callgrind(&bin, p, PASSES)?;
        let without = callgrind(&bin, p, 0)?;
        let per_pass = with.saturating_sub(without) / PASSES;
        println!("{p:<10} {per_pass:>12}");
        out.insert((*p).to_owned(), json!(per_pass));
    }
    Ok(out)
}

fn callgrind(bin: &Path, parser: &str, passes: u64) -> Result<u64> {
    let out_file = std::env::temp_dir().join(format!(
        "sfb-callgrind-{}-{parser}-{passes}",
        std::process::id()
    ));
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(bin)
        .args([parser, &passes.to_string()])
        .output()
        .context("running valgrind")?;
    if !output.status.success() {
        bail!(
            "valgrind failed for {parser}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let text = std::fs::read_to_string(&out_file)?;
    let _ = std::fs::remove_file(&out_file);
    text.lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .context("no instruction total in callgrind output")
}
