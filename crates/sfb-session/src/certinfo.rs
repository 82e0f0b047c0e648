//! What a presented certificate says, read with x509-parser (RFC 5280 §4.1, §4.2).

use std::net::IpAddr;

use sfb_trace::{CertificateEvidence, Timestamp};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::oid_registry::{
    OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS, OID_PKIX_ACCESS_DESCRIPTOR_OCSP,
};
use x509_parser::prelude::FromDer;

/// The most names or URLs kept from one extension (a hostile certificate can carry thousands).
pub const MAX_NAMES: usize = 256;

/// The longest name or URL kept, bytes (longer ones are cut and marked with `...`).
pub const MAX_NAME_LEN: usize = 1024;

/// Why a certificate could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// The DER is not an X.509 certificate.
    #[error("not an x.509 certificate: {0}")]
    Malformed(String),
    /// Bytes follow the certificate.
    #[error("{0} bytes after the certificate")]
    TrailingData(usize),
    /// A validity date is outside the years 0000 to 9999.
    #[error("validity date out of range")]
    DateOutOfRange,
}

/// Reads the evidence of one DER certificate.
pub fn certificate_evidence(der: &[u8]) -> Result<CertificateEvidence, CertError> {
    let (rest, cert) =
        X509Certificate::from_der(der).map_err(|e| CertError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(CertError::TrailingData(rest.len()));
    }
    let validity = cert.validity();
    let not_before = Timestamp::from_unix_secs(validity.not_before.timestamp())
        .ok_or(CertError::DateOutOfRange)?;
    let not_after = Timestamp::from_unix_secs(validity.not_after.timestamp())
        .ok_or(CertError::DateOutOfRange)?;
    let mut ev = CertificateEvidence {
        subject: bounded(&cert.subject().to_string()),
        issuer: bounded(&cert.issuer().to_string()),
        serial: bounded(&cert.raw_serial_as_string()),
        not_before,
        not_after,
        sans: Vec::new(),
        extended_key_usages: Vec::new(),
        is_ca: false,
        self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
        aia_ca_issuers: Vec::new(),
        ocsp_urls: Vec::new(),
        crl_distribution_points: Vec::new(),
        sha256_fingerprint: hex_colon(ring::digest::digest(&ring::digest::SHA256, der).as_ref()),
        sha1_fingerprint: hex_colon(
            ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref(),
        ),
    };
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                push_names(&mut ev.sans, san.general_names.iter());
            }
            ParsedExtension::ExtendedKeyUsage(eku) => {
                let named = [
                    (eku.server_auth, "server_auth"),
                    (eku.client_auth, "client_auth"),
                    (eku.code_signing, "code_signing"),
                    (eku.email_protection, "email_protection"),
                    (eku.time_stamping, "time_stamping"),
                    (eku.ocsp_signing, "ocsp_signing"),
                    (eku.any, "any"),
                ];
                let names = named
                    .iter()
                    .filter(|(on, _)| *on)
                    .map(|(_, n)| (*n).to_owned());
                let others = eku.other.iter().map(|oid| oid.to_id_string());
                ev.extended_key_usages = names.chain(others).take(MAX_NAMES).collect();
            }
            ParsedExtension::BasicConstraints(bc) => ev.is_ca = bc.ca,
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for desc in aia.accessdescs.iter().take(MAX_NAMES) {
                    if desc.access_method == OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS {
                        push_names(
                            &mut ev.aia_ca_issuers,
                            std::iter::once(&desc.access_location),
                        );
                    } else if desc.access_method == OID_PKIX_ACCESS_DESCRIPTOR_OCSP {
                        push_names(&mut ev.ocsp_urls, std::iter::once(&desc.access_location));
                    }
                }
            }
            ParsedExtension::CRLDistributionPoints(points) => {
                for point in points.points.iter().take(MAX_NAMES) {
                    if let Some(DistributionPointName::FullName(names)) = &point.distribution_point
                    {
                        push_names(&mut ev.crl_distribution_points, names.iter());
                    }
                }
            }
            _ => {}
        }
    }
    Ok(ev)
}

/// The names a certificate is valid for, for a report: its DNS and IP SANs, or, with no SAN,
/// the subject common names (what Windows falls back to).
pub fn presented_names(ev: &CertificateEvidence) -> Vec<String> {
    if !ev.sans.is_empty() {
        return ev.sans.clone();
    }
    ev.subject
        .split(", ")
        .filter_map(|rdn| rdn.strip_prefix("CN="))
        .map(str::to_owned)
        .collect()
}

/// Appends DNS names, IP addresses and URIs (bounded in count and length).
fn push_names<'a, 'b: 'a>(out: &mut Vec<String>, names: impl Iterator<Item = &'a GeneralName<'b>>) {
    for name in names {
        if out.len() >= MAX_NAMES {
            return;
        }
        let text = match name {
            GeneralName::DNSName(s) | GeneralName::URI(s) => (*s).to_owned(),
            GeneralName::IPAddress(bytes) => match bytes.len() {
                4 => <[u8; 4]>::try_from(*bytes)
                    .map(|b| IpAddr::from(b).to_string())
                    .ok(),
                16 => <[u8; 16]>::try_from(*bytes)
                    .map(|b| IpAddr::from(b).to_string())
                    .ok(),
                _ => None,
            }
            .unwrap_or_else(|| "<malformed ip address>".to_owned()),
            _ => continue,
        };
        out.push(bounded(&text));
    }
}

/// Cuts a string at [`MAX_NAME_LEN`] bytes (on a character boundary), marking the cut.
fn bounded(s: &str) -> String {
    if s.len() <= MAX_NAME_LEN {
        return s.to_owned();
    }
    let mut end = MAX_NAME_LEN;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// `AB:CD:...` upper-case hex.
fn hex_colon(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
    parts.join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(
            certificate_evidence(b""),
            Err(CertError::Malformed(_))
        ));
        assert!(matches!(
            certificate_evidence(&[0x30, 0x82, 0xff, 0xff]),
            Err(CertError::Malformed(_))
        ));
        assert!(matches!(
            certificate_evidence(&[0x30, 0x00]),
            Err(CertError::Malformed(_))
        ));
    }

    #[test]
    fn a_certificate_with_too_many_names_is_bounded() {
        let names: Vec<String> = (0..MAX_NAMES + 50)
            .map(|i| format!("h{i}.contoso.test"))
            .collect();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(names)
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let ev = certificate_evidence(cert.der()).unwrap();
        assert_eq!(ev.sans.len(), MAX_NAMES);
        assert_eq!(ev.sans[0], "h0.contoso.test");
        assert!(ev.self_issued && !ev.is_ca);
        let mut trailing = cert.der().to_vec();
        trailing.push(0);
        assert_eq!(
            certificate_evidence(&trailing),
            Err(CertError::TrailingData(1))
        );
        // Every truncation of a real certificate is an error, never a panic.
        for n in 0..cert.der().len() {
            assert!(certificate_evidence(&cert.der()[..n]).is_err());
        }
    }

    #[test]
    fn long_names_are_cut_on_a_char_boundary() {
        let s = "é".repeat(MAX_NAME_LEN);
        let cut = bounded(&s);
        assert!(cut.len() <= MAX_NAME_LEN + 3);
        assert!(cut.ends_with("..."));
        assert_eq!(hex_colon(&[0xab, 0x01]), "AB:01");
    }
}
