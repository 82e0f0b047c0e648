//! The pure classifier: a failed handshake's rustls error plus the recorded chain, the expected
//! name and the time of the check become a [`TlsFailure`] a support engineer can act on.
//!
//! RFC 5280 §6 (path validation), RFC 6125 §6 (name checks), RFC 5280 §4.2.1.12 (EKU
//! `id-kp-serverAuth`), RFC 5280 §4.2.2.1 (AIA caIssuers: how Windows completes a chain the
//! server did not send; we report the URL instead of fetching it).

use rustls::{CertificateError, Error};
use sfb_trace::{CertificateEvidence, NameSource, Timestamp, TlsFailure};

use crate::certinfo::presented_names;

/// What the classifier looks at. No I/O, no clock: everything comes in here.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The presented chain, leaf first, as recorded by the verifier (parsed).
    pub chain: &'a [CertificateEvidence],
    /// The trust anchors configured (parsed), for naming what is missing.
    pub anchors: &'a [CertificateEvidence],
    /// The name checked.
    pub expected_name: &'a str,
    /// Where the name came from.
    pub name_source: NameSource,
    /// The time of the check (the injected clock).
    pub now: Timestamp,
}

/// Classifies a handshake error.
pub fn classify(error: &Error, facts: &Facts<'_>) -> TlsFailure {
    let Error::InvalidCertificate(cert_error) = error else {
        return TlsFailure::Handshake {
            detail: error.to_string(),
        };
    };
    let leaf = facts.chain.first();
    match cert_error {
        CertificateError::UnknownIssuer => unknown_issuer(facts, error),
        CertificateError::Expired => match leaf {
            Some(leaf) => TlsFailure::Expired {
                not_after: leaf.not_after,
                now: facts.now,
            },
            None => bad(error),
        },
        CertificateError::ExpiredContext { not_after, .. } => TlsFailure::Expired {
            not_after: unix(not_after.as_secs()).unwrap_or(facts.now),
            now: facts.now,
        },
        CertificateError::NotValidYet => match leaf {
            Some(leaf) => TlsFailure::NotYetValid {
                not_before: leaf.not_before,
                now: facts.now,
            },
            None => bad(error),
        },
        CertificateError::NotValidYetContext { not_before, .. } => TlsFailure::NotYetValid {
            not_before: unix(not_before.as_secs()).unwrap_or(facts.now),
            now: facts.now,
        },
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            TlsFailure::NameMismatch {
                expected: facts.expected_name.to_owned(),
                name_source: facts.name_source,
                presented: leaf.map(presented_names).unwrap_or_default(),
            }
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            TlsFailure::NoServerAuthUsage {
                extended_key_usages: leaf
                    .map(|l| l.extended_key_usages.clone())
                    .unwrap_or_default(),
            }
        }
        _ => bad(error),
    }
}

/// `UnknownIssuer`: the path from the presented chain to a trust anchor could not be built.
/// Which link is missing decides the advice:
/// - the last presented certificate is self-issued: that root is not trusted (install it);
/// - it is a CA certificate (an intermediate was sent): its issuer, a root, is not trusted;
/// - it is the leaf, sent alone, and it names an AIA caIssuers URL: the server did not send
///   its intermediate (Windows would fetch it from that URL; we do not);
/// - it is the leaf, sent alone, without AIA: its issuer is unknown (install it or send it).
fn unknown_issuer(facts: &Facts<'_>, error: &Error) -> TlsFailure {
    let Some(top) = facts.chain.last() else {
        return bad(error);
    };
    if top.self_issued {
        return TlsFailure::UntrustedRoot {
            issuer: top.subject.clone(),
        };
    }
    let issuer_is_anchor = facts.anchors.iter().any(|a| a.subject == top.issuer);
    if !top.is_ca && !top.aia_ca_issuers.is_empty() && !issuer_is_anchor {
        return TlsFailure::IncompleteChain {
            missing_issuer: top.issuer.clone(),
            aia_ca_issuers: top.aia_ca_issuers.clone(),
        };
    }
    if issuer_is_anchor {
        // The issuer is trusted by name, so the link itself is broken (a re-keyed CA with the
        // same name, or a signature that does not verify).
        return bad(error);
    }
    TlsFailure::UntrustedRoot {
        issuer: top.issuer.clone(),
    }
}

fn bad(error: &Error) -> TlsFailure {
    TlsFailure::BadCertificate {
        detail: error.to_string(),
    }
}

fn unix(secs: u64) -> Option<Timestamp> {
    Timestamp::from_unix_secs(i64::try_from(secs).ok()?)
}

/// One sentence and a remedy for a failure, naming the host.
pub fn explain(failure: &TlsFailure, host: &str) -> (String, String) {
    match failure {
        TlsFailure::UntrustedRoot { issuer } => (
            format!(
                "The certificate of {host} chains to \"{issuer}\", which this machine does not trust."
            ),
            format!(
                "Install the root certificate \"{issuer}\" in the trusted root store (or have the server use a certificate from a trusted CA)."
            ),
        ),
        TlsFailure::IncompleteChain {
            missing_issuer,
            aia_ca_issuers,
        } => (
            format!(
                "{host} sends its certificate without the intermediate \"{missing_issuer}\"; Windows may fetch it from the AIA URL, other clients fail."
            ),
            match aia_ca_issuers.first() {
                Some(url) => format!(
                    "Configure the server to send the full chain (the intermediate is at {url})."
                ),
                None => "Configure the server to send the full chain.".to_owned(),
            },
        ),
        TlsFailure::NameMismatch {
            expected,
            name_source,
            presented,
        } => (
            format!(
                "The certificate of {host} does not name {expected} (from {}); it names: {}.",
                name_source_words(*name_source),
                if presented.is_empty() {
                    "nothing".to_owned()
                } else {
                    presented.join(", ")
                }
            ),
            format!(
                "Add {expected} to the certificate's subject alternative names, or fix the DNS record that points to this server."
            ),
        ),
        TlsFailure::Expired { not_after, now } => (
            format!("The certificate of {host} expired on {not_after} (checked at {now})."),
            "Renew the server certificate.".to_owned(),
        ),
        TlsFailure::NotYetValid { not_before, now } => (
            format!(
                "The certificate of {host} is valid only from {not_before} (checked at {now})."
            ),
            "Check this machine's clock, or wait until the certificate becomes valid.".to_owned(),
        ),
        TlsFailure::NoServerAuthUsage {
            extended_key_usages,
        } => (
            format!(
                "The certificate of {host} is not for TLS servers (its extended key usages: {}).",
                extended_key_usages.join(", ")
            ),
            "Issue the server a certificate with the Server Authentication EKU.".to_owned(),
        ),
        TlsFailure::BadCertificate { detail } => (
            format!("The certificate of {host} was rejected: {detail}."),
            "Inspect the certificate chain the server sends.".to_owned(),
        ),
        TlsFailure::Handshake { detail } => (
            format!("The TLS handshake with {host} failed: {detail}."),
            "Check that the port speaks TLS 1.2 or 1.3 and what the server logs.".to_owned(),
        ),
    }
}

fn name_source_words(source: NameSource) -> &'static str {
    match source {
        NameSource::SrvTarget => "an SRV record's target",
        NameSource::AFallback => "an A record fallback",
        NameSource::BareDomain => "the bare SIP domain",
        NameSource::Autodiscover => "autodiscover",
        NameSource::Redirect => "a redirect",
        NameSource::Manual => "the manual configuration",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(subject: &str, issuer: &str, ca: bool, aia: &[&str]) -> CertificateEvidence {
        CertificateEvidence {
            subject: subject.into(),
            issuer: issuer.into(),
            serial: "01".into(),
            not_before: Timestamp::from_unix_secs(0).unwrap(),
            not_after: Timestamp::from_unix_secs(1000).unwrap(),
            sans: vec![],
            extended_key_usages: vec!["client_auth".into()],
            is_ca: ca,
            self_issued: subject == issuer,
            aia_ca_issuers: aia.iter().map(|s| (*s).to_owned()).collect(),
            ocsp_urls: vec![],
            crl_distribution_points: vec![],
            sha256_fingerprint: String::new(),
            sha1_fingerprint: String::new(),
        }
    }

    fn facts<'a>(
        chain: &'a [CertificateEvidence],
        anchors: &'a [CertificateEvidence],
    ) -> Facts<'a> {
        Facts {
            chain,
            anchors,
            expected_name: "sip.contoso.com",
            name_source: NameSource::SrvTarget,
            now: Timestamp::from_unix_secs(2000).unwrap(),
        }
    }

    const UNKNOWN: Error = Error::InvalidCertificate(CertificateError::UnknownIssuer);

    #[test]
    fn unknown_issuer_is_split_by_what_was_sent() {
        let root = cert("CN=Root", "CN=Root", true, &[]);
        let inter = cert("CN=Inter", "CN=Root", true, &[]);
        let leaf_aia = cert("CN=sip", "CN=Inter", false, &["http://pki/inter.crt"]);
        let leaf = cert("CN=sip", "CN=Inter", false, &[]);
        let anchors = [cert("CN=Other", "CN=Other", true, &[])];
        let f = classify(&UNKNOWN, &facts(&[leaf.clone(), root.clone()], &anchors));
        assert_eq!(
            f,
            TlsFailure::UntrustedRoot {
                issuer: "CN=Root".into()
            }
        );
        let f = classify(&UNKNOWN, &facts(&[leaf.clone(), inter], &anchors));
        assert_eq!(
            f,
            TlsFailure::UntrustedRoot {
                issuer: "CN=Root".into()
            }
        );
        let f = classify(&UNKNOWN, &facts(std::slice::from_ref(&leaf_aia), &anchors));
        assert_eq!(
            f,
            TlsFailure::IncompleteChain {
                missing_issuer: "CN=Inter".into(),
                aia_ca_issuers: vec!["http://pki/inter.crt".into()]
            }
        );
        let f = classify(&UNKNOWN, &facts(std::slice::from_ref(&leaf), &anchors));
        assert_eq!(
            f,
            TlsFailure::UntrustedRoot {
                issuer: "CN=Inter".into()
            }
        );
        assert!(matches!(
            classify(&UNKNOWN, &facts(&[], &anchors)),
            TlsFailure::BadCertificate { .. }
        ));
    }

    #[test]
    fn other_errors_keep_their_words() {
        let leaf = [cert("CN=sip", "CN=Inter", false, &[])];
        let e = Error::InvalidCertificate(CertificateError::InvalidPurpose);
        let f = classify(&e, &facts(&leaf, &[]));
        assert_eq!(
            f,
            TlsFailure::NoServerAuthUsage {
                extended_key_usages: vec!["client_auth".into()]
            }
        );
        let e = Error::InvalidCertificate(CertificateError::NotValidForName);
        let TlsFailure::NameMismatch { presented, .. } = classify(&e, &facts(&leaf, &[])) else {
            panic!("not a name mismatch")
        };
        assert_eq!(presented, vec!["sip".to_owned()]);
        let e = Error::InvalidCertificate(CertificateError::Expired);
        let f = classify(&e, &facts(&leaf, &[]));
        assert_eq!(f.cause_code(), "tls.expired");
        let e = Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
        assert_eq!(
            classify(&e, &facts(&leaf, &[])).cause_code(),
            "tls.handshake"
        );
    }
}
