//! Entry points for the fuzz targets; each takes arbitrary bytes and must never panic.

use std::time::Duration;

use super::{
    Autodiscover, AutodiscoverConfig, Document, DocumentFormat, DocumentLimits, HttpFailure,
    HttpUrl, Input, Output, SipAddress, UserChallenge, WebTicket,
};

/// Reads `data` as an XML and as a JSON autodiscover document, and its text as a URL.
pub fn documents(data: &[u8]) {
    let limits = DocumentLimits::default();
    let _ = Document::parse(DocumentFormat::Xml, data, &limits);
    let _ = Document::parse(DocumentFormat::Json, data, &limits);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = HttpUrl::parse(text);
        let _ = UserChallenge::from_headers(&[
            ("WWW-Authenticate".to_owned(), text.to_owned()),
            ("X-MS-WebTicketURL".to_owned(), text.to_owned()),
        ]);
    }
}

/// Reads `data` as an HTTP/1.1 response in one piece and in pieces of 1 to 7 bytes; the results
/// must agree (a chunking differential for the push parser).
pub fn http_response(data: &[u8]) {
    let whole = read_response(data, data.len().max(1));
    for step in 1..8 {
        assert_eq!(
            read_response(data, step),
            whole,
            "split into pieces of {step} bytes"
        );
    }
}

fn read_response(data: &[u8], step: usize) -> Result<super::http1::Response, HttpFailure> {
    let mut reader = super::http1::ResponseReader::new(DocumentLimits::default().max_bytes);
    for piece in data.chunks(step) {
        if let Some(response) = reader.push(piece)? {
            return Ok(response);
        }
    }
    reader.finish()
}

/// Drives a whole walk with answers scripted by `data`: each request consumes a control byte
/// (status, content type, failure, web ticket or not) and a length-prefixed body slice.
/// Returns the number of steps taken; the walk must end (with `Done`) in a bounded number.
pub fn walk(data: &[u8]) -> usize {
    let sip = match SipAddress::parse("alice@contoso.com") {
        Ok(sip) => sip,
        Err(_) => return 0,
    };
    let mut walker = Autodiscover::new(sip, AutodiscoverConfig::default());
    let mut cursor = data;
    let mut take = |n: usize| -> &[u8] {
        let (head, tail) = cursor.split_at(n.min(cursor.len()));
        cursor = tail;
        head
    };
    for step in 0..256 {
        let Some(output) = walker.poll_output() else {
            return step;
        };
        let input = match output {
            Output::Done(_) => return step,
            Output::NeedWebTicket { .. } => {
                let yes = take(1).first().is_some_and(|b| b & 1 == 1);
                Input::WebTicket(yes.then(|| WebTicket::new(b"<Assertion/>".to_vec())))
            }
            Output::HttpGet { id, .. } => {
                let control = take(1).first().copied().unwrap_or(0);
                let len = usize::from(take(1).first().copied().unwrap_or(0)) * 16;
                let body = take(len).to_vec();
                let content_type = match control >> 6 {
                    0 => "application/vnd.microsoft.rtc.autodiscover+xml; v=1",
                    1 => "application/vnd.microsoft.rtc.autodiscover+json; v=1",
                    2 => "text/html",
                    _ => "",
                };
                let status = match control & 0x0f {
                    0..=7 => 200,
                    8..=10 => 401,
                    11 => 302,
                    12 => 500,
                    _ => 0,
                };
                if status == 0 {
                    Input::HttpError {
                        id,
                        error: HttpFailure::TimedOut,
                        elapsed: None,
                    }
                } else {
                    let text = String::from_utf8_lossy(&body).into_owned();
                    Input::HttpResponse {
                        id,
                        status,
                        content_type: Some(content_type.to_owned()),
                        headers: vec![
                            (
                                "X-MS-WebTicketURL".to_owned(),
                                "https://t.contoso.com/wt".to_owned(),
                            ),
                            ("WWW-Authenticate".to_owned(), text),
                        ],
                        body,
                        elapsed: Duration::from_millis(u64::from(control)),
                    }
                }
            }
        };
        // Ids come from the walker's own outputs; a web ticket only follows a request for one.
        let _ = walker.handle_input(input);
    }
    usize::MAX
}
