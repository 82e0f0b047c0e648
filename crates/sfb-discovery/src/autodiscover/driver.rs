//! A tokio driver for [`Autodiscover`]: the only autodiscover code that touches sockets and the
//! clock. It holds no protocol logic: it performs each [`Output::HttpGet`] (concurrently), asks a
//! callback for web tickets, and feeds the answers back.
//!
//! TLS: rustls with the ring provider given explicitly; the server certificate is validated
//! against the walker's `tls_name` (the name queried, never a CNAME target).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio_rustls::TlsConnector;

use super::http1;
use super::io::{HeaderValue, Input, Output, WebTicket};
use super::result::{AutodiscoverResult, HttpFailure, RequestId};
use super::url::{HostName, HttpUrl, Scheme};
use super::walker::Autodiscover;

/// Connection settings of the driver.
#[derive(Clone)]
pub struct HttpDriver {
    tls: Arc<ClientConfig>,
    timeout: Duration,
    max_body: usize,
    overrides: Arc<HashMap<(String, u16), SocketAddr>>,
}

impl std::fmt::Debug for HttpDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpDriver")
            .field("timeout", &self.timeout)
            .field("overrides", &self.overrides)
            .finish()
    }
}

impl HttpDriver {
    /// A driver trusting `roots`, with a per-request `timeout` and the body limit `max_body`
    /// (use the walker's `limits.max_bytes`).
    pub fn new(
        roots: RootCertStore,
        timeout: Duration,
        max_body: usize,
    ) -> Result<Self, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(HttpDriver {
            tls: Arc::new(tls),
            timeout,
            max_body,
            overrides: Arc::new(HashMap::new()),
        })
    }

    /// Connects to `addr` instead of resolving `host:port` (tests, and `--resolve`-style pinning).
    /// The URL, `Host` header and TLS name are unchanged.
    pub fn resolve(mut self, host: &str, port: u16, addr: SocketAddr) -> Self {
        Arc::make_mut(&mut self.overrides).insert((host.to_ascii_lowercase(), port), addr);
        self
    }

    /// Runs the walk to its end. `web_ticket` answers [`Output::NeedWebTicket`] with the
    /// WebTicket service URL and the User URL (for example through `sfb-certprov`); `None` means
    /// no credentials.
    pub async fn run(
        &self,
        mut walker: Autodiscover,
        mut web_ticket: impl AsyncFnMut(&HttpUrl, &HttpUrl) -> Option<WebTicket>,
    ) -> AutodiscoverResult {
        let mut tasks: JoinSet<Input> = JoinSet::new();
        loop {
            while let Some(output) = walker.poll_output() {
                match output {
                    Output::HttpGet {
                        id,
                        url,
                        accept,
                        headers,
                        tls_name,
                    } => {
                        let this = self.clone();
                        tasks.spawn(async move {
                            this.exchange(id, url, accept, headers, tls_name).await
                        });
                    }
                    Output::NeedWebTicket {
                        web_ticket_url,
                        user_url,
                        ..
                    } => {
                        let ticket = web_ticket(&web_ticket_url, &user_url).await;
                        // The walker asked for it, so it cannot be unexpected.
                        let _ = walker.handle_input(Input::WebTicket(ticket));
                    }
                    Output::Done(result) => return result,
                }
            }
            match tasks.join_next().await {
                // Ids come from the walker's own outputs, so the walker knows them.
                Some(Ok(input)) => {
                    let _ = walker.handle_input(input);
                }
                // A request task panicked or was cancelled: nothing sensible can follow.
                Some(Err(_)) | None => {
                    return walker.abandon();
                }
            }
        }
    }

    async fn exchange(
        &self,
        id: RequestId,
        url: HttpUrl,
        accept: &'static str,
        headers: Vec<(&'static str, HeaderValue)>,
        tls_name: Option<HostName>,
    ) -> Input {
        let started = Instant::now();
        let result =
            tokio::time::timeout(self.timeout, self.fetch(&url, accept, &headers, tls_name)).await;
        let elapsed = started.elapsed();
        match result {
            Ok(Ok(r)) => Input::HttpResponse {
                id,
                status: r.status,
                content_type: r.content_type,
                headers: r.headers,
                body: r.body,
                elapsed,
            },
            Ok(Err(error)) => Input::HttpError {
                id,
                error,
                elapsed: Some(elapsed),
            },
            Err(_) => Input::HttpError {
                id,
                error: HttpFailure::TimedOut,
                elapsed: Some(elapsed),
            },
        }
    }

    async fn fetch(
        &self,
        url: &HttpUrl,
        accept: &str,
        headers: &[(&'static str, HeaderValue)],
        tls_name: Option<HostName>,
    ) -> Result<http1::Response, HttpFailure> {
        if url.scheme() == Scheme::Https && tls_name.is_none() {
            return Err(HttpFailure::TlsFailed {
                detail: "no dns name to validate the certificate against".into(),
            });
        }
        let tcp = self.connect(url).await?;
        match tls_name {
            None => {
                let mut tcp = tcp;
                http1::get(&mut tcp, url, accept, headers, self.max_body).await
            }
            Some(name) => {
                let server_name = ServerName::try_from(name.as_str().to_owned()).map_err(|e| {
                    HttpFailure::TlsFailed {
                        detail: e.to_string(),
                    }
                })?;
                let mut tls = TlsConnector::from(self.tls.clone())
                    .connect(server_name, tcp)
                    .await
                    .map_err(|e| HttpFailure::TlsFailed {
                        detail: e.to_string(),
                    })?;
                http1::get(&mut tls, url, accept, headers, self.max_body).await
            }
        }
    }

    async fn connect(&self, url: &HttpUrl) -> Result<TcpStream, HttpFailure> {
        let addrs: Vec<SocketAddr> = match self.overrides.get(&(url.host().to_owned(), url.port()))
        {
            Some(addr) => vec![*addr],
            None => tokio::net::lookup_host((url.host(), url.port()))
                .await
                .map_err(|_| HttpFailure::NameNotResolved)?
                .collect(),
        };
        let mut last = HttpFailure::NameNotResolved;
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(s) => return Ok(s),
                Err(e) => {
                    last = HttpFailure::ConnectionFailed {
                        detail: format!("{addr}: {e}"),
                    }
                }
            }
        }
        Err(last)
    }
}
