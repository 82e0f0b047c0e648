//! [`MitKdc`]: a throw-away MIT Kerberos KDC on loopback, for the lab and for tests.
//!
//! [`MitKdc::start`] writes `krb5.conf` and `kdc.conf` into a fresh temporary directory,
//! creates the database (`kdb5_util create -s`), adds the [`KdcSpec`]'s users with their
//! passwords and its service principals with random keys exported to a keytab
//! (`kadmin.local`), then runs `krb5kdc -n` on `127.0.0.1` at an ephemeral port (TCP and UDP),
//! optionally with a skewed clock (libfaketime preloaded). It waits a bounded time for the port
//! to open. Dropping the [`MitKdc`] kills the `krb5kdc` it spawned, waits for it and removes the
//! directory.
//!
//! Passwords reach `kadmin.local` on its standard input, never on a command line, and never
//! appear in an error, a log line or `Debug`.
//!
//! The binaries come from Debian's `krb5-kdc` and `krb5-admin-server` packages; they are looked
//! for in `/usr/sbin`, `/usr/bin` and `/sbin`. Without them [`MitKdc::start`] returns
//! [`KdcError::NotInstalled`].

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sfb_auth::kerberos::KdcAddress;
use sfb_certprov::Password;

use crate::directory::Directory;
use crate::sip::KerberosConfig;

/// The lab's realm.
pub const LAB_REALM: &str = "CONTOSO.TEST";

/// Where the MIT binaries are looked for (Debian puts the KDC tools in `/usr/sbin`).
pub const BIN_DIRS: [&str; 3] = ["/usr/sbin", "/usr/bin", "/sbin"];

/// How long [`MitKdc::start`] waits for the KDC's port by default.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(5);

/// The most of a command's error output kept in a [`KdcError`].
const MAX_OUTPUT: usize = 2000;
/// The longest principal name accepted.
const MAX_PRINCIPAL: usize = 256;
/// Attempts at an ephemeral port (another process may take the one picked before krb5kdc
/// binds it).
const PORT_ATTEMPTS: usize = 3;

/// A user principal and its password.
#[derive(Clone)]
pub struct KdcUser {
    /// The principal without realm, e.g. `alice`.
    pub principal: String,
    /// Its password.
    pub password: Password,
}

impl std::fmt::Debug for KdcUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KdcUser")
            .field("principal", &self.principal)
            .finish_non_exhaustive()
    }
}

/// What a [`MitKdc`] holds.
#[derive(Debug, Clone)]
pub struct KdcSpec {
    /// The realm, e.g. `CONTOSO.TEST` (upper-case letters, digits, `.` and `-`).
    pub realm: String,
    /// User principals (`+requires_preauth`) with their passwords.
    pub users: Vec<KdcUser>,
    /// Service principals (e.g. `sip/pool01.contoso.test`) given random keys and exported
    /// to [`MitKdc::keytab_path`].
    pub services: Vec<String>,
    /// A libfaketime offset for the KDC's clock (`"+10m"`, `"-1h"`); `None`: the real clock.
    pub clock_offset: Option<String>,
    /// How long to wait for the KDC's port to open.
    pub startup_timeout: Duration,
}

impl KdcSpec {
    /// An empty spec for `realm`.
    pub fn new(realm: impl Into<String>) -> Self {
        Self {
            realm: realm.into(),
            users: Vec::new(),
            services: Vec::new(),
            clock_offset: None,
            startup_timeout: DEFAULT_STARTUP_TIMEOUT,
        }
    }

    /// The lab's KDC: realm [`LAB_REALM`], every user of `directory` (principal = the login's
    /// user name, password = the lab's), and `sip/<fqdn>` for each of `sip_fqdns`.
    pub fn lab(directory: &Directory, sip_fqdns: &[&str]) -> Self {
        let mut spec = Self::new(LAB_REALM);
        spec.users = directory
            .users
            .iter()
            .map(|u| KdcUser {
                principal: u
                    .login
                    .rsplit_once('\\')
                    .map_or(u.login.as_str(), |(_, n)| n)
                    .to_owned(),
                password: Password::new(u.password.as_str()),
            })
            .collect();
        spec.services = sip_fqdns.iter().map(|f| format!("sip/{f}")).collect();
        spec
    }

    /// Adds a user.
    pub fn user(mut self, principal: impl Into<String>, password: &str) -> Self {
        self.users.push(KdcUser {
            principal: principal.into(),
            password: Password::new(password),
        });
        self
    }

    /// Adds a service principal to the keytab.
    pub fn service(mut self, principal: impl Into<String>) -> Self {
        self.services.push(principal.into());
        self
    }

    fn validate(&self) -> Result<(), KdcError> {
        let realm_ok = !self.realm.is_empty()
            && self.realm.len() <= MAX_PRINCIPAL
            && self
                .realm
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if !realm_ok {
            return Err(KdcError::Spec(format!(
                "realm {:?}: upper-case letters, digits, '.' and '-' only",
                self.realm
            )));
        }
        for p in self
            .users
            .iter()
            .map(|u| &u.principal)
            .chain(&self.services)
        {
            check_principal(p)?;
        }
        if let Some(o) = &self.clock_offset {
            let ok = o.len() <= 32
                && o.starts_with(['+', '-'])
                && o[1..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.');
            if !ok {
                return Err(KdcError::Spec(format!(
                    "clock offset {o:?}: expected a libfaketime offset such as \"+10m\""
                )));
            }
        }
        Ok(())
    }
}

/// A principal name we pass to `kadmin.local` inside a query: no quoting needed.
fn check_principal(p: &str) -> Result<(), KdcError> {
    let ok = !p.is_empty()
        && p.len() <= MAX_PRINCIPAL
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-$".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(KdcError::Spec(format!(
            "principal {p:?}: letters, digits and / . _ - $ only, at most {MAX_PRINCIPAL} bytes"
        )))
    }
}

/// Why a [`MitKdc`] could not start or a `kadmin.local` query failed.
#[derive(Debug, thiserror::Error)]
pub enum KdcError {
    /// A binary is missing.
    #[error(
        "MIT krb5-kdc is not installed (apt install krb5-kdc krb5-admin-server): no {missing} in /usr/sbin, /usr/bin or /sbin"
    )]
    NotInstalled {
        /// The binary not found.
        missing: &'static str,
    },
    /// A clock offset was asked for but libfaketime is missing.
    #[error(
        "libfaketime is not installed (apt install faketime): needed for the KDC's clock offset"
    )]
    FaketimeNotInstalled,
    /// The spec cannot be used.
    #[error("invalid KDC spec: {0}")]
    Spec(String),
    /// A command could not be run at all.
    #[error("{command}: cannot run: {source}")]
    Spawn {
        /// The command (passwords are never part of it).
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// A command ran and failed.
    #[error("{command} failed ({status}): {stderr}")]
    Command {
        /// The command (passwords are never part of it).
        command: String,
        /// Its exit status, or "error output" when it exited 0 but reported an error.
        status: String,
        /// Its error output (bounded).
        stderr: String,
    },
    /// krb5kdc exited before its port opened.
    #[error("krb5kdc exited ({status}) before listening on {addr}: {output}")]
    Exited {
        /// Where it should have listened.
        addr: SocketAddr,
        /// Its exit status.
        status: String,
        /// Its output (bounded).
        output: String,
    },
    /// krb5kdc did not open its port in time.
    #[error("krb5kdc did not listen on {addr} within {waited:?}: {output}")]
    NotListening {
        /// Where it should have listened.
        addr: SocketAddr,
        /// How long we waited.
        waited: Duration,
        /// Its output so far (bounded).
        output: String,
    },
    /// A file or directory could not be written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// The full path of an MIT binary, or [`KdcError::NotInstalled`].
fn find_bin(name: &'static str) -> Result<PathBuf, KdcError> {
    BIN_DIRS
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
        .ok_or(KdcError::NotInstalled { missing: name })
}

/// libfaketime's preload library, where Debian and others put it.
fn find_faketime_lib() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = vec![PathBuf::from("/usr/lib/faketime")];
    if let Ok(rd) = std::fs::read_dir("/usr/lib") {
        for e in rd.flatten() {
            dirs.push(e.path().join("faketime"));
        }
    }
    dirs.push(PathBuf::from("/usr/local/lib/faketime"));
    dirs.into_iter()
        .map(|d| d.join("libfaketime.so.1"))
        .find(|p| p.is_file())
}

/// Checks that the KDC binaries are installed (what [`MitKdc::start`] checks first).
pub fn check_installed() -> Result<(), KdcError> {
    for b in ["krb5kdc", "kdb5_util", "kadmin.local"] {
        find_bin(b)?;
    }
    Ok(())
}

/// At most [`MAX_OUTPUT`] bytes of `s`, on a char boundary, trimmed.
fn bounded(s: &str) -> String {
    let s = s.trim();
    if s.len() <= MAX_OUTPUT {
        return s.to_owned();
    }
    let mut end = MAX_OUTPUT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// A running throw-away MIT KDC (see the module docs). Dropping it stops and removes it.
#[derive(Debug)]
pub struct MitKdc {
    dir: PathBuf,
    addr: SocketAddr,
    realm: String,
    kadmin: PathBuf,
    child: Child,
}

impl MitKdc {
    /// Creates and starts a KDC for `spec` (blocking: a few short commands, then a bounded wait
    /// for the port; call it from `spawn_blocking` on an async runtime).
    pub fn start(spec: &KdcSpec) -> Result<Self, KdcError> {
        spec.validate()?;
        let krb5kdc = find_bin("krb5kdc")?;
        let kdb5_util = find_bin("kdb5_util")?;
        let kadmin = find_bin("kadmin.local")?;
        let preload = match &spec.clock_offset {
            Some(_) => Some(find_faketime_lib().ok_or(KdcError::FaketimeNotInstalled)?),
            None => None,
        };
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            let dir = fresh_dir()?;
            let mut guard = DirGuard(Some(dir.clone()));
            let port = free_port(&dir)?;
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            write_config(&dir, &spec.realm, addr)?;
            let env = Env::new(&dir);
            let create = Command::new(&kdb5_util)
                .args(["create", "-s", "-r", &spec.realm, "-P", "masterkey"])
                .envs(env.vars())
                .stdin(Stdio::null())
                .output()
                .map_err(|e| KdcError::Spawn {
                    command: "kdb5_util create".into(),
                    source: e,
                })?;
            if !create.status.success() {
                return Err(KdcError::Command {
                    command: "kdb5_util create -s".into(),
                    status: create.status.to_string(),
                    stderr: bounded(&String::from_utf8_lossy(&create.stderr)),
                });
            }
            let out_path = dir.join("krb5kdc.out");
            let out = std::fs::File::create(&out_path).map_err(|e| KdcError::Io {
                path: out_path.clone(),
                source: e,
            })?;
            let err = out.try_clone().map_err(|e| KdcError::Io {
                path: out_path.clone(),
                source: e,
            })?;
            let mut cmd = Command::new(&krb5kdc);
            cmd.arg("-n")
                .envs(env.vars())
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err);
            if let (Some(lib), Some(offset)) = (&preload, &spec.clock_offset) {
                cmd.env("LD_PRELOAD", lib)
                    .env("FAKETIME", offset)
                    .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
            }
            // The database is complete before the KDC starts: principals first.
            let partial = Partial {
                dir: &dir,
                kadmin: &kadmin,
            };
            partial.populate(spec)?;
            let child = cmd.spawn().map_err(|e| KdcError::Spawn {
                command: "krb5kdc -n".into(),
                source: e,
            })?;
            let dir = guard.0.take().unwrap_or_default();
            let mut kdc = MitKdc {
                dir,
                addr,
                realm: spec.realm.clone(),
                kadmin: kadmin.clone(),
                child,
            };
            match kdc.wait_listening(spec.startup_timeout) {
                Ok(()) => {
                    tracing::debug!(addr = %kdc.addr, realm = %kdc.realm, "MIT KDC started");
                    return Ok(kdc);
                }
                // The port was taken in between: try another one.
                Err(e @ KdcError::Exited { .. }) if kdc.output().contains("in use") => {
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or(KdcError::Spec("no port".into())))
    }

    /// Polls the port until it opens, the process exits, or `timeout` passes.
    fn wait_listening(&mut self, timeout: Duration) -> Result<(), KdcError> {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(KdcError::Exited {
                    addr: self.addr,
                    status: status.to_string(),
                    output: self.output(),
                });
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if start.elapsed() >= timeout {
                return Err(KdcError::NotListening {
                    addr: self.addr,
                    waited: timeout,
                    output: self.output(),
                });
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// What krb5kdc printed (bounded).
    fn output(&self) -> String {
        let text = std::fs::read(self.dir.join("krb5kdc.out")).unwrap_or_default();
        let log = std::fs::read(self.dir.join("kdc.log")).unwrap_or_default();
        bounded(&format!(
            "{}{}",
            String::from_utf8_lossy(&text),
            String::from_utf8_lossy(&log)
        ))
    }

    /// Where the KDC listens (TCP and UDP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The KDC's address for a Kerberos client (`sfb_session::SignInRequest::kdcs`).
    pub fn kdc_address(&self) -> KdcAddress {
        KdcAddress {
            host: self.addr.ip().to_string(),
            port: self.addr.port(),
        }
    }

    /// The realm.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The directory holding the configuration, the database and the keytab.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The keytab holding the spec's service principals.
    pub fn keytab_path(&self) -> PathBuf {
        self.dir.join("services.keytab")
    }

    /// The `krb5.conf` naming this KDC (for `KRB5_CONFIG`).
    pub fn krb5_conf(&self) -> PathBuf {
        self.dir.join("krb5.conf")
    }

    /// The lab's SIP roles' Kerberos settings: this KDC's keytab and realm.
    pub fn kerberos_config(&self) -> KerberosConfig {
        KerberosConfig {
            keytab: self.keytab_path(),
            realm: self.realm.clone(),
        }
    }

    /// Runs one `kadmin.local -q QUERY` and returns its standard output. An exit status other
    /// than 0, or an error line on its standard error, is a [`KdcError::Command`]. Do not put
    /// passwords into `query` (use [`MitKdc::set_password`]): queries appear in errors.
    pub fn kadmin(&self, query: &str) -> Result<String, KdcError> {
        Partial {
            dir: &self.dir,
            kadmin: &self.kadmin,
        }
        .kadmin(query, None)
    }

    /// Sets a principal's password (given on `kadmin.local`'s standard input).
    pub fn set_password(&self, principal: &str, password: &Password) -> Result<(), KdcError> {
        check_principal(principal)?;
        Partial {
            dir: &self.dir,
            kadmin: &self.kadmin,
        }
        .kadmin(&format!("cpw {principal}"), Some(password))
        .map(drop)
    }

    /// Adds a service principal with a random key and exports it to [`MitKdc::keytab_path`].
    pub fn add_service(&self, principal: &str) -> Result<(), KdcError> {
        check_principal(principal)?;
        self.kadmin(&format!("addprinc -randkey {principal}"))?;
        self.kadmin(&format!(
            "ktadd -k {} -norandkey {principal}",
            self.keytab_path().display()
        ))
        .map(drop)
    }
}

impl Drop for MitKdc {
    fn drop(&mut self) {
        // Our own child only, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
        remove_dir(&self.dir);
    }
}

/// The database directory while it is being built (and the `kadmin.local` runner).
struct Partial<'a> {
    dir: &'a Path,
    kadmin: &'a Path,
}

impl Partial<'_> {
    fn populate(&self, spec: &KdcSpec) -> Result<(), KdcError> {
        for u in &spec.users {
            self.kadmin(
                &format!("addprinc +requires_preauth {}", u.principal),
                Some(&u.password),
            )?;
        }
        let keytab = self.dir.join("services.keytab");
        for s in &spec.services {
            self.kadmin(&format!("addprinc -randkey {s}"), None)?;
        }
        if !spec.services.is_empty() {
            self.kadmin(
                &format!(
                    "ktadd -k {} -norandkey {}",
                    keytab.display(),
                    spec.services.join(" ")
                ),
                None,
            )?;
        }
        Ok(())
    }

    /// `kadmin.local -q query`; a password (when given) goes twice to its standard input, for
    /// the "Enter password" and "Re-enter password" prompts.
    fn kadmin(&self, query: &str, password: Option<&Password>) -> Result<String, KdcError> {
        let command = format!("kadmin.local -q {query:?}");
        let mut child = Command::new(self.kadmin)
            .arg("-q")
            .arg(query)
            .envs(Env::new(self.dir).vars())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| KdcError::Spawn {
                command: command.clone(),
                source: e,
            })?;
        if let Some(mut stdin) = child.stdin.take() {
            if let Some(p) = password {
                // A write error shows as the command's own failure below.
                let _ = [p.expose(), "\n", p.expose(), "\n"]
                    .iter()
                    .try_for_each(|part| stdin.write_all(part.as_bytes()));
            }
            drop(stdin);
        }
        let out = child.wait_with_output().map_err(|e| KdcError::Spawn {
            command: command.clone(),
            source: e,
        })?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        // kadmin.local exits 0 after most failed queries; the error is a line on stderr.
        let errors: Vec<&str> = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !benign(l))
            .collect();
        if !out.status.success() || !errors.is_empty() {
            return Err(KdcError::Command {
                command,
                status: if out.status.success() {
                    "error output".into()
                } else {
                    out.status.to_string()
                },
                stderr: bounded(&errors.join("\n")),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// `kadmin.local` chatter on stderr that is not an error.
fn benign(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    l.starts_with("no policy specified")
        || l.starts_with("warning: no policy specified")
        || l.starts_with("notice:")
        || l.starts_with("authenticating as principal")
}

/// The environment every MIT command gets: our configuration only.
struct Env {
    config: PathBuf,
    profile: PathBuf,
}

impl Env {
    fn new(dir: &Path) -> Self {
        Self {
            config: dir.join("krb5.conf"),
            profile: dir.join("kdc.conf"),
        }
    }

    fn vars(&self) -> [(&'static str, &Path); 2] {
        [
            ("KRB5_CONFIG", self.config.as_path()),
            ("KRB5_KDC_PROFILE", self.profile.as_path()),
        ]
    }
}

/// A new, empty, unique directory under the system's temporary directory.
fn fresh_dir() -> Result<PathBuf, KdcError> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("sfb-kdc-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| KdcError::Io {
        path: dir.clone(),
        source: e,
    })?;
    std::path::absolute(&dir).map_err(|e| KdcError::Io {
        path: dir.clone(),
        source: e,
    })
}

/// Removes the directory while the KDC is being set up, unless handed over.
struct DirGuard(Option<PathBuf>);

impl Drop for DirGuard {
    fn drop(&mut self) {
        if let Some(d) = &self.0 {
            remove_dir(d);
        }
    }
}

fn remove_dir(d: &Path) {
    if let Err(e) = std::fs::remove_dir_all(d) {
        tracing::warn!(dir = %d.display(), error = %e, "cannot remove the KDC's directory");
    }
}

/// An ephemeral TCP port on 127.0.0.1 that was free a moment ago.
fn free_port(dir: &Path) -> Result<u16, KdcError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| KdcError::Io {
            path: dir.to_path_buf(),
            source: e,
        })
}

fn write_config(dir: &Path, realm: &str, addr: SocketAddr) -> Result<(), KdcError> {
    let d = dir.display();
    let domain = realm.to_ascii_lowercase();
    let krb5 = format!(
        "[libdefaults]\n  default_realm = {realm}\n  dns_lookup_kdc = false\n  dns_lookup_realm = false\n  rdns = false\n  udp_preference_limit = 1\n  allow_weak_crypto = true\n  permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 rc4-hmac\n[realms]\n  {realm} = {{\n    kdc = {addr}\n  }}\n[domain_realm]\n  .{domain} = {realm}\n"
    );
    let kdc = format!(
        "[kdcdefaults]\n  kdc_listen = {addr}\n  kdc_tcp_listen = {addr}\n[realms]\n  {realm} = {{\n    database_name = {d}/principal\n    key_stash_file = {d}/stash\n    acl_file = {d}/kadm5.acl\n    max_life = 10h\n    default_principal_flags = +preauth\n    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal\n  }}\n[logging]\n  kdc = FILE:{d}/kdc.log\n"
    );
    for (name, text) in [
        ("krb5.conf", krb5),
        ("kdc.conf", kdc),
        ("kadm5.acl", format!("*/admin@{realm} *\n")),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| KdcError::Io { path, source: e })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_refuse_names_that_would_need_quoting() {
        for bad in ["", "a b", "a\"b", "x;y", "sip/pool\n01"] {
            let spec = KdcSpec::new(LAB_REALM).service(bad);
            assert!(matches!(spec.validate(), Err(KdcError::Spec(_))), "{bad:?}");
        }
        assert!(KdcSpec::new("contoso.test").validate().is_err());
        let mut spec = KdcSpec::new(LAB_REALM);
        spec.clock_offset = Some("+10m; rm".into());
        assert!(spec.validate().is_err());
        spec.clock_offset = Some("+10m".into());
        assert!(spec.validate().is_ok());
    }

    #[test]
    fn the_lab_spec_has_the_users_and_no_password_in_debug() {
        let spec = KdcSpec::lab(&Directory::contoso(), &["dir01.contoso.test"]);
        assert_eq!(spec.realm, LAB_REALM);
        let names: Vec<&str> = spec.users.iter().map(|u| u.principal.as_str()).collect();
        assert_eq!(names, ["alice", "bob"]);
        assert_eq!(spec.services, ["sip/dir01.contoso.test"]);
        let dbg = format!("{spec:?}");
        assert!(!dbg.contains("Lab-Pass"), "{dbg}");
        assert!(spec.validate().is_ok());
    }

    #[test]
    fn the_missing_binary_message_names_the_packages() {
        let e = KdcError::NotInstalled { missing: "krb5kdc" }.to_string();
        assert!(
            e.starts_with("MIT krb5-kdc is not installed (apt install krb5-kdc krb5-admin-server)"),
            "{e}"
        );
    }

    #[test]
    fn output_is_bounded_on_a_char_boundary() {
        let s = "é".repeat(MAX_OUTPUT);
        let b = bounded(&s);
        assert!(b.len() <= MAX_OUTPUT + 3);
        assert!(b.ends_with("..."));
    }
}
