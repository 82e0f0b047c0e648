//! The trust anchors the apps use: the system's roots plus any `--ca FILE` (PEM).

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::path::Path;

/// The system roots (`/etc/ssl/certs` and friends, as rustls-native-certs finds them) plus the
/// certificates in each `--ca` file. A `--ca` file that cannot be read or holds no certificate is
/// an error; unreadable system roots are not (a machine may have none).
pub(crate) fn load(ca_files: &[impl AsRef<Path>]) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let (_added, _ignored) = roots.add_parsable_certificates(native.certs);
    for file in ca_files {
        let file = file.as_ref();
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(file)
            .map_err(|e| format!("--ca {}: {e}", file.display()))?
            .collect::<Result<_, _>>()
            .map_err(|e| format!("--ca {}: {e}", file.display()))?;
        if certs.is_empty() {
            return Err(format!("--ca {}: no PEM certificate in it", file.display()));
        }
        for c in certs {
            roots
                .add(c)
                .map_err(|e| format!("--ca {}: {e}", file.display()))?;
        }
    }
    Ok(roots)
}

/// [`load`] as DER certificates (what `sfb_session::TlsSettings` takes).
pub(crate) fn load_der(
    ca_files: &[impl AsRef<Path>],
) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut out: Vec<CertificateDer<'static>> = rustls_native_certs::load_native_certs().certs;
    for file in ca_files {
        let file = file.as_ref();
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(file)
            .map_err(|e| format!("--ca {}: {e}", file.display()))?
            .collect::<Result<_, _>>()
            .map_err(|e| format!("--ca {}: {e}", file.display()))?;
        if certs.is_empty() {
            return Err(format!("--ca {}: no PEM certificate in it", file.display()));
        }
        out.extend(certs);
    }
    if out.is_empty() {
        return Err("no trust anchor: the system has none; name one with --ca FILE".into());
    }
    Ok(out)
}
