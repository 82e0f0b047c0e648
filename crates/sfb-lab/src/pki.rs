//! The lab's PKI (rcgen): a root CA (generated, or loaded from / saved to the state directory),
//! an issuing intermediate, and one server certificate per role, with the TLS fault scenarios'
//! deliberate defects.
//!
//! Files in the state directory: `root-ca.pem` (the root certificate) and `root-ca.key` (its
//! PKCS#8 key, mode 0600). The root is kept across runs so that it can be installed once in a
//! trust store; the intermediate and the leaves are made fresh at every start.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::OffsetDateTime;

/// The common name of the lab's root CA (fixed: a loaded root is re-created from it).
pub const ROOT_CN: &str = "Contoso Lab Root CA";
/// The common name of the issuing intermediate.
pub const INTERMEDIATE_CN: &str = "Contoso Lab Issuing CA";
/// The common name of the root the `tls-untrusted-root` certificates chain to.
pub const ROGUE_ROOT_CN: &str = "Fabrikam Rogue Root CA";
/// The only name in the `tls-name-mismatch` certificates.
pub const MISMATCH_NAME: &str = "wrong-name.contoso.test";

const ROOT_CERT_FILE: &str = "root-ca.pem";
const ROOT_KEY_FILE: &str = "root-ca.key";
const DAY: Duration = Duration::from_secs(86_400);

/// Why the PKI could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// Generating or signing a certificate failed.
    #[error("certificate generation: {0}")]
    Generate(#[from] rcgen::Error),
    /// A state file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A state file is not what the lab wrote.
    #[error("{path}: {reason}")]
    BadState {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the certificate or key.
    #[error("tls configuration: {0}")]
    Tls(#[from] rustls::Error),
}

/// Which deliberate defect a server certificate carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defect {
    /// None: issued by the intermediate, sent with it, valid now, with the role's names.
    None,
    /// Issued by [`ROGUE_ROOT_CN`], which the client does not trust (sent with that root, as a
    /// server using a private CA the client lacks does).
    UntrustedRoot,
    /// The leaf is sent without the intermediate.
    IncompleteChain,
    /// The only SAN is [`MISMATCH_NAME`].
    NameMismatch,
    /// Expired yesterday.
    Expired,
}

/// A server certificate chain and its key. `Debug` never shows the key.
#[derive(Clone)]
pub struct Identity {
    /// The chain as sent: leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// A rustls server configuration presenting this chain (ring provider, TLS 1.2 and 1.3).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, PkiError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())?;
        Ok(Arc::new(config))
    }
}

/// The lab's certificate authority.
pub struct Pki {
    root_der: CertificateDer<'static>,
    root_pem: String,
    intermediate: CertifiedIssuer<'static, KeyPair>,
    rogue: CertifiedIssuer<'static, KeyPair>,
    now: SystemTime,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki").finish_non_exhaustive()
    }
}

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "sfb lab");
    dn.push(DnType::CommonName, cn);
    dn
}

fn odt(t: SystemTime) -> OffsetDateTime {
    OffsetDateTime::from(t)
}

fn root_params(now: SystemTime) -> Result<CertificateParams, PkiError> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    p.distinguished_name = dn(ROOT_CN);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = odt(now - DAY);
    p.not_after = odt(now + DAY * 3650);
    Ok(p)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PkiError + '_ {
    move |source| PkiError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes `contents` to `path`, readable by the owner only when `secret`.
fn write_file(path: &Path, contents: &str, secret: bool) -> Result<(), PkiError> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(if secret { 0o600 } else { 0o644 });
    }
    let mut f = opts.open(path).map_err(io(path))?;
    #[cfg(unix)]
    if secret {
        // The file may have existed with wider permissions.
        use std::os::unix::fs::PermissionsExt as _;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io(path))?;
    }
    f.write_all(contents.as_bytes()).map_err(io(path))
}

impl Pki {
    /// A new root (saved to `state_dir` if given and it holds none yet, loaded from it if it
    /// does), a fresh intermediate and a fresh rogue root. `now` dates every certificate.
    pub fn new(state_dir: Option<&Path>, now: SystemTime) -> Result<Self, PkiError> {
        let (root, root_der, root_pem) = match state_dir {
            Some(dir) if dir.join(ROOT_CERT_FILE).exists() || dir.join(ROOT_KEY_FILE).exists() => {
                Self::load_root(dir, now)?
            }
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(io(dir))?;
                let (issuer, der, pem, key_pem) = Self::generate_root(now)?;
                write_file(&dir.join(ROOT_KEY_FILE), &key_pem, true)?;
                write_file(&dir.join(ROOT_CERT_FILE), &pem, false)?;
                (issuer, der, pem)
            }
            None => {
                let (issuer, der, pem, _) = Self::generate_root(now)?;
                (issuer, der, pem)
            }
        };
        let mut ip = CertificateParams::new(Vec::<String>::new())?;
        ip.distinguished_name = dn(INTERMEDIATE_CN);
        ip.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ip.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ip.use_authority_key_identifier_extension = true;
        ip.not_before = odt(now - DAY);
        ip.not_after = odt(now + DAY * 365);
        let intermediate = CertifiedIssuer::signed_by(ip, KeyPair::generate()?, &root)?;
        let mut rp = root_params(now)?;
        rp.distinguished_name = dn(ROGUE_ROOT_CN);
        let rogue = CertifiedIssuer::self_signed(rp, KeyPair::generate()?)?;
        Ok(Self {
            root_der,
            root_pem,
            intermediate,
            rogue,
            now,
        })
    }

    #[allow(clippy::type_complexity)] // reason: a private constructor's four results
    fn generate_root(
        now: SystemTime,
    ) -> Result<
        (
            Issuer<'static, KeyPair>,
            CertificateDer<'static>,
            String,
            String,
        ),
        PkiError,
    > {
        let key = KeyPair::generate()?;
        let key_pem = key.serialize_pem();
        let params = root_params(now)?;
        let cert = params.self_signed(&key)?;
        let pem = cert.pem();
        let der = cert.der().clone();
        Ok((Issuer::new(params, key), der, pem, key_pem))
    }

    fn load_root(
        dir: &Path,
        now: SystemTime,
    ) -> Result<(Issuer<'static, KeyPair>, CertificateDer<'static>, String), PkiError> {
        let cert_path = dir.join(ROOT_CERT_FILE);
        let key_path = dir.join(ROOT_KEY_FILE);
        let pem = std::fs::read_to_string(&cert_path).map_err(io(&cert_path))?;
        let key_pem = std::fs::read_to_string(&key_path).map_err(io(&key_path))?;
        let bad = |path: &Path, reason: String| PkiError::BadState {
            path: path.to_owned(),
            reason,
        };
        let der = CertificateDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| bad(&cert_path, format!("no PEM certificate: {e}")))?;
        let key = KeyPair::from_pem(&key_pem)
            .map_err(|e| bad(&key_path, format!("not a PKCS#8 PEM key: {e}")))?;
        // The certificate embeds the public key verbatim.
        let spki = key.public_key_raw();
        if spki.is_empty() || !der.windows(spki.len()).any(|w| w == spki) {
            return Err(bad(
                &cert_path,
                format!("does not match the key in {}", key_path.display()),
            ));
        }
        // The issuer's name, key identifier method and usages are the lab's fixed ones.
        Ok((Issuer::new(root_params(now)?, key), der, pem))
    }

    /// The root certificate (DER).
    pub fn root_der(&self) -> &CertificateDer<'static> {
        &self.root_der
    }

    /// The root certificate (PEM).
    pub fn root_pem(&self) -> &str {
        &self.root_pem
    }

    /// The intermediate certificate (DER).
    pub fn intermediate_der(&self) -> &CertificateDer<'static> {
        self.intermediate.der()
    }

    /// The rogue root certificate (DER), for tests.
    pub fn rogue_root_der(&self) -> &CertificateDer<'static> {
        self.rogue.der()
    }

    /// A server certificate for `names` (the first is also the common name) with `defect`.
    pub fn server_identity(&self, names: &[String], defect: Defect) -> Result<Identity, PkiError> {
        let names: Vec<String> = match defect {
            Defect::NameMismatch => vec![MISMATCH_NAME.to_owned()],
            _ => names.to_vec(),
        };
        let mut p = CertificateParams::new(names.clone())?;
        p.distinguished_name = dn(names.first().map_or("lab", String::as_str));
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        p.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        p.use_authority_key_identifier_extension = true;
        // Every enterprise CA publishes its certificate (AIA caIssuers): a client that lacks
        // the intermediate can tell "the server did not send it" from "unknown CA".
        p.custom_extensions
            .push(rcgen::CustomExtension::from_oid_content(
                AIA_OID,
                aia_ca_issuers(INTERMEDIATE_AIA_URL),
            ));
        let (nb, na) = match defect {
            Defect::Expired => (self.now - DAY * 90, self.now - DAY),
            _ => (self.now - DAY, self.now + DAY * 90),
        };
        p.not_before = odt(nb);
        p.not_after = odt(na);
        let key = KeyPair::generate()?;
        let (leaf, chain_rest) = match defect {
            Defect::UntrustedRoot => (
                p.signed_by(&key, &self.rogue)?,
                vec![self.rogue.der().clone()],
            ),
            Defect::IncompleteChain => (p.signed_by(&key, &self.intermediate)?, vec![]),
            _ => (
                p.signed_by(&key, &self.intermediate)?,
                vec![self.intermediate.der().clone()],
            ),
        };
        let mut chain = vec![leaf.der().clone()];
        chain.extend(chain_rest);
        Ok(Identity {
            chain,
            key: Arc::new(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                key.serialize_der(),
            ))),
        })
    }

    /// The root in a rustls root store.
    pub fn roots(&self) -> rustls::RootCertStore {
        let mut roots = rustls::RootCertStore::empty();
        // Generated or checked above: it parses.
        let _ = roots.add(self.root_der.clone());
        roots
    }
}

/// id-pe-authorityInfoAccess (RFC 5280 4.2.2.1).
const AIA_OID: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 1, 1];

/// Where the lab says its issuing CA's certificate is published (nothing serves it: like a
/// client with no route to the CA's web server, we do not fetch it).
pub const INTERMEDIATE_AIA_URL: &str = "http://pki.contoso.test/aia/contoso-issuing-ca.crt";

/// The DER of `AuthorityInfoAccessSyntax` with one caIssuers URI.
fn aia_ca_issuers(url: &str) -> Vec<u8> {
    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let n = body.len();
        if n < 0x80 {
            out.push(u8::try_from(n).unwrap_or(0));
        } else {
            let bytes = n.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            out.push(0x80 | u8::try_from(bytes.len() - skip).unwrap_or(0));
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(body);
        out
    }
    // id-ad-caIssuers 1.3.6.1.5.5.7.48.2
    let method = tlv(0x06, &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02]);
    let location = tlv(0x86, url.as_bytes()); // [6] uniformResourceIdentifier
    let access = tlv(0x30, &[method, location].concat());
    tlv(0x30, &access)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_root_loads_back_and_signs_verifiable_leaves() {
        let dir = std::env::temp_dir().join(format!("sfb-lab-pki-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let now = SystemTime::now();
        let first = Pki::new(Some(&dir), now).unwrap();
        let second = Pki::new(Some(&dir), now).unwrap();
        assert_eq!(first.root_der(), second.root_der());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join(ROOT_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A key that does not match the certificate is refused, precisely.
        std::fs::write(
            dir.join(ROOT_KEY_FILE),
            KeyPair::generate().unwrap().serialize_pem(),
        )
        .unwrap();
        let err = Pki::new(Some(&dir), now).unwrap_err();
        assert!(err.to_string().contains("does not match"), "{err}");
        std::fs::write(dir.join(ROOT_KEY_FILE), "garbage").unwrap();
        assert!(matches!(
            Pki::new(Some(&dir), now),
            Err(PkiError::BadState { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn identity_debug_hides_the_key() {
        let pki = Pki::new(None, SystemTime::now()).unwrap();
        let id = pki
            .server_identity(&["a.contoso.test".into()], Defect::None)
            .unwrap();
        assert_eq!(id.chain.len(), 2);
        assert!(!format!("{id:?}").contains("key:"));
        let leaf_only = pki
            .server_identity(&["a.contoso.test".into()], Defect::IncompleteChain)
            .unwrap();
        assert_eq!(leaf_only.chain.len(), 1);
    }
}
