//! The runner of the binary: a real sign-in through sfb-session, judged by sfb-diagnose.
//!
//! [`SessionRunner`] turns a [`Request`] into a diagnosed [`SignInTrace`]: for a live target it
//! parses the connection options (usage errors exit 2), runs [`sfb_session::sign_in`] and
//! [`sfb_diagnose::diagnose`]; for the lab it first starts the embedded `sfb-lab` in-process on
//! loopback (its DNS, its CA, its first user), so `sfb-probe --lab` needs no setup and no
//! network. One tokio runtime per run: batch workers call it from several threads.
//!
//! Kerberos in the lab: for the Kerberos scenarios and for `--auth kerberos` the lab also
//! starts its own MIT KDC (`sfb_lab::kdc`), and the sign-in is given the KDC's address and
//! realm (no DNS lookup for them). Without the MIT binaries that is a usage error (exit 2)
//! naming the packages to install.

use std::path::PathBuf;
use std::sync::Arc;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;
use sfb_auth::kerberos::KdcAddress;
use sfb_discovery::driver::{parse_dns_server, system_dns_server};
use sfb_discovery::{DiscoveryConfig, DomainName, ManualServer, SipDomain};
use sfb_lab::kdc::KdcError;
use sfb_lab::{Lab, LabConfig, LabError, Scenario};
use sfb_session::run::machine_name;
use sfb_session::{SchemeChoice, SignInRequest, TlsSettings, sign_in};
use sfb_trace::SignInTrace;

use crate::runner::{AuthScheme, ConnectOptions, Request, RunError, Runner, Target};

/// The real runner (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionRunner;

impl Runner for SessionRunner {
    fn run(&self, request: &Request) -> Result<SignInTrace, RunError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| RunError::Internal(format!("cannot start the async runtime: {e}")))?;
        let mut trace = match &request.target {
            Target::Live { sip_uri } => {
                let password = match &request.credentials {
                    Some(c) => Some(c.password.read().map_err(RunError::Usage)?),
                    None => None,
                };
                let login = request.credentials.as_ref().and_then(|c| c.login.clone());
                let roots = roots(&request.connect.ca, true)?;
                let sign_in_request =
                    build(sip_uri, &request.connect, login, password, roots, request)?;
                runtime.block_on(sign_in(sign_in_request)).trace
            }
            Target::Lab { scenario, no_auth } => {
                runtime.block_on(run_lab(scenario.as_deref(), *no_auth, request))?
            }
        };
        sfb_diagnose::diagnose(&trace).apply(&mut trace);
        Ok(trace)
    }
}

/// Starts the lab, probes its first user (with the lab's throw-away password unless
/// `--no-auth`, or the caller's credentials), stops the lab.
async fn run_lab(
    scenario: Option<&str>,
    no_auth: bool,
    request: &Request,
) -> Result<SignInTrace, RunError> {
    let scenario: Scenario = match scenario {
        Some(name) => name.parse().map_err(|e| RunError::Usage(format!("{e}")))?,
        None => Scenario::Healthy,
    };
    let mut config = LabConfig::new(scenario);
    config.external_view = request.connect.external;
    config.mit_kdc = scenario.needs_kerberos() || request.connect.auth == AuthScheme::Kerberos;
    let lab = Lab::start(config)
        .await
        .map_err(|e| lab_error(scenario, e))?;
    let info = lab.info().clone();
    // The lab's KDC and realm, unless the caller named others.
    let kerberos = lab
        .kdc()
        .map(|k| (k.addr().to_string(), k.realm().to_owned()));
    let result = async {
        let user = info
            .users
            .first()
            .ok_or_else(|| RunError::Internal("the lab has no user".into()))?;
        let (login, password) = match (&request.credentials, no_auth) {
            (_, true) => (None, None),
            (Some(c), false) => (
                c.login.clone().or_else(|| Some(user.login.clone())),
                Some(c.password.read().map_err(RunError::Usage)?),
            ),
            (None, false) => (
                Some(user.login.clone()),
                Some(sfb_certprov::Password::new(user.password.as_str())),
            ),
        };
        let mut connect = request.connect.clone();
        connect.dns = Some(info.dns.to_string());
        connect.ca = vec![info.ca_file.clone()];
        if let Some((kdc, realm)) = &kerberos {
            connect.kdc.get_or_insert_with(|| kdc.clone());
            connect.realm.get_or_insert_with(|| realm.clone());
        }
        let roots = roots(&connect.ca, false)?;
        let req = build(&user.sip_uri, &connect, login, password, roots, request)?;
        Ok(sign_in(req).await.trace)
    }
    .await;
    lab.shutdown().await;
    result
}

/// Why the lab did not start, as the run's error: a missing MIT KDC is a usage error (the run
/// needs software this machine lacks; other runs work), anything else an internal one.
fn lab_error(scenario: Scenario, e: LabError) -> RunError {
    match e {
        LabError::Kdc(e @ KdcError::NotInstalled { .. }) => {
            let what = if scenario.needs_kerberos() {
                format!("the lab scenario {scenario}")
            } else {
                "--lab --auth kerberos".to_owned()
            };
            RunError::Usage(format!("{what} needs the lab's own Kerberos KDC: {e}"))
        }
        e => RunError::Internal(format!("cannot start the lab: {e}")),
    }
}

/// Trust anchors: the `--ca` files, plus the system's when `system` (not for the lab, whose
/// CA is the only one that should matter).
fn roots(ca: &[PathBuf], system: bool) -> Result<Vec<CertificateDer<'static>>, RunError> {
    let mut out: Vec<CertificateDer<'static>> = if system {
        rustls_native_certs::load_native_certs().certs
    } else {
        Vec::new()
    };
    for file in ca {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(file)
            .map_err(|e| RunError::Usage(format!("--ca {}: {e}", file.display())))?
            .collect::<Result<_, _>>()
            .map_err(|e| RunError::Usage(format!("--ca {}: {e}", file.display())))?;
        if certs.is_empty() {
            return Err(RunError::Usage(format!(
                "--ca {}: no PEM certificate in it",
                file.display()
            )));
        }
        out.extend(certs);
    }
    if out.is_empty() {
        return Err(RunError::Usage(
            "no trust anchor: the system has none; name one with --ca FILE".into(),
        ));
    }
    Ok(out)
}

/// The sign-in request from the probe's options (every parse error is a usage error).
fn build(
    sip_uri: &str,
    connect: &ConnectOptions,
    login: Option<String>,
    password: Option<sfb_certprov::Password>,
    roots: Vec<CertificateDer<'static>>,
    request: &Request,
) -> Result<SignInRequest, RunError> {
    let usage = RunError::Usage;
    let sip_uri = if sip_uri.starts_with("sip:") {
        sip_uri.to_owned()
    } else {
        format!("sip:{sip_uri}")
    };
    let domain = SipDomain::from_sip_uri(&sip_uri)
        .map_err(|e| usage(format!("invalid SIP URI {sip_uri:?}: {e}")))?;
    let mut discovery = DiscoveryConfig::new(domain);
    for t in &connect.trust {
        discovery
            .trusted_domains
            .push(DomainName::parse(t).map_err(|e| usage(format!("--trust {t:?}: {e}")))?);
    }
    if let Some(s) = &connect.server {
        discovery.manual_server =
            Some(ManualServer::parse(s).map_err(|e| usage(format!("--server {s:?}: {e}")))?);
    }
    let kdcs = match &connect.kdc {
        Some(k) => vec![
            k.parse::<KdcAddress>()
                .map_err(|e| usage(format!("--kdc {k:?}: {e}")))?,
        ],
        None => Vec::new(),
    };
    let dns_server = match connect.dns.as_deref() {
        Some(s) => parse_dns_server(s).map_err(|e| usage(format!("--dns {s}: {e}")))?,
        None => system_dns_server().map_err(|e| {
            usage(format!(
                "no system name server ({e}); name one with --dns ADDR[:PORT]"
            ))
        })?,
    };
    let scheme = match connect.auth {
        AuthScheme::Auto => SchemeChoice::Auto,
        AuthScheme::Ntlm => SchemeChoice::Ntlm,
        AuthScheme::Kerberos => SchemeChoice::Kerberos,
        AuthScheme::TlsDsk => return Err(usage("--auth tls-dsk: not yet supported".into())),
    };
    let tls = TlsSettings::new(&roots, Arc::new(rustls::time_provider::DefaultTimeProvider))
        .map_err(|e| RunError::Internal(format!("TLS set-up: {e}")))?;
    Ok(SignInRequest {
        sip_uri,
        discovery,
        dns_server,
        dns_for_targets: connect.dns.is_some(),
        login,
        password,
        scheme,
        realm: connect.realm.clone(),
        kdcs,
        tls,
        user_agent: connect.user_agent.clone(),
        stay: false,
        external: connect.external,
        tool: format!("sfb-probe {}", env!("CARGO_PKG_VERSION")),
        policy: request.policy,
        machine_name: machine_name(),
        progress: None,
        cancel: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_kdc_is_a_usage_error_naming_the_packages() {
        let missing = || LabError::Kdc(KdcError::NotInstalled { missing: "krb5kdc" });
        let e = lab_error(Scenario::KerberosMissingSpn, missing());
        let RunError::Usage(m) = e else {
            panic!("{e:?}")
        };
        assert!(
            m.starts_with("the lab scenario kerberos-missing-spn needs the lab's own Kerberos KDC: MIT krb5-kdc is not installed (apt install krb5-kdc krb5-admin-server)"),
            "{m}"
        );
        let e = lab_error(Scenario::Healthy, missing());
        assert!(
            matches!(&e, RunError::Usage(m) if m.starts_with("--lab --auth kerberos needs")),
            "{e:?}"
        );
        let e = lab_error(Scenario::Healthy, LabError::Kdc(KdcError::Spec("x".into())));
        assert!(matches!(e, RunError::Internal(_)), "{e:?}");
    }
}
