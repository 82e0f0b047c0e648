//! A certificate verifier that records what it was shown, then delegates to rustls's WebPKI
//! verifier, so that a failed handshake still leaves the chain behind as evidence.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::DigitallySignedStruct;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

/// The most certificates recorded from one chain (rustls bounds the message anyway).
pub const MAX_RECORDED_CHAIN: usize = 16;

/// What the server presented and what it was checked against.
#[derive(Debug, Clone)]
pub struct Presented {
    /// The chain, leaf first, as sent (at most [`MAX_RECORDED_CHAIN`]).
    pub chain: Vec<CertificateDer<'static>>,
    /// The name it was checked against.
    pub server_name: String,
    /// The time of the check (from the config's `TimeProvider`).
    pub now: UnixTime,
}

/// The recording verifier (one per connection attempt).
#[derive(Debug)]
pub struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    record: Mutex<Option<Presented>>,
}

impl RecordingVerifier {
    /// Wraps a WebPKI verifier.
    pub fn new(inner: Arc<WebPkiServerVerifier>) -> Self {
        Self {
            inner,
            record: Mutex::new(None),
        }
    }

    /// What was presented, if the handshake got that far.
    pub fn presented(&self) -> Option<Presented> {
        self.record
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .take(MAX_RECORDED_CHAIN)
            .map(|c| c.clone().into_owned())
            .collect();
        let name = server_name.to_str().into_owned();
        *self.record.lock().unwrap_or_else(PoisonError::into_inner) = Some(Presented {
            chain,
            server_name: name,
            now,
        });
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
