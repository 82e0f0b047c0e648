//! Signature-buffer known answers from real captures (testdata/ntlm/sip-messages.txt): upper-case
//! header names, compact forms, PAI with sip and tel values, URIs not wrapped in `<>`.

use sfb_auth::sipae::{
    MessageFields, SignatureFields, SignatureLayout, addr_spec, params, split_identity, tag_param,
};

struct Case {
    name: String,
    realm: String,
    target: String,
    version: Option<u32>,
    message: Vec<(String, String)>,
    start_line: String,
    expected: String,
}

fn load() -> Vec<Case> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/ntlm/sip-messages.txt"
    ))
    .unwrap();
    let mut cases = Vec::new();
    let mut cur: Option<Case> = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        if let Some(h) = line.strip_prefix("=== ") {
            let (name, rest) = h.split_once(' ').unwrap();
            let mut it = rest.split('|');
            cur = Some(Case {
                name: name.into(),
                realm: it.next().unwrap().into(),
                target: it.next().unwrap().into(),
                version: it.next().unwrap().parse().ok(),
                message: Vec::new(),
                start_line: String::new(),
                expected: String::new(),
            });
        } else if let Some(e) = line.strip_prefix("--- ") {
            let mut c = cur.take().unwrap();
            c.expected = e.into();
            cases.push(c);
        } else if let Some(c) = cur.as_mut() {
            if c.start_line.is_empty() {
                c.start_line = line.into();
            } else {
                let (n, v) = line.split_once(':').unwrap();
                c.message.push((n.trim().into(), v.trim().into()));
            }
        }
    }
    cases
}

/// Case-insensitive header lookup with compact forms (what the codec adapter will do).
fn header<'a>(c: &'a Case, name: &str, compact: Option<&str>) -> Option<&'a str> {
    c.message
        .iter()
        .find(|(n, _)| {
            n.eq_ignore_ascii_case(name) || compact.is_some_and(|k| n.eq_ignore_ascii_case(k))
        })
        .map(|(_, v)| v.as_str())
}

fn buffer(c: &Case) -> String {
    let is_response = c.start_line.starts_with("SIP/2.0");
    let code = is_response.then(|| {
        c.start_line
            .split(' ')
            .nth(1)
            .unwrap()
            .parse::<u16>()
            .unwrap()
    });
    let from = header(c, "From", Some("f")).unwrap();
    let to = header(c, "To", Some("t")).unwrap();
    let (num, method) = header(c, "CSeq", None).unwrap().split_once(' ').unwrap();
    let pai = header(c, "P-Asserted-Identity", None)
        .map(split_identity)
        .unwrap_or((None, None));
    let auth_header = if is_response {
        header(c, "Authentication-Info", None)
    } else {
        header(c, "Proxy-Authorization", None).or(header(c, "Authorization", None))
    }
    .unwrap();
    let auth = params::split(auth_header).unwrap();
    let get = |n: &str| {
        auth.params
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let (rand, anum) = if is_response {
        (get("srand"), get("snum"))
    } else {
        (get("crand"), get("cnum"))
    };
    let fields = SignatureFields {
        protocol: &auth.scheme,
        rand: &rand,
        num: &anum,
        realm: &c.realm,
        targetname: &c.target,
        message: MessageFields {
            call_id: header(c, "Call-ID", Some("i")).unwrap(),
            cseq_number: num,
            cseq_method: method,
            from_uri: addr_spec(from),
            from_tag: tag_param(from),
            to_uri: addr_spec(to),
            to_tag: tag_param(to),
            p_asserted_identity_sip: pai.0,
            p_asserted_identity_tel: pai.1,
            expires: header(c, "Expires", None),
            response_code: code,
            ..MessageFields::default()
        },
    };
    fields.to_buffer(SignatureLayout::for_version(c.version))
}

#[test]
fn signature_strings_match_captures() {
    let cases = load();
    assert_eq!(cases.len(), 6);
    for c in &cases {
        assert_eq!(buffer(c), c.expected, "case {}", c.name);
    }
}

#[test]
fn ppi_used_only_without_pai() {
    let base = MessageFields {
        call_id: "c",
        cseq_number: "1",
        cseq_method: "INVITE",
        from_uri: "sip:a@x",
        to_uri: "sip:b@x",
        p_preferred_identity_sip: Some("sip:ppi@x"),
        ..MessageFields::default()
    };
    let f = |m| SignatureFields {
        protocol: "NTLM",
        rand: "1",
        num: "1",
        realm: "r",
        targetname: "t",
        message: m,
    };
    assert_eq!(
        f(base).to_buffer(SignatureLayout::V3),
        "<NTLM><1><1><r><t><c><1><INVITE><sip:a@x><><sip:b@x><><sip:ppi@x><><>"
    );
    let with_pai = MessageFields {
        p_asserted_identity_tel: Some("tel:+1"),
        ..base
    };
    assert_eq!(
        f(with_pai).to_buffer(SignatureLayout::V3),
        "<NTLM><1><1><r><t><c><1><INVITE><sip:a@x><><sip:b@x><><><tel:+1><>"
    );
    assert_eq!(
        f(base).to_buffer(SignatureLayout::Legacy),
        "<NTLM><1><1><r><t><c><1><INVITE><sip:a@x><><><>"
    );
}
