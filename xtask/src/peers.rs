//! The real test peers: Debian packages (MIT KDC, dnsmasq, Samba's `ntlm_auth`, tshark, sipp,
//! socat, python3-gssapi) and a Python venv with pyspnego. Installed when missing, never mocked.
//!
//! The tests start the services themselves (a KDC or dnsmasq per test, on free ports) and fail,
//! not skip, when a peer is missing and `SFB_REQUIRE_PEERS=1`.

use crate::util::{find_program, have, root, sh};
use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::process::Command;

/// (program that proves the package is there, Debian package).
const PACKAGES: &[(&str, &str)] = &[
    ("krb5kdc", "krb5-kdc"),
    ("kadmin.local", "krb5-admin-server"),
    ("kinit", "krb5-user"),
    ("dnsmasq", "dnsmasq-base"),
    ("ntlm_auth", "winbind"),
    ("tshark", "tshark"),
    ("sipp", "sip-tester"),
    ("socat", "socat"),
    ("openssl", "openssl"),
    ("kdig", "knot-dnsutils"),
    ("faketime", "faketime"),
    ("chromium", "chromium"),
];

/// Python modules of Debian's system Python (the venv sees them through system site packages).
const SYSTEM_PY: &[(&str, &str)] = &[("gssapi", "python3-gssapi"), ("venv", "python3-venv")];

/// pyspnego, pinned: the NTLM oracle recipe was checked with this version.
const PYSPNEGO: &str = "pyspnego==0.12.4";

/// `cargo xtask peers [--no-install]`: installs what is missing, prints the environment.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let install = !args.iter().any(|a| a == "--no-install");
    for (k, v) in ensure(install)? {
        println!("export {k}={v}");
    }
    Ok(())
}

/// Makes sure every peer is present (installing with apt and pip when `install`), and returns the
/// environment the tests need (`SFB_PYTHON`).
pub(crate) fn ensure(install: bool) -> Result<Vec<(String, String)>> {
    let mut missing: Vec<&str> = PACKAGES
        .iter()
        .filter(|(prog, _)| !have(prog))
        .map(|(_, pkg)| *pkg)
        .collect();
    for (module, pkg) in SYSTEM_PY {
        let ok = Command::new("/usr/bin/python3")
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            missing.push(pkg);
        }
    }
    if !missing.is_empty() {
        if !install {
            bail!(
                "missing test peers: {} (run `cargo xtask peers`)",
                missing.join(" ")
            );
        }
        apt_install(&missing)?;
    }
    let python = venv(install)?;
    Ok(vec![("SFB_PYTHON".into(), python.display().to_string())])
}

fn apt_install(packages: &[&str]) -> Result<()> {
    let sudo = if is_root() {
        None
    } else {
        find_program("sudo")
    };
    if !is_root() && sudo.is_none() {
        bail!(
            "missing Debian packages {} and not root: install them with apt-get",
            packages.join(" ")
        );
    }
    let apt = |args: &[&str]| -> Result<()> {
        let mut cmd = match &sudo {
            Some(s) => {
                let mut c = Command::new(s);
                c.arg("apt-get");
                c
            }
            None => Command::new("apt-get"),
        };
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        sh(&mut cmd)
    };
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend_from_slice(packages);
    apt(&args)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// A venv over Debian's Python 3 with system site packages (for `gssapi`), plus pyspnego.
fn venv(install: bool) -> Result<PathBuf> {
    let dir = root().join(".venv");
    let python = dir.join("bin/python");
    if !python.is_file() {
        if !install {
            bail!(
                "no python venv at {} (run `cargo xtask peers`)",
                dir.display()
            );
        }
        sh(Command::new("/usr/bin/python3")
            .args(["-m", "venv", "--system-site-packages"])
            .arg(&dir))?;
    }
    let has_spnego = Command::new(&python)
        .args(["-c", "import spnego, gssapi"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_spnego {
        if !install {
            bail!("the venv lacks pyspnego (run `cargo xtask peers`)");
        }
        sh(Command::new(&python).args(["-m", "pip", "install", "-q", PYSPNEGO]))
            .context("installing pyspnego into the venv")?;
    }
    Ok(python)
}
