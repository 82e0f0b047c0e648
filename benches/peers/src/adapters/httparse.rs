//! `httparse` 1.10: the floor. It has no SIP grammar (it rejects a SIP start line), so the
//! adapter splits the start line off at the first CRLF, runs `httparse::parse_headers` on the
//! header block and does the rest by string splitting.

use crate::{Input, Sink, TaskError, split};

/// Where this adapter leaves the typed API.
pub const NOTE: &str = "header block only (start line split off, not parsed; body not framed); \
    Via branch, CSeq and every auth param by string splitting: the floor, not a SIP parser";

/// The task on one message.
pub fn run<S: Sink>(input: &Input, sink: &mut S) -> Result<(), TaskError> {
    let buf = &input.raw[..];
    let eol = buf
        .windows(2)
        .position(|w| w == b"\r\n")
        .ok_or_else(|| TaskError::Parse("no CRLF after the start line".into()))?;
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let block = buf.get(eol + 2..).unwrap_or_default();
    match httparse::parse_headers(block, &mut headers) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(TaskError::Parse("partial".into())),
        Err(e) => return Err(TaskError::Parse(e.to_string())),
    }
    let (mut via, mut cseq, mut call_id) = (None, None, None);
    for h in headers.iter().take_while(|h| !h.name.is_empty()) {
        let name = h.name.as_bytes();
        if via.is_none() && (name.eq_ignore_ascii_case(b"via") || name.eq_ignore_ascii_case(b"v")) {
            via = Some(h.value);
        } else if cseq.is_none() && name.eq_ignore_ascii_case(b"cseq") {
            cseq = Some(h.value);
        } else if call_id.is_none()
            && (name.eq_ignore_ascii_case(b"call-id") || name.eq_ignore_ascii_case(b"i"))
        {
            call_id = Some(h.value);
        } else if let Some(kind) = split::auth_kind(name) {
            split::auth_header(kind, h.value, sink);
        }
    }
    let via = via.ok_or(TaskError::MissingHeader("Via"))?;
    if let Some(b) = split::via_branch(via) {
        sink.branch(b);
    }
    let cseq = cseq.ok_or(TaskError::MissingHeader("CSeq"))?;
    let (n, m) =
        split::cseq(cseq).ok_or_else(|| TaskError::BadHeader("CSeq", "not `n METHOD`".into()))?;
    sink.cseq(n, m);
    sink.call_id(split::trim(
        call_id.ok_or(TaskError::MissingHeader("Call-ID"))?,
    ));
    Ok(())
}
