//! Lync autodiscover ([MS-OCDISCWS]): documents and a sans-IO walker.
//!
//! - [`Document`] reads the XML and JSON documents under explicit [`DocumentLimits`].
//! - [`Autodiscover`] walks `lyncdiscoverinternal.<domain>` then `lyncdiscover.<domain>`, each over
//!   HTTPS and HTTP, follows `Redirect` links (bounded, with loop detection) to the `User`
//!   resource, and asks for a WebTicket when the User resource answers 401.
//!
//! The walker does no I/O and reads no clock: it emits [`Output::HttpGet`] and
//! [`Output::NeedWebTicket`] and is fed [`Input`]s by a driver. [`HttpDriver`] is such a driver
//! (tokio, rustls with the ring provider, a minimal HTTP/1.1 client); it holds no protocol logic.

mod challenge;
mod document;
mod driver;
#[doc(hidden)]
pub mod fuzzing;
mod http1;
mod io;
mod json;
mod result;
mod url;
mod walker;
mod xml;

pub use challenge::{OAuthChallenge, UserChallenge};
pub use document::{
    AccessKind, AccessLocation, Document, DocumentError, DocumentFormat, DocumentLimits, Link,
    MEDIA_TYPE_JSON, MEDIA_TYPE_XML, ResourceKind, SipAccess,
};
pub use driver::HttpDriver;
pub use io::{AutodiscoverConfig, HeaderValue, Input, InputError, Output, WebTicket};
pub use result::{
    AutodiscoverFault, AutodiscoverResult, ExchangeOutcome, HttpExchange, HttpFailure, RequestId,
    RequestPurpose, Verdict, Warning,
};
pub use url::{HostName, HttpUrl, MAX_HOST_LEN, MAX_URL_LEN, Scheme, SipAddress, UrlError};
pub use walker::Autodiscover;
