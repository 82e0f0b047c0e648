//! Where a password comes from: an environment variable or a file, never the command line.

use sfb_certprov::Password;
use std::path::PathBuf;

/// The password source options shared by every command that signs in.
#[derive(clap::Args, Debug, Default)]
pub(crate) struct PasswordArgs {
    /// Login when it differs from the SIP URI: `DOMAIN\user` or `user@upn`.
    #[arg(long, value_name = "LOGIN")]
    pub(crate) user: Option<String>,
    /// Read the password from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "password_file")]
    pub(crate) password_env: Option<String>,
    /// Read the password from the first line of this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) password_file: Option<PathBuf>,
}

impl PasswordArgs {
    /// The password, if a source was named; an error names the source that failed (never the
    /// password).
    pub(crate) fn password(&self) -> Result<Option<Password>, String> {
        if let Some(var) = &self.password_env {
            let value = std::env::var(var)
                .map_err(|_| format!("--password-env {var}: the variable is not set"))?;
            if value.is_empty() {
                return Err(format!("--password-env {var}: the variable is empty"));
            }
            return Ok(Some(Password::new(value)));
        }
        if let Some(file) = &self.password_file {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("--password-file {}: {e}", file.display()))?;
            let first = text.lines().next().unwrap_or_default();
            if first.is_empty() {
                return Err(format!(
                    "--password-file {}: the file is empty",
                    file.display()
                ));
            }
            return Ok(Some(Password::new(first)));
        }
        Ok(None)
    }
}
