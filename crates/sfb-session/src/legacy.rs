//! The tokio driver of the legacy-version survey: one connection per version, the hand-built
//! ClientHello, the first answer. The decisions (bytes out, bytes in) are in `survey`.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::survey::{
    LegacyVersion, MAX_RECORD, ServerReply, SurveyError, client_hello, parse_reply, suite_name,
};

/// What one version's probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionProbe {
    /// The version offered (alone).
    pub offered: LegacyVersion,
    /// Did the server choose exactly that version? The offered version is the client's
    /// maximum (RFC 5246 §7.4.1.2, §E.1): a server whose maximum is lower answers with its own
    /// (see `reply`), one that refuses lower versions answers with an alert.
    pub accepted: bool,
    /// The server's reply, if it sent a readable one.
    pub reply: Option<ServerReply>,
    /// The chosen suite's name, when accepted and known.
    pub cipher_suite: Option<&'static str>,
    /// Why there is no reply (connect error, timeout, closed, not TLS).
    pub error: Option<String>,
}

/// Offers TLS 1.0, 1.1 and 1.2 in turn (one connection each) and records the answers.
/// `random` is the ClientHello random (inject it; it needs no secrecy here: no key is derived).
pub async fn survey_versions(
    addr: SocketAddr,
    server_name: &str,
    timeout: Duration,
    random: [u8; 32],
) -> Vec<VersionProbe> {
    let mut out = Vec::new();
    for version in [
        LegacyVersion::Tls10,
        LegacyVersion::Tls11,
        LegacyVersion::Tls12,
    ] {
        let hello = client_hello(version, server_name, random);
        let result = tokio::time::timeout(timeout, exchange(addr, &hello)).await;
        let (reply, error) = match result {
            Ok(Ok(reply)) => (Some(reply), None),
            Ok(Err(e)) => (None, Some(e)),
            Err(_) => (None, Some("no answer within the timeout".to_owned())),
        };
        let accepted =
            matches!(reply, Some(ServerReply::Hello { version: v, .. }) if v == version.wire());
        let cipher_suite = match reply {
            Some(ServerReply::Hello { cipher_suite, .. }) if accepted => suite_name(cipher_suite),
            _ => None,
        };
        out.push(VersionProbe {
            offered: version,
            accepted,
            reply,
            cipher_suite,
            error,
        });
    }
    out
}

async fn exchange(addr: SocketAddr, hello: &[u8]) -> Result<ServerReply, String> {
    let mut sock = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    sock.write_all(hello).await.map_err(|e| e.to_string())?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        match parse_reply(&buf) {
            Err(SurveyError::Incomplete) => {}
            other => return other.map_err(|e| e.to_string()),
        }
        if buf.len() > MAX_RECORD + 5 {
            return Err("reply larger than one record".to_owned());
        }
        let n = sock.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed without an answer".to_owned());
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
}
