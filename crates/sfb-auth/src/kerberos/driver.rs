//! Blocking driver for [`super::Output::AcquireKerberosToken`]: sspi 0.23 runs the AS/TGS
//! exchanges and builds the AP-REQ; the KDC transport is our own small TCP/UDP client
//! (sspi's `network_client` and `dns_resolver` features stay off).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use super::client::{AcquiredToken, KdcAddress, TokenRequest};
use super::{Enctype, KerberosError, SessionKey};
use sspi::network_client::{NetworkClient, NetworkProtocol};
use sspi::{
    AuthIdentity, BufferType, ClientRequestFlags, CredentialUse, DataRepresentation, Kerberos,
    KerberosConfig, SecurityBuffer, SecurityStatus, Sspi, SspiImpl, Username,
};

/// Largest KDC reply we read.
const MAX_KDC_REPLY: usize = 1024 * 1024;
/// Marker put into the transport's error text so the error can be classified.
const UNREACHABLE: &str = "sfb: kdc unreachable";

/// A blocking TCP/UDP KDC transport with timeouts and a reply size limit.
#[derive(Debug, Clone)]
pub struct StdKdcClient {
    /// Connect / read / write timeout.
    pub timeout: Duration,
}

impl Default for StdKdcClient {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
        }
    }
}

fn io_err(e: impl std::fmt::Display) -> sspi::Error {
    sspi::Error::new(
        sspi::ErrorKind::NoAuthenticatingAuthority,
        format!("{UNREACHABLE}: {e}"),
    )
}

impl StdKdcClient {
    /// RFC 4120 §7.2.2: TCP, each message prefixed by a 4-octet big-endian length.
    fn tcp(&self, addr: &str, data: &[u8]) -> sspi::Result<Vec<u8>> {
        let sa = addr
            .to_socket_addrs()
            .map_err(io_err)?
            .next()
            .ok_or_else(|| io_err("no address"))?;
        let mut s = TcpStream::connect_timeout(&sa, self.timeout).map_err(io_err)?;
        s.set_read_timeout(Some(self.timeout)).map_err(io_err)?;
        s.set_write_timeout(Some(self.timeout)).map_err(io_err)?;
        s.write_all(data).map_err(io_err)?;
        let mut len = [0u8; 4];
        s.read_exact(&mut len).map_err(io_err)?;
        let n = u32::from_be_bytes(len) as usize;
        if n > MAX_KDC_REPLY {
            return Err(io_err("reply too large"));
        }
        let mut out = len.to_vec();
        out.resize(4 + n, 0);
        s.read_exact(&mut out[4..]).map_err(io_err)?;
        Ok(out)
    }

    /// RFC 4120 §7.2.1: UDP; sspi wants the reply with a length prefix added.
    fn udp(&self, addr: &str, data: &[u8]) -> sspi::Result<Vec<u8>> {
        let sock = UdpSocket::bind("0.0.0.0:0").map_err(io_err)?;
        sock.set_read_timeout(Some(self.timeout)).map_err(io_err)?;
        sock.connect(addr).map_err(io_err)?;
        sock.send(data).map_err(io_err)?;
        let mut buf = vec![0u8; 65_536];
        let n = sock.recv(&mut buf).map_err(io_err)?;
        let mut out = u32::try_from(n).map_err(io_err)?.to_be_bytes().to_vec();
        out.extend_from_slice(&buf[..n]);
        Ok(out)
    }
}

impl NetworkClient for StdKdcClient {
    fn send(&self, request: &sspi::generator::NetworkRequest) -> sspi::Result<Vec<u8>> {
        let host = request
            .url
            .host_str()
            .ok_or_else(|| io_err("no host in kdc url"))?;
        let port = request.url.port().unwrap_or(88);
        let addr = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        match request.protocol {
            NetworkProtocol::Tcp => self.tcp(&addr, &request.data),
            NetworkProtocol::Udp => self.udp(&addr, &request.data),
            _ => Err(io_err("only tcp and udp kdc transports are supported")),
        }
    }
}

/// Classify an sspi error into our variants (sspi maps KRB-ERROR codes to fixed texts).
fn classify(e: &sspi::Error, spn: &str, kdcs: &str) -> KerberosError {
    let d = e.description.as_str();
    if d.contains(UNREACHABLE) {
        KerberosError::KdcUnreachable {
            kdcs: kdcs.to_owned(),
        }
    } else if d.contains("pre-authentication information was invalid") {
        KerberosError::WrongPassword
    } else if d.contains("client not found in Kerberos database") {
        KerberosError::UnknownUserPrincipal
    } else if d.contains("server not found in Kerberos database") {
        KerberosError::UnknownServicePrincipal {
            spn: spn.to_owned(),
        }
    } else if e.error_type == sspi::ErrorKind::TooManyPrincipals
        || d.contains("multiple principal entries")
    {
        KerberosError::PrincipalNotUnique {
            spn: spn.to_owned(),
        }
    } else if d.contains("password has expired") {
        KerberosError::PasswordExpired
    } else if d.contains("credentials have been revoked") {
        KerberosError::ClientRevoked
    } else if d.contains("no support for encryption type") {
        KerberosError::UnsupportedEnctype { etype: 0 }
    } else if e.error_type == sspi::ErrorKind::TimeSkew || d.contains("clock skew") {
        KerberosError::ClockSkew
    } else if e.error_type == sspi::ErrorKind::KdcInvalidRequest || d.contains("KDC") {
        KerberosError::KdcRefused {
            detail: d.to_owned(),
        }
    } else {
        KerberosError::Library {
            detail: format!("{:?}: {d}", e.error_type),
        }
    }
}

/// Run `request` to completion for `user` (`alice` or `alice@REALM`) with `password`,
/// trying each KDC in turn while it is unreachable.
pub fn acquire_token(
    request: &TokenRequest,
    user: &str,
    password: &str,
) -> Result<AcquiredToken, KerberosError> {
    acquire_token_with(request, user, password, &StdKdcClient::default())
}

/// [`acquire_token`] with a caller-supplied transport.
pub fn acquire_token_with(
    request: &TokenRequest,
    user: &str,
    password: &str,
    net: &dyn NetworkClient,
) -> Result<AcquiredToken, KerberosError> {
    let kdcs = request
        .kdcs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let mut last = KerberosError::KdcUnreachable { kdcs: kdcs.clone() };
    for kdc in &request.kdcs {
        match one_kdc(request, kdc, user, password, net) {
            Err(e) => {
                let e = classify(&e, &request.spn, &kdcs);
                if !matches!(e, KerberosError::KdcUnreachable { .. }) {
                    return Err(e);
                }
                last = e;
            }
            Ok(Err(e)) => return Err(e),
            Ok(Ok(tok)) => return Ok(tok),
        }
    }
    Err(last)
}

type Nested = Result<AcquiredToken, KerberosError>;

fn one_kdc(
    request: &TokenRequest,
    kdc: &KdcAddress,
    user: &str,
    password: &str,
    net: &dyn NetworkClient,
) -> sspi::Result<Nested> {
    let account = user.split_once('@').map_or(user, |(a, _)| a);
    let username = match Username::new_down_level_logon_name(account, &request.realm) {
        Ok(u) => u,
        Err(_) => {
            return Ok(Err(KerberosError::InvalidPrincipal {
                name: user.to_owned(),
            }));
        }
    };
    let host = request
        .spn
        .split_once('/')
        .map_or(request.spn.as_str(), |(_, h)| h);
    let config = KerberosConfig::new_with_kdc_url(&format!("tcp://{kdc}"), host.to_owned());
    let mut krb = Kerberos::new_client_from_config(config)?;
    let identity = AuthIdentity {
        username,
        password: password.to_owned().into(),
    };
    let mut creds = krb
        .acquire_credentials_handle()
        .with_credential_use(CredentialUse::Outbound)
        .with_auth_data(&identity.into())
        .execute(&mut krb)?;
    let mut input = [SecurityBuffer::new(Vec::new(), BufferType::Token)];
    let mut output = [SecurityBuffer::new(Vec::new(), BufferType::Token)];
    // sip-notes §2 / MS-SIPAE: integrity only, no mutual authentication.
    let mut builder = krb
        .initialize_security_context()
        .with_credentials_handle(&mut creds.credentials_handle)
        .with_context_requirements(ClientRequestFlags::INTEGRITY)
        .with_target_data_representation(DataRepresentation::Native)
        .with_target_name(&request.spn)
        .with_input(&mut input)
        .with_output(&mut output);
    let result = krb
        .initialize_security_context_impl(&mut builder)?
        .resolve_with_client(net)?;
    if !matches!(
        result.status,
        SecurityStatus::ContinueNeeded | SecurityStatus::Ok
    ) {
        return Ok(Err(KerberosError::Library {
            detail: format!("unexpected status {:?}", result.status),
        }));
    }
    let gss_ap_req = std::mem::take(&mut output[0].buffer);
    // Before an AP-REP arrives sspi holds only the ticket session key (no sub-session key).
    let keys = krb.query_context_session_key()?;
    let raw: &[u8] = keys.session_key.as_ref();
    let enctype = match raw.len() {
        32 => Enctype::Aes256CtsHmacSha196,
        16 => Enctype::Aes128CtsHmacSha196,
        n => return Ok(Err(KerberosError::KeyLength { len: n })),
    };
    let ticket_session_key = match SessionKey::new(enctype, raw.to_vec()) {
        Ok(k) => k,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(AcquiredToken {
        gss_ap_req,
        ticket_session_key,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: sspi::ErrorKind, text: &str) -> sspi::Error {
        sspi::Error::new(kind, text.to_owned())
    }

    /// The texts are the ones sspi 0.23.1 `map_keb_error_code_to_sspi_error` gives each KRB-ERROR code.
    #[test]
    fn classify_krb_errors() {
        let c = |k, t: &str| classify(&err(k, t), "sip/x", "kdc:88");
        let unreachable = format!("{UNREACHABLE}: refused");
        use sspi::ErrorKind as K;
        assert_eq!(
            c(
                K::KdcInvalidRequest,
                "pre-authentication information was invalid"
            ),
            KerberosError::WrongPassword
        );
        assert_eq!(
            c(
                K::UnknownCredentials,
                "client not found in Kerberos database"
            ),
            KerberosError::UnknownUserPrincipal
        );
        assert_eq!(
            c(
                K::UnknownCredentials,
                "server not found in Kerberos database"
            ),
            KerberosError::UnknownServicePrincipal {
                spn: "sip/x".into()
            }
        );
        assert_eq!(
            c(
                K::OperationNotSupported,
                "KDC has no support for encryption type"
            ),
            KerberosError::UnsupportedEnctype { etype: 0 }
        );
        assert_eq!(
            c(K::TimeSkew, "clock skew too great"),
            KerberosError::ClockSkew
        );
        assert_eq!(
            c(K::NoAuthenticatingAuthority, &unreachable),
            KerberosError::KdcUnreachable {
                kdcs: "kdc:88".into()
            }
        );
        assert!(matches!(
            c(K::KdcInvalidRequest, "request is a replay"),
            KerberosError::KdcRefused { .. }
        ));
        assert!(matches!(
            c(K::InternalError, "boom"),
            KerberosError::Library { .. }
        ));
    }
}
