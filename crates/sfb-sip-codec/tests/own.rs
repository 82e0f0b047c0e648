//! Our own hand-written messages under `testdata/own/`: tortuous but valid SIP with the
//! Microsoft headers, checked field by field through the typed accessors.

use sfb_sip_codec::{
    AuthHeaderKind, Contact, Limits, ParamValue, encode, parse_datagram, validate,
};

fn read(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/own")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn tortuous_register() {
    let bytes = read("tortuous-register.sip");
    let m = parse_datagram(&bytes, &Limits::default()).unwrap();
    validate(&m).unwrap();
    let vias: Vec<_> = m.vias().map(Result::unwrap).collect();
    assert_eq!(vias.len(), 2);
    assert_eq!(
        (vias[0].transport, vias[0].host, vias[0].port),
        ("TLS", "192.0.2.10", Some(50123))
    );
    assert_eq!(
        (vias[0].branch(), vias[0].rport()),
        (Some("z9hG4bK9ikj8"), Some(None))
    );
    assert_eq!((vias[1].host, vias[1].port), ("[2001:db8::5]", Some(5061)));
    let from = m.from().unwrap().unwrap();
    assert_eq!(from.display_name_unescaped().unwrap(), "Alice \"A\" Smith");
    assert_eq!((from.tag(), from.epid()), (Some("9f8e"), Some("01ab")));
    let to = m.to().unwrap().unwrap();
    assert_eq!((to.uri, to.tag()), ("sip:alice@contoso.com", None));
    let cseq = m.cseq().unwrap().unwrap();
    assert_eq!((cseq.seq, cseq.method), (3, "REGISTER"));
    assert_eq!(m.max_forwards().unwrap().unwrap(), 70);
    let contacts: Vec<_> = m.contacts().map(Result::unwrap).collect();
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[0].expires(), Some(Ok(7200)));
    assert_eq!(contacts[0].ms_opaque(), Some("d3470f2e1d"));
    assert_eq!(contacts[0].sip_instance(), Some("<urn:uuid:0d4d2b1e>"));
    assert_eq!(contacts[1], Contact::Star);
    let supported: Vec<_> = m.tokens("Supported").collect();
    assert_eq!(
        supported,
        ["gruu-10", "adhoclist", "ms-keepalive-deregister"]
    );
    let ka = m.ms_keep_alive().unwrap().unwrap();
    assert_eq!((ka.value, ka.params.value("hop-hop")), ("UAC", Some("yes")));
    let auth: Vec<_> = m.auth_headers().map(Result::unwrap).collect();
    assert_eq!(auth.len(), 1);
    assert_eq!(
        (auth[0].kind, auth[0].scheme),
        (AuthHeaderKind::ProxyAuthorization, "TLS-DSK")
    );
    assert_eq!(auth[0].param("gssapi-data"), Some(ParamValue::Quoted("")));
    assert_eq!(
        auth[0].param("realm"),
        Some(ParamValue::Quoted("SIP Communications Service"))
    );
    assert_eq!(auth[0].param("version"), Some(ParamValue::Token("4")));
    // The encoder keeps the folded Via value byte for byte.
    let out = encode(&m);
    let m2 = parse_datagram(&out, &Limits::default()).unwrap();
    assert_eq!(
        m2.header("Via").unwrap().value,
        m.header("v").unwrap().value
    );
    assert!(m2.header("v").unwrap().value.contains("\r\n  branch  ="));
}

#[test]
fn forbidden_with_diagnostics() {
    let bytes = read("403-diag-public.sip");
    let m = parse_datagram(&bytes, &Limits::default()).unwrap();
    validate(&m).unwrap();
    assert_eq!(m.status_code(), Some(403));
    let via = m.via().unwrap().unwrap();
    assert_eq!(
        (via.ms_received_port(), via.ms_received_cid()),
        (Some("50123"), Some("1A00"))
    );
    let diags: Vec<_> = m.ms_diagnostics().map(Result::unwrap).collect();
    assert_eq!(diags.len(), 2);
    assert!(!diags[0].public && diags[1].public);
    for d in &diags {
        assert_eq!(d.code, 4005);
        assert_eq!(
            d.reason(),
            Some("Destination URI either not enabled for SIP or does not exist")
        );
    }
    assert_eq!(
        (diags[0].source(), diags[1].source()),
        (Some("fe.contoso.com"), Some("edge.contoso.com"))
    );
    let pai: Vec<_> = m.p_asserted_identities().map(Result::unwrap).collect();
    assert_eq!(pai.len(), 2);
    assert_eq!(pai[0].sip_uri().unwrap().user, Some("alice"));
    assert_eq!(pai[1].sip_uri().unwrap().host, "+14255550100");
    let w: Vec<_> = m.warnings().map(Result::unwrap).collect();
    assert_eq!((w[0].code, w[0].agent), (399, "fe.contoso.com"));
    assert_eq!(m.date(), Some("Sat, 13 Nov 2010 23:29:00 GMT"));
}
