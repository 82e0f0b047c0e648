//! Property tests: chunking independence of the framer, builder/encoder round trips, encoder
//! byte-for-byte preservation of header values, and no panics on hostile input.

use proptest::prelude::*;
use sfb_sip_codec::{
    Frame, Limits, RequestBuilder, ResponseBuilder, encode, fuzzing, parse_datagram,
};

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9.!%*_+`'~-]{0,12}"
}

/// Header values: printable text with quotes, commas, semicolons, angle brackets, UTF-8,
/// inner spaces; no CR/LF and no outer blanks.
fn value() -> impl Strategy<Value = String> {
    "[A-Za-z0-9\"<>;,=:@/. é\\\\-]{0,40}".prop_map(|s| s.trim_matches([' ', '\t']).to_string())
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((token(), value()), 0..12).prop_map(|v| {
        v.into_iter()
            .filter(|(n, _)| {
                !n.eq_ignore_ascii_case("content-length") && !n.eq_ignore_ascii_case("l")
            })
            .collect()
    })
}

fn built() -> impl Strategy<Value = (bool, String, Vec<(String, String)>, Vec<u8>)> {
    (
        any::<bool>(),
        token(),
        headers(),
        prop::collection::vec(any::<u8>(), 0..64),
    )
}

fn build(
    req: bool,
    word: &str,
    hs: &[(String, String)],
    body: &[u8],
) -> sfb_sip_codec::OwnedMessage {
    if req {
        let mut b = RequestBuilder::new(word, "sip:user@example.com;transport=tls");
        for (n, v) in hs {
            b = b.header(n, v);
        }
        b.body(body).build().expect("valid builder input builds")
    } else {
        let mut b = ResponseBuilder::new(200, word);
        for (n, v) in hs {
            b = b.header(n, v);
        }
        b.body(body).build().expect("valid builder input builds")
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// parse(encode(m)) == m for built messages, and the parts are what was asked for.
    #[test]
    fn built_messages_round_trip((req, word, hs, body) in built()) {
        let om = build(req, &word, &hs, &body);
        let m = om.message();
        prop_assert_eq!(m.is_request(), req);
        prop_assert_eq!(m.body(), &body[..]);
        let got: Vec<(&str, &str)> = m.headers().map(|h| (h.name, h.value)).collect();
        let mut want: Vec<(&str, &str)> = hs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let len = body.len().to_string();
        want.push(("Content-Length", &len));
        prop_assert_eq!(got, want);
        let out = encode(&m);
        prop_assert_eq!(&out[..], om.as_bytes());
        let again = parse_datagram(&out, &Limits::default()).unwrap();
        prop_assert!(again.same_content(&m));
    }

    /// Any split of a stream into chunks yields the same frames as one push.
    #[test]
    fn any_split_gives_same_frames(
        msgs in prop::collection::vec((built(), 0usize..3), 1..4),
        splits in prop::collection::vec(1usize..40, 1..20),
    ) {
        let mut stream = Vec::new();
        let mut expected = 0;
        for ((req, word, hs, body), crlfs) in &msgs {
            stream.extend(std::iter::repeat_n(b"\r\n".iter().copied(), *crlfs).flatten());
            stream.extend_from_slice(build(*req, word, hs, body).as_bytes());
            expected += 1 + crlfs;
        }
        let whole = fuzzing::run_framer(&stream, &[stream.len()]);
        let split = fuzzing::run_framer(&stream, &splits);
        prop_assert_eq!(whole.1, None);
        prop_assert_eq!(whole.0.len(), expected);
        prop_assert_eq!(&whole, &split);
        let n_msgs = whole.0.iter().filter(|f| matches!(f, Frame::Message(_))).count();
        prop_assert_eq!(n_msgs, msgs.len());
    }

    /// encode(parse(bytes)) keeps every header value byte for byte, whatever the spacing around
    /// the colon, folding, compact names or case.
    #[test]
    fn encode_preserves_raw_values(
        hs in prop::collection::vec((prop::sample::select(vec!["v", "Via", "TO", "f", "X-Custom", "i", "ms-diagnostics"]),
            " {0,3}", " {0,3}", value(), prop::option::of(value())), 1..10),
        body in prop::collection::vec(any::<u8>(), 0..32),
    ) {
        let mut raw = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
        let mut want = Vec::new();
        for (name, pre, post, v, fold) in &hs {
            let full = match fold.as_deref().filter(|f| !f.is_empty() && !v.is_empty()) {
                Some(f) => format!("{v}\r\n {f}"),
                None => v.clone(),
            };
            raw.extend_from_slice(format!("{name}{pre}:{post}{full}\r\n").as_bytes());
            want.push(full);
        }
        raw.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        raw.extend_from_slice(&body);
        let m = parse_datagram(&raw, &Limits::default()).unwrap();
        let vals: Vec<&str> = m.headers().take(want.len()).map(|h| h.value).collect();
        prop_assert_eq!(&vals, &want.iter().map(String::as_str).collect::<Vec<_>>());
        let out = encode(&m);
        let m2 = parse_datagram(&out, &Limits::default()).unwrap();
        prop_assert!(m2.same_content(&m));
        fuzzing::round_trip(&raw);
    }

    /// Hostile bytes: no entry point panics.
    #[test]
    fn hostile_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..300)) {
        fuzzing::parse(&data);
        fuzzing::round_trip(&data);
        fuzzing::framer_chunking(&data);
        fuzzing::auth_params(&data);
        fuzzing::ms_diagnostics(&data);
    }

    /// Hostile but SIP-shaped input: mutate a real message and run every entry point.
    #[test]
    fn mutated_messages_never_panic(pos in 0usize..400, byte in any::<u8>(), cut in 0usize..400) {
        let mut m = b"REGISTER sip:contoso.com SIP/2.0\r\nVia: SIP/2.0/TLS 10.0.0.1:5061;branch=z9hG4bK1;rport\r\nFrom: \"A\" <sip:a@contoso.com>;tag=1;epid=2\r\nTo: <sip:a@contoso.com>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\nContact: <sip:a@[::1]:5061;transport=tls>;+sip.instance=\"<urn:uuid:1>\"\r\nProxy-Authorization: NTLM qop=\"auth\", realm=\"SIP Communications Service\", gssapi-data=\"\"\r\nms-diagnostics: 4005;reason=\"x\";source=\"fe\"\r\nContent-Length: 2\r\n\r\nok".to_vec();
        if let Some(b) = m.get_mut(pos % 330) { *b = byte; }
        m.truncate(cut.max(1));
        let mut d = vec![byte];
        d.extend_from_slice(&m);
        fuzzing::parse(&m);
        fuzzing::round_trip(&m);
        fuzzing::framer_chunking(&d);
    }
}
