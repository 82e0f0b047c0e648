//! Tidy: the architecture and hygiene rules, checked by a `#[test]` (so `cargo test` enforces
//! them) and by `cargo xtask tidy`.
//!
//! Architecture invariants checked here:
//! - layering: each crate depends only on the internal crates its row of [`LAYERS`] allows; no
//!   protocol crate depends on an app; `sfb-lab` only as a dev-dependency of protocol crates;
//! - every member inherits the workspace lints (`[lints] workspace = true`);
//! - no dependency names a version outside the root manifest (the `fuzz/` and `benches/peers/`
//!   workspaces are separate on purpose and exempt);
//! - no `dbg!` anywhere; a `//!` doc opens every source file under `src/`;
//! - rustls is always given its crypto provider (`builder_with_provider`), never the process
//!   default, so a second provider pulled in by a dependency cannot panic a binary.

use crate::util::root;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// Which internal crates each crate may depend on (normal and build dependencies).
const LAYERS: &[(&str, &[&str])] = &[
    ("sfb-sip-codec", &[]),
    ("sfb-trace", &["sfb-sip-codec"]),
    ("sfb-auth", &["sfb-sip-codec"]),
    ("sfb-certprov", &[]),
    (
        "sfb-discovery",
        &["sfb-sip-codec", "sfb-trace", "sfb-certprov"],
    ),
    (
        "sfb-session",
        &[
            "sfb-sip-codec",
            "sfb-trace",
            "sfb-auth",
            "sfb-discovery",
            "sfb-certprov",
        ],
    ),
    ("sfb-diagnose", &["sfb-sip-codec", "sfb-trace", "sfb-auth"]),
    (
        "sfb-lab",
        &["sfb-sip-codec", "sfb-trace", "sfb-auth", "sfb-certprov"],
    ),
];

/// `cargo xtask tidy`.
pub(crate) fn run() -> Result<()> {
    let problems = check(&root())?;
    if problems.is_empty() {
        eprintln!("tidy: ok");
        return Ok(());
    }
    for p in &problems {
        eprintln!("tidy: {p}");
    }
    bail!("{} tidy problem(s)", problems.len())
}

/// Every rule, over the tree at `root`; returns one line per problem.
pub(crate) fn check(root: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for manifest in member_manifests(root)? {
        check_manifest(root, &manifest, &mut problems)?;
    }
    for dir in ["crates", "apps", "xtask", "fuzz"] {
        for file in rust_files(&root.join(dir))? {
            check_source(root, &file, &mut problems)?;
        }
    }
    Ok(problems)
}

fn member_manifests(root: &Path) -> Result<Vec<PathBuf>> {
    let mut v = Vec::new();
    for dir in ["crates", "apps"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let m = e.path().join("Cargo.toml");
            if m.is_file() {
                v.push(m);
            }
        }
    }
    v.push(root.join("xtask/Cargo.toml"));
    v.sort();
    Ok(v)
}

fn check_manifest(root: &Path, manifest: &Path, problems: &mut Vec<String>) -> Result<()> {
    let rel = manifest
        .strip_prefix(root)
        .unwrap_or(manifest)
        .display()
        .to_string();
    let text = std::fs::read_to_string(manifest).with_context(|| format!("reading {rel}"))?;
    let doc: toml::Table = toml::from_str(&text).with_context(|| format!("parsing {rel}"))?;
    let name = doc
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or("?")
        .to_owned();
    let is_app = manifest.starts_with(root.join("apps"));
    let is_protocol = manifest.starts_with(root.join("crates"));

    let lints_inherited = doc
        .get("lints")
        .and_then(|l| l.get("workspace"))
        .and_then(|w| w.as_bool())
        == Some(true);
    if !lints_inherited {
        problems.push(format!("{rel}: missing `[lints] workspace = true`"));
    }
    for key in ["version", "edition", "rust-version", "license"] {
        let inherited = doc
            .get("package")
            .and_then(|p| p.get(key))
            .and_then(|v| v.get("workspace"))
            .and_then(|w| w.as_bool())
            == Some(true);
        if !inherited {
            problems.push(format!(
                "{rel}: `package.{key}` must be `{key}.workspace = true`"
            ));
        }
    }

    let allowed: Option<&[&str]> = LAYERS.iter().find(|(n, _)| *n == name).map(|(_, a)| *a);
    if is_protocol && allowed.is_none() {
        problems.push(format!(
            "{rel}: crate `{name}` has no row in xtask's LAYERS table (add one, and to ARCHITECTURE.md)"
        ));
    }
    for (section, is_dev) in [
        ("dependencies", false),
        ("build-dependencies", false),
        ("dev-dependencies", true),
    ] {
        let Some(deps) = doc.get(section).and_then(|d| d.as_table()) else {
            continue;
        };
        for (dep, spec) in deps {
            let inherits = spec
                .get("workspace")
                .and_then(|w| w.as_bool())
                .unwrap_or(false);
            if !inherits {
                problems.push(format!(
                    "{rel}: [{section}] `{dep}` must be `{{ workspace = true }}` (versions live in the root manifest)"
                ));
            }
            if !dep.starts_with("sfb-") {
                continue;
            }
            if is_protocol && (dep == "sfb" || dep == "sfb-probe") {
                problems.push(format!("{rel}: protocol crate depends on app `{dep}`"));
            }
            if is_protocol && dep == "sfb-lab" && !is_dev && name != "sfb-lab" {
                problems.push(format!(
                    "{rel}: `sfb-lab` may only be a dev-dependency of a protocol crate"
                ));
            }
            if is_app || is_dev || dep == "sfb-lab" {
                continue;
            }
            if let Some(allowed) = allowed
                && !allowed.contains(&dep.as_str())
            {
                problems.push(format!(
                    "{rel}: `{name}` may not depend on `{dep}` (layering: allowed {allowed:?})"
                ));
            }
        }
    }
    Ok(())
}

fn rust_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name();
            if p.is_dir() {
                if name != "target" && name != "corpus" && name != "artifacts" {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn check_source(root: &Path, file: &Path, problems: &mut Vec<String>) -> Result<()> {
    let rel = file
        .strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string();
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {rel}"))?;
    let is_tidy = file.ends_with("xtask/src/tidy.rs");
    let dbg = concat!("dbg", "!(");
    if !is_tidy {
        for (i, line) in text.lines().enumerate() {
            if line.contains(dbg) {
                problems.push(format!("{rel}:{}: `dbg!` left in", i + 1));
            }
            for bad in ["ClientConfig::builder()", "ServerConfig::builder()"] {
                if line.contains(bad) {
                    problems.push(format!(
                        "{rel}:{}: `{bad}` uses the process-default crypto provider; use `builder_with_provider`",
                        i + 1
                    ));
                }
            }
        }
    }
    let in_src = file.components().any(|c| c.as_os_str() == "src");
    if in_src {
        let first = text.lines().map(str::trim).find(|l| !l.is_empty());
        if !first.is_some_and(|l| l.starts_with("//!")) {
            problems.push(format!(
                "{rel}: a source file starts with a `//!` module doc"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy() {
        let problems = check(&root()).unwrap();
        assert!(
            problems.is_empty(),
            "tidy problems:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn tidy_catches_a_bad_crate() {
        let dir = std::env::temp_dir().join(format!("sfb-tidy-{}", std::process::id()));
        let krate = dir.join("crates/sfb-sip-codec");
        std::fs::create_dir_all(krate.join("src")).unwrap();
        std::fs::create_dir_all(dir.join("xtask")).unwrap();
        std::fs::write(
            dir.join("xtask/Cargo.toml"),
            "[package]\nname = \"xtask\"\nversion.workspace = true\nedition.workspace = true\n\
             rust-version.workspace = true\nlicense.workspace = true\n[lints]\nworkspace = true\n",
        )
        .unwrap();
        std::fs::write(
            krate.join("Cargo.toml"),
            "[package]\nname = \"sfb-sip-codec\"\nversion = \"0.1.0\"\n\
             [dependencies]\nmemchr = \"2\"\nsfb-auth = { workspace = true }\n",
        )
        .unwrap();
        std::fs::write(
            krate.join("src/lib.rs"),
            format!("fn f() {{ {}1); }}\n", concat!("dbg", "!(")),
        )
        .unwrap();
        let problems = check(&dir).unwrap().join("\n");
        std::fs::remove_dir_all(&dir).unwrap();
        for expected in [
            "missing `[lints] workspace = true`",
            "`package.version` must be",
            "`memchr` must be `{ workspace = true }`",
            "may not depend on `sfb-auth`",
            "`dbg!` left in",
            "starts with a `//!` module doc",
        ] {
            assert!(
                problems.contains(expected),
                "{expected:?} not in:\n{problems}"
            );
        }
    }
}
