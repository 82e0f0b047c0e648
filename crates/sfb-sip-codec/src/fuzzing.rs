//! Fuzz entry points: one function per fuzz target, each taking `&[u8]`. They never panic
//! except on a genuine invariant violation (a real bug).

use crate::{Frame, Framer, Limits, Status, encode, parse_auth_value, parse_datagram, validate};

/// Parse as a datagram, then exercise validation and every typed accessor.
pub fn parse(data: &[u8]) {
    let Ok(m) = parse_datagram(data, &Limits::default()) else {
        return;
    };
    let _ = validate(&m);
    let _ = (
        m.via(),
        m.from(),
        m.to(),
        m.cseq(),
        m.call_id(),
        m.expires(),
        m.content_type(),
    );
    let _ = (
        m.event(),
        m.subscription_state(),
        m.ms_keep_alive(),
        m.retry_after(),
        m.min_expires(),
    );
    m.vias().for_each(drop);
    m.contacts().for_each(|c| {
        if let Ok(c) = c {
            let _ = (c.expires(), c.ms_opaque(), c.addr().map(|a| a.sip_uri()));
        }
    });
    m.routes().for_each(drop);
    m.p_asserted_identities().for_each(drop);
    m.warnings().for_each(drop);
    m.auth_headers().for_each(drop);
    m.ms_diagnostics().for_each(drop);
    let _ = crate::SipUri::parse(match m.start_line() {
        crate::StartLine::Request { uri, .. } => uri,
        crate::StartLine::Response { reason, .. } => reason,
    });
}

/// parse → encode → parse must give the same content, and encoding again the same bytes.
pub fn round_trip(data: &[u8]) {
    let Ok(m) = parse_datagram(data, &Limits::default()) else {
        return;
    };
    let out = encode(&m);
    let m2 = match parse_datagram(&out, &Limits::default()) {
        Ok(m2) => m2,
        // Encoding only changes the colon separator; a length limit can then trip.
        Err(e) if matches!(e.kind, crate::ParseErrorKind::LimitExceeded { .. }) => return,
        Err(e) => panic!("encoded message does not parse: {e}"),
    };
    assert!(m.same_content(&m2), "round trip changed the message");
    assert_eq!(encode(&m2), out, "encoding is not stable");
}

/// The first byte gives a chunk size seed; feeding the rest in those chunks must give the
/// same frames (and the same error) as one push.
pub fn framer_chunking(data: &[u8]) {
    let Some((seed, input)) = data.split_first() else {
        return;
    };
    let whole = run_framer(input, &[input.len().max(1)]);
    let sizes: Vec<usize> = data
        .iter()
        .take(16)
        .map(|b| usize::from(b ^ seed) % 17 + 1)
        .collect();
    let chunked = run_framer(input, &sizes);
    // Frames must be identical. Errors must occur in both or neither; their kind may differ
    // because a chunked stream can hit the line limit on an incomplete line before a fault on
    // an earlier line is visible to the grammar.
    assert_eq!(whole.0, chunked.0, "chunking changed the frames");
    assert_eq!(
        whole.1.is_some(),
        chunked.1.is_some(),
        "chunking changed the outcome"
    );
}

/// Frames and the final error (if any) after feeding `input` in chunks of the given sizes
/// (cycled).
pub fn run_framer(input: &[u8], sizes: &[usize]) -> (Vec<Frame>, Option<crate::ParseErrorKind>) {
    let mut f = Framer::new(Limits::default());
    let mut frames = Vec::new();
    let mut rest = input;
    let mut i = 0;
    loop {
        let n = sizes
            .get(i % sizes.len().max(1))
            .copied()
            .unwrap_or(1)
            .max(1)
            .min(rest.len());
        let (chunk, r) = rest.split_at(n);
        rest = r;
        i += 1;
        f.push(chunk);
        loop {
            match f.next() {
                Ok(Status::Complete(fr)) => frames.push(fr),
                Ok(Status::Partial) => break,
                Err(e) => return (frames, Some(e.kind)),
            }
        }
        if rest.is_empty() {
            return (frames, None);
        }
    }
}

/// Parse bytes as an auth header value.
pub fn auth_params(data: &[u8]) {
    if let Ok(s) = core::str::from_utf8(data) {
        let _ = parse_auth_value(s);
    }
}

/// Parse bytes as an ms-diagnostics value.
pub fn ms_diagnostics(data: &[u8]) {
    if let Ok(s) = core::str::from_utf8(data) {
        let _ = crate::MsDiagnostic::parse(s, false);
    }
}
