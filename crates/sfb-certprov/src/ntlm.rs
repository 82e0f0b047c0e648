//! The HTTP NTLM client mechanism (RFC 4559, [MS-NLMP] connection-oriented): sspi's NTLMv2
//! client behind [`HttpAuthClient`]. sspi sends a NEGOTIATE, answers the CHALLENGE with an
//! AUTHENTICATE carrying a MIC over all three messages.

use sspi::{
    AuthIdentity, BufferType, ClientRequestFlags, CredentialUse, DataRepresentation, Ntlm,
    SecurityBuffer, Sspi, SspiImpl, Username,
};

use crate::flow::{AuthClientError, HttpAuthClient};
use crate::secret::Password;

/// Longest token accepted from the server or produced by the mechanism.
const MAX_TOKEN: usize = 64 * 1024;

/// sspi's NTLM client with a `DOMAIN\user` (or UPN) and a password.
pub struct NtlmHttpClient {
    ntlm: Ntlm,
    handle: Option<sspi::AuthIdentityBuffers>,
    target: String,
}

impl std::fmt::Debug for NtlmHttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NtlmHttpClient")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

fn failed(e: impl std::fmt::Display) -> AuthClientError {
    AuthClientError::MechanismFailed {
        detail: e.to_string().chars().take(256).collect(),
    }
}

impl NtlmHttpClient {
    /// A client for `login` (`DOMAIN\user` or `user@domain`), e.g. towards `HTTP/host`.
    pub fn new(
        login: &str,
        password: &Password,
        target_host: &str,
    ) -> Result<Self, AuthClientError> {
        let mut ntlm = Ntlm::new();
        let identity = AuthIdentity {
            username: Username::parse(login).map_err(failed)?,
            password: password.expose().to_owned().into(),
        };
        let acquired = ntlm
            .acquire_credentials_handle()
            .with_credential_use(CredentialUse::Outbound)
            .with_auth_data(&identity)
            .execute(&mut ntlm)
            .map_err(failed)?;
        Ok(NtlmHttpClient {
            ntlm,
            handle: acquired.credentials_handle,
            target: format!("HTTP/{target_host}"),
        })
    }
}

impl HttpAuthClient for NtlmHttpClient {
    fn step(&mut self, server_token: Option<&[u8]>) -> Result<Vec<u8>, AuthClientError> {
        if server_token.is_some_and(|t| t.len() > MAX_TOKEN) {
            return Err(AuthClientError::MechanismFailed {
                detail: "server token too long".into(),
            });
        }
        let mut input = vec![SecurityBuffer::new(
            server_token.map(<[u8]>::to_vec).unwrap_or_default(),
            BufferType::Token,
        )];
        let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
        let mut builder = self
            .ntlm
            .initialize_security_context()
            .with_credentials_handle(&mut self.handle)
            .with_context_requirements(ClientRequestFlags::ALLOCATE_MEMORY)
            .with_target_data_representation(DataRepresentation::Native)
            .with_target_name(&self.target)
            .with_output(&mut output);
        if server_token.is_some() {
            builder = builder.with_input(&mut input);
        }
        self.ntlm
            .initialize_security_context_impl(&mut builder)
            .map_err(failed)?
            .resolve_to_result()
            .map_err(failed)?;
        let token = output
            .into_iter()
            .next()
            .map(|b| b.buffer)
            .unwrap_or_default();
        if token.is_empty() || token.len() > MAX_TOKEN {
            return Err(AuthClientError::MechanismFailed {
                detail: "mechanism produced no token".into(),
            });
        }
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn produces_a_negotiate_then_refuses_garbage() {
        let mut c = NtlmHttpClient::new("CONTOSO\\alice", &Password::new("pw"), "lyncweb").unwrap();
        let neg = c.step(None).unwrap();
        assert!(neg.starts_with(b"NTLMSSP\0\x01\0\0\0"));
        assert!(c.step(Some(b"not a challenge")).is_err());
        assert!(c.step(Some(&vec![0u8; MAX_TOKEN + 1])).is_err());
        assert!(!format!("{c:?}").contains("pw"));
    }
}
