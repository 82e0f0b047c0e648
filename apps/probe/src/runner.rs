//! What one probe run is asked to do ([`Request`]) and the seam that performs it ([`Runner`]).
//!
//! The app does no sign-in itself: a [`Runner`] turns a [`Request`] into a
//! [`SignInTrace`] whose steps carry their verdicts. The binary wires
//! [`crate::session::SessionRunner`]; tests plug in their own.

use std::fmt;
use std::path::PathBuf;

use sfb_certprov::Password;
use sfb_trace::{RedactionPolicy, SignInTrace};

/// Where a password comes from: never the command line, never a CSV cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// An environment variable, by name.
    Env(String),
    /// The first line of a file.
    File(PathBuf),
}

impl PasswordSource {
    /// Reads the password; the error names the source, never the password.
    pub fn read(&self) -> Result<Password, String> {
        match self {
            Self::Env(var) => match std::env::var(var) {
                Ok(v) if !v.is_empty() => Ok(Password::new(v)),
                Ok(_) => Err(format!("password variable {var} is empty")),
                Err(_) => Err(format!("password variable {var} is not set")),
            },
            Self::File(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("password file {}: {e}", path.display()))?;
                let first = text.lines().next().unwrap_or_default();
                if first.is_empty() {
                    return Err(format!("password file {} is empty", path.display()));
                }
                Ok(Password::new(first))
            }
        }
    }
}

/// A login and where its password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `DOMAIN\user` or `user@upn`; `None` means the SIP URI's user part.
    pub login: Option<String>,
    /// The password source.
    pub password: PasswordSource,
}

/// The authentication scheme asked for (`--auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AuthScheme {
    /// What the server offers, Kerberos first when a ticket can be had.
    #[default]
    Auto,
    /// NTLM only.
    Ntlm,
    /// Kerberos only.
    Kerberos,
    /// TLS-DSK (not implemented yet: a usage error).
    TlsDsk,
}

/// Connection options shared with `sfb signin` (CLI.md "Shared options").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectOptions {
    /// `--server HOST[:PORT]`: skip discovery.
    pub server: Option<String>,
    /// `--dns ADDR[:PORT]`.
    pub dns: Option<String>,
    /// `--ca FILE` (repeatable).
    pub ca: Vec<PathBuf>,
    /// `--trust DOMAIN` (repeatable).
    pub trust: Vec<String>,
    /// `--realm REALM`.
    pub realm: Option<String>,
    /// `--kdc HOST[:PORT]`.
    pub kdc: Option<String>,
    /// `--auth`.
    pub auth: AuthScheme,
    /// `--user-agent UA`.
    pub user_agent: Option<String>,
    /// `--external`: sign in as a remote user, through the Access Edge (with `--lab`: the
    /// lab's DNS as the Internet sees it).
    pub external: bool,
}

/// What to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A real deployment, by SIP URI.
    Live {
        /// The user's SIP URI.
        sip_uri: String,
    },
    /// The embedded lab, optionally in a fault scenario.
    Lab {
        /// The scenario name (`None`: the healthy lab).
        scenario: Option<String>,
        /// `--no-auth`: stop after the first 401 (otherwise the lab user's throw-away password
        /// is used when no credentials are given).
        no_auth: bool,
    },
}

/// One probe run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// What to probe.
    pub target: Target,
    /// How to connect.
    pub connect: ConnectOptions,
    /// Credentials; `None` runs `--no-auth` (stop after the first 401).
    pub credentials: Option<Credentials>,
    /// What the trace may carry.
    pub policy: RedactionPolicy,
}

/// Why a run produced no trace at all (a failed sign-in is a trace, not an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// The request cannot be carried out as given (exit 2).
    Usage(String),
    /// Something inside the tool broke (exit 3).
    Internal(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(m) | Self::Internal(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for RunError {}

/// Performs a sign-in attempt (at most one per account) and returns its diagnosed trace.
///
/// Called from several threads at once in batch mode.
pub trait Runner: Send + Sync {
    /// Runs one request.
    fn run(&self, request: &Request) -> Result<SignInTrace, RunError>;
}

impl<F> Runner for F
where
    F: Fn(&Request) -> Result<SignInTrace, RunError> + Send + Sync,
{
    fn run(&self, request: &Request) -> Result<SignInTrace, RunError> {
        self(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_sources_name_the_source_not_the_password() {
        let dir = std::env::temp_dir().join(format!("sfb-probe-pw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("pw");
        std::fs::write(&file, "Canary-Pa55\nsecond line\n").unwrap();
        let pw = PasswordSource::File(file.clone()).read().unwrap();
        assert_eq!(pw.expose(), "Canary-Pa55");
        assert!(!format!("{pw:?}").contains("Canary"));
        std::fs::write(&file, "").unwrap();
        let err = PasswordSource::File(file).read().unwrap_err();
        assert!(err.contains("is empty"), "{err}");
        let err = PasswordSource::Env("SFB_PROBE_SURELY_UNSET_VAR".into())
            .read()
            .unwrap_err();
        assert!(err.contains("not set"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
