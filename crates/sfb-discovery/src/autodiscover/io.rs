//! The walker's inputs and outputs: what it asks of its driver and what the driver feeds back.

use std::fmt;
use std::time::Duration;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use thiserror::Error;
use zeroize::Zeroizing;

use super::challenge::UserChallenge;
use super::document::{DocumentFormat, DocumentLimits};
use super::result::{AutodiscoverResult, HttpFailure, RequestId};
use super::url::{HostName, HttpUrl};

/// Knobs of the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutodiscoverConfig {
    /// Document format asked for in `Accept` (XML, as the desktop client does).
    pub format: DocumentFormat,
    /// Query the first hop over HTTPS.
    pub try_https: bool,
    /// Query the first hop over HTTP too (port-80 publishing is a supported design).
    pub try_http: bool,
    /// Query `lyncdiscoverinternal.<domain>`.
    pub internal: bool,
    /// Query `lyncdiscover.<domain>`.
    pub external: bool,
    /// Most `Redirect` links followed in one chain.
    pub max_redirects: usize,
    /// Limits applied to every document; `max_bytes` is also the body size a driver should read.
    pub limits: DocumentLimits,
    /// How many bytes of each response body the evidence keeps (as lossy UTF-8); 0 keeps none.
    /// Autodiscover documents carry no secrets, and support engineers want to read them.
    pub evidence_body_bytes: usize,
}

impl Default for AutodiscoverConfig {
    fn default() -> Self {
        AutodiscoverConfig {
            format: DocumentFormat::Xml,
            try_https: true,
            try_http: true,
            internal: true,
            external: true,
            max_redirects: 5,
            limits: DocumentLimits::default(),
            evidence_body_bytes: 16 * 1024,
        }
    }
}

/// A WebTicket: the raw SAML `<Assertion>` XML, zeroized on drop, never printed.
pub struct WebTicket(Zeroizing<Vec<u8>>);

impl WebTicket {
    /// Wraps the assertion bytes.
    pub fn new(assertion: Vec<u8>) -> Self {
        WebTicket(Zeroizing::new(assertion))
    }

    /// `opaque=<base64 of the assertion>` ([MS-OCDISCWS] 3.1.5.3, `X-MS-WebTicket`).
    pub(crate) fn header_value(&self) -> HeaderValue {
        // Built in place, with room reserved up front, so no unzeroized copy of the encoded ticket
        // is left behind by a reallocation.
        let capacity = "opaque=".len() + self.0.len().div_ceil(3) * 4;
        let mut value = Zeroizing::new(String::with_capacity(capacity));
        value.push_str("opaque=");
        BASE64_STANDARD.encode_string(self.0.as_slice(), &mut value);
        HeaderValue {
            value,
            secret: true,
        }
    }
}

impl fmt::Debug for WebTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebTicket(..)")
    }
}

/// A request header value; a secret one (the web ticket) is zeroized and never printed.
pub struct HeaderValue {
    value: Zeroizing<String>,
    secret: bool,
}

impl HeaderValue {
    /// The value to put on the wire.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Whether the value is a secret that must not be logged.
    pub fn is_secret(&self) -> bool {
        self.secret
    }
}

impl fmt::Debug for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.secret {
            f.write_str("HeaderValue(redacted)")
        } else {
            fmt::Debug::fmt(&*self.value, f)
        }
    }
}

/// What the walker asks of its driver.
#[derive(Debug)]
pub enum Output {
    /// Perform `GET url` with `Accept: accept` and `headers`, then answer with the same `id`.
    HttpGet {
        /// Echo this in the answer.
        id: RequestId,
        /// The URL (connect to its host and port).
        url: HttpUrl,
        /// The `Accept` value.
        accept: &'static str,
        /// Extra headers (`X-MS-WebTicket`).
        headers: Vec<(&'static str, HeaderValue)>,
        /// For HTTPS: the name the server certificate must be validated against (the name
        /// queried, never a CNAME target). `None` for HTTP.
        tls_name: Option<HostName>,
    },
    /// Get a WebTicket from `web_ticket_url` for `user_url`, answer with [`Input::WebTicket`].
    NeedWebTicket {
        /// The WebTicket service (`X-MS-WebTicketURL`).
        web_ticket_url: HttpUrl,
        /// The User resource that asked.
        user_url: HttpUrl,
        /// The full challenge (OAuth endpoint, schemes, server).
        challenge: UserChallenge,
    },
    /// The walk is over.
    Done(AutodiscoverResult),
}

/// What the driver feeds back.
#[derive(Debug)]
pub enum Input {
    /// A complete HTTP response.
    HttpResponse {
        /// The request's id.
        id: RequestId,
        /// The status code.
        status: u16,
        /// The `Content-Type` value, if any.
        content_type: Option<String>,
        /// All response headers (name, value), repeated names kept.
        headers: Vec<(String, String)>,
        /// The body (the driver should stop reading at `limits.max_bytes + 1`).
        body: Vec<u8>,
        /// Time from sending the request to the complete response.
        elapsed: Duration,
    },
    /// The request failed before a complete response.
    HttpError {
        /// The request's id.
        id: RequestId,
        /// What failed.
        error: HttpFailure,
        /// Time until the failure, if measured.
        elapsed: Option<Duration>,
    },
    /// The answer to [`Output::NeedWebTicket`]: `None` when no credentials are available.
    WebTicket(Option<WebTicket>),
}

/// Misuse of the walker by its driver.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    /// The id does not belong to an outstanding request.
    #[error("no outstanding request {0}")]
    UnknownRequest(RequestId),
    /// A web ticket arrived although none was asked for.
    #[error("no web ticket was asked for")]
    UnexpectedWebTicket,
}
