//! Entry points for the fuzz targets; each takes arbitrary bytes and must never panic.

use super::{Document, DocumentFormat, DocumentLimits, HttpUrl};

/// Reads `data` as an XML and as a JSON autodiscover document, and its text as a URL.
pub fn documents(data: &[u8]) {
    let limits = DocumentLimits::default();
    let _ = Document::parse(DocumentFormat::Xml, data, &limits);
    let _ = Document::parse(DocumentFormat::Json, data, &limits);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = HttpUrl::parse(text);
    }
}
