//! Test helpers: a throw-away MIT KDC (scripts/kdc-up.sh) and the python-gssapi oracle.

#![allow(dead_code)] // each test binary uses a different subset of the helpers

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use sfb_auth::kerberos::{
    ClientConfig, Input, KerberosClient, KerberosError, KerberosServer, Output, ServiceKey, driver,
    keytab::Keytab,
};

pub(crate) const REALM: &str = "CONTOSO.TEST";
pub(crate) const SPN: &str = "sip/sip.contoso.test";
pub(crate) const USER: &str = "alice";
pub(crate) const PASSWORD: &str = "Passw0rd";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn have(cmd: &str) -> bool {
    [
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
        "/usr/local/bin",
        "/usr/local/sbin",
    ]
    .iter()
    .any(|d| Path::new(d).join(cmd).exists())
}

// The skip note must be loud on the test's stderr.
#[allow(clippy::print_stderr)]
/// Whether a missing peer is a failure (`SFB_REQUIRE_PEERS=1`) or a loud skip.
pub(crate) fn peer_missing(what: &str) -> bool {
    if std::env::var("SFB_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!("required test peer missing: {what} (SFB_REQUIRE_PEERS=1)");
    }
    eprintln!(
        "\n!!!!! SKIPPED: test peer missing: {what} (set SFB_REQUIRE_PEERS=1 to make this fail) !!!!!\n"
    );
    true
}

/// A running MIT KDC in a temp dir; killed (by its pid) and removed on drop.
pub(crate) struct Kdc {
    pub(crate) dir: PathBuf,
    pub(crate) port: u16,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Kdc {
    /// Start a KDC, or `None` (after a loud skip note) when the binaries are missing.
    pub(crate) fn start() -> Option<Self> {
        Self::start_with_offset(None)
    }

    /// A KDC whose clock runs `offset` (libfaketime syntax, `+1h`) away from ours.
    pub(crate) fn start_with_offset(offset: Option<&str>) -> Option<Self> {
        if offset.is_some() && !have("faketime") {
            peer_missing("faketime (Debian package faketime)");
            return None;
        }
        for bin in ["krb5kdc", "kdb5_util", "kadmin.local", "kinit"] {
            if !have(bin) {
                peer_missing(bin);
                return None;
            }
        }
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("sfb-krb-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/kdc-up.sh"))
            .arg(&dir)
            .arg(port.to_string())
            .env(
                "PATH",
                format!(
                    "/usr/sbin:/sbin:{}",
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("KDC_TIME_OFFSET", offset.unwrap_or(""))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kdc-up.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The script waits for the TCP port; make sure it really answers.
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
            "KDC not listening"
        );
        Some(Self { dir, port })
    }

    pub(crate) fn kdc(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub(crate) fn keytab(&self, name: &str) -> Keytab {
        Keytab::parse(&std::fs::read(self.dir.join(name)).unwrap()).unwrap()
    }

    pub(crate) fn server(&self) -> KerberosServer {
        let keys = ServiceKey::from_keytab(&self.keytab("sip.keytab"), SPN);
        assert_eq!(keys.len(), 2, "aes256 + aes128 keys expected");
        KerberosServer::new(keys, sfb_auth::kerberos::DEFAULT_SKEW)
    }

    pub(crate) fn env(&self, cmd: &mut Command) {
        cmd.env("KRB5_CONFIG", self.dir.join("krb5.conf"))
            .env(
                "KRB5CCNAME",
                format!("FILE:{}", self.dir.join("ccache").display()),
            )
            .env(
                "KRB5_KTNAME",
                format!("FILE:{}", self.dir.join("sip.keytab").display()),
            )
            .env("KRB5RCACHETYPE", "none");
    }

    /// A ready client for `spn`, or the driver's error.
    pub(crate) fn client(
        &self,
        spn: &str,
        user: &str,
        password: &str,
    ) -> Result<KerberosClient, KerberosError> {
        let mut c = KerberosClient::new(ClientConfig {
            spn: spn.into(),
            realm: REALM.into(),
            kdcs: vec![self.kdc().parse().unwrap()],
        })?;
        let Output::AcquireKerberosToken(req) = c.start();
        let tok = driver::acquire_token(&req, user, password)?;
        c.handle(Input::KerberosToken(tok))?;
        Ok(c)
    }

    /// `kinit alice` into this KDC's ccache.
    pub(crate) fn kinit(&self) {
        let mut cmd = Command::new("kinit");
        self.env(&mut cmd);
        let mut child = cmd
            .arg(USER)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success(), "kinit failed");
    }
}

impl Drop for Kdc {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo_root().join("scripts/kdc-down.sh"))
            .arg(&self.dir)
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Run the python-gssapi oracle with `request`; `None` (after a skip note) if python-gssapi is missing.
pub(crate) fn oracle(kdc: &Kdc, request: &serde_json::Value) -> Option<serde_json::Value> {
    let python = std::env::var("SFB_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", "import gssapi"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        peer_missing(&format!("{python} with the gssapi module (python3-gssapi)"));
        return None;
    }
    let mut cmd = Command::new(&python);
    kdc.env(&mut cmd);
    let mut child = cmd
        .arg(repo_root().join("scripts/gssapi_oracle.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(request.to_string().as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}
